//! Client transactions (RFC 8489 section 6.2) as a sans-IO machine.
//!
//! Over UDP a request is sent at once and retransmitted after RTO, 2·RTO, 4·RTO, … until
//! `Rc` transmissions were made; the transaction fails `Rm`·RTO after the last one. With the
//! defaults (RTO 500 ms, Rc 7, Rm 16) requests leave at 0, 0.5, 1.5, 3.5, 7.5, 15.5 and
//! 31.5 s and the transaction times out at 39.5 s. Over TCP and TLS nothing is retransmitted
//! and the transaction times out after `Ti` (39.5 s).
//!
//! [`Client`] runs any number of transactions: it matches responses by transaction ID and
//! server address, checks FINGERPRINT and, when the request was signed, MESSAGE-INTEGRITY,
//! and reports each outcome as a [`Event`]. With [`Auth::LongTerm`] it answers the
//! server's 401 and 438 challenges itself (RFC 8489 section 9.2), and signs later requests
//! to the same server with what it learned.

mod auth;

pub use auth::{Auth, AuthFailure, NONCE_COOKIE};

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use wren_core::{Datagram, Deadlines, Machine, Rng, Transmit, Transport};

use crate::attr::{AlternateServer, ErrorCode, ErrorCodeValue, Software};
use crate::server::mapped_address;
use crate::{Class, Key, Message, MessageType, MessageWriter, Method, TransactionId};

use auth::{LongTermState, is_challenge};

/// Most automatic re-sends of one request to answer 401/438 challenges.
const MAX_AUTH_RETRIES: u8 = 3;
/// Most ALTERNATE-SERVER redirections one request follows (RFC 8489 section 10).
const MAX_REDIRECTS: u8 = 2;

/// Configuration of a [`Client`]; the defaults are RFC 8489's.
#[derive(Debug, Clone)]
pub struct Config {
    /// The initial retransmission timeout (RFC 8489: 500 ms by default).
    pub rto: Duration,
    /// How many times a request is sent over UDP, counting the first (Rc, default 7).
    pub rc: u32,
    /// How many RTOs to wait after the last transmission (Rm, default 16).
    pub rm: u32,
    /// The transaction timeout over TCP and TLS (Ti, default 39.5 s).
    pub ti: Duration,
    /// SOFTWARE for requests; `None` leaves it out.
    pub software: Option<String>,
    /// Add FINGERPRINT to requests (default true).
    pub fingerprint: bool,
    /// Most transactions in flight; more requests are refused with [`Error::TooMany`].
    pub max_transactions: usize,
    /// Most events waiting to be polled; more are dropped and counted.
    pub max_events: usize,
    /// Seed of the generator of transaction IDs; `None` seeds from the operating system.
    pub rng_seed: Option<[u8; 32]>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            rto: Duration::from_millis(500),
            rc: 7,
            rm: 16,
            ti: Duration::from_millis(39_500),
            software: None,
            fingerprint: true,
            max_transactions: 64,
            max_events: 256,
            rng_seed: None,
        }
    }
}

/// A request the client was asked to make but could not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// [`Config::max_transactions`] transactions are in flight already.
    #[error("{0} transactions are in flight already")]
    TooMany(usize),
    /// The request could not be encoded.
    #[error("request could not be encoded: {0}")]
    Encode(#[from] crate::Error),
}

/// Why a transaction ended without a usable response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureReason {
    /// No response: `transmissions` requests went out and the last wait ran out.
    TimedOut {
        /// How many times the request was sent.
        transmissions: u32,
    },
    /// The success response held a comprehension-required attribute we do not know
    /// (RFC 8489 section 6.3.3).
    UnknownAttribute(crate::AttrType),
    /// Long-term authentication could not be completed.
    Auth(AuthFailure),
}

/// What happened to a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A success response came.
    Success {
        /// The transaction.
        id: TransactionId,
        /// Where the response came from.
        from: SocketAddr,
        /// The reflexive address it reports (XOR-MAPPED-ADDRESS or MAPPED-ADDRESS).
        mapped: Option<SocketAddr>,
        /// From the first transmission to the response.
        rtt: Duration,
        /// The whole response, for attributes beyond the mapped address.
        response: Vec<u8>,
    },
    /// An error response came.
    ErrorResponse {
        /// The transaction.
        id: TransactionId,
        /// Where the response came from.
        from: SocketAddr,
        /// The error code.
        code: ErrorCodeValue,
        /// The reason phrase.
        reason: String,
        /// The whole response (for REALM, NONCE, UNKNOWN-ATTRIBUTES, ALTERNATE-SERVER...).
        response: Vec<u8>,
    },
    /// The server answered 300 (Try Alternate): the request now goes to `to`, and the
    /// outcome will come from there (RFC 8489 section 10).
    Redirected {
        /// The transaction.
        id: TransactionId,
        /// The server that redirected.
        from: SocketAddr,
        /// Its ALTERNATE-SERVER.
        to: SocketAddr,
    },
    /// The transaction failed.
    Failed {
        /// The transaction.
        id: TransactionId,
        /// The server it was sent to.
        server: SocketAddr,
        /// Why.
        reason: FailureReason,
    },
}

/// Commands an adapter may forward to a [`Client`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Command {
    /// Start a Binding transaction (see [`Client::binding`]).
    Binding {
        /// Transport to use.
        proto: Transport,
        /// The local address to send from, if it matters.
        local: Option<SocketAddr>,
        /// The STUN server.
        server: SocketAddr,
    },
    /// Start a transaction of any method (see [`Client::request`]).
    Request {
        /// Transport to use.
        proto: Transport,
        /// The local address to send from, if it matters.
        local: Option<SocketAddr>,
        /// The server.
        server: SocketAddr,
        /// The method.
        method: Method,
        /// The credentials.
        auth: Auth,
        /// Attributes to add, raw (type and value), in order.
        attributes: Vec<(crate::AttrType, Vec<u8>)>,
    },
    /// Abandon a transaction.
    Cancel(TransactionId),
}

/// Counters of a [`Client`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Requests sent, retransmissions included.
    pub transmissions: u64,
    /// Datagrams that did not parse as STUN.
    pub malformed: u64,
    /// Responses that matched no transaction (late, duplicate or forged).
    pub unmatched: u64,
    /// Responses dropped for a bad FINGERPRINT or MESSAGE-INTEGRITY.
    pub failed_checks: u64,
    /// Events dropped because the queue was full.
    pub events_dropped: u64,
}

/// One outstanding transaction and its retransmission schedule.
#[derive(Debug)]
struct Transaction {
    /// The ID the application knows (that of the first request).
    id: TransactionId,
    /// The ID of the request on the wire now (new for each authentication retry).
    wire_id: TransactionId,
    proto: Transport,
    local: Option<SocketAddr>,
    server: SocketAddr,
    /// The request unsigned: header, SOFTWARE and the caller's attributes.
    base: Vec<u8>,
    /// The request as sent: `base` re-encoded with `wire_id`, credentials and FINGERPRINT.
    request: Vec<u8>,
    auth: Auth,
    /// The key the request on the wire was signed with.
    signed_with: Option<Key>,
    /// Re-sends made to answer challenges.
    auth_retries: u8,
    /// ALTERNATE-SERVER redirections followed.
    redirects: u8,
    started: Instant,
    /// Interval before the transmission after the next one ([`Timer::Retransmit`]).
    rto: Duration,
    /// Transmissions so far.
    transmissions: u32,
    /// Whether a transmission is due to be handed out by `poll_transmit`.
    send_pending: bool,
}

/// A client timer: each transaction has two, named by the transaction's ID (the one
/// [`Client::request`] returned). [`Client::next_timer`] says which fires next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timer {
    /// The next retransmission over UDP is due (RFC 8489 section 6.2.1: RTO, doubling).
    Retransmit(TransactionId),
    /// The transaction times out: `Rm`·RTO after the last transmission over UDP, `Ti` over
    /// TCP and TLS.
    Timeout(TransactionId),
}

/// The client transaction machine. See the module docs.
#[derive(Debug)]
pub struct Client {
    config: Config,
    rng: Rng,
    transactions: Vec<Transaction>,
    /// Two timers per transaction.
    timers: Deadlines<Timer>,
    /// The timers `handle_timeout` found due (kept for its memory).
    due: Vec<(Instant, Timer)>,
    events: VecDeque<Event>,
    stats: Stats,
    /// What 401 challenges taught about each server, for signing later requests.
    long_term: HashMap<SocketAddr, LongTermState>,
    last_now: Instant,
}

impl Client {
    /// A client with `config`; `now` anchors its clock.
    #[must_use]
    pub fn new(now: Instant, config: Config) -> Client {
        Client {
            rng: Rng::from_config(config.rng_seed),
            config,
            transactions: Vec::new(),
            timers: Deadlines::new(),
            due: Vec::new(),
            events: VecDeque::new(),
            stats: Stats::default(),
            long_term: HashMap::new(),
            last_now: now,
        }
    }

    /// Counters so far.
    #[must_use]
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Transactions in flight.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.transactions.len()
    }

    /// Starts a Binding request to `server`.
    pub fn binding(
        &mut self,
        now: Instant,
        proto: Transport,
        local: Option<SocketAddr>,
        server: SocketAddr,
    ) -> Result<TransactionId, Error> {
        self.request(
            now,
            proto,
            local,
            server,
            Method::BINDING,
            Auth::None,
            |_| Ok(()),
        )
    }

    /// Starts a request of `method` to `server`. `build` adds the attributes; SOFTWARE comes
    /// first, the credentials of `auth` (USERNAME, REALM, NONCE, MESSAGE-INTEGRITY...) and
    /// FINGERPRINT after them.
    #[allow(clippy::too_many_arguments)]
    pub fn request(
        &mut self,
        now: Instant,
        proto: Transport,
        local: Option<SocketAddr>,
        server: SocketAddr,
        method: Method,
        auth: Auth,
        build: impl FnOnce(&mut MessageWriter<'_>) -> Result<(), crate::Error>,
    ) -> Result<TransactionId, Error> {
        let now = self.clamp(now);
        if self.transactions.len() >= self.config.max_transactions {
            return Err(Error::TooMany(self.transactions.len()));
        }
        let id = TransactionId::random(&mut self.rng);
        let mut base = Vec::with_capacity(256);
        let mut w = MessageWriter::new(&mut base, MessageType::new(Class::Request, method), id);
        if let Some(software) = &self.config.software {
            w.add(&Software(software))?;
        }
        build(&mut w)?;
        w.finish();
        let mut t = Transaction {
            id,
            wire_id: id,
            proto,
            local,
            server,
            base,
            request: Vec::with_capacity(320),
            auth,
            signed_with: None,
            auth_retries: 0,
            redirects: 0,
            started: now,
            rto: self.config.rto,
            transmissions: 0,
            send_pending: false,
        };
        self.encode_wire(&mut t)?;
        start_schedule(&mut t, &mut self.timers, &self.config, now);
        self.transactions.push(t);
        Ok(id)
    }

    /// Writes `t.request`: the base request with `t.wire_id`, credentials and FINGERPRINT.
    fn encode_wire(&self, t: &mut Transaction) -> Result<(), crate::Error> {
        let base = Message::parse(&t.base)?;
        t.request.clear();
        let mut w = MessageWriter::new(&mut t.request, base.message_type(), t.wire_id);
        for raw in base.attributes() {
            w.add_raw(raw.typ, raw.value)?;
        }
        t.signed_with = match &t.auth {
            Auth::None => None,
            Auth::ShortTerm { username, key } => {
                w.add(&crate::attr::Username(username))?;
                w.add_message_integrity(key)?;
                Some(key.clone())
            }
            Auth::LongTerm { username, .. } => match self.long_term.get(&t.server) {
                Some(state) => Some(state.sign(username, &mut w)?),
                None => None,
            },
        };
        if self.config.fingerprint {
            w.add_fingerprint()?;
        }
        w.finish();
        Ok(())
    }

    /// Answers a 401 or 438 to a long-term request by re-sending it signed. Returns `true`
    /// when it took the response (re-sent, or queued a failure event), `false` when the
    /// response is an ordinary error for the application.
    fn answer_challenge(
        &mut self,
        now: Instant,
        index: usize,
        msg: &Message<'_>,
        code: ErrorCodeValue,
    ) -> bool {
        let t = &self.transactions[index];
        let Auth::LongTerm { username, password } = &t.auth else {
            return false;
        };
        if !is_challenge(code) {
            return false;
        }
        // A 401 to a request signed with what a challenge of this transaction taught: the
        // credentials are refused, which the application hears as the 401 itself.
        if code == ErrorCodeValue::UNAUTHENTICATED && t.signed_with.is_some() && t.auth_retries > 0
        {
            return false;
        }
        let learned = if t.auth_retries >= MAX_AUTH_RETRIES {
            Err(AuthFailure::TooManyRetries)
        } else {
            LongTermState::from_challenge(msg, username, password, self.long_term.get(&t.server))
        };
        let mut t = self.remove(index);
        let server = t.server;
        match learned {
            Ok(state) => {
                self.long_term.insert(server, state);
            }
            Err(reason) => {
                let reason = FailureReason::Auth(reason);
                self.push_event(Event::Failed {
                    id: t.id,
                    server,
                    reason,
                });
                return true;
            }
        }
        t.wire_id = TransactionId::random(&mut self.rng);
        t.auth_retries += 1;
        if self.encode_wire(&mut t).is_err() {
            let reason = FailureReason::Auth(AuthFailure::Preparation);
            self.push_event(Event::Failed {
                id: t.id,
                server,
                reason,
            });
            return true;
        }
        t.started = now;
        start_schedule(&mut t, &mut self.timers, &self.config, now);
        self.transactions.push(t);
        true
    }

    /// Follows a 300 (Try Alternate) to its ALTERNATE-SERVER: the same request, a new
    /// transaction ID, the alternate as server. Not followed (so the application gets the
    /// 300) when the response lacks ALTERNATE-SERVER, names the same server, was unsigned for
    /// a signed request (RFC 8489 section 10), or after [`MAX_REDIRECTS`].
    fn follow_alternate(
        &mut self,
        now: Instant,
        index: usize,
        msg: &Message<'_>,
        code: ErrorCodeValue,
    ) -> bool {
        if code != ErrorCodeValue::TRY_ALTERNATE {
            return false;
        }
        let t = &self.transactions[index];
        let signed = msg.integrity_offset().is_some() || msg.integrity_sha256_offset().is_some();
        let Ok(Some(AlternateServer(to))) = msg.get::<AlternateServer>() else {
            return false;
        };
        if to == t.server || t.redirects >= MAX_REDIRECTS || (t.signed_with.is_some() && !signed) {
            return false;
        }
        let mut t = self.remove(index);
        let from = t.server;
        t.server = to;
        t.redirects += 1;
        t.wire_id = TransactionId::random(&mut self.rng);
        if self.encode_wire(&mut t).is_err() {
            // The request encoded before; only a refused credential could fail here.
            let reason = FailureReason::Auth(AuthFailure::Preparation);
            self.push_event(Event::Failed {
                id: t.id,
                server: to,
                reason,
            });
            return true;
        }
        t.started = now;
        start_schedule(&mut t, &mut self.timers, &self.config, now);
        self.push_event(Event::Redirected { id: t.id, from, to });
        self.transactions.push(t);
        true
    }

    /// Abandons a transaction; no event will come for it.
    pub fn cancel(&mut self, id: TransactionId) {
        self.transactions.retain(|t| t.id != id);
        self.timers.stop(&Timer::Retransmit(id));
        self.timers.stop(&Timer::Timeout(id));
    }

    /// The timer that fires next and when: what [`Machine::poll_timeout`] reports, with its
    /// name (for a driver's log).
    #[must_use]
    pub fn next_timer(&self) -> Option<(Instant, Timer)> {
        self.timers.next()
    }

    /// Takes the transaction at `index` out, with its timers.
    fn remove(&mut self, index: usize) -> Transaction {
        let t = self.transactions.swap_remove(index);
        self.timers.stop(&Timer::Retransmit(t.id));
        self.timers.stop(&Timer::Timeout(t.id));
        t
    }

    fn index_of(&self, id: TransactionId) -> Option<usize> {
        self.transactions.iter().position(|t| t.id == id)
    }

    fn clamp(&mut self, now: Instant) -> Instant {
        self.last_now = self.last_now.max(now);
        self.last_now
    }

    fn push_event(&mut self, e: Event) {
        if self.events.len() >= self.config.max_events {
            self.stats.events_dropped += 1;
        } else {
            self.events.push_back(e);
        }
    }
}

/// Sets up the schedule of a (re-)started request whose first transmission is made at `now`.
fn start_schedule(
    t: &mut Transaction,
    timers: &mut Deadlines<Timer>,
    config: &Config,
    now: Instant,
) {
    t.transmissions = 0;
    t.rto = config.rto;
    t.send_pending = true;
    let timeout = if t.proto.is_stream() {
        config.ti
    } else {
        udp_timeout(config)
    };
    timers.set(Timer::Timeout(t.id), now + timeout);
    schedule_after_send(t, timers, config, now);
}

/// Records a transmission made at `sent` and plans the next one (RFC 8489 section 6.2.1).
fn schedule_after_send(
    t: &mut Transaction,
    timers: &mut Deadlines<Timer>,
    config: &Config,
    sent: Instant,
) {
    t.transmissions += 1;
    if t.proto.is_stream() || t.transmissions >= config.rc.max(1) {
        timers.stop(&Timer::Retransmit(t.id));
    } else {
        timers.set(Timer::Retransmit(t.id), sent + t.rto);
        t.rto = t.rto.saturating_mul(2);
    }
}

/// From the first transmission to the timeout over UDP: the last of Rc transmissions goes
/// out at `RTO * (2^(Rc-1) - 1)`, and the client waits `Rm * RTO` after it.
fn udp_timeout(config: &Config) -> Duration {
    let doublings = config.rc.max(1).saturating_sub(1).min(31);
    let last_send = config.rto.saturating_mul((1u32 << doublings) - 1);
    last_send.saturating_add(config.rto.saturating_mul(config.rm))
}

impl Machine for Client {
    type Event = Event;
    type Command = Command;
    type Error = Error;

    fn handle_datagram(&mut self, now: Instant, d: Datagram<'_>) {
        let now = self.clamp(now);
        let Ok(msg) = Message::parse(d.payload) else {
            self.stats.malformed += 1;
            return;
        };
        if !msg.class().is_response() {
            self.stats.unmatched += 1;
            return;
        }
        let id = msg.transaction_id();
        let Some(index) = self
            .transactions
            .iter()
            .position(|t| t.wire_id == id && t.server == d.source)
        else {
            self.stats.unmatched += 1;
            return;
        };
        let t = &self.transactions[index];
        if msg.fingerprint_offset().is_some() && msg.verify_fingerprint().is_err() {
            self.stats.failed_checks += 1;
            return;
        }
        if let Some(key) = &t.signed_with {
            let signed =
                msg.integrity_offset().is_some() || msg.integrity_sha256_offset().is_some();
            // Success responses to a signed request must be signed; error responses are
            // checked when signed (a 400 or 401 cannot be, RFC 8489 section 9.1.4).
            let must = msg.class() == Class::SuccessResponse;
            if (must || signed) && msg.verify_integrity(key).is_err() {
                self.stats.failed_checks += 1;
                return;
            }
        }
        if msg.class() == Class::ErrorResponse {
            let code = match msg.get::<ErrorCode<'_>>() {
                Ok(Some(e)) => e.code,
                _ => ErrorCodeValue::SERVER_ERROR,
            };
            if self.answer_challenge(now, index, &msg, code)
                || self.follow_alternate(now, index, &msg, code)
            {
                return;
            }
        }
        let t = self.remove(index);
        let id = t.id;
        let rtt = now.saturating_duration_since(t.started);
        let event = match msg.class() {
            Class::SuccessResponse => match msg.unknown_comprehension_required().next() {
                Some(attr) => Event::Failed {
                    id,
                    server: t.server,
                    reason: FailureReason::UnknownAttribute(attr),
                },
                None => Event::Success {
                    id,
                    from: d.source,
                    mapped: mapped_address(&msg),
                    rtt,
                    response: d.payload.to_vec(),
                },
            },
            _ => {
                let (code, reason) = match msg.get::<ErrorCode<'_>>() {
                    Ok(Some(e)) => (e.code, e.reason.to_owned()),
                    // An error response without a readable ERROR-CODE: call it 500.
                    _ => (
                        ErrorCodeValue::SERVER_ERROR,
                        String::from("missing ERROR-CODE"),
                    ),
                };
                Event::ErrorResponse {
                    id,
                    from: d.source,
                    code,
                    reason,
                    response: d.payload.to_vec(),
                }
            }
        };
        self.push_event(event);
    }

    fn handle_command(&mut self, now: Instant, cmd: Command) -> Result<(), Error> {
        match cmd {
            Command::Binding {
                proto,
                local,
                server,
            } => self.binding(now, proto, local, server).map(|_| ()),
            Command::Request {
                proto,
                local,
                server,
                method,
                auth,
                attributes,
            } => self
                .request(now, proto, local, server, method, auth, |w| {
                    attributes.iter().try_for_each(|(t, v)| w.add_raw(*t, v))
                })
                .map(|_| ()),
            Command::Cancel(id) => {
                self.cancel(id);
                Ok(())
            }
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        let now = self.clamp(now);
        // Everything due is taken first: a retransmission re-armed at or before `now` (the
        // schedule counts from when the last one was due) waits for the next call, so a late
        // call makes at most one transmission per transaction.
        let mut due = std::mem::take(&mut self.due);
        due.clear();
        while let Some(expired) = self.timers.pop_expired(now) {
            due.push(expired);
        }
        for &(at, timer) in &due {
            match timer {
                Timer::Timeout(id) => {
                    let Some(i) = self.index_of(id) else {
                        continue;
                    };
                    let t = self.remove(i);
                    let reason = FailureReason::TimedOut {
                        transmissions: t.transmissions,
                    };
                    self.push_event(Event::Failed {
                        id: t.id,
                        server: t.server,
                        reason,
                    });
                }
                Timer::Retransmit(id) => {
                    // A transaction that also timed out sends nothing more.
                    if due.iter().any(|&(_, t)| t == Timer::Timeout(id)) {
                        continue;
                    }
                    let Some(i) = self.index_of(id) else {
                        continue;
                    };
                    let t = &mut self.transactions[i];
                    t.send_pending = true;
                    schedule_after_send(t, &mut self.timers, &self.config, at);
                }
            }
        }
        self.due = due;
    }

    fn poll_transmit(&mut self, _now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        let t = self.transactions.iter_mut().find(|t| t.send_pending)?;
        t.send_pending = false;
        self.stats.transmissions += 1;
        buf.extend_from_slice(&t.request);
        Some(Transmit::new(t.proto, t.local, t.server))
    }

    fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_deadline()
    }

    fn describe_timer(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.next_timer() {
            Some((_, timer)) => write!(f, "{timer:?}"),
            None => Ok(()),
        }
    }

    fn accepts(&self, dgram: &Datagram<'_>) -> bool {
        wren_core::demux::is_stun(dgram.payload)
    }
}
