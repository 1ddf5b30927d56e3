//! abs-capture-time (<http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time>):
//! the NTP time (UQ32.32) the frame was captured at the original source, and optionally
//! the sender's estimate of the offset between its clock and the capturer's (Q32.32).

use crate::bytes::{put_u64, u64_at};
use crate::error::{Error, room};
use crate::rtp::extensions::{Extension, ExtensionKind, length};

/// When the media was captured, in the capturer's NTP clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AbsCaptureTime {
    /// The capture time, 64-bit NTP (UQ32.32).
    pub timestamp: u64,
    /// The estimated capture clock offset, Q32.32 signed, when sent (16-byte form).
    pub clock_offset: Option<i64>,
}

impl Extension<'_> for AbsCaptureTime {
    const KIND: ExtensionKind = ExtensionKind::AbsCaptureTime;

    fn parse(data: &[u8]) -> Result<Self, Error> {
        length("abs-capture-time extension", data, &[8, 16])?;
        Ok(AbsCaptureTime {
            timestamp: u64_at(data, 0),
            clock_offset: (data.len() == 16).then(|| u64_at(data, 8) as i64),
        })
    }

    fn encoded_len(&self) -> usize {
        if self.clock_offset.is_some() { 16 } else { 8 }
    }

    fn write(&self, out: &mut [u8]) -> Result<usize, Error> {
        let n = self.encoded_len();
        let out = room("abs-capture-time extension", out, n)?;
        put_u64(out, 0, self.timestamp);
        if let Some(offset) = self.clock_offset {
            put_u64(out, 8, offset as u64);
        }
        Ok(n)
    }
}
