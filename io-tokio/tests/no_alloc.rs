//! The steady state allocates nothing per datagram or per TCP message on the driver's
//! thread: a counting allocator, read by a machine that itself never allocates
//! (`wren_core::testing::Reflect`). The machine keeps a far deadline armed, so the sleep of
//! every turn is a real timer.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use wren_alloc_count::allocations;
use wren_core::testing::Reflect;
use wren_tokio::Driver;

#[global_allocator]
static GLOBAL: wren_alloc_count::Counting = wren_alloc_count::Counting;

#[test]
fn steady_state_udp_and_tcp_allocate_nothing_per_message() {
    const WARM_UP: usize = 64;
    const ROUNDS: usize = 40;
    const BURST: usize = 16;
    let (addrs_tx, addrs_rx) = std::sync::mpsc::channel::<(SocketAddr, SocketAddr)>();
    let (stop, stopped) = oneshot::channel::<()>();
    // The driver on a current-thread runtime of its own thread, so the counter is its own.
    let driver_thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            addrs_tx
                .send((udp.local_addr().unwrap(), tcp.local_addr().unwrap()))
                .unwrap();
            // A far deadline, so that the sleep of every turn is a real timer.
            let machine = Reflect::new(allocations).keep_deadline(Duration::from_secs(3600));
            let driver = Driver::new(machine)
                .udp(udp)
                .unwrap()
                .tcp_listener(tcp)
                .unwrap();
            let stats = driver.stats();
            let (_commands, commands_rx) = mpsc::channel(1);
            let (events, _events_rx) = mpsc::channel(1);
            let machine = driver
                .run(commands_rx, events, async move {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
            (machine, stats.get())
        })
    });
    let (udp_addr, tcp_addr) = addrs_rx.recv_timeout(Duration::from_secs(5)).unwrap();

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
    stop.send(()).unwrap();
    let (machine, stats) = driver_thread.join().unwrap();
    let seen = machine.seen();
    assert_eq!(seen.len(), ROUNDS * (BURST + 3), "{stats:?}");
    let (warm, last) = (seen[WARM_UP], seen[seen.len() - 1]);
    assert_eq!(
        last - warm,
        0,
        "the driver's thread allocated {} times in {} messages after warm-up",
        last - warm,
        seen.len() - WARM_UP
    );
}

#[test]
fn steady_state_on_a_socket_bound_for_the_machine_allocates_nothing_per_datagram() {
    // tokio allocates its list of deferred wakers the first time a task runs out of its
    // cooperative budget (128 operations in one poll), once per runtime: the warm-up makes
    // sure that happens before counting, with a burst that waits in the socket while the
    // runtime's thread is held.
    const WARM_BURST: usize = 100;
    const ROUNDS: usize = 40;
    const BURST: usize = 16;
    const WARM_UP: usize = WARM_BURST + BURST;
    let (stop, stopped) = oneshot::channel::<()>();
    let (events, mut events_rx) = mpsc::channel(1);
    let (hold, held) = oneshot::channel::<()>();
    let (holding_tx, holding) = std::sync::mpsc::channel::<()>();
    // The driver on a current-thread runtime of its own thread, so the counter is its own:
    // the reactor's wake of a socket's waker, the ready queue and the read all run there.
    let driver_thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.spawn(async move {
            if held.await.is_ok() {
                let _ = holding_tx.send(());
                std::thread::sleep(Duration::from_millis(300));
            }
        });
        rt.block_on(async move {
            let machine = Reflect::new(allocations)
                .keep_deadline(Duration::from_secs(3600))
                .bind("127.0.0.1:0".parse().unwrap());
            let driver = Driver::new(machine);
            let stats = driver.stats();
            let (_commands, commands_rx) = mpsc::channel(1);
            let machine = driver
                .run(commands_rx, events, async move {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
            (machine, stats.get())
        })
    });
    let relay: SocketAddr = events_rx.blocking_recv().expect("the bound address");

    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 256];
    hold.send(()).unwrap();
    holding
        .recv_timeout(Duration::from_secs(5))
        .expect("the runtime's thread is held");
    for i in 0..WARM_BURST {
        client.send_to(&[i as u8; 48], relay).unwrap();
    }
    for _ in 0..WARM_BURST {
        let (n, from) = client.recv_from(&mut buf).unwrap();
        assert_eq!((n, from), (48, relay));
    }
    for _ in 0..ROUNDS {
        for i in 0..BURST {
            client.send_to(&[i as u8; 48], relay).unwrap();
        }
        for _ in 0..BURST {
            let (n, from) = client.recv_from(&mut buf).unwrap();
            assert_eq!((n, from), (48, relay));
        }
    }
    stop.send(()).unwrap();
    let (machine, stats) = driver_thread.join().unwrap();
    let seen = machine.seen();
    assert_eq!(seen.len(), WARM_BURST + ROUNDS * BURST, "{stats:?}");
    assert_eq!(stats.sockets_bound, 1);
    let (warm, last) = (seen[WARM_UP], seen[seen.len() - 1]);
    assert_eq!(
        last - warm,
        0,
        "the driver's thread allocated {} times in {} datagrams after warm-up",
        last - warm,
        seen.len() - WARM_UP
    );
}
