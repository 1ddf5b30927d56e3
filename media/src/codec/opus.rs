//! Opus (RFC 7587): one Opus packet (a frame of 2.5 to 120 ms) is one RTP payload, never
//! fragmented (section 4.2); every packet can be decoded on its own.

use super::{DepacketizeError, Depacketizer, PacketizeError, Packetizer, append};

/// Sends each Opus packet as one payload.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpusPacketizer;

impl Packetizer for OpusPacketizer {
    fn packetize(
        &mut self,
        frame: &[u8],
        max_payload: usize,
        emit: &mut dyn FnMut(&[u8], bool),
    ) -> Result<(), PacketizeError> {
        single(frame, max_payload, emit)
    }
}

/// One payload, one frame.
pub(super) fn single(
    frame: &[u8],
    max_payload: usize,
    emit: &mut dyn FnMut(&[u8], bool),
) -> Result<(), PacketizeError> {
    if frame.is_empty() {
        return Err(PacketizeError::Empty);
    }
    if frame.len() > max_payload {
        return Err(PacketizeError::TooLarge {
            size: frame.len(),
            max: max_payload,
        });
    }
    emit(frame, true);
    Ok(())
}

/// Takes each payload as one Opus packet.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpusDepacketizer;

impl Depacketizer for OpusDepacketizer {
    fn push(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), DepacketizeError> {
        if payload.is_empty() {
            return Err(DepacketizeError::Truncated("an empty Opus payload"));
        }
        append(frame, payload)
    }

    fn reset(&mut self) {}

    fn is_frame_start(&self, payload: &[u8]) -> bool {
        !payload.is_empty()
    }

    fn is_keyframe(&self, payload: &[u8]) -> bool {
        !payload.is_empty()
    }

    fn single_packet_frames(&self) -> bool {
        true
    }
}
