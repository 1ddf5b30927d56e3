//! The sender report, SR (RFC 3550 s6.4.1).

use crate::bytes::{put_u32, put_u64, u32_at, u64_at};
use crate::error::{Error, need};
use crate::rtcp::header::{RtcpPacket, packet_type, write_header};
use crate::rtcp::items::Items;
use crate::rtcp::packet::{RtcpWrite, aligned};
use crate::rtcp::report_block::ReportBlock;

const WHAT: &str = "RTCP SR";

/// A sender report (RFC 3550 s6.4.1): the sender's clocks and counts, and reception
/// reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderReport<'a> {
    /// The sender's SSRC.
    pub ssrc: u32,
    /// The wall clock time, 64-bit NTP.
    pub ntp_time: u64,
    /// The same instant in the RTP timestamp clock.
    pub rtp_time: u32,
    /// Packets sent.
    pub packet_count: u32,
    /// Payload octets sent.
    pub octet_count: u32,
    /// Reception report blocks, at most 31.
    pub reports: Items<'a, ReportBlock>,
    /// Profile-specific extension (a multiple of 4 bytes; empty in WebRTC).
    pub extension: &'a [u8],
}

impl<'a> SenderReport<'a> {
    /// Reads an SR.
    ///
    /// # Errors
    ///
    /// [`Error::WrongType`] for another packet type, [`Error::TooShort`] when the report
    /// blocks the RC field counts are not there.
    pub fn parse(p: &RtcpPacket<'a>) -> Result<SenderReport<'a>, Error> {
        p.expect(WHAT, packet_type::SR, None)?;
        let b = p.body();
        let end = 24 + 24 * usize::from(p.count());
        need(WHAT, b, end)?;
        Ok(SenderReport {
            ssrc: u32_at(b, 0),
            ntp_time: u64_at(b, 4),
            rtp_time: u32_at(b, 12),
            packet_count: u32_at(b, 16),
            octet_count: u32_at(b, 20),
            reports: Items::wire(&b[24..end]),
            extension: &b[end..],
        })
    }
}

impl RtcpWrite for SenderReport<'_> {
    fn encoded_len(&self) -> usize {
        28 + self.reports.encoded_len() + self.extension.len()
    }

    fn write(&self, out: &mut [u8]) -> Result<usize, Error> {
        aligned(WHAT, self.extension.len())?;
        let len = self.encoded_len();
        let out = write_header(WHAT, out, self.reports.len(), packet_type::SR, len, false)?;
        put_u32(out, 4, self.ssrc);
        put_u64(out, 8, self.ntp_time);
        put_u32(out, 16, self.rtp_time);
        put_u32(out, 20, self.packet_count);
        put_u32(out, 24, self.octet_count);
        let end = 28 + self.reports.encoded_len();
        self.reports.write(&mut out[28..end]);
        out[end..].copy_from_slice(self.extension);
        Ok(len)
    }
}
