//! Memory per allocation: 10,000 allocations (each with a permission and a channel) held by
//! one server, measured with a byte-counting allocator. Prints the figure and holds it to a
//! budget.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Instant, SystemTime};

use wren_core::{Datagram, Machine, SocketRequest, SocketResult};
use wren_stun::attr::{ChannelNumber, Nonce, Realm, RequestedTransport, Username, XorPeerAddress};
use wren_stun::{Class, Key, Message, MessageType, MessageWriter, Method, TransactionId};
use wren_turn::server::{Config as ServerConfig, PeerPolicy, Server as TurnServer, UserSecret};

#[global_allocator]
static GLOBAL: wren_alloc_count::Counting = wren_alloc_count::Counting;

const ALLOCATIONS: u32 = 10_000;

fn request(
    method: Method,
    id: u32,
    nonce: Option<&str>,
    key: &Key,
    build: impl FnOnce(&mut MessageWriter<'_>),
) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut tid = [0u8; 12];
    tid[..4].copy_from_slice(&id.to_be_bytes());
    tid[4] = method.number() as u8;
    let mut w = MessageWriter::new(
        &mut buf,
        MessageType::new(Class::Request, method),
        TransactionId(tid),
    );
    build(&mut w);
    if let Some(nonce) = nonce {
        w.add(&Username("alice")).unwrap();
        w.add(&Realm("example.org")).unwrap();
        w.add(&Nonce(nonce)).unwrap();
        w.add_message_integrity(key).unwrap();
    }
    w.finish();
    buf
}

/// The NONCE of a 401.
fn nonce_in(response: &[u8]) -> String {
    Message::parse(response)
        .unwrap()
        .require::<Nonce<'_>>()
        .unwrap()
        .0
        .to_owned()
}

#[test]
fn memory_per_allocation_at_ten_thousand() {
    #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
    let now = Instant::now();
    let config = ServerConfig {
        realm: "example.org".into(),
        users: [("alice".to_owned(), UserSecret::Password("secret".into()))].into(),
        relay_ips: vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
        min_port: 40000,
        max_port: 60000,
        peer_policy: PeerPolicy {
            allow: vec!["198.51.100.0/24".parse().unwrap()],
            ..Default::default()
        },
        queue_capacity: 16,
        rng_seed: Some([3; 32]),
        wall_clock: SystemTime::UNIX_EPOCH,
        ..Default::default()
    };
    let mut server = TurnServer::new(now, config).unwrap();
    let key = Key::long_term("alice", "example.org", "secret").unwrap();
    let server_addr: SocketAddr = "127.0.0.1:3478".parse().unwrap();
    let peer: SocketAddr = "198.51.100.7:6000".parse().unwrap();
    let mut buf = Vec::new();
    let mut ask = |server: &mut TurnServer, client: SocketAddr, bytes: &[u8]| -> Vec<u8> {
        server.handle_datagram(now, Datagram::udp(client, server_addr, bytes));
        while let Some(SocketRequest::Bind {
            addr, transport, ..
        }) = server.poll_socket_request()
        {
            server.handle_socket_result(
                now,
                SocketResult::Bound {
                    requested: addr,
                    bound: addr,
                    transport,
                },
            );
        }
        buf.clear();
        let _ = server.poll_transmit(now, &mut buf);
        while server.poll_event().is_some() {}
        buf.clone()
    };
    // Nonces are bound to the client's 5-tuple (issue 9): each client takes the 401
    // challenge first (which keeps no state) for a nonce of its own.
    let challenge = request(Method::ALLOCATE, 0, None, &key, |w| {
        w.add(&RequestedTransport::UDP).unwrap()
    });
    let first: SocketAddr = "192.0.2.1:1".parse().unwrap();
    let _ = nonce_in(&ask(&mut server, first, &challenge));

    let client = |i: u32| SocketAddr::new(IpAddr::V4(Ipv4Addr::from(0x0A00_0000 + i)), 5000);
    let before = wren_alloc_count::live_bytes();
    for i in 1..=ALLOCATIONS {
        let nonce = nonce_in(&ask(&mut server, client(i), &challenge));
        let ok = ask(
            &mut server,
            client(i),
            &request(Method::ALLOCATE, i, Some(&nonce), &key, |w| {
                w.add(&RequestedTransport::UDP).unwrap()
            }),
        );
        assert_eq!(Message::parse(&ok).unwrap().class(), Class::SuccessResponse);
        let ok = ask(
            &mut server,
            client(i),
            &request(Method::CHANNEL_BIND, i, Some(&nonce), &key, |w| {
                w.add(&ChannelNumber(0x4000)).unwrap();
                w.add(&XorPeerAddress(peer)).unwrap();
            }),
        );
        assert_eq!(Message::parse(&ok).unwrap().class(), Class::SuccessResponse);
    }
    let after = wren_alloc_count::live_bytes();
    assert_eq!(server.stats().allocations, u64::from(ALLOCATIONS));
    assert_eq!(server.stats().channels, u64::from(ALLOCATIONS));
    let per = (after - before) / i64::from(ALLOCATIONS);
    println!(
        "memory per allocation (with one permission and one channel) at {ALLOCATIONS}: {per} bytes"
    );
    // The budget: well under coturn's footprint, and a regression guard.
    assert!(per < 2048, "{per} bytes per allocation");
}
