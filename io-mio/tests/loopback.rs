//! Loopback smoke tests of the mio driver with the echo machine (127.0.0.1 and [::1] only).

mod common;

use common::Running;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::time::Duration;

use wren_core::Transport;
use wren_core::framing::Framing;
use wren_core::testing::{Command, Echo, Event, channel_data, reversed, stun};
use wren_mio::{BATCH, Driver};

/// Every wait in these tests is bounded by this.
const LIMIT: Duration = Duration::from_secs(5);

fn udp_client(addr: &str) -> UdpSocket {
    let sock = UdpSocket::bind(addr).unwrap();
    sock.set_read_timeout(Some(LIMIT)).unwrap();
    sock
}

fn recv(sock: &UdpSocket) -> (Vec<u8>, SocketAddr) {
    let mut buf = vec![0; 2048];
    let (n, from) = sock.recv_from(&mut buf).expect("a datagram in time");
    buf.truncate(n);
    (buf, from)
}

fn tcp_client(server: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(server).unwrap();
    stream.set_read_timeout(Some(LIMIT)).unwrap();
    stream
}

fn read_exactly(stream: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    stream.read_exact(&mut buf).expect("the reply in time");
    buf
}

#[test]
fn udp_round_trip_on_v4_and_v6_then_shutdown_returns_the_machine() {
    let (v4, v6) = (
        UdpSocket::bind("127.0.0.1:0").unwrap(),
        UdpSocket::bind("[::1]:0").unwrap(),
    );
    let (a4, a6) = (v4.local_addr().unwrap(), v6.local_addr().unwrap());
    let run = Running::start(
        Driver::new(Echo::default())
            .unwrap()
            .udp(v4)
            .unwrap()
            .udp(v6)
            .unwrap(),
    );

    for (server, client_addr) in [(a4, "127.0.0.1:0"), (a6, "[::1]:0")] {
        let client = udp_client(client_addr);
        client.send_to(b"hello", server).unwrap();
        assert_eq!(
            recv(&client),
            (b"olleh".to_vec(), server),
            "the reply leaves from the socket it came in on"
        );
        let expected = Event::Received {
            proto: Transport::Udp,
            source: client.local_addr().unwrap(),
            destination: server,
            payload: b"hello".to_vec(),
        };
        assert_eq!(run.event(), expected);
    }
    let stats = run.handle.stats();
    assert_eq!((stats.datagrams_in, stats.datagrams_out), (2, 2));
    assert_eq!(run.stop().received, 2);
}

#[test]
fn a_burst_of_200_datagrams_is_echoed_in_batches() {
    const TOTAL: u32 = 200;
    const QUEUED_FIRST: u32 = 64;
    let server_sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let server = server_sock.local_addr().unwrap();
    let client = udp_client("127.0.0.1:0");
    let reader = client.try_clone().unwrap();
    let replies = std::thread::spawn(move || {
        let mut got = BTreeSet::new();
        while got.len() < TOTAL as usize {
            let (reply, from) = recv(&reader);
            assert_eq!(from, server);
            got.insert(reply);
        }
        got
    });

    // 64 datagrams wait in the socket before the driver starts: its first recvmmsg must
    // take a full batch of 32, and the 32 replies must leave in one sendmmsg.
    let msg = |i: u32| [i.to_be_bytes().as_slice(), b"-burst-payload"].concat();
    for i in 0..QUEUED_FIRST {
        client.send_to(&msg(i), server).unwrap();
    }
    let run = Running::start(
        Driver::new(Echo::default())
            .unwrap()
            .udp(server_sock)
            .unwrap(),
    );
    for i in QUEUED_FIRST..TOTAL {
        client.send_to(&msg(i), server).unwrap();
    }

    let got = replies.join().unwrap();
    let want: BTreeSet<Vec<u8>> = (0..TOTAL).map(|i| reversed(&msg(i))).collect();
    assert_eq!(got, want, "every datagram echoed once");
    let stats = run.stats_until(|s| s.datagrams_out == u64::from(TOTAL));
    assert_eq!(stats.datagrams_in, u64::from(TOTAL));
    eprintln!("burst: {stats:?}");
    let most = u64::from(TOTAL) - (BATCH as u64 - 1);
    assert!(stats.batches_in <= most, "recvmmsg batched: {stats:?}");
    assert!(stats.batches_out <= most, "sendmmsg batched: {stats:?}");
    assert_eq!(run.stop().received, TOTAL as usize);
}

#[test]
fn gso_segments_split_oversized_datagrams_dropped_unroutable_counted() {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let server = sock.local_addr().unwrap();
    let run = Running::start(
        Driver::new(Echo::default())
            .unwrap()
            .udp(sock)
            .unwrap()
            .udp_max_payload(64),
    );
    let client = udp_client("127.0.0.1:0");
    let to = client.local_addr().unwrap();

    let payload = b"abcdefghij".to_vec();
    run.command(Command::Send {
        proto: Transport::Udp,
        from: None,
        to,
        payload,
        segment_size: Some(4),
    });
    for want in [&b"abcd"[..], b"efgh", b"ij"] {
        assert_eq!(recv(&client), (want.to_vec(), server));
    }

    let stranger: SocketAddr = "127.0.0.2:9".parse().unwrap();
    let payload = b"x".to_vec();
    run.command(Command::Send {
        proto: Transport::Udp,
        from: Some(stranger),
        to,
        payload,
        segment_size: None,
    });
    run.stats_until(|s| s.dropped_no_route == 1);

    // On Linux a datagram longer than its slot is seen (MSG_TRUNC), dropped and counted;
    // the fallback's recv_from cannot tell and passes it on cut short (documented).
    let linux = cfg!(target_os = "linux");
    if linux {
        client.send_to(&[7; 100], server).unwrap();
    }
    client.send_to(b"small", server).unwrap();
    assert_eq!(
        recv(&client),
        (b"llams".to_vec(), server),
        "the loop goes on after a datagram too big"
    );
    // The reply can reach the client before the driver counts it: wait for the count.
    let stats = run.stats_until(|s| s.datagrams_out == 4);
    assert_eq!(stats.dropped_truncated, u64::from(linux));
    run.stop();
}

#[test]
fn tcp_listener_frames_coalesced_and_split_messages() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let server = listener.local_addr().unwrap();
    let run = Running::start(
        Driver::new(Echo::default())
            .unwrap()
            .tcp_listener(listener)
            .unwrap(),
    );
    let mut client = tcp_client(server);

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
    client.write_all(&first).unwrap();
    let mut want = reversed(&a);
    want.extend(reversed(&b));
    assert_eq!(read_exactly(&mut client, want.len()), want);

    // The rest of the third, in a second write after the round trip above.
    client.write_all(&c[10..]).unwrap();
    assert_eq!(read_exactly(&mut client, c.len()), reversed(&c));

    let me = client.local_addr().unwrap();
    for msg in [a, b, c] {
        let expected = Event::Received {
            proto: Transport::Tcp,
            source: me,
            destination: server,
            payload: msg,
        };
        assert_eq!(run.event(), expected);
    }
    let stats = run.handle.stats();
    assert_eq!(
        (stats.tcp_accepted, stats.frames_in, stats.frames_out),
        (1, 3, 3)
    );

    drop(client);
    run.stats_until(|s| s.tcp_closed == 1);
    run.stop();
}

#[test]
fn rfc4571_framing_adds_and_strips_the_length_prefix() {
    let listener = TcpListener::bind("[::1]:0").unwrap();
    let server = listener.local_addr().unwrap();
    let driver = Driver::new(Echo::default())
        .unwrap()
        .tcp_listener(listener)
        .unwrap()
        .framing(Framing::Rfc4571);
    let run = Running::start(driver);
    let mut client = tcp_client(server);

    client
        .write_all(&[0, 3, b'a', b'b', b'c', 0, 2, b'x'])
        .unwrap();
    client.write_all(b"y").unwrap();
    assert_eq!(
        read_exactly(&mut client, 9),
        [0, 3, b'c', b'b', b'a', 0, 2, b'y', b'x']
    );
    assert!(matches!(run.event(), Event::Received { payload, .. } if payload == b"abc"));
    run.stop();
}

#[test]
fn a_tcp_transmit_opens_a_connection_and_replies_come_back() {
    let peer = TcpListener::bind("127.0.0.1:0").unwrap();
    let peer_addr = peer.local_addr().unwrap();
    let run = Running::start(Driver::new(Echo::default()).unwrap());

    let request = stun(4, 0x11);
    run.command(Command::send(Transport::Tcp, peer_addr, request.clone()));
    let (mut conn, driver_addr) = peer.accept().unwrap(); // blocking; the driver connects at once
    conn.set_read_timeout(Some(LIMIT)).unwrap();
    assert_eq!(read_exactly(&mut conn, request.len()), request);

    let response = stun(0, 0x22);
    conn.write_all(&response).unwrap();
    let expected = Event::Received {
        proto: Transport::Tcp,
        source: peer_addr,
        destination: driver_addr,
        payload: response.clone(),
    };
    assert_eq!(run.event(), expected);
    assert_eq!(read_exactly(&mut conn, response.len()), reversed(&response));
    assert_eq!(run.handle.stats().tcp_connected, 1);
    run.stop();
}

#[test]
fn a_failed_connect_drops_and_counts_the_transmit() {
    // A port that was just free on loopback: connecting to it is refused.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let run = Running::start(Driver::new(Echo::default()).unwrap());
    run.command(Command::send(Transport::Tcp, closed, stun(0, 1)));
    let stats = run.stats_until(|s| s.tcp_closed == 1);
    assert_eq!((stats.dropped_no_route, stats.tcp_connected), (1, 0));

    let run2 = Running::start(Driver::new(Echo::default()).unwrap().tcp_connect(false));
    run2.command(Command::send(Transport::Tcp, closed, stun(0, 1)));
    run2.stats_until(|s| s.dropped_no_route == 1);
    run.stop();
    run2.stop();
}

#[test]
fn garbage_and_overflow_close_the_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let server = listener.local_addr().unwrap();
    let driver = Driver::new(Echo::default())
        .unwrap()
        .tcp_listener(listener)
        .unwrap()
        .tcp_buffer_limit(64);
    let run = Running::start(driver);
    let mut buf = [0u8; 16];

    // RTP is not STUN or ChannelData: the stream cannot be framed.
    let mut client = tcp_client(server);
    client.write_all(&[0x80, 0x60, 0, 1]).unwrap();
    assert_eq!(
        client.read(&mut buf).unwrap_or(0),
        0,
        "the driver closed the connection"
    );
    run.stats_until(|s| s.tcp_framing_errors == 1 && s.tcp_closed == 1);

    // A STUN header announcing 1000 bytes, then more than the 64-byte limit of them.
    let mut client = tcp_client(server);
    let mut big = stun(1000, 0);
    big.truncate(100);
    client.write_all(&big).unwrap();
    assert_eq!(
        client.read(&mut buf).unwrap_or(0),
        0,
        "the driver closed the connection"
    );
    let stats = run.stats_until(|s| s.tcp_overflows == 1 && s.tcp_closed == 2);
    assert_eq!(stats.frames_in, 0);
    run.stop();
}

#[test]
#[allow(clippy::disallowed_methods)] // the test's own clock, to check the deadline is kept
fn the_timer_fires_and_command_errors_do_not_stop_the_loop() {
    let run = Running::start(Driver::new(Echo::default()).unwrap());
    run.command(Command::Refuse);
    let started = std::time::Instant::now();
    run.command(Command::Timer(Duration::from_millis(50)));
    assert_eq!(run.event(), Event::TimerFired);
    assert!(
        started.elapsed() >= Duration::from_millis(50),
        "not before its deadline"
    );
    let stats = run.handle.stats();
    assert_eq!((stats.commands, stats.command_errors), (2, 1));
    run.stop();
}

#[test]
fn shutdown_from_a_clone_returns_the_machine() {
    let run = Running::start(Driver::new(Echo::default()).unwrap());
    let other = run.handle.clone();
    let Running { handle, thread, .. } = run;
    drop(handle);
    other.shutdown();
    let machine = thread.join().unwrap().unwrap();
    assert_eq!(machine.received, 0);
}

/// Starts `driver` with `cmds` already waiting in its channel: the first turn feeds them
/// all before the machine is drained, so their transmits leave in one drain.
fn start_with(driver: Driver<Echo>, cmds: Vec<Command>) -> Running {
    let handle = driver.handle();
    for cmd in cmds {
        handle.send(cmd).unwrap();
    }
    Running::start(driver)
}

/// `n` datagrams from `sock`, in the order they arrive.
fn recv_n(sock: &UdpSocket, n: usize) -> Vec<(Vec<u8>, SocketAddr)> {
    (0..n).map(|_| recv(sock)).collect()
}

#[test]
fn same_size_datagrams_to_one_destination_leave_with_gso() {
    const N: usize = 20;
    for gso in [true, false] {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        let server = sock.local_addr().unwrap();
        let client = udp_client("127.0.0.1:0");
        let to = client.local_addr().unwrap();
        let msg = |i: usize| vec![u8::try_from(i).unwrap(); 100];
        let cmds = (0..N)
            .map(|i| Command::send(Transport::Udp, to, msg(i)))
            .collect();
        let driver = Driver::new(Echo::default()).unwrap().udp(sock).unwrap();
        let run = start_with(driver.udp_gso(gso), cmds);
        let want: Vec<_> = (0..N).map(|i| (msg(i), server)).collect();
        assert_eq!(recv_n(&client, N), want, "all, in order (gso {gso})");
        let s = run.stats_until(|s| s.datagrams_out == N as u64);
        eprintln!("gso {gso}: {s:?}");
        if !gso {
            assert_eq!((s.gso_messages, s.gso_segments, s.gso_disabled), (0, 0, 0));
        } else if s.gso_disabled == 0 {
            assert!(s.gso_messages >= 1, "{s:?}");
            assert_eq!(s.gso_segments, N as u64, "{s:?}");
        } else {
            assert_eq!(s.gso_disabled, 1, "{s:?}");
        }
        run.stop();
    }
}

#[test]
fn mixed_sizes_and_destinations_are_not_merged() {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let server = sock.local_addr().unwrap();
    let (a, b) = (udp_client("127.0.0.1:0"), udp_client("127.0.0.1:0"));
    let (to_a, to_b) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    // To a: 100, then 120 120 50 (one GSO message), then 120; to b: 120 alone (it follows
    // a datagram to a), then 0 and 10 (an empty datagram is never merged), then 120 to a.
    let sends = [
        (to_a, 100, 1),
        (to_a, 120, 2),
        (to_a, 120, 3),
        (to_a, 50, 4),
        (to_a, 120, 5),
        (to_b, 120, 6),
        (to_b, 0, 7),
        (to_b, 10, 8),
        (to_a, 120, 9),
    ];
    let cmds = sends
        .iter()
        .map(|&(to, len, fill)| Command::send(Transport::Udp, to, vec![fill; len]))
        .collect();
    let run = start_with(
        Driver::new(Echo::default()).unwrap().udp(sock).unwrap(),
        cmds,
    );
    for (client, to) in [(&a, to_a), (&b, to_b)] {
        let want: Vec<_> = sends
            .iter()
            .filter(|s| s.0 == to)
            .map(|&(_, len, fill)| (vec![fill; len], server))
            .collect();
        assert_eq!(recv_n(client, want.len()), want);
    }
    let s = run.stats_until(|s| s.datagrams_out == sends.len() as u64);
    eprintln!("mixed: {s:?}");
    if s.gso_disabled == 0 {
        assert_eq!((s.gso_messages, s.gso_segments), (1, 3), "{s:?}");
    }
    run.stop();
}

#[test]
fn a_segmented_transmit_arrives_as_its_segments() {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let server = sock.local_addr().unwrap();
    let client = udp_client("127.0.0.1:0");
    let to = client.local_addr().unwrap();
    // 10 segments of 100 bytes and a last one of 37, each of its own byte.
    let payload: Vec<u8> = (0..1037).map(|i| u8::try_from(i / 100).unwrap()).collect();
    let cmd = Command::Send {
        proto: Transport::Udp,
        from: None,
        to,
        payload: payload.clone(),
        segment_size: Some(100),
    };
    let run = start_with(
        Driver::new(Echo::default()).unwrap().udp(sock).unwrap(),
        vec![cmd],
    );
    let want: Vec<_> = payload.chunks(100).map(|c| (c.to_vec(), server)).collect();
    assert_eq!(recv_n(&client, 11), want);
    let s = run.stats_until(|s| s.datagrams_out == 11);
    eprintln!("segmented: {s:?}");
    if s.gso_disabled == 0 {
        assert_eq!((s.gso_messages, s.gso_segments), (1, 11), "{s:?}");
    }
    run.stop();
}

/// Sets `SO_NO_CHECK` (no UDP checksums) on `sock`: the kernel then refuses every
/// `UDP_SEGMENT` send with `EINVAL`, as it does where GSO is unavailable.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn refuse_gso(sock: &UdpSocket) {
    use std::os::fd::AsRawFd;
    let one: libc::c_int = 1;
    // SAFETY: the option value is one c_int, read by the kernel during the call only.
    let r = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_NO_CHECK,
            std::ptr::from_ref(&one).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    assert_eq!(r, 0, "SO_NO_CHECK: {}", std::io::Error::last_os_error());
}

#[cfg(target_os = "linux")]
#[test]
fn a_refused_gso_send_turns_gso_off_and_loses_nothing() {
    const N: usize = 20;
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    refuse_gso(&sock);
    let server = sock.local_addr().unwrap();
    let client = udp_client("127.0.0.1:0");
    let to = client.local_addr().unwrap();
    let msg = |i: usize| vec![u8::try_from(i).unwrap(); 100];
    // A segmented transmit too, after the refusal: it is split as without GSO.
    let mut cmds: Vec<Command> = (0..N)
        .map(|i| Command::send(Transport::Udp, to, msg(i)))
        .collect();
    cmds.push(Command::Send {
        proto: Transport::Udp,
        from: None,
        to,
        payload: b"abcdefghij".to_vec(),
        segment_size: Some(4),
    });
    let run = start_with(
        Driver::new(Echo::default()).unwrap().udp(sock).unwrap(),
        cmds,
    );
    let mut want: Vec<_> = (0..N).map(|i| (msg(i), server)).collect();
    want.extend([&b"abcd"[..], b"efgh", b"ij"].map(|p| (p.to_vec(), server)));
    assert_eq!(recv_n(&client, N + 3), want, "all, in order");
    let s = run.stats_until(|s| s.datagrams_out == N as u64 + 3);
    assert_eq!(
        (s.gso_disabled, s.gso_messages, s.gso_segments, s.io_errors),
        (1, 0, 0, 0),
        "{s:?}"
    );
    run.stop();
}
