//! The steady state allocates nothing per datagram or per TCP message on the driver's
//! thread: a counting allocator, read by a machine that itself never allocates
//! (`wren_core::testing::Reflect`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::time::Duration;

use wren_alloc_count::allocations;
use wren_core::testing::Reflect;
use wren_mio::Driver;

#[global_allocator]
static GLOBAL: wren_alloc_count::Counting = wren_alloc_count::Counting;

#[test]
fn steady_state_udp_and_tcp_allocate_nothing_per_message() {
    const WARM_UP: usize = 64;
    const ROUNDS: usize = 40;
    const BURST: usize = 16;
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let (udp_addr, tcp_addr) = (udp.local_addr().unwrap(), listener.local_addr().unwrap());
    let machine = Reflect::new(allocations);
    let driver = Driver::new(machine)
        .unwrap()
        .udp(udp)
        .unwrap()
        .tcp_listener(listener)
        .unwrap();
    let handle = driver.handle();
    let thread = driver.spawn(|_| {}).unwrap();

    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut stream = TcpStream::connect(tcp_addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let stun = [
        0u8, 1, 0, 4, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0xde, 0xad,
        0xbe, 0xef,
    ];
    let mut buf = [0u8; 256];
    // Bursts of UDP datagrams (so that recvmmsg/sendmmsg carry several) and TCP messages
    // (several per read, one split across two writes).
    for _ in 0..ROUNDS {
        for i in 0..BURST {
            client.send_to(&[i as u8; 48], udp_addr).unwrap();
        }
        for _ in 0..BURST {
            let (n, _) = client.recv_from(&mut buf).unwrap();
            assert_eq!(n, 48);
        }
        let mut three = stun.repeat(3);
        stream.write_all(&three[..30]).unwrap();
        stream.write_all(&three[30..]).unwrap();
        stream.read_exact(&mut three).unwrap();
        assert_eq!(three, stun.repeat(3));
    }
    handle.shutdown();
    let machine = thread.join().unwrap().unwrap();
    let seen = machine.seen();
    assert_eq!(seen.len(), ROUNDS * (BURST + 3));
    let (warm, last) = (seen[WARM_UP], seen[seen.len() - 1]);
    assert_eq!(
        last - warm,
        0,
        "the driver's thread allocated {} times in {} messages after warm-up",
        last - warm,
        seen.len() - WARM_UP
    );
    let stats = handle.stats();
    assert!(stats.batches_in < stats.datagrams_in, "{stats:?}");
}

#[test]
fn steady_state_on_a_socket_bound_for_the_machine_allocates_nothing_per_datagram() {
    const WARM_UP: usize = 64;
    const ROUNDS: usize = 40;
    const BURST: usize = 16;
    let machine = Reflect::new(allocations).bind("127.0.0.1:0".parse().unwrap());
    let driver = Driver::new(machine).unwrap();
    let handle = driver.handle();
    let (bound_tx, bound_rx) = std::sync::mpsc::channel();
    let thread = driver
        .spawn(move |bound| {
            let _ = bound_tx.send(bound);
        })
        .unwrap();
    let relay = bound_rx
        .recv_timeout(Duration::from_secs(5))
        .expect("bound in time");

    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 256];
    for _ in 0..ROUNDS {
        for i in 0..BURST {
            client.send_to(&[i as u8; 48], relay).unwrap();
        }
        for _ in 0..BURST {
            let (n, from) = client.recv_from(&mut buf).unwrap();
            assert_eq!((n, from), (48, relay));
        }
    }
    handle.shutdown();
    let machine = thread.join().unwrap().unwrap();
    let seen = machine.seen();
    assert_eq!(seen.len(), ROUNDS * BURST);
    let (warm, last) = (seen[WARM_UP], seen[seen.len() - 1]);
    assert_eq!(
        last - warm,
        0,
        "the driver's thread allocated {} times in {} datagrams after warm-up",
        last - warm,
        seen.len() - WARM_UP
    );
    assert_eq!(handle.stats().sockets_bound, 1);
}
