//! Generic NACK (RFC 4585 s6.2.1): lost packets as (PID, BLP) pairs.

use crate::bytes::{put_u16, put_u32, u16_at, u32_at};
use crate::error::{Error, need};
use crate::rtcp::header::{RtcpPacket, packet_type, write_header};
use crate::rtcp::items::{Items, ItemsIter, WireItem};
use crate::rtcp::packet::RtcpWrite;

const WHAT: &str = "RTCP generic NACK";

/// One FCI entry of a generic NACK: a lost packet id and a bitmask of the 16 after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct NackPair {
    /// PID: a lost sequence number.
    pub pid: u16,
    /// BLP: bit i set means `pid + i + 1` is lost too.
    pub blp: u16,
}

impl WireItem for NackPair {
    const SIZE: usize = 4;
    fn read(b: &[u8]) -> NackPair {
        NackPair {
            pid: u16_at(b, 0),
            blp: u16_at(b, 2),
        }
    }
    fn write(&self, b: &mut [u8]) {
        put_u16(b, 0, self.pid);
        put_u16(b, 2, self.blp);
    }
}

impl NackPair {
    /// Packs sorted sequence numbers (ascending, in wrapping order) into pairs written to
    /// `out`; returns how many pairs were used, or `None` when `out` is too short.
    pub fn pack(seqs: impl IntoIterator<Item = u16>, out: &mut [NackPair]) -> Option<usize> {
        let mut n = 0;
        for seq in seqs {
            if n > 0 {
                let last = &mut out[n - 1];
                let d = seq.wrapping_sub(last.pid);
                if (1..=16).contains(&d) {
                    last.blp |= 1 << (d - 1);
                    continue;
                }
            }
            *out.get_mut(n)? = NackPair { pid: seq, blp: 0 };
            n += 1;
        }
        Some(n)
    }
}

/// A generic NACK (RFC 4585 s6.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nack<'a> {
    /// The SSRC of the packet sender (the one asking).
    pub sender_ssrc: u32,
    /// The SSRC of the media source whose packets were lost.
    pub media_ssrc: u32,
    /// The FCI entries.
    pub pairs: Items<'a, NackPair>,
}

impl<'a> Nack<'a> {
    /// Reads a generic NACK.
    ///
    /// # Errors
    ///
    /// [`Error::WrongType`] for another packet or FMT, [`Error::TooShort`] without the
    /// SSRCs.
    pub fn parse(p: &RtcpPacket<'a>) -> Result<Nack<'a>, Error> {
        p.expect(WHAT, packet_type::RTPFB, Some(1))?;
        let b = p.body();
        need(WHAT, b, 8)?;
        let fci = &b[8..];
        Ok(Nack {
            sender_ssrc: u32_at(b, 0),
            media_ssrc: u32_at(b, 4),
            pairs: Items::wire(&fci[..fci.len() & !3]),
        })
    }

    /// Every lost sequence number the pairs name, in order.
    #[must_use]
    pub fn lost(&self) -> Lost<'a> {
        Lost {
            pairs: self.pairs.iter(),
            current: None,
        }
    }
}

/// The lost sequence numbers of a [`Nack`].
#[derive(Debug, Clone)]
pub struct Lost<'a> {
    pairs: ItemsIter<'a, NackPair>,
    /// The pair being expanded and the next bit to look at (0 means the PID itself).
    current: Option<(NackPair, u8)>,
}

impl Iterator for Lost<'_> {
    type Item = u16;

    fn next(&mut self) -> Option<u16> {
        loop {
            let (pair, bit) = match self.current {
                Some(c) => c,
                None => (self.pairs.next()?, 0),
            };
            if bit == 0 {
                self.current = Some((pair, 1));
                return Some(pair.pid);
            }
            // The remaining mask from `bit` on.
            let rest = u32::from(pair.blp) >> (bit - 1);
            if rest == 0 {
                self.current = None;
                continue;
            }
            let skip = rest.trailing_zeros() as u8;
            let b = bit + skip;
            self.current = Some((pair, b + 1));
            return Some(pair.pid.wrapping_add(u16::from(b)));
        }
    }
}

impl RtcpWrite for Nack<'_> {
    fn encoded_len(&self) -> usize {
        12 + self.pairs.encoded_len()
    }

    fn write(&self, out: &mut [u8]) -> Result<usize, Error> {
        let len = self.encoded_len();
        let out = write_header(WHAT, out, 1, packet_type::RTPFB, len, false)?;
        put_u32(out, 4, self.sender_ssrc);
        put_u32(out, 8, self.media_ssrc);
        self.pairs.write(&mut out[12..]);
        Ok(len)
    }
}
