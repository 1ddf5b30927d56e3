//! abs-send-time (<http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time>): the
//! send time as a 24-bit 6.18 fixed-point number of seconds, the middle bits of the NTP
//! timestamp.

use crate::bytes::{put_u24, u24_at};
use crate::error::{Error, room};
use crate::rtp::extensions::{Extension, ExtensionKind, length};

/// The absolute send time: 6.18 fixed-point seconds, wrapping every 64 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AbsSendTime(pub u32);

impl AbsSendTime {
    /// The value for a 64-bit NTP timestamp (RFC 3550 s4): bits 14 to 37 of it.
    #[must_use]
    pub fn from_ntp(ntp: u64) -> AbsSendTime {
        AbsSendTime(((ntp >> 14) & 0x00ff_ffff) as u32)
    }
}

impl Extension<'_> for AbsSendTime {
    const KIND: ExtensionKind = ExtensionKind::AbsSendTime;

    fn parse(data: &[u8]) -> Result<Self, Error> {
        length("abs-send-time extension", data, &[3])?;
        Ok(AbsSendTime(u24_at(data, 0)))
    }

    fn encoded_len(&self) -> usize {
        3
    }

    fn write(&self, out: &mut [u8]) -> Result<usize, Error> {
        if self.0 > 0x00ff_ffff {
            return Err(Error::InvalidValue {
                what: "abs-send-time extension",
                value: u64::from(self.0),
            });
        }
        put_u24(room("abs-send-time extension", out, 3)?, 0, self.0);
        Ok(3)
    }
}
