//! A thousand sockets bound at the machine's request, each echoing one datagram, on
//! 127.0.0.1 only. A file of its own, so that its process holds no other test's sockets
//! (1000 descriptors fit under the common limit of 1024). Counts, not timings.

use std::collections::BTreeSet;
use std::net::{SocketAddr, UdpSocket};
use std::sync::mpsc;
use std::time::Duration;

use wren_core::testing::{Command, Echo, Event, reversed};
use wren_mio::Driver;

/// Every wait in this test is bounded by this.
const LIMIT: Duration = Duration::from_secs(10);
const SOCKETS: usize = 1000;

#[test]
fn a_thousand_bound_sockets_each_echo_one_datagram() {
    let driver = Driver::new(Echo::default()).unwrap();
    let handle = driver.handle();
    let (tx, events) = mpsc::channel();
    let thread = driver
        .spawn(move |e| {
            let _ = tx.send(e);
        })
        .unwrap();
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    for _ in 0..SOCKETS {
        handle.send(Command::bind_udp(any)).unwrap();
    }
    let mut relays = BTreeSet::new();
    for _ in 0..SOCKETS {
        match events.recv_timeout(LIMIT).expect("an answer in time") {
            Event::Bound { bound, .. } => assert!(relays.insert(bound), "{bound} twice"),
            other => panic!("expected Bound, got {other:?}"),
        }
    }
    assert_eq!(relays.len(), SOCKETS);

    // In windows of 50, so that the client's own receive buffer never overflows.
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client.set_read_timeout(Some(LIMIT)).unwrap();
    let relays_in_order: Vec<SocketAddr> = relays.iter().copied().collect();
    let mut got = BTreeSet::new();
    let mut buf = [0u8; 64];
    for window in relays_in_order.chunks(50) {
        for &relay in window {
            client.send_to(relay.to_string().as_bytes(), relay).unwrap();
        }
        for _ in window {
            let (n, from) = client.recv_from(&mut buf).expect("every echo in time");
            // Each relayed address echoes its own address, reversed, from itself.
            assert_eq!(buf[..n], reversed(from.to_string().as_bytes()));
            assert!(got.insert(from), "two echoes from {from}");
        }
    }
    assert_eq!(got, relays, "one echo from each relayed address");

    let mut destinations = BTreeSet::new();
    while destinations.len() < SOCKETS {
        match events.recv_timeout(LIMIT).expect("every datagram reported") {
            Event::Received { destination, .. } => {
                destinations.insert(destination);
            }
            other => panic!("expected Received, got {other:?}"),
        }
    }
    assert_eq!(destinations, relays);

    for &relay in &relays {
        handle.send(Command::Close(relay)).unwrap();
    }
    for _ in 0..1000 {
        if handle.stats().sockets_closed == SOCKETS as u64 {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    handle.shutdown();
    let machine = thread.join().unwrap().unwrap();
    let stats = handle.stats();
    assert_eq!(machine.received, SOCKETS);
    assert_eq!(
        (
            stats.sockets_bound,
            stats.sockets_closed,
            stats.bind_failures
        ),
        (SOCKETS as u64, SOCKETS as u64, 0),
        "{stats:?}"
    );
    assert_eq!(
        (stats.datagrams_in, stats.datagrams_out),
        (SOCKETS as u64, SOCKETS as u64),
        "{stats:?}"
    );
}
