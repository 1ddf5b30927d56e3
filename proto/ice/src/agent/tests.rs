//! Two agents wired back to back on a lossless virtual network: the behaviours of RFC 8445
//! that need no NAT (the NAT matrix lives in tests/nat_matrix.rs, on wren-netsim).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use wren_core::{Datagram, Machine, SocketRequest, SocketResult, Transport};

use super::*;
use crate::candidate::{Address, CandidateType};
use crate::message;

struct Net {
    now: Instant,
    agents: Vec<Agent>,
    /// Bound address -> agent.
    owners: HashMap<SocketAddr, usize>,
    next_port: u16,
    /// Local candidates of each agent (lines), trickled to the other.
    events: Vec<Vec<Event>>,
    /// Datagrams in flight: (arrival, to agent, datagram bytes, source, destination, proto).
    flight: Vec<(Instant, usize, Vec<u8>, SocketAddr, SocketAddr, Transport)>,
    delay: Duration,
    /// Binding indications (keepalives) delivered to each agent.
    keepalives: [u32; 2],
    /// Drop everything from agent i to agent j for each (i, j) here.
    cut: Vec<(usize, usize)>,
    trickle: bool,
    /// Candidates of this agent are held here instead of trickled (signalling slower than
    /// the checks).
    hold_from: Option<usize>,
    held: Vec<Candidate>,
}

impl Net {
    fn new(a: Config, b: Config) -> Net {
        Net::with_trickle(a, b, true)
    }

    fn with_trickle(a: Config, b: Config, trickle: bool) -> Net {
        Net::build(a, b, trickle, Vec::new())
    }

    fn build(a: Config, b: Config, trickle: bool, cut: Vec<(usize, usize)>) -> Net {
        Net::build_holding(a, b, trickle, cut, None)
    }

    /// A net whose agent `hold_from`'s candidates are held back (see [`Net::held`]).
    fn build_holding(
        a: Config,
        b: Config,
        trickle: bool,
        cut: Vec<(usize, usize)>,
        hold_from: Option<usize>,
    ) -> Net {
        #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
        let now = Instant::now();
        let mut net = Net {
            now,
            agents: vec![Agent::new(now, a), Agent::new(now, b)],
            owners: HashMap::new(),
            next_port: 40000,
            events: vec![Vec::new(), Vec::new()],
            flight: Vec::new(),
            delay: Duration::from_millis(10),
            cut,
            trickle,
            keepalives: [0, 0],
            hold_from,
            held: Vec::new(),
        };
        let (ca, cb) = (
            net.agents[0].local_credentials().clone(),
            net.agents[1].local_credentials().clone(),
        );
        net.agents[0].set_remote_credentials(now, cb).unwrap();
        net.agents[1].set_remote_credentials(now, ca).unwrap();
        net.drain(0);
        net.drain(1);
        net
    }

    fn drain(&mut self, i: usize) {
        let now = self.now;
        loop {
            let mut progressed = false;
            while let Some(req) = self.agents[i].poll_socket_request() {
                progressed = true;
                if let SocketRequest::Bind {
                    addr, transport, ..
                } = req
                {
                    self.next_port += 1;
                    let bound = SocketAddr::new(addr.ip(), self.next_port);
                    self.owners.insert(bound, i);
                    self.agents[i].handle_socket_result(
                        now,
                        SocketResult::of_bind(addr, transport, Ok(bound)),
                    );
                }
            }
            let mut buf = Vec::new();
            while let Some(t) = self.agents[i].poll_transmit(now, &mut buf) {
                progressed = true;
                if let Some(&j) = self.owners.get(&t.destination) {
                    if !self.cut.contains(&(i, j)) {
                        let src = t.source.unwrap();
                        self.flight.push((
                            now + self.delay,
                            j,
                            buf.clone(),
                            src,
                            t.destination,
                            t.proto,
                        ));
                    }
                }
                buf.clear();
            }
            while let Some(e) = self.agents[i].poll_event() {
                progressed = true;
                if let Event::LocalCandidate(c) = &e {
                    if self.hold_from == Some(i) {
                        self.held.push(c.clone());
                    } else if self.trickle {
                        self.agents[1 - i]
                            .add_remote_candidate(now, c.clone())
                            .unwrap();
                    }
                }
                self.events[i].push(e);
            }
            if !progressed {
                break;
            }
            self.drain(1 - i);
        }
    }

    fn step(&mut self) -> bool {
        let next_flight = self.flight.iter().map(|f| f.0).min();
        let next_timer = self.agents.iter().filter_map(|a| a.poll_timeout()).min();
        let Some(next) = [next_flight, next_timer].into_iter().flatten().min() else {
            return false;
        };
        self.now = self.now.max(next);
        let now = self.now;
        if next_flight == Some(next) {
            let k = self.flight.iter().position(|f| f.0 == next).unwrap();
            let (_, j, bytes, src, dst, proto) = self.flight.remove(k);
            if wren_stun::Message::parse(&bytes)
                .is_ok_and(|m| m.class() == wren_stun::Class::Indication)
            {
                self.keepalives[j] += 1;
            }
            let d = Datagram {
                proto,
                source: src,
                destination: dst,
                ecn: None,
                payload: &bytes,
            };
            self.agents[j].handle_datagram(now, d);
            self.drain(j);
        } else {
            for i in 0..2 {
                if self.agents[i].poll_timeout().is_some_and(|t| t <= now) {
                    self.agents[i].handle_timeout(now);
                    self.drain(i);
                }
            }
        }
        true
    }

    fn run_until(&mut self, limit: Duration, done: impl Fn(&Net) -> bool) -> Duration {
        let start = self.now;
        while !done(self) && self.now < start + limit {
            if !self.step() {
                break;
            }
        }
        self.now - start
    }

    fn states(&self) -> (ConnectionState, ConnectionState) {
        (
            self.agents[0].connection_state(),
            self.agents[1].connection_state(),
        )
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn config(role: Role, addr: &str, seed: u8) -> Config {
    Config {
        rng_seed: Some([seed; 32]),
        ..Config::new(role, vec![ip(addr)])
    }
}

fn connected(n: &Net) -> bool {
    n.states() == (ConnectionState::Connected, ConnectionState::Connected)
}

#[test]
fn two_full_agents_connect_over_host_candidates() {
    let mut net = Net::new(
        config(Role::Controlling, "10.0.0.1", 1),
        config(Role::Controlled, "10.0.0.2", 2),
    );
    let took = net.run_until(Duration::from_secs(10), connected);
    assert!(connected(&net), "{:?}", net.states());
    // One round trip of checks, the nomination round trip: well under a second.
    assert!(took < Duration::from_millis(500), "took {took:?}");
    let a = net.agents[0].selected_pair().unwrap();
    let b = net.agents[1].selected_pair().unwrap();
    assert_eq!(a.local.kind, CandidateType::Host);
    assert_eq!(a.remote.addr, b.local.addr);
    assert_eq!(b.remote.addr, a.local.addr);
    assert!(a.rtt.is_some());
    // Data both ways on the selected pair.
    let now = net.now;
    net.agents[0].send(now, b"hello").unwrap();
    net.drain(0);
    net.run_until(Duration::from_secs(1), |n| {
        n.events[1].iter().any(|e| matches!(e, Event::Data { .. }))
    });
    assert!(
        net.events[1]
            .iter()
            .any(|e| matches!(e, Event::Data { data, .. } if data == b"hello"))
    );
}

#[test]
fn a_selected_pair_learned_peer_reflexive_is_reported_again_once_signalled() {
    // B learns A only from A's checks: its candidates are held back, as a slow signalling
    // channel would. B selects a pair with a peer-reflexive remote.
    let mut net = Net::build_holding(
        config(Role::Controlling, "10.0.0.1", 1),
        config(Role::Controlled, "10.0.0.2", 2),
        true,
        Vec::new(),
        Some(0),
    );
    net.run_until(Duration::from_secs(10), connected);
    assert!(connected(&net), "{:?}", net.states());
    let selected = |n: &Net| -> Vec<CandidateType> {
        n.events[1]
            .iter()
            .filter_map(|e| match e {
                Event::SelectedPair(p) => Some(p.remote.kind),
                _ => None,
            })
            .collect()
    };
    assert_eq!(selected(&net), [CandidateType::PeerReflexive]);
    // The candidates arrive: the same pair, reported again with the signalled type.
    let now = net.now;
    for c in std::mem::take(&mut net.held) {
        net.agents[1].add_remote_candidate(now, c).unwrap();
    }
    net.drain(1);
    assert_eq!(
        selected(&net),
        [CandidateType::PeerReflexive, CandidateType::Host]
    );
    assert_eq!(
        net.agents[1].selected_pair().unwrap().remote.kind,
        CandidateType::Host
    );
}

#[test]
fn both_controlling_resolve_the_conflict_with_487() {
    let mut net = Net::new(
        config(Role::Controlling, "10.0.0.1", 1),
        config(Role::Controlling, "10.0.0.2", 2),
    );
    net.run_until(Duration::from_secs(10), connected);
    assert!(connected(&net), "{:?}", net.states());
    let roles = (net.agents[0].role(), net.agents[1].role());
    assert!(
        roles == (Role::Controlling, Role::Controlled)
            || roles == (Role::Controlled, Role::Controlling)
    );
    // The agent with the smaller tie-breaker switched and said so.
    let switched = net
        .events
        .iter()
        .filter(|ev| ev.iter().any(|e| matches!(e, Event::RoleChanged(_))))
        .count();
    assert_eq!(switched, 1);
    assert!(
        net.agents.iter().any(|a| a.stats().requests_refused > 0),
        "a 487 was sent"
    );
}

#[test]
fn both_controlled_resolve_the_conflict() {
    let mut net = Net::new(
        config(Role::Controlled, "10.0.0.1", 3),
        config(Role::Controlled, "10.0.0.2", 4),
    );
    net.run_until(Duration::from_secs(10), connected);
    assert!(connected(&net), "{:?}", net.states());
    assert_ne!(net.agents[0].role(), net.agents[1].role());
}

#[test]
fn a_lite_agent_is_selected_by_the_full_agent_nomination() {
    let mut net = Net::new(
        config(Role::Controlling, "10.0.0.1", 1),
        Config {
            rng_seed: Some([9; 32]),
            ..Config::lite(vec![ip("10.0.0.2")])
        },
    );
    net.run_until(Duration::from_secs(10), connected);
    assert!(connected(&net), "{:?}", net.states());
    assert_eq!(
        net.agents[1].stats().checks_sent,
        0,
        "a lite agent sends no checks"
    );
    assert!(net.agents[1].selected_pair().is_some());
}

#[test]
fn no_answer_fails_with_a_report_naming_timeouts() {
    let mut net = Net::build(
        config(Role::Controlling, "10.0.0.1", 1),
        config(Role::Controlled, "10.0.0.2", 2),
        true,
        vec![(0, 1), (1, 0)],
    );
    net.agents[0].end_of_remote_candidates(net.now);
    net.run_until(Duration::from_secs(60), |n| {
        n.agents[0].connection_state() == ConnectionState::Failed
    });
    let report = net.events[0]
        .iter()
        .find_map(|e| match e {
            Event::Failed(r) => Some(r.clone()),
            _ => None,
        })
        .expect("a failure report");
    assert_eq!(report.cause, FailureCause::AllPairsFailed);
    assert_eq!(report.pairs.len(), 1);
    assert_eq!(
        report.pairs[0].failure,
        Some(PairFailure::TimedOut { transmissions: 7 })
    );
    // 0, .5, 1.5, 3.1, 4.7, 6.3, 7.9 then the last RTO: 9.5 s.
    assert_eq!(report.after, Duration::from_millis(9500));
    let text = report.to_string();
    assert!(text.contains("every candidate pair failed"), "{text}");
    assert!(
        text.contains("no response to 7 check transmissions"),
        "{text}"
    );
}

#[test]
fn consent_lost_fails_after_30_seconds_and_disconnects_before() {
    let mut net = Net::new(
        config(Role::Controlling, "10.0.0.1", 1),
        config(Role::Controlled, "10.0.0.2", 2),
    );
    net.run_until(Duration::from_secs(10), connected);
    assert!(connected(&net));
    let cut_at = net.now;
    net.cut = vec![(1, 0)];
    net.run_until(Duration::from_secs(60), |n| {
        n.agents[0].connection_state() == ConnectionState::Failed
    });
    let states: Vec<ConnectionState> = net.events[0]
        .iter()
        .filter_map(|e| match e {
            Event::ConnectionState(s) => Some(*s),
            _ => None,
        })
        .collect();
    assert!(
        states.ends_with(&[
            ConnectionState::Connected,
            ConnectionState::Disconnected,
            ConnectionState::Failed
        ]),
        "{states:?}"
    );
    let waited = net.now - cut_at;
    assert!(
        waited <= Duration::from_secs(30) && waited >= Duration::from_secs(24),
        "{waited:?}"
    );
    let report = net.events[0].iter().find_map(|e| match e {
        Event::Failed(r) => Some(r.cause),
        _ => None,
    });
    assert_eq!(report, Some(FailureCause::ConsentLost));
}

#[test]
fn mdns_names_are_asked_of_the_application() {
    let mut net = Net::with_trickle(
        config(Role::Controlling, "10.0.0.1", 1),
        config(Role::Controlled, "10.0.0.2", 2),
        false,
    );
    // A's host candidate reaches B as is.
    let a_host = net.agents[0].local_candidates().next().unwrap().clone();
    let now = net.now;
    net.agents[1].add_remote_candidate(now, a_host).unwrap();
    net.events[0].clear();
    // B's host candidate, hidden behind a name as browsers do.
    let host = net.agents[1].local_candidates().next().unwrap().clone();
    let mut named = host.clone();
    named.address = Address::Name("4e6a1a9e-0f5e-4c1b-9a3c-2f1d7c0e5b11.local".into());
    net.agents[0].add_remote_candidate(now, named).unwrap();
    net.drain(0);
    let asked: Vec<&String> = net.events[0]
        .iter()
        .filter_map(|e| match e {
            Event::ResolveName(n) => Some(n),
            _ => None,
        })
        .collect();
    assert_eq!(asked, ["4e6a1a9e-0f5e-4c1b-9a3c-2f1d7c0e5b11.local"]);
    assert!(net.agents[0].pairs().is_empty(), "unresolved: not paired");
    let Address::Ip(real) = host.address else {
        panic!()
    };
    net.agents[0].resolved(
        now,
        "4e6a1a9e-0f5e-4c1b-9a3c-2f1d7c0e5b11.local",
        Some(real),
    );
    net.drain(0);
    net.run_until(Duration::from_secs(10), connected);
    assert!(connected(&net));
}

#[test]
fn an_unresolved_name_is_in_the_failure_report() {
    let mut net = Net::with_trickle(
        config(Role::Controlling, "10.0.0.1", 1),
        config(Role::Controlled, "10.0.0.2", 2),
        false,
    );
    let now = net.now;
    let mut named = net.agents[1].local_candidates().next().unwrap().clone();
    named.address = Address::Name("gone.local".into());
    net.agents[0].add_remote_candidate(now, named).unwrap();
    net.agents[0].end_of_remote_candidates(now);
    net.agents[0].resolved(now, "gone.local", None);
    net.drain(0);
    let report = net.events[0].iter().find_map(|e| match e {
        Event::Failed(r) => Some(r.clone()),
        _ => None,
    });
    let report = report.expect("failed at once: nothing left to try");
    assert_eq!(report.cause, FailureCause::NoRemoteCandidates);
    assert_eq!(report.unresolved_names, ["gone.local"]);
}

#[test]
fn garbage_and_bad_credentials_are_counted_not_fatal() {
    let mut net = Net::new(
        config(Role::Controlling, "10.0.0.1", 1),
        config(Role::Controlled, "10.0.0.2", 2),
    );
    let now = net.now;
    let local = net.agents[1].local_candidates().next().unwrap().clone();
    let Address::Ip(lip) = local.address else {
        panic!()
    };
    let dst = SocketAddr::new(lip, local.port);
    let src: SocketAddr = "10.0.0.9:999".parse().unwrap();
    for junk in [
        &b""[..],
        &[0, 1, 0, 0],
        &[0; 20],
        b"\x00\x01\x00\x00\x21\x12\xa4\x42abcdefghijkl",
    ] {
        net.agents[1].handle_datagram(now, Datagram::udp(src, dst, junk));
    }
    net.drain(1);
    // Four datagrams, none a check: one empty, two not STUN that parses, one a bare Binding request
    // answered 400.
    assert_eq!(net.agents[1].stats().data_dropped, 1, "the empty datagram");
    assert_eq!(net.agents[1].stats().malformed, 2);
    assert_eq!(net.agents[1].stats().requests_refused, 1);
    // A check signed with the wrong password: 401.
    let mut bad = Vec::new();
    let req = message::CheckRequest {
        tid: wren_stun::TransactionId([7; 12]),
        username: &format!("{}:zzzz", net.agents[1].local_credentials().ufrag),
        priority: 1,
        role: Role::Controlling,
        tiebreaker: 1,
        use_candidate: false,
    };
    message::write_check(&mut bad, &req, &short_term_key("not-the-password-at-all")).unwrap();
    net.agents[1].handle_datagram(now, Datagram::udp(src, dst, &bad));
    assert_eq!(net.agents[1].stats().requests_refused, 2);
    assert_eq!(net.agents[1].stats().requests_answered, 0);
    net.run_until(Duration::from_secs(10), connected);
    assert!(connected(&net));
}

#[test]
fn restart_reconnects_with_fresh_credentials() {
    let mut net = Net::new(
        config(Role::Controlling, "10.0.0.1", 1),
        config(Role::Controlled, "10.0.0.2", 2),
    );
    net.run_until(Duration::from_secs(10), connected);
    assert!(connected(&net));
    let old = net.agents[0].local_credentials().clone();
    let now = net.now;
    net.agents[0].restart(now);
    let fresh = net.agents[0].local_credentials().clone();
    assert_ne!(old, fresh);
    // The peer gets the new credentials; it restarts too.
    net.agents[1].set_remote_credentials(now, fresh).unwrap();
    let b = net.agents[1].local_credentials().clone();
    net.agents[0].set_remote_credentials(now, b).unwrap();
    // Candidates again, with the new ufrags.
    for i in 0..2 {
        let cands: Vec<Candidate> = net.agents[i].local_candidates().cloned().collect();
        for c in cands {
            net.agents[1 - i].add_remote_candidate(now, c).unwrap();
        }
    }
    net.drain(0);
    net.drain(1);
    net.run_until(Duration::from_secs(10), |n| {
        n.agents.iter().all(|a| a.selected_pair().is_some())
    });
    assert!(net.agents.iter().all(|a| a.selected_pair().is_some()));
    assert!(connected(&net));
}

#[test]
fn a_connected_lite_agent_sends_keepalives_and_the_full_agent_keeps_consent() {
    let mut net = Net::new(
        config(Role::Controlling, "10.0.0.1", 1),
        Config {
            rng_seed: Some([9; 32]),
            ..Config::lite(vec![ip("10.0.0.2")])
        },
    );
    net.run_until(Duration::from_secs(10), connected);
    assert!(connected(&net));
    let checks_before = net.agents[0].stats().checks_sent;
    net.run_until(Duration::from_secs(61), |_| false);
    // The full agent's consent checks every 4 to 6 s (RFC 7675) keep both connected.
    let consent = net.agents[0].stats().checks_sent - checks_before;
    assert!(
        (10..=16).contains(&consent),
        "{consent} consent checks in 61 s"
    );
    assert!(connected(&net));
    // The lite agent sends nothing but answers, until 15 s pass without sending: its
    // answers to consent checks count as traffic, so no keepalive is needed here.
    assert_eq!(net.keepalives[0], 0);
    // Silence the full agent: the lite agent then sends keepalives every 15 s until its
    // consent runs out (30 s without a check).
    net.cut = vec![(0, 1)];
    net.run_until(Duration::from_secs(40), |n| {
        n.agents[1].connection_state() == ConnectionState::Failed
    });
    assert_eq!(net.agents[1].connection_state(), ConnectionState::Failed);
    assert!(net.keepalives[0] >= 1, "{:?}", net.keepalives);
}

#[test]
fn a_closed_agent_finishes_its_deallocations_and_closes_late_sockets() {
    #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
    let now = Instant::now();
    let mut c = config(Role::Controlling, "10.0.0.1", 1);
    c.turn_servers = vec![TurnServer {
        addr: "192.0.2.50:3478".parse().unwrap(),
        transport: Transport::Udp,
        username: "u".into(),
        password: "p".into(),
    }];
    c.interfaces.push(ip("10.0.0.3"));
    let mut agent = Agent::new(now, c);
    let reqs: Vec<SocketRequest> = std::iter::from_fn(|| agent.poll_socket_request()).collect();
    let SocketRequest::Bind {
        addr, transport, ..
    } = reqs[0]
    else {
        panic!()
    };
    let bound = SocketAddr::new(addr.ip(), 5000);
    agent.handle_socket_result(now, SocketResult::of_bind(addr, transport, Ok(bound)));
    agent.close(now);
    // The second interface's socket is bound only now: it is closed again at once.
    let SocketRequest::Bind {
        addr, transport, ..
    } = reqs[1]
    else {
        panic!()
    };
    let late = SocketAddr::new(addr.ip(), 5001);
    agent.handle_socket_result(now, SocketResult::of_bind(addr, transport, Ok(late)));
    let closes: Vec<SocketAddr> = std::iter::from_fn(|| agent.poll_socket_request())
        .filter_map(|r| match r {
            SocketRequest::Close { addr, .. } => Some(addr),
            _ => None,
        })
        .collect();
    assert_eq!(closes, [bound, late]);
    // Whatever the TURN client still has to do, its deadlines move on: a driver calling
    // handle_timeout at each deadline is never asked again for the same instant.
    let mut buf = Vec::new();
    let mut last = None;
    for _ in 0..100 {
        while agent.poll_transmit(now, &mut buf).is_some() {
            buf.clear();
        }
        let Some(t) = agent.poll_timeout() else { break };
        assert_ne!(
            Some(t),
            last,
            "deadline {t:?} came back after handle_timeout"
        );
        last = Some(t);
        agent.handle_timeout(t);
    }
    assert_eq!(
        agent.poll_timeout(),
        None,
        "nothing left once the deallocation gave up"
    );
}

#[test]
fn checks_from_ever_new_ports_keep_no_unpaired_candidates() {
    let mut c = config(Role::Controlled, "10.0.0.2", 2);
    c.max_pairs = 3;
    c.max_peer_reflexive = 1000;
    let mut net = Net::new(config(Role::Controlling, "10.0.0.1", 1), c);
    let now = net.now;
    let b = &mut net.agents[1];
    let ufrag = b.local_credentials().ufrag.clone();
    let key = short_term_key(&b.local_credentials().pwd);
    let local = b.locals[super::ids::LocalId(0)].base;
    for port in 0..500u16 {
        let mut req = Vec::new();
        let check = message::CheckRequest {
            tid: wren_stun::TransactionId([port as u8; 12]),
            username: &format!("{ufrag}:peer"),
            // Lower than any pair B has: no room is made for them.
            priority: 1,
            role: Role::Controlling,
            tiebreaker: u64::MAX,
            use_candidate: false,
        };
        message::write_check(&mut req, &check, &key).unwrap();
        let from = SocketAddr::new(ip("10.0.0.9"), 10_000 + port);
        b.handle_datagram(now, Datagram::udp(from, local, &req));
    }
    assert_eq!(b.stats().requests_answered, 500, "each check is answered");
    assert!(b.checklist.len() <= 3 + 1, "{} pairs", b.checklist.len());
    assert!(
        b.remotes.len() <= 8,
        "{} remote candidates kept",
        b.remotes.len()
    );
}

fn connected_pair() -> Net {
    let mut net = Net::new(
        config(Role::Controlling, "10.0.0.1", 1),
        config(Role::Controlled, "10.0.0.2", 2),
    );
    net.run_until(Duration::from_secs(10), connected);
    assert!(connected(&net), "{:?}", net.states());
    net
}

/// A datagram agent 0 writes for its selected pair, as agent 1 receives it.
fn data_from_a(net: &mut Net, data: &[u8]) -> (Vec<u8>, SocketAddr, SocketAddr) {
    let mut buf = Vec::new();
    let t = net.agents[0]
        .send_into(net.now, data, &mut buf)
        .unwrap()
        .expect("a direct pair writes at once");
    (buf, t.source.unwrap(), t.destination)
}

#[test]
fn receive_routes_media_only_on_a_valid_pair() {
    let mut net = connected_pair();
    let now = net.now;
    let (bytes, from, to) = data_from_a(&mut net, b"\x80media");
    let selected = net.agents[1].selected_pair().unwrap().pair;
    match net.agents[1].receive(now, Datagram::udp(from, to, &bytes)) {
        Received::Data { pair, data } => {
            assert_eq!(pair, selected);
            assert_eq!(data, b"\x80media");
            assert_eq!(data.as_ptr(), bytes.as_ptr(), "borrowed, not copied");
        }
        Received::Handled => panic!("not routed"),
    }
    // From an address no valid pair has: counted, not handed out.
    let stranger = SocketAddr::new(ip("10.0.0.9"), 9);
    let dropped = net.agents[1].stats().data_dropped;
    assert_eq!(
        net.agents[1].receive(now, Datagram::udp(stranger, to, &bytes)),
        Received::Handled
    );
    assert_eq!(net.agents[1].stats().data_dropped, dropped + 1);
    // A first byte in the ChannelData range (RFC 7983) on a direct pair is still data.
    let (bytes, from, to) = data_from_a(&mut net, b"Hello");
    assert!(matches!(
        net.agents[1].receive(now, Datagram::udp(from, to, &bytes)),
        Received::Data { data: b"Hello", .. }
    ));
    // STUN is the agent's: a check is answered, not handed out.
    assert!(net.agents[1].poll_event().is_none());
}

#[test]
fn send_into_says_why_it_cannot_send() {
    let mut agent = Agent::new(net_now(), config(Role::Controlling, "10.0.0.1", 1));
    let mut buf = Vec::new();
    let now = net_now();
    assert_eq!(
        agent.send_into(now, b"x", &mut buf),
        Err(SendError::NotConnected)
    );
    let mut net = connected_pair();
    let now = net.now;
    let long = vec![0u8; 70_000];
    assert_eq!(
        net.agents[0].send_into(now, &long, &mut buf),
        Err(SendError::TooLong(70_000))
    );
    net.agents[0].close(now);
    assert_eq!(
        net.agents[0].send_into(now, b"x", &mut buf),
        Err(SendError::Closed)
    );
    assert!(buf.is_empty(), "nothing written on an error");
}

fn net_now() -> Instant {
    #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
    Instant::now()
}

#[test]
fn data_events_of_the_machine_path_are_bounded_and_counted() {
    let mut net = connected_pair();
    net.agents[1].output.set_bounds(1024, 4096, 4);
    let now = net.now;
    let (bytes, from, to) = data_from_a(&mut net, b"\x80media");
    for _ in 0..10 {
        net.agents[1].handle_datagram(now, Datagram::udp(from, to, &bytes));
    }
    assert_eq!(net.agents[1].stats().data_events_dropped, 6);
    let mut data = 0;
    while let Some(e) = net.agents[1].poll_event() {
        data += usize::from(matches!(e, Event::Data { .. }));
    }
    assert_eq!(data, 4);
    // Drained: room again.
    net.agents[1].handle_datagram(now, Datagram::udp(from, to, &bytes));
    assert!(matches!(
        net.agents[1].poll_event(),
        Some(Event::Data { .. })
    ));
    assert_eq!(net.agents[1].stats().data_events_dropped, 6);
}

#[test]
fn the_transmit_queue_is_bounded_and_counted() {
    let mut net = connected_pair();
    net.agents[0].output.set_bounds(3, 4096, 256);
    let now = net.now;
    for _ in 0..10 {
        net.agents[0].send(now, b"\x80media").unwrap();
    }
    assert_eq!(net.agents[0].stats().transmits_dropped, 7);
    let mut buf = Vec::new();
    let mut sent = 0;
    while net.agents[0].poll_transmit(now, &mut buf).is_some() {
        sent += 1;
    }
    assert_eq!(sent, 3);
}

#[test]
fn sockets_given_by_the_owner_are_candidates_at_once_and_stay_the_owners() {
    let given = SocketAddr::new(ip("10.0.0.2"), 3478);
    let mut lite = Config::lite(Vec::new());
    lite.rng_seed = Some([2; 32]);
    lite.bound_sockets = vec![(given, Transport::Udp)];
    let mut agent = Agent::new(net_now(), lite.clone());
    assert_eq!(agent.poll_socket_request(), None, "nothing to bind");
    let mut lines = Vec::new();
    while let Some(e) = agent.poll_event() {
        if let Event::LocalCandidate(c) = e {
            lines.push(c.to_string());
        }
    }
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("10.0.0.2 3478 typ host"), "{lines:?}");
    assert_eq!(agent.gathering_state(), GatheringState::Complete);

    // A full peer connects to it on the given socket.
    let mut net = Net::build(
        config(Role::Controlling, "10.0.0.1", 1),
        lite,
        true,
        Vec::new(),
    );
    net.owners.insert(given, 1);
    net.run_until(Duration::from_secs(10), connected);
    assert!(connected(&net), "{:?}", net.states());
    assert_eq!(net.agents[1].selected_pair().unwrap().local.addr, given);
    // Closing asks for no Close of a socket the owner gave.
    let now = net.now;
    net.agents[1].close(now);
    assert_eq!(net.agents[1].poll_socket_request(), None);
}

#[test]
fn describe_timer_names_the_timer_poll_timeout_gives() {
    let mut net = connected_pair();
    for a in &net.agents {
        let (at, timer) = a.next_timer().expect("a connected agent keeps consent");
        assert_eq!(a.poll_timeout(), Some(at));
        assert_eq!(wren_core::TimerName(a).to_string(), format!("{timer:?}"));
        assert!(!wren_core::TimerName(a).to_string().is_empty());
    }
    // Closed with no relay to release: no timer, no name.
    let now = net.now;
    net.agents[0].close(now);
    assert_eq!(net.agents[0].poll_timeout(), None);
    assert_eq!(wren_core::TimerName(&net.agents[0]).to_string(), "");
}

#[test]
fn data_after_an_answered_check_is_received_before_our_own_check_succeeds() {
    // The peer's check was answered: the pair is valid on its side, and it may send at
    // once (RFC 8445 section 12.2), before the triggered check back has succeeded. Found
    // as a lost first datagram between two wren-probe agents on loopback.
    let mut b = Agent::new(net_now(), config(Role::Controlled, "10.0.0.2", 2));
    let now = net_now();
    let a_creds = Credentials {
        ufrag: "peer".into(),
        pwd: "0123456789012345678901".into(),
    };
    b.set_remote_credentials(now, a_creds).unwrap();
    while let Some(req) = b.poll_socket_request() {
        if let SocketRequest::Bind {
            addr, transport, ..
        } = req
        {
            let bound = SocketAddr::new(addr.ip(), 40_000);
            b.handle_socket_result(now, SocketResult::of_bind(addr, transport, Ok(bound)));
        }
    }
    let local = b.locals[super::ids::LocalId(0)].base;
    let from = SocketAddr::new(ip("10.0.0.1"), 50_000);
    // Media before any check: no pair, dropped and counted.
    assert_eq!(
        b.receive(now, Datagram::udp(from, local, b"\x80early")),
        Received::Handled
    );
    assert_eq!(b.stats().data_dropped, 1);
    let ufrag = b.local_credentials().ufrag.clone();
    let key = short_term_key(&b.local_credentials().pwd);
    let mut req = Vec::new();
    let check = message::CheckRequest {
        tid: wren_stun::TransactionId([7; 12]),
        username: &format!("{ufrag}:peer"),
        priority: 1 << 24,
        role: Role::Controlling,
        tiebreaker: u64::MAX,
        use_candidate: true,
    };
    message::write_check(&mut req, &check, &key).unwrap();
    assert_eq!(
        b.receive(now, Datagram::udp(from, local, &req)),
        Received::Handled
    );
    assert_eq!(b.stats().requests_answered, 1);
    // Our triggered check is in flight, not answered: the pair is not Succeeded yet.
    assert!(b.selected_pair().is_none());
    match b.receive(now, Datagram::udp(from, local, b"\x80ping 1")) {
        Received::Data { data, .. } => assert_eq!(data, b"\x80ping 1"),
        Received::Handled => panic!("media on an answered pair was dropped"),
    }
    assert_eq!(
        b.stats().data_dropped,
        1,
        "only the datagram before the check"
    );
}
