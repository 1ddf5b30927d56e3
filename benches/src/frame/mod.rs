//! What `benches/frame.rs` and `tests/frame_pairs.rs` share: two wren-media peers
//! ([`WrenFramePair`]) and two str0m 0.25 `Rtc`s ([`Str0mFramePair`]), each pair
//! negotiated with SDP and connected in memory on a virtual clock, in frame mode: one
//! encoded frame written on the first peer, read whole on the second.
//!
//! Everything between the two calls is the stacks' own work: packetizing, pacing,
//! transport-wide numbering, SRTP protect, ICE, the RFC 7983 demultiplexing, SRTP
//! unprotect, the jitter buffer (wren-media) or depacketizing buffer (str0m) and
//! depacketizing into a whole frame; plus their timers (RTCP reports, transport-wide
//! feedback and the estimator fed by it, ICE consent) as virtual time moves one frame
//! interval ([`Codec::interval`]) per frame.
//!
//! Both run their bandwidth estimator and pacer, started and capped at [`BITRATE`]
//! (wren-media: `GccConfig` start = max, no initial probes; str0m: `enable_bwe` at it and
//! `set_bitrate(0, BITRATE)`), far above what the frames need, so that no pacer holds a
//! frame back for lack of budget. str0m's estimator still sends datagrams of its own
//! (with VP8, 1,123 from sender to receiver for 180 frames in `tests/frame_pairs.rs`,
//! 964 without it; wren-media 939), so [`Str0mBwe::Off`] runs str0m without an
//! estimator too (its null pacer), which wren-media cannot do. Both protect
//! with SRTP_AEAD_AES_256_GCM (what two str0m instances agree on; wren-media is
//! configured with that profile only, [`SRTP_PROFILE`]). Both offer an audio and a video
//! m-line, send-only from the first peer, and no data channel (so neither runs SCTP);
//! only one m-line carries frames in a pair.
//!
//! The frames ([`frames`]) are synthetic and the same bytes for both: VP8 at realistic
//! sizes (a 12,000-byte keyframe every 30 frames, 4,000 to 6,000-byte delta frames) and
//! Opus packets of 80 to 160 bytes. Each side hands them over as its API takes them
//! without a copy (`&[u8]` for wren-media, a shared `Arc<[u8]>` for str0m), and each
//! receiver's frame is compared byte for byte with what was written.

mod str0m;
mod wren;

use std::sync::Arc;
use std::time::Duration;

pub use self::str0m::{Str0mBwe, Str0mFramePair};
pub use self::wren::{SRTP_PROFILE, WrenFramePair};

/// The estimators' start and maximum bitrate, bit/s (see the module doc).
pub const BITRATE: u64 = 50_000_000;
/// How many steps (timer deadlines) one frame may take to arrive before giving up.
const MAX_STEPS: usize = 10_000;

/// A harness failure: what went wrong, as text (only ever built on the error path).
pub type Failure = String;

/// The codec a pair carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// VP8 video, 30 frames a second.
    Vp8,
    /// Opus audio, 20 ms frames.
    Opus,
}

impl Codec {
    /// Every codec the benchmark runs.
    pub const ALL: [Codec; 2] = [Codec::Vp8, Codec::Opus];

    /// Its name in benchmark ids.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Codec::Vp8 => "vp8",
            Codec::Opus => "opus",
        }
    }

    /// Virtual time between two frames.
    #[must_use]
    pub fn interval(self) -> Duration {
        match self {
            Codec::Vp8 => Duration::from_secs(1) / 30,
            Codec::Opus => Duration::from_millis(20),
        }
    }

    /// Its RTP clock rate.
    #[must_use]
    pub fn clock_rate(self) -> u64 {
        match self {
            Codec::Vp8 => 90_000,
            Codec::Opus => 48_000,
        }
    }

    /// Whether it goes in the audio m-line.
    #[must_use]
    pub fn is_audio(self) -> bool {
        self == Codec::Opus
    }
}

/// How many distinct frames [`frames`] makes (then they repeat).
pub const FRAMES: usize = 90;

/// The frames both stacks send, in order, deterministic (see the module doc).
#[must_use]
pub fn frames(codec: Codec) -> Vec<Arc<[u8]>> {
    let mut state: u32 = 0x2545_f491;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    (0..FRAMES)
        .map(|i| {
            let mut f: Vec<u8> = match codec {
                Codec::Vp8 => {
                    let key = i % 30 == 0;
                    let len = if key {
                        12_000
                    } else {
                        4_000 + next() as usize % 2_001
                    };
                    let mut f: Vec<u8> = (0..len).map(|_| next() as u8).collect();
                    // The VP8 frame tag: P (bit 0) clear for a keyframe, which then
                    // carries the start code and a 640x480 size (RFC 6386 section 9.1).
                    f[0] = if key { 0x10 } else { 0x11 };
                    if key {
                        f[3..10].copy_from_slice(&[0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01]);
                    }
                    f
                }
                Codec::Opus => {
                    let len = 80 + next() as usize % 81;
                    let mut f: Vec<u8> = (0..len).map(|_| next() as u8).collect();
                    // TOC: config 31 (CELT fullband 20 ms), mono, one frame.
                    f[0] = 0xf8;
                    f
                }
            };
            f.shrink_to_fit();
            f.into()
        })
        .collect()
}

/// What a pair counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Frames written on the sender.
    pub sent: u64,
    /// Frames read on the receiver equal, byte for byte, to the frame written.
    pub intact: u64,
    /// Frames read on the receiver that differ from the frame written.
    pub wrong: u64,
    /// Bytes of the frames read intact.
    pub bytes: u64,
    /// Datagrams delivered from the sender to the receiver (media, padding, RTCP, STUN).
    pub datagrams: u64,
}
