//! A str0m 0.25 `Rtc` as a [`wren_core::Machine`], so that wren-netsim can run it: the
//! str0m side of the bandwidth-estimation baseline (`tests/bwe_str0m.rs`).
//!
//! str0m is driven as its docs ask: every input (`Input::Receive`, `Input::Timeout`, a
//! written RTP packet) is followed by `poll_output` until `Output::Timeout`; transmits are
//! queued for [`Machine::poll_transmit`]. It runs in RTP mode with the direct API, as
//! str0m's own BWE tests (`tests/bwe/common.rs`) do: the sender declares a video stream
//! (VP8 payload type, RTX) and the receiver expects it and sends transport-wide feedback.
//!
//! The sender is a perfect encoder: from [`Str0mPeer::start_media`] on it writes a video
//! frame every 1/30 s whose size is the current estimate over 30 (the latest
//! `Event::EgressBitrateEstimate`, the start bitrate before one; capped at the desired
//! bitrate, as libwebrtc caps an encoder's target at its max bitrate), cut into RTP packets of
//! at most [`PACKET_PAYLOAD`] bytes with the marker on the last, all `nackable` (str0m
//! keeps them for retransmission and reuses them for probes). str0m paces what it is
//! given.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use str0m::bwe::{Bitrate, BweKind};
use str0m::format::Codec;
use str0m::media::{MediaKind, Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::rtp::{RtpWrite, SeqNo};
use str0m::{Candidate, Event as RtcEvent, IceConnectionState, Input, Output, Rtc};
use wren_core::{Datagram, Machine, Transmit, Transport};

/// RTP payload bytes per packet at most (str0m's BWE tests use 1150: room for RTX).
pub const PACKET_PAYLOAD: usize = 1150;
/// Frames per second of the sender.
pub const FPS: u32 = 30;
/// The media section both sides declare.
const MID: &str = "vid";
/// The sender's SSRC and its RTX SSRC.
const SSRC: u32 = 42;
const RTX_SSRC: u32 = 44;

/// Which side a peer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Sends video, runs the estimator (`enable_bwe`), ICE controlling, DTLS client.
    Sender {
        /// The estimator's start bitrate, bit/s.
        start_bps: u64,
        /// The desired bitrate (`Bwe::set_bitrate`'s `desired`), bit/s.
        max_bps: u64,
    },
    /// Receives video and sends transport-wide feedback.
    Receiver,
}

/// What a peer reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PeerEvent {
    /// str0m's `Event::Connected` (DTLS and SRTP up): the streams are declared.
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
    /// RTP packets written (sender).
    pub rtp_written: u64,
    /// RTP packets str0m handed over (receiver).
    pub rtp_received: u64,
    /// `Event::EgressBitrateEstimate` (TWCC) events seen (sender).
    pub estimates: u64,
    /// Errors str0m returned from `handle_input` or `poll_output` (the input is dropped).
    pub errors: u64,
}

/// The video source of the sender.
#[derive(Debug)]
struct Source {
    pt: Pt,
    seq: u64,
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

/// The ICE and DTLS parameters one peer gives the other (what signaling would carry).
pub struct Params {
    fingerprint: str0m::config::Fingerprint,
    ice: str0m::IceCreds,
    addr: SocketAddr,
}

impl Str0mPeer {
    /// A peer at `local` (a host candidate) built at `now` with str0m's default crypto
    /// provider (aws-lc-rs).
    #[must_use]
    pub fn new(now: Instant, role: Role, local: SocketAddr) -> Str0mPeer {
        let crypto = Arc::new(str0m::crypto::from_feature_flags());
        let mut b = Rtc::builder()
            .set_rtp_mode(true)
            .set_crypto_provider(crypto);
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

    /// What this peer gives the other through signaling.
    pub fn params(&mut self, addr: SocketAddr) -> Params {
        let api = self.rtc.direct_api();
        Params {
            fingerprint: api.local_dtls_fingerprint().clone(),
            ice: api.local_ice_credentials(),
            addr,
        }
    }

    /// Takes the other peer's parameters and starts ICE and DTLS (the sender is ICE
    /// controlling and DTLS client).
    ///
    /// # Errors
    ///
    /// str0m's error when DTLS cannot start or the candidate is refused.
    pub fn connect(&mut self, now: Instant, remote: Params) -> Result<(), str0m::RtcError> {
        let sender = matches!(self.role, Role::Sender { .. });
        let c = Candidate::host(remote.addr, "udp")?;
        self.rtc.add_remote_candidate(c);
        let mut api = self.rtc.direct_api();
        api.set_remote_fingerprint(remote.fingerprint);
        api.set_remote_ice_credentials(remote.ice);
        api.set_ice_controlling(sender);
        api.start_dtls(sender)?;
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

    /// Declares the streams once connected (str0m's BWE tests do it then).
    fn declare(&mut self) {
        let mid: Mid = MID.into();
        let mut api = self.rtc.direct_api();
        api.declare_media(mid, MediaKind::Video);
        match self.role {
            Role::Sender { max_bps, .. } => {
                api.declare_stream_tx(SSRC.into(), Some(RTX_SSRC.into()), mid, None);
                let pt = self
                    .rtc
                    .codec_config()
                    .find(|p| p.spec().codec == Codec::Vp8)
                    .map(|p| p.pt());
                self.rtc
                    .bwe()
                    .set_bitrate(Bitrate::ZERO, Bitrate::from(max_bps));
                if let Some(pt) = pt {
                    self.source = Some(Source {
                        pt,
                        seq: 1,
                        frame: 0,
                        next: None,
                    });
                }
            }
            Role::Receiver => {
                api.expect_stream_rx(SSRC.into(), Some(RTX_SSRC.into()), mid, None);
                api.enable_twcc_feedback();
            }
        }
    }

    /// Writes the frames that are due, each followed by a drain (str0m's rule).
    fn produce(&mut self, now: Instant) {
        let frame_every = Duration::from_secs(1) / FPS;
        loop {
            let Some(src) = &mut self.source else { return };
            let Some(due) = src.next.filter(|&t| t <= now) else {
                return;
            };
            src.next = Some(due + frame_every);
            let frame = src.frame;
            src.frame += 1;
            let (pt, mut seq) = (src.pt, src.seq);
            let rate = match self.role {
                Role::Sender { max_bps, .. } => self.estimate_bps.min(max_bps),
                Role::Receiver => 0,
            };
            let bytes = usize::try_from(rate / 8 / u64::from(FPS)).unwrap_or(0);
            let packets = bytes.div_ceil(PACKET_PAYLOAD).max(1);
            let time = u32::try_from((frame * 90_000 / u64::from(FPS)) % (1 << 32)).unwrap_or(0);
            for i in 0..packets {
                let len = if i + 1 == packets {
                    bytes - PACKET_PAYLOAD * (packets - 1)
                } else {
                    PACKET_PAYLOAD
                };
                let payload = vec![0x10; len.max(1)];
                let mut api = self.rtc.direct_api();
                let Some(stream) = api.stream_tx(&SSRC.into()) else {
                    return;
                };
                stream.write_rtp(
                    RtpWrite::new(pt, SeqNo::from(seq), time, due, payload)
                        .marker(i + 1 == packets)
                        .nackable(true),
                );
                seq += 1;
                self.stats.rtp_written += 1;
                self.drain(now);
            }
            self.stats.frames_written += 1;
            if let Some(src) = &mut self.source {
                src.seq = seq;
            }
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
                self.declare();
                self.events.push_back(PeerEvent::Connected);
            }
            RtcEvent::EgressBitrateEstimate(BweKind::Twcc { estimate, .. }) => {
                self.estimate_bps = estimate.as_u64();
                self.stats.estimates += 1;
            }
            RtcEvent::RtpPacket(_) => self.stats.rtp_received += 1,
            RtcEvent::IceConnectionStateChange(IceConnectionState::Disconnected) => {}
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
