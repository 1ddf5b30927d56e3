//! Sockets bound at the machine's request (a TURN server's relayed addresses), on loopback
//! only (127.0.0.1 and [::1]), with the echo machine: it asks for them on a command,
//! reports the answer as an event, and echoes what arrives on them from them.

mod common;

use common::Running;

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::time::Duration;

use wren_core::testing::{Command, Echo, Event, reversed};
use wren_core::{BindError, SocketOptions, Transport};
use wren_io::testing::quiet_addrs;
use wren_mio::Driver;

/// Every wait in these tests is bounded by this.
const LIMIT: Duration = Duration::from_secs(5);
/// How long a datagram that must not come is waited for.
const SILENCE: Duration = Duration::from_millis(300);

impl Running {
    /// Binds a UDP socket for the machine at `addr` and returns the bound address.
    fn bind(&self, addr: &str) -> SocketAddr {
        let requested = addr.parse().unwrap();
        self.command(Command::bind_udp(requested));
        match self.event() {
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
    fn bind_quiet(&self) -> SocketAddr {
        for requested in quiet_addrs(Ipv4Addr::LOCALHOST.into()) {
            self.command(Command::bind_udp(requested));
            match self.event() {
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
    fn bind_failure(&self, requested: SocketAddr, transport: Transport) -> BindError {
        self.command(Command::Bind {
            addr: requested,
            transport,
            options: SocketOptions::default(),
        });
        match self.event() {
            Event::BindFailed {
                requested: r,
                error,
            } if r == requested => error,
            other => panic!("expected BindFailed for {requested}, got {other:?}"),
        }
    }
}

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

#[test]
fn a_bound_socket_has_a_real_port_and_echoes_from_its_own_address() {
    // A listening socket too, to show the relayed address is a socket of its own.
    let listening = UdpSocket::bind("127.0.0.1:0").unwrap();
    let listening_addr = listening.local_addr().unwrap();
    let run = Running::start(
        Driver::new(Echo::default())
            .unwrap()
            .udp(listening)
            .unwrap(),
    );

    for (any, client_addr) in [("127.0.0.1:0", "127.0.0.1:0"), ("[::1]:0", "[::1]:0")] {
        let relay = run.bind(any);
        assert_eq!(relay.ip(), any.parse::<SocketAddr>().unwrap().ip());
        assert_ne!(relay.port(), 0, "the OS chose a port");
        assert_ne!(relay, listening_addr);

        let client = udp_client(client_addr);
        client.send_to(b"via relay", relay).unwrap();
        assert_eq!(
            recv(&client),
            (reversed(b"via relay"), relay),
            "the echo leaves from the relayed address"
        );
        let expected = Event::Received {
            proto: Transport::Udp,
            source: client.local_addr().unwrap(),
            destination: relay,
            payload: b"via relay".to_vec(),
        };
        assert_eq!(run.event(), expected, "destination is the bound address");

        // A transmit the machine starts, from the relayed address.
        run.command(Command::Send {
            proto: Transport::Udp,
            from: Some(relay),
            to: client.local_addr().unwrap(),
            payload: b"unprompted".to_vec(),
            segment_size: None,
        });
        assert_eq!(recv(&client), (b"unprompted".to_vec(), relay));
    }

    // Without a source, a transmit leaves from the application's socket, never a relayed one.
    let client = udp_client("127.0.0.1:0");
    run.command(Command::send(
        Transport::Udp,
        client.local_addr().unwrap(),
        b"no source".to_vec(),
    ));
    assert_eq!(recv(&client), (b"no source".to_vec(), listening_addr));
    let v6 = udp_client("[::1]:0");
    run.command(Command::send(
        Transport::Udp,
        v6.local_addr().unwrap(),
        b"no v6 listening socket".to_vec(),
    ));
    let stats = run.stats_until(|s| s.dropped_no_route == 1);
    assert_eq!((stats.sockets_bound, stats.bind_failures), (2, 0));
    assert_eq!((stats.datagrams_in, stats.datagrams_out), (2, 5));
    run.stop();
}

#[cfg(target_os = "linux")]
#[test]
fn a_socket_bound_with_dont_fragment_is_bound_and_relays() {
    let run = Running::start(Driver::new(Echo::default()).unwrap());
    for any in ["127.0.0.1:0", "[::1]:0"] {
        let requested: SocketAddr = any.parse().unwrap();
        run.command(Command::Bind {
            addr: requested,
            transport: Transport::Udp,
            options: SocketOptions::default().with_dont_fragment(true),
        });
        let relay = match run.event() {
            Event::Bound {
                requested: r,
                bound,
            } if r == requested => bound,
            other => panic!("expected Bound for {requested}, got {other:?}"),
        };
        let client = udp_client(any);
        client.send_to(b"df", relay).unwrap();
        assert_eq!(recv(&client), (reversed(b"df"), relay));
        assert!(matches!(run.event(), Event::Received { .. }));
    }
}

#[test]
fn binds_that_cannot_succeed_are_answered_failed() {
    let run = Running::start(Driver::new(Echo::default()).unwrap().max_bound_sockets(2));

    // An address another socket holds.
    let holder = UdpSocket::bind("127.0.0.1:0").unwrap();
    let taken = holder.local_addr().unwrap();
    assert_eq!(
        run.bind_failure(taken, Transport::Udp),
        BindError::AddrInUse
    );
    // A transport the driver does not bind for the machine.
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    assert_eq!(
        run.bind_failure(any, Transport::Tcp),
        BindError::Unsupported
    );
    // Past the driver's bound, until a socket is closed.
    let first = run.bind("127.0.0.1:0");
    run.bind("[::1]:0");
    assert_eq!(run.bind_failure(any, Transport::Udp), BindError::Exhausted);
    run.command(Command::Close(first));
    run.bind("127.0.0.1:0");

    let stats = run.stats_until(|s| s.sockets_closed == 1);
    assert_eq!((stats.sockets_bound, stats.bind_failures), (3, 3));
    run.stop();
}

#[test]
fn close_stops_traffic_frees_the_port_and_unknown_closes_are_ignored() {
    let run = Running::start(Driver::new(Echo::default()).unwrap());
    let relay = run.bind_quiet();
    let client = udp_client("127.0.0.1:0");
    client.send_to(b"before", relay).unwrap();
    assert_eq!(recv(&client), (reversed(b"before"), relay));
    assert!(matches!(run.event(), Event::Received { .. }));

    run.command(Command::Close(relay));
    run.stats_until(|s| s.sockets_closed == 1);
    // The port is free as soon as the close is counted: it can be bound again, here by
    // the test.
    let again = UdpSocket::bind(relay).expect("the port is free again after close");
    drop(again);
    // Nothing answers on the closed address (on loopback a datagram to a closed port is
    // refused at once, or dropped: either way no echo within the wait).
    client.set_read_timeout(Some(SILENCE)).unwrap();
    let _ = client.send_to(b"after", relay);
    let mut buf = [0u8; 64];
    assert!(client.recv_from(&mut buf).is_err(), "no echo after close");
    // A transmit from the closed address has no socket left.
    run.command(Command::Send {
        proto: Transport::Udp,
        from: Some(relay),
        to: client.local_addr().unwrap(),
        payload: b"orphan".to_vec(),
        segment_size: None,
    });
    // Closing twice, or an address that was never bound, is ignored and counted.
    run.command(Command::Close(relay));
    run.command(Command::Close(client.local_addr().unwrap()));
    let stats = run.stats_until(|s| s.close_unknown == 2 && s.dropped_no_route == 1);
    assert_eq!(
        (
            stats.sockets_bound,
            stats.sockets_closed,
            stats.datagrams_in
        ),
        (1, 1, 1)
    );
    assert!(
        run.events.recv_timeout(SILENCE).is_err(),
        "no datagram reached the machine after close"
    );
    run.stop();
}
