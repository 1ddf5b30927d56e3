//! Goodbye, BYE (RFC 3550 s6.6): the sources leaving, and an optional reason.

use crate::error::{Error, need};
use crate::rtcp::header::{RtcpPacket, packet_type, write_header};
use crate::rtcp::items::Items;
use crate::rtcp::packet::RtcpWrite;

const WHAT: &str = "RTCP BYE";

/// A BYE packet (RFC 3550 s6.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bye<'a> {
    /// The SSRCs/CSRCs leaving, at most 31.
    pub ssrcs: Items<'a, u32>,
    /// The reason for leaving (text, at most 255 bytes), when given.
    pub reason: Option<&'a [u8]>,
}

impl<'a> Bye<'a> {
    /// Reads a BYE.
    ///
    /// # Errors
    ///
    /// [`Error::WrongType`] for another packet type, [`Error::TooShort`] when the SSRCs or
    /// the reason run past the packet.
    pub fn parse(p: &RtcpPacket<'a>) -> Result<Bye<'a>, Error> {
        p.expect(WHAT, packet_type::BYE, None)?;
        let b = p.body();
        let end = 4 * usize::from(p.count());
        need(WHAT, b, end)?;
        let reason = match b.get(end) {
            None => None,
            Some(&len) => {
                let stop = end + 1 + usize::from(len);
                need("RTCP BYE reason", b, stop)?;
                Some(&b[end + 1..stop])
            }
        };
        Ok(Bye {
            ssrcs: Items::wire(&b[..end]),
            reason,
        })
    }
}

impl RtcpWrite for Bye<'_> {
    fn encoded_len(&self) -> usize {
        4 + self.ssrcs.encoded_len() + self.reason.map_or(0, |r| (1 + r.len() + 3) & !3)
    }

    fn write(&self, out: &mut [u8]) -> Result<usize, Error> {
        if let Some(r) = self.reason
            && r.len() > 255
        {
            return Err(Error::InvalidValue {
                what: "RTCP BYE reason length",
                value: r.len() as u64,
            });
        }
        let len = self.encoded_len();
        let out = write_header(WHAT, out, self.ssrcs.len(), packet_type::BYE, len, false)?;
        let end = 4 + self.ssrcs.encoded_len();
        self.ssrcs.write(&mut out[4..end]);
        if let Some(r) = self.reason {
            out[end] = r.len() as u8;
            out[end + 1..end + 1 + r.len()].copy_from_slice(r);
            out[end + 1 + r.len()..].fill(0);
        }
        Ok(len)
    }
}
