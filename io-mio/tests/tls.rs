//! Loopback smoke tests of the mio driver's TLS listeners (127.0.0.1 only): the echo
//! machine behind `Driver::tls_listener`, a self-signed certificate from rcgen, and rustls
//! clients (ring) on blocking sockets.

mod common;

use common::Running;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, StreamOwned};
use wren_core::Transport;
use wren_core::testing::{Command, Echo, Event, channel_data, reversed, stun};
use wren_mio::{ConnLimits, Driver};

/// Every wait in these tests is bounded by this.
const LIMIT: Duration = Duration::from_secs(5);

impl Running {
    /// The echo machine on one TLS listener on 127.0.0.1, serving `config`.
    fn tls(config: Arc<ServerConfig>) -> Running {
        Running::tls_with(config, ConnLimits::default())
    }

    /// [`Running::tls`] with `limits` on its connections.
    fn tls_with(config: Arc<ServerConfig>, limits: ConnLimits) -> Running {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let driver = Driver::new(Echo::default())
            .unwrap()
            .tls_listener(listener, config)
            .unwrap()
            .conn_limits(limits);
        Running::start(driver).with_addr(addr)
    }
}

/// A self-signed certificate for 127.0.0.1 and localhost: the server's configuration (ring)
/// and a client configuration that trusts it.
fn configs() -> (Arc<ServerConfig>, Arc<ClientConfig>) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap();
    let cert = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let server = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(cert).unwrap();
    (Arc::new(server), client_config(roots))
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A client configuration trusting `roots` only.
fn client_config(roots: RootCertStore) -> Arc<ClientConfig> {
    Arc::new(
        ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

type Client = StreamOwned<ClientConnection, TcpStream>;

/// A TLS client to `server` whose handshake is still to come.
fn client(server: SocketAddr, config: Arc<ClientConfig>) -> Client {
    let sock = TcpStream::connect(server).unwrap();
    sock.set_read_timeout(Some(LIMIT)).unwrap();
    let name = ServerName::IpAddress(server.ip().into());
    StreamOwned::new(ClientConnection::new(config, name).unwrap(), sock)
}

/// A TLS client to `server` with its handshake done.
fn connected(server: SocketAddr, config: Arc<ClientConfig>) -> Client {
    let mut c = client(server, config);
    while c.conn.is_handshaking() {
        c.conn.complete_io(&mut c.sock).expect("the handshake");
    }
    c
}

fn read_exactly(stream: &mut impl Read, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    stream.read_exact(&mut buf).expect("the reply in time");
    buf
}

/// What the echo machine reports for `payload` from `client`.
fn received(run: &Running, client: &Client, payload: &[u8]) -> Event {
    Event::Received {
        proto: Transport::Tls,
        source: client.sock.local_addr().unwrap(),
        destination: run.addr(),
        payload: payload.to_vec(),
    }
}

/// Reads until the server closes: EOF, a reset, or a TLS error after its alert; `false`
/// only if the connection is still open when the read times out.
fn closed_by_server(stream: &mut impl Read) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return false;
            }
            Err(_) => return true,
        }
    }
}

#[test]
fn a_stun_message_round_trips_over_tls_and_the_machine_sees_tls() {
    let (server, client_cfg) = configs();
    let run = Running::tls(server);
    let mut c = connected(run.addr(), client_cfg);
    assert_eq!(
        run.stats_until(|s| s.tls_accepted == 1).tcp_accepted,
        0,
        "a TLS accept is not a plain TCP accept"
    );

    let msg = stun(8, 0xaa);
    c.write_all(&msg).unwrap();
    c.flush().unwrap();
    assert_eq!(run.event(), received(&run, &c, &msg));
    assert_eq!(
        read_exactly(&mut c, msg.len()),
        reversed(&msg),
        "the echo came back framed and encrypted on the same connection"
    );

    // ChannelData over TLS is padded to four bytes both ways, as over TCP.
    let data = channel_data(b"abcde");
    let mut padded = data.clone();
    padded.resize(12, 0);
    c.write_all(&padded).unwrap();
    c.flush().unwrap();
    assert_eq!(run.event(), received(&run, &c, &data));
    let _ = read_exactly(&mut c, reversed(&data).len());

    let s = run.stats_until(|s| s.frames_out == 2);
    assert_eq!(
        (s.frames_in, s.tls_handshake_failures, s.tcp_closed),
        (2, 0, 0)
    );
    assert_eq!(run.stop().received, 2);
}

#[test]
fn two_messages_in_one_record_and_one_across_two_records() {
    let (server, client_cfg) = configs();
    let run = Running::tls(server);
    let mut c = connected(run.addr(), client_cfg);
    let (a, b, long) = (stun(4, 1), stun(12, 2), stun(1000, 3));

    // One write of rustls's writer, under 16 KiB: one record holding two messages.
    c.conn
        .writer()
        .write_all(&[a.clone(), b.clone()].concat())
        .unwrap();
    c.conn.complete_io(&mut c.sock).unwrap();
    assert_eq!(run.event(), received(&run, &c, &a));
    assert_eq!(run.event(), received(&run, &c, &b));

    // Then one message cut in two records, sent apart: the driver keeps the first part.
    let (head, tail) = long.split_at(300);
    c.conn.writer().write_all(head).unwrap();
    c.conn.complete_io(&mut c.sock).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    c.conn.writer().write_all(tail).unwrap();
    c.conn.complete_io(&mut c.sock).unwrap();
    assert_eq!(run.event(), received(&run, &c, &long));

    let replies = read_exactly(&mut c, a.len() + b.len() + long.len());
    assert_eq!(
        replies,
        [reversed(&a), reversed(&b), reversed(&long)].concat()
    );
    assert_eq!(run.handle.stats().frames_in, 3);
    run.stop();
}

#[test]
fn failed_handshakes_are_counted_and_closed_and_others_go_on() {
    let (server, client_cfg) = configs();
    let run = Running::tls(server);
    let mut good = connected(run.addr(), Arc::clone(&client_cfg));

    // Plain TCP speaking HTTP to the TLS port: rustls refuses it, the driver closes it.
    let mut plain = TcpStream::connect(run.addr()).unwrap();
    plain.set_read_timeout(Some(LIMIT)).unwrap();
    plain.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    assert!(
        closed_by_server(&mut plain),
        "garbage closes the connection"
    );
    run.stats_until(|s| s.tls_handshake_failures == 1);

    // A client that does not trust the certificate: its alert ends the handshake.
    let mut doubter = client(run.addr(), client_config(RootCertStore::empty()));
    let e = loop {
        match doubter.conn.complete_io(&mut doubter.sock) {
            Ok(_) if doubter.conn.is_handshaking() => {}
            Ok(_) => panic!("a client with no roots completed the handshake"),
            Err(e) => break e,
        }
    };
    assert!(e.to_string().contains("UnknownIssuer"), "{e}");
    assert!(closed_by_server(&mut doubter.sock), "the alert closes it");

    let s = run.stats_until(|s| s.tls_handshake_failures == 2 && s.tcp_closed == 2);
    assert_eq!((s.tls_accepted, s.tls_errors, s.frames_in), (3, 0, 0));

    // The first connection never noticed.
    let msg = stun(4, 7);
    good.write_all(&msg).unwrap();
    good.flush().unwrap();
    assert_eq!(run.event(), received(&run, &good, &msg));
    assert_eq!(read_exactly(&mut good, msg.len()), reversed(&msg));
    assert_eq!(run.stop().received, 1);
}

#[test]
fn a_bad_record_after_the_handshake_is_a_tls_error() {
    let (server, client_cfg) = configs();
    let run = Running::tls(server);
    let mut c = connected(run.addr(), client_cfg);
    let msg = stun(4, 9);
    c.write_all(&msg).unwrap();
    c.flush().unwrap();
    assert_eq!(run.event(), received(&run, &c, &msg));

    // An application-data record that was never encrypted with the session's keys.
    c.sock
        .write_all(&[0x17, 0x03, 0x03, 0x00, 0x20])
        .and_then(|()| c.sock.write_all(&[0x55; 0x20]))
        .unwrap();
    let s = run.stats_until(|s| s.tls_errors == 1);
    assert_eq!((s.tcp_closed, s.tls_handshake_failures), (1, 0));
    run.stop();
}

#[test]
fn tls_transmits_go_only_on_tls_connections() {
    let (server, client_cfg) = configs();
    let run = Running::tls(server);
    let mut c = connected(run.addr(), client_cfg);
    run.stats_until(|s| s.tls_accepted == 1);
    let me = c.sock.local_addr().unwrap();

    // TCP to a TLS connection's remote, and TLS to an address with no connection: dropped,
    // not sent in clear and not connected to.
    let nobody: SocketAddr = "127.0.0.1:9".parse().unwrap();
    run.handle
        .send(Command::send(Transport::Tcp, me, stun(4, 1)))
        .unwrap();
    run.handle
        .send(Command::send(Transport::Tls, nobody, stun(4, 2)))
        .unwrap();
    let s = run.stats_until(|s| s.dropped_no_route == 2);
    assert_eq!(
        (s.frames_out, s.tcp_connected, s.dropped_unsupported),
        (0, 0, 0)
    );

    // A TLS transmit to it arrives, encrypted.
    let msg = stun(8, 3);
    run.handle
        .send(Command::send(Transport::Tls, me, msg.clone()))
        .unwrap();
    assert_eq!(read_exactly(&mut c, msg.len()), msg);
    run.stop();
}

#[test]
fn a_stalled_handshake_is_closed_at_its_deadline_and_a_finished_one_reported_on_close() {
    let (server, client_config) = configs();
    let run = Running::tls_with(
        server,
        ConnLimits {
            tls_handshake_timeout: Some(Duration::from_millis(300)),
            first_message_timeout: None,
            ..ConnLimits::default()
        },
    );
    // Plain TCP that never says hello, and a hello cut short.
    let mut silent = TcpStream::connect(run.addr()).unwrap();
    silent.set_read_timeout(Some(LIMIT)).unwrap();
    let mut half = client(run.addr(), Arc::clone(&client_config));
    let mut hello = Vec::new();
    half.conn.write_tls(&mut hello).unwrap();
    half.sock.write_all(&hello[..hello.len() / 2]).unwrap();
    let mut done = connected(run.addr(), client_config);
    let msg = stun(8, 1);
    done.write_all(&msg).unwrap();
    assert_eq!(read_exactly(&mut done, msg.len()), reversed(&msg));
    for sock in [&mut silent, &mut half.sock] {
        // Perhaps an alert first, then the end (or a reset); a timeout is a failure.
        let mut buf = [0u8; 256];
        loop {
            match sock.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    panic!("not closed by the driver")
                }
                Err(_) => break,
            }
        }
    }
    let s = run.stats_until(|s| s.deadline_tls_handshake == 2);
    assert_eq!(
        (
            s.tls_handshake_failures,
            s.tcp_closed,
            s.disconnects_reported
        ),
        (2, 2, 0),
        "{s:?}"
    );
    // The finished one was not touched; closed now, it is reported.
    let (local, remote) = (
        done.sock.peer_addr().unwrap(),
        done.sock.local_addr().unwrap(),
    );
    drop(done);
    loop {
        match run.event() {
            Event::Received { .. } => {}
            other => {
                assert_eq!(
                    other,
                    Event::Disconnected {
                        local,
                        remote,
                        transport: Transport::Tls
                    }
                );
                break;
            }
        }
    }
    run.stop();
}
