//! ChannelData (RFC 8656 section 12.4): a 4-byte header (channel number, length) and the
//! application data, padded to four bytes over stream transports.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Channel Number        |            Length             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! /                       Application Data                        /
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

/// Size of the ChannelData header.
pub const HEADER_LEN: usize = 4;

/// A TURN channel number: 0x4000 through 0x4FFF in RFC 8656 (section 12), and up to 0x7FFF
/// in RFC 5766, whose clients (coturn's `turnutils_uclient` among them) are still served:
/// this type accepts the RFC 5766 range; [`ChannelNumber::is_rfc8656`] tells the narrower one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelNumber(u16);

impl ChannelNumber {
    /// The lowest channel number.
    pub const MIN: ChannelNumber = ChannelNumber(0x4000);
    /// The highest channel number accepted (RFC 5766).
    pub const MAX: ChannelNumber = ChannelNumber(0x7FFF);
    /// The highest channel number of RFC 8656, the range a client picks from.
    pub const RFC8656_MAX: ChannelNumber = ChannelNumber(0x4FFF);

    /// The channel `n`, if it lies in 0x4000..=0x7FFF.
    #[must_use]
    pub fn new(n: u16) -> Option<ChannelNumber> {
        (0x4000..=0x7FFF).contains(&n).then_some(ChannelNumber(n))
    }

    /// Whether the number lies in RFC 8656's range, 0x4000..=0x4FFF (what a client of
    /// today picks).
    #[must_use]
    pub fn is_rfc8656(self) -> bool {
        self.0 <= 0x4FFF
    }

    /// The number.
    #[must_use]
    pub fn get(self) -> u16 {
        self.0
    }
}

/// Why bytes are not a ChannelData message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// Shorter than the 4-byte header.
    #[error("ChannelData truncated: {0} bytes, the header alone is 4")]
    Truncated(usize),
    /// A channel number outside 0x4000..=0x7FFF.
    #[error("channel number {0:#06x} is outside 0x4000..=0x7FFF")]
    BadChannel(u16),
    /// The length field says more than the message holds.
    #[error("ChannelData length {length} exceeds the {available} bytes present")]
    LengthOverrun {
        /// The length field.
        length: usize,
        /// Bytes after the header.
        available: usize,
    },
    /// More than three bytes follow the data (padding is at most three).
    #[error("{0} bytes follow the ChannelData application data; padding is at most 3")]
    TrailingBytes(usize),
    /// Application data longer than the 16-bit length field can say.
    #[error("{0} bytes of application data do not fit a ChannelData message")]
    TooLong(usize),
}

/// A ChannelData message, borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelData<'a> {
    /// The channel.
    pub channel: ChannelNumber,
    /// The application data (padding excluded).
    pub data: &'a [u8],
}

impl<'a> ChannelData<'a> {
    /// Parses one message; up to three bytes of padding may follow the data (RFC 8656
    /// section 12.5 allows padding over UDP too).
    pub fn parse(buf: &'a [u8]) -> Result<ChannelData<'a>, WireError> {
        let Some(header) = buf.first_chunk::<HEADER_LEN>() else {
            return Err(WireError::Truncated(buf.len()));
        };
        let number = u16::from_be_bytes([header[0], header[1]]);
        let channel = ChannelNumber::new(number).ok_or(WireError::BadChannel(number))?;
        let length = usize::from(u16::from_be_bytes([header[2], header[3]]));
        let available = buf.len() - HEADER_LEN;
        if length > available {
            return Err(WireError::LengthOverrun { length, available });
        }
        if available - length > 3 {
            return Err(WireError::TrailingBytes(available - length));
        }
        Ok(ChannelData {
            channel,
            data: &buf[HEADER_LEN..HEADER_LEN + length],
        })
    }

    /// Appends a ChannelData message to `buf`, padded to four bytes when `pad` (required
    /// over TCP and TLS, RFC 8656 section 12.5). Allocates nothing when `buf` has room.
    pub fn write(
        buf: &mut Vec<u8>,
        channel: ChannelNumber,
        data: &[u8],
        pad: bool,
    ) -> Result<(), WireError> {
        let length = u16::try_from(data.len()).map_err(|_| WireError::TooLong(data.len()))?;
        buf.extend_from_slice(&channel.0.to_be_bytes());
        buf.extend_from_slice(&length.to_be_bytes());
        buf.extend_from_slice(data);
        if pad {
            let padding = data.len().next_multiple_of(4) - data.len();
            buf.extend_from_slice(&[0u8; 3][..padding]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc_8656_layout() {
        let mut buf = Vec::new();
        let ch = ChannelNumber::new(0x4001).unwrap();
        ChannelData::write(&mut buf, ch, b"hello", true).unwrap();
        assert_eq!(
            buf,
            [
                0x40, 0x01, 0x00, 0x05, b'h', b'e', b'l', b'l', b'o', 0, 0, 0
            ]
        );
        let cd = ChannelData::parse(&buf).unwrap();
        assert_eq!((cd.channel, cd.data), (ch, &b"hello"[..]));
        buf.clear();
        ChannelData::write(&mut buf, ch, b"hello", false).unwrap();
        assert_eq!(buf.len(), 9);
        assert_eq!(ChannelData::parse(&buf).unwrap().data, b"hello");
    }

    #[test]
    fn malformed_is_typed() {
        assert_eq!(ChannelData::parse(&[0x40]), Err(WireError::Truncated(1)));
        assert_eq!(
            ChannelData::parse(&[0x80, 0, 0, 0]),
            Err(WireError::BadChannel(0x8000))
        );
        assert_eq!(
            ChannelData::parse(&[0x3f, 0xff, 0, 0]),
            Err(WireError::BadChannel(0x3fff))
        );
        assert_eq!(
            ChannelData::parse(&[0x40, 0, 0, 9, 1, 2]),
            Err(WireError::LengthOverrun {
                length: 9,
                available: 2
            })
        );
        assert_eq!(
            ChannelData::parse(&[0x40, 0, 0, 0, 1, 2, 3, 4]),
            Err(WireError::TrailingBytes(4))
        );
        assert_eq!(ChannelNumber::new(0x7FFF), Some(ChannelNumber::MAX));
        assert_eq!(ChannelNumber::new(0x8000), None);
        assert!(ChannelNumber::new(0x4FFF).unwrap().is_rfc8656());
        assert!(!ChannelNumber::new(0x5000).unwrap().is_rfc8656());
    }

    proptest! {
        #[test]
        fn round_trip(n in 0x4000u16..=0x7FFF, data in proptest::collection::vec(any::<u8>(), 0..600), pad in any::<bool>()) {
            let ch = ChannelNumber::new(n).unwrap();
            let mut buf = Vec::new();
            ChannelData::write(&mut buf, ch, &data, pad).unwrap();
            if pad { prop_assert_eq!(buf.len() % 4, 0); }
            let cd = ChannelData::parse(&buf).unwrap();
            prop_assert_eq!(cd.channel, ch);
            prop_assert_eq!(cd.data, &data[..]);
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(cd) = ChannelData::parse(&bytes) {
                prop_assert!(cd.data.len() + HEADER_LEN <= bytes.len());
            }
        }
    }
}
