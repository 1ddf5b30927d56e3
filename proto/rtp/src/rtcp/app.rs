//! Application-defined RTCP, APP (RFC 3550 s6.7).

use crate::bytes::{put_u32, u32_at};
use crate::error::{Error, need};
use crate::rtcp::header::{RtcpPacket, packet_type, write_header};
use crate::rtcp::packet::{RtcpWrite, aligned};

const WHAT: &str = "RTCP APP";

/// An APP packet (RFC 3550 s6.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct App<'a> {
    /// The subtype (the 5-bit count field).
    pub subtype: u8,
    /// The sender's SSRC.
    pub ssrc: u32,
    /// The four ASCII characters of the name.
    pub name: [u8; 4],
    /// Application-dependent data, a multiple of 4 bytes.
    pub data: &'a [u8],
}

impl<'a> App<'a> {
    /// Reads an APP packet.
    ///
    /// # Errors
    ///
    /// [`Error::WrongType`] for another packet type, [`Error::TooShort`] without SSRC and
    /// name.
    pub fn parse(p: &RtcpPacket<'a>) -> Result<App<'a>, Error> {
        p.expect(WHAT, packet_type::APP, None)?;
        let b = p.body();
        need(WHAT, b, 8)?;
        Ok(App {
            subtype: p.count(),
            ssrc: u32_at(b, 0),
            name: [b[4], b[5], b[6], b[7]],
            data: &b[8..],
        })
    }
}

impl RtcpWrite for App<'_> {
    fn encoded_len(&self) -> usize {
        12 + self.data.len()
    }

    fn write(&self, out: &mut [u8]) -> Result<usize, Error> {
        aligned("RTCP APP data length", self.data.len())?;
        let len = self.encoded_len();
        let out = write_header(
            WHAT,
            out,
            usize::from(self.subtype),
            packet_type::APP,
            len,
            false,
        )?;
        put_u32(out, 4, self.ssrc);
        out[8..12].copy_from_slice(&self.name);
        out[12..].copy_from_slice(self.data);
        Ok(len)
    }
}
