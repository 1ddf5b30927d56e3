//! Picture loss indication, PLI (RFC 4585 s6.3.1).

use crate::bytes::{put_u32, u32_at};
use crate::error::{Error, need};
use crate::rtcp::header::{RtcpPacket, packet_type, write_header};
use crate::rtcp::packet::RtcpWrite;

const WHAT: &str = "RTCP PLI";

/// A PLI (RFC 4585 s6.3.1): the receiver lost part of a picture; no FCI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pli {
    /// The SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// The SSRC of the media source.
    pub media_ssrc: u32,
}

impl Pli {
    /// Reads a PLI.
    ///
    /// # Errors
    ///
    /// [`Error::WrongType`] for another packet or FMT, [`Error::TooShort`] without the
    /// SSRCs.
    pub fn parse(p: &RtcpPacket<'_>) -> Result<Pli, Error> {
        p.expect(WHAT, packet_type::PSFB, Some(1))?;
        let b = p.body();
        need(WHAT, b, 8)?;
        Ok(Pli {
            sender_ssrc: u32_at(b, 0),
            media_ssrc: u32_at(b, 4),
        })
    }
}

impl RtcpWrite for Pli {
    fn encoded_len(&self) -> usize {
        12
    }

    fn write(&self, out: &mut [u8]) -> Result<usize, Error> {
        let out = write_header(WHAT, out, 1, packet_type::PSFB, 12, false)?;
        put_u32(out, 4, self.sender_ssrc);
        put_u32(out, 8, self.media_ssrc);
        Ok(12)
    }
}
