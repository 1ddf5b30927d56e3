//! The TURN client's send path allocates nothing in steady state: `send` + `poll_transmit`
//! and `send_into`, as ChannelData and as Send indications, counted by a counting allocator
//! on this thread. A minimal responder (401 challenge, then success) stands in for the
//! server.

use std::net::SocketAddr;
use std::time::Instant;

use wren_alloc_count::allocations;
use wren_core::{Datagram, Machine, Transport};
use wren_stun::attr::{ErrorCode, ErrorCodeValue, Lifetime, Nonce, Realm, XorRelayedAddress};
use wren_stun::{Class, Key, Message, MessageWriter};
use wren_turn::client::{Client as TurnClient, Config as TurnClientConfig, Event};

#[global_allocator]
static GLOBAL: wren_alloc_count::Counting = wren_alloc_count::Counting;

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// Answers a request: 401 with a challenge when unsigned, success (signed) otherwise.
fn answer(request: &[u8], key: &Key) -> Option<Vec<u8>> {
    let req = Message::parse(request).ok()?;
    if req.class() != Class::Request {
        return None;
    }
    let mut out = Vec::new();
    if req.integrity_offset().is_none() {
        let typ = req.message_type().with_class(Class::ErrorResponse);
        let mut w = MessageWriter::new(&mut out, typ, req.transaction_id());
        w.add(&ErrorCode::from_code(ErrorCodeValue::UNAUTHENTICATED))
            .unwrap();
        w.add(&Realm("example.org")).unwrap();
        w.add(&Nonce("n")).unwrap();
        w.finish();
        return Some(out);
    }
    let typ = req.message_type().with_class(Class::SuccessResponse);
    let mut w = MessageWriter::new(&mut out, typ, req.transaction_id());
    w.add(&XorRelayedAddress(addr("192.0.2.1:49152"))).unwrap();
    w.add(&Lifetime(std::time::Duration::from_secs(600)))
        .unwrap();
    w.add_message_integrity(key).unwrap();
    w.finish();
    Some(out)
}

#[test]
fn steady_state_sending_allocates_nothing() {
    #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
    let now = Instant::now();
    let server = addr("192.0.2.1:3478");
    let local = addr("10.0.0.2:5000");
    let key = Key::long_term("test", "example.org", "secret").unwrap();
    let mut config = TurnClientConfig::new(server, Transport::Udp, "test", "secret");
    config.auto_channel = false;
    config.rng_seed = Some([1; 32]);
    let mut client = TurnClient::new(now, config);

    let with_channel = addr("198.51.100.1:1000");
    let with_indications = addr("198.51.100.2:2000");
    client.allocate(now).unwrap();
    client.bind_channel(now, with_channel).unwrap();
    client.add_permission(now, with_indications.ip()).unwrap();
    let mut buf = Vec::with_capacity(2048);
    // Set up: answer every request until nothing more goes out.
    for _ in 0..20 {
        buf.clear();
        let Some(_) = client.poll_transmit(now, &mut buf) else {
            break;
        };
        if let Some(reply) = answer(&buf, &key) {
            client.handle_datagram(now, Datagram::udp(server, local, &reply));
        }
    }
    let mut events = Vec::new();
    while let Some(e) = client.poll_event() {
        events.push(e);
    }
    assert!(client.channel(with_channel).is_some(), "{events:?}");
    assert!(client.has_permission(with_indications.ip()), "{events:?}");
    assert!(matches!(events[0], Event::Allocated { .. }));

    let data = [0x5a_u8; 1200];
    let round = |client: &mut TurnClient, buf: &mut Vec<u8>| {
        for peer in [with_channel, with_indications] {
            client.send(now, peer, &data).unwrap();
            buf.clear();
            let t = client.poll_transmit(now, buf).expect("sent at once");
            assert_eq!(t.destination, server);
            assert!(buf.len() >= data.len());
            buf.clear();
            let t = client.send_into(now, peer, &data, buf).unwrap();
            assert!(t.is_some(), "written straight into the buffer");
        }
    };
    // Warm up: the queue's buffers and the caller's buffer reach their size.
    for _ in 0..8 {
        round(&mut client, &mut buf);
    }
    let probe = allocations();
    drop(std::hint::black_box(vec![0u8; 64]));
    assert_eq!(allocations(), probe + 1, "the counter counts this thread");
    let before = allocations();
    for _ in 0..1000 {
        round(&mut client, &mut buf);
    }
    let after = allocations();
    assert_eq!(after - before, 0, "allocations in 4000 sends");
    let stats = client.stats();
    assert_eq!(stats.channel_data_sent, 2 * 1008);
    assert_eq!(stats.indications_sent, 2 * 1008);
}
