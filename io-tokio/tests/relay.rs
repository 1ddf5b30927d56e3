//! Sockets bound at the machine's request (a TURN server's relayed addresses), on loopback
//! only (127.0.0.1 and [::1]), with the echo machine: it asks for them on a command,
//! reports the answer as an event, and echoes what arrives on them from them.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout};
use wren_core::testing::{Command, Echo, Event, reversed};
use wren_core::{BindError, SocketOptions, Transport};
use wren_io::testing::quiet_addrs;
use wren_tokio::{Driver, DriverError, Stats, StatsHandle};

/// Every wait in these tests is bounded by this.
const LIMIT: Duration = Duration::from_secs(5);
/// How long a datagram that must not come is waited for.
const SILENCE: Duration = Duration::from_millis(300);

/// A driver running on its own task, and the test's ends of its channels.
struct Running {
    commands: mpsc::Sender<Command>,
    events: mpsc::Receiver<Event>,
    stop: oneshot::Sender<()>,
    stats: StatsHandle,
    task: JoinHandle<Result<Echo, DriverError>>,
}

impl Running {
    fn start(driver: Driver<Echo>) -> Running {
        let (commands, commands_rx) = mpsc::channel(64);
        let (events_tx, events) = mpsc::channel(1024);
        let (stop, stopped) = oneshot::channel::<()>();
        let stats = driver.stats();
        let task = tokio::spawn(driver.run(commands_rx, events_tx, async move {
            let _ = stopped.await;
        }));
        Running {
            commands,
            events,
            stop,
            stats,
            task,
        }
    }

    async fn command(&self, cmd: Command) {
        self.commands.send(cmd).await.unwrap();
    }

    async fn event(&mut self) -> Event {
        timeout(LIMIT, self.events.recv())
            .await
            .expect("an event in time")
            .expect("driver alive")
    }

    /// Binds a UDP socket for the machine at `addr` and returns the bound address.
    async fn bind(&mut self, addr: &str) -> SocketAddr {
        let requested = addr.parse().unwrap();
        self.command(Command::bind_udp(requested)).await;
        match self.event().await {
            Event::Bound {
                requested: r,
                bound,
            } if r == requested => bound,
            other => panic!("expected Bound for {requested}, got {other:?}"),
        }
    }

    /// Binds a UDP socket for the machine on 127.0.0.1 at a port below the OS's ephemeral
    /// range, so that no other process's bind to port 0 can be given it once it is closed
    /// ([`quiet_addrs`]); a port that is taken is skipped.
    async fn bind_quiet(&mut self) -> SocketAddr {
        for requested in quiet_addrs(Ipv4Addr::LOCALHOST.into()) {
            self.command(Command::bind_udp(requested)).await;
            match self.event().await {
                Event::Bound {
                    requested: r,
                    bound,
                } if r == requested => return bound,
                Event::BindFailed {
                    requested: r,
                    error: BindError::AddrInUse,
                } if r == requested => {}
                other => panic!("expected Bound for {requested}, got {other:?}"),
            }
        }
        panic!("no free port below the ephemeral range");
    }

    /// Asks for a bind that must fail, and returns why.
    async fn bind_failure(&mut self, requested: SocketAddr, transport: Transport) -> BindError {
        self.command(Command::Bind {
            addr: requested,
            transport,
            options: SocketOptions::default(),
        })
        .await;
        match self.event().await {
            Event::BindFailed {
                requested: r,
                error,
            } if r == requested => error,
            other => panic!("expected BindFailed for {requested}, got {other:?}"),
        }
    }

    /// Waits (bounded) until the counters satisfy `ok`.
    async fn stats_until(&self, ok: impl Fn(&Stats) -> bool) -> Stats {
        let start = Instant::now();
        loop {
            let s = self.stats.get();
            if ok(&s) {
                return s;
            }
            assert!(start.elapsed() < LIMIT, "counters never got there: {s:?}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    async fn stop(self) -> Echo {
        self.stop.send(()).unwrap();
        timeout(LIMIT, self.task)
            .await
            .expect("stops in time")
            .unwrap()
            .expect("stops cleanly")
    }
}

async fn recv(sock: &UdpSocket) -> (Vec<u8>, SocketAddr) {
    let mut buf = vec![0; 2048];
    let (n, from) = timeout(LIMIT, sock.recv_from(&mut buf))
        .await
        .expect("datagram in time")
        .unwrap();
    buf.truncate(n);
    (buf, from)
}

#[tokio::test]
async fn a_bound_socket_has_a_real_port_and_echoes_from_its_own_address() {
    // A listening socket too, to show the relayed address is a socket of its own.
    let listening = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let listening_addr = listening.local_addr().unwrap();
    let mut run = Running::start(Driver::new(Echo::default()).udp(listening).unwrap());

    for (any, client_addr) in [("127.0.0.1:0", "127.0.0.1:0"), ("[::1]:0", "[::1]:0")] {
        let relay = run.bind(any).await;
        assert_eq!(relay.ip(), any.parse::<SocketAddr>().unwrap().ip());
        assert_ne!(relay.port(), 0, "the OS chose a port");
        assert_ne!(relay, listening_addr);

        let client = UdpSocket::bind(client_addr).await.unwrap();
        client.send_to(b"via relay", relay).await.unwrap();
        assert_eq!(
            recv(&client).await,
            (reversed(b"via relay"), relay),
            "the echo leaves from the relayed address"
        );
        let expected = Event::Received {
            proto: Transport::Udp,
            source: client.local_addr().unwrap(),
            destination: relay,
            payload: b"via relay".to_vec(),
        };
        assert_eq!(
            run.event().await,
            expected,
            "destination is the bound address"
        );

        // A transmit the machine starts, from the relayed address.
        run.command(Command::Send {
            proto: Transport::Udp,
            from: Some(relay),
            to: client.local_addr().unwrap(),
            payload: b"unprompted".to_vec(),
            segment_size: None,
        })
        .await;
        assert_eq!(recv(&client).await, (b"unprompted".to_vec(), relay));
    }

    // Without a source, a transmit leaves from the application's socket, never a relayed one.
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    run.command(Command::send(
        Transport::Udp,
        client.local_addr().unwrap(),
        b"no source".to_vec(),
    ))
    .await;
    assert_eq!(recv(&client).await, (b"no source".to_vec(), listening_addr));
    let v6 = UdpSocket::bind("[::1]:0").await.unwrap();
    run.command(Command::send(
        Transport::Udp,
        v6.local_addr().unwrap(),
        b"no v6 listening socket".to_vec(),
    ))
    .await;
    let stats = run.stats_until(|s| s.dropped_no_route == 1).await;
    assert_eq!((stats.sockets_bound, stats.bind_failures), (2, 0));
    assert_eq!((stats.datagrams_in, stats.datagrams_out), (2, 5));
    run.stop().await;
}

#[tokio::test]
async fn binds_that_cannot_succeed_are_answered_failed() {
    let mut run = Running::start(Driver::new(Echo::default()).max_bound_sockets(2));

    // An address another socket holds.
    let holder = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let taken = holder.local_addr().unwrap();
    assert_eq!(
        run.bind_failure(taken, Transport::Udp).await,
        BindError::AddrInUse
    );
    // A transport the driver does not bind for the machine.
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    assert_eq!(
        run.bind_failure(any, Transport::Tcp).await,
        BindError::Unsupported
    );
    // Past the driver's bound, until a socket is closed.
    let first = run.bind("127.0.0.1:0").await;
    run.bind("[::1]:0").await;
    assert_eq!(
        run.bind_failure(any, Transport::Udp).await,
        BindError::Exhausted
    );
    run.command(Command::Close(first)).await;
    run.bind("127.0.0.1:0").await;

    let stats = run.stats_until(|s| s.sockets_closed == 1).await;
    assert_eq!((stats.sockets_bound, stats.bind_failures), (3, 3));
    run.stop().await;
}

#[tokio::test]
async fn close_stops_traffic_frees_the_port_and_unknown_closes_are_ignored() {
    let mut run = Running::start(Driver::new(Echo::default()));
    let relay = run.bind_quiet().await;
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    client.send_to(b"before", relay).await.unwrap();
    assert_eq!(recv(&client).await, (reversed(b"before"), relay));
    assert!(matches!(run.event().await, Event::Received { .. }));

    run.command(Command::Close(relay)).await;
    run.stats_until(|s| s.sockets_closed == 1).await;
    // The port is free as soon as the close is counted: it can be bound again, here by
    // the test.
    let again = std::net::UdpSocket::bind(relay).expect("the port is free again after close");
    drop(again);
    // Nothing answers on the closed address (on loopback a datagram to a closed port is
    // refused at once, or dropped: either way no echo within the wait).
    let _ = client.send_to(b"after", relay).await;
    let mut buf = [0u8; 64];
    let echo = timeout(SILENCE, client.recv_from(&mut buf)).await;
    assert!(!matches!(echo, Ok(Ok(_))), "no echo after close: {echo:?}");
    // A transmit from the closed address has no socket left.
    run.command(Command::Send {
        proto: Transport::Udp,
        from: Some(relay),
        to: client.local_addr().unwrap(),
        payload: b"orphan".to_vec(),
        segment_size: None,
    })
    .await;
    // Closing twice, or an address that was never bound, is ignored and counted.
    run.command(Command::Close(relay)).await;
    run.command(Command::Close(client.local_addr().unwrap()))
        .await;
    let stats = run
        .stats_until(|s| s.close_unknown == 2 && s.dropped_no_route == 1)
        .await;
    assert_eq!(
        (
            stats.sockets_bound,
            stats.sockets_closed,
            stats.datagrams_in
        ),
        (1, 1, 1)
    );
    assert!(
        timeout(SILENCE, run.events.recv()).await.is_err(),
        "no datagram reached the machine after close"
    );
    run.stop().await;
}
