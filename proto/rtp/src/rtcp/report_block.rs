//! The reception report block of SR and RR (RFC 3550 s6.4.1).

use crate::bytes::{put_u24, put_u32, u24_at, u32_at};
use crate::rtcp::items::WireItem;

/// One reception report block: what a receiver saw of one source (RFC 3550 s6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct ReportBlock {
    /// SSRC of the source reported on.
    pub ssrc: u32,
    /// Fraction lost since the last report, in 1/256.
    pub fraction_lost: u8,
    /// Cumulative number of packets lost, 24-bit signed (written clamped to
    /// -8388608..=8388607, as RFC 3550 s6.4.1 says).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received.
    pub highest_sequence: u32,
    /// Interarrival jitter, in timestamp units.
    pub jitter: u32,
    /// LSR: the middle 32 bits of the last SR's NTP timestamp.
    pub last_sr: u32,
    /// DLSR: delay since that SR, in 1/65536 s.
    pub delay_since_last_sr: u32,
}

impl WireItem for ReportBlock {
    const SIZE: usize = 24;

    fn read(b: &[u8]) -> ReportBlock {
        let lost = u24_at(b, 5);
        ReportBlock {
            ssrc: u32_at(b, 0),
            fraction_lost: b[4],
            cumulative_lost: ((lost << 8) as i32) >> 8,
            highest_sequence: u32_at(b, 8),
            jitter: u32_at(b, 12),
            last_sr: u32_at(b, 16),
            delay_since_last_sr: u32_at(b, 20),
        }
    }

    fn write(&self, b: &mut [u8]) {
        put_u32(b, 0, self.ssrc);
        b[4] = self.fraction_lost;
        let lost = self.cumulative_lost.clamp(-0x80_0000, 0x7f_ffff);
        put_u24(b, 5, lost as u32 & 0x00ff_ffff);
        put_u32(b, 8, self.highest_sequence);
        put_u32(b, 12, self.jitter);
        put_u32(b, 16, self.last_sr);
        put_u32(b, 20, self.delay_since_last_sr);
    }
}
