//! The structured fuzz targets of the ICE agent (not a public API).
//!
//! [`agent`] runs one [`Agent`] (full or lite, either role, seeded, with or without a STUN
//! and a TURN server) over an arbitrary sequence of [`Op`]s: socket results for the binds
//! it asked for, raw datagrams, well-formed connectivity checks signed with the right (or
//! wrong) keys, responses to the checks it sent (success, 487, other errors, from the
//! wrong address, mapped to a new address), the STUN and TURN servers' answers, relayed
//! data, time steps and every command (credentials, candidates as structs or lines, mDNS
//! names and their resolution, end-of-candidates, restart, send, close).
//!
//! After every step the harness drives the agent as a driver would (sockets, transmits,
//! events, and `handle_timeout` while `poll_timeout` is due) and checks:
//!
//! - every STUN message the agent sends parses ([`Message::parse`]), and so does every
//!   ChannelData to the TURN server; what is not STUN is data the application sent;
//! - a UDP transmit leaves from a socket the driver bound; a close names a bound socket;
//! - the agent settles: once `handle_timeout(now)` ran, `poll_timeout` is not still due
//!   after a few more calls (a driver would spin);
//! - queues are bounded: each step's transmits and events are counted, the agent's own
//!   queues are empty once drained;
//! - every local candidate the agent announces writes a line that parses back to it.
//!
//! [`candidate`] is the text target: any text as a candidate line.

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use wren_core::{BindError, Datagram, Machine, SocketRequest, SocketResult, Transport};
use wren_stun::attr::{
    ChannelNumber, Data, ErrorCode, ErrorCodeValue, IceControlled, IceControlling, Lifetime, Nonce,
    Priority, Realm, UseCandidate, Username, XorMappedAddress, XorPeerAddress, XorRelayedAddress,
};
use wren_stun::{AttrType, Class, Key, Message, MessageType, MessageWriter, Method, TransactionId};
use wren_turn::wire::{ChannelData, ChannelNumber as Channel};

use crate::agent::{PairState, Received, short_term_key};
use crate::{
    Address, Agent, Candidate, CandidateTransport, CandidateType, Credentials, Event, Role,
    StunServer, TcpType, TurnServer, agent::Command as AgentCommand, agent::Config as AgentConfig,
};

/// The agent's interfaces; [`Setup::interfaces`] picks among them.
const INTERFACES: [IpAddr; 3] = [
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1)),
];

const STUN_SERVER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1)), 3478);
const TURN_SERVER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 10)), 3478);
const TURN_USER: &str = "u";
const TURN_PASSWORD: &str = "p";
const TURN_REALM: &str = "fuzz";

/// Remote credentials the fuzzer can name; [`Creds::Known`] picks one.
const REMOTE_CREDS: [(&str, &str); 2] = [
    ("peerA", "peerA-password-0123456789"),
    ("peerB", "peerB-password-abcdefghij"),
];

/// mDNS (and other) names a candidate may carry; [`Addr::Name`] picks one.
const NAMES: [&str; 4] = ["peer-a.local", "PEER-A.local", "b.local", "host.example"];

/// The peer's transport addresses: a few, so that candidates, checks and responses meet.
fn peer(n: u8) -> SocketAddr {
    let (ip, port) = match n % 8 {
        0 => (IpAddr::V4(Ipv4Addr::new(198, 51, 100, 20)), 5000),
        1 => (IpAddr::V4(Ipv4Addr::new(198, 51, 100, 20)), 5001),
        2 => (IpAddr::V4(Ipv4Addr::new(198, 51, 100, 21)), 5000),
        3 => (IpAddr::V4(Ipv4Addr::new(203, 0, 113, 5)), 6000),
        4 => (IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9)), 7000),
        5 => (
            IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
            5000,
        ),
        6 => (
            IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2)),
            5001,
        ),
        _ => (IpAddr::V4(Ipv4Addr::new(198, 51, 100, 20)), 9),
    };
    SocketAddr::new(ip, port)
}

/// A public address for server-reflexive and relayed addresses.
fn public(n: u8) -> SocketAddr {
    SocketAddr::new(
        IpAddr::V4(Ipv4Addr::new(203, 0, 113, 100 + n % 4)),
        60000 + u16::from(n % 4),
    )
}

/// How the agent is made.
#[derive(Debug, Arbitrary)]
pub struct Setup {
    /// The seed (all 32 bytes this value).
    pub seed: u8,
    /// ICE-lite.
    pub lite: bool,
    /// Controlling (ignored when lite).
    pub controlling: bool,
    /// Which of the three interfaces (two IPv4, one IPv6) to gather on, as bits.
    pub interfaces: u8,
    /// ICE-TCP host candidates.
    pub tcp: bool,
    /// A STUN server.
    pub stun: bool,
    /// A TURN server, over TCP when `Some(true)`.
    pub turn: Option<bool>,
    /// Relayed candidates only.
    pub relay_only: bool,
    /// Small limits (pairs, remote candidates, events, peer-reflexive candidates).
    pub tight: bool,
    /// Fixed local credentials instead of random ones.
    pub fixed_credentials: bool,
}

/// Remote credentials to set.
#[derive(Debug, Arbitrary)]
pub enum Creds {
    /// One of the known, valid pairs.
    Known(u8),
    /// Anything (mostly refused).
    Any {
        /// ice-ufrag.
        ufrag: String,
        /// ice-pwd.
        pwd: String,
    },
}

/// A candidate's address.
#[derive(Debug, Arbitrary)]
pub enum Addr {
    /// One of the peer addresses.
    Peer(u8),
    /// One of the names (mostly mDNS).
    Name(u8),
}

/// A remote candidate built field by field.
#[derive(Debug, Arbitrary)]
pub struct CandSpec {
    /// Foundation `f0`..`f3`.
    pub foundation: u8,
    /// Another component than 1.
    pub component: Option<u16>,
    /// 0 UDP, 1 TCP, else an unknown transport.
    pub transport: u8,
    /// The priority.
    pub priority: u32,
    /// The address (and the port of the peer address, or `port`).
    pub addr: Addr,
    /// The port for a named address.
    pub port: u16,
    /// The type (index).
    pub kind: u8,
    /// The TCP type (index).
    pub tcp_type: Option<u8>,
    /// A ufrag: the peer's current one (`true`) or another.
    pub ufrag: Option<bool>,
    /// A generation.
    pub generation: Option<u32>,
}

/// Who the USERNAME of a check says it is.
#[derive(Debug, Arbitrary)]
pub enum Who {
    /// `local-ufrag:remote-ufrag`, as the peer writes it.
    Right,
    /// The two swapped.
    Reversed,
    /// Any text.
    Garbage(String),
    /// No USERNAME.
    Missing,
}

/// How a message is signed.
#[derive(Debug, Arbitrary)]
pub enum Signing {
    /// With the right password.
    Right,
    /// With another password.
    Wrong,
    /// No MESSAGE-INTEGRITY.
    Unsigned,
}

/// A connectivity check from the peer.
#[derive(Debug, Arbitrary)]
pub struct Check {
    /// ICE-CONTROLLING (`Some(true)`), ICE-CONTROLLED (`Some(false)`), or neither.
    pub controlling: Option<bool>,
    /// The tie-breaker.
    pub tiebreaker: u64,
    /// USE-CANDIDATE.
    pub use_candidate: bool,
    /// PRIORITY (missing when `None`).
    pub priority: Option<u32>,
    /// USERNAME.
    pub who: Who,
    /// MESSAGE-INTEGRITY.
    pub signing: Signing,
    /// FINGERPRINT: `None` leaves it out, `Some(false)` corrupts it.
    pub fingerprint: Option<bool>,
    /// Extra attributes before the integrity (at most 3).
    pub extra: Vec<(u16, Vec<u8>)>,
    /// The transaction ID's first bytes.
    pub tid: u64,
}

/// What a response to one of the agent's checks says.
#[derive(Debug, Arbitrary)]
pub enum Reply {
    /// Success, XOR-MAPPED-ADDRESS the check's source (or `peer(n)`: a new address).
    Success(Option<u8>),
    /// 487 Role Conflict.
    RoleConflict,
    /// Another error (300 + n % 400).
    Error(u16),
}

/// A response to one of the agent's checks.
#[derive(Debug, Arbitrary)]
pub struct Respond {
    /// Which check, counted back from the latest.
    pub which: u8,
    /// What it says.
    pub reply: Reply,
    /// How it is signed.
    pub signing: Signing,
    /// From another address than the check went to (`peer(n)`).
    pub from: Option<u8>,
    /// Arrives on another local socket than the check left from (`bound[n]`).
    pub to: Option<u8>,
}

/// What a server says to one of the agent's requests.
#[derive(Debug, Arbitrary)]
pub enum ServerReply {
    /// Success: for Binding XOR-MAPPED-ADDRESS `public(n)`; for Allocate
    /// XOR-RELAYED-ADDRESS `public(n)`; others plain. Signed (TURN) with the right key
    /// when `true`.
    Ok(u8, bool),
    /// 401 with REALM and NONCE.
    Challenge,
    /// 438 with a new NONCE.
    Stale,
    /// Another error (300 + n % 400).
    Error(u16),
}

/// What arrives through the TURN server from a peer.
#[derive(Debug, Arbitrary)]
pub enum Payload {
    /// A check.
    Check(Check),
    /// Anything.
    Bytes(Vec<u8>),
}

/// Time passing.
#[derive(Debug, Arbitrary)]
pub enum Wait {
    /// To the agent's deadline.
    Deadline,
    /// Milliseconds.
    Millis(u16),
    /// Seconds.
    Seconds(u8),
    /// `handle_timeout` with an instant this many ms in the past (time never goes back).
    Past(u16),
}

/// One step.
#[derive(Debug, Arbitrary)]
pub enum Op {
    /// Answers the `which`-th pending bind: bound, or refused.
    Socket {
        /// Which request.
        which: u8,
        /// Refused.
        fail: bool,
    },
    /// A result for something never asked.
    StraySocket {
        /// Refused.
        fail: bool,
        /// The port.
        port: u16,
    },
    /// Raw bytes from `peer(from)` to local socket `to`.
    Raw {
        /// The source.
        from: u8,
        /// The local socket.
        to: u8,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// A check from `peer(from)` to local socket `to`.
    Check {
        /// The source.
        from: u8,
        /// The local socket.
        to: u8,
        /// The check.
        check: Check,
    },
    /// A response to one of the agent's checks.
    Respond(Respond),
    /// A server's answer to the `which`-th (from the latest) request sent to it.
    Server {
        /// Which request.
        which: u8,
        /// The answer.
        reply: ServerReply,
    },
    /// Raw bytes from a server (0 STUN, else TURN).
    FromServer {
        /// Which server.
        turn: bool,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// A Data indication (or ChannelData, when a channel is bound) from `peer(peer)`
    /// through the TURN server.
    Relayed {
        /// The peer.
        peer: u8,
        /// What it carries.
        payload: Payload,
        /// As ChannelData when a channel to the peer is known.
        channel: bool,
    },
    /// Time passes.
    Wait(Wait),
    /// [`Agent::set_remote_credentials`].
    SetRemoteCredentials(Creds),
    /// [`Agent::add_remote_candidate`].
    AddCandidate(CandSpec),
    /// [`Agent::add_remote_candidate`] with a parsed line.
    AddLine(String),
    /// [`Agent::resolved`].
    Resolved {
        /// The name (index).
        name: u8,
        /// The answer: `peer(n)`'s IP.
        ip: Option<u8>,
    },
    /// [`Agent::end_of_remote_candidates`].
    EndOfCandidates,
    /// [`Agent::restart`].
    Restart,
    /// [`Agent::send`].
    Send(Vec<u8>),
    /// [`Agent::close`].
    Close,
    /// Raw bytes from `peer(from)` to local socket `to` through the data path
    /// ([`Agent::receive`]): data comes back only on a valid pair, borrowed from the input.
    Receive {
        /// The source.
        from: u8,
        /// The local socket.
        to: u8,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// [`Agent::send_into`]: written only for the selected pair.
    SendInto(Vec<u8>),
}

/// The whole input.
#[derive(Debug, Arbitrary)]
pub struct Input {
    /// The agent.
    pub setup: Setup,
    /// The steps.
    pub ops: Vec<Op>,
}

/// A request the agent sent that an [`Op`] may answer.
#[derive(Debug, Clone, Copy)]
struct Sent {
    tid: TransactionId,
    method: Method,
    /// Where it left from (`None`: an active TCP candidate, or a TURN TCP connection).
    source: Option<SocketAddr>,
    /// Where it went: the peer (relayed checks included), or the server.
    destination: SocketAddr,
    proto: Transport,
    /// A check sent through the TURN server.
    relayed: bool,
}

/// Requests kept for answers; older ones are forgotten.
const KEEP: usize = 64;
/// `handle_timeout` calls at one instant after which a due `poll_timeout` means a spin.
/// More than one is fair: after a long stall the STUN client catches up on its
/// retransmission schedule one step per call (its next deadline counts from the missed
/// one, not from `now`), at most once per retransmission.
const SETTLE: usize = 12;
/// Transmits one step may cause, at most.
const MAX_TRANSMITS_PER_STEP: usize = 4096;

struct Harness {
    agent: Agent,
    now: Instant,
    max_events: usize,
    /// Binds asked for and not answered.
    pending_binds: Vec<(SocketAddr, Transport)>,
    /// Sockets bound and not closed.
    bound: Vec<(SocketAddr, Transport)>,
    /// Every socket ever bound (a UDP transmit leaves from one of them).
    ever_bound: Vec<SocketAddr>,
    next_port: u16,
    /// The remote credentials the agent took last.
    remote: Option<Credentials>,
    checks: VecDeque<Sent>,
    server_requests: VecDeque<Sent>,
    /// Application data sent and not seen leaving yet.
    app_data: VecDeque<Vec<u8>>,
    /// Channels the TURN client asked for: number and peer.
    channels: Vec<(u16, SocketAddr)>,
    /// The TURN socket (the host socket its requests leave from; `None` over TCP).
    turn_socket: Option<SocketAddr>,
    nonce: u32,
    buf: Vec<u8>,
    scratch: Vec<u8>,
    closed: bool,
    reached: Reached,
}

/// How far a run got: to see what a corpus reaches.
#[derive(Debug, Clone, Default)]
pub struct Reached {
    /// Connection states seen.
    pub states: Vec<crate::ConnectionState>,
    /// Local candidate types announced.
    pub local_kinds: Vec<CandidateType>,
    /// A pair was selected.
    pub selected: bool,
    /// The role changed (487 or a conflicting check).
    pub role_changed: bool,
    /// Application data arrived.
    pub data: bool,
    /// The agent's counters at the end.
    pub stats: crate::agent::Stats,
}

/// Runs the agent over `input.ops`; panics when an invariant breaks.
pub fn agent(input: &Input) -> Reached {
    let s = &input.setup;
    #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
    let now = Instant::now();
    let interfaces = INTERFACES
        .iter()
        .enumerate()
        .filter(|(i, _)| s.interfaces & (1 << i) != 0)
        .map(|(_, ip)| *ip)
        .collect();
    let role = if s.controlling {
        Role::Controlling
    } else {
        Role::Controlled
    };
    let mut config = if s.lite {
        AgentConfig::lite(interfaces)
    } else {
        AgentConfig::new(role, interfaces)
    };
    config.rng_seed = Some([s.seed; 32]);
    config.tcp = s.tcp;
    config.relay_only = s.relay_only;
    if s.stun {
        config.stun_servers = vec![StunServer { addr: STUN_SERVER }];
    }
    if let Some(tcp) = s.turn {
        config.turn_servers = vec![TurnServer {
            addr: TURN_SERVER,
            transport: if tcp { Transport::Tcp } else { Transport::Udp },
            username: TURN_USER.into(),
            password: TURN_PASSWORD.into(),
        }];
    }
    if s.fixed_credentials {
        config.credentials = Some(Credentials {
            ufrag: "wren".into(),
            pwd: "wren-password-0123456789".into(),
        });
    }
    if s.tight {
        config.max_pairs = 6;
        config.max_remote_candidates = 5;
        config.max_events = 8;
        config.max_peer_reflexive = 2;
    }
    let max_events = config.max_events;
    let mut h = Harness {
        agent: Agent::new(now, config),
        now,
        max_events,
        pending_binds: Vec::new(),
        bound: Vec::new(),
        ever_bound: Vec::new(),
        next_port: 40000,
        remote: None,
        checks: VecDeque::new(),
        server_requests: VecDeque::new(),
        app_data: VecDeque::new(),
        channels: Vec::new(),
        turn_socket: None,
        nonce: 0,
        buf: Vec::new(),
        scratch: Vec::new(),
        closed: false,
        reached: Reached::default(),
    };
    h.settle();
    for op in &input.ops {
        h.step(op);
        h.settle();
    }
    // Closing releases every socket.
    h.agent.close(h.now);
    h.closed = true;
    h.settle();
    assert!(
        h.bound.is_empty(),
        "sockets left open after close: {:?}",
        h.bound
    );
    h.reached.stats = h.agent.stats();
    h.reached
}

impl Harness {
    fn local(&self, n: u8) -> (SocketAddr, Transport) {
        match self.bound.get(usize::from(n) % (self.bound.len() + 1)) {
            Some(b) => *b,
            // Nothing bound there.
            None => (SocketAddr::new(INTERFACES[0], 1), Transport::Udp),
        }
    }

    fn deliver(&mut self, from: SocketAddr, to: (SocketAddr, Transport), payload: &[u8]) {
        let d = Datagram {
            proto: to.1,
            source: from,
            destination: to.0,
            ecn: None,
            payload,
        };
        self.agent.handle_datagram(self.now, d);
    }

    fn step(&mut self, op: &Op) {
        let now = self.now;
        match op {
            Op::Socket { which, fail } => {
                if self.pending_binds.is_empty() {
                    return;
                }
                let i = usize::from(*which) % self.pending_binds.len();
                let (addr, transport) = self.pending_binds.remove(i);
                let outcome = if *fail {
                    Err(BindError::AddrInUse)
                } else {
                    self.next_port = self.next_port.wrapping_add(1).max(1024);
                    let b = SocketAddr::new(addr.ip(), self.next_port);
                    // Bound after close too: the agent closes it at once.
                    self.bound.push((b, transport));
                    self.ever_bound.push(b);
                    Ok(b)
                };
                let r = SocketResult::of_bind(addr, transport, outcome);
                self.agent.handle_socket_result(now, r);
            }
            Op::StraySocket { fail, port } => {
                // The agent asks for port 0 only: this answers nothing it asked.
                let addr = SocketAddr::new(INTERFACES[0], (*port).max(1));
                let outcome = if *fail {
                    Err(BindError::Exhausted)
                } else {
                    Ok(addr)
                };
                let r = SocketResult::of_bind(addr, Transport::Udp, outcome);
                self.agent.handle_socket_result(now, r);
            }
            Op::Raw { from, to, bytes } => {
                let to = self.local(*to);
                self.deliver(peer(*from), to, bytes);
            }
            Op::Check { from, to, check } => {
                let mut msg = std::mem::take(&mut self.scratch);
                self.write_check(&mut msg, check);
                let to = self.local(*to);
                self.deliver(peer(*from), to, &msg);
                self.scratch = msg;
            }
            Op::Respond(r) => self.respond(r),
            Op::Server { which, reply } => self.server(*which, reply),
            Op::FromServer { turn, bytes } => {
                let (server, to) = if *turn {
                    (TURN_SERVER, self.turn_local())
                } else {
                    (STUN_SERVER, self.local(0))
                };
                self.deliver(server, to, bytes);
            }
            Op::Relayed {
                peer: p,
                payload,
                channel,
            } => {
                let mut inner = Vec::new();
                match payload {
                    Payload::Check(c) => self.write_check(&mut inner, c),
                    Payload::Bytes(b) => inner.clone_from(b),
                }
                self.relay(peer(*p), &inner, *channel);
            }
            Op::Wait(w) => match w {
                Wait::Deadline => {
                    let t = self
                        .agent
                        .poll_timeout()
                        .unwrap_or(now + Duration::from_secs(1));
                    self.now = self.now.max(t);
                    self.agent.handle_timeout(self.now);
                }
                Wait::Millis(ms) => {
                    self.now += Duration::from_millis(u64::from(*ms));
                    self.agent.handle_timeout(self.now);
                }
                Wait::Seconds(s) => {
                    self.now += Duration::from_secs(u64::from(*s));
                    self.agent.handle_timeout(self.now);
                }
                Wait::Past(ms) => {
                    let past = now
                        .checked_sub(Duration::from_millis(u64::from(*ms)))
                        .unwrap_or(now);
                    self.agent.handle_timeout(past);
                }
            },
            Op::SetRemoteCredentials(c) => {
                let creds = match c {
                    Creds::Known(n) => {
                        let (u, p) = REMOTE_CREDS[usize::from(*n) % REMOTE_CREDS.len()];
                        Credentials {
                            ufrag: u.into(),
                            pwd: p.into(),
                        }
                    }
                    Creds::Any { ufrag, pwd } => Credentials {
                        ufrag: ufrag.clone(),
                        pwd: pwd.clone(),
                    },
                };
                if self
                    .agent
                    .set_remote_credentials(now, creds.clone())
                    .is_ok()
                {
                    self.remote = Some(creds);
                }
            }
            Op::AddCandidate(spec) => {
                let c = self.candidate(spec);
                // Refusals are typed errors; either way the agent goes on.
                let _ = self
                    .agent
                    .handle_command(now, AgentCommand::AddRemoteCandidate(c));
            }
            Op::AddLine(line) => {
                if let Ok(c) = line.parse::<Candidate>() {
                    let _ = self.agent.add_remote_candidate(now, c);
                }
            }
            Op::Resolved { name, ip } => {
                let name = NAMES[usize::from(*name) % NAMES.len()];
                let ip = ip.map(|n| peer(n).ip());
                self.agent.resolved(now, name, ip);
            }
            Op::EndOfCandidates => {
                let _ = self
                    .agent
                    .handle_command(now, AgentCommand::EndOfRemoteCandidates);
            }
            Op::Restart => {
                self.agent.restart(now);
                if !self.closed {
                    self.remote = None;
                }
            }
            Op::Send(data) => {
                if self.agent.send(now, data).is_ok() {
                    self.app_data.push_back(data.clone());
                    if self.app_data.len() > 256 {
                        self.app_data.pop_front();
                    }
                }
            }
            Op::Close => {
                let _ = self.agent.handle_command(now, AgentCommand::Close);
                self.closed = true;
            }
            Op::Receive { from, to, bytes } => {
                let to = self.local(*to);
                let d = Datagram {
                    proto: to.1,
                    source: peer(*from),
                    destination: to.0,
                    ecn: None,
                    payload: bytes,
                };
                if let Received::Data { pair, data } = self.agent.receive(now, d) {
                    let p = &self.agent.checklist[pair];
                    assert!(
                        p.state() == PairState::Succeeded || p.nominated(),
                        "data routed to a pair that is not valid"
                    );
                    assert!(
                        bytes.as_ptr_range().contains(&data.as_ptr()) || data.is_empty(),
                        "the data is a slice of the input"
                    );
                }
            }
            Op::SendInto(data) => {
                self.scratch.clear();
                if let Ok(Some(t)) = self.agent.send_into(now, data, &mut self.scratch) {
                    let selected = self.agent.selected_pair().expect("only when selected");
                    // Direct: to the peer; relayed: to the TURN server holding the candidate.
                    let to = selected
                        .local
                        .relay
                        .map_or(selected.remote.addr, |(server, _)| server);
                    assert_eq!(t.destination, to);
                    assert!(self.scratch.len() >= data.len());
                }
                self.scratch.clear();
            }
        }
    }

    /// Where the TURN server's datagrams arrive.
    fn turn_local(&self) -> (SocketAddr, Transport) {
        match self.turn_socket {
            Some(s) => (s, Transport::Udp),
            None => (SocketAddr::new(INTERFACES[0], 50000), Transport::Tcp),
        }
    }

    fn turn_transport(&self) -> Transport {
        self.turn_local().1
    }

    /// Sends `inner` from `peer` through the TURN server.
    fn relay(&mut self, peer: SocketAddr, inner: &[u8], channel: bool) {
        let mut out = Vec::new();
        let bound = self
            .channels
            .iter()
            .find(|(_, p)| *p == peer)
            .and_then(|(n, _)| Channel::new(*n));
        match bound.filter(|_| channel) {
            Some(ch) => {
                let pad = self.turn_transport() == Transport::Tcp;
                let _ = ChannelData::write(&mut out, ch, inner, pad);
            }
            None => {
                let typ = MessageType::new(Class::Indication, Method::DATA);
                let mut w = MessageWriter::new(&mut out, typ, TransactionId([7; 12]));
                let _ = w
                    .add(&XorPeerAddress(peer))
                    .and_then(|()| w.add(&Data(inner)));
                let _ = w.add_fingerprint();
                w.finish();
            }
        }
        let to = self.turn_local();
        self.deliver(TURN_SERVER, to, &out);
    }

    fn candidate(&self, s: &CandSpec) -> Candidate {
        let (address, port) = match s.addr {
            Addr::Peer(n) => (Address::Ip(peer(n).ip()), peer(n).port()),
            Addr::Name(n) => (
                Address::Name(NAMES[usize::from(n) % NAMES.len()].to_owned()),
                s.port,
            ),
        };
        let kind = [
            CandidateType::Host,
            CandidateType::ServerReflexive,
            CandidateType::PeerReflexive,
            CandidateType::Relayed,
        ][usize::from(s.kind % 4)];
        let transport = match s.transport % 3 {
            0 => CandidateTransport::Udp,
            1 => CandidateTransport::Tcp,
            _ => CandidateTransport::Other("sctp".into()),
        };
        let tcp_type = s.tcp_type.map(|t| {
            [TcpType::Active, TcpType::Passive, TcpType::SimultaneousOpen][usize::from(t % 3)]
        });
        let ufrag = s.ufrag.map(|right| match (&self.remote, right) {
            (Some(c), true) => c.ufrag.clone(),
            _ => "zzzz".to_owned(),
        });
        Candidate {
            foundation: format!("f{}", s.foundation % 4),
            component: s.component.unwrap_or(1),
            transport,
            priority: s.priority,
            address,
            port,
            kind,
            related: None,
            tcp_type,
            generation: s.generation,
            ufrag,
            network_id: None,
            network_cost: None,
            extensions: Vec::new(),
        }
    }

    /// A Binding request from the peer, as `c` describes it, into `out`.
    fn write_check(&self, out: &mut Vec<u8>, c: &Check) {
        out.clear();
        let local = self.agent.local_credentials().clone();
        let remote_ufrag = self
            .remote
            .as_ref()
            .map_or("nobody", |r| r.ufrag.as_str())
            .to_owned();
        let mut id = [0u8; 12];
        id[..8].copy_from_slice(&c.tid.to_be_bytes());
        let typ = MessageType::new(Class::Request, Method::BINDING);
        let mut w = MessageWriter::new(out, typ, TransactionId(id));
        let username = match &c.who {
            Who::Right => Some(format!("{}:{remote_ufrag}", local.ufrag)),
            Who::Reversed => Some(format!("{remote_ufrag}:{}", local.ufrag)),
            Who::Garbage(s) => Some(s.clone()),
            Who::Missing => None,
        };
        if let Some(u) = &username {
            let _ = w.add(&Username(u));
        }
        if let Some(p) = c.priority {
            let _ = w.add(&Priority(p));
        }
        let _ = match c.controlling {
            Some(true) => w.add(&IceControlling(c.tiebreaker)),
            Some(false) => w.add(&IceControlled(c.tiebreaker)),
            None => Ok(()),
        };
        if c.use_candidate {
            let _ = w.add(&UseCandidate);
        }
        for (t, v) in c.extra.iter().take(3) {
            let _ = w.add_raw(AttrType(*t), v);
        }
        match c.signing {
            Signing::Right => {
                let _ = w.add_message_integrity(&short_term_key(&local.pwd));
            }
            Signing::Wrong => {
                let _ = w.add_message_integrity(&short_term_key("not-the-password-at-all"));
            }
            Signing::Unsigned => {}
        }
        if c.fingerprint.is_some() {
            let _ = w.add_fingerprint();
        }
        w.finish();
        if c.fingerprint == Some(false)
            && let Some(last) = out.last_mut()
        {
            *last ^= 0x5a;
        }
    }

    /// Answers one of the agent's checks.
    fn respond(&mut self, r: &Respond) {
        let Some(sent) = pick(&self.checks, r.which) else {
            return;
        };
        let mut out = Vec::new();
        let class = match r.reply {
            Reply::Success(_) => Class::SuccessResponse,
            _ => Class::ErrorResponse,
        };
        let mut w =
            MessageWriter::new(&mut out, MessageType::new(class, Method::BINDING), sent.tid);
        let _ = match r.reply {
            Reply::Success(mapped) => {
                let m = match (mapped, sent.source) {
                    (Some(n), _) => peer(n),
                    (None, Some(s)) => s,
                    (None, None) => peer(0),
                };
                w.add(&XorMappedAddress(m))
            }
            Reply::RoleConflict => w.add(&ErrorCode::from_code(ErrorCodeValue::ROLE_CONFLICT)),
            Reply::Error(n) => {
                let code =
                    ErrorCodeValue::new(300 + n % 400).unwrap_or(ErrorCodeValue::BAD_REQUEST);
                w.add(&ErrorCode::from_code(code))
            }
        };
        match (&r.signing, &self.remote) {
            (Signing::Right, Some(c)) => {
                let _ = w.add_message_integrity(&short_term_key(&c.pwd));
            }
            (Signing::Unsigned, _) => {}
            _ => {
                let _ = w.add_message_integrity(&short_term_key("not-the-password-at-all"));
            }
        }
        let _ = w.add_fingerprint();
        w.finish();
        let from = r.from.map_or(sent.destination, peer);
        if sent.relayed {
            self.relay(from, &out, false);
            return;
        }
        let to = match (r.to, sent.source) {
            (Some(n), _) => self.local(n),
            (None, Some(s)) => (s, sent.proto),
            // An active TCP candidate's connection: an ephemeral port on its IP.
            (None, None) => (SocketAddr::new(INTERFACES[0], 50001), sent.proto),
        };
        self.deliver(from, to, &out);
    }

    /// A server's answer to one of its requests.
    fn server(&mut self, which: u8, reply: &ServerReply) {
        let Some(sent) = pick(&self.server_requests, which) else {
            return;
        };
        let turn = sent.destination == TURN_SERVER;
        let mut out = Vec::new();
        let class = match reply {
            ServerReply::Ok(..) => Class::SuccessResponse,
            _ => Class::ErrorResponse,
        };
        let mut w = MessageWriter::new(&mut out, MessageType::new(class, sent.method), sent.tid);
        let mut sign = false;
        let _ = match reply {
            ServerReply::Ok(n, signed) => {
                sign = *signed && turn;
                let mapped = sent.source.unwrap_or_else(|| public(*n));
                match sent.method {
                    Method::BINDING => w.add(&XorMappedAddress(public(*n))),
                    Method::ALLOCATE => w
                        .add(&XorRelayedAddress(public(*n)))
                        .and_then(|()| w.add(&XorMappedAddress(mapped)))
                        .and_then(|()| w.add(&Lifetime(Duration::from_secs(600)))),
                    Method::REFRESH => w.add(&Lifetime(Duration::from_secs(600))),
                    _ => Ok(()),
                }
            }
            ServerReply::Challenge => w
                .add(&ErrorCode::from_code(ErrorCodeValue::UNAUTHENTICATED))
                .and_then(|()| w.add(&Realm(TURN_REALM)))
                .and_then(|()| w.add(&Nonce(&format!("nonce{}", self.nonce)))),
            ServerReply::Stale => {
                self.nonce += 1;
                w.add(&ErrorCode::from_code(ErrorCodeValue::STALE_NONCE))
                    .and_then(|()| w.add(&Realm(TURN_REALM)))
                    .and_then(|()| w.add(&Nonce(&format!("nonce{}", self.nonce))))
            }
            ServerReply::Error(n) => {
                let code =
                    ErrorCodeValue::new(300 + n % 400).unwrap_or(ErrorCodeValue::BAD_REQUEST);
                w.add(&ErrorCode::from_code(code))
            }
        };
        if sign && let Ok(key) = Key::long_term(TURN_USER, TURN_REALM, TURN_PASSWORD) {
            let _ = w.add_message_integrity(&key);
        }
        let _ = w.add_fingerprint();
        w.finish();
        let to = match sent.source {
            Some(s) => (s, sent.proto),
            None => (SocketAddr::new(INTERFACES[0], 50000), sent.proto),
        };
        self.deliver(sent.destination, to, &out);
    }

    /// Drives the agent as a driver would until nothing is left to do at `now`.
    fn settle(&mut self) {
        let mut transmits = 0;
        let mut timeouts = 0;
        loop {
            transmits += self.drain();
            assert!(
                transmits <= MAX_TRANSMITS_PER_STEP,
                "{transmits} transmits in one step"
            );
            match self.agent.poll_timeout() {
                Some(t) if t <= self.now => {
                    timeouts += 1;
                    assert!(
                        timeouts <= SETTLE,
                        "poll_timeout stays due ({:?} before now) after {SETTLE} handle_timeout calls: \
                         a driver would spin",
                        self.now.saturating_duration_since(t)
                    );
                    self.agent.handle_timeout(self.now);
                }
                _ => break,
            }
        }
        let a = &self.agent;
        // Not checked: live pairs <= `max_pairs`. A pair past the bound replaces the lowest
        // waiting one, which stays in the list (failed, so that pair ids hold); but one
        // still in the triggered queue is checked anyway (reported with the target).
        assert!(a.checklist.len() <= a.locals.len() * a.remotes.len());
        assert!(
            a.checklist.in_flight() <= 2 * a.checklist.len(),
            "{} checks",
            a.checklist.in_flight()
        );
        assert!(a.checklist.triggered() <= 2 * a.config.max_pairs + 2);
        assert!(a.output.is_empty(), "output left after draining");
    }

    /// Drains sockets, transmits and events; returns the transmits.
    fn drain(&mut self) -> usize {
        while let Some(req) = self.agent.poll_socket_request() {
            match req {
                SocketRequest::Bind {
                    addr, transport, ..
                } => self.pending_binds.push((addr, transport)),
                SocketRequest::Close { addr, transport } => {
                    let at = self.bound.iter().position(|b| *b == (addr, transport));
                    assert!(at.is_some(), "closing {addr}, which is not bound");
                    if let Some(at) = at {
                        self.bound.swap_remove(at);
                    }
                }
                _ => {}
            }
        }
        let mut n = 0;
        let mut buf = std::mem::take(&mut self.buf);
        loop {
            buf.clear();
            let Some(t) = self.agent.poll_transmit(self.now, &mut buf) else {
                break;
            };
            n += 1;
            if t.proto == Transport::Udp {
                let source = t.source;
                assert!(
                    source.is_some_and(|s| self.ever_bound.contains(&s)),
                    "UDP transmit from {source:?}, not a bound socket"
                );
            }
            self.check_transmit(&t, &buf);
        }
        self.buf = buf;
        let mut events = 0;
        while let Some(e) = self.agent.poll_event() {
            events += 1;
            assert!(events <= self.max_events, "more events than max_events");
            let r = &mut self.reached;
            match &e {
                Event::LocalCandidate(c) => {
                    let line = c.to_string();
                    assert_eq!(line.parse::<Candidate>().as_ref(), Ok(c), "{line}");
                    if !r.local_kinds.contains(&c.kind) {
                        r.local_kinds.push(c.kind);
                    }
                }
                Event::ConnectionState(st) if !r.states.contains(st) => r.states.push(*st),
                Event::SelectedPair(_) => r.selected = true,
                Event::RoleChanged(_) => r.role_changed = true,
                Event::Data { .. } => r.data = true,
                _ => {}
            }
        }
        n
    }

    /// Checks one transmit and records what may be answered.
    fn check_transmit(&mut self, t: &wren_core::Transmit, bytes: &[u8]) {
        let to_server = t.destination == TURN_SERVER || t.destination == STUN_SERVER;
        if !to_server && let Some(i) = self.app_data.iter().position(|d| d == bytes) {
            self.app_data.remove(i);
            return;
        }
        if t.destination == TURN_SERVER
            && wren_core::demux::classify_turn(bytes)
                == Some(wren_core::demux::TurnKind::ChannelData)
        {
            let cd = ChannelData::parse(bytes);
            assert!(cd.is_ok(), "bad ChannelData sent: {bytes:02x?}");
            if let Ok(cd) = cd {
                let peer = self
                    .channels
                    .iter()
                    .find(|(n, _)| *n == cd.channel.get())
                    .map(|(_, p)| *p);
                if let Some(p) = peer {
                    self.inner(cd.data, p);
                }
            }
            return;
        }
        let msg = Message::parse(bytes);
        assert!(
            msg.is_ok(),
            "bad STUN sent to {}: {bytes:02x?}",
            t.destination
        );
        let Ok(msg) = msg else { return };
        let sent = Sent {
            tid: msg.transaction_id(),
            method: msg.method(),
            source: t.source,
            destination: t.destination,
            proto: t.proto,
            relayed: false,
        };
        if to_server {
            if t.destination == TURN_SERVER {
                self.turn_socket = t.source.filter(|_| t.proto == Transport::Udp);
                if msg.method() == Method::SEND
                    && let (Ok(Some(p)), Ok(Some(d))) =
                        (msg.get::<XorPeerAddress>(), msg.get::<Data<'_>>())
                {
                    self.inner(d.0, p.0);
                }
                if msg.method() == Method::CHANNEL_BIND
                    && let (Ok(Some(p)), Ok(Some(n))) =
                        (msg.get::<XorPeerAddress>(), msg.get::<ChannelNumber>())
                {
                    self.channels.retain(|(m, _)| *m != n.0);
                    self.channels.push((n.0, p.0));
                }
            }
            if msg.class() == Class::Request {
                keep(&mut self.server_requests, sent);
            }
        } else if msg.class() == Class::Request && msg.method() == Method::BINDING {
            keep(&mut self.checks, sent);
        }
    }

    /// What the agent sent to `peer` through the TURN server.
    fn inner(&mut self, bytes: &[u8], peer: SocketAddr) {
        if let Some(i) = self.app_data.iter().position(|d| d == bytes) {
            self.app_data.remove(i);
            return;
        }
        let msg = Message::parse(bytes);
        assert!(msg.is_ok(), "bad STUN relayed to {peer}: {bytes:02x?}");
        if let Ok(msg) = msg
            && msg.class() == Class::Request
        {
            let sent = Sent {
                tid: msg.transaction_id(),
                method: msg.method(),
                source: None,
                destination: peer,
                proto: Transport::Udp,
                relayed: true,
            };
            keep(&mut self.checks, sent);
        }
    }
}

fn keep(q: &mut VecDeque<Sent>, s: Sent) {
    q.push_back(s);
    if q.len() > KEEP {
        q.pop_front();
    }
}

/// The `which`-th entry counted back from the latest.
fn pick(q: &VecDeque<Sent>, which: u8) -> Option<Sent> {
    if q.is_empty() {
        return None;
    }
    let back = usize::from(which) % q.len();
    q.get(q.len() - 1 - back).copied()
}

/// Any text as a candidate line: what parses writes a line that parses back to the same
/// candidate, with or without `a=`, and writing is a fixed point.
pub fn candidate(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(c) = text.parse::<Candidate>() else {
        return;
    };
    let line = c.to_string();
    let again = line.parse::<Candidate>();
    assert_eq!(again.as_ref(), Ok(&c), "{line}");
    assert_eq!(format!("a={line}").parse::<Candidate>().as_ref(), Ok(&c));
    if let Ok(again) = again {
        assert_eq!(again.to_string(), line);
    }
    let _ = c.address.is_mdns();
}

#[cfg(test)]
mod tests {
    use arbitrary::{Arbitrary, Unstructured};

    /// Random inputs (a fixed xorshift stream) through the structured target: its
    /// invariants, the data path's included, hold on every one.
    #[test]
    fn random_inputs_keep_the_invariants() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut bytes = vec![0u8; 4096];
        for _ in 0..300 {
            for b in &mut bytes {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = x as u8;
            }
            let mut u = Unstructured::new(&bytes);
            if let Ok(input) = super::Input::arbitrary(&mut u) {
                let _ = super::agent(&input);
            }
        }
    }
}
