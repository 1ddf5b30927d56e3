//! Two wren-media peers in frame mode connected in memory (`wren_media::peer::testing::Wire`,
//! as `media/tests/frame_alloc.rs` uses it): binds granted, datagrams delivered at once,
//! candidates trickled, frames read with `poll_frame` into a reused buffer
//! (`MediaConfig::frame_events` off).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wren_core::Machine;
use wren_dtls::codes::SrtpProfileId;
use wren_dtls::identity::Identity;
use wren_media::cc::GccConfig;
use wren_media::peer::testing::Wire;
use wren_media::peer::{MediaCodec, MediaConfig, MediaPeer, MediaStats};
use wren_rtc::{Config, DtlsRole, Peer};
use wren_sdp::Direction;
use wren_sdp::jsep::{MediaKind, Transceiver};

use super::{BITRATE, Codec, Counts, FRAMES, Failure, MAX_STEPS, frames};

/// The SRTP profile (str0m's pick between two str0m instances; see the module doc).
pub const SRTP_PROFILE: SrtpProfileId = SrtpProfileId::SRTP_AEAD_AES_256_GCM;

/// Two wren-media peers; peer 0 writes frames, peer 1 reads them.
pub struct WrenFramePair {
    /// The peers, their sockets and the virtual clock.
    wire: Wire,
    /// When the next frame is due.
    slot: Instant,
    codec: Codec,
    mid: String,
    frames: Vec<Arc<[u8]>>,
    /// Frames written so far (the next one's index and media time).
    written: u64,
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
        let mut wire = Wire::new(now, peers);
        wire.negotiate().map_err(|e| format!("offer/answer: {e}"))?;
        if !wire.connect(Duration::from_secs(10)) {
            return Err("the wren-media peers did not connect".into());
        }
        let mut p = WrenFramePair {
            slot: wire.now,
            wire,
            codec,
            mid: String::new(),
            frames: frames(codec),
            written: 0,
            counts: Counts::default(),
        };
        let want = match codec {
            Codec::Vp8 => MediaCodec::Vp8,
            Codec::Opus => MediaCodec::Opus,
        };
        p.mid = p.wire.peers[0]
            .sending()
            .find(|&(_, c)| c == want)
            .map(|(mid, _)| mid.to_owned())
            .ok_or_else(|| format!("{want:?} was not negotiated"))?;
        p.slot = p.wire.now;
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
        let now = self.wire.now;
        self.wire.peers[0]
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
            let Some(next) = self
                .wire
                .peers
                .iter()
                .filter_map(Machine::poll_timeout)
                .min()
            else {
                break;
            };
            self.wire.now = next.max(self.wire.now);
            self.wire.timeouts();
        }
        Err("the frame did not arrive".into())
    }

    /// The sender's congestion controller's target, bit/s.
    #[must_use]
    pub fn target_bitrate(&self) -> u64 {
        self.wire.peers[0].target_bitrate()
    }

    /// The sender's (0) or receiver's (1) counters.
    #[must_use]
    pub fn stats(&self, i: usize) -> MediaStats {
        self.wire.peers[i].stats()
    }

    /// The SRTP profile each side reported as it connected.
    #[must_use]
    pub fn profiles(&self) -> [Option<SrtpProfileId>; 2] {
        self.wire.connected
    }

    /// Runs until `until`, timer by timer; a frame read meanwhile (none is expected: each
    /// was read by `send_one`) counts as wrong.
    fn run_until(&mut self, until: Instant) {
        let expected = usize::MAX;
        let delivered = self.wire.delivered[1];
        let (frames, counts) = (&self.frames, &mut self.counts);
        self.wire.run_until(until, &mut |i, _, bytes| {
            check(frames, expected, counts, i, bytes)
        });
        self.counts.datagrams += self.wire.delivered[1] - delivered;
    }

    /// Delivers everything pending; frames read on peer 1 are compared with frame
    /// `expected`.
    fn drain(&mut self, expected: usize) {
        let delivered = self.wire.delivered[1];
        let (frames, counts) = (&self.frames, &mut self.counts);
        self.wire
            .drain(&mut |i, _, bytes| check(frames, expected, counts, i, bytes));
        self.counts.datagrams += self.wire.delivered[1] - delivered;
    }
}

/// Counts a frame peer `i` read: intact when it is peer 1's and frame `expected` byte for
/// byte, wrong otherwise.
fn check(frames: &[Arc<[u8]>], expected: usize, counts: &mut Counts, i: usize, bytes: &[u8]) {
    match frames.get(expected) {
        Some(f) if i == 1 && bytes == &f[..] => {
            counts.intact += 1;
            counts.bytes += bytes.len() as u64;
        }
        _ => counts.wrong += 1,
    }
}
