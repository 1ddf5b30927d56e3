//! Splitting a byte stream (TCP, TLS) into messages.
//!
//! Two framings are used over streams:
//!
//! - [`Framing::StunChannelData`]: STUN messages and TURN ChannelData back to back, each
//!   self-delimiting (RFC 8489 section 6.2.2; RFC 8656 section 12.5, where ChannelData over
//!   a stream is padded to a multiple of four bytes), told apart by
//!   [`crate::demux::classify_turn`].
//! - [`Framing::Rfc4571`]: every frame preceded by a 16-bit length (RFC 4571, used by ICE-TCP,
//!   RFC 6544).
//!
//! [`next_frame`] is pure: the adapter keeps the bytes read so far and asks where the next
//! complete message lies; nothing is copied or allocated.

use crate::demux::{TurnKind, classify_turn};

/// How messages are delimited in a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Framing {
    /// STUN and ChannelData messages, self-delimited by their own length fields.
    #[default]
    StunChannelData,
    /// RFC 4571: a two-byte big-endian length, then that many bytes.
    Rfc4571,
}

/// Where a complete message lies in a stream buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    /// Offset of the message in the buffer.
    pub start: usize,
    /// Length of the message (without framing prefix or stream padding).
    pub len: usize,
    /// How many bytes of the buffer this frame used, prefix and padding included.
    pub consumed: usize,
}

impl Frame {
    /// The message bytes of this frame within `buf`.
    #[must_use]
    pub fn payload<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        &buf[self.start..self.start + self.len]
    }
}

/// A stream that can no longer be framed: the connection should be closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FramingError {
    /// The first byte of a message is neither STUN (0..=3) nor ChannelData (64..=127).
    #[error("stream message starts with byte {0:#04x}, which is neither STUN nor ChannelData")]
    UnknownMessage(u8),
    /// A STUN message length that is not a multiple of four (RFC 8489 section 5).
    #[error("STUN message length {0} in a stream is not a multiple of 4")]
    MisalignedStun(u16),
}

/// The STUN header size (RFC 8489 section 5).
const STUN_HEADER: usize = 20;
/// The ChannelData header size (RFC 8656 section 12.4).
const CHANNEL_DATA_HEADER: usize = 4;

/// Finds the first complete message at the start of `buf`.
///
/// Returns `Ok(None)` when more bytes are needed, `Err` when the stream is garbage and the
/// connection should be closed.
pub fn next_frame(framing: Framing, buf: &[u8]) -> Result<Option<Frame>, FramingError> {
    match framing {
        Framing::Rfc4571 => {
            let Some(prefix) = buf.get(..2) else {
                return Ok(None);
            };
            let len = usize::from(u16::from_be_bytes([prefix[0], prefix[1]]));
            Ok((buf.len() >= 2 + len).then_some(Frame {
                start: 2,
                len,
                consumed: 2 + len,
            }))
        }
        Framing::StunChannelData => {
            let Some(&first) = buf.first() else {
                return Ok(None);
            };
            let Some(kind) = classify_turn(buf) else {
                return Err(FramingError::UnknownMessage(first));
            };
            let Some(header) = buf.get(..4) else {
                return Ok(None);
            };
            let field = u16::from_be_bytes([header[2], header[3]]);
            let (len, consumed) = match kind {
                TurnKind::Stun => {
                    if field % 4 != 0 {
                        return Err(FramingError::MisalignedStun(field));
                    }
                    let len = STUN_HEADER + usize::from(field);
                    (len, len)
                }
                TurnKind::ChannelData => {
                    let len = CHANNEL_DATA_HEADER + usize::from(field);
                    (len, len.next_multiple_of(4))
                }
            };
            Ok((buf.len() >= consumed).then_some(Frame {
                start: 0,
                len,
                consumed,
            }))
        }
    }
}

/// Writes the RFC 4571 length prefix for a frame of `len` bytes; `None` if `len` exceeds
/// 65535.
#[must_use]
pub fn rfc4571_prefix(len: usize) -> Option<[u8; 2]> {
    u16::try_from(len).ok().map(u16::to_be_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn stun_needs_whole_message() {
        let mut msg = vec![0x00, 0x01, 0x00, 0x08];
        msg.extend_from_slice(&[0; 16 + 8]);
        assert_eq!(next_frame(Framing::StunChannelData, &msg[..27]), Ok(None));
        let f = next_frame(Framing::StunChannelData, &msg).unwrap().unwrap();
        assert_eq!(
            f,
            Frame {
                start: 0,
                len: 28,
                consumed: 28
            }
        );
    }

    #[test]
    fn channel_data_padding_is_consumed_not_delivered() {
        // Channel 0x4000 with 5 bytes of data: 4 + 5 = 9, padded to 12 in a stream.
        let mut buf = vec![0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0];
        buf.extend_from_slice(&[0x00, 0x01]); // start of a next message
        let f = next_frame(Framing::StunChannelData, &buf).unwrap().unwrap();
        assert_eq!(
            f,
            Frame {
                start: 0,
                len: 9,
                consumed: 12
            }
        );
        assert_eq!(f.payload(&buf), &[0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5]);
        assert_eq!(next_frame(Framing::StunChannelData, &buf[..11]), Ok(None));
    }

    #[test]
    fn garbage_is_an_error() {
        assert_eq!(
            next_frame(Framing::StunChannelData, b"\x80\x60rtp over a stun stream"),
            Err(FramingError::UnknownMessage(0x80))
        );
        assert_eq!(
            next_frame(Framing::StunChannelData, &[0x16]),
            Err(FramingError::UnknownMessage(0x16))
        );
        assert_eq!(
            next_frame(Framing::StunChannelData, &[0, 1, 0, 5]),
            Err(FramingError::MisalignedStun(5))
        );
    }

    #[test]
    fn rfc4571() {
        let buf = [0, 3, 9, 8, 7, 1];
        let f = next_frame(Framing::Rfc4571, &buf).unwrap().unwrap();
        assert_eq!(f.payload(&buf), &[9, 8, 7]);
        assert_eq!(f.consumed, 5);
        assert_eq!(next_frame(Framing::Rfc4571, &buf[..4]), Ok(None));
        assert_eq!(rfc4571_prefix(3), Some([0, 3]));
        assert_eq!(rfc4571_prefix(70_000), None);
    }

    proptest! {
        #[test]
        fn never_panics_and_frames_fit(buf in proptest::collection::vec(any::<u8>(), 0..200)) {
            for framing in [Framing::StunChannelData, Framing::Rfc4571] {
                if let Ok(Some(f)) = next_frame(framing, &buf) {
                    prop_assert!(f.start + f.len <= f.consumed);
                    prop_assert!(f.consumed <= buf.len());
                }
            }
        }
    }
}
