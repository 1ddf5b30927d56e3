//! Extended reports, XR (RFC 3611): report blocks, of which the receiver reference time
//! (RRTR, s4.4) and DLRR (s4.5) blocks are typed; others are kept as they came.

use std::fmt;

use crate::bytes::{put_u16, put_u32, put_u64, u16_at, u32_at, u64_at};
use crate::error::{Error, need};
use crate::rtcp::header::{RtcpPacket, packet_type, write_header};
use crate::rtcp::items::{Items, WireItem};
use crate::rtcp::packet::{RtcpWrite, aligned};

const WHAT: &str = "RTCP XR";
const RRTR: u8 = 4;
const DLRR: u8 = 5;

/// One DLRR sub-block (RFC 3611 s4.5): the reply to a receiver's RRTR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct DlrrItem {
    /// The receiver's SSRC.
    pub ssrc: u32,
    /// LRR: the middle 32 bits of its last RRTR's NTP timestamp.
    pub last_rr: u32,
    /// DLRR: delay since then, in 1/65536 s.
    pub delay_since_last_rr: u32,
}

impl WireItem for DlrrItem {
    const SIZE: usize = 12;
    fn read(b: &[u8]) -> DlrrItem {
        DlrrItem {
            ssrc: u32_at(b, 0),
            last_rr: u32_at(b, 4),
            delay_since_last_rr: u32_at(b, 8),
        }
    }
    fn write(&self, b: &mut [u8]) {
        put_u32(b, 0, self.ssrc);
        put_u32(b, 4, self.last_rr);
        put_u32(b, 8, self.delay_since_last_rr);
    }
}

/// One XR report block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XrBlock<'a> {
    /// Receiver reference time (BT 4, RFC 3611 s4.4): the receiver's NTP time.
    Rrtr {
        /// 64-bit NTP timestamp.
        ntp_time: u64,
    },
    /// DLRR (BT 5, RFC 3611 s4.5).
    Dlrr(Items<'a, DlrrItem>),
    /// Any other block type, as it came.
    Other {
        /// BT.
        block_type: u8,
        /// The type-specific byte.
        type_specific: u8,
        /// The block's content (a multiple of 4 bytes).
        data: &'a [u8],
    },
}

impl XrBlock<'_> {
    fn encoded_len(&self) -> usize {
        4 + match self {
            XrBlock::Rrtr { .. } => 8,
            XrBlock::Dlrr(items) => items.encoded_len(),
            XrBlock::Other { data, .. } => data.len(),
        }
    }
}

/// The blocks of an XR packet: read in place, or given to write.
#[derive(Clone, Copy)]
pub enum XrBlocks<'a> {
    /// As received, validated.
    Wire(&'a [u8]),
    /// Given by the caller.
    List(&'a [XrBlock<'a>]),
}

impl<'a> XrBlocks<'a> {
    /// The blocks in order.
    #[must_use]
    pub fn iter(&self) -> XrBlocksIter<'a> {
        XrBlocksIter(*self)
    }
}

/// The iterator of [`XrBlocks`].
#[derive(Debug, Clone)]
pub struct XrBlocksIter<'a>(XrBlocks<'a>);

impl<'a> Iterator for XrBlocksIter<'a> {
    type Item = XrBlock<'a>;

    fn next(&mut self) -> Option<XrBlock<'a>> {
        match &mut self.0 {
            XrBlocks::Wire(b) => {
                let (block, rest) = block_at(b).ok()?;
                *b = rest;
                Some(block)
            }
            XrBlocks::List(l) => {
                let (head, rest) = l.split_first()?;
                *l = rest;
                Some(*head)
            }
        }
    }
}

impl PartialEq for XrBlocks<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for XrBlocks<'_> {}

impl fmt::Debug for XrBlocks<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The block at the start of `b` and what follows.
fn block_at(b: &[u8]) -> Result<(XrBlock<'_>, &[u8]), Error> {
    need("RTCP XR block header", b, 4)?;
    let end = 4 + 4 * usize::from(u16_at(b, 2));
    need("RTCP XR block", b, end)?;
    let data = &b[4..end];
    let block = match b[0] {
        RRTR if data.len() == 8 && b[1] == 0 => XrBlock::Rrtr {
            ntp_time: u64_at(data, 0),
        },
        DLRR if data.len() % 12 == 0 && b[1] == 0 => XrBlock::Dlrr(Items::wire(data)),
        block_type => XrBlock::Other {
            block_type,
            type_specific: b[1],
            data,
        },
    };
    Ok((block, &b[end..]))
}

/// An XR packet (RFC 3611 s2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Xr<'a> {
    /// The sender's SSRC.
    pub ssrc: u32,
    /// The report blocks.
    pub blocks: XrBlocks<'a>,
}

impl<'a> Xr<'a> {
    /// Reads an XR packet, checking every block's length.
    ///
    /// # Errors
    ///
    /// [`Error::WrongType`] for another packet type, [`Error::TooShort`] for a block that
    /// runs past the packet.
    pub fn parse(p: &RtcpPacket<'a>) -> Result<Xr<'a>, Error> {
        p.expect(WHAT, packet_type::XR, None)?;
        let b = p.body();
        need(WHAT, b, 4)?;
        let mut rest = &b[4..];
        while !rest.is_empty() {
            rest = block_at(rest)?.1;
        }
        Ok(Xr {
            ssrc: u32_at(b, 0),
            blocks: XrBlocks::Wire(&b[4..]),
        })
    }
}

impl RtcpWrite for Xr<'_> {
    fn encoded_len(&self) -> usize {
        8 + self.blocks.iter().map(|b| b.encoded_len()).sum::<usize>()
    }

    fn write(&self, out: &mut [u8]) -> Result<usize, Error> {
        for b in self.blocks.iter() {
            if let XrBlock::Other { data, .. } = b {
                aligned("RTCP XR block length", data.len())?;
            }
            if b.encoded_len() / 4 - 1 > usize::from(u16::MAX) {
                return Err(Error::InvalidValue {
                    what: "RTCP XR block length",
                    value: b.encoded_len() as u64,
                });
            }
        }
        let len = self.encoded_len();
        let out = write_header(WHAT, out, 0, packet_type::XR, len, false)?;
        put_u32(out, 4, self.ssrc);
        let mut at = 8;
        for b in self.blocks.iter() {
            let n = b.encoded_len();
            let (bt, ts) = match b {
                XrBlock::Rrtr { .. } => (RRTR, 0),
                XrBlock::Dlrr(_) => (DLRR, 0),
                XrBlock::Other {
                    block_type,
                    type_specific,
                    ..
                } => (block_type, type_specific),
            };
            out[at] = bt;
            out[at + 1] = ts;
            put_u16(out, at + 2, (n / 4 - 1) as u16);
            match b {
                XrBlock::Rrtr { ntp_time } => put_u64(out, at + 4, ntp_time),
                XrBlock::Dlrr(items) => items.write(&mut out[at + 4..at + n]),
                XrBlock::Other { data, .. } => out[at + 4..at + n].copy_from_slice(data),
            }
            at += n;
        }
        Ok(len)
    }
}
