//! RTP payload formats: one module per codec (VP8, VP9, H.264, AV1, Opus, G.711), each with a [`Packetizer`] (a frame in,
//! payloads out, the last one marked) and a [`Depacketizer`] (payloads of one frame in
//! order, the frame's bytes out), and keyframe detection on a frame's first payload.
//!
//! Ordering, loss and frame boundaries (RTP sequence numbers, timestamps, the marker bit)
//! are the jitter buffer's; a depacketizer is given one frame's payloads in order and
//! says when one makes no sense.
//!
//! [`dependency_descriptor`] reads the AV1 RTP specification's Dependency Descriptor header
//! extension (Appendix A), which tells frames, layers and dependencies apart without the
//! payload (Chromium sends it with AV1 and VP9 when negotiated).

pub mod av1;
pub mod dependency_descriptor;
pub mod g711;
pub mod h264;
pub mod opus;
pub mod vp8;
pub mod vp9;

/// Why a frame could not be cut into payloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PacketizeError {
    /// An empty frame.
    #[error("an empty frame has nothing to send")]
    Empty,
    /// The payload size left no room for any media after the payload header.
    #[error("a payload of at most {0} bytes leaves no room for media")]
    PayloadTooSmall(usize),
    /// A format that cannot fragment (audio, H.264 packetization mode 0) got a frame or a
    /// NAL unit larger than one payload.
    #[error("{size} bytes do not fit one payload of at most {max} bytes")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The largest payload.
        max: usize,
    },
    /// An H.264 frame with no NAL unit (no Annex B start code, or only start codes).
    #[error("no NAL unit in the frame (Annex B start codes expected)")]
    NoNalUnit,
}

/// Why a payload was refused. The frame it belonged to should be dropped (the jitter
/// buffer then asks for it again or for a keyframe).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DepacketizeError {
    /// Shorter than its payload header says.
    #[error("the payload is cut short: {0}")]
    Truncated(&'static str),
    /// A field has a value the format does not allow.
    #[error("the payload is malformed: {0}")]
    Malformed(&'static str),
    /// A continuation (a VP8 partition's later packet, an H.264 FU-A middle) without its
    /// start.
    #[error("a fragment arrived without its start")]
    MissingStart,
    /// The frame would grow past the depacketizer's limit.
    #[error("the frame grew past {0} bytes")]
    FrameTooLarge(usize),
}

/// The largest frame a depacketizer assembles (a 4K keyframe is well under it).
pub const MAX_FRAME: usize = 8 << 20;

/// Cuts one frame into RTP payloads.
pub trait Packetizer {
    /// Calls `emit(payload, last)` for each payload of `frame`, in order, each at most
    /// `max_payload` bytes; `last` is set on the frame's last payload (its packet carries
    /// the RTP marker bit for video, RFC 3551 section 4.1). Payloads are written into a
    /// buffer the packetizer keeps and reuses: copy what must outlive the call.
    ///
    /// # Errors
    ///
    /// A [`PacketizeError`]; nothing was emitted then.
    fn packetize(
        &mut self,
        frame: &[u8],
        max_payload: usize,
        emit: &mut dyn FnMut(&[u8], bool),
    ) -> Result<(), PacketizeError>;
}

/// Puts one frame back together from its payloads.
pub trait Depacketizer {
    /// Takes the frame's next payload, in sequence order, and appends its media to
    /// `frame`. Call [`Depacketizer::reset`] between frames, or after a refusal.
    ///
    /// # Errors
    ///
    /// A [`DepacketizeError`] when the payload is malformed or out of place.
    fn push(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), DepacketizeError>;

    /// Forgets a partly pushed frame.
    fn reset(&mut self);

    /// Whether `payload` begins a frame (a jitter buffer looks for one after a loss).
    fn is_frame_start(&self, payload: &[u8]) -> bool;

    /// Whether `payload`, a frame's first, begins a frame that decodes on its own (a
    /// video keyframe; every audio frame).
    fn is_keyframe(&self, payload: &[u8]) -> bool;

    /// Whether every payload is a whole frame (audio): a jitter buffer then needs no
    /// marker bit to end one, and a lost one hurts no other.
    fn single_packet_frames(&self) -> bool {
        false
    }
}

impl<D: Depacketizer + ?Sized> Depacketizer for Box<D> {
    fn push(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), DepacketizeError> {
        (**self).push(payload, frame)
    }

    fn reset(&mut self) {
        (**self).reset();
    }

    fn is_frame_start(&self, payload: &[u8]) -> bool {
        (**self).is_frame_start(payload)
    }

    fn is_keyframe(&self, payload: &[u8]) -> bool {
        (**self).is_keyframe(payload)
    }

    fn single_packet_frames(&self) -> bool {
        (**self).single_packet_frames()
    }
}

/// Appends `bytes` to `frame` unless it would pass [`MAX_FRAME`].
fn append(frame: &mut Vec<u8>, bytes: &[u8]) -> Result<(), DepacketizeError> {
    if frame.len() + bytes.len() > MAX_FRAME {
        return Err(DepacketizeError::FrameTooLarge(MAX_FRAME));
    }
    frame.extend_from_slice(bytes);
    Ok(())
}
