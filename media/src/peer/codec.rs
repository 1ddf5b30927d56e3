//! Which payload format a negotiated codec is, and the packetizer and depacketizer for it.

use wren_sdp::jsep::Codec;

use crate::codec::av1::{Av1Depacketizer, Av1Packetizer};
use crate::codec::g711::{G711Depacketizer, G711Packetizer};
use crate::codec::h264::{H264Depacketizer, H264Packetizer, PacketizationMode};
use crate::codec::opus::{OpusDepacketizer, OpusPacketizer};
use crate::codec::vp8::{Vp8Depacketizer, Vp8Packetizer};
use crate::codec::vp9::{Vp9Depacketizer, Vp9Packetizer};
use crate::codec::{Depacketizer, Packetizer};

/// A packetizer a track owns.
pub(crate) type BoxPacketizer = Box<dyn Packetizer + Send>;
/// A depacketizer a jitter buffer owns (which is `Debug`).
pub(crate) type BoxDepacketizer = Box<dyn DebugDepacketizer>;

/// A depacketizer that can be shown.
pub(crate) trait DebugDepacketizer: Depacketizer + std::fmt::Debug + Send {}

impl<D: Depacketizer + std::fmt::Debug + Send> DebugDepacketizer for D {}

/// The payload formats frame mode carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MediaCodec {
    /// VP8 (RFC 7741).
    Vp8,
    /// VP9 (RFC 9628).
    Vp9,
    /// H.264 (RFC 6184).
    H264,
    /// AV1 (the AOM RTP payload format).
    Av1,
    /// Opus (RFC 7587).
    Opus,
    /// G.711 mu-law (RFC 3551).
    Pcmu,
    /// G.711 A-law (RFC 3551).
    Pcma,
}

impl MediaCodec {
    /// The format of an SDP encoding name (`a=rtpmap`), case-insensitively; `None` for
    /// one frame mode does not carry (RTX, RED, FEC, telephone-event, ...).
    #[must_use]
    pub fn from_name(name: &str) -> Option<MediaCodec> {
        const NAMES: [(&str, MediaCodec); 7] = [
            ("VP8", MediaCodec::Vp8),
            ("VP9", MediaCodec::Vp9),
            ("H264", MediaCodec::H264),
            ("AV1", MediaCodec::Av1),
            ("opus", MediaCodec::Opus),
            ("PCMU", MediaCodec::Pcmu),
            ("PCMA", MediaCodec::Pcma),
        ];
        NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|&(_, c)| c)
    }

    /// Whether it is audio (every payload a whole frame, sent before video).
    #[must_use]
    pub fn is_audio(self) -> bool {
        matches!(self, MediaCodec::Opus | MediaCodec::Pcmu | MediaCodec::Pcma)
    }

    /// The packetizer for `codec` (H.264's packetization mode from its fmtp, RFC 6184
    /// section 8.1: mode 0 when absent).
    pub(crate) fn packetizer(self, codec: &Codec) -> BoxPacketizer {
        match self {
            MediaCodec::Vp8 => Box::new(Vp8Packetizer::new()),
            MediaCodec::Vp9 => Box::new(Vp9Packetizer::new()),
            MediaCodec::H264 => {
                let mode1 = codec
                    .params
                    .iter()
                    .any(|(k, v)| k.eq_ignore_ascii_case("packetization-mode") && v == "1");
                Box::new(H264Packetizer::new(if mode1 {
                    PacketizationMode::NonInterleaved
                } else {
                    PacketizationMode::SingleNal
                }))
            }
            MediaCodec::Av1 => Box::new(Av1Packetizer::new()),
            MediaCodec::Opus => Box::new(OpusPacketizer),
            MediaCodec::Pcmu | MediaCodec::Pcma => Box::new(G711Packetizer),
        }
    }

    /// The depacketizer.
    pub(crate) fn depacketizer(self) -> BoxDepacketizer {
        match self {
            MediaCodec::Vp8 => Box::new(Vp8Depacketizer::default()),
            MediaCodec::Vp9 => Box::new(Vp9Depacketizer::default()),
            MediaCodec::H264 => Box::new(H264Depacketizer::default()),
            MediaCodec::Av1 => Box::new(Av1Depacketizer::default()),
            MediaCodec::Opus => Box::new(OpusDepacketizer),
            MediaCodec::Pcmu | MediaCodec::Pcma => Box::new(G711Depacketizer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_matched_without_case_and_others_are_not_carried() {
        assert_eq!(MediaCodec::from_name("vp8"), Some(MediaCodec::Vp8));
        assert_eq!(MediaCodec::from_name("OPUS"), Some(MediaCodec::Opus));
        assert_eq!(MediaCodec::from_name("rtx"), None);
        assert!(MediaCodec::Pcma.is_audio() && !MediaCodec::Av1.is_audio());
    }
}
