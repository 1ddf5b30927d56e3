//! Receiver estimated maximum bitrate, REMB (draft-alvestrand-rmcat-remb-03 s2.2): an
//! application layer feedback message (PSFB FMT 15) with the identifier "REMB".

use crate::bytes::{put_u32, u32_at};
use crate::error::{Error, need};
use crate::rtcp::header::{RtcpPacket, packet_type, write_header};
use crate::rtcp::items::Items;
use crate::rtcp::packet::RtcpWrite;

const WHAT: &str = "RTCP REMB";

/// A REMB message. The bitrate is `mantissa * 2^exponent` bits per second, kept as sent
/// so that it writes back to the same bytes; [`Remb::bitrate`] and [`Remb::encode_bitrate`]
/// convert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remb<'a> {
    /// The SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// The media source field (0 for REMB).
    pub media_ssrc: u32,
    /// BR Exp: 6 bits.
    pub exponent: u8,
    /// BR Mantissa: 18 bits.
    pub mantissa: u32,
    /// The SSRCs the estimate applies to, at most 255.
    pub ssrcs: Items<'a, u32>,
}

impl<'a> Remb<'a> {
    /// Whether a PSFB FMT 15 packet carries the "REMB" identifier.
    #[must_use]
    pub fn is_remb(p: &RtcpPacket<'_>) -> bool {
        p.body().get(8..12) == Some(b"REMB")
    }

    /// Reads a REMB.
    ///
    /// # Errors
    ///
    /// [`Error::WrongType`] for another packet, FMT or identifier, [`Error::TooShort`]
    /// when the SSRCs its count names are not there.
    pub fn parse(p: &RtcpPacket<'a>) -> Result<Remb<'a>, Error> {
        p.expect(WHAT, packet_type::PSFB, Some(15))?;
        let b = p.body();
        need(WHAT, b, 16)?;
        if !Remb::is_remb(p) {
            return Err(Error::WrongType {
                what: WHAT,
                packet_type: packet_type::PSFB,
                format: 15,
            });
        }
        let n = usize::from(b[12]);
        let end = 16 + 4 * n;
        need(WHAT, b, end)?;
        let br = u32::from_be_bytes([0, b[13], b[14], b[15]]);
        Ok(Remb {
            sender_ssrc: u32_at(b, 0),
            media_ssrc: u32_at(b, 4),
            exponent: (br >> 18) as u8,
            mantissa: br & 0x3_ffff,
            ssrcs: Items::wire(&b[16..end]),
        })
    }

    /// The bitrate in bits per second (saturating at `u64::MAX`).
    #[must_use]
    pub fn bitrate(&self) -> u64 {
        u64::from(self.mantissa)
            .checked_shl(u32::from(self.exponent))
            .filter(|v| v >> self.exponent == u64::from(self.mantissa))
            .unwrap_or(u64::MAX)
    }

    /// `(exponent, mantissa)` for `bps`, as libwebrtc encodes it: the smallest exponent
    /// whose mantissa fits 18 bits (rounding down).
    #[must_use]
    pub fn encode_bitrate(bps: u64) -> (u8, u32) {
        let mut exponent = 0u8;
        let mut mantissa = bps;
        while mantissa > 0x3_ffff {
            mantissa >>= 1;
            exponent += 1;
        }
        (exponent, mantissa as u32)
    }
}

impl RtcpWrite for Remb<'_> {
    fn encoded_len(&self) -> usize {
        20 + self.ssrcs.encoded_len()
    }

    fn write(&self, out: &mut [u8]) -> Result<usize, Error> {
        if self.exponent > 63 || self.mantissa > 0x3_ffff || self.ssrcs.len() > 255 {
            return Err(Error::InvalidValue {
                what: "RTCP REMB exponent, mantissa or SSRC count",
                value: u64::from(self.exponent) << 32 | u64::from(self.mantissa),
            });
        }
        let len = self.encoded_len();
        let out = write_header(WHAT, out, 15, packet_type::PSFB, len, false)?;
        put_u32(out, 4, self.sender_ssrc);
        put_u32(out, 8, self.media_ssrc);
        out[12..16].copy_from_slice(b"REMB");
        let br = u32::from(self.exponent) << 18 | self.mantissa;
        put_u32(out, 16, (self.ssrcs.len() as u32) << 24 | br);
        self.ssrcs.write(&mut out[20..]);
        Ok(len)
    }
}
