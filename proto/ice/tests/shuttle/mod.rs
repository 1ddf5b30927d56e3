//! Two ICE agents, and a TURN server when asked, joined by a test that carries every
//! datagram at once on a virtual clock: no network simulator between them, so the agents'
//! data path (`Agent::receive`, `Agent::send_into`) can be driven and measured alone once
//! they are connected. Both agents are public (198.51.100.101 and .102); with `relayed`,
//! both use the relay only (the `relay` transport policy), so the selected pair is
//! relayed on both sides and data goes as ChannelData through the server. Also used by
//! benches/benches/ice_data_path.rs.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use wren_core::{Datagram, Machine, SocketRequest, SocketResult, Transport};
use wren_ice::agent::{Agent, Config, Event, Role, SelectedPair, TurnServer};
use wren_ice::{ConnectionState, GatheringState};
use wren_turn::server::{Config as ServerConfig, PeerPolicy, Server, UserSecret};

pub const TURN: &str = "198.51.100.10:3478";
pub const HOSTS: [&str; 2] = ["198.51.100.101", "198.51.100.102"];

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("a socket address")
}

/// A datagram on its way.
struct InFlight {
    proto: Transport,
    source: SocketAddr,
    destination: SocketAddr,
    payload: Vec<u8>,
}

/// The agents, the server and what is in flight between them.
pub struct Shuttle {
    pub now: Instant,
    pub agents: [Agent; 2],
    pub turn: Option<Server>,
    /// Each agent's bound sockets.
    pub sockets: [Vec<SocketAddr>; 2],
    /// The server's listening and relayed addresses.
    turn_addrs: Vec<SocketAddr>,
    pub selected: [Option<SelectedPair>; 2],
    /// `Event::Data` the agents reported (the `Machine` path).
    pub data_events: [usize; 2],
    wire: VecDeque<InFlight>,
    next_port: u16,
}

impl Shuttle {
    /// Two agents (A controlling), through a TURN server when `relayed`.
    #[must_use]
    pub fn new(relayed: bool) -> Shuttle {
        #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
        let now = Instant::now();
        let agent = |i: usize, role: Role| {
            let mut c = Config::new(role, vec![HOSTS[i].parse().expect("an IP")]);
            c.rng_seed = Some([i as u8 + 1; 32]);
            if relayed {
                c.relay_only = true;
                c.turn_servers = vec![TurnServer {
                    addr: addr(TURN),
                    transport: Transport::Udp,
                    username: "user".into(),
                    password: "pass".into(),
                }];
            }
            Agent::new(now, c)
        };
        let turn = relayed.then(|| {
            let config = ServerConfig {
                realm: "wren.test".into(),
                users: [("user".to_owned(), UserSecret::Password("pass".into()))].into(),
                relay_ips: vec![addr(TURN).ip()],
                rng_seed: Some([9; 32]),
                wall_clock: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
                peer_policy: PeerPolicy {
                    allow: vec!["198.51.100.0/24".parse().expect("a prefix")],
                    ..Default::default()
                },
                ..Default::default()
            };
            Server::new(now, config).expect("a valid server config")
        });
        let mut s = Shuttle {
            now,
            agents: [agent(0, Role::Controlling), agent(1, Role::Controlled)],
            turn,
            sockets: [Vec::new(), Vec::new()],
            turn_addrs: vec![addr(TURN)],
            selected: [None, None],
            data_events: [0, 0],
            wire: VecDeque::new(),
            next_port: 50000,
        };
        let [c0, c1] = [0, 1].map(|i| s.agents[i].local_credentials().clone());
        s.agents[0]
            .set_remote_credentials(now, c1)
            .expect("valid credentials");
        s.agents[1]
            .set_remote_credentials(now, c0)
            .expect("valid credentials");
        s
    }

    /// Runs until both agents are connected; panics after a minute of virtual time.
    #[must_use]
    pub fn connected(relayed: bool) -> Shuttle {
        let mut s = Shuttle::new(relayed);
        let deadline = s.now + Duration::from_secs(60);
        while !(s.selected[0].is_some()
            && s.selected[1].is_some()
            && s.agents
                .iter()
                .all(|a| a.connection_state() == ConnectionState::Connected))
        {
            assert!(s.now < deadline, "not connected: {:?}", s.agents[0].pairs());
            s.step();
        }
        s
    }

    /// Runs for `d` of virtual time (timers, consent, TURN refreshes and channel binds).
    pub fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        while self.now < end {
            self.step();
        }
        self.drain();
    }

    /// Carries everything in flight; when nothing is, moves the clock to the next timer.
    pub fn step(&mut self) {
        self.drain();
        if self.wire.is_empty() {
            let next = self
                .agents
                .iter()
                .map(|a| a.poll_timeout())
                .chain(self.turn.iter().map(|t| t.poll_timeout()))
                .flatten()
                .min()
                .unwrap_or(self.now + Duration::from_millis(100));
            self.now = self.now.max(next);
            for a in &mut self.agents {
                a.handle_timeout(self.now);
            }
            if let Some(t) = &mut self.turn {
                t.handle_timeout(self.now);
            }
            return;
        }
        while let Some(d) = self.wire.pop_front() {
            self.deliver(d);
        }
    }

    fn deliver(&mut self, d: InFlight) {
        let datagram = Datagram {
            proto: d.proto,
            source: d.source,
            destination: d.destination,
            ecn: None,
            payload: &d.payload,
        };
        if self.turn_addrs.contains(&d.destination) {
            if let Some(t) = &mut self.turn {
                t.handle_datagram(self.now, datagram);
            }
            return;
        }
        for i in 0..2 {
            if self.sockets[i].contains(&d.destination) {
                self.agents[i].handle_datagram(self.now, datagram);
            }
        }
    }

    /// Binds what is asked for, collects what is sent, carries the signalling.
    fn drain(&mut self) {
        let now = self.now;
        for i in 0..2 {
            while let Some(req) = self.agents[i].poll_socket_request() {
                if let SocketRequest::Bind {
                    addr, transport, ..
                } = req
                {
                    let bound = SocketAddr::new(addr.ip(), self.next_port);
                    self.next_port += 1;
                    self.sockets[i].push(bound);
                    self.agents[i].handle_socket_result(
                        now,
                        SocketResult::of_bind(addr, transport, Ok(bound)),
                    );
                }
            }
            let mut buf = Vec::new();
            while let Some(t) = self.agents[i].poll_transmit(now, &mut buf) {
                let source = t.source.unwrap_or(self.sockets[i][0]);
                self.wire.push_back(InFlight {
                    proto: t.proto,
                    source,
                    destination: t.destination,
                    payload: std::mem::take(&mut buf),
                });
            }
            while let Some(e) = self.agents[i].poll_event() {
                let other = 1 - i;
                match e {
                    Event::LocalCandidate(c) => {
                        let _ = self.agents[other].add_remote_candidate(now, c);
                    }
                    Event::GatheringState(GatheringState::Complete) => {
                        self.agents[other].end_of_remote_candidates(now);
                    }
                    Event::SelectedPair(p) => self.selected[i] = Some(p),
                    Event::Data { .. } => self.data_events[i] += 1,
                    _ => {}
                }
            }
        }
        if let Some(t) = &mut self.turn {
            while let Some(req) = t.poll_socket_request() {
                if let SocketRequest::Bind {
                    addr, transport, ..
                } = req
                {
                    self.turn_addrs.push(addr);
                    t.handle_socket_result(now, SocketResult::of_bind(addr, transport, Ok(addr)));
                }
            }
            let mut buf = Vec::new();
            while let Some(tx) = t.poll_transmit(now, &mut buf) {
                self.wire.push_back(InFlight {
                    proto: tx.proto,
                    source: tx.source.unwrap_or(addr(TURN)),
                    destination: tx.destination,
                    payload: std::mem::take(&mut buf),
                });
            }
            while t.poll_event().is_some() {}
        }
    }

    /// Where agent `i`'s transmit arrives: at the other agent, or (relayed) at the server.
    #[must_use]
    pub fn is_turn(&self, a: SocketAddr) -> bool {
        self.turn_addrs.contains(&a)
    }
}
