//! playout-delay (<http://www.webrtc.org/experiments/rtp-hdrext/playout-delay>): the
//! minimum and maximum playout delay the sender asks for, two 12-bit values in 10 ms
//! units.

use crate::bytes::{put_u24, u24_at};
use crate::error::{Error, room};
use crate::rtp::extensions::{Extension, ExtensionKind, length};

/// The playout delay bounds, each in units of 10 ms (0 to 4095).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PlayoutDelay {
    /// The minimum delay, 10 ms units.
    pub min: u16,
    /// The maximum delay, 10 ms units.
    pub max: u16,
}

impl Extension<'_> for PlayoutDelay {
    const KIND: ExtensionKind = ExtensionKind::PlayoutDelay;

    fn parse(data: &[u8]) -> Result<Self, Error> {
        length("playout-delay extension", data, &[3])?;
        let v = u24_at(data, 0);
        Ok(PlayoutDelay {
            min: (v >> 12) as u16,
            max: (v & 0xfff) as u16,
        })
    }

    fn encoded_len(&self) -> usize {
        3
    }

    fn write(&self, out: &mut [u8]) -> Result<usize, Error> {
        let over = self.min.max(self.max);
        if over > 0xfff {
            return Err(Error::InvalidValue {
                what: "playout-delay extension bound",
                value: u64::from(over),
            });
        }
        let v = u32::from(self.min) << 12 | u32::from(self.max);
        put_u24(room("playout-delay extension", out, 3)?, 0, v);
        Ok(3)
    }
}
