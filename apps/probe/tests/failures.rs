//! What `wren-probe ice` says when a server gives nothing: the 401 of a wrong password
//! (coturn and wren-relay, UDP and TCP), a timeout where nothing listens, a refused TCP
//! connection, a DNS failure, a bad URI; and the exit status is never 0.

mod common;

use std::time::{Duration, Instant};

use common::{USER, coturn, free_port, probe, relay_ports, wren_relay};

fn wrong_password_is_401(port: u16) {
    let udp = format!("turn:127.0.0.1:{port}");
    let tcp = format!("turn:127.0.0.1:{port}?transport=tcp");
    let p = probe(&["ice", "-u", USER, "-c", "wrong", &udp, &tcp]);
    assert_eq!(p.code, Some(1), "{p}");
    for server in [&udp, &tcp] {
        assert_eq!(
            p.failure(server),
            Some("401 Unauthorized: credentials refused (username \"test\")"),
            "{server}: {p}"
        );
        assert!(p.candidates(server).is_empty(), "{p}");
    }
    assert!(p.stderr.contains("0 of 2 servers answered"), "{p}");
}

#[test]
fn coturn_wrong_password_prints_401() {
    let (port, ports) = (free_port(), relay_ports());
    let _server = coturn(port, ports);
    wrong_password_is_401(port);
}

#[test]
fn wren_relay_wrong_password_prints_401() {
    let (port, ports) = (free_port(), relay_ports());
    let _server = wren_relay(port, ports, &[]);
    wrong_password_is_401(port);
}

#[test]
fn silent_stun_port_times_out() {
    // A bound socket that never answers: nothing listens for STUN there.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("address").port();
    let uri = format!("stun:127.0.0.1:{port}");
    let started = Instant::now();
    let p = probe(&["ice", "--timeout", "1", &uri]);
    let took = started.elapsed();
    assert_eq!(p.code, Some(1), "{p}");
    assert_eq!(
        p.failure(&uri),
        Some("timeout: no answer within 1 s"),
        "{p}"
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn closed_tcp_port_is_refused_and_others_still_answer() {
    let (port, ports) = (free_port(), relay_ports());
    let _server = coturn(port, ports);
    let closed = free_port();
    let refused = format!("turn:127.0.0.1:{closed}?transport=tcp");
    let good = format!("stun:127.0.0.1:{port}");
    let p = probe(&[
        "ice",
        "-u",
        USER,
        "-c",
        "x",
        "--timeout",
        "2",
        &refused,
        &good,
    ]);
    assert_eq!(p.code, Some(1), "{p}");
    assert_eq!(p.failure(&refused), Some("connection refused"), "{p}");
    assert_eq!(p.candidates(&good).len(), 1, "{p}");
    assert!(p.stderr.contains("1 of 2 servers answered"), "{p}");
}

#[test]
fn unknown_host_is_a_dns_failure() {
    // .invalid never resolves (RFC 6761 section 6.4).
    let uri = "stun:no-such-host.invalid";
    let p = probe(&["ice", "--timeout", "3", uri]);
    assert_eq!(p.code, Some(1), "{p}");
    let why = p.failure(uri).unwrap_or_default();
    assert!(
        why.starts_with("DNS lookup of no-such-host.invalid") || why.starts_with("timeout"),
        "{p}"
    );
}

#[test]
fn bad_uris_are_refused_before_anything_is_sent() {
    let p = probe(&[
        "ice",
        "stun:[::1",
        "turn:example.org?transport=sctp",
        "http://x",
    ]);
    assert_eq!(p.code, Some(2), "{p}");
    assert!(p.stdout.is_empty(), "{p}");
    assert!(
        p.stderr.contains("bad URI \"stun:[::1\": unclosed '['"),
        "{p}"
    );
    assert!(p.stderr.contains("unsupported transport \"sctp\""), "{p}");
    assert!(p.stderr.contains("unknown scheme \"http\""), "{p}");
}

#[test]
fn turn_without_credentials_is_a_usage_error() {
    let p = probe(&["ice", "-u", USER, "turn:127.0.0.1:9"]);
    assert_eq!(p.code, Some(2), "{p}");
    assert!(p.stdout.is_empty(), "{p}");
    assert!(
        p.stderr
            .contains("turn: and turns: URIs need --username and --credential"),
        "{p}"
    );
}
