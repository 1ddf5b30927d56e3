//! A thousand sockets bound at the machine's request, each echoing one datagram, on
//! 127.0.0.1 only. A file of its own, so that its process holds no other test's sockets
//! (1000 descriptors fit under the common limit of 1024). Counts, not timings.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::time::timeout;
use wren_core::testing::{Command, Echo, Event, reversed};
use wren_tokio::Driver;

/// Every wait in this test is bounded by this.
const LIMIT: Duration = Duration::from_secs(10);
const SOCKETS: usize = 1000;

// Two worker threads: the reactor may wake a socket's waker on another thread than the
// driver's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_bound_sockets_each_echo_one_datagram() {
    let driver = Driver::new(Echo::default());
    let stats = driver.stats();
    let (commands, commands_rx) = mpsc::channel(64);
    let (events_tx, mut events) = mpsc::channel(4096);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(driver.run(commands_rx, events_tx, async move {
        let _ = stopped.await;
    }));
    let mut event = async || {
        timeout(LIMIT, events.recv())
            .await
            .expect("an event in time")
            .expect("driver alive")
    };

    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    for _ in 0..SOCKETS {
        commands.send(Command::bind_udp(any)).await.unwrap();
    }
    let mut relays = BTreeSet::new();
    for _ in 0..SOCKETS {
        match event().await {
            Event::Bound { bound, .. } => assert!(relays.insert(bound), "{bound} twice"),
            other => panic!("expected Bound, got {other:?}"),
        }
    }

    // In windows of 50, so that the client's own receive buffer never overflows.
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let relays_in_order: Vec<SocketAddr> = relays.iter().copied().collect();
    let (mut got, mut destinations) = (BTreeSet::new(), BTreeSet::new());
    let mut buf = [0u8; 64];
    for window in relays_in_order.chunks(50) {
        for &relay in window {
            let msg = relay.to_string();
            client.send_to(msg.as_bytes(), relay).await.unwrap();
        }
        for _ in window {
            let (n, from) = timeout(LIMIT, client.recv_from(&mut buf))
                .await
                .expect("every echo in time")
                .unwrap();
            // Each relayed address echoes its own address, reversed, from itself.
            assert_eq!(buf[..n], reversed(from.to_string().as_bytes()));
            assert!(got.insert(from), "two echoes from {from}");
        }
        for _ in window {
            match event().await {
                Event::Received { destination, .. } => {
                    destinations.insert(destination);
                }
                other => panic!("expected Received, got {other:?}"),
            }
        }
    }
    assert_eq!(got, relays, "one echo from each relayed address");
    assert_eq!(destinations, relays);

    for &relay in &relays {
        commands.send(Command::Close(relay)).await.unwrap();
    }
    for _ in 0..1000 {
        if stats.get().sockets_closed == SOCKETS as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.send(()).unwrap();
    let machine = timeout(LIMIT, task).await.unwrap().unwrap().unwrap();
    let stats = stats.get();
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
