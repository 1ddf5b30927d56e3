//! ICE-lite for servers (RFC 8445 section 2.5): many sessions on sockets the owner bound,
//! one [`Machine`].
//!
//! ```no_run
//! # use std::time::Instant;
//! # use wren_core::{Datagram, Machine};
//! # use wren_ice::lite::{Config, LocalSocket, Routed, Server};
//! # fn media(_: wren_ice::lite::SessionId, _: &[u8]) {}
//! let sock = std::net::UdpSocket::bind("192.0.2.1:3478").unwrap(); // the owner's socket
//! let port = sock.local_addr().unwrap();
//! # #[allow(clippy::disallowed_methods)] let now = Instant::now();
//! let mut server = Server::new(now, Config::new(vec![LocalSocket::udp(port)])).unwrap();
//! // Per peer: its credentials from the SDP, the server's candidates back in the answer.
//! // let id = server.add_session(now, local_credentials, Some(remote_credentials))?;
//! let (mut rx, mut tx) = (vec![0u8; 65536], Vec::with_capacity(1500));
//! loop {
//!     let now = Instant::now();
//!     let (n, from) = sock.recv_from(&mut rx).unwrap();
//!     match server.route(now, Datagram::udp(from, port, &rx[..n])) {
//!         Routed::Data { session, payload } => media(session, payload), // DTLS, SRTP: no copy
//!         Routed::Stun | Routed::Dropped => {}                        // answered or counted
//!     }
//!     while let Some(t) = { tx.clear(); server.poll_transmit(now, &mut tx) } {
//!         sock.send_to(&tx, t.destination).unwrap();
//!     }
//!     while let Some(_event) = server.poll_event() { /* Connected, Disconnected, Failed */ }
//!     // ... and `handle_timeout` at `poll_timeout`; media out with `send_into`.
//! }
//! ```
//!
//! The owner lists its sockets ([`Config::sockets`]: UDP ports and TCP listeners) and binds
//! them; the server binds nothing and asks for nothing. Per peer it adds a session with the
//! local credentials it put in the SDP ([`Server::add_session`]); the peer's may come later
//! ([`Server::set_remote_credentials`], trickle-style). Every session's host candidates are
//! the owner's sockets ([`Server::local_candidates`]).
//!
//! An incoming STUN check is demultiplexed by its USERNAME's local ufrag (the part before
//! the colon, RFC 8445 section 7.2.2) with one hash lookup, then verified with that
//! session's short-term key; nothing else picks the session, so a check for one session
//! never reaches another: an unknown ufrag, a key that does not verify, a remote ufrag that
//! is not the session's, and a path another live session holds are each dropped and counted
//! in [`Stats`]. No error response goes to an unauthenticated request (the server is no
//! reflector for spoofed sources). As an ICE-lite agent each session:
//!
//! - is always controlled and sends no checks; it answers a check with XOR-MAPPED-ADDRESS,
//!   MESSAGE-INTEGRITY (the session's key) and FINGERPRINT (section 7.3.1), and a peer that
//!   claims ICE-CONTROLLED too with 487 Role Conflict (section 7.3.1.1: the full agent
//!   switches to controlling);
//! - makes each path (local socket, remote address, transport) a check arrived on valid,
//!   at most [`MAX_PATHS`] of them, and selects the one the peer nominates with
//!   USE-CANDIDATE ([`Event::Connected`]);
//! - reads consent (RFC 7675) from the peer's checks on the selected path:
//!   [`Event::Disconnected`] after [`Timers::disconnected_after`] without one,
//!   [`Event::Failed`] after [`Timers::consent_timeout`]; sends Binding indications as
//!   keepalives when nothing else was sent for [`Timers::keepalive_interval`] (section 11).
//!
//! A datagram that is not STUN (RFC 7983) is routed by a hash lookup of its path to the
//! session that proved it, and handed back borrowed ([`Server::route`], [`Routed::Data`]);
//! data goes out with [`Server::send_into`], written into the caller's buffer. Through
//! [`Machine::handle_datagram`] data is counted and dropped: a media server calls `route`.
//!
//! ICE-TCP (RFC 6544) passive candidates: a [`LocalSocket::tcp`] listener; the driver frames
//! each connection (RFC 4571, [`wren_core::framing`]) and hands its messages over as
//! [`wren_core::Transport::Tcp`] datagrams from the connection's remote address; answers
//! and data leave as TCP transmits to it.
//!
//! Memory: a session is one slot of a table (no vector of its own), its key, its ufrag in
//! the ufrag table and its paths in the route table; `tests/lite_10k.rs` measures it.

mod config;
mod demux;
mod event;
mod message;
mod output;
mod session;

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz;
#[cfg(test)]
mod tests;

use std::time::Instant;

use wren_core::demux::is_stun;
use wren_core::{Datagram, Deadlines, Machine, Rng, Transmit, Transport};
use wren_stun::attr::ErrorCodeValue;
use wren_stun::{Key, Message, TransactionId};

pub use crate::agent::{ConnectionState, Credentials};
use crate::candidate::{Candidate, CandidateTransport, CandidateType, TcpType, priority};
use crate::message::{write_error, write_keepalive, write_success};
pub use config::{Config, LocalSocket, Timers};
use demux::{Demux, Locals, RouteKey, SeededState};
pub use event::{Event, Failure, Path};
use message::{NotCheck, read_check};
use output::{Output, Reply, ReplyKind};
use session::{Change, Session, Sessions};
pub use session::{MAX_PATHS, SessionId};

/// The largest datagram [`Server::send_into`] takes (a UDP payload over IPv4).
pub const MAX_DATAGRAM: usize = 65_507;

/// Misuse of the server's API (what the network sends is never an error: it is counted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// [`Config::sockets`] is empty.
    #[error("no local socket given")]
    NoSockets,
    /// More sockets than a session's paths can name.
    #[error("too many local sockets ({0})")]
    TooManySockets(usize),
    /// The session was removed (or never was).
    #[error("{0} is not a session of this server")]
    UnknownSession(SessionId),
    /// No path is selected, or consent was lost.
    #[error("{0} has no selected path with consent")]
    NotConnected(SessionId),
    /// [`Config::max_sessions`] sessions exist already.
    #[error("too many sessions ({0})")]
    TooManySessions(usize),
    /// Credentials outside RFC 8445's grammar (section 5.3: ufrag 4 to 256 ice-chars,
    /// password 22 to 256).
    #[error("invalid ICE credentials: {0}")]
    InvalidCredentials(&'static str),
    /// Another session has this local ufrag: checks could not tell them apart.
    #[error("the local ufrag is another session's")]
    UfragInUse,
    /// The data cannot be sent in one datagram.
    #[error("datagram of {0} bytes is too long")]
    TooLong(usize),
}

/// Commands an adapter may forward from another task; each is also a method. Adding a
/// session is not one: [`Server::add_session`] returns its id.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// [`Server::set_remote_credentials`].
    SetRemoteCredentials {
        /// The session.
        session: SessionId,
        /// The peer's credentials.
        credentials: Credentials,
    },
    /// [`Server::remove_session`].
    RemoveSession(SessionId),
}

/// Counters of what the server saw and did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Checks answered with a success response.
    pub checks_answered: u64,
    /// Checks answered with 487: the peer claimed the controlled role too.
    pub role_conflicts: u64,
    /// Checks whose local ufrag is no session's (dropped).
    pub unknown_ufrag: u64,
    /// Checks whose MESSAGE-INTEGRITY does not verify with the key of the session their
    /// ufrag names (dropped).
    pub bad_integrity: u64,
    /// Authenticated checks whose remote ufrag is not the session's peer's (dropped).
    pub wrong_remote_ufrag: u64,
    /// Authenticated checks from a path another live session holds (dropped).
    pub address_conflicts: u64,
    /// Checks for a session that failed (dropped).
    pub session_over: u64,
    /// STUN that is not a check: unparsable, bad FINGERPRINT, no USERNAME or integrity.
    pub malformed: u64,
    /// STUN of another method or class (responses: a lite agent sends no requests).
    pub unexpected: u64,
    /// Binding indications (the peer's keepalives), taken and dropped.
    pub indications: u64,
    /// Datagrams that arrived at an address none of the sockets has.
    pub unknown_socket: u64,
    /// Non-STUN datagrams routed to a session.
    pub data_routed: u64,
    /// Non-STUN datagrams from a path no session holds (dropped).
    pub data_unrouted: u64,
    /// Routed data given to [`Machine::handle_datagram`] instead of [`Server::route`]
    /// (dropped).
    pub data_unclaimed: u64,
    /// Keepalives (Binding indications) sent.
    pub keepalives_sent: u64,
    /// Responses and keepalives dropped because the driver did not drain them.
    pub transmits_dropped: u64,
    /// Events dropped because the application did not drain them.
    pub events_dropped: u64,
}

/// What [`Server::route`] made of a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routed<'a> {
    /// Data (DTLS, SRTP, ...) from a path `session`'s peer proved, borrowed from the
    /// driver's buffer.
    Data {
        /// The session.
        session: SessionId,
        /// The datagram's payload.
        payload: &'a [u8],
    },
    /// STUN: taken by the server (answered, or dropped and counted).
    Stun,
    /// Not STUN and from no session's path: dropped and counted.
    Dropped,
}

/// Many ICE-lite sessions on the owner's sockets. See the [module documentation](self).
#[derive(Debug)]
pub struct Server {
    locals: Locals,
    candidates: Vec<Candidate>,
    timers: Timers,
    max_sessions: usize,
    sessions: Sessions,
    demux: Demux,
    deadlines: Deadlines<SessionId>,
    out: Output,
    rng: Rng,
    now: Instant,
    stats: Stats,
}

impl Server {
    /// A server on the owner's sockets ([`Config::sockets`]).
    ///
    /// # Errors
    ///
    /// [`Error::NoSockets`], [`Error::TooManySockets`].
    pub fn new(now: Instant, config: Config) -> Result<Server, Error> {
        if config.sockets.is_empty() {
            return Err(Error::NoSockets);
        }
        if config.sockets.len() > 256 {
            return Err(Error::TooManySockets(config.sockets.len()));
        }
        let mut rng = Rng::from_config(config.rng_seed);
        let candidates = host_candidates(&config.sockets);
        Ok(Server {
            demux: Demux::new(SeededState::new(&mut rng)),
            locals: Locals::new(config.sockets),
            candidates,
            timers: config.timers,
            max_sessions: config.max_sessions,
            sessions: Sessions::default(),
            deadlines: Deadlines::default(),
            out: Output::new(config.max_transmits, config.max_events),
            rng,
            now,
            stats: Stats::default(),
        })
    }

    /// Adds a session whose checks carry `local.ufrag` and are signed with `local.pwd`
    /// (the credentials the owner put in its SDP); `remote` when the peer's are known.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidCredentials`], [`Error::UfragInUse`], [`Error::TooManySessions`].
    pub fn add_session(
        &mut self,
        now: Instant,
        local: &Credentials,
        remote: Option<&Credentials>,
    ) -> Result<SessionId, Error> {
        let now = self.clamp(now);
        validate(local)?;
        if let Some(r) = remote {
            validate(r)?;
        }
        if self.sessions.len() >= self.max_sessions {
            return Err(Error::TooManySessions(self.sessions.len()));
        }
        if self.demux.has_ufrag(&local.ufrag) {
            return Err(Error::UfragInUse);
        }
        let key = Key::short_term(&local.pwd)
            .map_err(|_| Error::InvalidCredentials("password preparation failed"))?;
        let mut session = Session::new(now, local.ufrag.as_str().into(), key);
        session.remote_ufrag = remote.map(|r| r.ufrag.as_str().into());
        let id = self.sessions.insert(session);
        self.demux.add_ufrag(&local.ufrag, id);
        self.arm(id);
        Ok(id)
    }

    /// Sets (or replaces) the peer's credentials: from now on a check must carry its ufrag
    /// after the colon. Its password is not kept: an ICE-lite agent sends no checks.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownSession`], [`Error::InvalidCredentials`].
    pub fn set_remote_credentials(
        &mut self,
        now: Instant,
        session: SessionId,
        remote: &Credentials,
    ) -> Result<(), Error> {
        self.clamp(now);
        validate(remote)?;
        let s = self
            .sessions
            .get_mut(session)
            .ok_or(Error::UnknownSession(session))?;
        s.remote_ufrag = Some(remote.ufrag.as_str().into());
        Ok(())
    }

    /// Ends a session: its ufrag and paths are forgotten at once (checks for it are
    /// dropped as of an unknown ufrag), and [`Event::Closed`] reports it.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownSession`].
    pub fn remove_session(&mut self, now: Instant, session: SessionId) -> Result<(), Error> {
        self.clamp(now);
        let mut s = self
            .sessions
            .remove(session)
            .ok_or(Error::UnknownSession(session))?;
        self.demux.remove_ufrag(&s.ufrag, session);
        self.deadlines.stop(&session);
        for key in s.take_paths().iter().flatten() {
            self.demux.release_route(key, session);
        }
        self.emit(Event::Closed { session });
        Ok(())
    }

    /// The session's host candidates for its SDP: one per socket of [`Config::sockets`]
    /// (UDP, or passive TCP for a listener), the same for every session.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownSession`].
    pub fn local_candidates(&self, session: SessionId) -> Result<&[Candidate], Error> {
        self.sessions
            .get(session)
            .map(|_| self.candidates.as_slice())
            .ok_or(Error::UnknownSession(session))
    }

    /// The session's state; `None` for a session removed.
    #[must_use]
    pub fn state(&self, session: SessionId) -> Option<ConnectionState> {
        self.sessions.get(session).map(|s| s.state)
    }

    /// The path the peer nominated, while the session has one.
    #[must_use]
    pub fn selected_path(&self, session: SessionId) -> Option<Path> {
        let key = self.sessions.get(session)?.selected()?;
        self.path(key)
    }

    /// How many sessions there are.
    #[must_use]
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// How many paths (local socket, remote address, transport) route data to a session.
    #[must_use]
    pub fn routed_paths(&self) -> usize {
        self.demux.routes()
    }

    /// Counters.
    #[must_use]
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Takes a datagram that arrived at one of the sockets: STUN is handled here (answers
    /// come out of [`Machine::poll_transmit`]); anything else from a path a session's peer
    /// proved is that session's, handed back without a copy.
    pub fn route<'a>(&mut self, now: Instant, d: Datagram<'a>) -> Routed<'a> {
        if is_stun(d.payload) {
            let now = self.clamp(now);
            self.receive_stun(now, &d);
            return Routed::Stun;
        }
        let Some(key) = self.locals.key(&d) else {
            self.stats.unknown_socket += 1;
            return Routed::Dropped;
        };
        match self.demux.by_route(&key) {
            Some(session) => {
                self.stats.data_routed += 1;
                Routed::Data {
                    session,
                    payload: d.payload,
                }
            }
            None => {
                self.stats.data_unrouted += 1;
                Routed::Dropped
            }
        }
    }

    /// Writes `data` for the session's selected path into `buf` (appended) and says where
    /// it goes. Allocates nothing when `buf` has room.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownSession`], [`Error::NotConnected`] (no path selected, or consent
    /// lost), [`Error::TooLong`].
    pub fn send_into(
        &mut self,
        now: Instant,
        session: SessionId,
        data: &[u8],
        buf: &mut Vec<u8>,
    ) -> Result<Transmit, Error> {
        let now = self.clamp(now);
        if data.len() > MAX_DATAGRAM {
            return Err(Error::TooLong(data.len()));
        }
        let s = self
            .sessions
            .get_mut(session)
            .ok_or(Error::UnknownSession(session))?;
        let key = s
            .selected()
            .filter(|_| s.can_send())
            .ok_or(Error::NotConnected(session))?;
        s.sent(now);
        buf.extend_from_slice(data);
        Ok(self.transmit(key))
    }

    fn clamp(&mut self, now: Instant) -> Instant {
        self.now = self.now.max(now);
        self.now
    }

    fn path(&self, key: RouteKey) -> Option<Path> {
        let local = self.locals.get(key.local)?;
        Some(Path {
            local: local.addr,
            remote: key.remote,
            transport: key.transport,
        })
    }

    fn transmit(&self, key: RouteKey) -> Transmit {
        let local = self.locals.get(key.local).map(|l| l.addr);
        Transmit::new(key.transport, local, key.remote)
    }

    fn emit(&mut self, e: Event) {
        if !self.out.event(e) {
            self.stats.events_dropped += 1;
        }
    }

    fn reply(&mut self, r: Reply) {
        if !self.out.reply(r) {
            self.stats.transmits_dropped += 1;
        }
    }

    /// Makes sure a wake-up no later than the session's next deadline is armed.
    ///
    /// Only a deadline that moves *earlier* re-arms the timer: one that moves later (the
    /// peer's next check pushes consent out) costs nothing until the armed one fires, which
    /// finds the session and arms what is due next.
    fn arm(&mut self, id: SessionId) {
        if let Some(s) = self.sessions.get(id)
            && let Some(at) = s.deadline(&self.timers)
            && self.deadlines.get(&id).is_none_or(|armed| at < armed)
        {
            self.deadlines.set(id, at);
        }
    }

    /// A STUN message at one of the sockets (RFC 8445 section 7.3 for an ICE-lite agent).
    fn receive_stun(&mut self, now: Instant, d: &Datagram<'_>) {
        let Some(key) = self.locals.key(d) else {
            self.stats.unknown_socket += 1;
            return;
        };
        let Ok(msg) = Message::parse(d.payload) else {
            self.stats.malformed += 1;
            return;
        };
        let check = match read_check(&msg) {
            Ok(c) => c,
            Err(NotCheck::Malformed) => return self.stats.malformed += 1,
            Err(NotCheck::Indication) => return self.stats.indications += 1,
            Err(NotCheck::Unexpected) => return self.stats.unexpected += 1,
        };
        // The ufrag alone picks the session; its key alone authenticates the check.
        let Some(id) = self.demux.by_ufrag(check.local_ufrag) else {
            self.stats.unknown_ufrag += 1;
            return;
        };
        let Some(s) = self.sessions.get_mut(id) else {
            self.stats.unknown_ufrag += 1;
            return;
        };
        if msg.verify_integrity(&s.key).is_err() {
            self.stats.bad_integrity += 1;
            return;
        }
        if s.is_over() {
            self.stats.session_over += 1;
            return;
        }
        if s.remote_ufrag
            .as_deref()
            .is_some_and(|r| r != check.remote_ufrag)
        {
            self.stats.wrong_remote_ufrag += 1;
            return;
        }
        let reply = |kind| Reply {
            session: id,
            kind,
            tid: check.tid,
            to: key,
        };
        if check.controlled {
            // Section 7.3.1.1: a lite agent is always controlled, so it keeps its role
            // whatever the tie-breakers say; the full agent switches.
            self.stats.role_conflicts += 1;
            return self.reply(reply(ReplyKind::RoleConflict));
        }
        if self.demux.claim_route(key, id).is_err() {
            self.stats.address_conflicts += 1;
            return;
        }
        let (slot, evicted) = s.admit(key);
        if let Some(old) = evicted {
            self.demux.release_route(&old, id);
        }
        let change = s.checked(now, slot, check.nominate);
        self.stats.checks_answered += 1;
        self.reply(reply(ReplyKind::Success));
        self.apply(id, change);
        self.arm(id);
    }

    /// Reports a session's change; a failed session gives its paths back.
    fn apply(&mut self, id: SessionId, change: Option<Change>) {
        let Some(change) = change else { return };
        match change {
            Change::Connected(slot) => {
                let path = self
                    .sessions
                    .get(id)
                    .and_then(|s| s.path(slot))
                    .and_then(|k| self.path(k));
                if let Some(path) = path {
                    self.emit(Event::Connected { session: id, path });
                }
            }
            Change::Disconnected => self.emit(Event::Disconnected { session: id }),
            Change::Failed(cause) => {
                if let Some(s) = self.sessions.get_mut(id) {
                    for key in s.take_paths().iter().flatten() {
                        self.demux.release_route(key, id);
                    }
                }
                self.emit(Event::Failed { session: id, cause });
            }
        }
    }

    /// A session's wake-up came (its deadline, or one since moved later).
    fn session_timeout(&mut self, now: Instant, id: SessionId) {
        let Some(s) = self.sessions.get_mut(id) else {
            return;
        };
        let (change, keepalive) = s.handle_timeout(now, &self.timers);
        if keepalive && let Some(to) = s.selected() {
            let tid = TransactionId::random(&mut self.rng);
            self.reply(Reply {
                session: id,
                kind: ReplyKind::Keepalive,
                tid,
                to,
            });
        }
        self.apply(id, change);
        self.arm(id);
    }
}

impl Machine for Server {
    type Event = Event;
    type Command = Command;
    type Error = Error;

    /// As [`Server::route`], with data dropped and counted ([`Stats::data_unclaimed`]).
    fn handle_datagram(&mut self, now: Instant, dgram: Datagram<'_>) {
        if let Routed::Data { .. } = self.route(now, dgram) {
            self.stats.data_unclaimed += 1;
        }
    }

    fn handle_command(&mut self, now: Instant, cmd: Command) -> Result<(), Error> {
        match cmd {
            Command::SetRemoteCredentials {
                session,
                credentials,
            } => self.set_remote_credentials(now, session, &credentials),
            Command::RemoveSession(session) => self.remove_session(now, session),
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        let now = self.clamp(now);
        while let Some((_, id)) = self.deadlines.pop_expired(now) {
            self.session_timeout(now, id);
        }
    }

    /// Writes the next check response or keepalive. Call after every `handle_*` call and
    /// [`Server::route`], until it returns `None`.
    fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        self.clamp(now);
        while let Some(r) = self.out.next_reply() {
            // A session removed since keeps its answers: they are dropped here.
            let Some(s) = self.sessions.get(r.session) else {
                continue;
            };
            // The writers clear `buf` first (the caller hands it over empty).
            let written = match r.kind {
                ReplyKind::Success => write_success(buf, r.tid, r.to.remote, &s.key),
                ReplyKind::RoleConflict => {
                    write_error(buf, r.tid, ErrorCodeValue::ROLE_CONFLICT, Some(&s.key))
                }
                ReplyKind::Keepalive => write_keepalive(buf, r.tid),
            };
            if written.is_err() {
                buf.clear();
                continue;
            }
            if r.kind == ReplyKind::Keepalive {
                self.stats.keepalives_sent += 1;
            }
            return Some(self.transmit(r.to));
        }
        None
    }

    /// The next event. Call after every `handle_*` call, until it returns `None`.
    fn poll_event(&mut self) -> Option<Event> {
        self.out.next_event()
    }

    /// The earliest session wake-up (perhaps for a deadline that moved later since).
    fn poll_timeout(&self) -> Option<Instant> {
        self.deadlines.next_deadline()
    }

    /// STUN, and data from a path a session holds, at one of the sockets.
    fn accepts(&self, d: &Datagram<'_>) -> bool {
        match self.locals.key(d) {
            Some(key) => is_stun(d.payload) || self.demux.by_route(&key).is_some(),
            None => false,
        }
    }
}

/// Checks RFC 8445 section 5.3: a ufrag of 4 to 256 ice-chars, a password of 22 to 256.
fn validate(c: &Credentials) -> Result<(), Error> {
    let ice_chars = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
    };
    if !(4..=256).contains(&c.ufrag.len()) || !ice_chars(&c.ufrag) {
        return Err(Error::InvalidCredentials(
            "ufrag must be 4 to 256 ice-chars",
        ));
    }
    if !(22..=256).contains(&c.pwd.len()) || !ice_chars(&c.pwd) {
        return Err(Error::InvalidCredentials(
            "password must be 22 to 256 ice-chars",
        ));
    }
    Ok(())
}

/// One host candidate per socket (RFC 8445 section 5.1.1.1), in order of preference;
/// listeners as passive TCP candidates, below UDP (RFC 6544 section 4.2: local preference
/// `2^13 * 4 + other`, 4 being the direction preference of a passive host candidate).
fn host_candidates(sockets: &[LocalSocket]) -> Vec<Candidate> {
    sockets
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            let (transport, local_pref) = match s.transport {
                Transport::Udp => (CandidateTransport::Udp, 65535u32.saturating_sub(i)),
                _ => (
                    CandidateTransport::Tcp,
                    (4u32 << 13) + 8191u32.saturating_sub(i),
                ),
            };
            let mut c = Candidate::at(
                CandidateType::Host,
                transport,
                s.addr,
                priority(CandidateType::Host, local_pref, 1),
            );
            c.foundation = (i + 1).to_string();
            if s.transport.is_stream() {
                c.tcp_type = Some(TcpType::Passive);
            }
            c
        })
        .collect()
}
