//! The relay binary under hostile clients (issue 9, findings 1 and 2), on 127.0.0.0/8:
//! descriptors exhausted by TCP connections, silent, half-sent and never-allocating TCP
//! and TLS connections, the per-source cap, 10,000 idle connections against a UDP
//! Allocate, and a TCP allocation whose connection is reset.
//!
//! The relay runs with `RLIMIT_NOFILE` lowered through `prlimit` (util-linux) where a test
//! is about descriptors, with short deadlines where it is about deadlines. Every wait
//! polls until a bounded time (`LIMIT`); every port is the OS's choice or
//! [`common::free_port`]'s.

#![cfg(target_os = "linux")]

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Peer, wait_tcp, wait_udp_stun};
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use wren_stun::attr::{
    Data, ErrorCode, Nonce, Realm, RequestedTransport, Username, XorPeerAddress, XorRelayedAddress,
};
use wren_stun::{Class, Key, Message, MessageType, MessageWriter, Method, TransactionId};

/// Every wait in these tests is bounded by this.
const LIMIT: Duration = Duration::from_secs(20);
const REALM: &str = "example.org";

/// Held by the tests that open thousands of connections, so that, run as threads of one
/// process (`cargo test`), they do not together pass the test process's descriptor limit.
static MANY_DESCRIPTORS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A port on 127.0.0.1 free for UDP and TCP now, below the ephemeral range: the
/// thousands of connections these tests open take ephemeral ports, and one could take a
/// port [`common::free_port`] found free before the relay (or a client) binds it. Never
/// the same port twice in one process.
fn free_port() -> u16 {
    use std::collections::HashSet;
    use std::sync::Mutex;
    static GIVEN: Mutex<Option<HashSet<u16>>> = Mutex::new(None);
    let mut given = GIVEN.lock().unwrap();
    let given = given.get_or_insert_with(HashSet::new);
    for addr in wren_io::testing::quiet_addrs(std::net::Ipv4Addr::LOCALHOST.into()) {
        if given.contains(&addr.port()) {
            continue;
        }
        if UdpSocket::bind(addr).is_ok() && std::net::TcpListener::bind(addr).is_ok() {
            given.insert(addr.port());
            return addr.port();
        }
    }
    panic!("no quiet port free on 127.0.0.1");
}

/// A self-signed certificate for 127.0.0.1 in PEM files (removed on drop), and a client
/// configuration that trusts it.
struct Certificate {
    dir: std::path::PathBuf,
    client: Arc<ClientConfig>,
}

impl Certificate {
    fn new() -> Certificate {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("wren-hostile-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()])
            .expect("a self-signed certificate");
        std::fs::write(dir.join("cert.pem"), certified.cert.pem()).expect("cert.pem");
        std::fs::write(dir.join("pkey.pem"), certified.signing_key.serialize_pem())
            .expect("pkey.pem");
        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from(certified.cert.der().to_vec()))
            .expect("the certificate as a root");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let client = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Certificate {
            dir,
            client: Arc::new(client),
        }
    }

    fn path(&self, file: &str) -> String {
        self.dir.join(file).to_string_lossy().into_owned()
    }
}

impl Drop for Certificate {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A running relay and its addresses.
struct Relay {
    peer: Peer,
    addr: SocketAddr,
    tls: Option<SocketAddr>,
    metrics: u16,
    _cert: Option<Certificate>,
}

/// Options of [`Relay::start`].
#[derive(Default)]
struct Setup<'a> {
    /// `RLIMIT_NOFILE` (soft and hard) for the relay.
    nofile: Option<u64>,
    /// TURN with the user alice:secret.
    turn: bool,
    /// TLS listeners with a fresh certificate.
    tls: bool,
    extra: &'a [&'a str],
}

impl Relay {
    fn start(setup: Setup<'_>) -> Relay {
        let (port, metrics) = (free_port(), free_port());
        let mut args: Vec<String> = [
            "-L",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "--prometheus",
            "--prometheus-port",
            &metrics.to_string(),
            "--log-file",
            "stdout",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        if setup.turn {
            args.extend(
                [
                    "--relay-ip",
                    "127.0.0.1",
                    "--realm",
                    REALM,
                    "--lt-cred-mech",
                    "--user",
                    "alice:secret",
                    "--allow-loopback-peers",
                ]
                .map(str::to_owned),
            );
        }
        let (cert, tls) = if setup.tls {
            let cert = Certificate::new();
            let tls_port = free_port();
            args.extend([
                "--cert".to_owned(),
                cert.path("cert.pem"),
                "--pkey".to_owned(),
                cert.path("pkey.pem"),
                "--tls-listening-port".to_owned(),
                tls_port.to_string(),
            ]);
            (
                Some(cert),
                Some(SocketAddr::from(([127, 0, 0, 1], tls_port))),
            )
        } else {
            (None, None)
        };
        args.extend(setup.extra.iter().map(|s| (*s).to_owned()));
        let bin = env!("CARGO_BIN_EXE_wren-relay").to_owned();
        let peer = match setup.nofile {
            Some(n) => {
                let mut all = vec![format!("--nofile={n}:{n}"), "--".to_owned(), bin];
                all.extend(args);
                Peer::start("wren-relay", "prlimit", &all)
            }
            None => Peer::start("wren-relay", &bin, &args),
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        wait_tcp(addr, LIMIT);
        if let Some(tls) = tls {
            wait_tcp(tls, LIMIT);
        }
        wait_tcp(SocketAddr::from(([127, 0, 0, 1], metrics)), LIMIT);
        Relay {
            peer,
            addr,
            tls,
            metrics,
            _cert: cert,
        }
    }

    /// The value of the series `series` (name and labels) on `/metrics`, once the
    /// driver's families are there.
    fn metric(&self, series: &str) -> u64 {
        let text = scrape(self.metrics);
        text.lines()
            .find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok()))
            .unwrap_or_else(|| panic!("no {series} in:\n{text}"))
    }

    /// Waits until `series` satisfies `ok`; returns its value.
    fn metric_until(&self, series: &str, ok: impl Fn(u64) -> bool) -> u64 {
        let end = Instant::now() + LIMIT;
        loop {
            let text = scrape(self.metrics);
            let v = text
                .lines()
                .find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok()));
            if let Some(v) = v.filter(|&v| ok(v)) {
                return v;
            }
            assert!(
                Instant::now() < end,
                "{series} never got there: {v:?}\n{text}\n{}",
                self.peer.output()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// `GET /metrics` from 127.0.0.1:`port`.
fn scrape(port: u16) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("the metrics port");
    stream.set_read_timeout(Some(LIMIT)).expect("timeout");
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\n\r\n")
        .expect("the request");
    let mut text = String::new();
    stream.read_to_string(&mut text).expect("the response");
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    text
}

// -- STUN and TURN messages --

fn tid() -> TransactionId {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut t = [0u8; 12];
    t[..8].copy_from_slice(&n.to_be_bytes());
    t[8..].copy_from_slice(&std::process::id().to_be_bytes());
    TransactionId(t)
}

/// Long-term credentials: the key and the nonce the server gave.
struct Creds {
    key: Key,
    nonce: String,
}

fn request(
    method: Method,
    creds: Option<&Creds>,
    build: impl FnOnce(&mut MessageWriter<'_>),
) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut w = MessageWriter::new(&mut buf, MessageType::new(Class::Request, method), tid());
    build(&mut w);
    if let Some(c) = creds {
        w.add(&Username("alice")).unwrap();
        w.add(&Realm(REALM)).unwrap();
        w.add(&Nonce(&c.nonce)).unwrap();
        w.add_message_integrity(&c.key).unwrap();
    }
    w.finish();
    buf
}

fn binding() -> Vec<u8> {
    request(Method::BINDING, None, |_| {})
}

fn code_of(response: &[u8]) -> Option<u16> {
    let m = Message::parse(response).unwrap();
    (m.class() == Class::ErrorResponse).then(|| m.require::<ErrorCode<'_>>().unwrap().code.code())
}

fn creds_from(challenge: &[u8]) -> Creds {
    assert_eq!(code_of(challenge), Some(401));
    let m = Message::parse(challenge).unwrap();
    Creds {
        key: Key::long_term("alice", REALM, "secret").unwrap(),
        nonce: m.require::<Nonce<'_>>().unwrap().0.to_owned(),
    }
}

fn udp_transport(w: &mut MessageWriter<'_>) {
    w.add(&RequestedTransport::UDP).unwrap();
}

/// Reads one STUN message from a stream.
fn read_message(stream: &mut impl Read) -> std::io::Result<Vec<u8>> {
    let mut msg = vec![0u8; 20];
    stream.read_exact(&mut msg)?;
    let len = usize::from(u16::from_be_bytes([msg[2], msg[3]]));
    msg.resize(20 + len, 0);
    stream.read_exact(&mut msg[20..])?;
    Ok(msg)
}

/// Sends `msg` on a stream and reads the response with its transaction id (skipping
/// indications).
fn ask_stream(stream: &mut (impl Read + Write), msg: &[u8]) -> Vec<u8> {
    stream.write_all(msg).expect("the request is sent");
    loop {
        let r = read_message(stream).expect("a response in time");
        if r[8..20] == msg[8..20] {
            return r;
        }
    }
}

fn ask_udp(sock: &UdpSocket, server: SocketAddr, msg: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; 2048];
    for _ in 0..20 {
        sock.send_to(msg, server).unwrap();
        if let Ok((n, from)) = sock.recv_from(&mut buf)
            && from == server
            && buf[8..20] == msg[8..20]
        {
            buf.truncate(n);
            return buf;
        }
    }
    panic!("no UDP answer from {server}");
}

/// Whether a TCP Binding on a fresh connection is answered now (each try bounded).
fn tcp_binding_answered(server: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&server, Duration::from_millis(500)) else {
        return false;
    };
    s.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    let msg = binding();
    s.write_all(&msg).is_ok()
        && read_message(&mut s).is_ok_and(|r| r[8..20] == msg[8..20] && code_of(&r).is_none())
}

type Tls = StreamOwned<ClientConnection, TcpStream>;

/// A TLS client to `server` with its handshake done.
fn tls_client(server: SocketAddr, config: &Arc<ClientConfig>) -> std::io::Result<Tls> {
    let sock = TcpStream::connect_timeout(&server, Duration::from_millis(500))?;
    sock.set_read_timeout(Some(Duration::from_secs(2)))?;
    let name = ServerName::IpAddress(server.ip().into());
    let conn = ClientConnection::new(Arc::clone(config), name).map_err(std::io::Error::other)?;
    let mut tls = StreamOwned::new(conn, sock);
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock)?;
    }
    Ok(tls)
}

fn tls_binding_answered(server: SocketAddr, config: &Arc<ClientConfig>) -> bool {
    let Ok(mut s) = tls_client(server, config) else {
        return false;
    };
    let msg = binding();
    s.write_all(&msg).is_ok()
        && read_message(&mut s).is_ok_and(|r| r[8..20] == msg[8..20] && code_of(&r).is_none())
}

/// Polls `ok` until it holds or [`LIMIT`] passes.
fn eventually(what: &str, relay: &Relay, mut ok: impl FnMut() -> bool) {
    let end = Instant::now() + LIMIT;
    while !ok() {
        assert!(
            Instant::now() < end,
            "{what}: not within {LIMIT:?}\n{}",
            relay.peer.output()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether the relay has closed this connection: a read sees the end or a reset (a TLS
/// alert before it is read past); a read timeout is "not closed".
fn closed_by_relay(stream: &mut TcpStream) -> bool {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = [0u8; 512];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return false;
            }
            Err(_) => return true,
        }
    }
}

// -- libc: a client on a chosen port, and a reset --

/// A TCP connection from 127.0.0.1:`port` (`SO_REUSEADDR`; 0: any port) to `server`.
#[allow(unsafe_code)]
fn connect_from(port: u16, server: SocketAddr) -> TcpStream {
    use std::os::fd::FromRawFd;
    let SocketAddr::V4(server) = server else {
        panic!("IPv4 only")
    };
    let sockaddr = |ip: [u8; 4], port: u16| {
        // SAFETY: sockaddr_in is plain data; all zeroes is a valid value.
        let mut a: libc::sockaddr_in = unsafe { std::mem::zeroed() };
        a.sin_family = libc::AF_INET as libc::sa_family_t;
        a.sin_addr.s_addr = u32::from_ne_bytes(ip);
        a.sin_port = port.to_be();
        a
    };
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: plain socket calls on a descriptor owned here until TcpStream takes it; each
    // pointer is to a local that outlives the call, with its length.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0, "socket");
        let one: libc::c_int = 1;
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_REUSEADDR,
            (&raw const one).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
        let local = sockaddr([127, 0, 0, 1], port);
        assert_eq!(
            libc::bind(fd, (&raw const local).cast(), len),
            0,
            "bind 127.0.0.1:{port}: {}",
            std::io::Error::last_os_error()
        );
        let remote = sockaddr(server.ip().octets(), server.port());
        assert_eq!(
            libc::connect(fd, (&raw const remote).cast(), len),
            0,
            "connect: {}",
            std::io::Error::last_os_error()
        );
        let stream = TcpStream::from_raw_fd(fd);
        stream.set_read_timeout(Some(LIMIT)).unwrap();
        stream
    }
}

/// Closes `stream` with a reset (`SO_LINGER` 0).
#[allow(unsafe_code)]
fn reset(stream: TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: the descriptor is open (owned by `stream`); `linger` outlives the call.
    let r = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&raw const linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(r, 0);
    drop(stream);
}

// -- the tests --

/// Finding 1: descriptors exhausted by TCP connections (with no reserve, so the listener
/// meets EMFILE, and with the default reserve), then all closed: TCP and TLS Binding are
/// answered again within seconds, and UDP answered throughout. (Before, the listener that
/// met EMFILE waited for a readiness event that a full listen queue never raised.)
#[test]
fn exhausted_by_tcp_connections_it_answers_tcp_and_tls_again_and_udp_throughout() {
    let _many = MANY_DESCRIPTORS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for reserve in ["0", "64"] {
        let relay = Relay::start(Setup {
            nofile: Some(256),
            tls: true,
            extra: &["--max-connections-per-ip=0", "--fd-reserve", reserve],
            ..Setup::default()
        });
        let tls = relay.tls.unwrap();
        let client = Arc::clone(&relay._cert.as_ref().unwrap().client);
        assert!(tcp_binding_answered(relay.addr));
        assert!(tls_binding_answered(tls, &client));
        // More than the descriptors and both listen queues (4096 each at most, by
        // net.core.somaxconn) hold: past that the kernel drops SYNs, and a listener that
        // stopped accepting would never hear of a connection again.
        let mut held = Vec::new();
        for to in [relay.addr, tls] {
            let mut failed_in_a_row = 0;
            for i in 0..9000 {
                match TcpStream::connect_timeout(&to, Duration::from_millis(50)) {
                    Ok(s) => {
                        held.push(s);
                        failed_in_a_row = 0;
                    }
                    Err(_) => failed_in_a_row += 1,
                }
                if failed_in_a_row == 20 {
                    break; // the queue is full
                }
                if i % 1000 == 0 {
                    wait_udp_stun(relay.addr, Duration::from_secs(5));
                }
            }
        }
        wait_udp_stun(relay.addr, Duration::from_secs(5));
        drop(held);
        eventually("TCP Binding answered again", &relay, || {
            tcp_binding_answered(relay.addr)
        });
        eventually("TLS Binding answered again", &relay, || {
            tls_binding_answered(tls, &client)
        });
        wait_udp_stun(relay.addr, Duration::from_secs(5));
        // Read once descriptors are free again: without a reserve the metrics endpoint
        // cannot accept either while they are all taken.
        if reserve == "0" {
            relay.metric_until("wren_relay_accept_errors_total", |v| v > 0);
        } else {
            relay.metric_until(
                "wren_relay_connections_refused_total{reason=\"descriptors\"}",
                |v| v > 0,
            );
        }
    }
}

/// Finding 1: silent, half-sent and never-allocating TCP and TLS connections are closed at
/// their deadlines; one that allocated stays.
#[test]
fn silent_half_sent_and_never_allocating_connections_are_closed_at_their_deadlines() {
    let relay = Relay::start(Setup {
        turn: true,
        tls: true,
        extra: &[
            "--first-message-timeout=1",
            "--tls-handshake-timeout=1",
            "--max-allocate-timeout=2",
        ],
        ..Setup::default()
    });
    let tls = relay.tls.unwrap();
    let client = Arc::clone(&relay._cert.as_ref().unwrap().client);

    let mut tcp_silent = TcpStream::connect(relay.addr).unwrap();
    let mut tcp_half = TcpStream::connect(relay.addr).unwrap();
    tcp_half.write_all(&binding()[..10]).unwrap();
    let mut tcp_idle = TcpStream::connect(relay.addr).unwrap();
    tcp_idle.set_read_timeout(Some(LIMIT)).unwrap();
    assert_eq!(code_of(&ask_stream(&mut tcp_idle, &binding())), None);
    let mut tls_silent = TcpStream::connect(tls).unwrap();
    let mut tls_no_message = tls_client(tls, &client).unwrap();
    let mut tls_half = tls_client(tls, &client).unwrap();
    tls_half.write_all(&binding()[..10]).unwrap();
    tls_half.flush().unwrap();
    let mut tls_idle = tls_client(tls, &client).unwrap();
    tls_idle.sock.set_read_timeout(Some(LIMIT)).unwrap();
    assert_eq!(code_of(&ask_stream(&mut tls_idle, &binding())), None);
    // One that allocates stays past every deadline.
    let mut tcp_allocated = TcpStream::connect(relay.addr).unwrap();
    tcp_allocated.set_read_timeout(Some(LIMIT)).unwrap();
    let challenge = ask_stream(
        &mut tcp_allocated,
        &request(Method::ALLOCATE, None, udp_transport),
    );
    let creds = creds_from(&challenge);
    let ok = ask_stream(
        &mut tcp_allocated,
        &request(Method::ALLOCATE, Some(&creds), udp_transport),
    );
    assert_eq!(code_of(&ok), None);

    for (name, stream) in [
        ("TCP silent", &mut tcp_silent),
        ("TCP half-sent", &mut tcp_half),
        ("TCP never allocating", &mut tcp_idle),
        ("TLS silent", &mut tls_silent),
        ("TLS without a message", &mut tls_no_message.sock),
        ("TLS half-sent", &mut tls_half.sock),
        ("TLS never allocating", &mut tls_idle.sock),
    ] {
        assert!(closed_by_relay(stream), "{name}: not closed");
    }
    let by = |reason: &str| {
        format!("wren_relay_connections_closed_by_limit_total{{reason=\"{reason}\"}}")
    };
    relay.metric_until(&by("first_message_deadline"), |v| v == 4);
    relay.metric_until(&by("tls_handshake_deadline"), |v| v == 1);
    relay.metric_until(&by("requested"), |v| v == 2);
    // The allocation's connection is still served.
    let refresh = request(Method::REFRESH, Some(&creds), |_| {});
    assert_eq!(code_of(&ask_stream(&mut tcp_allocated, &refresh)), None);
}

/// Finding 1: the per-source cap refuses the next connection and counts it; another
/// source still gets in.
#[test]
fn the_per_source_cap_refuses_the_next_connection_and_counts_it() {
    let relay = Relay::start(Setup {
        extra: &["--max-connections-per-ip=3"],
        ..Setup::default()
    });
    // wait_tcp's probe connection (at least one) counts against the cap until the relay
    // has accepted it and seen it closed.
    eventually("the probes accepted and closed", &relay, || {
        let accepted = relay.metric("wren_relay_connections_accepted_total{transport=\"tcp\"}");
        accepted >= 1 && relay.metric("wren_relay_connections_closed_total") >= accepted
    });
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut s = TcpStream::connect(relay.addr).unwrap();
        s.set_read_timeout(Some(LIMIT)).unwrap();
        assert_eq!(code_of(&ask_stream(&mut s, &binding())), None);
        held.push(s);
    }
    let mut fourth = TcpStream::connect(relay.addr).unwrap();
    assert!(closed_by_relay(&mut fourth), "the fourth is refused");
    relay.metric_until(
        "wren_relay_connections_refused_total{reason=\"per_source\"}",
        |v| v == 1,
    );
    let mut other = connect_from_ip([127, 0, 0, 2], relay.addr);
    assert_eq!(code_of(&ask_stream(&mut other, &binding())), None);
}

/// A connection from `ip`, any port.
fn connect_from_ip(ip: [u8; 4], server: SocketAddr) -> TcpStream {
    connect_from_addr(ip, 0, server)
}

/// [`connect_from`] from another loopback address.
#[allow(unsafe_code)]
fn connect_from_addr(ip: [u8; 4], port: u16, server: SocketAddr) -> TcpStream {
    use std::os::fd::FromRawFd;
    let SocketAddr::V4(server) = server else {
        panic!("IPv4 only")
    };
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: as in connect_from.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0);
        let mut a: libc::sockaddr_in = std::mem::zeroed();
        a.sin_family = libc::AF_INET as libc::sa_family_t;
        a.sin_addr.s_addr = u32::from_ne_bytes(ip);
        a.sin_port = port.to_be();
        assert_eq!(libc::bind(fd, (&raw const a).cast(), len), 0);
        a.sin_addr.s_addr = u32::from_ne_bytes(server.ip().octets());
        a.sin_port = server.port().to_be();
        assert_eq!(libc::connect(fd, (&raw const a).cast(), len), 0);
        let s = TcpStream::from_raw_fd(fd);
        s.set_read_timeout(Some(LIMIT)).unwrap();
        s
    }
}

/// Finding 1: 10,000 idle TCP connections from one source, with the relay's descriptors
/// limited to 4096, do not stop a valid UDP Allocate: the reserve keeps descriptors for
/// relayed addresses.
#[test]
fn ten_thousand_idle_connections_from_one_source_do_not_stop_a_udp_allocate() {
    let _many = MANY_DESCRIPTORS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let relay = Relay::start(Setup {
        nofile: Some(4096),
        turn: true,
        extra: &["--max-connections-per-ip=0", "--first-message-timeout=120"],
        ..Setup::default()
    });
    let mut held = Vec::with_capacity(10_000);
    for _ in 0..10_000 {
        if let Ok(s) = TcpStream::connect_timeout(&relay.addr, Duration::from_secs(2)) {
            held.push(s);
        }
    }
    relay.metric_until(
        "wren_relay_connections_refused_total{reason=\"descriptors\"}",
        |v| v > 0,
    );
    // Let go of the refused ones (closed by the relay): the test process's descriptors
    // are shared with the other tests when they run as threads of one process.
    held.retain(|s| {
        s.set_nonblocking(true).unwrap();
        let mut b = [0u8; 1];
        matches!(s.peek(&mut b), Err(e) if e.kind() == ErrorKind::WouldBlock)
    });
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let challenge = ask_udp(
        &sock,
        relay.addr,
        &request(Method::ALLOCATE, None, udp_transport),
    );
    let creds = creds_from(&challenge);
    let ok = ask_udp(
        &sock,
        relay.addr,
        &request(Method::ALLOCATE, Some(&creds), udp_transport),
    );
    assert_eq!(code_of(&ok), None, "the Allocate succeeds");
    let m = Message::parse(&ok).unwrap();
    assert!(m.require::<XorRelayedAddress>().is_ok());
    assert!(held.len() > 3000, "{} connections still open", held.len());
}

/// Finding 2: Allocate and CreatePermission over TCP, reset the connection: the
/// allocation is gone (its relayed port is closed, the peer's datagram reaches nobody and
/// no connection is opened to the client's old address), and a newcomer from the same
/// address and port gets 437 for anything on the old allocation.
#[test]
fn a_reset_tcp_allocation_is_gone_and_a_newcomer_on_its_address_gets_437() {
    let relay = Relay::start(Setup {
        turn: true,
        ..Setup::default()
    });
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let port = free_port();
    let mut client = connect_from(port, relay.addr);
    let old = client.local_addr().unwrap();
    let challenge = ask_stream(&mut client, &request(Method::ALLOCATE, None, udp_transport));
    let creds = creds_from(&challenge);
    let ok = ask_stream(
        &mut client,
        &request(Method::ALLOCATE, Some(&creds), udp_transport),
    );
    assert_eq!(code_of(&ok), None);
    let relayed = Message::parse(&ok)
        .unwrap()
        .require::<XorRelayedAddress>()
        .unwrap()
        .0;
    let peer_addr = peer.local_addr().unwrap();
    let permission = request(Method::CREATE_PERMISSION, Some(&creds), |w| {
        w.add(&XorPeerAddress(peer_addr)).unwrap();
    });
    assert_eq!(code_of(&ask_stream(&mut client, &permission)), None);
    // Relayed while the connection lives: the peer's datagram arrives as a Data indication.
    peer.send_to(b"before", relayed).unwrap();
    let data = read_message(&mut client).expect("a Data indication");
    let m = Message::parse(&data).unwrap();
    assert_eq!(m.method(), Method::DATA);
    assert_eq!(m.require::<Data<'_>>().unwrap().0, b"before");
    relay.metric_until("wren_relay_allocations ", |v| v == 1);

    reset(client);
    relay.metric_until("wren_relay_allocations ", |v| v == 0);
    // The client's old address listens now: the relay must never dial it.
    let listener = {
        let s = connect_from_listener(port);
        s.set_nonblocking(true).unwrap();
        s
    };
    // The relayed port is closed: the peer's datagram is refused (ICMP port unreachable).
    peer.connect(relayed).unwrap();
    let mut refused = false;
    let end = Instant::now() + LIMIT;
    while !refused && Instant::now() < end {
        let _ = peer.send(b"after");
        let mut buf = [0u8; 64];
        refused = matches!(peer.recv(&mut buf), Err(e) if e.kind() == ErrorKind::ConnectionRefused);
    }
    assert!(refused, "the relayed port {relayed} is still open");
    assert!(
        matches!(listener.accept(), Err(e) if e.kind() == ErrorKind::WouldBlock),
        "the relay opened a connection to the client's old address"
    );
    drop(listener);

    // A newcomer from the same address and port, with valid credentials of its own.
    let mut newcomer = connect_from(port, relay.addr);
    assert_eq!(newcomer.local_addr().unwrap(), old);
    let challenge = ask_stream(&mut newcomer, &request(Method::REFRESH, None, |_| {}));
    let creds = creds_from(&challenge);
    assert_eq!(
        code_of(&ask_stream(
            &mut newcomer,
            &request(Method::CREATE_PERMISSION, Some(&creds), |w| {
                w.add(&XorPeerAddress(peer_addr)).unwrap();
            })
        )),
        Some(437)
    );
    assert_eq!(
        code_of(&ask_stream(
            &mut newcomer,
            &request(Method::REFRESH, Some(&creds), |_| {})
        )),
        Some(437)
    );
    assert_eq!(relay.metric("wren_relay_allocations "), 0);
    assert_eq!(relay.metric("wren_relay_transmits_no_route_total"), 0);
}

/// A listener on 127.0.0.1:`port` with `SO_REUSEADDR`.
#[allow(unsafe_code)]
fn connect_from_listener(port: u16) -> std::net::TcpListener {
    use std::os::fd::FromRawFd;
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: as in connect_from.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0);
        let one: libc::c_int = 1;
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_REUSEADDR,
            (&raw const one).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
        let mut a: libc::sockaddr_in = std::mem::zeroed();
        a.sin_family = libc::AF_INET as libc::sa_family_t;
        a.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
        a.sin_port = port.to_be();
        assert_eq!(
            libc::bind(fd, (&raw const a).cast(), len),
            0,
            "bind: {}",
            std::io::Error::last_os_error()
        );
        assert_eq!(libc::listen(fd, 16), 0);
        std::net::TcpListener::from_raw_fd(fd)
    }
}

/// Finding 2, the driver's side: the relay never dials a client. A transmit to a client
/// whose connection is gone (the answer to a request that arrived just before the reset)
/// is dropped and counted, and nothing connects to the client's old address.
#[test]
fn an_answer_to_a_client_whose_connection_is_gone_is_dropped_not_dialled() {
    let relay = Relay::start(Setup::default());
    // Many requests written at once, then a reset before the answers can be read: the
    // relay reads them all, and its answers find the connection gone.
    for _ in 0..10 {
        let port = free_port();
        let mut client = connect_from(port, relay.addr);
        let burst: Vec<u8> = (0..200).flat_map(|_| binding()).collect();
        client.write_all(&burst).unwrap();
        reset(client);
        let listener = connect_from_listener(port);
        listener.set_nonblocking(true).unwrap();
        // Once the relay has seen this connection close, it had every chance to dial.
        let closed = relay.metric("wren_relay_connections_closed_total");
        relay.metric_until("wren_relay_connections_closed_total", |v| v > closed);
        assert!(
            matches!(listener.accept(), Err(e) if e.kind() == ErrorKind::WouldBlock),
            "the relay dialled the client"
        );
    }
    relay.metric_until("wren_relay_transmits_no_route_total", |v| v > 0);
}
