//! Loopback smoke tests of the tokio driver with the echo machine (127.0.0.1 and [::1] only).

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout};
use wren_core::Transport;
use wren_core::framing::Framing;
use wren_core::testing::{Command, Echo, Event, channel_data, reversed, stun};
use wren_tokio::{Driver, DriverError, Stats, StatsHandle};

/// Every wait in these tests is bounded by this.
const LIMIT: Duration = Duration::from_secs(5);

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

async fn read_exactly(stream: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    timeout(LIMIT, stream.read_exact(&mut buf))
        .await
        .expect("reply in time")
        .unwrap();
    buf
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
async fn udp_round_trip_on_v4_and_v6_then_shutdown_returns_the_machine() {
    let v4 = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let v6 = UdpSocket::bind("[::1]:0").await.unwrap();
    let (a4, a6) = (v4.local_addr().unwrap(), v6.local_addr().unwrap());
    let mut run = Running::start(
        Driver::new(Echo::default())
            .udp(v4)
            .unwrap()
            .udp(v6)
            .unwrap(),
    );

    for (server, client_addr) in [(a4, "127.0.0.1:0"), (a6, "[::1]:0")] {
        let client = UdpSocket::bind(client_addr).await.unwrap();
        client.send_to(b"hello", server).await.unwrap();
        assert_eq!(
            recv(&client).await,
            (b"olleh".to_vec(), server),
            "the reply leaves from the socket it came in on"
        );
        let expected = Event::Received {
            proto: Transport::Udp,
            source: client.local_addr().unwrap(),
            destination: server,
            payload: b"hello".to_vec(),
        };
        assert_eq!(run.event().await, expected);
    }

    let stats = run.stats.get();
    assert_eq!((stats.datagrams_in, stats.datagrams_out), (2, 2));
    let machine = run.stop().await;
    assert_eq!(machine.received, 2);
}

#[tokio::test]
async fn udp_segments_are_sent_one_datagram_each_and_unroutable_sources_are_counted() {
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let server = sock.local_addr().unwrap();
    let run = Running::start(Driver::new(Echo::default()).udp(sock).unwrap());
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let to = client.local_addr().unwrap();

    let payload = b"abcdefghij".to_vec();
    run.command(Command::Send {
        proto: Transport::Udp,
        from: None,
        to,
        payload,
        segment_size: Some(4),
    })
    .await;
    for want in [&b"abcd"[..], b"efgh", b"ij"] {
        assert_eq!(recv(&client).await, (want.to_vec(), server));
    }

    let stranger: SocketAddr = "127.0.0.2:9".parse().unwrap();
    let payload = b"x".to_vec();
    run.command(Command::Send {
        proto: Transport::Udp,
        from: Some(stranger),
        to,
        payload,
        segment_size: None,
    })
    .await;
    run.stats_until(|s| s.dropped_no_route == 1).await;
    assert_eq!(run.stats.get().datagrams_out, 3);
    run.stop().await;
}

#[tokio::test]
async fn tcp_listener_frames_coalesced_and_split_messages() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = listener.local_addr().unwrap();
    let mut run = Running::start(Driver::new(Echo::default()).tcp_listener(listener).unwrap());
    let mut client = TcpStream::connect(server).await.unwrap();

    // Two messages in one write (a STUN message and a ChannelData message, padded 5 -> 8),
    // followed by the first 10 bytes of a third.
    let (a, b, c) = (
        stun(8, 0xaa),
        channel_data(&[1, 2, 3, 4, 5]),
        stun(12, 0xcc),
    );
    let mut first = a.clone();
    first.extend_from_slice(&b);
    first.extend_from_slice(&[0, 0, 0]);
    first.extend_from_slice(&c[..10]);
    client.write_all(&first).await.unwrap();
    let mut want = reversed(&a);
    want.extend(reversed(&b));
    assert_eq!(read_exactly(&mut client, want.len()).await, want);

    // The rest of the third, in a second write after the round trip above.
    client.write_all(&c[10..]).await.unwrap();
    assert_eq!(read_exactly(&mut client, c.len()).await, reversed(&c));

    let me = client.local_addr().unwrap();
    for msg in [a, b, c] {
        let expected = Event::Received {
            proto: Transport::Tcp,
            source: me,
            destination: server,
            payload: msg,
        };
        assert_eq!(run.event().await, expected);
    }
    let stats = run.stats.get();
    assert_eq!(
        (stats.tcp_accepted, stats.frames_in, stats.frames_out),
        (1, 3, 3)
    );

    drop(client);
    run.stats_until(|s| s.tcp_closed == 1).await;
    run.stop().await;
}

#[tokio::test]
async fn rfc4571_framing_adds_and_strips_the_length_prefix() {
    let listener = TcpListener::bind("[::1]:0").await.unwrap();
    let server = listener.local_addr().unwrap();
    let driver = Driver::new(Echo::default())
        .tcp_listener(listener)
        .unwrap()
        .framing(Framing::Rfc4571);
    let mut run = Running::start(driver);
    let mut client = TcpStream::connect(server).await.unwrap();

    client
        .write_all(&[0, 3, b'a', b'b', b'c', 0, 2, b'x'])
        .await
        .unwrap();
    client.write_all(b"y").await.unwrap();
    assert_eq!(
        read_exactly(&mut client, 9).await,
        [0, 3, b'c', b'b', b'a', 0, 2, b'y', b'x']
    );
    assert!(matches!(run.event().await, Event::Received { payload, .. } if payload == b"abc"));
    run.stop().await;
}

#[tokio::test]
async fn a_tcp_transmit_opens_a_connection_and_replies_come_back() {
    let peer = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let peer_addr = peer.local_addr().unwrap();
    let mut run = Running::start(Driver::new(Echo::default()));

    let request = stun(4, 0x11);
    run.command(Command::send(Transport::Tcp, peer_addr, request.clone()))
        .await;
    let (mut conn, driver_addr) = timeout(LIMIT, peer.accept())
        .await
        .expect("connects in time")
        .unwrap();
    assert_eq!(read_exactly(&mut conn, request.len()).await, request);

    let response = stun(0, 0x22);
    conn.write_all(&response).await.unwrap();
    let expected = Event::Received {
        proto: Transport::Tcp,
        source: peer_addr,
        destination: driver_addr,
        payload: response.clone(),
    };
    assert_eq!(run.event().await, expected);
    assert_eq!(
        read_exactly(&mut conn, response.len()).await,
        reversed(&response)
    );
    assert_eq!(run.stats.get().tcp_connected, 1);
    run.stop().await;
}

#[tokio::test]
async fn a_failed_connect_drops_and_counts_the_transmit() {
    // A port that was just free on loopback: connecting to it is refused.
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let run = Running::start(Driver::new(Echo::default()));
    run.command(Command::send(Transport::Tcp, closed, stun(0, 1)))
        .await;
    let stats = run.stats_until(|s| s.tcp_closed == 1).await;
    assert_eq!((stats.dropped_no_route, stats.tcp_connected), (1, 0));

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let run2 = Running::start(
        Driver::new(Echo::default())
            .tcp_connect(false)
            .tcp_listener(listener)
            .unwrap(),
    );
    run2.command(Command::send(Transport::Tcp, closed, stun(0, 1)))
        .await;
    run2.stats_until(|s| s.dropped_no_route == 1).await;
    run.stop().await;
    run2.stop().await;
}

#[tokio::test]
async fn garbage_and_overflow_close_the_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = listener.local_addr().unwrap();
    let run = Running::start(
        Driver::new(Echo::default())
            .tcp_listener(listener)
            .unwrap()
            .tcp_buffer_limit(64),
    );

    // RTP is not STUN or ChannelData: the stream cannot be framed.
    let mut client = TcpStream::connect(server).await.unwrap();
    client.write_all(&[0x80, 0x60, 0, 1]).await.unwrap();
    let mut buf = [0u8; 16];
    let n = timeout(LIMIT, client.read(&mut buf))
        .await
        .expect("closed in time")
        .unwrap_or(0);
    assert_eq!(n, 0, "the driver closed the connection");
    run.stats_until(|s| s.tcp_framing_errors == 1 && s.tcp_closed == 1)
        .await;

    // A STUN header announcing 1000 bytes, then more than the 64-byte limit of them.
    let mut client = TcpStream::connect(server).await.unwrap();
    let mut big = stun(1000, 0);
    big.truncate(100);
    client.write_all(&big).await.unwrap();
    let n = timeout(LIMIT, client.read(&mut buf))
        .await
        .expect("closed in time")
        .unwrap_or(0);
    assert_eq!(n, 0, "the driver closed the connection");
    let stats = run
        .stats_until(|s| s.tcp_overflows == 1 && s.tcp_closed == 2)
        .await;
    assert_eq!(stats.frames_in, 0);
    run.stop().await;
}

#[tokio::test]
async fn the_timer_fires_and_command_errors_do_not_stop_the_loop() {
    let mut run = Running::start(Driver::new(Echo::default()));
    run.command(Command::Refuse).await;
    let started = Instant::now();
    run.command(Command::Timer(Duration::from_millis(50))).await;
    assert_eq!(run.event().await, Event::TimerFired);
    assert!(
        started.elapsed() >= Duration::from_millis(50),
        "not before its deadline"
    );
    let stats = run.stats.get();
    assert_eq!((stats.commands, stats.command_errors), (2, 1));
    run.stop().await;
}

#[tokio::test]
async fn shutdown_returns_even_when_commands_are_gone() {
    let run = Running::start(Driver::new(Echo::default()));
    let Running {
        commands,
        events,
        stop,
        task,
        ..
    } = run;
    drop(commands);
    drop(events);
    stop.send(()).unwrap();
    let machine = timeout(LIMIT, task)
        .await
        .expect("stops in time")
        .unwrap()
        .unwrap();
    assert_eq!(machine.received, 0);
}

#[tokio::test]
async fn closed_connections_that_delivered_are_reported_and_the_machine_can_close_one() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = listener.local_addr().unwrap();
    let mut run = Running::start(Driver::new(Echo::default()).tcp_listener(listener).unwrap());
    let msg = stun(8, 1);

    // Closed by the client after a message: reported.
    let mut a = TcpStream::connect(server).await.unwrap();
    a.write_all(&msg).await.unwrap();
    assert_eq!(read_exactly(&mut a, msg.len()).await, reversed(&msg));
    let (local, remote) = (a.peer_addr().unwrap(), a.local_addr().unwrap());
    // A silent one closed: not reported.
    let silent = TcpStream::connect(server).await.unwrap();
    run.stats_until(|s| s.tcp_accepted == 2).await;
    drop(silent);
    run.stats_until(|s| s.tcp_closed == 1).await;
    drop(a);
    let disconnected = |local, remote| Event::Disconnected {
        local,
        remote,
        transport: Transport::Tcp,
    };
    assert_eq!(other_event(&mut run).await, disconnected(local, remote));

    // Closed at the machine's request: the client sees the end, the machine the report.
    let mut b = TcpStream::connect(server).await.unwrap();
    b.write_all(&msg).await.unwrap();
    assert_eq!(read_exactly(&mut b, msg.len()).await, reversed(&msg));
    let (local, remote) = (b.peer_addr().unwrap(), b.local_addr().unwrap());
    run.command(Command::Disconnect {
        local,
        remote,
        transport: Transport::Tcp,
    })
    .await;
    let mut buf = [0u8; 8];
    let n = timeout(LIMIT, b.read(&mut buf))
        .await
        .expect("closed in time");
    assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
    assert_eq!(other_event(&mut run).await, disconnected(local, remote));
    run.command(Command::Disconnect {
        local,
        remote,
        transport: Transport::Tcp,
    })
    .await;
    let s = run.stats_until(|s| s.disconnect_unknown == 1).await;
    assert_eq!(
        (
            s.tcp_closed,
            s.disconnects_requested,
            s.disconnects_reported
        ),
        (3, 1, 2),
        "{s:?}"
    );
    run.stop().await;
}

/// The next event that is not a datagram received.
async fn other_event(run: &mut Running) -> Event {
    loop {
        match run.event().await {
            Event::Received { .. } => {}
            other => return other,
        }
    }
}

#[tokio::test]
async fn the_per_source_cap_refuses_and_a_silent_connection_is_closed_at_its_deadline() {
    use wren_tokio::ConnLimits;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = listener.local_addr().unwrap();
    let run = Running::start(
        Driver::new(Echo::default())
            .tcp_listener(listener)
            .unwrap()
            .conn_limits(ConnLimits {
                max_per_source: 2,
                first_message_timeout: Some(Duration::from_millis(300)),
                ..ConnLimits::default()
            }),
    );
    let msg = stun(8, 1);
    let mut talker = TcpStream::connect(server).await.unwrap();
    talker.write_all(&msg).await.unwrap();
    assert_eq!(read_exactly(&mut talker, msg.len()).await, reversed(&msg));
    let mut silent = TcpStream::connect(server).await.unwrap();
    run.stats_until(|s| s.tcp_accepted == 2).await;
    let mut third = TcpStream::connect(server).await.unwrap();
    let mut buf = [0u8; 8];
    let n = timeout(LIMIT, third.read(&mut buf))
        .await
        .expect("closed in time");
    assert!(matches!(n, Ok(0) | Err(_)), "refused: {n:?}");
    run.stats_until(|s| s.conns_refused_per_source == 1).await;
    let n = timeout(LIMIT, silent.read(&mut buf))
        .await
        .expect("closed in time");
    assert!(matches!(n, Ok(0) | Err(_)), "the silent one: {n:?}");
    let s = run.stats_until(|s| s.deadline_first_message == 1).await;
    assert_eq!((s.tcp_closed, s.disconnects_reported), (1, 0), "{s:?}");
    // The one that spoke stays.
    talker.write_all(&msg).await.unwrap();
    assert_eq!(read_exactly(&mut talker, msg.len()).await, reversed(&msg));
    run.stop().await;
}
