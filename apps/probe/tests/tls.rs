//! `turns:` against wren-relay's TLS listener, with a fresh self-signed certificate
//! (rcgen) for 127.0.0.1: it works with `--ca` naming that certificate, and with
//! `--insecure`; without either, the probe says the TLS handshake failed and why.

mod common;

use common::{
    PASSWORD, Server, TempDir, USER, free_port, probe, relay_ports, wait_tcp, wren_relay,
};
use wren_ice::{Address, CandidateTransport, CandidateType};

/// wren-relay with a TLS listener and the directory holding `cert.pem`; returns the TLS
/// port too.
fn tls_relay() -> (Server, TempDir, u16) {
    let dir = TempDir::new("tls");
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .expect("a self-signed certificate");
    std::fs::write(dir.path("cert.pem"), certified.cert.pem()).expect("write cert.pem");
    std::fs::write(dir.path("pkey.pem"), certified.signing_key.serialize_pem())
        .expect("write pkey.pem");
    let (port, tls_port, ports) = (free_port(), free_port(), relay_ports());
    let extra = [
        "--tls-listening-port".to_owned(),
        tls_port.to_string(),
        "--cert".to_owned(),
        dir.path("cert.pem"),
        "--pkey".to_owned(),
        dir.path("pkey.pem"),
    ];
    let server = wren_relay(port, ports, &extra);
    wait_tcp(tls_port);
    (server, dir, tls_port)
}

fn assert_relay_over_tls(p: &common::Probe, uri: &str) {
    assert_eq!(p.code, Some(0), "{p}");
    let c = p.candidates(uri);
    let kinds: Vec<_> = c.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds,
        [CandidateType::ServerReflexive, CandidateType::Relayed],
        "{p}"
    );
    assert_eq!(c[1].transport, CandidateTransport::Udp);
    assert_eq!(c[1].address, Address::Ip([127, 0, 0, 1].into()));
}

#[test]
fn turns_with_ca_gives_a_relay() {
    let (server, dir, tls_port) = tls_relay();
    let uri = format!("turns:127.0.0.1:{tls_port}");
    let ca = dir.path("cert.pem");
    let p = probe(&["ice", "--ca", &ca, "-u", USER, "-c", PASSWORD, &uri]);
    assert_relay_over_tls(&p, &uri);
    assert!(p.stdout.contains("typ relay"), "{p}\n{}", server.output());
}

#[test]
fn turns_insecure_gives_a_relay() {
    let (_server, _dir, tls_port) = tls_relay();
    let uri = format!("turns:127.0.0.1:{tls_port}?transport=tcp");
    let p = probe(&["ice", "--insecure", "-u", USER, "-c", PASSWORD, &uri]);
    assert_relay_over_tls(&p, &uri);
}

#[test]
fn turns_without_ca_is_a_tls_failure() {
    let (_server, _dir, tls_port) = tls_relay();
    let uri = format!("turns:127.0.0.1:{tls_port}");
    let p = probe(&["ice", "--timeout", "3", "-u", USER, "-c", PASSWORD, &uri]);
    assert_eq!(p.code, Some(1), "{p}");
    let why = p.failure(&uri).unwrap_or_default();
    assert!(
        why.starts_with("TLS failure: invalid peer certificate"),
        "{p}"
    );
    assert!(why.contains("UnknownIssuer"), "{p}");
}

#[test]
fn unreadable_ca_file_is_a_usage_error() {
    let p = probe(&["ice", "--ca", "/nonexistent/ca.pem", "stuns:127.0.0.1"]);
    assert_eq!(p.code, Some(2), "{p}");
    assert!(
        p.stderr
            .contains("cannot read CA certificates from /nonexistent/ca.pem"),
        "{p}"
    );
}

#[test]
fn stuns_with_ca_gives_a_tcp_srflx() {
    let (_server, dir, tls_port) = tls_relay();
    let uri = format!("stuns:127.0.0.1:{tls_port}");
    let ca = dir.path("cert.pem");
    let p = probe(&["ice", "--ca", &ca, &uri]);
    assert_eq!(p.code, Some(0), "{p}");
    let c = p.candidates(&uri);
    assert_eq!(c.len(), 1, "{p}");
    assert_eq!(c[0].kind, CandidateType::ServerReflexive);
    assert_eq!(c[0].transport, CandidateTransport::Tcp);
}
