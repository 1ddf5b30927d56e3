//! Two wren-media peers in frame mode connected in memory (after
//! `media/tests/frame_alloc.rs`'s `Wire`): binds granted, datagrams delivered at once,
//! candidates trickled, frames read with `poll_frame` into a reused buffer
//! (`MediaConfig::frame_events` off).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wren_core::{Datagram, Machine, SocketRequest, SocketResult};
use wren_dtls::codes::SrtpProfileId;
use wren_dtls::identity::Identity;
use wren_media::cc::GccConfig;
use wren_media::peer::{Event, MediaCodec, MediaConfig, MediaPeer, MediaStats};
use wren_rtc::{Config, DtlsRole, Peer, SdpType, SessionDescription};
use wren_sdp::Direction;
use wren_sdp::jsep::{MediaKind, Transceiver};

use super::{BITRATE, Codec, Counts, FRAMES, Failure, MAX_STEPS, frames};

/// The SRTP profile (str0m's pick between two str0m instances; see the module doc).
pub const SRTP_PROFILE: SrtpProfileId = SrtpProfileId::SRTP_AEAD_AES_256_GCM;

/// Two wren-media peers; peer 0 writes frames, peer 1 reads them.
pub struct WrenFramePair {
    now: Instant,
    /// When the next frame is due.
    slot: Instant,
    peers: [MediaPeer; 2],
    owners: HashMap<SocketAddr, usize>,
    next_port: u16,
    buf: Vec<u8>,
    frame: Vec<u8>,
    connected: [bool; 2],
    codec: Codec,
    mid: String,
    frames: Vec<Arc<[u8]>>,
    /// Frames written so far (the next one's index and media time).
    written: u64,
    /// The SRTP profile each side reported as it connected.
    pub profiles: [Option<SrtpProfileId>; 2],
    /// What was counted since [`WrenFramePair::connect`] returned.
    pub counts: Counts,
}

fn peer(now: Instant, ip: [u8; 4], seed: u8, dir: Direction) -> Result<MediaPeer, Failure> {
    let identity = Arc::new(Identity::generate().map_err(|e| format!("identity: {e}"))?);
    let mut c = Config::new(
        wren_ice::Role::Controlled,
        DtlsRole::Server,
        vec![IpAddr::from(ip)],
        identity,
    );
    c.rng_seed = Some([seed; 32]);
    c.srtp_profiles = vec![SRTP_PROFILE];
    let mut rtc = Peer::new(now, c);
    rtc.add_transceiver(Transceiver::new(MediaKind::Audio, dir));
    rtc.add_transceiver(Transceiver::new(MediaKind::Video, dir));
    let config = MediaConfig {
        frame_events: false,
        gcc: GccConfig {
            start_bitrate_bps: BITRATE,
            max_bitrate_bps: BITRATE,
            initial_probes: false,
            ..GccConfig::default()
        },
        ..MediaConfig::default()
    };
    Ok(MediaPeer::new(now, rtc, config, u64::from(seed)))
}

impl WrenFramePair {
    /// Creates both peers at virtual time `now`, negotiates (peer 0 offers send-only audio
    /// and video, peer 1 answers receive-only), runs them until connected, then sends
    /// `warm_up` frames of `codec` (not counted).
    ///
    /// # Errors
    ///
    /// When they do not connect, the codec was not negotiated or a frame does not arrive.
    pub fn connect(now: Instant, codec: Codec, warm_up: usize) -> Result<WrenFramePair, Failure> {
        let peers = [
            peer(now, [10, 0, 0, 1], 1, Direction::SendOnly)?,
            peer(now, [10, 0, 0, 2], 2, Direction::RecvOnly)?,
        ];
        let mut p = WrenFramePair {
            now,
            slot: now,
            peers,
            owners: HashMap::new(),
            next_port: 50_000,
            buf: Vec::with_capacity(2048),
            frame: Vec::with_capacity(64 * 1024),
            connected: [false; 2],
            codec,
            mid: String::new(),
            frames: frames(codec),
            written: 0,
            profiles: [None; 2],
            counts: Counts::default(),
        };
        let err = |what: &'static str| move |e: wren_rtc::JsepError| format!("{what}: {e}");
        let sdp = p.peers[0]
            .rtc_mut()
            .create_offer(now)
            .map_err(err("offer"))?;
        let offer = SessionDescription {
            kind: SdpType::Offer,
            sdp,
        };
        let answerer = p.peers[1].rtc_mut();
        answerer
            .set_remote_description(now, &offer)
            .map_err(err("set offer"))?;
        let sdp = answerer.create_answer(now).map_err(err("answer"))?;
        let answer = SessionDescription {
            kind: SdpType::Answer,
            sdp,
        };
        p.peers[0]
            .rtc_mut()
            .set_remote_description(now, &answer)
            .map_err(err("set answer"))?;
        let end = now + Duration::from_secs(10);
        while p.connected != [true; 2] {
            if p.now >= end {
                return Err("the wren-media peers did not connect".into());
            }
            let until = p.now + Duration::from_millis(5);
            p.run_until(until);
        }
        let want = match codec {
            Codec::Vp8 => MediaCodec::Vp8,
            Codec::Opus => MediaCodec::Opus,
        };
        p.mid = p.peers[0]
            .sending()
            .find(|&(_, c)| c == want)
            .map(|(mid, _)| mid.to_owned())
            .ok_or_else(|| format!("{want:?} was not negotiated"))?;
        p.slot = p.now;
        for _ in 0..warm_up {
            if !p.send_one()? {
                return Err("a warm-up frame did not arrive intact".into());
            }
        }
        p.counts = Counts::default();
        Ok(p)
    }

    /// The next frame written on peer 0 at its time, then both peers driven (timers
    /// included, timer by timer) until peer 1 has read it. `Ok(true)` when it arrived
    /// byte for byte.
    ///
    /// # Errors
    ///
    /// When the frame is refused or does not arrive.
    pub fn send_one(&mut self) -> Result<bool, Failure> {
        self.slot += self.codec.interval();
        let slot = self.slot;
        self.run_until(slot);
        let index = (self.written % FRAMES as u64) as usize;
        let pts = self.codec.interval() * self.written as u32;
        let now = self.now;
        self.peers[0]
            .write_frame(now, &self.mid, pts, &self.frames[index])
            .map_err(|e| format!("write_frame: {e}"))?;
        self.written += 1;
        self.counts.sent += 1;
        let before = self.counts;
        for _ in 0..MAX_STEPS {
            self.drain(index);
            if self.counts.intact + self.counts.wrong > before.intact + before.wrong {
                return Ok(self.counts.wrong == before.wrong);
            }
            let Some(next) = self.peers.iter().filter_map(Machine::poll_timeout).min() else {
                break;
            };
            self.now = next.max(self.now);
            self.timeouts();
        }
        Err("the frame did not arrive".into())
    }

    /// The sender's congestion controller's target, bit/s.
    #[must_use]
    pub fn target_bitrate(&self) -> u64 {
        self.peers[0].target_bitrate()
    }

    /// The sender's (0) or receiver's (1) counters.
    #[must_use]
    pub fn stats(&self, i: usize) -> MediaStats {
        self.peers[i].stats()
    }

    /// `handle_timeout` for each peer whose deadline has come.
    fn timeouts(&mut self) {
        let now = self.now;
        for p in &mut self.peers {
            if p.poll_timeout().is_some_and(|t| t <= now) {
                p.handle_timeout(now);
            }
        }
    }

    /// Runs until `until`, timer by timer.
    fn run_until(&mut self, until: Instant) {
        loop {
            self.drain(usize::MAX);
            match self.peers.iter().filter_map(Machine::poll_timeout).min() {
                Some(t) if t <= until => {
                    self.now = t.max(self.now);
                    self.timeouts();
                }
                _ => {
                    self.now = until.max(self.now);
                    return;
                }
            }
        }
    }

    /// Delivers everything pending until nothing moves (binds granted, datagrams
    /// delivered, candidates trickled, frames read and compared with frame `expected`).
    fn drain(&mut self, expected: usize) {
        let now = self.now;
        loop {
            let mut moved = false;
            for i in 0..2 {
                while let Some(req) = self.peers[i].poll_socket_request() {
                    moved = true;
                    if let SocketRequest::Bind {
                        addr, transport, ..
                    } = req
                    {
                        self.next_port += 1;
                        let bound = SocketAddr::new(addr.ip(), self.next_port);
                        self.owners.insert(bound, i);
                        let result = SocketResult::of_bind(addr, transport, Ok(bound));
                        self.peers[i].handle_socket_result(now, result);
                    }
                }
                self.buf.clear();
                while let Some(t) = self.peers[i].poll_transmit(now, &mut self.buf) {
                    moved = true;
                    if let (Some(&j), Some(src)) = (self.owners.get(&t.destination), t.source) {
                        if j == 1 {
                            self.counts.datagrams += 1;
                        }
                        let d = Datagram::udp(src, t.destination, &self.buf);
                        self.peers[j].handle_datagram(now, d);
                    }
                    self.buf.clear();
                }
                while let Some(e) = self.peers[i].poll_event() {
                    moved = true;
                    match e {
                        Event::Rtc(wren_rtc::Event::LocalCandidate(c)) => {
                            let _ = self.peers[1 - i].rtc_mut().add_remote_candidate(now, c);
                        }
                        Event::Rtc(wren_rtc::Event::Connected { profile, .. }) => {
                            self.connected[i] = true;
                            self.profiles[i] = Some(profile);
                        }
                        _ => {}
                    }
                }
                while self.peers[i].poll_frame(now, &mut self.frame).is_some() {
                    moved = true;
                    match self.frames.get(expected) {
                        Some(f) if i == 1 && self.frame[..] == f[..] => {
                            self.counts.intact += 1;
                            self.counts.bytes += self.frame.len() as u64;
                        }
                        _ => self.counts.wrong += 1,
                    }
                }
            }
            if !moved {
                return;
            }
        }
    }
}
