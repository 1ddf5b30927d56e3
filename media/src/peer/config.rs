//! How a [`super::MediaPeer`] runs.

use std::time::Duration;

use crate::cc::GccConfig;
use crate::jitter::JitterConfig;
use crate::pacer::PacerConfig;

/// How a [`super::MediaPeer`] runs: its parts' configurations and its own limits.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaConfig {
    /// Each received stream's jitter buffer. Its `nack` is turned off where the peer
    /// connection already asks for lost packets (NACK negotiated): one asker per stream.
    pub jitter: JitterConfig,
    /// The congestion controller (start, minimum and maximum bitrate).
    pub gcc: GccConfig,
    /// The pacer; its rate follows the target ([`MediaConfig::pacing_factor`]).
    pub pacer: PacerConfig,
    /// The largest RTP packet written, header and extensions included (before SRTP).
    pub max_packet: usize,
    /// The pacing rate is this multiple of the target bitrate (libwebrtc: 2.5).
    pub pacing_factor: f64,
    /// Events held until polled; past it the oldest state event is dropped and counted
    /// (frames are never dropped for it: they are counted as
    /// [`super::MediaStats::events_dropped`] only when nothing else can go).
    pub max_events: usize,
    /// Packets written and waiting in the pacer at most (their bytes are kept here);
    /// a frame that does not fit is refused whole ([`super::FrameError::Congested`]).
    pub max_queued_packets: usize,
    /// Whether received frames come as [`super::Event::Frame`]s (each a copy), or wait in
    /// their jitter buffers for [`super::MediaPeer::poll_frame`] into the caller's buffer
    /// (nothing allocated per frame).
    pub frame_events: bool,
    /// How long a queued packet may wait in the pacer before the frames after it are
    /// refused too (the encoder is told by the error to slow down or skip frames).
    pub max_queue_delay: Duration,
}

impl Default for MediaConfig {
    fn default() -> Self {
        MediaConfig {
            jitter: JitterConfig::default(),
            gcc: GccConfig::default(),
            pacer: PacerConfig::default(),
            max_packet: 1200,
            pacing_factor: 2.5,
            max_events: 4096,
            max_queued_packets: 1024,
            frame_events: true,
            max_queue_delay: Duration::from_secs(2),
        }
    }
}
