//! wren-relay as a TURN server for coturn's own test client: `turnutils_uclient` relays
//! through wren-relay to `turnutils_peer` (an echo peer) over UDP and TCP, with channels and
//! with Send indications, under static users and under the TURN REST shared secret. Every
//! run must end with no lost packets.
//!
//! All programs run on 127.0.0.1, started and stopped by the test.

mod common;

use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use common::{Peer, free_port, relay, run};

/// Relay port ranges, one per test so parallel tests never share a port.
fn port_range() -> (u16, u16) {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let k = NEXT.fetch_add(1, Ordering::Relaxed);
    let min = 52000 + k * 200;
    (min, min + 199)
}

#[derive(Clone, Copy)]
enum Auth {
    Static,
    Rest,
}

/// Starts wren-relay with TURN, an echo peer, and runs `turnutils_uclient` with `extra`
/// flags; returns its output after checking it lost nothing.
fn relay_through(auth: Auth, extra: &[&str]) -> String {
    relay_through_with(auth, &[], extra).0
}

/// [`relay_through`] with more wren-relay arguments; also returns the still running relay.
fn relay_through_with(auth: Auth, relay_extra: &[&str], extra: &[&str]) -> (String, Peer) {
    let port = free_port();
    let (min, max) = port_range();
    let (min_s, max_s) = (min.to_string(), max.to_string());
    let mut args = vec![
        "--relay-ip",
        "127.0.0.1",
        "--min-port",
        &min_s,
        "--max-port",
        &max_s,
        "--realm",
        "example.org",
        "--allow-loopback-peers",
    ];
    match auth {
        Auth::Static => args.extend(["--lt-cred-mech", "--user", "test:secret"]),
        Auth::Rest => args.extend(["--use-auth-secret", "--static-auth-secret", "north"]),
    }
    args.extend(relay_extra);
    let relay = relay(port, &args);
    let peer_port = free_port();
    let _peer = Peer::start(
        "turnutils_peer",
        "turnutils_peer",
        &[
            "-L".into(),
            "127.0.0.1".into(),
            "-p".into(),
            peer_port.to_string(),
        ],
    );
    std::thread::sleep(Duration::from_millis(200)); // the peer binds its socket
    let (p, pp) = (port.to_string(), peer_port.to_string());
    let mut uclient = vec![
        "-e",
        "127.0.0.1",
        "-r",
        &pp,
        "-p",
        &p,
        "-m",
        "4",
        "-l",
        "170",
        "-n",
        "100",
        "-z",
        "5",
        "-c",
    ];
    match auth {
        Auth::Static => uclient.extend(["-u", "test", "-w", "secret"]),
        Auth::Rest => uclient.extend(["-u", "carol", "-W", "north"]),
    }
    uclient.extend(extra);
    uclient.push("127.0.0.1");
    let (code, out) = run("turnutils_uclient", &uclient, Duration::from_secs(60));
    assert_eq!(
        code,
        Some(0),
        "turnutils_uclient failed:\n{out}\n--- relay:\n{}",
        relay.output()
    );
    assert!(
        out.contains("tot_send_msgs=400, tot_recv_msgs=400"),
        "not every message came back:\n{out}\n--- relay:\n{}",
        relay.output()
    );
    assert!(
        out.contains("Total lost packets 0 (0.000000%)"),
        "packets lost:\n{out}"
    );
    (out, relay)
}

#[test]
fn udp_channels_static_user() {
    relay_through(Auth::Static, &[]);
}

/// `-g`: the Allocate carries DONT-FRAGMENT, so the relayed address is bound with DF set
/// (RFC 8656 section 7.2) instead of the Allocate being refused 420.
#[test]
fn udp_channels_dont_fragment_static_user() {
    relay_through(Auth::Static, &["-g"]);
}

#[test]
fn udp_send_indications_static_user() {
    relay_through(Auth::Static, &["-s"]);
}

#[test]
fn tcp_channels_static_user() {
    relay_through(Auth::Static, &["-t"]);
}

#[test]
fn tcp_send_indications_static_user() {
    relay_through(Auth::Static, &["-t", "-s"]);
}

#[test]
fn udp_channels_rest_secret() {
    relay_through(Auth::Rest, &[]);
}

#[test]
fn udp_send_indications_rest_secret() {
    relay_through(Auth::Rest, &["-s"]);
}

#[test]
fn tcp_channels_rest_secret() {
    relay_through(Auth::Rest, &["-t"]);
}

#[test]
fn tcp_send_indications_rest_secret() {
    relay_through(Auth::Rest, &["-t", "-s"]);
}

#[test]
fn a_wrong_password_cannot_allocate() {
    let port = free_port();
    let (min, max) = port_range();
    let (min_s, max_s) = (min.to_string(), max.to_string());
    let _relay = relay(
        port,
        &[
            "--relay-ip",
            "127.0.0.1",
            "--min-port",
            &min_s,
            "--max-port",
            &max_s,
            "--realm",
            "example.org",
            "--lt-cred-mech",
            "--user",
            "test:secret",
        ],
    );
    let p = port.to_string();
    let (code, out) = run(
        "turnutils_uclient",
        &[
            "-e",
            "127.0.0.1",
            "-r",
            "9",
            "-p",
            &p,
            "-n",
            "1",
            "-u",
            "test",
            "-w",
            "wrong",
            "127.0.0.1",
        ],
        Duration::from_secs(60),
    );
    assert_ne!(code, Some(0), "{out}");
    assert!(out.contains("Cannot complete Allocation"), "{out}");
}

/// Fetches `/metrics` from 127.0.0.1:`port` with a plain HTTP/1.0 request.
fn scrape(port: u16) -> String {
    use std::io::{Read, Write};
    let mut stream =
        std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect to the metrics port");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\n\r\n")
        .expect("send the request");
    let mut text = String::new();
    stream.read_to_string(&mut text).expect("read the response");
    assert!(
        text.starts_with("HTTP/1.1 200") || text.starts_with("HTTP/1.0 200"),
        "{text}"
    );
    text
}

/// The value of the series line starting with `series` (name and labels).
fn value(text: &str, series: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok()))
        .unwrap_or_else(|| panic!("no {series} in:\n{text}"))
}

#[test]
fn prometheus_counts_what_was_relayed() {
    let metrics_port = free_port();
    let mp = metrics_port.to_string();
    let (_out, relay) = relay_through_with(
        Auth::Static,
        &["--prometheus", "--prometheus-port", &mp],
        &[],
    );
    // The snapshot is refreshed every 250 ms.
    std::thread::sleep(Duration::from_millis(600));
    let text = scrape(metrics_port);
    assert_eq!(
        value(
            &text,
            "wren_relay_packets_relayed_total{direction=\"to_peer\"}"
        ),
        400,
        "{}",
        relay.output()
    );
    assert_eq!(
        value(
            &text,
            "wren_relay_packets_relayed_total{direction=\"to_client\"}"
        ),
        400
    );
    assert_eq!(
        value(
            &text,
            "wren_relay_bytes_relayed_total{direction=\"to_peer\"}"
        ),
        400 * 170
    );
    // As many as the relay logged (turnutils_uclient makes more than one per client).
    let created = relay.output().matches("allocation created").count() as u64;
    assert!(created >= 4, "{}", relay.output());
    assert_eq!(
        value(&text, "wren_relay_allocations_created_total"),
        created
    );
    assert!(value(&text, "wren_relay_channels") <= 4);
    assert_eq!(
        value(&text, "wren_relay_dropped_total{reason=\"no_permission\"}"),
        0
    );
}
