//! Two `wren-probe agent`s behind real Linux NATs, in network namespaces the test makes
//! and removes, connect over real sockets (wren-tokio), through wren-relay when they must.
//!
//! ```text
//!   A 10.0.1.2 ── lan 10.0.1.1 [NAT A] wan 203.0.113.10 ─┐
//!                                                         ├─ br0 203.0.113.1  wren-relay
//!   B 10.0.2.2 ── lan 10.0.2.1 [NAT B] wan 203.0.113.20 ─┘     (namespace "pub")
//! ```
//!
//! Five namespaces per test (`wrn<pid><case>{a,b,ra,rb,pub}`), joined by veth pairs; the
//! "public" segment is a bridge in the relay's namespace. A and B route by default through
//! their NAT router; the routers and the relay have no default route; nothing is attached
//! to the host's own namespace, so every packet stays inside the test's namespaces. Each
//! router forwards, and masquerades what leaves its wan (nftables). The agents' stdout is
//! carried to the other's stdin by the test, line by line: the signalling.
//!
//! What the kernel's NAT does, case by case:
//!
//! - masquerade behind the usual stateful firewall of a router (new connections from the
//!   wan dropped): conntrack keeps the source port (the mapping is endpoint-independent
//!   while nothing clashes) and lets in only replies (address-and-port-dependent
//!   filtering). Hole punching works: the agents connect directly, server-reflexive to
//!   server-reflexive (or peer-reflexive).
//! - bare masquerade, no firewall: the peer's first check reaches the router before the
//!   host behind it has sent anything to the peer, finds no connection, goes to the router
//!   itself (port unreachable), and conntrack keeps that unreplied connection. When the
//!   host then sends to the peer, its connection's reply tuple would clash with it, so
//!   masquerade picks another port: the mapping the peer was told about is not used
//!   towards the peer. Both sides do it to each other, and the agents connect through the
//!   relay (unless both first checks cross in the same instant).
//! - masquerade `fully-random` (a new random port for every connection: a symmetric NAT,
//!   address-and-port-dependent mapping) behind the same firewall: no direct path can
//!   exist, and they connect through the relay.
//!
//! Runs as root (it makes namespaces and nftables rules); it fails, never skips, without.
//! Needs `ip` (iproute2) and `nft` (scripts/install-deps.sh installs nftables).

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::agent::{Agent, Selected, join, wait_both};
use common::{PASSWORD, Server, USER, relay_binary};
use wren_ice::CandidateType;

/// The relay's address on the public segment (its listening and relayed address).
const RELAY: &str = "203.0.113.1";
/// How long one agent may take (`--timeout`); the test waits a little longer.
const AGENT_TIMEOUT_S: u64 = 15;

/// How the NAT routers treat traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Nat {
    /// `masquerade` and a router's stateful firewall (nothing new comes in from the wan).
    Firewalled,
    /// `masquerade` alone.
    Bare,
    /// `masquerade fully-random` and the stateful firewall.
    Symmetric,
}

impl Nat {
    fn tag(self) -> &'static str {
        match self {
            Nat::Firewalled => "fw",
            Nat::Bare => "bare",
            Nat::Symmetric => "sym",
        }
    }

    /// The nftables ruleset of a router whose private side is `lan` and public side `wan`.
    fn ruleset(self) -> String {
        let masquerade = match self {
            Nat::Symmetric => "masquerade fully-random",
            Nat::Firewalled | Nat::Bare => "masquerade",
        };
        let firewall = match self {
            Nat::Bare => "",
            Nat::Firewalled | Nat::Symmetric => {
                "chain input {
                    type filter hook input priority filter; policy drop;
                    ct state established,related accept
                    iifname { \"lo\", \"lan\" } accept
                }
                chain forward {
                    type filter hook forward priority filter; policy drop;
                    ct state established,related accept
                    iifname \"lan\" oifname \"wan\" accept
                }"
            }
        };
        format!(
            "table ip wren_nat {{
                chain postrouting {{
                    type nat hook postrouting priority srcnat; policy accept;
                    oifname \"wan\" {masquerade}
                }}
                {firewall}
            }}\n"
        )
    }
}

/// Runs `program` with `args`, `input` on its stdin; panics with its output when it fails.
fn run(program: &str, args: &[&str], input: Option<&str>) {
    let mut child = Command::new(program)
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run {program} ({e}): the test needs iproute2 and nftables (scripts/install-deps.sh)")
        });
    if let Some(text) = input {
        let mut stdin = child.stdin.take().expect("piped stdin");
        stdin.write_all(text.as_bytes()).expect("write to stdin");
    }
    let out = child.wait_with_output().expect("wait for the command");
    assert!(
        out.status.success(),
        "`{program} {}` failed ({}): {}{}\n(this test makes network namespaces and nftables rules: it must run as root)",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
}

fn ip(args: &[&str]) {
    run("ip", args, None);
}

/// The namespaces of one test, deleted on drop (their veths and rules go with them).
/// Processes started in them must be gone first: drop them before this.
struct Namespaces {
    prefix: String,
    made: Vec<String>,
}

impl Namespaces {
    fn new(tag: &str) -> Namespaces {
        Namespaces {
            prefix: format!("wrn{}{tag}", std::process::id()),
            made: Vec::new(),
        }
    }

    /// Makes namespace `name` (under the test's prefix) with its loopback up.
    fn add(&mut self, name: &str) -> String {
        let full = format!("{}{name}", self.prefix);
        // Kept before it exists, so that a half-made one is removed too.
        self.made.push(full.clone());
        ip(&["netns", "add", &full]);
        ip(&["-n", &full, "link", "set", "lo", "up"]);
        full
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        for ns in self.made.iter().rev() {
            let _ = Command::new("ip")
                .args(["netns", "delete", ns])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// The network of one test: A and B behind their NAT routers, the relay's namespace.
struct Net {
    _ns: Namespaces,
    a: String,
    b: String,
    public: String,
}

/// Builds the network with routers of kind `nat`.
fn network(nat: Nat) -> Net {
    let mut ns = Namespaces::new(nat.tag());
    let public = ns.add("pub");
    ip(&["-n", &public, "link", "add", "br0", "type", "bridge"]);
    ip(&[
        "-n",
        &public,
        "addr",
        "add",
        &format!("{RELAY}/24"),
        "dev",
        "br0",
    ]);
    ip(&["-n", &public, "link", "set", "br0", "up"]);
    let mut hosts = Vec::new();
    for (side, subnet, wan) in [("a", 1, "203.0.113.10"), ("b", 2, "203.0.113.20")] {
        let router = ns.add(&format!("r{side}"));
        let host = ns.add(side);
        // The router's wan, its other end on the public bridge.
        let port = format!("to{side}");
        ip(&[
            "-n", &router, "link", "add", "wan", "type", "veth", "peer", "name", &port, "netns",
            &public,
        ]);
        ip(&["-n", &public, "link", "set", &port, "master", "br0", "up"]);
        ip(&[
            "-n",
            &router,
            "addr",
            "add",
            &format!("{wan}/24"),
            "dev",
            "wan",
        ]);
        ip(&["-n", &router, "link", "set", "wan", "up"]);
        // The private link: host eth0 to router lan.
        ip(&[
            "-n", &host, "link", "add", "eth0", "type", "veth", "peer", "name", "lan", "netns",
            &router,
        ]);
        let gateway = format!("10.0.{subnet}.1");
        ip(&[
            "-n",
            &router,
            "addr",
            "add",
            &format!("{gateway}/24"),
            "dev",
            "lan",
        ]);
        ip(&["-n", &router, "link", "set", "lan", "up"]);
        ip(&[
            "-n",
            &host,
            "addr",
            "add",
            &format!("10.0.{subnet}.2/24"),
            "dev",
            "eth0",
        ]);
        ip(&["-n", &host, "link", "set", "eth0", "up"]);
        ip(&["-n", &host, "route", "add", "default", "via", &gateway]);
        // /proc/sys/net is the namespace's own inside it.
        run(
            "ip",
            &[
                "netns",
                "exec",
                &router,
                "sh",
                "-c",
                "echo 1 > /proc/sys/net/ipv4/ip_forward",
            ],
            None,
        );
        run(
            "ip",
            &["netns", "exec", &router, "nft", "-f", "-"],
            Some(&nat.ruleset()),
        );
        hosts.push(host);
    }
    let b = hosts.pop().expect("b");
    let a = hosts.pop().expect("a");
    Net {
        _ns: ns,
        a,
        b,
        public,
    }
}

/// wren-relay in the public namespace, TURN with the test's user; returns once it listens.
fn relay(net: &Net) -> Server {
    let binary = relay_binary();
    let mut args: Vec<String> = vec!["netns".into(), "exec".into(), net.public.clone()];
    args.push(binary.to_string_lossy().into_owned());
    for a in [
        "-L",
        RELAY,
        "-p",
        "3478",
        "--relay-ip",
        RELAY,
        "--min-port",
        "49152",
        "--max-port",
        "49407",
        "--realm",
        "example.org",
        "--lt-cred-mech",
        "--user",
        &format!("{USER}:{PASSWORD}"),
        // The peers (the NATs' public addresses) are in a documentation range, which the
        // relay's default policy refuses.
        "--allowed-peer-ip",
        "203.0.113.0/24",
    ] {
        args.push(a.to_owned());
    }
    let server = Server::start(Path::new("ip"), &args, None);
    let end = Instant::now() + Duration::from_secs(10);
    while !server.output().contains("listening on UDP") {
        assert!(
            Instant::now() < end,
            "wren-relay did not listen within 10 s:\n{}",
            server.output()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    server
}

/// What one case gave: both agents and the pairs they selected.
struct Outcome {
    a: Agent,
    b: Agent,
    a_pair: Selected,
    b_pair: Selected,
}

/// Starts the agent `name` in namespace `ns` with `role` on `interface`, with the relay.
fn agent(name: &'static str, ns: &str, role: &str, interface: &str) -> Agent {
    let turn = format!("turn:{RELAY}:3478");
    let timeout = AGENT_TIMEOUT_S.to_string();
    // Only a turn: URI: its allocation gives the server-reflexive candidate too (and a stun:
    // URI of the same server would hold gathering up: wren-ice hands the server's every
    // answer to the TURN client).
    let args = [
        "--role",
        role,
        "--interface",
        interface,
        "--timeout",
        &timeout,
        "-u",
        USER,
        "-c",
        PASSWORD,
        &turn,
    ];
    Agent::start(name, Some(ns), &args)
}

/// Builds the network for `nat`, runs the relay and the two agents, waits for both to
/// exit with 0 (connected, and data went both ways) and returns what they printed.
/// Everything is removed on return or panic.
fn connect(nat: Nat) -> (Outcome, String) {
    let net = network(nat);
    let relay = relay(&net);
    let started = Instant::now();
    let mut a = agent("A", &net.a, "controlling", "10.0.1.2");
    let mut b = agent("B", &net.b, "controlled", "10.0.2.2");
    join(&mut a, &mut b);
    let limit = Duration::from_secs(AGENT_TIMEOUT_S + 5);
    let (a_status, b_status) = wait_both(&mut a, &mut b, limit, || {
        format!("{nat:?}\n--- relay:\n{}", relay.output())
    });
    let took = started.elapsed();
    let logs = format!(
        "{nat:?}, {took:?}\n{}\n{}\n--- relay:\n{}",
        a.log(),
        b.log(),
        relay.output()
    );
    assert!(
        a_status.success() && b_status.success(),
        "{nat:?}: A exited {a_status}, B {b_status}\n{logs}"
    );
    let a_pair = a
        .connected()
        .unwrap_or_else(|| panic!("A connected\n{logs}"));
    let b_pair = b
        .connected()
        .unwrap_or_else(|| panic!("B connected\n{logs}"));
    for agent in [&a, &b] {
        // A ping of the peer's arrived, and a pong to its own.
        assert!(
            agent.got_data(": ping ") && agent.got_data(": pong "),
            "{}: data\n{logs}",
            agent.name
        );
    }
    drop(relay);
    drop(net);
    eprintln!("{nat:?}: A {a_pair}, B {b_pair}, in {took:?}");
    (
        Outcome {
            a,
            b,
            a_pair,
            b_pair,
        },
        logs,
    )
}

/// Each agent's server-reflexive candidate: `(its port, its base's port)`.
fn srflx_ports(agent: &Agent, logs: &str) -> (u16, u16) {
    let srflx = agent.candidates(CandidateType::ServerReflexive);
    let c = srflx
        .first()
        .unwrap_or_else(|| panic!("{}: a srflx candidate\n{logs}", agent.name));
    let (_, base_port) = c.related.clone().expect("srflx has a related address");
    (c.port, base_port)
}

#[test]
fn nat_with_a_stateful_firewall_connects_directly() {
    let (o, logs) = connect(Nat::Firewalled);
    // conntrack kept each host's port: the mapping did not depend on the destination.
    for agent in [&o.a, &o.b] {
        let (port, base) = srflx_ports(agent, &logs);
        assert_eq!(
            port, base,
            "{}: masquerade keeps the port\n{logs}",
            agent.name
        );
    }
    for (pair, peer_nat) in [(&o.a_pair, "203.0.113.20"), (&o.b_pair, "203.0.113.10")] {
        assert!(!pair.relayed(), "a direct path\n{logs}");
        assert!(
            ["srflx", "prflx"].contains(&pair.remote.kind.as_str()),
            "the peer is reached at its NAT's address\n{logs}"
        );
        assert_eq!(pair.remote.addr.ip().to_string(), peer_nat, "{logs}");
    }
    // The two ends of one path: each side's remote is the other's NAT mapping.
    assert_eq!(
        o.a_pair.remote.addr.port(),
        srflx_ports(&o.b, &logs).0,
        "{logs}"
    );
    assert_eq!(
        o.b_pair.remote.addr.port(),
        srflx_ports(&o.a, &logs).0,
        "{logs}"
    );
}

#[test]
fn bare_masquerade_connects() {
    // Direct or relayed depends on whose first check reaches the other's router first
    // (see the module documentation); almost always relayed. Only connecting is asserted.
    let (o, _) = connect(Nat::Bare);
    eprintln!("bare masquerade: relayed: {}", o.a_pair.relayed());
}

#[test]
fn symmetric_nat_connects_through_the_relay() {
    let (o, logs) = connect(Nat::Symmetric);
    for agent in [&o.a, &o.b] {
        // fully-random: the mapping towards the relay is not the host's port (a chance of
        // about 1 in 64 000 that it is by luck).
        let (port, base) = srflx_ports(agent, &logs);
        assert_ne!(port, base, "{}: fully-random mapping\n{logs}", agent.name);
    }
    assert!(o.a_pair.relayed(), "A through the relay\n{logs}");
    assert!(o.b_pair.relayed(), "B through the relay\n{logs}");
    // One path, seen from both ends: A's relayed end is an end of B's pair too.
    let relayed = if o.a_pair.local.kind == "relay" {
        o.a_pair.local.addr
    } else {
        o.a_pair.remote.addr
    };
    assert_eq!(relayed.ip().to_string(), RELAY, "{logs}");
    assert!(
        [o.b_pair.local.addr, o.b_pair.remote.addr].contains(&relayed),
        "{logs}"
    );
}
