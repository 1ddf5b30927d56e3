//! The mio driver's stream connections under limits, with the echo machine on 127.0.0.1
//! (and 127.0.0.2 as a second source): every close of a connection that delivered
//! messages is reported once, the machine can close one, caps refuse and count, deadlines
//! close silent and half-sent connections, and the bytes buffered over all connections
//! are bounded. Counts and events, not timings: every wait is bounded and polls.

mod common;

use common::Running;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use wren_core::Transport;
use wren_core::testing::{Command, Echo, Event, reversed, stun};
use wren_mio::{ConnLimits, Driver};

/// Every wait in these tests is bounded by this.
const LIMIT: Duration = Duration::from_secs(10);

impl Running {
    /// The echo machine on one TCP listener on 127.0.0.1 with `limits`.
    fn tcp(limits: ConnLimits) -> Running {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let server = listener.local_addr().unwrap();
        let driver = Driver::new(Echo::default())
            .unwrap()
            .tcp_listener(listener)
            .unwrap()
            .conn_limits(limits);
        Running::start(driver).with_addr(server)
    }
}

/// A connection to `server` from `ip` (any port).
fn client_from(ip: [u8; 4], server: SocketAddr) -> TcpStream {
    let stream = if ip == [127, 0, 0, 1] {
        TcpStream::connect_timeout(&server, LIMIT).unwrap()
    } else {
        bound_client(ip, server)
    };
    stream.set_read_timeout(Some(LIMIT)).unwrap();
    stream
}

/// A connection from `ip` (a loopback address other than the default), through libc's
/// bind before connect: std has no bind for an outgoing TCP socket.
#[allow(unsafe_code)]
fn bound_client(ip: [u8; 4], server: SocketAddr) -> TcpStream {
    use std::os::fd::FromRawFd;
    // SAFETY: plain socket calls on a descriptor this function owns until it hands it to
    // TcpStream; the address structure lives for each call.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0);
        let mut addr: libc::sockaddr_in = std::mem::zeroed();
        addr.sin_family = libc::AF_INET as libc::sa_family_t;
        addr.sin_addr.s_addr = u32::from_ne_bytes(ip);
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        assert_eq!(libc::bind(fd, (&raw const addr).cast(), len), 0);
        let SocketAddr::V4(v4) = server else {
            panic!("IPv4 only")
        };
        addr.sin_addr.s_addr = u32::from_ne_bytes(v4.ip().octets());
        addr.sin_port = v4.port().to_be();
        assert_eq!(libc::connect(fd, (&raw const addr).cast(), len), 0);
        TcpStream::from_raw_fd(fd)
    }
}

/// Sends one STUN message and reads its echo back.
fn round_trip(stream: &mut TcpStream, fill: u8) {
    let msg = stun(8, fill);
    stream.write_all(&msg).unwrap();
    let mut back = vec![0; msg.len()];
    stream.read_exact(&mut back).expect("the echo in time");
    assert_eq!(back, reversed(&msg));
}

/// Whether the driver closed the connection: the next read sees the end or a reset.
fn is_closed(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 64];
    match stream.read(&mut buf) {
        Ok(0) => true,
        Err(e) => matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::BrokenPipe),
        Ok(_) => false,
    }
}

#[test]
fn a_closed_connection_that_delivered_is_reported_once_and_a_silent_one_never() {
    let run = Running::tcp(ConnLimits::default());
    let mut talker = client_from([127, 0, 0, 1], run.addr());
    round_trip(&mut talker, 1);
    let (local, remote) = (talker.peer_addr().unwrap(), talker.local_addr().unwrap());
    let silent = client_from([127, 0, 0, 1], run.addr());
    run.stats_until(|s| s.tcp_accepted == 2);
    drop(silent);
    run.stats_until(|s| s.tcp_closed == 1);
    drop(talker);
    assert_eq!(
        run.other_event(),
        Event::Disconnected {
            local,
            remote,
            transport: Transport::Tcp
        }
    );
    let s = run.stats_until(|s| s.tcp_closed == 2);
    assert_eq!(s.disconnects_reported, 1, "{s:?}");
    run.stop();
}

#[test]
fn the_machine_closes_a_connection_and_hears_of_it_like_any_other() {
    let run = Running::tcp(ConnLimits::default());
    let mut client = client_from([127, 0, 0, 1], run.addr());
    round_trip(&mut client, 2);
    let (local, remote) = (client.peer_addr().unwrap(), client.local_addr().unwrap());
    let disconnect = |transport| Command::Disconnect {
        local,
        remote,
        transport,
    };
    // Of another transport, or another address: not this connection.
    run.handle.send(disconnect(Transport::Tls)).unwrap();
    run.stats_until(|s| s.disconnect_unknown == 1);
    round_trip(&mut client, 3);
    run.handle.send(disconnect(Transport::Tcp)).unwrap();
    assert!(is_closed(&mut client), "the driver closed it");
    assert_eq!(
        run.other_event(),
        Event::Disconnected {
            local,
            remote,
            transport: Transport::Tcp
        }
    );
    let s = run.stats_until(|s| s.disconnects_requested == 1);
    assert_eq!((s.tcp_closed, s.disconnects_reported), (1, 1), "{s:?}");
    run.handle.send(disconnect(Transport::Tcp)).unwrap();
    run.stats_until(|s| s.disconnect_unknown == 2);
    run.stop();
}

#[test]
fn the_per_source_cap_refuses_the_next_connection_and_others_still_get_in() {
    let run = Running::tcp(ConnLimits {
        max_per_source: 2,
        ..ConnLimits::default()
    });
    let mut first = client_from([127, 0, 0, 1], run.addr());
    let mut second = client_from([127, 0, 0, 1], run.addr());
    round_trip(&mut first, 1);
    round_trip(&mut second, 2);
    let mut third = client_from([127, 0, 0, 1], run.addr());
    assert!(
        is_closed(&mut third),
        "refused: accepted and closed at once"
    );
    let s = run.stats_until(|s| s.conns_refused_per_source == 1);
    assert_eq!((s.tcp_accepted, s.conns_refused_total), (2, 0), "{s:?}");
    // Another source is not held by this one's cap.
    let mut other = client_from([127, 0, 0, 2], run.addr());
    round_trip(&mut other, 3);
    // A connection closed frees its place.
    drop(first);
    run.stats_until(|s| s.tcp_closed == 1);
    let mut again = client_from([127, 0, 0, 1], run.addr());
    round_trip(&mut again, 4);
    run.stop();
}

#[test]
fn the_total_cap_refuses_the_next_connection() {
    let run = Running::tcp(ConnLimits {
        max_connections: 2,
        ..ConnLimits::default()
    });
    let mut a = client_from([127, 0, 0, 1], run.addr());
    let mut b = client_from([127, 0, 0, 2], run.addr());
    round_trip(&mut a, 1);
    round_trip(&mut b, 2);
    let mut c = client_from([127, 0, 0, 3], run.addr());
    assert!(is_closed(&mut c));
    let s = run.stats_until(|s| s.conns_refused_total == 1);
    assert_eq!(s.conns_refused_per_source, 0);
    run.stop();
}

#[test]
fn silent_and_half_sent_connections_are_closed_at_the_first_message_deadline() {
    let run = Running::tcp(ConnLimits {
        first_message_timeout: Some(Duration::from_millis(300)),
        ..ConnLimits::default()
    });
    let mut talker = client_from([127, 0, 0, 1], run.addr());
    round_trip(&mut talker, 1);
    let mut silent = client_from([127, 0, 0, 1], run.addr());
    let mut half = client_from([127, 0, 0, 1], run.addr());
    half.write_all(&stun(64, 7)[..30]).unwrap();
    assert!(is_closed(&mut silent), "the silent one is closed");
    assert!(is_closed(&mut half), "the half-sent one is closed");
    let s = run.stats_until(|s| s.deadline_first_message == 2);
    assert_eq!(
        (s.tcp_closed, s.disconnects_reported),
        (2, 0),
        "neither delivered anything: {s:?}"
    );
    // The one that delivered a message before its deadline stays.
    round_trip(&mut talker, 2);
    run.stop();
}

#[test]
fn the_bytes_buffered_over_all_connections_are_bounded() {
    let run = Running::tcp(ConnLimits {
        total_buffer_limit: 1000,
        ..ConnLimits::default()
    });
    // Each holds 600 bytes of a 1028-byte message: under the per-connection limit, over
    // the total with two.
    let mut a = client_from([127, 0, 0, 1], run.addr());
    a.write_all(&stun(1008, 1)[..600]).unwrap();
    run.stats_until(|s| s.tcp_accepted == 1);
    let mut b = client_from([127, 0, 0, 1], run.addr());
    b.write_all(&stun(1008, 2)[..600]).unwrap();
    assert!(is_closed(&mut b), "the one that passed the total is closed");
    let s = run.stats_until(|s| s.tcp_total_overflows == 1);
    assert_eq!((s.tcp_overflows, s.tcp_closed), (0, 1), "{s:?}");
    // The first still finishes its message.
    let msg = stun(1008, 1);
    a.write_all(&msg[600..]).unwrap();
    let mut back = vec![0; msg.len()];
    a.read_exact(&mut back).unwrap();
    assert_eq!(back, reversed(&msg));
    run.stop();
}
