//! An ICE-lite server (`wren_ice::lite::Server`) on one UDP port of a wren-netsim network,
//! and full ICE agents in the controlling role, as browsers are, each connecting to its own
//! session. Signalling (credentials and the server's candidate) is carried by the test.
//!
//! So that thousands of peers run fast, the agents of one client host share a node
//! ([`Peers`]): a machine that forwards each datagram to the agent whose socket it reached
//! (a hash lookup) and drains only the agents something happened to. Every agent is a whole
//! `wren_ice::Agent`: its own socket, credentials, checks and nomination.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::cell::Cell;
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use wren_core::{Datagram, Machine, SocketRequest, SocketResult, Transmit};
use wren_ice::agent::{Config as AgentConfig, Error as AgentError};
use wren_ice::lite::{self, Routed, Server, SessionId};
use wren_ice::{Agent, Credentials, Event, Role};

/// The server's one UDP port.
pub const PORT: &str = "198.51.100.50:3478";

pub fn addr(s: &str) -> SocketAddr {
    s.parse().expect("a socket address")
}

#[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
pub fn t0() -> Instant {
    Instant::now()
}

/// The local credentials of session `i` and of its peer.
pub fn session_credentials(i: usize) -> Credentials {
    Credentials {
        ufrag: format!("s{i:06}"),
        pwd: format!("{i:08}serverpasswordserver"),
    }
}

pub fn peer_credentials(i: usize) -> Credentials {
    Credentials {
        ufrag: format!("p{i:06}"),
        pwd: format!("{i:08}peerpasswordpeerpass"),
    }
}

/// The payload peer `i` sends to its session, and the one the session sends back.
pub fn up(i: usize) -> Vec<u8> {
    format!("\u{80}up {i}").into_bytes()
}

pub fn down(session: SessionId) -> Vec<u8> {
    format!("\u{80}down {}", session.index()).into_bytes()
}

/// The lite server as a media server uses it: data routed to its session, counted per
/// session with the first bytes it carried, and a greeting sent to each session's peer
/// through `send_into` when it connects.
#[derive(Debug)]
pub struct MediaServer {
    pub lite: Server,
    /// Per session index: (data routed, the last payload).
    pub received: HashMap<SessionId, (u32, Vec<u8>)>,
    out: VecDeque<(Transmit, Vec<u8>)>,
    events: VecDeque<lite::Event>,
}

impl MediaServer {
    pub fn new(lite: Server) -> Self {
        MediaServer {
            lite,
            received: HashMap::new(),
            out: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// Takes the lite server's events; greets each session that connects.
    fn after(&mut self, now: Instant) {
        while let Some(e) = self.lite.poll_event() {
            if let lite::Event::Connected { session, .. } = e {
                let mut buf = Vec::new();
                if let Ok(t) = self.lite.send_into(now, session, &down(session), &mut buf) {
                    self.out.push_back((t, buf));
                }
            }
            self.events.push_back(e);
        }
    }
}

impl Machine for MediaServer {
    type Event = lite::Event;
    type Command = lite::Command;
    type Error = lite::Error;

    fn handle_datagram(&mut self, now: Instant, d: Datagram<'_>) {
        if let Routed::Data { session, payload } = self.lite.route(now, d) {
            let e = self.received.entry(session).or_default();
            e.0 += 1;
            e.1.clear();
            e.1.extend_from_slice(payload);
        }
        self.after(now);
    }

    fn handle_command(&mut self, now: Instant, cmd: lite::Command) -> Result<(), lite::Error> {
        let r = self.lite.handle_command(now, cmd);
        self.after(now);
        r
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.lite.handle_timeout(now);
        self.after(now);
    }

    fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        if let Some(t) = self.lite.poll_transmit(now, buf) {
            return Some(t);
        }
        let (t, bytes) = self.out.pop_front()?;
        buf.extend_from_slice(&bytes);
        Some(t)
    }

    fn poll_event(&mut self) -> Option<lite::Event> {
        self.events.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.lite.poll_timeout()
    }
}

/// The agents of one client host, each on its own socket.
#[derive(Debug, Default)]
pub struct Peers {
    pub agents: Vec<Agent>,
    /// Which agent a socket is.
    by_socket: HashMap<SocketAddr, usize>,
    /// The agents that asked for the sockets being bound, in order.
    asking: VecDeque<usize>,
    /// Agents to drain, and whether each is listed.
    dirty: Vec<usize>,
    listed: Vec<bool>,
    /// Set by `poll_timeout`, which the simulator calls once a drain is over.
    drained: Cell<bool>,
}

impl Peers {
    /// Adds a controlling full agent with `credentials` on `ip`.
    pub fn add(
        &mut self,
        now: Instant,
        ip: IpAddr,
        credentials: Credentials,
        seed: [u8; 32],
    ) -> usize {
        let config = AgentConfig {
            credentials: Some(credentials),
            rng_seed: Some(seed),
            ..AgentConfig::new(Role::Controlling, vec![ip])
        };
        self.push(Agent::new(now, config))
    }

    /// Adds an agent made elsewhere.
    pub fn push(&mut self, agent: Agent) -> usize {
        self.agents.push(agent);
        self.listed.push(false);
        let i = self.agents.len() - 1;
        self.touch(i);
        i
    }

    /// Runs `f` on agent `i`, to be drained.
    pub fn with<R>(&mut self, i: usize, f: impl FnOnce(&mut Agent) -> R) -> R {
        self.touch(i);
        f(&mut self.agents[i])
    }

    fn touch(&mut self, i: usize) {
        if self.drained.replace(false) {
            for j in self.dirty.drain(..) {
                self.listed[j] = false;
            }
        }
        if !self.listed[i] {
            self.listed[i] = true;
            self.dirty.push(i);
        }
    }
}

impl Machine for Peers {
    type Event = (usize, Event);
    type Command = ();
    type Error = AgentError;

    fn handle_datagram(&mut self, now: Instant, d: Datagram<'_>) {
        if let Some(&i) = self.by_socket.get(&d.destination) {
            self.touch(i);
            self.agents[i].handle_datagram(now, d);
        }
    }

    fn handle_command(&mut self, _: Instant, (): ()) -> Result<(), AgentError> {
        Ok(())
    }

    fn handle_timeout(&mut self, now: Instant) {
        for i in 0..self.agents.len() {
            if self.agents[i].poll_timeout().is_some_and(|t| t <= now) {
                self.touch(i);
                self.agents[i].handle_timeout(now);
            }
        }
    }

    fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        for &i in &self.dirty {
            if let Some(t) = self.agents[i].poll_transmit(now, buf) {
                return Some(t);
            }
        }
        None
    }

    fn poll_event(&mut self) -> Option<(usize, Event)> {
        for &i in &self.dirty {
            if let Some(e) = self.agents[i].poll_event() {
                return Some((i, e));
            }
        }
        None
    }

    /// The simulator asks last, once the node is drained: the list of agents to drain is
    /// cleared at the next input.
    fn poll_timeout(&self) -> Option<Instant> {
        self.drained.set(true);
        self.agents.iter().filter_map(Machine::poll_timeout).min()
    }

    fn poll_socket_request(&mut self) -> Option<SocketRequest> {
        for &i in &self.dirty {
            if let Some(r) = self.agents[i].poll_socket_request() {
                if matches!(r, SocketRequest::Bind { .. }) {
                    self.asking.push_back(i);
                }
                return Some(r);
            }
        }
        None
    }

    fn handle_socket_result(&mut self, now: Instant, result: SocketResult) {
        let Some(i) = self.asking.pop_front() else {
            return;
        };
        if let SocketResult::Bound { bound, .. } = result {
            self.by_socket.insert(bound, i);
        }
        self.touch(i);
        self.agents[i].handle_socket_result(now, result);
    }
}

/// A check as a controlling browser sends it: `username` (`server-ufrag:peer-ufrag`)
/// signed with `pwd`, USE-CANDIDATE when `nominate`.
pub fn check_bytes(username: &str, pwd: &str, nominate: bool, tid: u64) -> Vec<u8> {
    use wren_stun::attr::{IceControlling, Priority, UseCandidate, Username};
    use wren_stun::{Class, Key, MessageType, MessageWriter, Method, TransactionId};
    let mut id = [0u8; 12];
    id[..8].copy_from_slice(&tid.to_be_bytes());
    let mut out = Vec::new();
    let mut w = MessageWriter::new(
        &mut out,
        MessageType::new(Class::Request, Method::BINDING),
        TransactionId(id),
    );
    w.add(&Username(username)).expect("fits");
    w.add(&Priority(1_853_824_767)).expect("fits");
    w.add(&IceControlling(tid)).expect("fits");
    if nominate {
        w.add(&UseCandidate).expect("fits");
    }
    w.add_message_integrity(&Key::short_term(pwd).expect("a password"))
        .expect("fits");
    w.add_fingerprint().expect("fits");
    w.finish();
    out
}
