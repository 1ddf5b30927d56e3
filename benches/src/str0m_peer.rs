//! A str0m 0.25 `Rtc` as a [`wren_core::Machine`], so that wren-netsim can run it: the
//! str0m side of the bandwidth-estimation baseline (`tests/bwe_str0m.rs`).
//!
//! str0m is driven as its docs ask: every input (`Input::Receive`, `Input::Timeout`, a
//! written RTP packet) is followed by `poll_output` until `Output::Timeout`; transmits are
//! queued for [`Machine::poll_transmit`]. It runs in frame mode: the two peers negotiate
//! with SDP ([`Str0mPeer::offer`], [`Str0mPeer::accept_offer`], [`Str0mPeer::accept_answer`]:
//! one send-only video m-line; str0m's defaults offer VP8 with RTX, NACK, the
//! transport-wide sequence number and transport-cc feedback), and the sender hands whole
//! frames to `Rtc::writer(mid).write(pt, wallclock, rtp_time, data)`, which packetizes
//! (VP8), paces and keeps them for retransmission.
//!
//! The sender is a perfect encoder: from [`Str0mPeer::start_media`] on it writes a video
//! frame every 1/30 s whose size is the current estimate over 30 (the latest
//! `Event::EgressBitrateEstimate`, the start bitrate before one; capped at the desired
//! bitrate, as libwebrtc caps an encoder's target at its max bitrate). The estimate is
//! what str0m's API says to allocate media from; note that str0m counts RTP payload
//! bytes in it (`Session::poll_packet` registers `payload_size` with the TWCC register),
//! so headers, SRTP tags, RTX and padding come on top on the wire.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use str0m::bwe::{Bitrate, BweKind};
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{Direction, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event as RtcEvent, Input, Output, Rtc, RtcError};
use wren_core::{Datagram, Machine, Transmit, Transport};

/// Frames per second of the sender.
pub const FPS: u32 = 30;

/// Which side a peer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Sends video (the SDP offerer), runs the estimator (`enable_bwe`).
    Sender {
        /// The estimator's start bitrate, bit/s.
        start_bps: u64,
        /// The desired bitrate (`Bwe::set_bitrate`'s `desired`), bit/s.
        max_bps: u64,
    },
    /// Receives video (the SDP answerer) and sends transport-wide feedback.
    Receiver,
}

/// What a peer reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PeerEvent {
    /// str0m's `Event::Connected` (DTLS and SRTP up).
    Connected,
}

/// What a peer counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeerStats {
    /// UDP payload bytes handed out to send (RTP, RTCP, STUN, DTLS, padding, probes).
    pub bytes_sent: u64,
    /// Datagrams handed out to send.
    pub datagrams_sent: u64,
    /// Video frames written (sender).
    pub frames_written: u64,
    /// Bytes of the frames written (sender).
    pub frame_bytes_written: u64,
    /// Frames str0m handed over as `Event::MediaData` (receiver).
    pub frames_received: u64,
    /// `Event::EgressBitrateEstimate` (TWCC) events seen (sender).
    pub estimates: u64,
    /// Errors str0m returned from `handle_input`, `poll_output` or a frame write (the
    /// input or frame is dropped).
    pub errors: u64,
}

/// The video source of the sender.
#[derive(Debug)]
struct Source {
    mid: Mid,
    frame: u64,
    /// When the next frame is due (`None` until media starts).
    next: Option<Instant>,
}

/// A str0m `Rtc` on wren-netsim.
pub struct Str0mPeer {
    rtc: Rtc,
    role: Role,
    out: VecDeque<str0m::net::Transmit>,
    events: VecDeque<PeerEvent>,
    rtc_timeout: Option<Instant>,
    source: Option<Source>,
    estimate_bps: u64,
    connected: bool,
    stats: PeerStats,
}

impl std::fmt::Debug for Str0mPeer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Str0mPeer")
            .field("role", &self.role)
            .field("estimate_bps", &self.estimate_bps)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Str0mPeer {
    /// A peer at `local` (a host candidate) built at `now` with str0m's default crypto
    /// provider (aws-lc-rs).
    #[must_use]
    pub fn new(now: Instant, role: Role, local: SocketAddr) -> Str0mPeer {
        let crypto = Arc::new(str0m::crypto::from_feature_flags());
        let mut b = Rtc::builder().set_crypto_provider(crypto);
        let mut estimate_bps = 0;
        if let Role::Sender { start_bps, .. } = role {
            b = b.enable_bwe(Some(Bitrate::from(start_bps)));
            estimate_bps = start_bps;
        }
        let mut rtc = b.build(now);
        if let Ok(c) = Candidate::host(local, "udp") {
            rtc.add_local_candidate(c);
        }
        Str0mPeer {
            rtc,
            role,
            out: VecDeque::new(),
            events: VecDeque::new(),
            rtc_timeout: Some(now),
            source: None,
            estimate_bps,
            connected: false,
            stats: PeerStats::default(),
        }
    }

    /// The sender's offer: one send-only video m-line (`None` if str0m has no change to
    /// offer, which a fresh `Rtc` always has).
    pub fn offer(&mut self, now: Instant) -> Option<(SdpOffer, SdpPendingOffer)> {
        let mut change = self.rtc.sdp_api();
        let mid = change.add_media(MediaKind::Video, Direction::SendOnly, None, None, None);
        let offer = change.apply()?;
        self.source = Some(Source {
            mid,
            frame: 0,
            next: None,
        });
        self.drain(now);
        Some(offer)
    }

    /// The receiver's answer to `offer`.
    ///
    /// # Errors
    ///
    /// str0m's error when the offer is refused.
    pub fn accept_offer(&mut self, now: Instant, offer: SdpOffer) -> Result<SdpAnswer, RtcError> {
        let answer = self.rtc.sdp_api().accept_offer(offer)?;
        self.drain(now);
        Ok(answer)
    }

    /// The sender takes the receiver's answer; ICE and DTLS start.
    ///
    /// # Errors
    ///
    /// str0m's error when the answer is refused.
    pub fn accept_answer(
        &mut self,
        now: Instant,
        pending: SdpPendingOffer,
        answer: SdpAnswer,
    ) -> Result<(), RtcError> {
        self.rtc.sdp_api().accept_answer(pending, answer)?;
        self.drain(now);
        Ok(())
    }

    /// Starts the video source (sender): the first frame now, then one every 1/30 s.
    pub fn start_media(&mut self, now: Instant) {
        if let Some(s) = &mut self.source {
            s.next = Some(now);
        }
        self.produce(now);
        self.drain(now);
    }

    /// Whether str0m reported `Event::Connected`.
    #[must_use]
    pub fn connected(&self) -> bool {
        self.connected
    }

    /// The latest TWCC estimate, bit/s (the start bitrate before the first).
    #[must_use]
    pub fn estimate_bps(&self) -> u64 {
        self.estimate_bps
    }

    /// The counters.
    #[must_use]
    pub fn stats(&self) -> PeerStats {
        self.stats
    }

    /// Once connected, the sender tells the estimator the rate it wants (str0m probes
    /// toward it).
    fn configure(&mut self) {
        if let Role::Sender { max_bps, .. } = self.role {
            self.rtc
                .bwe()
                .set_bitrate(Bitrate::ZERO, Bitrate::from(max_bps));
        }
    }

    /// Writes the frames that are due, each followed by a drain (str0m's rule).
    fn produce(&mut self, now: Instant) {
        let frame_every = Duration::from_secs(1) / FPS;
        let Role::Sender { max_bps, .. } = self.role else {
            return;
        };
        loop {
            let Some(src) = &mut self.source else { return };
            let Some(due) = src.next.filter(|&t| t <= now) else {
                return;
            };
            src.next = Some(due + frame_every);
            let (mid, frame) = (src.mid, src.frame);
            src.frame += 1;
            let rate = self.estimate_bps.min(max_bps);
            let bytes = usize::try_from(rate / 8 / u64::from(FPS))
                .unwrap_or(0)
                .max(1);
            let time = MediaTime::from_90khz(frame * 90_000 / u64::from(FPS));
            let Some(writer) = self.rtc.writer(mid) else {
                self.stats.errors += 1;
                return;
            };
            let Some(pt) = writer
                .payload_params()
                .find(|p| p.spec().codec == Codec::Vp8)
                .map(|p| p.pt())
            else {
                self.stats.errors += 1;
                return;
            };
            match writer.write(pt, due, time, vec![0x10; bytes]) {
                Ok(()) => {
                    self.stats.frames_written += 1;
                    self.stats.frame_bytes_written += bytes as u64;
                }
                Err(_) => self.stats.errors += 1,
            }
            self.drain(now);
        }
    }

    /// `poll_output` until `Output::Timeout`.
    fn drain(&mut self, now: Instant) {
        loop {
            match self.rtc.poll_output() {
                Ok(Output::Timeout(t)) => {
                    self.rtc_timeout = Some(t);
                    return;
                }
                Ok(Output::Transmit(t)) => {
                    self.stats.bytes_sent += t.contents.len() as u64;
                    self.stats.datagrams_sent += 1;
                    self.out.push_back(t);
                }
                Ok(Output::Event(e)) => self.event(now, e),
                Err(_) => {
                    self.stats.errors += 1;
                    self.rtc_timeout = Some(now + Duration::from_millis(1));
                    return;
                }
            }
        }
    }

    fn event(&mut self, _now: Instant, e: RtcEvent) {
        match e {
            RtcEvent::Connected => {
                self.connected = true;
                self.configure();
                self.events.push_back(PeerEvent::Connected);
            }
            RtcEvent::EgressBitrateEstimate(BweKind::Twcc { estimate, .. }) => {
                self.estimate_bps = estimate.as_u64();
                self.stats.estimates += 1;
            }
            RtcEvent::MediaData(_) => self.stats.frames_received += 1,
            _ => {}
        }
    }
}

impl Machine for Str0mPeer {
    type Event = PeerEvent;
    type Command = Infallible;
    type Error = Infallible;

    fn handle_datagram(&mut self, now: Instant, d: Datagram<'_>) {
        let Ok(r) = Receive::new(Protocol::Udp, d.source, d.destination, d.payload) else {
            self.stats.errors += 1;
            return;
        };
        if self.rtc.handle_input(Input::Receive(now, r)).is_err() {
            self.stats.errors += 1;
        }
        self.drain(now);
    }

    fn handle_command(&mut self, _now: Instant, cmd: Infallible) -> Result<(), Infallible> {
        match cmd {}
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.rtc_timeout.is_some_and(|t| t <= now) {
            if self.rtc.handle_input(Input::Timeout(now)).is_err() {
                self.stats.errors += 1;
            }
            self.drain(now);
        }
        self.produce(now);
    }

    fn poll_transmit(&mut self, _now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        let t = self.out.pop_front()?;
        buf.extend_from_slice(&t.contents);
        Some(Transmit::new(Transport::Udp, Some(t.source), t.destination))
    }

    fn poll_event(&mut self) -> Option<PeerEvent> {
        self.events.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        let frame = self.source.as_ref().and_then(|s| s.next);
        [self.rtc_timeout, frame].into_iter().flatten().min()
    }
}
