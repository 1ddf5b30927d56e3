//! Data channels (RFC 8831) over one SCTP association carried in DTLS application data
//! records, opened in band with DCEP (RFC 8832) or negotiated out of band.
//!
//! SCTP is sctp-proto's (0.10), not ours: it is sans-IO (packets and `Instant`s in,
//! packets, events and deadlines out), it is what str0m runs in production, and str0m's
//! maintainers keep it. This part adds what WebRTC puts on top of it:
//!
//! - stream ids: even for the DTLS client, odd for the server (RFC 8832 section 6);
//! - DATA_CHANNEL_OPEN and DATA_CHANNEL_ACK ([`dcep`], RFC 8832 section 5) on the
//!   channel's stream with PPID 50, sent ordered and reliable (section 6) whatever the
//!   channel's own options;
//! - ordered or unordered delivery and partial reliability per channel (RFC 8831
//!   section 6.1, through RFC 3758 in sctp-proto);
//! - PPIDs 51/53 for string and binary messages, 56/57 for empty ones with their one
//!   dummy byte (RFC 8831 section 6.6);
//! - closing by resetting the stream (RFC 8831 section 6.7, RFC 6525), seen on both sides;
//! - the peer's max-message-size (RFC 8841 section 6) enforced on send;
//! - buffered-amount low events with a threshold per channel.
//!
//! Received messages are read from SCTP only while the event queue has room
//! ([`DataConfig::max_events`]): past that they stay in SCTP's receive buffer, and its
//! window holds the sender back; nothing is dropped.

mod association;
mod channel;
pub mod dcep;
mod error;
mod stats;

use std::collections::{BTreeMap, VecDeque};
use std::time::Instant;

use bytes::Bytes;
use sctp_proto::{PayloadProtocolIdentifier as Ppi, ReliabilityType, StreamEvent};

pub use channel::{ChannelId, ChannelOptions};
pub use error::ChannelError;
pub use stats::DataStats;

use crate::event::DtlsState;
use crate::{DtlsRole, Event};
use association::Sctp;
use channel::{Channel, State};
use dcep::{Message, Open, Reliability};

/// How data channels run (what SDP's `a=sctp-port` and `a=max-message-size` carry,
/// RFC 8841 sections 5 and 6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataConfig {
    /// Our SCTP port (default 5000).
    pub local_port: u16,
    /// The peer's SCTP port (default 5000).
    pub remote_port: u16,
    /// The largest message we take (default 262144, as browsers advertise).
    pub max_message_size: u32,
    /// The largest message the peer takes: sends past it are refused with
    /// [`ChannelError::TooLarge`] (default 262144).
    pub remote_max_message_size: u32,
    /// Channel events (messages, opens, closes) held for `poll_event`; past that, messages
    /// wait in SCTP (default 1024).
    pub max_events: usize,
}

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig {
            local_port: 5000,
            remote_port: 5000,
            max_message_size: 262_144,
            remote_max_message_size: 262_144,
            max_events: 1024,
        }
    }
}

/// The data channels of one peer: the SCTP association once DTLS is up, the channels
/// on it, and their events.
#[derive(Debug)]
pub(crate) struct DataChannels {
    config: DataConfig,
    role: DtlsRole,
    sctp: Option<Sctp>,
    /// Whether SCTP is established (channels open on it).
    up: bool,
    /// DTLS closed or failed, or the association was lost: nothing opens any more.
    over: bool,
    channels: BTreeMap<u16, Channel>,
    /// JSEP negotiated no data section: SCTP stays off.
    disabled: bool,
    /// The next id to try for an in-band channel of ours.
    next_id: u16,
    /// Streams with messages to read, in the order SCTP said so.
    readable: VecDeque<u16>,
    events: VecDeque<Event>,
    stats: DataStats,
    scratch: Vec<u8>,
}

impl DataChannels {
    pub(crate) fn new(config: DataConfig, role: DtlsRole) -> Self {
        DataChannels {
            config,
            role,
            sctp: None,
            up: false,
            over: false,
            channels: BTreeMap::new(),
            disabled: false,
            next_id: match role {
                DtlsRole::Client => 0,
                DtlsRole::Server => 1,
            },
            readable: VecDeque::new(),
            events: VecDeque::new(),
            stats: DataStats::default(),
            scratch: Vec::new(),
        }
    }

    /// The DTLS role JSEP settled on: who sends INIT and which stream ids are ours
    /// (RFC 8832 section 6). Only before SCTP starts and before any in-band channel of
    /// ours took an id (create in-band channels after the description exchange).
    pub(crate) fn set_role(&mut self, role: DtlsRole) {
        let ours = self
            .channels
            .values()
            .any(|c| c.options.negotiated.is_none());
        if self.sctp.is_some() || ours || role == self.role {
            return;
        }
        self.role = role;
        self.next_id = match role {
            DtlsRole::Client => 0,
            DtlsRole::Server => 1,
        };
    }

    /// What the peer's `m=application` section says (RFC 8841): its SCTP port (absent:
    /// 5000) and the largest message it takes (absent: 65536, section 6.1; 0: no limit).
    /// Taken while SCTP has not started.
    pub(crate) fn set_remote_sctp(&mut self, port: Option<u16>, max_message_size: Option<u64>) {
        if self.sctp.is_some() {
            return;
        }
        self.disabled = false;
        self.config.remote_port = port.unwrap_or(5000);
        self.config.remote_max_message_size = match max_message_size {
            None => 65_536,
            Some(0) => u32::MAX,
            Some(n) => u32::try_from(n).unwrap_or(u32::MAX),
        };
    }

    /// No data section was negotiated: SCTP does not start when DTLS connects.
    pub(crate) fn disable(&mut self) {
        if self.sctp.is_none() {
            self.disabled = true;
        }
    }

    /// Each channel's getStats-shaped record, by id.
    pub(crate) fn channel_stats(&self) -> Vec<crate::DataChannelStats> {
        self.channels
            .iter()
            .map(|(&id, ch)| crate::DataChannelStats {
                id: ChannelId(id),
                label: ch.label.clone(),
                protocol: ch.options.protocol.clone(),
                state: match ch.state {
                    State::Waiting | State::Opening => crate::ChannelState::Connecting,
                    State::Open => crate::ChannelState::Open,
                    State::Closing => crate::ChannelState::Closing,
                },
                messages_sent: ch.counters.messages_sent,
                bytes_sent: ch.counters.bytes_sent,
                messages_received: ch.counters.messages_received,
                bytes_received: ch.counters.bytes_received,
            })
            .collect()
    }

    pub(crate) fn stats(&self) -> DataStats {
        self.stats
    }

    /// Follows DTLS: SCTP starts when it connects (the DTLS client sends INIT), every
    /// channel closes when it closes or fails. Then takes the application data records
    /// that arrived.
    pub(crate) fn handle_transport(
        &mut self,
        now: Instant,
        dtls: DtlsState,
        records: &mut Vec<Vec<u8>>,
    ) {
        match dtls {
            DtlsState::Connected if self.sctp.is_none() && !self.over && !self.disabled => {
                let mut sctp = Sctp::new(&self.config, self.role == DtlsRole::Client);
                sctp.start();
                self.sctp = Some(sctp);
            }
            DtlsState::Closed | DtlsState::Failed if !self.over => self.lost(),
            _ => {}
        }
        for r in records.drain(..) {
            self.handle_packet(now, &r);
        }
        self.process();
    }

    fn handle_packet(&mut self, now: Instant, packet: &[u8]) {
        let Some(sctp) = &mut self.sctp else {
            self.stats.sctp_dropped += 1;
            return;
        };
        self.stats.sctp_packets_received += 1;
        if !sctp.handle_packet(now, packet) {
            self.stats.sctp_dropped += 1;
        }
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        if let Some(s) = &mut self.sctp {
            s.handle_timeout(now);
        }
        self.process();
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.sctp.as_ref().and_then(Sctp::poll_timeout)
    }

    /// The next SCTP packet to send as a DTLS record.
    pub(crate) fn poll_transmit(&mut self, now: Instant) -> Option<Bytes> {
        let p = self.sctp.as_mut()?.poll_transmit(now)?;
        self.stats.sctp_packets_sent += 1;
        Some(p)
    }

    /// The next channel event; reading resumes as the queue empties.
    pub(crate) fn poll_event(&mut self) -> Option<Event> {
        let e = self.events.pop_front();
        if e.is_some() && !self.readable.is_empty() {
            self.read_messages();
        }
        e
    }

    /// A channel: in band (DCEP) unless `options.negotiated` gives its id.
    pub(crate) fn create(
        &mut self,
        label: &str,
        options: ChannelOptions,
    ) -> Result<ChannelId, ChannelError> {
        if self.over {
            return Err(ChannelError::Closed);
        }
        if options.max_retransmits.is_some() && options.max_packet_lifetime.is_some() {
            return Err(ChannelError::BothLimits);
        }
        for s in [label, options.protocol.as_str()] {
            if s.len() > usize::from(u16::MAX) {
                return Err(ChannelError::TooLong(s.len()));
            }
        }
        let id = match options.negotiated {
            Some(u16::MAX) => return Err(ChannelError::ReservedId(ChannelId(u16::MAX))),
            Some(id) if self.channels.contains_key(&id) => {
                return Err(ChannelError::IdInUse(ChannelId(id)));
            }
            Some(id) => id,
            None => self.free_id()?,
        };
        self.channels.insert(
            id,
            Channel {
                label: label.to_owned(),
                options,
                state: State::Waiting,
                low_threshold: 0,
                counters: Default::default(),
            },
        );
        if self.up {
            self.open(id);
            self.process();
        }
        Ok(ChannelId(id))
    }

    /// The lowest free id of our parity from `next_id` on (RFC 8832 section 6).
    fn free_id(&mut self) -> Result<u16, ChannelError> {
        let mut id = self.next_id;
        for _ in 0..u16::MAX / 2 {
            if id == u16::MAX {
                id = self.next_id % 2;
            }
            if !self.channels.contains_key(&id) {
                self.next_id = id.wrapping_add(2);
                return Ok(id);
            }
            id = id.wrapping_add(2);
        }
        Err(ChannelError::NoFreeId)
    }

    /// Opens a waiting channel on the association: a negotiated one is open at once, an
    /// in-band one sends DATA_CHANNEL_OPEN.
    fn open(&mut self, id: u16) {
        let Some(ch) = self.channels.get(&id) else {
            return;
        };
        let Some(a) = self.sctp.as_mut().and_then(Sctp::association) else {
            return;
        };
        let (ordered, reliability, threshold) = (
            ch.options.ordered,
            ch.options.reliability(),
            ch.low_threshold,
        );
        let mut stream = match a.open_stream(id, Ppi::Binary) {
            Ok(s) => s,
            Err(_) => match a.stream(id) {
                Ok(s) => s,
                Err(_) => return,
            },
        };
        let _ = stream.set_buffered_amount_low_threshold(threshold);
        let in_band = ch.options.negotiated.is_none();
        if in_band {
            self.scratch.clear();
            let open = Open {
                unordered: !ordered,
                reliability,
                priority: ch.options.priority,
                label: &ch.label,
                protocol: &ch.options.protocol,
            };
            if open.write(&mut self.scratch).is_err() {
                return;
            }
            // RFC 8832 section 6: DCEP goes ordered and reliable; a message keeps the
            // reliability it was written with.
            let _ = stream.set_reliability_params(false, ReliabilityType::Reliable, 0);
            let _ = stream.write_with_ppi(&self.scratch, Ppi::Dcep);
        }
        let _ = set_reliability(&mut stream, ordered, reliability);
        let Some(ch) = self.channels.get_mut(&id) else {
            return;
        };
        if in_band {
            ch.state = State::Opening;
        } else {
            ch.state = State::Open;
            let event = open_event(id, ch);
            self.events.push_back(event);
        }
    }

    /// Sends one message: binary (PPID 53) or string (51), empty ones as RFC 8831
    /// section 6.6 says.
    pub(crate) fn send(
        &mut self,
        id: ChannelId,
        data: &[u8],
        binary: bool,
    ) -> Result<(), ChannelError> {
        let ch = self.channels.get(&id.0).ok_or(ChannelError::Unknown(id))?;
        if ch.state != State::Open {
            return Err(ChannelError::NotOpen(id));
        }
        let max = self.config.remote_max_message_size as usize;
        if data.len() > max {
            return Err(ChannelError::TooLarge {
                size: data.len(),
                max,
            });
        }
        let a = self
            .sctp
            .as_mut()
            .and_then(Sctp::association)
            .ok_or(ChannelError::Closed)?;
        let (payload, ppi): (&[u8], Ppi) = match (data.is_empty(), binary) {
            (false, true) => (data, Ppi::Binary),
            (false, false) => (data, Ppi::String),
            (true, true) => (&[0], Ppi::BinaryEmpty),
            (true, false) => (&[0], Ppi::StringEmpty),
        };
        a.stream(id.0)?.write_with_ppi(payload, ppi)?;
        self.stats.messages_sent += 1;
        self.stats.bytes_sent += data.len() as u64;
        if let Some(ch) = self.channels.get_mut(&id.0) {
            ch.counters.messages_sent += 1;
            ch.counters.bytes_sent += data.len() as u64;
        }
        Ok(())
    }

    /// Closes a channel: its stream is reset (RFC 8831 section 6.7); both sides see
    /// [`Event::ChannelClosed`] once the reset is done.
    pub(crate) fn close(&mut self, id: ChannelId) -> Result<(), ChannelError> {
        let ch = self
            .channels
            .get_mut(&id.0)
            .ok_or(ChannelError::Unknown(id))?;
        match ch.state {
            State::Closing => Ok(()),
            State::Waiting => {
                self.channels.remove(&id.0);
                self.events.push_back(Event::ChannelClosed { id });
                Ok(())
            }
            State::Opening | State::Open => {
                ch.state = State::Closing;
                if let Some(a) = self.sctp.as_mut().and_then(Sctp::association)
                    && let Ok(mut s) = a.stream(id.0)
                {
                    s.close()?;
                }
                self.process();
                Ok(())
            }
        }
    }

    /// Bytes written on a channel that SCTP has not yet had acknowledged.
    pub(crate) fn buffered_amount(&mut self, id: ChannelId) -> Result<usize, ChannelError> {
        if !self.channels.contains_key(&id.0) {
            return Err(ChannelError::Unknown(id));
        }
        Ok(self
            .sctp
            .as_mut()
            .and_then(Sctp::association)
            .and_then(|a| a.stream(id.0).ok()?.buffered_amount().ok())
            .unwrap_or(0))
    }

    /// The low-water mark under which [`Event::ChannelBufferedLow`] fires.
    pub(crate) fn set_buffered_low_threshold(
        &mut self,
        id: ChannelId,
        bytes: usize,
    ) -> Result<(), ChannelError> {
        let ch = self
            .channels
            .get_mut(&id.0)
            .ok_or(ChannelError::Unknown(id))?;
        ch.low_threshold = bytes;
        if let Some(a) = self.sctp.as_mut().and_then(Sctp::association)
            && let Ok(mut s) = a.stream(id.0)
        {
            s.set_buffered_amount_low_threshold(bytes)?;
        }
        Ok(())
    }

    /// The peer closes: every channel is closed (DTLS close_notify tells the other side).
    pub(crate) fn shutdown(&mut self) {
        if !self.over {
            self.lost();
        }
    }

    /// The association went away: every channel is closed.
    fn lost(&mut self) {
        self.over = true;
        self.up = false;
        self.sctp = None;
        self.readable.clear();
        for id in std::mem::take(&mut self.channels).into_keys() {
            self.events
                .push_back(Event::ChannelClosed { id: ChannelId(id) });
        }
    }

    /// Takes SCTP's events, then reads messages while there is room.
    fn process(&mut self) {
        while let Some(e) = self.sctp.as_mut().and_then(Sctp::poll_event) {
            match e {
                sctp_proto::Event::Connected => {
                    self.up = true;
                    let waiting: Vec<u16> = self
                        .channels
                        .iter()
                        .filter(|(_, c)| c.state == State::Waiting)
                        .map(|(&id, _)| id)
                        .collect();
                    for id in waiting {
                        self.open(id);
                    }
                }
                sctp_proto::Event::HandshakeFailed { .. }
                | sctp_proto::Event::AssociationLost { .. } => {
                    self.lost();
                    return;
                }
                sctp_proto::Event::Stream(s) => self.stream_event(s),
                _ => {}
            }
        }
        self.read_messages();
    }

    fn stream_event(&mut self, e: StreamEvent) {
        match e {
            StreamEvent::Opened { .. } => {
                // The peer's first message on a new stream: its channel comes with the
                // DCEP OPEN (or is negotiated). The stream is known to sctp-proto already.
                if let Some(a) = self.sctp.as_mut().and_then(Sctp::association) {
                    while a.accept_stream().is_some() {}
                }
            }
            StreamEvent::Readable { id } if !self.readable.contains(&id) => {
                self.readable.push_back(id);
            }
            StreamEvent::BufferedAmountLow { id }
                if self
                    .channels
                    .get(&id)
                    .is_some_and(|c| c.state == State::Open) =>
            {
                self.events
                    .push_back(Event::ChannelBufferedLow { id: ChannelId(id) });
            }
            StreamEvent::Finished { id } => {
                self.readable.retain(|&r| r != id);
                if self.channels.remove(&id).is_some() {
                    self.events
                        .push_back(Event::ChannelClosed { id: ChannelId(id) });
                }
            }
            _ => {}
        }
    }

    /// Reads whole messages from readable streams while the queue has room.
    fn read_messages(&mut self) {
        while self.events.len() < self.config.max_events {
            let Some(&id) = self.readable.front() else {
                return;
            };
            let Some(a) = self.sctp.as_mut().and_then(Sctp::association) else {
                self.readable.clear();
                return;
            };
            let chunks = match a.stream(id).and_then(|mut s| s.read_sctp()) {
                Ok(Some(c)) => c,
                _ => {
                    self.readable.pop_front();
                    continue;
                }
            };
            let mut data = vec![0; chunks.len()];
            let n = chunks.read(&mut data).unwrap_or(0);
            data.truncate(n);
            self.message(id, chunks.ppi, data);
        }
    }

    /// One whole message on stream `id`.
    fn message(&mut self, id: u16, ppi: Ppi, data: Vec<u8>) {
        let binary = match ppi {
            Ppi::Dcep => return self.dcep(id, &data),
            Ppi::Binary | Ppi::BinaryEmpty => true,
            Ppi::String | Ppi::StringEmpty => false,
            Ppi::Unknown => {
                self.stats.messages_dropped += 1;
                return;
            }
        };
        let data = if matches!(ppi, Ppi::BinaryEmpty | Ppi::StringEmpty) {
            Vec::new()
        } else {
            data
        };
        let Some(ch) = self.channels.get_mut(&id) else {
            self.stats.messages_dropped += 1;
            return;
        };
        match ch.state {
            // A message before the ACK: the peer has the channel, so it is open (the ACK
            // was overtaken, on an unordered channel).
            State::Opening => {
                ch.state = State::Open;
                let e = open_event(id, ch);
                self.events.push_back(e);
            }
            State::Open | State::Closing => {}
            State::Waiting => {
                self.stats.messages_dropped += 1;
                return;
            }
        }
        self.stats.messages_received += 1;
        self.stats.bytes_received += data.len() as u64;
        ch.counters.messages_received += 1;
        ch.counters.bytes_received += data.len() as u64;
        self.events.push_back(Event::ChannelMessage {
            id: ChannelId(id),
            binary,
            data,
        });
    }

    /// A DCEP message on stream `id` (RFC 8832 section 6).
    fn dcep(&mut self, id: u16, data: &[u8]) {
        match Message::parse(data) {
            Ok(Message::Open(open)) => {
                if self.channels.contains_key(&id) || id == u16::MAX {
                    self.stats.dcep_dropped += 1;
                    return;
                }
                let options = ChannelOptions::from_open(&open);
                let ch = Channel {
                    label: open.label.to_owned(),
                    options,
                    state: State::Open,
                    low_threshold: 0,
                    counters: Default::default(),
                };
                let Some(a) = self.sctp.as_mut().and_then(Sctp::association) else {
                    return;
                };
                let Ok(mut stream) = a.stream(id) else {
                    return;
                };
                self.scratch.clear();
                dcep::write_ack(&mut self.scratch);
                let _ = stream.set_reliability_params(false, ReliabilityType::Reliable, 0);
                let _ = stream.write_with_ppi(&self.scratch, Ppi::Dcep);
                let _ = set_reliability(&mut stream, ch.options.ordered, ch.options.reliability());
                self.events.push_back(open_event(id, &ch));
                self.channels.insert(id, ch);
            }
            Ok(Message::Ack) => match self.channels.get_mut(&id) {
                Some(ch) if ch.state == State::Opening => {
                    ch.state = State::Open;
                    let e = open_event(id, ch);
                    self.events.push_back(e);
                }
                _ => self.stats.dcep_dropped += 1,
            },
            Err(_) => self.stats.dcep_dropped += 1,
        }
    }
}

fn set_reliability(
    stream: &mut sctp_proto::Stream<'_>,
    ordered: bool,
    reliability: Reliability,
) -> Result<(), sctp_proto::Error> {
    let (kind, value) = match reliability {
        Reliability::Reliable => (ReliabilityType::Reliable, 0),
        Reliability::MaxRetransmits(n) => (ReliabilityType::Rexmit, n),
        Reliability::MaxLifetimeMs(ms) => (ReliabilityType::Timed, ms),
    };
    stream.set_reliability_params(!ordered, kind, value)
}

fn open_event(id: u16, ch: &Channel) -> Event {
    Event::ChannelOpen {
        id: ChannelId(id),
        label: ch.label.clone(),
        protocol: ch.options.protocol.clone(),
        options: ch.options.clone(),
    }
}

/// Entry points for fuzz/ and the hostile-input tests.
#[cfg(feature = "fuzzing")]
impl DataChannels {
    /// An SCTP packet as if a DTLS record brought it.
    pub(crate) fn fuzz_packet(&mut self, now: Instant, packet: &[u8]) {
        self.handle_packet(now, packet);
        self.process();
    }

    /// `bytes` as one user message with PPID `ppi` on stream `stream` (opened if new).
    pub(crate) fn fuzz_send_raw(&mut self, stream: u16, ppi: u32, bytes: &[u8]) -> bool {
        let Some(a) = self.sctp.as_mut().and_then(Sctp::association) else {
            return false;
        };
        if a.stream(stream).is_err() && a.open_stream(stream, Ppi::Binary).is_err() {
            return false;
        }
        let sent = a
            .stream(stream)
            .and_then(|mut s| s.write_with_ppi(bytes, Ppi::from(ppi)))
            .is_ok();
        self.process();
        sent
    }
}

/// Entry point for fuzz/: a DCEP parse of any bytes; what parses writes back the same.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub fn fuzz_dcep(data: &[u8]) {
    if let Ok(Message::Open(open)) = Message::parse(data) {
        let mut out = Vec::new();
        open.write(&mut out).expect("a parsed OPEN writes");
        assert_eq!(Message::parse(&out), Ok(Message::Open(open)));
    }
}

#[cfg(test)]
mod tests;
