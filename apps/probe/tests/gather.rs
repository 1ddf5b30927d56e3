//! `wren-probe ice` against coturn and wren-relay on loopback: a `stun:` URI and `turn:`
//! URIs over UDP and over TCP give `typ srflx` and `typ relay` lines that parse back as
//! `wren_ice::Candidate`s, relay candidates on the server's relay IP and port range, and
//! exit status 0.

mod common;

use common::{PASSWORD, Probe, USER, coturn, free_port, probe, relay_ports, wren_relay};
use wren_ice::{Address, CandidateTransport, CandidateType};

/// Probes `stun:`, `turn:` and `turn:?transport=tcp` on 127.0.0.1:`port` and checks every
/// line; `ports` is the server's relay range.
fn gathers_everything(port: u16, ports: (u16, u16), log: impl Fn() -> String) {
    let stun = format!("stun:127.0.0.1:{port}");
    let udp = format!("turn:127.0.0.1:{port}");
    let tcp = format!("turn:127.0.0.1:{port}?transport=tcp");
    let p = probe(&[
        "ice",
        "-u",
        USER,
        "-c",
        PASSWORD,
        "--timeout",
        "5",
        &stun,
        &udp,
        &tcp,
    ]);
    assert_eq!(p.code, Some(0), "{p}\n--- server:\n{}", log());
    assert!(p.stdout.contains("typ srflx"), "{p}");
    assert!(p.stdout.contains("typ relay"), "{p}");

    let kinds = |c: &[wren_ice::Candidate]| c.iter().map(|c| c.kind).collect::<Vec<_>>();
    let stun_c = p.candidates(&stun);
    assert_eq!(kinds(&stun_c), [CandidateType::ServerReflexive], "{p}");
    assert_eq!(stun_c[0].address, Address::Ip([127, 0, 0, 1].into()));
    assert_eq!(stun_c[0].transport, CandidateTransport::Udp);

    for (server, srflx_transport) in [
        (&udp, CandidateTransport::Udp),
        (&tcp, CandidateTransport::Tcp),
    ] {
        let c = p.candidates(server);
        assert_eq!(
            kinds(&c),
            [CandidateType::ServerReflexive, CandidateType::Relayed],
            "{server}: {p}"
        );
        assert_eq!(c[0].transport, srflx_transport, "{server}");
        let relay = &c[1];
        // The relayed transport is UDP whatever carries the messages to the server.
        assert_eq!(relay.transport, CandidateTransport::Udp, "{server}");
        assert_eq!(
            relay.address,
            Address::Ip([127, 0, 0, 1].into()),
            "{server}"
        );
        assert!(
            (ports.0..=ports.1).contains(&relay.port),
            "{server}: relay port {} outside {ports:?}",
            relay.port
        );
        // The related address of a relayed candidate is the mapped address.
        assert_eq!(
            relay.related,
            Some((c[0].address.clone(), c[0].port)),
            "{server}"
        );
    }
}

#[test]
fn coturn_gives_srflx_and_relay_over_udp_and_tcp() {
    let (port, ports) = (free_port(), relay_ports());
    let server = coturn(port, ports);
    gathers_everything(port, ports, || server.output());
}

#[test]
fn wren_relay_gives_srflx_and_relay_over_udp_and_tcp() {
    let (port, ports) = (free_port(), relay_ports());
    let server = wren_relay(port, ports, &[]);
    gathers_everything(port, ports, || server.output());
}

#[test]
fn json_lines_carry_the_same_candidates() {
    let (port, ports) = (free_port(), relay_ports());
    let _server = coturn(port, ports);
    let udp = format!("turn:127.0.0.1:{port}");
    let p: Probe = probe(&["ice", "--json", "-u", USER, "-c", PASSWORD, &udp]);
    assert_eq!(p.code, Some(0), "{p}");
    let lines: Vec<&str> = p.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{p}");
    for line in lines {
        assert!(
            line.starts_with(&format!("{{\"server\":\"{udp}\",\"ms\":")),
            "{line}"
        );
        let candidate = line
            .split("\"candidate\":\"")
            .nth(1)
            .and_then(|c| c.strip_suffix("\"}"))
            .unwrap_or_else(|| panic!("no candidate in {line}"));
        candidate
            .parse::<wren_ice::Candidate>()
            .unwrap_or_else(|e| panic!("{candidate}: {e}"));
    }
}
