//! Counting-allocator proof: once connected, an application data record costs no
//! allocation either way: `Endpoint::send_into` writes the sealed record into the caller's
//! buffer and `Endpoint::receive` opens it into another. 10,000 records each way after
//! warm-up.
#![allow(clippy::disallowed_methods)] // the anchor of a virtual clock

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wren_alloc_count::allocations_during;
use wren_core::{Datagram, Machine};
use wren_dtls::endpoint::{Config, Endpoint, Event, Received, Role};
use wren_dtls::identity::Identity;

#[global_allocator]
static GLOBAL: wren_alloc_count::Counting = wren_alloc_count::Counting;

const RECORDS: usize = 10_000;

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

#[test]
fn application_data_records_allocate_nothing_either_way() {
    let (c_addr, s_addr) = (addr("10.0.0.1:5000"), addr("10.0.0.2:6000"));
    let (c_id, s_id) = (
        Arc::new(Identity::generate().unwrap()),
        Arc::new(Identity::generate().unwrap()),
    );
    let mut now = Instant::now();
    let mut cc = Config::new(Role::Client { peer: s_addr }, Arc::clone(&c_id));
    cc.peer_fingerprints = Some(vec![s_id.fingerprint().clone()]);
    let mut sc = Config::new(Role::Server, Arc::clone(&s_id));
    sc.peer_fingerprints = Some(vec![c_id.fingerprint().clone()]);
    let mut eps = [Endpoint::new(now, cc), Endpoint::new(now, sc)];
    let addrs = [c_addr, s_addr];
    let mut buf = Vec::new();
    for _ in 0..20 {
        for i in 0..2 {
            while eps[i].poll_transmit(now, &mut buf).is_some() {
                let d = Datagram::udp(addrs[i], addrs[1 - i], &buf);
                eps[1 - i].handle_datagram(now, d);
            }
        }
    }
    for ep in &mut eps {
        assert!(ep.is_connected());
        while let Some(e) = ep.poll_event() {
            assert!(matches!(e, Event::Connected { .. }), "{e:?}");
        }
    }

    let payload = vec![0x5a; 1100];
    let (mut tx, mut rx) = (Vec::with_capacity(1200), Vec::with_capacity(1200));
    let mut one = |eps: &mut [Endpoint; 2], from: usize, now: Instant| {
        let t = eps[from].send_into(&payload, &mut tx).unwrap();
        assert_eq!(t.destination, addrs[1 - from]);
        let d = Datagram::udp(addrs[from], addrs[1 - from], &tx);
        assert_eq!(eps[1 - from].receive(now, d, &mut rx), Received::Data);
        assert_eq!(rx, payload);
    };
    for _ in 0..100 {
        one(&mut eps, 0, now);
        one(&mut eps, 1, now);
    }
    let allocations = allocations_during(|| {
        for _ in 0..RECORDS {
            now += Duration::from_micros(10);
            one(&mut eps, 0, now);
            one(&mut eps, 1, now);
        }
    });
    assert_eq!(
        allocations, 0,
        "allocations over {RECORDS} records each way"
    );

    // A replayed record is dropped, and nothing else came out as an event.
    let _ = eps[0].send_into(b"x", &mut tx).unwrap();
    let replay = tx.clone();
    let d2 = Datagram::udp(addrs[0], addrs[1], &replay);
    assert_eq!(eps[1].receive(now, d2, &mut rx), Received::Data);
    let d3 = Datagram::udp(addrs[0], addrs[1], &replay);
    assert_eq!(eps[1].receive(now, d3, &mut rx), Received::Dropped);
    assert!(eps[0].poll_event().is_none() && eps[1].poll_event().is_none());
}
