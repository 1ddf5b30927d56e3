//! RTP mode's media part (RFC 3550, RFC 4585, RFC 4588, RFC 5104,
//! draft-holmer-rmcat-transport-wide-cc-extensions-01): per-SSRC send and receive state
//! behind the peer's data path, and the RTCP it sends and takes.
//!
//! The peer hands every RTP packet it protects to [`Media::handle_sent`] (the packet is
//! in the peer's scratch buffer, before SRTP: the transport-wide sequence number is
//! written there and the packet kept in its stream's [`send_history`]); every RTP packet
//! it unprotects goes through [`Media::handle_rtp`] (reception statistics, transport-wide
//! arrival, NACK bookkeeping, RTX unwrapped in place) and every RTCP packet through
//! [`Media::handle_rtcp`] ([`rtcp_in`]). What this part wants to send (retransmissions,
//! NACK, PLI, FIR, transport-wide feedback, SR/RR with SDES) comes out of
//! [`Media::poll_transmit`] in plain text, for the peer to protect. Nothing here
//! allocates per packet: histories, missing lists, arrival rings and queues are sized
//! when a stream is added.
//!
//! | file | job |
//! | --- | --- |
//! | `config.rs` | the public stream and timing configuration |
//! | `streams.rs` | per-SSRC state, media flow |
//! | `send_history.rs` | the bounded ring of sent packets |
//! | `receive_stats.rs` | RFC 3550 A.1, A.3, A.8 |
//! | `nack_requests.rs` | losses asked for (RFC 4585 s6.2.1) |
//! | `nack.rs` | NACKs answered, as RTX (RFC 4588) or as sent |
//! | `twcc.rs` | transport-wide sequence numbers and feedback |
//! | `reports.rs` | SR/RR/SDES on the RFC 3550 s6.2 interval, NTP time, RTT |
//! | `rtcp_in.rs` | incoming compound RTCP dispatched |
//! | `stats.rs` | getStats-shaped counters |

pub(crate) mod config;
mod feedback;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) mod fuzz;
mod nack;
mod nack_requests;
mod padding;
mod receive_stats;
mod reports;
mod rtcp_in;
mod send_history;
pub(crate) mod stats;
mod streams;
#[cfg(test)]
mod tests;
mod twcc;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use wren_core::Rng;
use wren_rtp::rtp::RtpPacket;
use wren_rtp::rtx;

use crate::Event;
use crate::event::{FlowDirection, KeyframeKind};
use config::{MediaConfig, ReceiveStream, SendStream, StreamError};
use nack_requests::NackRequests;
use receive_stats::SeqVerdict;
use reports::ReportClock;
use send_history::SendHistory;
use streams::{ReceiveState, SendState};
use twcc::{TwccReceiver, TwccSender};

/// What [`Media::poll_transmit`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outgoing {
    /// An RTP packet (a retransmission): protect with SRTP.
    Rtp,
    /// An RTCP compound packet: protect with SRTCP.
    Rtcp,
}

/// Something waiting for `poll_transmit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    /// Retransmit packet `seq` of send stream `stream`.
    Retransmit { stream: usize, seq: u16 },
    /// Ask the sender of receive stream `stream` for a keyframe.
    Keyframe { stream: usize, kind: KeyframeKind },
}

/// Counters that belong to no stream.
#[derive(Debug, Clone, Copy, Default)]
struct Counters {
    rtcp_malformed: u64,
    unknown_ssrc: u64,
    events_dropped: u64,
    pending_dropped: u64,
    rtx_padding: u64,
    padding_sent: u64,
    twcc_unstamped: u64,
}

/// The media part of a peer.
#[derive(Debug)]
pub(crate) struct Media {
    config: MediaConfig,
    /// The peer's construction instant: RTP arrival clocks and NTP time count from it.
    epoch: Instant,
    rng: Rng,
    /// Our SSRC in RTCP when we send no stream (RFC 3550 section 8: random).
    local_ssrc: u32,
    send: Vec<SendState>,
    recv: Vec<ReceiveState>,
    twcc_send: TwccSender,
    /// The transport-wide number written last (a sent packet or a retransmission).
    last_twcc: Option<u16>,
    twcc_recv: TwccReceiver,
    reports: ReportClock,
    pending: VecDeque<Pending>,
    events: VecDeque<Event>,
    /// The latest round-trip time from any report (paces NACK retries).
    rtt: Option<Duration>,
    /// The peer's last receiver reference times (RFC 3611 section 4.4): its SSRC, the
    /// compact NTP time and when it came, answered in our next report.
    rrtr: [Option<(u32, u32, Instant)>; reports::MAX_RRTR],
    counters: Counters,
}

/// How often a loss is asked for again while the RTT is unknown.
const DEFAULT_NACK_INTERVAL: Duration = Duration::from_millis(100);

impl Media {
    pub(crate) fn new(now: Instant, config: MediaConfig, mut rng: Rng) -> Media {
        let local_ssrc = rng.next_u32();
        Media {
            twcc_recv: TwccReceiver::new(config.twcc_interval),
            reports: ReportClock::new(config.rtcp_interval_audio),
            pending: VecDeque::with_capacity(config.max_pending),
            events: VecDeque::with_capacity(config.max_events),
            config,
            epoch: now,
            rng,
            local_ssrc,
            send: Vec::new(),
            recv: Vec::new(),
            twcc_send: TwccSender::default(),
            last_twcc: None,
            rtt: None,
            rrtr: [None; reports::MAX_RRTR],
            counters: Counters::default(),
        }
    }

    /// The transport-wide sequence number written into the last RTP packet that got one.
    pub(crate) fn last_transport_sequence(&self) -> Option<u16> {
        self.last_twcc
    }

    /// Whether `ssrc` is a configured received stream or its RTX stream.
    pub(crate) fn knows(&self, ssrc: u32) -> bool {
        self.recv
            .iter()
            .any(|r| r.config.ssrc == ssrc || r.config.rtx.as_ref().is_some_and(|x| x.ssrc == ssrc))
    }

    /// The transport-wide sequence number's extension id, as negotiated (RFC 8285).
    pub(crate) fn set_twcc(&mut self, id: u8) {
        self.config.extensions.twcc = Some(id);
    }

    /// Adds a stream we send.
    pub(crate) fn add_send_stream(&mut self, stream: SendStream) -> Result<(), StreamError> {
        if stream.clock_rate == 0 {
            return Err(StreamError::ZeroClockRate);
        }
        let used = self
            .send
            .iter()
            .flat_map(|o| [Some(o.config.ssrc), o.config.rtx.as_ref().map(|r| r.ssrc)]);
        check_free(used, stream.ssrc, stream.rtx.as_ref())?;
        let history = SendHistory::new(
            self.config.history_packets,
            self.config.history_packet_size,
            self.config.history_age,
        );
        // RFC 4588 section 8.5 / RFC 3550 section 5.1: the RTX sequence starts at random.
        let rtx_seq = self.rng.next_u32() as u16;
        self.send.push(SendState::new(stream, history, rtx_seq));
        self.choose_report_interval();
        Ok(())
    }

    /// Adds a stream we receive.
    pub(crate) fn add_receive_stream(&mut self, stream: ReceiveStream) -> Result<(), StreamError> {
        if stream.clock_rate == 0 {
            return Err(StreamError::ZeroClockRate);
        }
        let used = self
            .recv
            .iter()
            .flat_map(|o| [Some(o.config.ssrc), o.config.rtx.as_ref().map(|r| r.ssrc)]);
        check_free(used, stream.ssrc, stream.rtx.as_ref())?;
        let capacity = if stream.nack {
            self.config.nack_missing
        } else {
            0
        };
        let nack = NackRequests::new(capacity, self.config.nack_retries);
        self.recv.push(ReceiveState::new(stream, nack));
        self.choose_report_interval();
        Ok(())
    }

    /// Video anywhere: the shorter RTCP interval (RFC 3550 section 6.2's reduced
    /// minimum); audio only: the longer one.
    fn choose_report_interval(&mut self) {
        let video = self
            .send
            .iter()
            .map(|s| s.config.kind)
            .chain(self.recv.iter().map(|r| r.config.kind))
            .any(|k| k == config::MediaKind::Video);
        self.reports.set_interval(if video {
            self.config.rtcp_interval
        } else {
            self.config.rtcp_interval_audio
        });
    }

    /// Asks the sender of received stream `ssrc` for a keyframe (RFC 4585 section 6.3.1
    /// PLI, RFC 5104 section 4.3.1 FIR): it leaves through `poll_transmit`.
    pub(crate) fn request_keyframe(
        &mut self,
        ssrc: u32,
        kind: KeyframeKind,
    ) -> Result<(), StreamError> {
        let stream = self
            .recv
            .iter()
            .position(|r| r.config.ssrc == ssrc)
            .ok_or(StreamError::UnknownSsrc(ssrc))?;
        self.push_pending(Pending::Keyframe { stream, kind });
        Ok(())
    }

    /// Microseconds since the epoch.
    fn micros(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.epoch).as_micros() as u64
    }

    /// An RTP packet about to be protected and sent (`packet`, plain, in the peer's
    /// scratch): its transport-wide sequence number is written, it is kept for
    /// retransmission and counted.
    pub(crate) fn handle_sent(&mut self, now: Instant, packet: &mut [u8]) {
        let Ok(p) = RtpPacket::parse(packet) else {
            return;
        };
        let (ssrc, ts, payload) = (p.ssrc(), p.timestamp(), p.payload().len());
        if let Some(id) = self.config.extensions.twcc {
            match self.twcc_send.stamp(id, packet) {
                Some(seq) => self.last_twcc = Some(seq),
                None => self.counters.twcc_unstamped += 1,
            }
        }
        let Some(i) = self.send.iter().position(|s| s.config.ssrc == ssrc) else {
            return;
        };
        let s = &mut self.send[i];
        s.history.record(now, packet);
        s.packets += 1;
        s.payload_bytes += payload as u64;
        s.bytes += packet.len() as u64;
        s.last_rtp = Some((ts, now));
        let started = s.flow.packet(now);
        self.reports.start(now, &mut self.rng);
        if started {
            self.push_event(Event::MediaFlow {
                ssrc,
                direction: FlowDirection::Outgoing,
                flowing: true,
            });
        }
    }

    /// An RTP packet unprotected into `packet`: counted, its arrival noted for
    /// transport-wide feedback, and an RTX packet unwrapped in place into the original
    /// (`scratch` is the peer's spare buffer). `false` when the application should not see
    /// it (an RTX packet with no original inside: padding sent to probe bandwidth).
    pub(crate) fn handle_rtp(
        &mut self,
        now: Instant,
        packet: &mut Vec<u8>,
        scratch: &mut Vec<u8>,
    ) -> bool {
        let at_us = self.micros(now);
        let (ssrc, pt) = {
            let Ok(p) = RtpPacket::parse(packet) else {
                return true;
            };
            if let Some(id) = self.config.extensions.twcc
                && let Some(&[a, b]) = p.extension(id)
            {
                self.twcc_recv
                    .record(now, u16::from_be_bytes([a, b]), at_us);
            }
            (p.ssrc(), p.payload_type())
        };
        let mut rtx = false;
        let i = match self.recv.iter().position(|r| r.config.ssrc == ssrc) {
            Some(i) => i,
            None => {
                let Some(i) = self
                    .recv
                    .iter()
                    .position(|r| r.config.rtx.as_ref().is_some_and(|x| x.ssrc == ssrc))
                else {
                    self.counters.unknown_ssrc += 1;
                    return true;
                };
                let r = &mut self.recv[i];
                r.retransmitted_packets += 1;
                let media_pt = r
                    .config
                    .rtx
                    .as_ref()
                    .and_then(|x| x.media_pt(pt))
                    .unwrap_or(pt);
                let original = rtx::Stream {
                    ssrc: r.config.ssrc,
                    payload_type: media_pt,
                };
                scratch.clear();
                scratch.extend_from_slice(packet);
                let Ok(p) = RtpPacket::parse(scratch) else {
                    return true;
                };
                packet.resize(scratch.len(), 0);
                match rtx::unwrap(&p, original, packet) {
                    Ok(n) => packet.truncate(n),
                    Err(_) => {
                        packet.clear();
                        self.counters.rtx_padding += 1;
                        return false;
                    }
                }
                rtx = true;
                i
            }
        };
        let Ok(p) = RtpPacket::parse(packet) else {
            return true;
        };
        let (seq, ts, payload) = (p.sequence_number(), p.timestamp(), p.payload().len());
        let r = &mut self.recv[i];
        let before = r.stats.started().then(|| u64::from(r.stats.extended_max()));
        let verdict = if rtx {
            r.stats.count_retransmission();
            SeqVerdict::Old
        } else {
            let arrival = (u128::from(at_us) * u128::from(r.config.clock_rate) / 1_000_000) as i64;
            r.stats.update(seq, ts, arrival)
        };
        if verdict != SeqVerdict::Held
            && let Some(b) = before
            && r.config.nack
        {
            let ext = b as i64 + i64::from(seq.wrapping_sub(b as u16) as i16);
            if ext >= 0 && r.nack.packet(now, ext as u64, before) && rtx {
                r.recovered += 1;
            }
        }
        r.payload_bytes += payload as u64;
        r.bytes += packet.len() as u64;
        let started = r.flow.packet(now);
        self.reports.start(now, &mut self.rng);
        if started {
            self.push_event(Event::MediaFlow {
                ssrc: self.recv[i].config.ssrc,
                direction: FlowDirection::Incoming,
                flowing: true,
            });
        }
        true
    }

    /// The time has come: flows that went quiet stop.
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        let timeout = self.config.flow_timeout;
        for i in 0..self.send.len() {
            if self.send[i].flow.check(now, timeout) {
                let ssrc = self.send[i].config.ssrc;
                self.push_event(Event::MediaFlow {
                    ssrc,
                    direction: FlowDirection::Outgoing,
                    flowing: false,
                });
            }
        }
        for i in 0..self.recv.len() {
            if self.recv[i].flow.check(now, timeout) {
                let ssrc = self.recv[i].config.ssrc;
                self.push_event(Event::MediaFlow {
                    ssrc,
                    direction: FlowDirection::Incoming,
                    flowing: false,
                });
            }
        }
    }

    /// When to call `handle_timeout` (flows) and `poll_transmit` (RTCP) next; the RTCP
    /// timers count only while the peer `can_send`.
    pub(crate) fn poll_timeout(&self, can_send: bool) -> Option<Instant> {
        let timeout = self.config.flow_timeout;
        let flows = self
            .send
            .iter()
            .map(|s| &s.flow)
            .chain(self.recv.iter().map(|r| &r.flow))
            .filter_map(|f| f.deadline(timeout));
        let mut next = flows.min();
        if can_send {
            let rtcp = [
                self.reports.poll_timeout(),
                self.twcc_recv.poll_timeout(),
                (!self.pending.is_empty()).then_some(self.epoch),
            ]
            .into_iter()
            .chain(self.recv.iter().map(|r| r.nack.poll_timeout()))
            .flatten()
            .min();
            next = [next, rtcp].into_iter().flatten().min();
        }
        next
    }

    /// The next packet this part wants sent, written plain into `out` (appended): a
    /// retransmission, feedback (NACK, PLI, FIR, transport-wide), or a report when one is
    /// due. Call while the peer can send, after any input.
    pub(crate) fn poll_transmit(&mut self, now: Instant, out: &mut Vec<u8>) -> Option<Outgoing> {
        while let Some(p) = self.pending.pop_front() {
            let wrote = match p {
                Pending::Retransmit { stream, seq } => self
                    .write_retransmission(now, stream, seq, out)
                    .then_some(Outgoing::Rtp),
                Pending::Keyframe { stream, kind } => self
                    .write_keyframe_request(stream, kind, out)
                    .then_some(Outgoing::Rtcp),
            };
            if wrote.is_some() {
                return wrote;
            }
        }
        if self.write_nacks(now, out) {
            return Some(Outgoing::Rtcp);
        }
        let sender = self.feedback_ssrc();
        let media = self.recv.first().map_or(0, |r| r.config.ssrc);
        if self.twcc_recv.write_feedback(now, sender, media, out) {
            return Some(Outgoing::Rtcp);
        }
        if self.reports.due(now) {
            self.reports.schedule(now, &mut self.rng);
            if self.write_report(now, out) {
                return Some(Outgoing::Rtcp);
            }
        }
        None
    }

    /// Nothing can be sent at `now` (no keys, no path): due RTCP waits for the next time.
    pub(crate) fn skip_due(&mut self, now: Instant) {
        if self.reports.due(now) {
            self.reports.schedule(now, &mut self.rng);
        }
        self.twcc_recv.skip(now);
    }

    /// The SSRC our feedback and reports come from: our first sent stream's, as browsers
    /// do, or a random one when we send nothing.
    fn feedback_ssrc(&self) -> u32 {
        self.send.first().map_or(self.local_ssrc, |s| s.config.ssrc)
    }

    /// The interval between two NACKs for one loss: a little over a round trip. At
    /// exactly one, the repeated NACK reaches the sender one round trip after it
    /// retransmitted, where the sender still takes it for one that crossed the
    /// retransmission and ignores it (`send_history`'s guard), so that each lost
    /// retransmission cost two round trips.
    fn nack_interval(&self) -> Duration {
        self.rtt.map_or(DEFAULT_NACK_INTERVAL, |r| {
            (r + r / 4 + Duration::from_millis(5)).max(Duration::from_millis(10))
        })
    }

    fn push_event(&mut self, event: Event) {
        if self.events.len() >= self.config.max_events {
            self.counters.events_dropped += 1;
            return;
        }
        self.events.push_back(event);
    }

    fn push_pending(&mut self, p: Pending) {
        if self.pending.len() >= self.config.max_pending {
            self.counters.pending_dropped += 1;
            return;
        }
        self.pending.push_back(p);
    }

    /// The next media event.
    pub(crate) fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }
}

/// Refuses a stream whose SSRC or RTX SSRC is among `used` (the other streams' of the
/// same direction), or whose RTX SSRC is its own.
fn check_free(
    used: impl Iterator<Item = Option<u32>> + Clone,
    ssrc: u32,
    rtx: Option<&config::Rtx>,
) -> Result<(), StreamError> {
    let taken = |s: u32| used.clone().flatten().any(|u| u == s);
    if taken(ssrc) {
        return Err(StreamError::SsrcInUse(ssrc));
    }
    match rtx {
        Some(r) if r.ssrc == ssrc || taken(r.ssrc) => Err(StreamError::SsrcInUse(r.ssrc)),
        _ => Ok(()),
    }
}

/// Appends `packet` to `out`; `false` (and `out` unchanged) when it cannot be written.
fn append(out: &mut Vec<u8>, packet: &impl wren_rtp::rtcp::RtcpWrite) -> bool {
    let start = out.len();
    out.resize(start + packet.encoded_len(), 0);
    match packet.write(&mut out[start..]) {
        Ok(n) => {
            out.truncate(start + n);
            true
        }
        Err(_) => {
            out.truncate(start);
            false
        }
    }
}
