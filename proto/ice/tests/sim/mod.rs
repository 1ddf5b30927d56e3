//! Two ICE agents, a STUN server and a TURN server (UDP and TCP) on a wren-netsim network,
//! each agent on the public internet, behind a NAT of given RFC 4787 behaviours, or behind
//! a firewall that drops all UDP; signalling (trickled candidates, end-of-candidates)
//! carried by the test at once.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant, SystemTime};

use wren_core::Transport;
use wren_ice::{
    Agent, CandidateType, ConnectionState, Event, FailureReport, GatheringState, Role,
    SelectedPair, StunServer, TurnServer, agent::Config as AgentConfig,
};
use wren_netsim::{Filtering, HostConfig, HostId, LinkConfig, Mapping, NatConfig, NodeId, Sim};
use wren_stun::server::{Config as StunConfig, Server as BindingServer};
use wren_turn::server::{Config as ServerConfig, PeerPolicy, Server as TurnMachine, UserSecret};

pub const STUN: &str = "198.51.100.1:3478";
pub const TURN: &str = "198.51.100.10:3478";

pub fn ip(s: &str) -> IpAddr {
    s.parse().expect("an IP address")
}

pub fn addr(s: &str) -> SocketAddr {
    s.parse().expect("a socket address")
}

/// Where an agent sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// On the public internet, no NAT.
    Public,
    /// Behind a NAT with these behaviours (hairpinning off).
    Nat(Mapping, Filtering),
    /// Behind an endpoint-independent NAT whose firewall drops all UDP: only TCP leaves.
    UdpBlocked,
}

impl Side {
    /// No NAT, the nine RFC 4787 NATs, and the UDP-blocking firewall.
    pub fn all() -> Vec<Side> {
        let mut v = vec![Side::Public];
        for m in [
            Mapping::EndpointIndependent,
            Mapping::AddressDependent,
            Mapping::AddressAndPortDependent,
        ] {
            for f in [
                Filtering::EndpointIndependent,
                Filtering::AddressDependent,
                Filtering::AddressAndPortDependent,
            ] {
                v.push(Side::Nat(m, f));
            }
        }
        v.push(Side::UdpBlocked);
        v
    }

    pub fn short(self) -> String {
        let m = |m: Mapping| match m {
            Mapping::EndpointIndependent => "EIM",
            Mapping::AddressDependent => "ADM",
            Mapping::AddressAndPortDependent => "APDM",
        };
        let f = |f: Filtering| match f {
            Filtering::EndpointIndependent => "EIF",
            Filtering::AddressDependent => "ADF",
            Filtering::AddressAndPortDependent => "APDF",
        };
        match self {
            Side::Public => "public".into(),
            Side::Nat(a, b) => format!("{}/{}", m(a), f(b)),
            Side::UdpBlocked => "UDP blocked".into(),
        }
    }
}

/// How the selected pair goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// Straight between the agents (host, server-reflexive or peer-reflexive candidates).
    Direct,
    /// Through the TURN server (at least one side relayed).
    Relay,
}

/// What one run gave.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub a: Option<SelectedPair>,
    pub b: Option<SelectedPair>,
    pub connected_after: Option<Duration>,
    pub failure: Option<FailureReport>,
    pub trace_hash: u64,
    pub packets: u64,
}

impl Outcome {
    pub fn path(&self) -> Option<Path> {
        let a = self.a?;
        Some(
            if a.local.kind == CandidateType::Relayed || a.remote.kind == CandidateType::Relayed {
                Path::Relay
            } else {
                Path::Direct
            },
        )
    }

    /// "srflx udp -> prflx udp" for A's side of the selected pair.
    pub fn label(&self) -> String {
        match self.a {
            Some(a) => format!(
                "{} {} → {}",
                a.local.kind.token(),
                if a.local.transport.is_stream() {
                    "tcp"
                } else {
                    "udp"
                },
                a.remote.kind.token()
            ),
            None => "none".into(),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} after {:?}", self.label(), self.connected_after)
    }
}

#[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
pub fn t0() -> Instant {
    Instant::now()
}

/// An agent's host link: 5 ms each way (10 ms between two hosts), `loss` both ways.
fn agent_link(loss: f64) -> LinkConfig {
    LinkConfig::default().with_loss(loss)
}

fn place(sim: &mut Sim, side: Side, n: u8, loss: f64) -> (HostId, IpAddr) {
    let public = ip(&format!("203.0.113.{n}"));
    let private = ip(&format!("10.0.{n}.2"));
    let link = agent_link(loss);
    match side {
        Side::Public => {
            let me = ip(&format!("198.51.100.{}", 100 + n));
            (sim.add_host(HostConfig::public(me).with_link(link)), me)
        }
        Side::Nat(m, f) => {
            let nat = sim.add_nat(NatConfig::new(public, m, f));
            (
                sim.add_host(HostConfig::behind(nat, private).with_link(link)),
                private,
            )
        }
        Side::UdpBlocked => {
            let nat = sim.add_nat(
                NatConfig::new(
                    public,
                    Mapping::EndpointIndependent,
                    Filtering::EndpointIndependent,
                )
                .with_block_udp(true),
            );
            (
                sim.add_host(HostConfig::behind(nat, private).with_link(link)),
                private,
            )
        }
    }
}

pub struct World {
    pub sim: Sim,
    pub a: NodeId,
    pub b: NodeId,
    pub start: Instant,
    pub selected: [Option<SelectedPair>; 2],
    pub failure: Option<FailureReport>,
    pub connected_at: Option<Instant>,
}

pub fn world(seed: u64, a: Side, b: Side, loss: f64) -> World {
    world_with(seed, a, b, loss, &[Transport::Udp, Transport::Tcp])
}

/// [`world`] with the agents configured for the TURN server over `turn_over` only.
pub fn world_with(seed: u64, a: Side, b: Side, loss: f64, turn_over: &[Transport]) -> World {
    world_tweaked(seed, a, b, loss, turn_over, |_, _| {})
}

/// [`world_with`], each agent's configuration passed through `tweak` (0 for A, 1 for B)
/// before the agent is made.
pub fn world_tweaked(
    seed: u64,
    a: Side,
    b: Side,
    loss: f64,
    turn_over: &[Transport],
    tweak: impl Fn(&mut AgentConfig, usize),
) -> World {
    let start = t0();
    let mut sim = Sim::new(seed, start);
    let stun_host = sim.add_host(HostConfig::public(ip("198.51.100.1")));
    let turn_host = sim.add_host(HostConfig::public(ip("198.51.100.10")));
    let stun = sim.add_machine(
        stun_host,
        BindingServer::new(StunConfig::default()).expect("valid"),
    );
    sim.listen(stun, addr(STUN), Transport::Udp).expect("free");
    let turn_config = ServerConfig {
        realm: "wren.test".into(),
        users: [("user".to_owned(), UserSecret::Password("pass".into()))].into(),
        relay_ips: vec![ip("198.51.100.10")],
        rng_seed: Some(sim.fork_seed()),
        wall_clock: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        // Peers on the documentation ranges used here; private addresses stay refused,
        // as a real relay refuses them (403), which the agents see as refused pairs.
        peer_policy: PeerPolicy {
            allow: vec![
                "198.51.100.0/24".parse().expect("a prefix"),
                "203.0.113.0/24".parse().expect("a prefix"),
            ],
            ..Default::default()
        },
        ..Default::default()
    };
    let turn = sim.add_machine(
        turn_host,
        TurnMachine::new(start, turn_config).expect("valid"),
    );
    sim.listen(turn, addr(TURN), Transport::Udp).expect("free");
    sim.listen(turn, addr(TURN), Transport::Tcp).expect("free");

    // The loss is on A's access link, both ways: every packet between the agents (direct
    // or through the relay) and between A and the servers is lost with probability `loss`.
    let (host_a, ip_a) = place(&mut sim, a, 1, loss);
    let (host_b, ip_b) = place(&mut sim, b, 2, 0.0);
    let agent = |sim: &mut Sim, role: Role, ip: IpAddr, which: usize| {
        let mut config = AgentConfig::new(role, vec![ip]);
        config.stun_servers = vec![StunServer { addr: addr(STUN) }];
        config.turn_servers = turn_over
            .iter()
            .copied()
            .map(|transport| TurnServer {
                addr: addr(TURN),
                transport,
                username: "user".into(),
                password: "pass".into(),
            })
            .collect();
        config.rng_seed = Some(sim.fork_seed());
        tweak(&mut config, which);
        Agent::new(sim.now(), config)
    };
    let agent_a = agent(&mut sim, Role::Controlling, ip_a, 0);
    let agent_b = agent(&mut sim, Role::Controlled, ip_b, 1);
    let a = sim.add_machine(host_a, agent_a);
    let b = sim.add_machine(host_b, agent_b);
    let ca = sim.machine::<Agent>(a).local_credentials().clone();
    let cb = sim.machine::<Agent>(b).local_credentials().clone();
    sim.with(a, |ag: &mut Agent, now| ag.set_remote_credentials(now, cb))
        .expect("valid credentials");
    sim.with(b, |ag: &mut Agent, now| ag.set_remote_credentials(now, ca))
        .expect("valid credentials");
    World {
        sim,
        a,
        b,
        start,
        selected: [None, None],
        failure: None,
        connected_at: None,
    }
}

impl World {
    /// Carries the agents' signalling and notes selection and failure.
    fn signal(&mut self) {
        for (me, other, i) in [(self.a, self.b, 0), (self.b, self.a, 1)] {
            for e in self.sim.events::<Agent>(me) {
                match e {
                    Event::LocalCandidate(c) => {
                        let _ = self
                            .sim
                            .with(other, |ag: &mut Agent, now| ag.add_remote_candidate(now, c));
                    }
                    Event::GatheringState(GatheringState::Complete) => {
                        self.sim.with(other, |ag: &mut Agent, now| {
                            ag.end_of_remote_candidates(now)
                        });
                    }
                    Event::SelectedPair(p) => self.selected[i] = Some(p),
                    Event::Failed(r) if self.failure.is_none() => self.failure = Some(*r),
                    _ => {}
                }
            }
        }
    }

    pub fn state(&self, node: NodeId) -> ConnectionState {
        self.sim.machine::<Agent>(node).connection_state()
    }

    fn settled(&self) -> bool {
        let (a, b) = (self.state(self.a), self.state(self.b));
        (a == ConnectionState::Connected && b == ConnectionState::Connected)
            || a == ConnectionState::Failed
            || b == ConnectionState::Failed
    }

    /// Runs until both are connected or one failed, or `limit` passes.
    pub fn run(mut self, limit: Duration) -> (Outcome, World) {
        let deadline = self.start + limit;
        loop {
            self.signal();
            if self.settled() {
                break;
            }
            match self.sim.next_time() {
                Some(t) if t <= deadline => {
                    self.sim.step();
                }
                _ => break,
            }
        }
        let connected = self.state(self.a) == ConnectionState::Connected
            && self.state(self.b) == ConnectionState::Connected;
        let outcome = Outcome {
            a: self.selected[0],
            b: self.selected[1],
            connected_after: connected.then(|| self.sim.now() - self.start),
            failure: self.failure.clone(),
            trace_hash: self.sim.trace_hash(),
            packets: self.sim.stats().sent,
        };
        (outcome, self)
    }
}
