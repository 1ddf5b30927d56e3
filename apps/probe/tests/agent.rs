//! `wren-probe agent` on loopback, no servers: two agents joined stdout to stdin connect
//! host to host and exchange data (exit 0); a peer with no usable candidate makes ICE fail
//! with its report (exit 1); silence runs out the time (exit 2); bad options exit 2.
//! The NATs and the relay are in `netns.rs`.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::agent::{Agent, join, wait_both};
use common::probe;

#[test]
fn two_agents_on_loopback_connect_and_exchange_data() {
    let args = |role| {
        [
            "--role",
            role,
            "--interface",
            "127.0.0.1",
            "--timeout",
            "10",
        ]
    };
    let mut a = Agent::start("A", None, &args("controlling"));
    let mut b = Agent::start("B", None, &args("controlled"));
    join(&mut a, &mut b);
    let (sa, sb) = wait_both(&mut a, &mut b, Duration::from_secs(15), String::new);
    let logs = format!("{}\n{}", a.log(), b.log());
    assert!(sa.success() && sb.success(), "A {sa}, B {sb}\n{logs}");
    for agent in [&a, &b] {
        let out = agent.stdout();
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].starts_with("ufrag "), "{logs}");
        assert!(lines[1].starts_with("pwd "), "{logs}");
        assert!(lines.contains(&"end-of-candidates"), "{logs}");
        let pair = agent.connected().expect("connected");
        assert_eq!(
            (pair.local.kind.as_str(), pair.remote.kind.as_str()),
            ("host", "host")
        );
        assert!(pair.local.addr.ip().is_loopback() && pair.remote.addr.ip().is_loopback());
        // Data went both ways: a ping of the peer's arrived, and a pong to one of ours.
        // Not necessarily ping 1's: a controlled agent can get the first ping before it
        // has selected the pair, and its pong to it is not sent; the pinging goes on
        // until a pong comes.
        assert!(
            agent.got_data(": ping ") && agent.got_data(": pong "),
            "{logs}"
        );
    }
    // Each one's remote is the other's local.
    let (pa, pb) = (a.connected().expect("A"), b.connected().expect("B"));
    assert_eq!(pa.remote.addr, pb.local.addr, "{logs}");
    assert_eq!(pb.remote.addr, pa.local.addr, "{logs}");
}

#[test]
fn a_peer_without_usable_candidates_fails_with_the_report() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wren-probe"))
        .args([
            "agent",
            "--role",
            "controlling",
            "-i",
            "127.0.0.1",
            "-t",
            "10",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start wren-probe agent");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("piped");
        // SDP spellings, and a line that is not signalling (ignored).
        let peer =
            "a=ice-ufrag:abcd\nhello\na=ice-pwd:0123456789012345678901\na=end-of-candidates\n";
        stdin.write_all(peer.as_bytes()).expect("write");
    }
    let out = child.wait_with_output().expect("wait");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let failed = stdout
        .split_once("\nfailed\n")
        .unwrap_or_else(|| panic!("a failed line: {stdout}"))
        .1;
    assert!(failed.starts_with("ICE failed after "), "{stdout}");
    assert!(
        failed.contains("the peer gave no usable candidate"),
        "{stdout}"
    );
    assert!(!stdout.contains("connected"), "{stdout}");
}

#[test]
fn silence_runs_out_the_time() {
    let p = probe(&[
        "agent",
        "--role",
        "controlled",
        "-i",
        "127.0.0.1",
        "-t",
        "0.5",
    ]);
    assert_eq!(p.code, Some(2), "{p}");
    assert!(p.stdout.starts_with("ufrag "), "{p}");
    assert!(
        p.stderr.contains("timed out after 0.5 s: no pair selected"),
        "{p}"
    );
}

#[test]
fn bad_options_exit_2() {
    for args in [
        &["agent", "--role", "controlling", "-i", "0.0.0.0"][..],
        &["agent", "--role", "controlling"],
        &["agent", "--role", "both", "-i", "127.0.0.1"],
        &[
            "agent",
            "--role",
            "controlling",
            "-i",
            "127.0.0.1",
            "turn:127.0.0.1",
        ],
        &[
            "agent",
            "--role",
            "controlling",
            "-i",
            "127.0.0.1",
            "turns:127.0.0.1",
        ],
        &[
            "agent",
            "--role",
            "controlling",
            "-i",
            "127.0.0.1",
            "http://x",
        ],
    ] {
        let p = probe(args);
        assert_eq!(p.code, Some(2), "{args:?}: {p}");
        assert!(p.stdout.is_empty(), "{args:?}: {p}");
    }
}
