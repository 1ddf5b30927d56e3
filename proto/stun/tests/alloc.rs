//! Counting-allocator proof that the hot paths allocate nothing: decoding and verifying a
//! Binding request, and the Binding server answering one into a reused buffer.

use std::time::Instant;

use wren_alloc_count::allocations_during;
use wren_core::{Datagram, Machine};
use wren_stun::server::{Config as ServerConfig, Server as BindingServer};
use wren_stun::{Key, Message, attr, vectors};

#[global_allocator]
static GLOBAL: wren_alloc_count::Counting = wren_alloc_count::Counting;

#[test]
fn decode_and_verify_of_a_binding_request_allocates_nothing() {
    let key = Key::short_term(vectors::PASSWORD).unwrap();
    let n = allocations_during(|| {
        for _ in 0..100 {
            let msg = Message::parse(&vectors::SAMPLE_REQUEST).unwrap();
            msg.verify_fingerprint().unwrap();
            msg.verify_integrity(&key).unwrap();
            let user = msg.require::<attr::Username<'_>>().unwrap();
            assert_eq!(user.0, vectors::USERNAME);
            assert_eq!(
                msg.require::<attr::Priority>().unwrap().0,
                vectors::PRIORITY
            );
        }
    });
    assert_eq!(n, 0, "decode + verify allocated {n} times in 100 rounds");
}

#[test]
fn encoding_into_a_reserved_buffer_allocates_nothing() {
    let key = Key::short_term(vectors::PASSWORD).unwrap();
    let mut buf = Vec::with_capacity(256);
    let n = allocations_during(|| {
        for _ in 0..100 {
            buf.clear();
            let id = wren_stun::TransactionId(vectors::TRANSACTION_ID);
            let mut w = wren_stun::MessageWriter::new(
                &mut buf,
                wren_stun::MessageType::BINDING_REQUEST,
                id,
            );
            w.add(&attr::Software(vectors::SOFTWARE_CLIENT)).unwrap();
            w.add(&attr::Priority(vectors::PRIORITY)).unwrap();
            w.add(&attr::IceControlled(vectors::ICE_CONTROLLED))
                .unwrap();
            w.add(&attr::Username(vectors::USERNAME)).unwrap();
            w.add_message_integrity(&key).unwrap();
            w.add_fingerprint().unwrap();
            w.finish();
        }
    });
    assert_eq!(n, 0, "encoding allocated {n} times in 100 rounds");
}

#[test]
fn binding_server_answers_without_allocating() {
    #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
    let now = Instant::now();
    let mut server = BindingServer::new(ServerConfig {
        software: Some("wren".into()),
        ..Default::default()
    })
    .unwrap();
    let client = "192.0.2.1:5000".parse().unwrap();
    let local = "127.0.0.1:3478".parse().unwrap();
    let mut buf = Vec::with_capacity(1500);
    let answer = |server: &mut BindingServer, buf: &mut Vec<u8>| {
        server.handle_datagram(now, Datagram::udp(client, local, &vectors::SAMPLE_REQUEST));
        buf.clear();
        server.poll_transmit(now, buf).unwrap();
    };
    answer(&mut server, &mut buf); // warm-up
    let n = allocations_during(|| {
        for _ in 0..100 {
            answer(&mut server, &mut buf);
        }
    });
    assert_eq!(
        n, 0,
        "the server allocated {n} times answering 100 requests"
    );
    assert_eq!(server.stats().success, 101);
}

#[test]
fn the_counter_sees_allocations() {
    let n = allocations_during(|| {
        let v = std::hint::black_box(vec![1u8; 64]);
        assert_eq!(v.len(), 64);
    });
    assert!(n >= 1, "the counting allocator must see a Vec allocation");
}
