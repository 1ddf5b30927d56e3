//! A receiving track: one source of the other side, its packets through a jitter buffer
//! with the codec's depacketizer into whole frames in order, their RTP time unwrapped into
//! media time from the stream's first frame.

use std::time::{Duration, Instant};

use wren_rtc::{KeyframeKind, NegotiatedMedia};

use super::MediaCodec;
use super::codec::BoxDepacketizer;
use crate::jitter::{FrameInfo, JitterBuffer, JitterConfig};

/// How long a gap is waited on where no NACK was negotiated (reordering only).
pub(crate) const REORDER_WAIT: Duration = Duration::from_millis(60);

/// One source of the other side.
#[derive(Debug)]
pub(crate) struct ReceiveTrack {
    pub(crate) mid: String,
    pub(crate) ssrc: u32,
    pub(crate) codec: MediaCodec,
    pub(crate) payload_type: u8,
    clock_rate: u32,
    pub(crate) jitter: JitterBuffer<BoxDepacketizer>,
    /// How to ask for a keyframe: PLI when negotiated, else FIR when that was (RFC 5104
    /// section 4.3.1), else PLI anyway.
    pub(crate) keyframe_kind: KeyframeKind,
    /// The first frame's RTP time and the last one's unwrapped (RFC 3550 section 5.1:
    /// the timestamp wraps).
    first: Option<u32>,
    last: i64,
}

impl ReceiveTrack {
    /// The track for source `ssrc` of section `m`, whose packets carry payload type `pt`;
    /// `None` when that is not a codec frame mode depacketizes.
    pub(crate) fn new(
        m: &NegotiatedMedia,
        ssrc: u32,
        pt: u8,
        config: &JitterConfig,
    ) -> Option<ReceiveTrack> {
        let c = m.codecs.iter().find(|c| c.payload_type == pt)?;
        let codec = MediaCodec::from_name(&c.name)?;
        let has = |kind: &str, param: Option<&str>| {
            c.feedback
                .iter()
                .any(|f| f.kind == kind && f.param.as_deref() == param)
        };
        let keyframe_kind = if !has("nack", Some("pli")) && has("ccm", Some("fir")) {
            KeyframeKind::Fir
        } else {
            KeyframeKind::Pli
        };
        // The peer connection asks for lost packets where NACK was negotiated; a jitter
        // buffer never does (one asker per stream, and none where the peer did not agree).
        // Where nothing is asked for again, a gap is only waited on for reordering: a lost
        // audio packet would otherwise hold back every packet after it.
        let nacked = has("nack", None);
        let max_wait = if nacked {
            config.max_wait
        } else {
            config.max_wait.min(REORDER_WAIT)
        };
        let config = JitterConfig {
            nack: false,
            max_wait,
            ..config.clone()
        };
        Some(ReceiveTrack {
            mid: m.mid.clone(),
            ssrc,
            codec,
            payload_type: pt,
            clock_rate: c.clock_rate.max(1),
            jitter: JitterBuffer::new(config, codec.depacketizer()),
            keyframe_kind,
            first: None,
            last: 0,
        })
    }

    /// The media time of a frame out of the jitter buffer.
    pub(crate) fn pts(&mut self, info: &FrameInfo) -> Duration {
        let first = *self.first.get_or_insert(info.timestamp);
        // The difference from the last frame's time, taken as the shorter way round.
        let last_ts = first.wrapping_add(self.last as u32);
        let step = info.timestamp.wrapping_sub(last_ts) as i32;
        self.last += i64::from(step);
        let ticks = self.last.max(0) as u64;
        Duration::from_micros(ticks.saturating_mul(1_000_000) / u64::from(self.clock_rate))
    }

    /// Whether the track still fits a renegotiated section.
    pub(crate) fn still_in(&self, m: &NegotiatedMedia) -> bool {
        m.mid == self.mid && m.codecs.iter().any(|c| c.payload_type == self.payload_type)
    }

    /// When the jitter buffer wants time.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.jitter.poll_timeout()
    }
}
