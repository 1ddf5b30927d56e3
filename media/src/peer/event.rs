//! What a [`super::MediaPeer`] reports, what it is asked to do, and why a frame was refused.

use std::time::Duration;

use super::MediaCodec;
use crate::cc::TargetReason;
use crate::codec::PacketizeError;
use crate::jitter::DropReason;

/// A whole frame received, in order, out of its stream's jitter buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The section it came in.
    pub mid: String,
    /// Its source.
    pub ssrc: u32,
    /// Its payload format.
    pub codec: MediaCodec,
    /// Its RTP timestamp.
    pub rtp_time: u32,
    /// Its media time from the stream's first frame (the RTP clock unwrapped).
    pub pts: Duration,
    /// Whether it decodes on its own (a video keyframe; every audio frame).
    pub keyframe: bool,
    /// The frame as the codec's decoder takes it (VP8/VP9 frames, H.264 Annex B access
    /// units, AV1 temporal units of low-overhead OBUs, Opus or G.711 packets).
    pub data: Vec<u8>,
}

/// A frame [`super::MediaPeer::poll_frame`] put into the caller's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceivedFrame {
    /// Its source.
    pub ssrc: u32,
    /// Its payload format.
    pub codec: MediaCodec,
    /// Its RTP timestamp.
    pub rtp_time: u32,
    /// Its media time from the stream's first frame.
    pub pts: Duration,
    /// Whether it decodes on its own.
    pub keyframe: bool,
}

/// What happened.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The peer connection's own event (ICE, DTLS, negotiation, data channels, RTT...);
    /// never its `Rtp` or `Rtcp`, which frame mode consumes.
    Rtc(wren_rtc::Event),
    /// A frame received (unless [`super::MediaConfig::frame_events`] is off).
    Frame(Frame),
    /// The other side asked for a keyframe of our track in section `mid` (PLI or FIR):
    /// the encoder should make the next frame one.
    KeyframeRequest {
        /// The section.
        mid: String,
    },
    /// The congestion controller's target changed: encoders together should produce about
    /// this many bits per second.
    TargetBitrate {
        /// Bits per second.
        bps: u64,
        /// What moved it.
        reason: TargetReason,
    },
    /// We send in section `mid` with a codec frame mode does not packetize: the section
    /// has no track ([`super::MediaPeer::write_frame`] refuses its frames).
    UnsupportedCodec {
        /// The section.
        mid: String,
        /// The codec's name.
        codec: String,
    },
    /// A received frame was dropped by its jitter buffer (and a keyframe was asked for
    /// where that helps).
    FrameDropped {
        /// The section.
        mid: String,
        /// The source.
        ssrc: u32,
        /// Why.
        reason: DropReason,
    },
}

/// Requests an adapter may forward from another task.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Command {
    /// A command of the peer connection.
    Rtc(wren_rtc::Command),
    /// [`super::MediaPeer::write_frame`].
    WriteFrame {
        /// The section whose track sends it.
        mid: String,
        /// Its media time from the track's start.
        pts: Duration,
        /// The encoded frame.
        data: Vec<u8>,
    },
}

/// Why a frame was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// No negotiated section `mid` in which we send.
    #[error("no section {0:?} in which we send (not negotiated, or not sending)")]
    NoTrack(String),
    /// The section's codec is not one frame mode packetizes.
    #[error("section {mid:?} negotiated {codec:?}, which frame mode does not packetize")]
    UnsupportedCodec {
        /// The section.
        mid: String,
        /// The codec's name.
        codec: String,
    },
    /// The pacer holds too much already (the network is slower than the frames): the
    /// frame was refused whole; lower the bitrate ([`Event::TargetBitrate`]).
    #[error("the pacer holds {queued} packets ({waited:?} of them waiting): frame refused")]
    Congested {
        /// Packets queued.
        queued: usize,
        /// How long the oldest waited.
        waited: Duration,
    },
    /// The packetizer refused the frame.
    #[error("packetizing: {0}")]
    Packetize(#[from] PacketizeError),
    /// The peer connection is closed.
    #[error("the peer connection is closed")]
    Closed,
}

/// A command that could not be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The peer connection refused it.
    #[error(transparent)]
    Rtc(#[from] wren_rtc::Error),
    /// The frame was not sent.
    #[error(transparent)]
    Frame(#[from] FrameError),
}
