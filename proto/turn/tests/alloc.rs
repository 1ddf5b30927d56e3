//! Counting-allocator proof: relaying ChannelData (client -> peer and peer -> client)
//! allocates nothing per packet in steady state.

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use wren_alloc_count::allocations_during;
use wren_core::{Datagram, Machine, SocketRequest, SocketResult};
use wren_stun::attr::{
    ChannelNumber, Nonce, Realm, RequestedTransport, Username, XorPeerAddress, XorRelayedAddress,
};
use wren_stun::{Class, Key, Message, MessageType, MessageWriter, Method, TransactionId};
use wren_turn::server::{Config as ServerConfig, PeerPolicy, Server as TurnServer, UserSecret};
use wren_turn::{ChannelData, ChannelNumber as Ch};

#[global_allocator]
static GLOBAL: wren_alloc_count::Counting = wren_alloc_count::Counting;

const SERVER: &str = "127.0.0.1:3478";
const CLIENT: &str = "192.0.2.10:50000";
const PEER: &str = "198.51.100.7:6000";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn request(
    method: Method,
    nonce: Option<&str>,
    key: &Key,
    build: impl FnOnce(&mut MessageWriter<'_>),
) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut w = MessageWriter::new(
        &mut buf,
        MessageType::new(Class::Request, method),
        TransactionId([method.number() as u8; 12]),
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

/// Feeds one datagram, binds sockets asked for, returns the first datagram sent.
fn exchange(
    server: &mut TurnServer,
    now: Instant,
    from: SocketAddr,
    to: SocketAddr,
    bytes: &[u8],
) -> Vec<u8> {
    server.handle_datagram(now, Datagram::udp(from, to, bytes));
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
    let mut buf = Vec::new();
    let _ = server.poll_transmit(now, &mut buf).expect("a response");
    buf
}

#[test]
fn relaying_channel_data_allocates_nothing_per_packet() {
    #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
    let now = Instant::now();
    let config = ServerConfig {
        realm: "example.org".into(),
        users: [("alice".to_owned(), UserSecret::Password("secret".into()))].into(),
        relay_ips: vec!["127.0.0.1".parse().unwrap()],
        peer_policy: PeerPolicy {
            allow: vec!["198.51.100.0/24".parse().unwrap()],
            ..Default::default()
        },
        rng_seed: Some([2; 32]),
        wall_clock: SystemTime::UNIX_EPOCH,
        ..Default::default()
    };
    let mut server = TurnServer::new(now, config).unwrap();
    let key = Key::long_term("alice", "example.org", "secret").unwrap();
    let udp = |w: &mut MessageWriter<'_>| w.add(&RequestedTransport::UDP).unwrap();
    let challenge = exchange(
        &mut server,
        now,
        addr(CLIENT),
        addr(SERVER),
        &request(Method::ALLOCATE, None, &key, udp),
    );
    let nonce = Message::parse(&challenge)
        .unwrap()
        .require::<Nonce<'_>>()
        .unwrap()
        .0
        .to_owned();
    let ok = exchange(
        &mut server,
        now,
        addr(CLIENT),
        addr(SERVER),
        &request(Method::ALLOCATE, Some(&nonce), &key, udp),
    );
    let relayed = Message::parse(&ok)
        .unwrap()
        .require::<XorRelayedAddress>()
        .unwrap()
        .0;
    let bound = exchange(
        &mut server,
        now,
        addr(CLIENT),
        addr(SERVER),
        &request(Method::CHANNEL_BIND, Some(&nonce), &key, |w| {
            w.add(&ChannelNumber(0x4000)).unwrap();
            w.add(&XorPeerAddress(addr(PEER))).unwrap();
        }),
    );
    assert_eq!(
        Message::parse(&bound).unwrap().class(),
        Class::SuccessResponse
    );

    let mut to_peer = Vec::new();
    ChannelData::write(&mut to_peer, Ch::new(0x4000).unwrap(), &[0x5a; 1200], false).unwrap();
    let from_peer = vec![0xa5u8; 1200];
    // The driver's one send buffer, reused across calls as wren-mio and wren-tokio do.
    let mut tx = Vec::with_capacity(1500);
    let relay = |server: &mut TurnServer, t: Instant, tx: &mut Vec<u8>| {
        server.handle_datagram(t, Datagram::udp(addr(CLIENT), addr(SERVER), &to_peer));
        tx.clear();
        let out = server.poll_transmit(t, tx).expect("relayed to the peer");
        assert_eq!((out.destination, tx.len()), (addr(PEER), 1200));
        server.handle_datagram(t, Datagram::udp(addr(PEER), relayed, &from_peer));
        tx.clear();
        let out = server.poll_transmit(t, tx).expect("relayed to the client");
        assert_eq!((out.destination, tx.len()), (addr(CLIENT), 1204));
    };
    for _ in 0..10 {
        relay(&mut server, now, &mut tx); // warm-up: the buffer pool fills
    }
    let n = allocations_during(|| {
        for i in 0..1000u64 {
            relay(&mut server, now + Duration::from_millis(i), &mut tx);
        }
    });
    assert_eq!(
        n, 0,
        "relaying 2000 ChannelData packets allocated {n} times"
    );
    assert_eq!(server.stats().packets_to_peers, 1010);
    assert_eq!(server.stats().packets_to_clients, 1010);
}

#[test]
fn the_counter_sees_allocations() {
    let n = allocations_during(|| {
        let v = std::hint::black_box(vec![1u8; 64]);
        assert_eq!(v.len(), 64);
    });
    assert!(n >= 1);
}
