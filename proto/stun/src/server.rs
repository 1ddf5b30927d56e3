//! A Binding server machine (RFC 8489 sections 6.3 and 12; RFC 5780 section 7).
//!
//! It answers Binding requests with the reflexive transport address: XOR-MAPPED-ADDRESS for
//! RFC 5389/8489 clients, MAPPED-ADDRESS (with SOURCE-ADDRESS and CHANGED-ADDRESS) for RFC 3489 clients that send
//! no magic cookie. It rejects what it must:
//!
//! - 400 (Bad Request): a request for another method, or a request missing USERNAME or
//!   MESSAGE-INTEGRITY when short-term credentials are required (section 9.1.3);
//! - 401 (Unauthenticated): an unknown USERNAME or a MESSAGE-INTEGRITY that does not match;
//! - 420 (Unknown Attribute): comprehension-required attributes it does not understand,
//!   named in UNKNOWN-ATTRIBUTES (section 6.3.1.1), and a CHANGE-REQUEST asking for another
//!   address or port, which a server with one address cannot honour (RFC 5780 section 6.1).
//!
//! Anything else (not STUN, a bad FINGERPRINT, responses, indications) is dropped and
//! counted in [`Stats`]. Responses are queued as small fixed records and encoded only in
//! [`Server::poll_transmit`], straight into the caller's buffer: answering a request
//! allocates nothing.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Instant;

use wren_core::{Datagram, Machine, Transmit};

use crate::attr::{
    AttrType, ChangedAddress, ErrorCode, ErrorCodeValue, MappedAddress, ResponseOrigin, Software,
    SourceAddress, U16List, UnknownAttributes, Username, XorMappedAddress,
};
use crate::{Class, Key, Message, MessageType, MessageWriter, Method, TransactionId};

/// Most attributes named in one UNKNOWN-ATTRIBUTES.
const MAX_UNKNOWN: usize = 8;

/// Attributes a Binding request may carry that this server understands (or may ignore).
const UNDERSTOOD: &[AttrType] = &[
    AttrType::USERNAME,
    AttrType::MESSAGE_INTEGRITY,
    AttrType::MESSAGE_INTEGRITY_SHA256,
    AttrType::PRIORITY,
    AttrType::USE_CANDIDATE,
    AttrType::CHANGE_REQUEST,
    AttrType::PADDING,
    AttrType::REALM,
    AttrType::NONCE,
];

/// When responses carry FINGERPRINT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FingerprintPolicy {
    /// When the request carried one (RFC 8489 section 7.3: a usage may mandate it).
    #[default]
    Mirror,
    /// Always (coturn's `fingerprint` option).
    Always,
}

/// Configuration of a [`Server`].
#[derive(Debug, Clone)]
pub struct Config {
    /// The SOFTWARE attribute of responses; `None` leaves it out.
    pub software: Option<String>,
    /// When to add FINGERPRINT.
    pub fingerprint: FingerprintPolicy,
    /// Add RESPONSE-ORIGIN (RFC 5780) to responses to RFC 5389/8489 clients.
    pub response_origin: bool,
    /// Short-term credentials (username to password) that requests must carry; empty means
    /// requests are answered without authentication, as public STUN servers do.
    pub short_term_users: HashMap<String, String>,
    /// Most responses waiting to be sent; more are dropped and counted.
    pub queue_capacity: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            software: None,
            fingerprint: FingerprintPolicy::Mirror,
            response_origin: true,
            short_term_users: HashMap::new(),
            queue_capacity: 1024,
        }
    }
}

/// Counters of what the server did and dropped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Binding requests answered with success.
    pub success: u64,
    /// Error responses sent (400, 401, 420).
    pub errors: u64,
    /// Datagrams that were not STUN or had a broken structure.
    pub malformed: u64,
    /// Messages whose FINGERPRINT did not match.
    pub bad_fingerprint: u64,
    /// Indications received (keepalives), which need no answer.
    pub indications: u64,
    /// Responses received, which a server does not expect.
    pub unexpected_responses: u64,
    /// Responses dropped because the queue was full.
    pub queue_full: u64,
}

/// What a queued response says.
#[derive(Debug, Clone, Copy)]
enum Outcome {
    Success,
    Error {
        code: ErrorCodeValue,
        unknown: [u16; MAX_UNKNOWN],
        unknown_len: u8,
    },
}

/// A response waiting to be encoded.
#[derive(Debug, Clone, Copy)]
struct Pending {
    transmit: Transmit,
    method: Method,
    /// The 128-bit ID of RFC 3489 (cookie field and transaction ID).
    id: [u8; 16],
    legacy: bool,
    fingerprint: bool,
    /// Index into the server's keys of the credential that authenticated the request.
    key: Option<usize>,
    outcome: Outcome,
}

/// The Binding server machine. See the module docs.
#[derive(Debug)]
pub struct Server {
    software: Option<String>,
    fingerprint: FingerprintPolicy,
    response_origin: bool,
    users: HashMap<String, usize>,
    keys: Vec<Key>,
    queue: VecDeque<Pending>,
    capacity: usize,
    stats: Stats,
}

impl Server {
    /// A server with `config`.
    ///
    /// Passwords of `short_term_users` are prepared with OpaqueString; one it refuses is
    /// returned as an error.
    pub fn new(config: Config) -> Result<Server, crate::PrepError> {
        let mut users = HashMap::new();
        let mut keys = Vec::new();
        for (user, password) in &config.short_term_users {
            users.insert(user.clone(), keys.len());
            keys.push(Key::short_term(password)?);
        }
        Ok(Server {
            software: config.software,
            fingerprint: config.fingerprint,
            response_origin: config.response_origin,
            users,
            keys,
            queue: VecDeque::with_capacity(config.queue_capacity),
            capacity: config.queue_capacity,
            stats: Stats::default(),
        })
    }

    /// What the server did so far.
    #[must_use]
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Decides the answer to a request: which key authenticated it, and success or error.
    fn decide(&self, msg: &Message<'_>) -> (Option<usize>, Outcome) {
        let error = |code| Outcome::Error {
            code,
            unknown: [0; MAX_UNKNOWN],
            unknown_len: 0,
        };
        if msg.method() != Method::BINDING {
            return (None, error(ErrorCodeValue::BAD_REQUEST));
        }
        // Authentication first (RFC 8489 section 6.3.1 and 9.1.3).
        let mut key = None;
        if !self.users.is_empty() {
            let has_integrity =
                msg.integrity_offset().is_some() || msg.integrity_sha256_offset().is_some();
            let username = match msg.get::<Username<'_>>() {
                Ok(Some(u)) if has_integrity => u.0,
                _ => return (None, error(ErrorCodeValue::BAD_REQUEST)),
            };
            let Some(&index) = self.users.get(username) else {
                return (None, error(ErrorCodeValue::UNAUTHENTICATED));
            };
            if msg.verify_integrity(&self.keys[index]).is_err() {
                return (None, error(ErrorCodeValue::UNAUTHENTICATED));
            }
            key = Some(index);
        }
        // Comprehension-required attributes we do not understand (section 6.3.1.1).
        let mut unknown = [0u16; MAX_UNKNOWN];
        let mut n = 0;
        for raw in msg.attributes() {
            let t = raw.typ;
            let refused = t.is_comprehension_required() && !UNDERSTOOD.contains(&t)
                || t == AttrType::CHANGE_REQUEST && raw.value.iter().any(|b| b & 0x06 != 0);
            if refused && n < MAX_UNKNOWN && !unknown[..n].contains(&t.0) {
                unknown[n] = t.0;
                n += 1;
            }
        }
        if n > 0 {
            let unknown_len = u8::try_from(n).unwrap_or(u8::MAX);
            let code = ErrorCodeValue::UNKNOWN_ATTRIBUTE;
            return (
                key,
                Outcome::Error {
                    code,
                    unknown,
                    unknown_len,
                },
            );
        }
        (key, Outcome::Success)
    }

    fn encode(&self, p: &Pending, buf: &mut Vec<u8>) -> Result<(), crate::Error> {
        let class = match p.outcome {
            Outcome::Success => Class::SuccessResponse,
            Outcome::Error { .. } => Class::ErrorResponse,
        };
        let typ = MessageType::new(class, p.method);
        let mut w = if p.legacy {
            MessageWriter::new_rfc3489(buf, typ, p.id)
        } else {
            let mut tid = [0u8; 12];
            tid.copy_from_slice(&p.id[4..]);
            MessageWriter::new(buf, typ, TransactionId(tid))
        };
        let client = p.transmit.destination;
        match p.outcome {
            Outcome::Success if p.legacy => {
                w.add(&MappedAddress(client))?;
                if let Some(local) = p.transmit.source {
                    w.add(&SourceAddress(local))?;
                    // RFC 3489 section 11.2.3 requires CHANGED-ADDRESS; with no alternate
                    // address it names this one (as coturn does), so the client's change
                    // tests find nothing to change.
                    w.add(&ChangedAddress(local))?;
                }
            }
            Outcome::Success => {
                w.add(&XorMappedAddress(client))?;
                if let (true, Some(local)) = (self.response_origin, p.transmit.source) {
                    w.add(&ResponseOrigin(local))?;
                }
            }
            Outcome::Error {
                code,
                unknown,
                unknown_len,
            } => {
                w.add(&ErrorCode::from_code(code))?;
                if unknown_len > 0 {
                    let list = &unknown[..usize::from(unknown_len)];
                    w.add(&UnknownAttributes(U16List::Values(list)))?;
                }
            }
        }
        if let Some(software) = &self.software {
            w.add(&Software(software))?;
        }
        if let Some(index) = p.key {
            w.add_message_integrity(&self.keys[index])?;
        }
        if p.fingerprint && !p.legacy {
            w.add_fingerprint()?;
        }
        w.finish();
        Ok(())
    }
}

impl Machine for Server {
    type Event = Infallible;
    type Command = Infallible;
    type Error = Infallible;

    fn handle_datagram(&mut self, _now: Instant, d: Datagram<'_>) {
        let Ok(msg) = Message::parse(d.payload) else {
            self.stats.malformed += 1;
            return;
        };
        if msg.fingerprint_offset().is_some() && msg.verify_fingerprint().is_err() {
            self.stats.bad_fingerprint += 1;
            return;
        }
        match msg.class() {
            Class::Request => {}
            Class::Indication => {
                self.stats.indications += 1;
                return;
            }
            Class::SuccessResponse | Class::ErrorResponse => {
                self.stats.unexpected_responses += 1;
                return;
            }
        }
        let (key, outcome) = self.decide(&msg);
        if self.queue.len() >= self.capacity {
            self.stats.queue_full += 1;
            return;
        }
        match outcome {
            Outcome::Success => self.stats.success += 1,
            Outcome::Error { .. } => self.stats.errors += 1,
        }
        let fingerprint =
            msg.fingerprint_offset().is_some() || self.fingerprint == FingerprintPolicy::Always;
        self.queue.push_back(Pending {
            transmit: Transmit::reply_to(&d),
            method: msg.method(),
            id: msg.rfc3489_transaction_id(),
            legacy: !msg.has_magic_cookie(),
            fingerprint,
            key,
            outcome,
        });
    }

    fn handle_command(&mut self, _now: Instant, cmd: Infallible) -> Result<(), Infallible> {
        match cmd {}
    }

    /// The Binding server keeps no timers: it holds no state between a request and its
    /// answer (RFC 8489 section 6.3.1), so there is nothing to expire.
    fn handle_timeout(&mut self, _now: Instant) {}

    fn poll_transmit(&mut self, _now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        let p = self.queue.pop_front()?;
        let start = buf.len();
        if self.encode(&p, buf).is_err() {
            // Cannot happen with the sizes involved; never send a half-written message.
            buf.truncate(start);
            return None;
        }
        Some(p.transmit)
    }

    fn poll_event(&mut self) -> Option<Infallible> {
        None
    }

    /// Always `None`: no timers (see `handle_timeout`).
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    fn accepts(&self, dgram: &Datagram<'_>) -> bool {
        wren_core::demux::is_stun(dgram.payload)
    }
}

/// The reflexive address a Binding success response reports: XOR-MAPPED-ADDRESS, or
/// MAPPED-ADDRESS from an RFC 3489 server.
pub fn mapped_address(msg: &Message<'_>) -> Option<SocketAddr> {
    if let Ok(Some(XorMappedAddress(a))) = msg.get::<XorMappedAddress>() {
        return Some(a);
    }
    msg.get::<MappedAddress>().ok().flatten().map(|m| m.0)
}
