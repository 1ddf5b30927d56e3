//! One RTCP packet's common header (RFC 3550 s6.4.1): version, padding, count or FMT,
//! packet type, length.

use crate::bytes::u16_at;
use crate::error::{Error, need, room};

/// RTCP packet type values (RFC 3550 s12.1, RFC 4585 s6.1, RFC 3611 s5).
pub mod packet_type {
    /// Sender report.
    pub const SR: u8 = 200;
    /// Receiver report.
    pub const RR: u8 = 201;
    /// Source description.
    pub const SDES: u8 = 202;
    /// Goodbye.
    pub const BYE: u8 = 203;
    /// Application-defined.
    pub const APP: u8 = 204;
    /// Transport-layer feedback (RFC 4585 s6.2).
    pub const RTPFB: u8 = 205;
    /// Payload-specific feedback (RFC 4585 s6.3).
    pub const PSFB: u8 = 206;
    /// Extended report (RFC 3611).
    pub const XR: u8 = 207;
}

const WHAT: &str = "RTCP packet";

/// One RTCP packet of a compound, borrowed: its header fields and its body (after the
/// 4-byte header, without padding).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtcpPacket<'a> {
    buf: &'a [u8],
    body_end: usize,
}

impl<'a> RtcpPacket<'a> {
    /// Reads the packet at the start of `buf`; returns it and the bytes after it.
    ///
    /// # Errors
    ///
    /// [`Error::TooShort`] for a header or a length cut short, [`Error::BadVersion`], and
    /// [`Error::BadPadding`] for a padding count of zero or past the header.
    #[inline]
    pub fn parse_first(buf: &'a [u8]) -> Result<(RtcpPacket<'a>, &'a [u8]), Error> {
        need(WHAT, buf, 4)?;
        let b0 = buf[0];
        if b0 >> 6 != 2 {
            return Err(Error::BadVersion {
                what: WHAT,
                version: b0 >> 6,
            });
        }
        let len = (usize::from(u16_at(buf, 2)) + 1) * 4;
        need(WHAT, buf, len)?;
        let (packet, rest) = buf.split_at(len);
        let mut body_end = len;
        if b0 & 0x20 != 0 {
            let count = usize::from(packet[len - 1]);
            if count == 0 || count > len - 4 {
                return Err(Error::BadPadding {
                    what: WHAT,
                    count,
                    available: len - 4,
                });
            }
            body_end -= count;
        }
        Ok((
            RtcpPacket {
                buf: packet,
                body_end,
            },
            rest,
        ))
    }

    /// The packet type (PT).
    #[must_use]
    pub fn packet_type(&self) -> u8 {
        self.buf[1]
    }

    /// The 5-bit field after P: a count (RC, SC) or, in feedback, FMT.
    #[must_use]
    pub fn count(&self) -> u8 {
        self.buf[0] & 0x1f
    }

    /// The padding bit.
    #[must_use]
    pub fn has_padding(&self) -> bool {
        self.buf[0] & 0x20 != 0
    }

    /// How many padding bytes end the packet.
    #[must_use]
    pub fn padding_len(&self) -> usize {
        self.buf.len() - self.body_end
    }

    /// What follows the 4-byte header, without padding.
    #[must_use]
    pub fn body(&self) -> &'a [u8] {
        &self.buf[4..self.body_end]
    }

    /// The whole packet, header and padding included.
    #[must_use]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// `Err(WrongType)` unless this is packet type `pt` (and, if given, FMT `fmt`).
    pub(crate) fn expect(&self, what: &'static str, pt: u8, fmt: Option<u8>) -> Result<(), Error> {
        if self.packet_type() != pt || fmt.is_some_and(|f| f != self.count()) {
            return Err(Error::WrongType {
                what,
                packet_type: self.packet_type(),
                format: self.count(),
            });
        }
        Ok(())
    }
}

/// Writes a header for a packet of `len` bytes (a multiple of 4, padding included) with
/// `count` and `pt`; returns `out[..len]` for the caller to fill after the header.
pub(crate) fn write_header<'b>(
    what: &'static str,
    out: &'b mut [u8],
    count: usize,
    pt: u8,
    len: usize,
    padded: bool,
) -> Result<&'b mut [u8], Error> {
    if count > 31 {
        return Err(Error::InvalidValue {
            what,
            value: count as u64,
        });
    }
    let words = len / 4 - 1;
    let words = u16::try_from(words).map_err(|_| Error::InvalidValue {
        what,
        value: len as u64,
    })?;
    let out = room(what, out, len)?;
    out[0] = 0x80 | u8::from(padded) << 5 | count as u8;
    out[1] = pt;
    out[2..4].copy_from_slice(&words.to_be_bytes());
    Ok(out)
}
