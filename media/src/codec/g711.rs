//! G.711 PCMU and PCMA (RFC 3551 section 4.5.14): one byte per sample at 8 kHz, a
//! payload holds whole samples; any payload decodes on its own.

use super::{DepacketizeError, Depacketizer, PacketizeError, Packetizer, append};

/// Sends each frame of samples as one payload.
#[derive(Debug, Clone, Copy, Default)]
pub struct G711Packetizer;

impl Packetizer for G711Packetizer {
    fn packetize(
        &mut self,
        frame: &[u8],
        max_payload: usize,
        emit: &mut dyn FnMut(&[u8], bool),
    ) -> Result<(), PacketizeError> {
        super::opus::single(frame, max_payload, emit)
    }
}

/// Takes each payload's samples.
#[derive(Debug, Clone, Copy, Default)]
pub struct G711Depacketizer;

impl Depacketizer for G711Depacketizer {
    fn push(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), DepacketizeError> {
        append(frame, payload)
    }

    fn reset(&mut self) {}

    fn is_frame_start(&self, _payload: &[u8]) -> bool {
        true
    }

    fn is_keyframe(&self, _payload: &[u8]) -> bool {
        true
    }

    fn single_packet_frames(&self) -> bool {
        true
    }
}
