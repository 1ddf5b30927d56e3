//! The receiver report, RR (RFC 3550 s6.4.2).

use crate::bytes::{put_u32, u32_at};
use crate::error::{Error, need};
use crate::rtcp::header::{RtcpPacket, packet_type, write_header};
use crate::rtcp::items::Items;
use crate::rtcp::packet::{RtcpWrite, aligned};
use crate::rtcp::report_block::ReportBlock;

const WHAT: &str = "RTCP RR";

/// A receiver report (RFC 3550 s6.4.2): reception reports from a participant that does
/// not send (or an empty one heading a compound).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiverReport<'a> {
    /// The reporter's SSRC.
    pub ssrc: u32,
    /// Reception report blocks, at most 31.
    pub reports: Items<'a, ReportBlock>,
    /// Profile-specific extension (a multiple of 4 bytes).
    pub extension: &'a [u8],
}

impl<'a> ReceiverReport<'a> {
    /// Reads an RR.
    ///
    /// # Errors
    ///
    /// [`Error::WrongType`] for another packet type, [`Error::TooShort`] when the report
    /// blocks the RC field counts are not there.
    pub fn parse(p: &RtcpPacket<'a>) -> Result<ReceiverReport<'a>, Error> {
        p.expect(WHAT, packet_type::RR, None)?;
        let b = p.body();
        let end = 4 + 24 * usize::from(p.count());
        need(WHAT, b, end)?;
        Ok(ReceiverReport {
            ssrc: u32_at(b, 0),
            reports: Items::wire(&b[4..end]),
            extension: &b[end..],
        })
    }
}

impl RtcpWrite for ReceiverReport<'_> {
    fn encoded_len(&self) -> usize {
        8 + self.reports.encoded_len() + self.extension.len()
    }

    fn write(&self, out: &mut [u8]) -> Result<usize, Error> {
        aligned(WHAT, self.extension.len())?;
        let len = self.encoded_len();
        let out = write_header(WHAT, out, self.reports.len(), packet_type::RR, len, false)?;
        put_u32(out, 4, self.ssrc);
        let end = 8 + self.reports.encoded_len();
        self.reports.write(&mut out[8..end]);
        out[end..].copy_from_slice(self.extension);
        Ok(len)
    }
}
