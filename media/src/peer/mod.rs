//! Frame mode: a [`MediaPeer`] wraps a [`wren_rtc::Peer`] in RTP mode so that a track
//! takes encoded frames and gives encoded frames.
//!
//! Sending, a frame written to a section's track ([`MediaPeer::write_frame`]) is cut into
//! RTP packets by the negotiated codec's packetizer ([`crate::codec`]) and queued in the
//! [`crate::pacer::Pacer`], which releases them at a multiple of the congestion
//! controller's target ([`crate::cc::Gcc`]); each packet leaves through the peer
//! connection, which numbers it for transport-wide feedback
//! ([`wren_rtc::Peer::last_transport_sequence`]), keeps it for retransmission and protects
//! it. The feedback that comes back, the round trip and REMB feed the controller, whose
//! target is an [`Event::TargetBitrate`] for the encoders. Probes the controller asks for
//! are sent with media or as padding on the track's RTX source
//! ([`wren_rtc::Peer::send_padding_into`]).
//!
//! Receiving, each source of the other side gets a [`crate::jitter::JitterBuffer`] with its
//! codec's depacketizer: packets in any order (retransmissions already unwrapped by the
//! peer connection, which also asks for lost ones where NACK was negotiated), whole frames
//! out in order as [`Event::Frame`]; a frame that cannot be completed is dropped
//! ([`Event::FrameDropped`]) and a keyframe asked for (PLI, or FIR where only that was
//! negotiated).
//!
//! The layers stay as DESIGN.md draws them: wren-media uses wren-rtc and wren-rtp, never
//! the other way. Offer/answer goes through the wrapped peer ([`MediaPeer::rtc_mut`]);
//! tracks are made from each completed negotiation ([`wren_rtc::Event::Negotiated`]).
//!
//! | file | what |
//! | --- | --- |
//! | `config.rs` | [`MediaConfig`] |
//! | `event.rs` | [`Event`], [`Frame`], [`Command`], [`FrameError`], [`Error`] |
//! | `codec.rs` | [`MediaCodec`]: a negotiated codec's packetizer and depacketizer |
//! | `send.rs` | a sending track: frames into RTP packets |
//! | `receive.rs` | a receiving track: a source's jitter buffer |
//! | `store.rs` | the bytes of packets waiting in the pacer |
//! | `transmit.rs` | what leaves: the peer connection's own packets, then paced media and retransmissions |
//! | `rtx_budget.rs` | retransmissions held to the target bitrate |

mod codec;
mod config;
mod event;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz;
mod receive;
mod rtx_budget;
mod send;
mod store;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod testing;
#[cfg(test)]
mod tests;
mod transmit;

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use wren_core::{Datagram, Machine, SocketRequest, SocketResult, Transmit};
use wren_rtc::{Peer, Received};
use wren_rtp::rtcp::{Compound, Packet};
use wren_rtp::rtp::RtpPacket;

pub use codec::MediaCodec;
pub use config::MediaConfig;
pub use event::{Command, Error, Event, Frame, FrameError, ReceivedFrame};

use crate::cc::{self, Gcc, GccStats};
use crate::jitter;
use crate::pacer::{Pacer, PacerStats, Priority};
use receive::ReceiveTrack;
use rtx_budget::RtxBudget;
use send::SendTrack;
use store::PacketStore;

/// Counters.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MediaStats {
    /// Frames written and queued.
    pub frames_sent: u64,
    /// Frames refused (congested, or the packetizer refused them).
    pub frames_refused: u64,
    /// RTP packets the pacer released and the peer connection sent.
    pub packets_sent: u64,
    /// Padding packets sent for probes.
    pub padding_sent: u64,
    /// Retransmissions (answers to NACKs) that waited their turn in the pacer.
    pub retransmissions_paced: u64,
    /// Retransmissions not sent: past the target bitrate over a second.
    pub retransmissions_dropped: u64,
    /// Packets whose bytes were gone when the pacer released them, or that the peer
    /// connection refused.
    pub packets_lost_here: u64,
    /// Frames received and handed out.
    pub frames_received: u64,
    /// Frames the jitter buffers dropped.
    pub frames_dropped: u64,
    /// RTP packets of a source with no track (a codec frame mode does not carry).
    pub packets_unrouted: u64,
    /// Transport-wide feedback packets taken by the congestion controller.
    pub feedback: u64,
    /// Events dropped because nobody polled them.
    pub events_dropped: u64,
    /// The congestion controller's state.
    pub gcc: GccStats,
    /// The pacer's counters.
    pub pacer: PacerStats,
}

/// A peer connection in frame mode. See the module docs.
pub struct MediaPeer {
    rtc: Peer,
    config: MediaConfig,
    send: Vec<SendTrack>,
    receive: Vec<ReceiveTrack>,
    gcc: Gcc,
    pacer: Pacer,
    store: PacketStore,
    events: VecDeque<Event>,
    /// The received datagram's unprotected packet, and a frame being put together.
    rx: Vec<u8>,
    frame: Vec<u8>,
    /// The last transport-wide number reported to the controller (a new one after the
    /// peer connection's own transmit is a retransmission it sent).
    last_twcc: Option<u16>,
    /// Where the seed for track numbering comes from.
    seed: u64,
    /// The source [`MediaPeer::poll_frame`] looks at first.
    next_source: usize,
    /// Tags the pacer refused while a frame was queued (capacity kept).
    refused_tags: Vec<u64>,
    /// What retransmissions may still spend.
    rtx_budget: RtxBudget,
    stats: MediaStats,
}

impl fmt::Debug for MediaPeer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaPeer")
            .field("send", &self.send)
            .field("receive", &self.receive.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl MediaPeer {
    /// Wraps `rtc` (new, or with negotiation under way). `seed` numbers the tracks'
    /// first sequence numbers and RTP times (with their SSRCs, which the peer
    /// connection's own seeded randomness chose).
    #[must_use]
    pub fn new(now: Instant, rtc: Peer, config: MediaConfig, seed: u64) -> MediaPeer {
        let mut pacer_config = config.pacer.clone();
        // Padding goes as padding-only RTX packets, whose count is one octet.
        pacer_config.max_padding_packet = pacer_config.max_padding_packet.min(255);
        pacer_config.min_padding_packet = pacer_config.min_padding_packet.min(255);
        let gcc = Gcc::new(now, config.gcc.clone());
        let start = gcc.target_bitrate();
        pacer_config.pacing_rate_bps = (start as f64 * config.pacing_factor) as u64;
        let mut peer = MediaPeer {
            rtc,
            send: Vec::new(),
            receive: Vec::new(),
            gcc,
            pacer: Pacer::new(now, pacer_config),
            store: PacketStore::new(config.max_queued_packets),
            events: VecDeque::with_capacity(config.max_events.min(4096)),
            rx: Vec::with_capacity(1500),
            frame: Vec::new(),
            last_twcc: None,
            seed,
            next_source: 0,
            refused_tags: Vec::new(),
            rtx_budget: RtxBudget::new(),
            stats: MediaStats::default(),
            config,
        };
        if !peer.rtc.negotiated_media().is_empty() {
            peer.update_tracks();
        }
        peer
    }

    /// The peer connection.
    #[must_use]
    pub fn rtc(&self) -> &Peer {
        &self.rtc
    }

    /// The peer connection, for offer/answer, candidates and data channels. Its events
    /// come out of [`MediaPeer::poll_event`] as [`Event::Rtc`] (drain them after using it).
    pub fn rtc_mut(&mut self) -> &mut Peer {
        &mut self.rtc
    }

    /// The congestion controller's current target, bit/s.
    #[must_use]
    pub fn target_bitrate(&self) -> u64 {
        self.gcc.target_bitrate()
    }

    /// Counters, with the controller's and the pacer's.
    #[must_use]
    pub fn stats(&self) -> MediaStats {
        MediaStats {
            gcc: self.gcc.stats(),
            pacer: self.pacer.stats(),
            ..self.stats
        }
    }

    /// Each received source's jitter buffer counters: `(mid, ssrc, stats)`.
    pub fn receive_stats(&self) -> impl Iterator<Item = (&str, u32, jitter::JitterStats)> {
        self.receive
            .iter()
            .map(|t| (t.mid.as_str(), t.ssrc, t.jitter.stats()))
    }

    /// The sections we send in, with their codecs.
    pub fn sending(&self) -> impl Iterator<Item = (&str, MediaCodec)> {
        self.send.iter().map(|t| (t.mid.as_str(), t.codec))
    }

    /// Sends one encoded frame on our track in section `mid`: packetized by the
    /// negotiated codec, stamped with the track's SSRC and the RTP time of `pts` (its media
    /// time from the track's start), and queued in the pacer. A frame is refused whole,
    /// never in part.
    ///
    /// # Errors
    ///
    /// A [`FrameError`]: no such sending track, a congested pacer, a frame the packetizer
    /// refuses, a closed peer connection.
    pub fn write_frame(
        &mut self,
        now: Instant,
        mid: &str,
        pts: Duration,
        frame: &[u8],
    ) -> Result<(), FrameError> {
        let result = self.try_write_frame(now, mid, pts, frame);
        match result {
            Ok(()) => self.stats.frames_sent += 1,
            Err(_) => self.stats.frames_refused += 1,
        }
        result
    }

    fn try_write_frame(
        &mut self,
        now: Instant,
        mid: &str,
        pts: Duration,
        frame: &[u8],
    ) -> Result<(), FrameError> {
        if self.rtc.dtls_state() == wren_rtc::DtlsState::Closed {
            return Err(FrameError::Closed);
        }
        let Some(track) = self.send.iter_mut().find(|t| t.mid == mid) else {
            return Err(FrameError::NoTrack(mid.to_owned()));
        };
        let room = self
            .config
            .max_packet
            .saturating_sub(send::HEADER_ROOM)
            .max(64);
        let needed = frame.len() / room + 2;
        let queued = self.store.len();
        let waited = self.pacer.oldest_wait(now).unwrap_or_default();
        if queued + needed > self.store.capacity() || waited > self.config.max_queue_delay {
            return Err(FrameError::Congested { queued, waited });
        }
        let priority = if track.codec.is_audio() {
            Priority::Audio
        } else {
            Priority::Video
        };
        let pacer = &mut self.pacer;
        let mut refused = 0u64;
        let mut tags = std::mem::take(&mut self.refused_tags);
        let result = track.write_frame(
            pts,
            frame,
            self.config.max_packet,
            &mut self.store,
            &mut |tag, bytes| {
                if pacer.push(now, tag, bytes, priority).is_err() {
                    refused += 1;
                    tags.push(tag);
                }
            },
        );
        // What the pacer refused (its queue for the priority full) is never sent.
        for tag in tags.drain(..) {
            self.store.release(tag);
        }
        self.refused_tags = tags;
        self.stats.packets_lost_here += refused;
        result
    }

    /// Makes the tracks of the latest negotiation: a sending track per section we send
    /// in (one that did not change keeps its numbering), a receiving track per source as
    /// its first packet comes.
    fn update_tracks(&mut self) {
        let media = self.rtc.negotiated_media().to_vec();
        let mut send = Vec::new();
        for m in &media {
            match SendTrack::new(m, self.seed) {
                Ok(Some(new)) => {
                    let old = self
                        .send
                        .iter()
                        .position(|t| t.mid == new.mid && t.same_as(&new));
                    send.push(match old {
                        Some(i) => self.send.swap_remove(i),
                        None => new,
                    });
                }
                Ok(None) => {}
                Err(codec) => self.push_event(Event::UnsupportedCodec {
                    mid: m.mid.clone(),
                    codec,
                }),
            }
        }
        self.send = send;
        self.receive.retain(|t| media.iter().any(|m| t.still_in(m)));
    }

    /// An RTP packet unprotected into `self.rx`: into its source's jitter buffer.
    fn handle_rtp(&mut self, now: Instant) {
        let Ok(p) = RtpPacket::parse(&self.rx) else {
            return;
        };
        let (ssrc, pt) = (p.ssrc(), p.payload_type());
        let i = match self
            .receive
            .iter()
            .position(|t| t.ssrc == ssrc && t.payload_type == pt)
        {
            Some(i) => i,
            None => {
                let track = self.rtc.mid_of_ssrc(ssrc).and_then(|mid| {
                    let m = self.rtc.negotiated_media().iter().find(|m| m.mid == mid)?;
                    ReceiveTrack::new(m, ssrc, pt, &self.config.jitter)
                });
                let Some(track) = track else {
                    self.stats.packets_unrouted += 1;
                    return;
                };
                // A source that changed codec starts a new buffer.
                self.receive.retain(|t| t.ssrc != ssrc);
                self.receive.push(track);
                self.receive.len() - 1
            }
        };
        let (seq, ts, marker) = (p.sequence_number(), p.timestamp(), p.marker());
        self.receive[i]
            .jitter
            .insert(now, seq, ts, marker, p.payload());
        self.drain_track(now, i);
    }

    /// Frames (as events, unless [`MediaConfig::frame_events`] is off: then they wait
    /// for [`MediaPeer::poll_frame`]), drops and keyframe requests of receiving track `i`.
    fn drain_track(&mut self, now: Instant, i: usize) {
        if self.config.frame_events {
            while let Some(info) = self.receive[i].jitter.poll_frame(now, &mut self.frame) {
                let t = &mut self.receive[i];
                let frame = Frame {
                    mid: t.mid.clone(),
                    ssrc: t.ssrc,
                    codec: t.codec,
                    rtp_time: info.timestamp,
                    pts: t.pts(&info),
                    keyframe: info.keyframe,
                    data: self.frame.clone(),
                };
                self.stats.frames_received += 1;
                self.push_event(Event::Frame(frame));
            }
        }
        self.drain_jitter_events(i);
    }

    /// Drops and keyframe requests of receiving track `i`'s jitter buffer.
    fn drain_jitter_events(&mut self, i: usize) {
        while let Some(e) = self.receive[i].jitter.poll_event() {
            let t = &self.receive[i];
            match e {
                jitter::Event::FrameDropped { reason, .. } => {
                    self.stats.frames_dropped += 1;
                    let e = Event::FrameDropped {
                        mid: t.mid.clone(),
                        ssrc: t.ssrc,
                        reason,
                    };
                    self.push_event(e);
                }
                jitter::Event::KeyframeNeeded(_) => {
                    let (ssrc, kind) = (t.ssrc, t.keyframe_kind);
                    // Only fails for a source the peer connection does not know, which
                    // has no track here.
                    let _ = self.rtc.request_keyframe(ssrc, kind);
                }
            }
        }
    }

    /// The next received frame, into `buf` (cleared first; nothing is allocated once it
    /// has room), when [`MediaConfig::frame_events`] is off: the data path, where
    /// [`Event::Frame`] would copy each frame into an event. Sources take turns. Call
    /// after every `handle_*` call, until `None`, as with `poll_event`; the section of a
    /// frame's source is [`wren_rtc::Peer::mid_of_ssrc`].
    pub fn poll_frame(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<ReceivedFrame> {
        let n = self.receive.len();
        for k in 0..n {
            let i = (self.next_source + k) % n;
            let got = self.receive[i].jitter.poll_frame(now, buf);
            self.drain_jitter_events(i);
            if let Some(info) = got {
                self.next_source = i + 1;
                self.stats.frames_received += 1;
                let t = &mut self.receive[i];
                return Some(ReceivedFrame {
                    ssrc: t.ssrc,
                    codec: t.codec,
                    rtp_time: info.timestamp,
                    pts: t.pts(&info),
                    keyframe: info.keyframe,
                });
            }
        }
        None
    }

    /// An RTCP compound unprotected into `self.rx` (the peer connection already acted
    /// on its reports, NACKs and keyframe requests): transport-wide feedback to the
    /// controller.
    fn handle_rtcp(&mut self, now: Instant) {
        let Ok(compound) = Compound::parse(&self.rx) else {
            return;
        };
        for packet in compound.packets() {
            if let Ok(Packet::TransportFeedback(fb)) = packet {
                self.stats.feedback += 1;
                self.gcc.handle_feedback(now, &fb);
            }
        }
    }

    /// The peer connection's events, and the controller's.
    fn drain(&mut self, now: Instant) {
        while let Some(e) = self.rtc.poll_event() {
            match e {
                wren_rtc::Event::Negotiated => {
                    self.update_tracks();
                    self.push_event(Event::Rtc(wren_rtc::Event::Negotiated));
                }
                wren_rtc::Event::KeyframeRequest { ssrc, .. } => {
                    if let Some(t) = self.send.iter().find(|t| t.ssrc == ssrc) {
                        let mid = t.mid.clone();
                        self.push_event(Event::KeyframeRequest { mid });
                    }
                }
                wren_rtc::Event::Rtt { rtt, .. } => {
                    self.gcc.set_rtt(rtt);
                    for t in &mut self.receive {
                        t.jitter.set_rtt(rtt);
                    }
                    self.push_event(Event::Rtc(e));
                }
                wren_rtc::Event::Remb { bitrate } => {
                    self.gcc.handle_remb(now, bitrate);
                    self.push_event(Event::Rtc(e));
                }
                // Frame mode reads media through `receive`; these only come from the
                // `Machine` path, which is not used here.
                wren_rtc::Event::Rtp(_) | wren_rtc::Event::Rtcp(_) => {}
                e => self.push_event(Event::Rtc(e)),
            }
        }
        while let Some(e) = self.gcc.poll_event() {
            match e {
                cc::Event::TargetBitrate { bps, reason } => {
                    let pacing = (bps as f64 * self.config.pacing_factor) as u64;
                    self.pacer.set_pacing_rate(now, pacing);
                    self.push_event(Event::TargetBitrate { bps, reason });
                }
                cc::Event::Probe(cluster) => {
                    // Refused only when probes already wait: this one is skipped.
                    let _ = self.pacer.add_probe(now, cluster);
                }
            }
        }
    }

    fn push_event(&mut self, e: Event) {
        if self.events.len() >= self.config.max_events {
            // The oldest event that is not a frame goes first.
            match self
                .events
                .iter()
                .position(|e| !matches!(e, Event::Frame(_)))
            {
                Some(i) => {
                    self.events.remove(i);
                }
                None => {
                    self.events.pop_front();
                }
            }
            self.stats.events_dropped += 1;
        }
        self.events.push_back(e);
    }
}

impl Machine for MediaPeer {
    type Event = Event;
    type Command = Command;
    type Error = Error;

    fn handle_datagram(&mut self, now: Instant, d: Datagram<'_>) {
        let mut rx = std::mem::take(&mut self.rx);
        let received = self.rtc.receive(now, d, &mut rx);
        self.rx = rx;
        match received {
            Received::Rtp => self.handle_rtp(now),
            Received::Rtcp => self.handle_rtcp(now),
            Received::Handled => {}
        }
        self.drain(now);
    }

    fn handle_command(&mut self, now: Instant, cmd: Command) -> Result<(), Error> {
        let result = match cmd {
            Command::Rtc(c) => self.rtc.handle_command(now, c).map_err(Error::from),
            Command::WriteFrame { mid, pts, data } => {
                self.write_frame(now, &mid, pts, &data).map_err(Error::from)
            }
        };
        self.drain(now);
        result
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.rtc.poll_timeout().is_some_and(|t| t <= now) {
            self.rtc.handle_timeout(now);
        }
        self.pacer.handle_timeout(now);
        for i in 0..self.receive.len() {
            if self.receive[i].poll_timeout().is_some_and(|t| t <= now) {
                self.receive[i].jitter.handle_timeout(now);
                self.drain_track(now, i);
            }
        }
        self.drain(now);
    }

    fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        let t = self.transmit(now, buf);
        self.drain(now);
        t
    }

    fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        let pacer = if self.media_ready() {
            self.pacer.poll_timeout()
        } else {
            None
        };
        let tracks = self.receive.iter().filter_map(ReceiveTrack::poll_timeout);
        [self.rtc.poll_timeout(), pacer]
            .into_iter()
            .flatten()
            .chain(tracks)
            .min()
    }

    fn poll_socket_request(&mut self) -> Option<SocketRequest> {
        self.rtc.poll_socket_request()
    }

    fn handle_socket_result(&mut self, now: Instant, result: SocketResult) {
        self.rtc.handle_socket_result(now, result);
        self.drain(now);
    }

    fn describe_timer(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.rtc.describe_timer(f)
    }

    fn accepts(&self, dgram: &Datagram<'_>) -> bool {
        self.rtc.accepts(dgram)
    }
}
