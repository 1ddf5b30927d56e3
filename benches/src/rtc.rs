//! What `benches/rtc.rs` and `tests/rtc_pairs.rs` share: two wren-rtc peers and two str0m
//! 0.25 `Rtc`s, each pair connected in memory on a virtual clock, sending RTP packets of
//! [`PAYLOAD`] bytes from the first to the second through the whole stack (RTP, SRTP
//! protect, ICE, the RFC 7983 demultiplexing, SRTP unprotect).
//!
//! Both pairs are driven the way their crates ask to be driven, and both do the same
//! work per packet:
//!
//! - wren-rtc ([`WrenPair`]): `send_rtp_into` into a reused buffer, `receive` into
//!   another; then, as a generic driver would after its inputs, `handle_timeout` for a
//!   peer whose deadline (its last `poll_timeout`) has come, `poll_transmit` (delivered to
//!   the other peer, until neither has more), `poll_event`, and `poll_timeout` once per
//!   peer.
//! - str0m ([`Str0mPair`]): `StreamTx::write_rtp`, then `poll_output` until
//!   `Output::Timeout` on each side (str0m's rule: drain after every input),
//!   `Output::Transmit` fed to the other side's `handle_input(Input::Receive(..))`, the
//!   packet coming out as `Event::RtpPacket`, and `Input::Timeout` when a deadline has
//!   come.
//!
//! The SRTP profile is the same: two str0m instances always agree on
//! SRTP_AEAD_AES_256_GCM (dimpl's server picks AES-256-GCM, AES-128-GCM, AES-CM-SHA1-80 in
//! that order, and dimpl's client offers all three), so the wren-rtc peers are configured with
//! [`WREN_PROFILE`], that profile only (their default would be AES-128-GCM).
//!
//! Media streams: str0m in RTP mode needs its streams declared (`declare_stream_tx`,
//! `expect_stream_rx`) and keeps receive statistics and RTCP for them; its packets are
//! written `nackable`, so it keeps them for retransmission as wren-rtc keeps every packet
//! of a configured send stream; it writes abs-send-time and a transport-wide sequence
//! number into every packet, and its receiver is told to send transport-wide feedback.
//! [`WrenMode::Streams`] configures the same on wren-rtc (a video send stream, a receive
//! stream with NACK, the transport-wide sequence number at str0m's id, so stamped and fed
//! back); [`WrenMode::Bare`] sends the same bytes on peers with no streams and no
//! extension configured (SRTP, ICE and demux only), for the cost of those parts. Both
//! put 1,240-byte SRTP datagrams on the wire (12-byte header, 12 bytes of header
//! extension, the payload, the 16-byte tag).
//!
//! Both carry an SCTP association (no data channel open): wren-rtc starts one as DTLS
//! connects, and str0m's is started through its direct API (`start_sctp`) to match
//! ([`Str0mMode::WithSctp`]). [`Str0mMode::RtpOnly`] leaves it off, as an RTP-only str0m
//! application can.
//!
//! Virtual time moves [`STEP`] per packet (1,200-byte packets every 100 µs: 96 Mbit/s of
//! payload), so both stacks' RTCP and ICE consent timers fire as they would in a call.

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use str0m::format::Codec;
use str0m::media::{MediaKind as Str0mKind, Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::rtp::{RtpWrite, SeqNo, Ssrc};
use str0m::{Candidate, Event as Str0mEvent, Input, Output, Rtc};
use wren_core::{Datagram, Machine};
use wren_dtls::codes::SrtpProfileId;
use wren_rtc::testing::Pair;
use wren_rtc::{Event, ExtensionIds, MediaKind, MediaStats, ReceiveStream, Received, SendStream};

/// RTP payload bytes per packet (the RTP packet is 12 bytes more).
pub const PAYLOAD: usize = 1200;
/// Virtual time between two packets.
pub const STEP: Duration = Duration::from_micros(100);
/// The SRTP profile both pairs use (see the module doc).
pub const WREN_PROFILE: SrtpProfileId = SrtpProfileId::SRTP_AEAD_AES_256_GCM;
/// The sender's SSRC in both pairs.
pub const SSRC: u32 = 0x1234_5678;
/// The RTP payload type of the wren-rtc packets (str0m's is its VP8 payload type).
pub const PT: u8 = 96;
/// str0m's default header extension ids (`ExtensionMap::standard`), which it writes into
/// every packet: abs-send-time and the transport-wide sequence number.
pub const ABS_SEND_TIME_ID: u8 = 2;
/// See [`ABS_SEND_TIME_ID`].
pub const TWCC_ID: u8 = 3;
/// How many steps either pair may take to connect before giving up.
const MAX_STEPS: usize = 10_000;

/// A harness failure: what went wrong, as text (only ever built on the error path).
pub type Failure = String;

/// Which wren-rtc configuration a [`WrenPair`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrenMode {
    /// No streams configured: SRTP, ICE and demux only.
    Bare,
    /// A video send stream on the sender and its receive stream (with NACK) on the
    /// receiver: send history, receive statistics, RTCP (as str0m's declared streams).
    Streams,
}

/// Whether a [`Str0mPair`] starts SCTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Str0mMode {
    /// SCTP started on both sides (no channel open), as wren-rtc always has it: the
    /// same work.
    WithSctp,
    /// No SCTP: str0m as an RTP-only application (an SFU) runs it, which wren-rtc
    /// cannot do.
    RtpOnly,
}

/// What a pair counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// RTP packets handed to the sender.
    pub sent: u64,
    /// RTP packets the receiver handed back, with [`PAYLOAD`] bytes of payload.
    pub received: u64,
    /// Datagrams delivered from one peer to the other since connecting: the RTP packets
    /// and what the stacks sent of their own (RTCP, STUN consent checks).
    pub delivered: u64,
    /// Bytes of the last RTP datagram on the wire (SRTP, as ICE sent it).
    pub wire_len: usize,
}

fn payload() -> Vec<u8> {
    (0..PAYLOAD).map(|i| i as u8).collect()
}

/// Two wren-rtc peers connected in memory; peer 0 sends to peer 1.
pub struct WrenPair {
    pair: Pair,
    packet: Vec<u8>,
    tx: Vec<u8>,
    rx: Vec<u8>,
    seq: u16,
    start: Instant,
    deadlines: [Option<Instant>; 2],
    /// What was counted since connecting.
    pub counts: Counts,
    /// The SRTP profile both sides reported in `Event::Connected`.
    pub profiles: [Option<SrtpProfileId>; 2],
}

impl WrenPair {
    /// Creates both peers at virtual time `now` (certificates, direct parameters), runs
    /// them until connected (SRTP keyed) and configures `mode`'s streams.
    ///
    /// # Errors
    ///
    /// When they do not connect or a stream is refused.
    pub fn connect(now: Instant, mode: WrenMode) -> Result<WrenPair, Failure> {
        let mut pair = Pair::connected_with(now, 7, |c| {
            c.srtp_profiles = vec![WREN_PROFILE];
            if mode == WrenMode::Streams {
                c.media.extensions = ExtensionIds::default().with_twcc(TWCC_ID);
            }
        })
        .ok_or("the wren-rtc peers did not connect")?;
        let profile = |events: &Vec<Event>| {
            events.iter().find_map(|e| match e {
                Event::Connected { profile, .. } => Some(*profile),
                _ => None,
            })
        };
        let profiles = [profile(&pair.events[0]), profile(&pair.events[1])];
        if mode == WrenMode::Streams {
            pair.peers[0]
                .add_send_stream(SendStream::new(SSRC, MediaKind::Video, 90_000))
                .map_err(|e| format!("send stream: {e}"))?;
            let mut rs = ReceiveStream::new(SSRC, MediaKind::Video, 90_000);
            rs.nack = true;
            pair.peers[1]
                .add_receive_stream(rs)
                .map_err(|e| format!("receive stream: {e}"))?;
        }
        // RFC 8285 one-byte elements: abs-send-time (id 2, 3 bytes), the transport-wide
        // sequence number (id 3, 2 bytes), one byte of padding; as str0m writes them.
        let mut packet = vec![0x90, PT, 0, 0, 0, 0, 0, 0];
        packet.extend_from_slice(&SSRC.to_be_bytes());
        packet.extend_from_slice(&[0xbe, 0xde, 0, 2]);
        packet.extend_from_slice(&[ABS_SEND_TIME_ID << 4 | 2, 0, 0, 0]);
        packet.extend_from_slice(&[TWCC_ID << 4 | 1, 0, 0, 0]);
        packet.extend_from_slice(&payload());
        Ok(WrenPair {
            packet,
            tx: Vec::with_capacity(2048),
            rx: Vec::with_capacity(2048),
            seq: 0,
            start: now,
            deadlines: [0, 1].map(|i| pair.peers[i].poll_timeout()),
            pair,
            counts: Counts::default(),
            profiles,
        })
    }

    /// The virtual time now.
    #[must_use]
    pub fn now(&self) -> Instant {
        self.pair.now
    }

    /// One packet from peer 0 to peer 1, then both peers serviced. `Ok(true)` when it
    /// arrived.
    ///
    /// # Errors
    ///
    /// When the sender refuses it or writes nothing.
    pub fn send_one(&mut self) -> Result<bool, Failure> {
        self.pair.now += STEP;
        let now = self.pair.now;
        self.seq = self.seq.wrapping_add(1);
        self.packet[2..4].copy_from_slice(&self.seq.to_be_bytes());
        let ts = u32::from(self.seq).wrapping_mul(90);
        self.packet[4..8].copy_from_slice(&ts.to_be_bytes());
        // abs-send-time: seconds in 6.18 fixed point, 24 bits (the application's to write
        // in wren-rtc; str0m writes it itself).
        let since = now.duration_since(self.start).as_nanos();
        let abs = ((since << 18) / 1_000_000_000) as u32;
        self.packet[17..20].copy_from_slice(&abs.to_be_bytes()[1..]);
        self.tx.clear();
        let t = self.pair.peers[0]
            .send_rtp_into(now, &self.packet, &mut self.tx)
            .map_err(|e| format!("send_rtp_into: {e}"))?
            .ok_or("send_rtp_into wrote nothing on a direct pair")?;
        self.counts.sent += 1;
        self.counts.delivered += 1;
        self.counts.wire_len = self.tx.len();
        let src = t.source.ok_or("a transmit without a source")?;
        let got = self.pair.peers[1].receive(
            now,
            Datagram::udp(src, t.destination, &self.tx),
            &mut self.rx,
        );
        let arrived = got == Received::Rtp && self.rx.len() == self.packet.len();
        if arrived {
            self.counts.received += 1;
        }
        self.service();
        Ok(arrived)
    }

    /// What a driver does after each input: due timers, transmits (delivered to the
    /// other peer, until neither has more), events, and each peer's next deadline
    /// (`poll_timeout`, kept for the next round as str0m's `Output::Timeout` is).
    fn service(&mut self) {
        let now = self.pair.now;
        for i in 0..2 {
            if self.deadlines[i].is_some_and(|t| t <= now) {
                self.pair.peers[i].handle_timeout(now);
            }
        }
        loop {
            let mut moved = false;
            for i in 0..2 {
                loop {
                    self.tx.clear();
                    let Some(t) = self.pair.peers[i].poll_transmit(now, &mut self.tx) else {
                        break;
                    };
                    let (Some(to), Some(src)) = (self.pair.owner(t.destination), t.source) else {
                        continue;
                    };
                    moved = true;
                    self.counts.delivered += 1;
                    let d = Datagram::udp(src, t.destination, &self.tx);
                    let _ = self.pair.peers[to].receive(now, d, &mut self.rx);
                }
                while self.pair.peers[i].poll_event().is_some() {}
            }
            if !moved {
                break;
            }
        }
        self.deadlines = [0, 1].map(|i| self.pair.peers[i].poll_timeout());
    }

    /// Peer `i`'s media statistics (0 sends, 1 receives).
    #[must_use]
    pub fn media_stats(&self, i: usize) -> MediaStats {
        self.pair.peers[i].media_stats()
    }

    /// The receiver's count of RTP packets received (`Stats::rtp_received`).
    #[must_use]
    pub fn receiver_rtp_received(&self) -> u64 {
        self.pair.peers[1].stats().rtp_received
    }
}

/// Creates two wren-rtc peers and runs them until the first media packet arrives (with
/// streams configured, as str0m needs); returns the virtual time that took.
///
/// # Errors
///
/// When they do not connect or the packet does not arrive.
pub fn wren_time_to_media(now: Instant) -> Result<Duration, Failure> {
    let mut p = WrenPair::connect(now, WrenMode::Streams)?;
    if !p.send_one()? {
        return Err("the first wren-rtc packet did not arrive".into());
    }
    Ok(p.now().duration_since(now))
}

fn host(ip: [u8; 4], port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::from(ip), port))
}

/// Two str0m 0.25 `Rtc`s in RTP mode connected in memory; `rtcs[0]` sends to `rtcs[1]`.
pub struct Str0mPair {
    rtcs: [Rtc; 2],
    addrs: [SocketAddr; 2],
    deadlines: [Instant; 2],
    connected: [bool; 2],
    now: Instant,
    queue: VecDeque<(usize, str0m::net::Transmit)>,
    payload: Arc<[u8]>,
    pt: Pt,
    seq: u64,
    /// What was counted since connecting.
    pub counts: Counts,
}

impl Str0mPair {
    /// Creates both `Rtc`s at virtual time `now` (certificates with str0m's default
    /// crypto provider, aws-lc-rs; direct API: candidates, ICE credentials, fingerprints,
    /// DTLS roles, and with [`Str0mMode::WithSctp`] SCTP started as wren-rtc starts
    /// it), runs them until both report `Event::Connected`, and declares the
    /// video stream on both sides.
    ///
    /// # Errors
    ///
    /// When they do not connect or str0m returns an error.
    pub fn connect(now: Instant, mode: Str0mMode) -> Result<Str0mPair, Failure> {
        let crypto = Arc::new(str0m::crypto::from_feature_flags());
        let build = || {
            Rtc::builder()
                .set_rtp_mode(true)
                .set_crypto_provider(crypto.clone())
                .build(now)
        };
        let addrs = [host([10, 0, 0, 1], 50_001), host([10, 0, 0, 2], 50_002)];
        let mut rtcs = [build(), build()];
        for i in 0..2 {
            let local = Candidate::host(addrs[i], "udp").map_err(|e| format!("{e}"))?;
            let remote = Candidate::host(addrs[1 - i], "udp").map_err(|e| format!("{e}"))?;
            rtcs[i].add_local_candidate(local);
            rtcs[i].add_remote_candidate(remote);
        }
        let fingerprints = [0, 1].map(|i| rtcs[i].direct_api().local_dtls_fingerprint().clone());
        let creds = [0, 1].map(|i| rtcs[i].direct_api().local_ice_credentials());
        for i in 0..2 {
            let mut api = rtcs[i].direct_api();
            api.set_remote_fingerprint(fingerprints[1 - i].clone());
            api.set_remote_ice_credentials(creds[1 - i].clone());
            api.set_ice_controlling(i == 0);
            api.start_dtls(i == 0)
                .map_err(|e| format!("start_dtls: {e}"))?;
            // wren-rtc starts SCTP as DTLS connects (the DTLS client sends INIT); str0m's
            // direct API starts it when told. Both then carry an idle association.
            if mode == Str0mMode::WithSctp {
                api.start_sctp(i == 0);
            }
        }
        let pt = rtcs[0]
            .codec_config()
            .find(|p| p.spec().codec == Codec::Vp8)
            .map(|p| p.pt())
            .ok_or("str0m has no VP8 payload type")?;
        let mut pair = Str0mPair {
            rtcs,
            addrs,
            deadlines: [now; 2],
            connected: [false; 2],
            now,
            queue: VecDeque::with_capacity(16),
            payload: payload().into(),
            pt,
            seq: 0,
            counts: Counts::default(),
        };
        for _ in 0..MAX_STEPS {
            pair.timeouts()?;
            if pair.connected == [true, true] {
                pair.declare();
                pair.counts = Counts::default();
                return Ok(pair);
            }
            pair.now = pair.deadlines[0].min(pair.deadlines[1]).max(pair.now);
        }
        Err("the str0m peers did not connect".into())
    }

    /// The streams: a video media "vid" on both, SSRC [`SSRC`] sent by 0, expected by 1.
    fn declare(&mut self) {
        let mid: Mid = "vid".into();
        let ssrc: Ssrc = SSRC.into();
        for rtc in &mut self.rtcs {
            rtc.direct_api().declare_media(mid, Str0mKind::Video);
        }
        self.rtcs[0]
            .direct_api()
            .declare_stream_tx(ssrc, None, mid, None);
        let mut api = self.rtcs[1].direct_api();
        api.expect_stream_rx(ssrc, None, mid, None);
        api.enable_twcc_feedback();
    }

    /// The virtual time now.
    #[must_use]
    pub fn now(&self) -> Instant {
        self.now
    }

    /// `Input::Timeout` to each side whose deadline has come, then everything drained.
    fn timeouts(&mut self) -> Result<(), Failure> {
        for i in 0..2 {
            if self.deadlines[i] <= self.now {
                self.rtcs[i]
                    .handle_input(Input::Timeout(self.now))
                    .map_err(|e| format!("timeout: {e}"))?;
            }
            self.drain(i)?;
        }
        self.deliver()
    }

    /// `poll_output` of side `i` until `Output::Timeout`.
    fn drain(&mut self, i: usize) -> Result<(), Failure> {
        loop {
            match self.rtcs[i]
                .poll_output()
                .map_err(|e| format!("poll_output: {e}"))?
            {
                Output::Timeout(t) => {
                    self.deadlines[i] = t;
                    return Ok(());
                }
                Output::Transmit(t) => self.queue.push_back((1 - i, t)),
                Output::Event(Str0mEvent::Connected) => self.connected[i] = true,
                Output::Event(Str0mEvent::RtpPacket(p)) => {
                    if i == 1 && p.payload.len() == PAYLOAD {
                        self.counts.received += 1;
                    }
                }
                Output::Event(_) => {}
            }
        }
    }

    /// Every queued transmit fed to its side (and that side drained), until none is left.
    fn deliver(&mut self) -> Result<(), Failure> {
        while let Some((to, t)) = self.queue.pop_front() {
            if t.destination != self.addrs[to] {
                continue;
            }
            let contents = (&t.contents[..])
                .try_into()
                .map_err(|e| format!("datagram: {e:?}"))?;
            let input = Input::Receive(
                self.now,
                Receive {
                    proto: Protocol::Udp,
                    source: t.source,
                    destination: t.destination,
                    contents,
                },
            );
            self.counts.delivered += 1;
            if to == 1 && t.contents.len() > PAYLOAD {
                self.counts.wire_len = t.contents.len();
            }
            self.rtcs[to]
                .handle_input(input)
                .map_err(|e| format!("handle_input: {e}"))?;
            self.drain(to)?;
        }
        Ok(())
    }

    /// One packet from side 0 to side 1, then both sides serviced. `Ok(true)` when it
    /// arrived.
    ///
    /// # Errors
    ///
    /// When str0m returns an error or the stream is gone.
    pub fn send_one(&mut self) -> Result<bool, Failure> {
        self.now += STEP;
        self.seq += 1;
        let before = self.counts.received;
        let ssrc: Ssrc = SSRC.into();
        let mut api = self.rtcs[0].direct_api();
        let stream = api.stream_tx(&ssrc).ok_or("no send stream")?;
        let write = RtpWrite::new(
            self.pt,
            SeqNo::from(self.seq),
            (self.seq as u32).wrapping_mul(90),
            self.now,
            self.payload.clone(),
        )
        .nackable(true);
        stream.write_rtp(write);
        self.counts.sent += 1;
        // Drained as str0m asks after every change: its `Output::Timeout` is then "now",
        // and the `Input::Timeout` that follows releases the packet; the receiver's
        // events come out of `deliver`.
        self.drain(0)?;
        self.timeouts()?;
        Ok(self.counts.received > before)
    }
}

/// Creates two str0m `Rtc`s and runs them until the first media packet arrives; returns
/// the virtual time that took.
///
/// # Errors
///
/// When they do not connect or the packet does not arrive.
pub fn str0m_time_to_media(now: Instant) -> Result<Duration, Failure> {
    let mut p = Str0mPair::connect(now, Str0mMode::WithSctp)?;
    if !p.send_one()? {
        return Err("the first str0m packet did not arrive".into());
    }
    Ok(p.now().duration_since(now))
}
