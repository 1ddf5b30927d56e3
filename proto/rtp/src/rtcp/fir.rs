//! Full intra request, FIR (RFC 5104 s4.3.1).

use crate::bytes::{put_u32, u32_at};
use crate::error::{Error, need};
use crate::rtcp::header::{RtcpPacket, packet_type, write_header};
use crate::rtcp::items::{Items, WireItem};
use crate::rtcp::packet::RtcpWrite;

const WHAT: &str = "RTCP FIR";

/// One FCI entry of a FIR: the source asked for a decoder refresh point, and the request's
/// command sequence number (RFC 5104 s4.3.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct FirEntry {
    /// The media sender asked.
    pub ssrc: u32,
    /// The command sequence number.
    pub seq: u8,
}

impl WireItem for FirEntry {
    const SIZE: usize = 8;
    fn read(b: &[u8]) -> FirEntry {
        FirEntry {
            ssrc: u32_at(b, 0),
            seq: b[4],
        }
    }
    fn write(&self, b: &mut [u8]) {
        put_u32(b, 0, self.ssrc);
        b[4] = self.seq;
        b[5..8].fill(0);
    }
}

/// A FIR (RFC 5104 s4.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fir<'a> {
    /// The SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// The media source field (RFC 5104 s4.3.1.2: 0; the FCI names the sources).
    pub media_ssrc: u32,
    /// The FCI entries.
    pub entries: Items<'a, FirEntry>,
}

impl<'a> Fir<'a> {
    /// Reads a FIR.
    ///
    /// # Errors
    ///
    /// [`Error::WrongType`] for another packet or FMT, [`Error::TooShort`] without the
    /// SSRCs.
    pub fn parse(p: &RtcpPacket<'a>) -> Result<Fir<'a>, Error> {
        p.expect(WHAT, packet_type::PSFB, Some(4))?;
        let b = p.body();
        need(WHAT, b, 8)?;
        let fci = &b[8..];
        Ok(Fir {
            sender_ssrc: u32_at(b, 0),
            media_ssrc: u32_at(b, 4),
            entries: Items::wire(&fci[..fci.len() & !7]),
        })
    }
}

impl RtcpWrite for Fir<'_> {
    fn encoded_len(&self) -> usize {
        12 + self.entries.encoded_len()
    }

    fn write(&self, out: &mut [u8]) -> Result<usize, Error> {
        let len = self.encoded_len();
        let out = write_header(WHAT, out, 4, packet_type::PSFB, len, false)?;
        put_u32(out, 4, self.sender_ssrc);
        put_u32(out, 8, self.media_ssrc);
        self.entries.write(&mut out[12..]);
        Ok(len)
    }
}
