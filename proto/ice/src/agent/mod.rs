//! The ICE agent (RFC 8445), full and lite, with trickle (RFC 8838) and consent freshness
//! (RFC 7675), as a sans-IO [`Machine`].
//!
//! One data stream with one component (RTP and RTCP multiplexed, BUNDLE: what WebRTC
//! uses). The agent:
//!
//! - asks its driver for a UDP socket on each configured interface
//!   ([`wren_core::SocketRequest::Bind`]), and a TCP listening socket for ICE-TCP when
//!   asked (RFC 6544: passive, and active candidates beside it); each socket bound is a
//!   host candidate ([`Event::LocalCandidate`]);
//! - learns server-reflexive candidates from STUN servers (a [`wren_stun::client::Client`])
//!   and relayed ones from TURN servers (one [`wren_turn::client::Client`] per server
//!   and socket, over UDP or TCP), peer-reflexive ones from checks;
//! - pairs them with the remote candidates the application adds whenever they arrive
//!   ([`Agent::add_remote_candidate`], trickle), asking it to resolve mDNS `.local` names
//!   ([`Event::ResolveName`]);
//! - checks pairs paced by Ta, frozen by foundation, triggered by the peer's checks; the
//!   controlling agent nominates (regular nomination), role conflicts are settled by the
//!   tie-breaker (487);
//! - once a pair is selected, keeps consent fresh and reports disconnection and loss;
//! - when ICE fails, says why: [`Event::Failed`] carries a [`FailureReport`];
//! - leaves media to the caller: [`Agent::receive`] routes a datagram that is not STUN to
//!   its valid pair by one hash lookup and hands it back borrowed ([`Received::Data`];
//!   TURN ChannelData and Data indications unwrapped in place), and
//!   [`Agent::send_into`] writes data for the selected pair into the caller's buffer,
//!   framed for the relay when the pair is relayed. Neither allocates. Through the
//!   [`Machine`] verbs instead, media is a bounded [`Event::Data`] and [`Agent::send`].
//!
//! Sockets are asked of the driver, or given by an owner that bound them already
//! ([`Config::bound_sockets`]: a server's shared ports). Every queue is bounded and counts
//! what it drops in [`Stats`].
//!
//! Per packet, the run loop is:
//!
//! ```text
//! datagram in  -> agent.receive(now, d)       -> Received::Data { pair, data } | Handled
//! data out     -> agent.send_into(now, b, buf) -> Transmit (bytes in buf)
//! after input  -> poll_transmit / poll_event / poll_timeout, handle_timeout when due
//! ```
//!
//! ```
//! use std::time::Instant;
//! use wren_core::{Machine, SocketRequest, SocketResult, Transport};
//! use wren_ice::agent::{Agent, Config, Event, Role};
//!
//! # #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
//! let now = Instant::now();
//! let config = Config {
//!     rng_seed: Some([7; 32]),
//!     ..Config::new(Role::Controlling, vec!["192.0.2.10".parse().unwrap()])
//! };
//! let mut agent = Agent::new(now, config);
//! // The agent asks for a socket; the driver binds it and answers.
//! let Some(SocketRequest::Bind { addr, transport, .. }) = agent.poll_socket_request() else {
//!     panic!("a host socket is asked for")
//! };
//! let bound = std::net::SocketAddr::new(addr.ip(), 50000);
//! agent.handle_socket_result(now, SocketResult::of_bind(addr, transport, Ok(bound)));
//! let mut lines = Vec::new();
//! while let Some(event) = agent.poll_event() {
//!     if let Event::LocalCandidate(c) = event {
//!         lines.push(c.to_string());
//!     }
//! }
//! assert!(lines[0].contains("192.0.2.10 50000 typ host"));
//! ```
//!
//! Inside, the [`Agent`] is a coordinator of parts that own their state, each in its own
//! file: the gathering bookkeeping (`sockets.rs`: host sockets, foundations, STUN queries,
//! gathering state and failures), the local candidates (`locals.rs`), the TURN clients
//! (`relays.rs`), the remote candidates (`remote.rs`), the checklist (`checklist.rs`:
//! pairs, triggered queue, checks in flight and their retransmissions), selection and
//! nomination (`selection.rs`), the credentials (`keys.rs`), consent (`consent.rs`), the
//! data-path routes (`route.rs`) and the output queues (`output.rs`). The agent's own files hold the policy that joins them: gathering
//! (`gather.rs`), pairing, Ta pacing and nomination (`pairing.rs`), checks on the wire
//! (`checks.rs`), the connection's life (`state.rs`). Its fixed timers (pacing, gathering)
//! sit in a [`wren_core::TimerTable`]; [`Machine::describe_timer`] names the one that
//! fires next.

mod checklist;
mod checks;
pub(crate) mod config;
mod consent;
mod data;
pub(crate) mod event;
mod gather;
mod ids;
mod keys;
mod locals;
mod output;
mod pairing;
mod relays;
mod remote;
pub(crate) mod report;
mod route;
mod selection;
mod sockets;
mod state;

#[cfg(test)]
mod tests;

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use wren_core::{
    Datagram, Machine, Rng, SocketRequest, SocketResult, TimerKind, TimerTable, Transmit, Transport,
};
use wren_stun::client::{Client, Config as ClientConfig};

use crate::candidate::{Candidate, TcpType};
use checklist::{Check, Checklist, Pair};
pub use config::{Config, Credentials, Role, StunServer, Timers, TurnServer};
use consent::Consent;
pub use data::{Received, SendError};
pub use event::{
    CandidateSummary, ConnectionState, Event, GatheringState, PairId, PairState, SelectedPair,
};
use ids::LocalId;
use keys::Keys;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) use keys::short_term_key;
use locals::{Local, Locals};
use output::Output;
use relays::{Relay, Relays};
use remote::Remotes;
pub use report::{FailureCause, FailureReport, GatherFailure, PairFailure, PairReport};
use selection::Selection;
use sockets::Gathering;

/// Misuse of the agent's API (what the network sends is never an error: it is counted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The agent was closed.
    #[error("the agent is closed")]
    Closed,
    /// Data can only be sent once a pair is selected.
    #[error("no candidate pair is selected yet")]
    NotConnected,
    /// Only component 1 is supported (RTP and RTCP multiplexed).
    #[error("component {0} is not supported: only component 1 (rtcp-mux) is")]
    UnsupportedComponent(u16),
    /// A transport other than UDP and TCP.
    #[error("candidate transport {0} is not supported")]
    UnsupportedTransport(String),
    /// The candidate belongs to other credentials (an earlier generation).
    #[error("candidate ufrag {got} does not match the remote ufrag {expected}")]
    WrongUfrag {
        /// The current remote ufrag.
        expected: String,
        /// The candidate's.
        got: String,
    },
    /// More remote candidates than [`Config::max_remote_candidates`].
    #[error("too many remote candidates ({0})")]
    TooManyCandidates(usize),
    /// Credentials outside RFC 8445's lengths.
    #[error("invalid ICE credentials: {0}")]
    InvalidCredentials(&'static str),
    /// The data cannot be sent in one datagram.
    #[error("datagram of {0} bytes is too long")]
    TooLong(usize),
}

/// Commands an adapter may forward from another task; each is also a method.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Command {
    /// [`Agent::set_remote_credentials`].
    SetRemoteCredentials(Credentials),
    /// [`Agent::add_remote_candidate`].
    AddRemoteCandidate(Candidate),
    /// [`Agent::end_of_remote_candidates`].
    EndOfRemoteCandidates,
    /// [`Agent::resolved`].
    Resolved {
        /// The name from [`Event::ResolveName`].
        name: String,
        /// What it resolved to, `None` when it did not.
        ip: Option<IpAddr>,
    },
    /// [`Agent::send`].
    Send(Vec<u8>),
    /// [`Agent::restart`].
    Restart,
    /// [`Agent::close`].
    Close,
}

/// Counters of what the agent saw and did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Check requests sent (retransmissions included).
    pub checks_sent: u64,
    /// Check requests answered.
    pub requests_answered: u64,
    /// Requests refused: bad credentials (401) or malformed (400).
    pub requests_refused: u64,
    /// Datagrams that were not STUN we could parse or were not for us.
    pub malformed: u64,
    /// Data datagrams from an address no valid pair has.
    pub data_dropped: u64,
    /// Events dropped because the application did not drain them.
    pub events_dropped: u64,
    /// Data events ([`Event::Data`], the `Machine` path) dropped because
    /// [`Config::max_data_events`] were waiting.
    pub data_events_dropped: u64,
    /// Datagrams dropped because [`Config::max_transmits`] were waiting for
    /// `poll_transmit`.
    pub transmits_dropped: u64,
    /// Remote candidates refused.
    pub candidates_refused: u64,
}

/// The agent's own named deadlines (the parts keep theirs: consent, checks in flight, the
/// STUN and TURN clients); `poll_timeout` takes the earliest of all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Deadline {
    /// Ta: the next check may leave (RFC 8445 section 6.1.4.2).
    Pacing,
    /// Gathering gives up on silent servers ([`Timers::gather_timeout`]).
    Gather,
}

impl TimerKind for Deadline {
    const ALL: &'static [Deadline] = &[Deadline::Pacing, Deadline::Gather];
    fn index(self) -> usize {
        self as usize
    }
}

/// An ICE agent. See the [module documentation](self).
#[derive(Debug)]
pub struct Agent {
    pub(crate) config: Config,
    pub(crate) rng: Rng,
    pub(crate) role: Role,
    pub(crate) keys: Keys,
    /// The USERNAME of our checks, kept from check to check.
    pub(crate) check_username: String,
    pub(crate) now: Instant,
    pub(crate) started: Instant,
    pub(crate) checking_since: Option<Instant>,

    pub(crate) locals: Locals,
    pub(crate) remotes: Remotes,

    pub(crate) checklist: Checklist,

    pub(crate) stun: Client,
    pub(crate) relays: Relays,
    pub(crate) gathering: Gathering,

    pub(crate) selection: Selection,
    pub(crate) state: ConnectionState,
    pub(crate) consent: Consent,
    /// The agent's own named deadlines (pacing, gathering); the parts keep theirs.
    pub(crate) deadlines: TimerTable<Deadline, 2>,

    pub(crate) routes: route::Routes,
    pub(crate) output: Output,
    pub(crate) stats: Stats,
}

impl Agent {
    /// A new agent. It starts gathering at once: drain [`Agent::poll_socket_request`] for
    /// the host sockets it asks for.
    #[must_use]
    pub fn new(now: Instant, config: Config) -> Agent {
        let mut rng = Rng::from_config(config.rng_seed);
        let keys = Keys::new(config.credentials.clone(), &mut rng);
        let stun = Client::new(
            now,
            ClientConfig {
                rng_seed: Some(rng.bytes()),
                ..ClientConfig::default()
            },
        );
        let role = if config.lite {
            Role::Controlled
        } else {
            config.role
        };
        let mut agent = Agent {
            rng,
            role,
            keys,
            check_username: String::new(),
            now,
            started: now,
            checking_since: None,
            locals: Locals::default(),
            remotes: Remotes::default(),
            checklist: Checklist::default(),
            stun,
            relays: Relays::default(),
            gathering: Gathering::default(),
            selection: Selection::default(),
            state: ConnectionState::New,
            consent: Consent::new(now, config.lite),
            deadlines: TimerTable::new(),
            routes: route::Routes::default(),
            output: Output::new(&config),
            stats: Stats::default(),
            config,
        };
        agent.start_gathering(now);
        agent
    }

    /// The local credentials, for the `a=ice-ufrag`/`a=ice-pwd` lines.
    #[must_use]
    pub fn local_credentials(&self) -> &Credentials {
        self.keys.local()
    }

    /// The current role.
    #[must_use]
    pub fn role(&self) -> Role {
        self.role
    }

    /// Whether this is an ICE-lite agent.
    #[must_use]
    pub fn is_lite(&self) -> bool {
        self.config.lite
    }

    /// The connection state.
    #[must_use]
    pub fn connection_state(&self) -> ConnectionState {
        self.state
    }

    /// The gathering state.
    #[must_use]
    pub fn gathering_state(&self) -> GatheringState {
        self.gathering.state()
    }

    /// The local candidates gathered so far (host, server-reflexive, relayed; peer-reflexive
    /// ones learned from checks too).
    pub fn local_candidates(&self) -> impl Iterator<Item = &Candidate> {
        self.locals.iter().map(|l| &l.cand)
    }

    /// The selected pair, once there is one.
    #[must_use]
    pub fn selected_pair(&self) -> Option<SelectedPair> {
        self.selection.selected().map(|p| self.selected_info(p))
    }

    /// Counters.
    #[must_use]
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The pairs and their states, highest priority first (what `getStats` shows).
    #[must_use]
    pub fn pairs(&self) -> Vec<PairReport> {
        let mut order: Vec<PairId> = self.checklist.ids().collect();
        order.sort_by_key(|&i| std::cmp::Reverse(self.checklist[i].priority()));
        order.into_iter().map(|i| self.pair_report(i)).collect()
    }

    pub(crate) fn clamp(&mut self, now: Instant) -> Instant {
        if now > self.now {
            self.now = now;
        }
        self.now
    }

    pub(crate) fn emit(&mut self, event: Event) {
        if !self.output.push_event(event) {
            self.stats.events_dropped += 1;
        }
    }

    /// A buffer from the output's pool (cleared).
    pub(crate) fn buffer(&mut self) -> Vec<u8> {
        self.output.buffer()
    }

    /// Gives a buffer back to the output's pool.
    pub(crate) fn recycle(&mut self, buf: Vec<u8>) {
        self.output.recycle(buf);
    }

    /// Queues `buf` to leave from `local` (a host or relayed candidate) to `remote`.
    pub(crate) fn send_from(
        &mut self,
        now: Instant,
        local: LocalId,
        remote: SocketAddr,
        buf: Vec<u8>,
    ) {
        self.consent.sent(now);
        let l = &self.locals[local];
        if let Some(r) = l.relay {
            // A relayed candidate: the TURN client frames it for the server. A refusal
            // (closed allocation, queue full) loses this datagram only: checks retransmit.
            let _ = self.relays.client_mut(r).send(now, remote, &buf);
            self.recycle(buf);
            return;
        }
        let source = match (l.transport, l.tcp_type) {
            // An active TCP candidate has no listening socket: the driver opens the
            // connection from an ephemeral port.
            (Transport::Tcp, Some(TcpType::Active)) => None,
            _ => Some(l.base),
        };
        let transmit = Transmit::new(l.transport, source, remote);
        if !self.output.push_transmit(transmit, buf) {
            self.stats.transmits_dropped += 1;
        }
    }

    /// Sends application data on the selected pair, through the queue `poll_transmit`
    /// drains (the `Machine` path; a copy). [`Agent::send_into`] writes it into the
    /// caller's buffer instead.
    ///
    /// # Errors
    ///
    /// [`Error::NotConnected`] before a pair is selected, [`Error::Closed`] after
    /// [`Agent::close`], [`Error::TooLong`] above 65,535 bytes.
    pub fn send(&mut self, now: Instant, data: &[u8]) -> Result<(), Error> {
        let now = self.clamp(now);
        if self.state == ConnectionState::Closed {
            return Err(Error::Closed);
        }
        if data.len() > usize::from(u16::MAX) {
            return Err(Error::TooLong(data.len()));
        }
        let p = self.selection.selected().ok_or(Error::NotConnected)?;
        let (local, remote) = (
            self.checklist[p].local(),
            self.remotes[self.checklist[p].remote()].addr,
        );
        let mut buf = self.buffer();
        buf.extend_from_slice(data);
        self.send_from(now, local, remote, buf);
        Ok(())
    }

    /// Closes the agent: relayed allocations are released, host sockets closed, checks
    /// stopped. [`ConnectionState::Closed`] follows.
    pub fn close(&mut self, now: Instant) {
        let now = self.clamp(now);
        if self.state == ConnectionState::Closed {
            return;
        }
        self.shut_down(now);
        self.set_state(ConnectionState::Closed);
    }

    /// Stops every timer and releases what the agent holds, for close and failure.
    pub(crate) fn shut_down(&mut self, now: Instant) {
        self.relays.close(now);
        self.checklist.stop();
        self.deadlines.stop(Deadline::Pacing);
        self.deadlines.stop(Deadline::Gather);
        self.consent.stop();
        for tid in self.gathering.cancel() {
            self.stun.cancel(tid);
        }
        // Sockets the owner gave are the owner's to close.
        for (addr, transport) in self.gathering.unbind() {
            self.output
                .request_socket(SocketRequest::Close { addr, transport });
        }
    }

    pub(crate) fn set_state(&mut self, state: ConnectionState) {
        if self.state != state {
            self.state = state;
            self.emit(Event::ConnectionState(state));
        }
    }

    fn drain_children(&mut self, now: Instant) {
        self.drain_stun(now);
        self.drain_relays(now);
    }
}

/// The agent's timers by name: what [`Machine::describe_timer`] writes for the one that
/// fires next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timer {
    /// Ta: the next check (RFC 8445 section 6.1.4.2).
    Pacing,
    /// Gathering gives up on silent servers.
    Gather,
    /// A gathering STUN transaction's retransmission or timeout.
    Stun,
    /// An in-flight check's retransmission or timeout.
    Check,
    /// The next consent check or keepalive (RFC 7675).
    Consent,
    /// The controlling agent's nomination.
    Nomination,
    /// Disconnection, consent loss or the connect timeout.
    Liveness,
    /// A TURN client's timer (refresh, permissions, retransmission, deallocation).
    Relay,
}

impl Agent {
    /// The timer that fires next, and when: what `poll_timeout` gives, named.
    pub(crate) fn next_timer(&self) -> Option<(Instant, Timer)> {
        let relays = self.relays.poll_timeout().map(|t| (t, Timer::Relay));
        if self.state == ConnectionState::Closed {
            return relays;
        }
        let named = self.deadlines.next().map(|(t, d)| {
            let timer = match d {
                Deadline::Pacing => Timer::Pacing,
                Deadline::Gather => Timer::Gather,
            };
            (t, timer)
        });
        [
            self.stun.poll_timeout().map(|t| (t, Timer::Stun)),
            self.checklist.poll_timeout().map(|t| (t, Timer::Check)),
            named,
            self.consent.poll_timeout().map(|t| (t, Timer::Consent)),
            self.nomination_deadline().map(|t| (t, Timer::Nomination)),
            self.liveness_deadline().map(|t| (t, Timer::Liveness)),
            relays,
        ]
        .into_iter()
        .flatten()
        .min_by_key(|&(t, _)| t)
    }
}

impl Machine for Agent {
    type Event = Event;
    type Command = Command;
    type Error = Error;

    /// As [`Agent::receive`], with media on a valid pair queued (copied) as
    /// [`Event::Data`].
    fn handle_datagram(&mut self, now: Instant, d: Datagram<'_>) {
        if let Received::Data { pair, data } = self.receive(now, d) {
            self.emit_data(pair, data);
        }
    }

    fn handle_command(&mut self, now: Instant, cmd: Command) -> Result<(), Error> {
        match cmd {
            Command::SetRemoteCredentials(c) => self.set_remote_credentials(now, c),
            Command::AddRemoteCandidate(c) => self.add_remote_candidate(now, c),
            Command::EndOfRemoteCandidates => {
                self.end_of_remote_candidates(now);
                Ok(())
            }
            Command::Resolved { name, ip } => {
                self.resolved(now, &name, ip);
                Ok(())
            }
            Command::Send(data) => self.send(now, &data),
            Command::Restart => {
                self.restart(now);
                Ok(())
            }
            Command::Close => {
                self.close(now);
                Ok(())
            }
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        let now = self.clamp(now);
        if self.state == ConnectionState::Closed {
            // Only the deallocations are left: the TURN clients' timers run them to the
            // end; what they report no longer matters.
            self.relays.handle_timeout_closed(now);
            return;
        }
        self.stun.handle_timeout(now);
        self.relays.handle_timeout(now);
        self.drain_children(now);
        self.gather_timeout(now);
        self.retransmit(now);
        self.pace(now);
        self.maybe_nominate(now);
        self.consent_tick(now);
        self.after_input(now);
    }

    fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        if let Some(t) = self.output.pop_transmit(buf) {
            return Some(t);
        }
        if let Some(t) = self.stun.poll_transmit(now, buf) {
            return Some(t);
        }
        self.relays.poll_transmit(now, buf)
    }

    fn poll_event(&mut self) -> Option<Event> {
        self.output.pop_event()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.next_timer().map(|(at, _)| at)
    }

    fn describe_timer(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.next_timer() {
            Some((_, timer)) => write!(f, "{timer:?}"),
            None => Ok(()),
        }
    }

    fn poll_socket_request(&mut self) -> Option<SocketRequest> {
        self.output.pop_socket_request()
    }

    fn handle_socket_result(&mut self, now: Instant, result: SocketResult) {
        let now = self.clamp(now);
        if self.state == ConnectionState::Closed {
            // A socket it asked for, bound after close, is closed again at once.
            if let SocketResult::Bound {
                requested,
                bound,
                transport,
            } = result
                && self.gathering.answer(requested, transport, None).is_some()
            {
                self.output.request_socket(SocketRequest::Close {
                    addr: bound,
                    transport,
                });
            }
            return;
        }
        self.socket_result(now, result);
        self.drain_children(now);
        self.after_input(now);
    }
}
