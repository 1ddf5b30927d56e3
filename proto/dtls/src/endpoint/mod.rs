//! The DTLS 1.2 endpoint (RFC 6347): client or server, one [`wren_core::Machine`] per
//! peer. It runs the full handshake with mutual certificate authentication against
//! announced fingerprints, ECDHE, the extended master secret and use_srtp, retransmits its
//! flights on a timer, and then carries application data in epoch 1.
//!
//! Its parts: `records.rs` (epochs, sequence numbers, ciphers, replay windows), `flight.rs`
//! (our last flight and its timer), `transcript.rs`, and the two roles' handshakes in
//! `client.rs` and `server.rs`; this file turns datagrams into handshake messages and
//! records, and owns what both roles share.

mod client;
mod config;
mod event;
mod failure;
mod flight;
mod records;
mod replay;
mod server;
mod transcript;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use wren_core::{Datagram, Machine, Rng, Transmit, Transport, constant_time_eq};

pub use config::{Config, Role};
pub use event::{Command, Error, Event, Received, SrtpKeys};
pub use failure::Failure;

use crate::alert::{Alert, AlertLevel};
use crate::codes::{AlertDescription, ContentType, HandshakeType, SrtpProfileId};
use crate::fingerprint::{Fingerprint, HashFunction};
use crate::handshake::fragments;
use crate::hello_verify::CookieJar;
use crate::kx::KeyShare;
use crate::prf::{self, PrfHash, Side};
use crate::protection::RecordCipher;
use crate::reassembly::{Insert, Message, Reassembler};
use crate::record::records as walk_records;
use crate::suite::{SuiteParams, srtp_key_salt_len};
use crate::verify::PeerKey;
use flight::{Flight, Item};
use records::RecordLayer;
use transcript::Transcript;

/// Where the handshake is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Client: waiting for HelloVerifyRequest or ServerHello. Server: for a ClientHello.
    Hello,
    /// Client: reading the server's flight (Certificate ... ServerHelloDone).
    ServerFlight,
    /// Server: reading the client's flight (Certificate ... Finished).
    ClientFlight,
    /// Client: waiting for the server's ChangeCipherSpec and Finished.
    ServerFinished,
    /// Done: application data flows.
    Connected,
    /// Failed or closed: nothing more happens.
    Over,
}

/// What the handshake has learned so far.
#[derive(Debug, Default)]
struct Handshake {
    transcript: Transcript,
    client_random: [u8; 32],
    server_random: [u8; 32],
    suite: Option<SuiteParams>,
    srtp: Option<SrtpProfileId>,
    key_share: Option<KeyShare>,
    peer_key: Option<PeerKey>,
    peer_fingerprint: Option<Fingerprint>,
    master: Option<[u8; 48]>,
    /// The peer's ECDHE public key (client: from ServerKeyExchange).
    peer_public: Vec<u8>,
    /// Our next handshake message_seq.
    send_seq: u16,
    /// The next handshake message expected from the peer in this phase.
    expect: Option<HandshakeType>,
    /// Client: the server asked for our certificate.
    certificate_requested: bool,
    /// The flight number of our last flight (for the timeout's report).
    flight: u8,
}

/// A DTLS 1.2 endpoint. See the module docs.
#[derive(Debug)]
pub struct Endpoint {
    config: Config,
    rng: Rng,
    cookies: CookieJar,
    records: RecordLayer,
    flight: Flight,
    hs: Handshake,
    reassembler: Reassembler,
    phase: Phase,
    peer: Option<SocketAddr>,
    local: Option<SocketAddr>,
    started: Instant,
    out: VecDeque<Vec<u8>>,
    events: VecDeque<Event>,
    /// Scratch for a record's plaintext.
    plain: Vec<u8>,
    /// A message of the peer's arrived again in this datagram.
    saw_old: bool,
    last_now: Instant,
}

/// The label of the DTLS-SRTP exporter (RFC 5764 section 4.2).
const SRTP_LABEL: &[u8] = b"EXTRACTOR-dtls_srtp";

impl Endpoint {
    /// An endpoint; a client sends its ClientHello at once (first `poll_transmit`).
    #[must_use]
    pub fn new(now: Instant, config: Config) -> Endpoint {
        let mut rng = Rng::from_config(config.rng_seed);
        let cookies = CookieJar::new(rng.bytes());
        let reassembler = Reassembler::new(0, config.max_handshake_bytes);
        let peer = match config.role {
            Role::Client { peer } => Some(peer),
            Role::Server => None,
        };
        let mut e = Endpoint {
            config,
            rng,
            cookies,
            records: RecordLayer::default(),
            flight: Flight::default(),
            hs: Handshake::default(),
            reassembler,
            phase: Phase::Hello,
            peer,
            local: None,
            started: now,
            out: VecDeque::new(),
            events: VecDeque::new(),
            plain: Vec::new(),
            saw_old: false,
            last_now: now,
        };
        if matches!(e.config.role, Role::Client { .. }) {
            e.send_client_hello(now, &[]);
        }
        e
    }

    /// Whether the handshake is done.
    #[must_use]
    pub fn is_connected(&self) -> bool {
        self.phase == Phase::Connected
    }

    /// Whether this is the client.
    fn is_client(&self) -> bool {
        matches!(self.config.role, Role::Client { .. })
    }

    /// Sends `data` as one application data record.
    pub fn send(&mut self, _now: Instant, data: &[u8]) -> Result<(), Error> {
        let mut d = Vec::with_capacity(data.len() + 37);
        self.send_into(data, &mut d)?;
        self.out.push_back(d);
        Ok(())
    }

    /// Writes `data` as one application data record into `buf` (cleared first) and says
    /// where it goes: the data path without a queue or an allocation (the driver sends
    /// `buf` at once). [`Endpoint::send`] queues instead.
    pub fn send_into(&mut self, data: &[u8], buf: &mut Vec<u8>) -> Result<Transmit, Error> {
        match self.phase {
            Phase::Connected => {}
            Phase::Over => return Err(Error::Closed),
            _ => return Err(Error::NotConnected),
        }
        let peer = self.peer.ok_or(Error::NotConnected)?;
        if data.len() > 1 << 14 {
            return Err(Error::TooLarge(data.len()));
        }
        buf.clear();
        self.records
            .write(buf, ContentType::APPLICATION_DATA, 1, data)
            .map_err(|_| Error::TooLarge(data.len()))?;
        Ok(Transmit::new(Transport::Udp, self.local, peer))
    }

    /// Takes a datagram from the peer: a lone application data record once connected is
    /// opened into `out` (cleared first) and handed back without an event or an
    /// allocation; anything else goes through [`Machine::handle_datagram`].
    pub fn receive(&mut self, now: Instant, d: Datagram<'_>, out: &mut Vec<u8>) -> Received {
        if self.phase == Phase::Connected && self.peer == Some(d.source) {
            let mut it = walk_records(d.payload);
            if let (Some(Ok(r)), None) = (it.next(), it.next())
                && r.content_type == ContentType::APPLICATION_DATA
            {
                return if self.records.read(&r, out) {
                    Received::Data
                } else {
                    out.clear();
                    Received::Dropped
                };
            }
        }
        self.handle_datagram(now, d);
        Received::Handled
    }

    /// Sends close_notify; nothing more is sent or accepted.
    pub fn close(&mut self, _now: Instant) {
        if self.phase == Phase::Over {
            return;
        }
        self.send_alert(Alert {
            level: AlertLevel::Warning,
            description: AlertDescription::CLOSE_NOTIFY,
        });
        self.phase = Phase::Over;
        self.flight.clear();
    }

    /// The RFC 5705 exporter (no context) once connected: `len` bytes for `label`.
    #[must_use]
    pub fn export(&self, label: &[u8], len: usize) -> Option<Vec<u8>> {
        let (suite, master) = (self.hs.suite?, self.hs.master?);
        if self.phase != Phase::Connected {
            return None;
        }
        let mut out = vec![0; len];
        prf::export(
            suite.hash,
            &master,
            label,
            &self.hs.client_random,
            &self.hs.server_random,
            &mut out,
        );
        Some(out)
    }

    // ----- shared by both roles -----

    /// Adds our handshake message to the transcript and returns the flight item.
    fn message(&mut self, msg_type: HandshakeType, body: Vec<u8>, epoch: u16) -> Item {
        let message_seq = self.hs.send_seq;
        self.hs.send_seq = self.hs.send_seq.wrapping_add(1);
        self.hs.transcript.add(msg_type, message_seq, &body);
        Item::Handshake {
            msg_type,
            message_seq,
            body,
            epoch,
        }
    }

    /// Sends a new flight now; `timed`: retransmitted until the peer answers.
    fn send_flight(&mut self, now: Instant, number: u8, items: Vec<Item>, timed: bool) {
        self.hs.flight = number;
        self.flight
            .start(items, now, self.config.retransmit_initial, timed);
        self.flight
            .write(&mut self.records, self.config.mtu, &mut self.out);
    }

    /// The PRF hash of the negotiated suite.
    fn prf_hash(&self) -> PrfHash {
        self.hs.suite.map_or(PrfHash::Sha256, |s| s.hash)
    }

    /// Checks the peer's certificate message: its fingerprint, and its key.
    fn peer_certificate(&mut self, body: &[u8]) -> Result<(), Failure> {
        let cert = crate::certificate::Certificate::parse(body)
            .map_err(Failure::decode(HandshakeType::CERTIFICATE))?;
        let der = cert.end_entity().ok_or(Failure::NoPeerCertificate)?;
        if let Some(expected) = &self.config.peer_fingerprints
            && !expected.iter().any(|f| f.matches(der))
        {
            let hash = expected
                .first()
                .map_or(HashFunction::Sha256, Fingerprint::hash);
            return Err(Failure::FingerprintMismatch {
                expected: expected.clone(),
                got: Fingerprint::of(hash, der),
            });
        }
        self.hs.peer_fingerprint = Some(Fingerprint::of(HashFunction::Sha256, der));
        self.hs.peer_key = Some(PeerKey::from_certificate(der)?);
        Ok(())
    }

    /// The master secret from the premaster secret and the transcript so far (which ends
    /// with ClientKeyExchange), and the epoch 1 ciphers from it.
    fn derive_keys(&mut self, premaster: &[u8]) -> Result<(), Failure> {
        let suite = self
            .hs
            .suite
            .ok_or(Failure::Unexpected(HandshakeType::CLIENT_KEY_EXCHANGE))?;
        let session_hash = self.hs.transcript.hash(suite.hash);
        let master = prf::extended_master_secret(suite.hash, premaster, &session_hash);
        let mut block = vec![0; suite.key_block_len()];
        prf::key_block(
            suite.hash,
            &master,
            &self.hs.client_random,
            &self.hs.server_random,
            &mut block,
        );
        let k = suite.aead.key_len();
        let (ck, rest) = block.split_at(k);
        let (sk, rest) = rest.split_at(k);
        let (civ, siv) = rest.split_at(4);
        let salt = |b: &[u8]| [b[0], b[1], b[2], b[3]];
        let client = RecordCipher::new(suite.aead, ck, salt(civ)).map_err(|_| Failure::Sign)?;
        let server = RecordCipher::new(suite.aead, sk, salt(siv)).map_err(|_| Failure::Sign)?;
        if self.is_client() {
            self.records.install(client, server);
        } else {
            self.records.install(server, client);
        }
        self.hs.master = Some(master);
        Ok(())
    }

    /// Our Finished's verify_data over the transcript so far.
    fn our_finished(&self) -> Vec<u8> {
        let side = if self.is_client() {
            Side::Client
        } else {
            Side::Server
        };
        self.finished_of(side).to_vec()
    }

    fn finished_of(&self, side: Side) -> [u8; 12] {
        let hash = self.prf_hash();
        let master = self.hs.master.unwrap_or([0; 48]);
        prf::verify_data(hash, &master, side, &self.hs.transcript.hash(hash))
    }

    /// Checks the peer's Finished against the transcript before it.
    fn check_peer_finished(&self, body: &[u8]) -> Result<(), Failure> {
        let side = if self.is_client() {
            Side::Server
        } else {
            Side::Client
        };
        let want = self.finished_of(side);
        if constant_time_eq(&want, body) {
            Ok(())
        } else {
            Err(Failure::BadFinished)
        }
    }

    /// The handshake is done.
    fn connected(&mut self) {
        self.phase = Phase::Connected;
        self.hs.key_share = None;
        let srtp = self.hs.srtp.and_then(|profile| {
            let (k, s) = srtp_key_salt_len(profile)?;
            let material = self.export(SRTP_LABEL, 2 * (k + s))?;
            Some(SrtpKeys { profile, material })
        });
        let (Some(suite), Some(fp)) = (self.hs.suite, self.hs.peer_fingerprint.clone()) else {
            return;
        };
        self.events.push_back(Event::Connected {
            suite: suite.suite,
            peer_fingerprint: fp,
            srtp,
        });
    }

    /// Fails: the alert that says why goes to the peer, the event to the application.
    fn fail(&mut self, failure: Failure) {
        if self.phase == Phase::Over {
            return;
        }
        if let Some(d) = failure.alert() {
            self.send_alert(Alert::fatal(d));
        }
        self.phase = Phase::Over;
        self.flight.clear();
        self.events.push_back(Event::Failed(failure));
    }

    fn send_alert(&mut self, alert: Alert) {
        let epoch = self.records.write_epoch();
        let mut d = Vec::new();
        if self
            .records
            .write(&mut d, ContentType::ALERT, epoch, &alert.to_bytes())
            .is_ok()
        {
            self.out.push_back(d);
        }
    }

    // ----- input -----

    /// One record of the peer's.
    fn record(&mut self, now: Instant, r: &crate::record::Record<'_>) -> Result<(), Failure> {
        let mut plain = std::mem::take(&mut self.plain);
        let result = if self.records.read(r, &mut plain) {
            self.record_plaintext(now, r.content_type, &plain)
        } else {
            Ok(())
        };
        self.plain = plain;
        result
    }

    fn record_plaintext(
        &mut self,
        now: Instant,
        ct: ContentType,
        plain: &[u8],
    ) -> Result<(), Failure> {
        match ct {
            ContentType::HANDSHAKE => {
                for f in fragments(plain) {
                    let Ok(f) = f else { break };
                    match self.reassembler.insert(&f)? {
                        Insert::Old => self.saw_old = true,
                        Insert::Kept | Insert::Ahead => {}
                    }
                }
                while let Some(m) = self.reassembler.pop() {
                    self.handshake_message(now, &m)?;
                    if self.phase == Phase::Over {
                        break;
                    }
                }
            }
            ContentType::CHANGE_CIPHER_SPEC if plain == [1] && self.hs.master.is_some() => {
                self.records.start_reading_epoch1();
            }
            ContentType::ALERT => {
                if let Ok(a) = Alert::parse(plain) {
                    if a.description == AlertDescription::CLOSE_NOTIFY {
                        self.phase = Phase::Over;
                        self.flight.clear();
                        self.events.push_back(Event::Closed);
                    } else if a.level == AlertLevel::Fatal {
                        self.phase = Phase::Over;
                        self.flight.clear();
                        self.events
                            .push_back(Event::Failed(Failure::PeerAlert(a.description)));
                    }
                }
            }
            ContentType::APPLICATION_DATA => self.application_data(plain),
            _ => {}
        }
        Ok(())
    }

    /// Application data arrived. Before the handshake is done (our last flight was lost and
    /// the client already sends) it is dropped; our flight goes again when the client
    /// repeats its own.
    fn application_data(&mut self, plain: &[u8]) {
        if self.phase == Phase::Connected
            && self.records.read_epoch() == 1
            && self.events.len() < self.config.max_data_events
        {
            self.events.push_back(Event::Data(plain.to_vec()));
        }
    }

    /// The peer sent a message we already had: its flight was retransmitted, so ours was
    /// lost. Send our last flight again (RFC 6347 section 4.2.4), once per datagram.
    fn peer_retransmitted(&mut self) {
        if !self.flight.is_empty() {
            self.flight
                .write(&mut self.records, self.config.mtu, &mut self.out);
        }
    }

    /// A whole handshake message of the peer's.
    fn handshake_message(&mut self, now: Instant, m: &Message) -> Result<(), Failure> {
        if self.is_client() {
            self.client_message(now, m)
        } else {
            self.server_message(now, m)
        }
    }
}

impl Machine for Endpoint {
    type Event = Event;
    type Command = Command;
    type Error = Error;

    fn handle_datagram(&mut self, now: Instant, d: Datagram<'_>) {
        let now = self.last_now.max(now);
        self.last_now = now;
        if self.phase == Phase::Over {
            return;
        }
        match self.peer {
            Some(p) if p != d.source => return,
            None => self.peer = Some(d.source),
            _ => {}
        }
        self.local.get_or_insert(d.destination);
        self.saw_old = false;
        for r in walk_records(d.payload) {
            let Ok(r) = r else { break };
            if let Err(f) = self.record(now, &r) {
                self.fail(f);
            }
            if self.phase == Phase::Over {
                return;
            }
        }
        if self.saw_old {
            self.peer_retransmitted();
        }
    }

    fn handle_command(&mut self, now: Instant, cmd: Command) -> Result<(), Error> {
        match cmd {
            Command::Send(data) => self.send(now, &data),
            Command::Close => {
                self.close(now);
                Ok(())
            }
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        let now = self.last_now.max(now);
        self.last_now = now;
        if !matches!(self.phase, Phase::Connected | Phase::Over)
            && now >= self.started + self.config.handshake_timeout
        {
            let failure = Failure::HandshakeTimeout {
                flight: self.hs.flight,
                transmissions: self.flight.sends,
            };
            self.fail(failure);
            return;
        }
        if self.flight.due().is_some_and(|t| t <= now) {
            self.flight
                .write(&mut self.records, self.config.mtu, &mut self.out);
            self.flight.backoff(now, self.config.retransmit_max);
        }
    }

    fn poll_transmit(&mut self, _now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        let peer = self.peer?;
        let d = self.out.pop_front()?;
        buf.clear();
        buf.extend_from_slice(&d);
        Some(Transmit::new(Transport::Udp, self.local, peer))
    }

    fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if matches!(self.phase, Phase::Connected | Phase::Over) {
            return None;
        }
        let deadline = self.started + self.config.handshake_timeout;
        Some(self.flight.due().map_or(deadline, |t| t.min(deadline)))
    }
}

#[cfg(test)]
mod tests;
