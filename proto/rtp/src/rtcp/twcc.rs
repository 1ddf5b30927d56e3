//! Transport-wide congestion control feedback
//! (draft-holmer-rmcat-transport-wide-cc-extensions-01 s3.1): for a range of
//! transport-wide sequence numbers, whether each packet arrived and when, relative to the
//! previous one.
//!
//! Packet status chunks (s3.1.3, s3.1.4) are run-length chunks (one symbol repeated up
//! to 8191 times) or status vectors (14 one-bit or 7 two-bit symbols); each received
//! packet then has a receive delta (s3.1.5) in 250 us ticks, one byte (small, 0 to 255)
//! or two (large or negative, signed). The writer chooses chunks as libwebrtc does, so
//! feedback from Chromium writes back to the same bytes.

use std::fmt;

use crate::bytes::{put_u16, put_u24, put_u32, u16_at, u24_at, u32_at};
use crate::error::{Error, need};
use crate::rtcp::header::{RtcpPacket, packet_type, write_header};
use crate::rtcp::packet::RtcpWrite;

const WHAT: &str = "RTCP transport-wide CC feedback";

/// The status symbols (s3.1.1).
const NOT_RECEIVED: u8 = 0;
const SMALL: u8 = 1;
const LARGE: u8 = 2;

/// One packet's report: its transport-wide sequence number and, if it arrived, its
/// receive delta in 250 us ticks from the previous received packet (for the first, from
/// the reference time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TwccPacket {
    /// The transport-wide sequence number.
    pub seq: u16,
    /// The receive delta in 250 us ticks, `None` when not received.
    pub delta: Option<i16>,
}

impl TwccPacket {
    fn symbol(&self) -> u8 {
        match self.delta {
            None => NOT_RECEIVED,
            Some(d) if (0..=255).contains(&d) => SMALL,
            Some(_) => LARGE,
        }
    }
}

/// A transport-wide CC feedback packet (RTPFB FMT 15).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransportFeedback<'a> {
    /// The SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// The media source field (libwebrtc puts the SSRC of one of the media senders).
    pub media_ssrc: u32,
    /// The first sequence number reported.
    pub base_seq: u16,
    /// The reference time, 24 bits signed, in units of 64 ms.
    pub reference_time: i32,
    /// The feedback packet count, to detect lost feedback.
    pub fb_count: u8,
    /// The packets reported, from `base_seq` on.
    pub packets: TwccPackets<'a>,
}

/// The packet reports of a [`TransportFeedback`]: read in place, or given to write.
#[derive(Clone, Copy)]
pub enum TwccPackets<'a> {
    /// As received: status chunks and receive deltas, validated for `count` packets
    /// from `base_seq`.
    Wire {
        /// The first sequence number.
        base_seq: u16,
        /// The packet status count.
        count: u16,
        /// The packet status chunks.
        chunks: &'a [u8],
        /// The receive deltas.
        deltas: &'a [u8],
    },
    /// Given by the caller: consecutive sequence numbers from the packet's `base_seq`.
    List(&'a [TwccPacket]),
}

impl<'a> TwccPackets<'a> {
    /// How many packets are reported.
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            TwccPackets::Wire { count, .. } => usize::from(*count),
            TwccPackets::List(l) => l.len(),
        }
    }

    /// Whether none are.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The reports in sequence order.
    #[must_use]
    pub fn iter(&self) -> TwccPacketsIter<'a> {
        match *self {
            TwccPackets::Wire {
                base_seq,
                count,
                chunks,
                deltas,
            } => TwccPacketsIter::Wire(WireIter {
                seq: base_seq,
                left: count,
                chunks,
                chunk: 0,
                in_chunk: 0,
                deltas,
            }),
            TwccPackets::List(l) => TwccPacketsIter::List(l.iter()),
        }
    }
}

impl PartialEq for TwccPackets<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for TwccPackets<'_> {}

impl fmt::Debug for TwccPackets<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The iterator of [`TwccPackets`].
#[derive(Debug, Clone)]
pub enum TwccPacketsIter<'a> {
    /// Decoding chunks and deltas.
    #[doc(hidden)]
    Wire(WireIter<'a>),
    /// Over a caller's list.
    #[doc(hidden)]
    List(std::slice::Iter<'a, TwccPacket>),
}

/// Decoding state over validated chunks and deltas.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct WireIter<'a> {
    seq: u16,
    left: u16,
    chunks: &'a [u8],
    /// The current chunk and how many of its symbols were taken.
    chunk: u16,
    in_chunk: u16,
    deltas: &'a [u8],
}

/// How many symbols a chunk holds.
fn chunk_capacity(chunk: u16) -> u16 {
    if chunk & 0x8000 == 0 {
        chunk & 0x1fff
    } else if chunk & 0x4000 == 0 {
        14
    } else {
        7
    }
}

/// Symbol `i` of a chunk.
fn chunk_symbol(chunk: u16, i: u16) -> u8 {
    if chunk & 0x8000 == 0 {
        ((chunk >> 13) & 3) as u8
    } else if chunk & 0x4000 == 0 {
        ((chunk >> (13 - i)) & 1) as u8
    } else {
        ((chunk >> (12 - 2 * i)) & 3) as u8
    }
}

impl Iterator for WireIter<'_> {
    type Item = TwccPacket;

    #[inline]
    fn next(&mut self) -> Option<TwccPacket> {
        if self.left == 0 {
            return None;
        }
        while self.in_chunk >= chunk_capacity(self.chunk) {
            let (head, rest) = self.chunks.split_first_chunk::<2>()?;
            self.chunk = u16::from_be_bytes(*head);
            self.chunks = rest;
            self.in_chunk = 0;
        }
        let symbol = chunk_symbol(self.chunk, self.in_chunk);
        self.in_chunk += 1;
        let delta = match symbol {
            SMALL => {
                let (&d, rest) = self.deltas.split_first()?;
                self.deltas = rest;
                Some(i16::from(d))
            }
            LARGE => {
                let (d, rest) = self.deltas.split_first_chunk::<2>()?;
                self.deltas = rest;
                Some(i16::from_be_bytes(*d))
            }
            _ => None,
        };
        let p = TwccPacket {
            seq: self.seq,
            delta,
        };
        self.seq = self.seq.wrapping_add(1);
        self.left -= 1;
        Some(p)
    }
}

impl Iterator for TwccPacketsIter<'_> {
    type Item = TwccPacket;

    #[inline]
    fn next(&mut self) -> Option<TwccPacket> {
        match self {
            TwccPacketsIter::Wire(w) => w.next(),
            TwccPacketsIter::List(l) => l.next().copied(),
        }
    }
}

impl<'a> TransportFeedback<'a> {
    /// Reads a transport-wide CC feedback packet, checking that its chunks cover the
    /// status count and that the deltas they call for are there.
    ///
    /// # Errors
    ///
    /// [`Error::WrongType`] for another packet or FMT, [`Error::TooShort`] for missing
    /// chunks or deltas, [`Error::InvalidValue`] for the reserved status symbol 3.
    pub fn parse(p: &RtcpPacket<'a>) -> Result<TransportFeedback<'a>, Error> {
        p.expect(WHAT, packet_type::RTPFB, Some(15))?;
        let b = p.body();
        need(WHAT, b, 16)?;
        let base_seq = u16_at(b, 8);
        let count = u16_at(b, 10);
        let mut left = usize::from(count);
        let mut at = 16;
        let mut delta_bytes = 0;
        while left > 0 {
            need("RTCP transport-wide CC packet status chunk", b, at + 2)?;
            let chunk = u16_at(b, at);
            at += 2;
            let n = usize::from(chunk_capacity(chunk)).min(left);
            if chunk & 0x8000 == 0 {
                // Run length: one symbol n times.
                let symbol = chunk_symbol(chunk, 0);
                delta_bytes += n * delta_size(symbol)?;
            } else {
                for i in 0..n {
                    delta_bytes += delta_size(chunk_symbol(chunk, i as u16))?;
                }
            }
            left -= n;
        }
        need("RTCP transport-wide CC receive deltas", b, at + delta_bytes)?;
        Ok(TransportFeedback {
            sender_ssrc: u32_at(b, 0),
            media_ssrc: u32_at(b, 4),
            base_seq,
            reference_time: ((u24_at(b, 12) << 8) as i32) >> 8,
            fb_count: b[15],
            packets: TwccPackets::Wire {
                base_seq,
                count,
                chunks: &b[16..at],
                deltas: &b[at..at + delta_bytes],
            },
        })
    }

    /// The reference time in microseconds.
    #[must_use]
    pub fn reference_time_us(&self) -> i64 {
        i64::from(self.reference_time) * 64_000
    }
}

fn delta_size(symbol: u8) -> Result<usize, Error> {
    match symbol {
        NOT_RECEIVED => Ok(0),
        SMALL => Ok(1),
        LARGE => Ok(2),
        _ => Err(Error::InvalidValue {
            what: "RTCP transport-wide CC status symbol",
            value: u64::from(symbol),
        }),
    }
}

/// libwebrtc's chunk encoder (`TransportFeedback::LastChunk`): statuses go in one at a
/// time; a chunk comes out when the next status no longer fits the pending ones.
struct ChunkEncoder {
    symbols: [u8; 14],
    size: usize,
    all_same: bool,
    has_large: bool,
}

impl ChunkEncoder {
    const TWO_BIT: usize = 7;
    const ONE_BIT: usize = 14;
    const RUN: usize = 0x1fff;

    fn new() -> ChunkEncoder {
        ChunkEncoder {
            symbols: [0; 14],
            size: 0,
            all_same: true,
            has_large: false,
        }
    }

    fn can_add(&self, s: u8) -> bool {
        self.size < Self::TWO_BIT
            || (self.size < Self::ONE_BIT && !self.has_large && s != LARGE)
            || (self.size < Self::RUN && self.all_same && self.symbols[0] == s)
    }

    fn add(&mut self, s: u8) {
        if self.size < Self::ONE_BIT {
            self.symbols[self.size] = s;
        }
        self.size += 1;
        self.all_same = self.all_same && s == self.symbols[0];
        self.has_large = self.has_large || s == LARGE;
    }

    /// Pushes `s`, calling `emit` with a chunk when one is complete.
    fn push(&mut self, s: u8, emit: &mut impl FnMut(u16)) {
        if !self.can_add(s) {
            emit(self.emit());
        }
        self.add(s);
    }

    fn run_length(&self) -> u16 {
        u16::from(self.symbols[0]) << 13 | self.size as u16
    }

    fn one_bit(&self, n: usize) -> u16 {
        let mut c = 0x8000;
        for (i, s) in self.symbols[..n].iter().enumerate() {
            c |= u16::from(*s) << (13 - i);
        }
        c
    }

    fn two_bit(&self, n: usize) -> u16 {
        let mut c = 0xc000;
        for (i, s) in self.symbols[..n].iter().enumerate() {
            c |= u16::from(*s) << (12 - 2 * i);
        }
        c
    }

    fn clear(&mut self) {
        self.size = 0;
        self.all_same = true;
        self.has_large = false;
    }

    fn emit(&mut self) -> u16 {
        if self.all_same {
            let c = self.run_length();
            self.clear();
            return c;
        }
        if self.size == Self::ONE_BIT {
            let c = self.one_bit(Self::ONE_BIT);
            self.clear();
            return c;
        }
        let c = self.two_bit(Self::TWO_BIT);
        let rest = self.size - Self::TWO_BIT;
        self.symbols
            .copy_within(Self::TWO_BIT..Self::TWO_BIT + rest, 0);
        self.size = rest;
        self.all_same = true;
        self.has_large = false;
        for i in 0..rest {
            let s = self.symbols[i];
            self.all_same = self.all_same && s == self.symbols[0];
            self.has_large = self.has_large || s == LARGE;
        }
        c
    }

    /// The last chunk, for a non-empty encoder.
    fn last(&self) -> u16 {
        if self.all_same {
            self.run_length()
        } else if self.size <= Self::TWO_BIT {
            self.two_bit(self.size)
        } else {
            self.one_bit(self.size)
        }
    }

    /// Feeds every symbol of `packets` and emits every chunk, the last included.
    fn encode(packets: impl Iterator<Item = TwccPacket>, mut emit: impl FnMut(u16)) {
        let mut e = ChunkEncoder::new();
        for p in packets {
            e.push(p.symbol(), &mut emit);
        }
        if e.size > 0 {
            emit(e.last());
        }
    }
}

impl TransportFeedback<'_> {
    /// (chunk bytes, delta bytes) of the encoding.
    fn sizes(&self) -> (usize, usize) {
        let mut chunks = 0;
        ChunkEncoder::encode(self.packets.iter(), |_| chunks += 2);
        let deltas = self
            .packets
            .iter()
            .map(|p| match p.symbol() {
                SMALL => 1,
                LARGE => 2,
                _ => 0,
            })
            .sum();
        (chunks, deltas)
    }
}

impl RtcpWrite for TransportFeedback<'_> {
    fn encoded_len(&self) -> usize {
        let (chunks, deltas) = self.sizes();
        (20 + chunks + deltas + 3) & !3
    }

    /// Writes the packet; when its content is not a multiple of 4 bytes it is padded as
    /// libwebrtc pads it (the P bit, zeros, the count in the last byte).
    fn write(&self, out: &mut [u8]) -> Result<usize, Error> {
        let count = self.packets.len();
        if count > usize::from(u16::MAX) {
            return Err(Error::InvalidValue {
                what: "RTCP transport-wide CC packet count",
                value: count as u64,
            });
        }
        if let TwccPackets::List(l) = self.packets
            && let Some((i, p)) = l
                .iter()
                .enumerate()
                .find(|(i, p)| p.seq != self.base_seq.wrapping_add(*i as u16))
        {
            return Err(Error::InvalidValue {
                what: "RTCP transport-wide CC sequence number not consecutive",
                value: (i as u64) << 16 | u64::from(p.seq),
            });
        }
        if !(-0x80_0000..=0x7f_ffff).contains(&self.reference_time) {
            return Err(Error::InvalidValue {
                what: "RTCP transport-wide CC reference time",
                value: self.reference_time as u64,
            });
        }
        let (chunks, deltas) = self.sizes();
        let content = 20 + chunks + deltas;
        let len = (content + 3) & !3;
        let pad = len - content;
        let out = write_header(WHAT, out, 15, packet_type::RTPFB, len, pad > 0)?;
        put_u32(out, 4, self.sender_ssrc);
        put_u32(out, 8, self.media_ssrc);
        put_u16(out, 12, self.base_seq);
        put_u16(out, 14, count as u16);
        put_u24(out, 16, self.reference_time as u32 & 0x00ff_ffff);
        out[19] = self.fb_count;
        let mut at = 20;
        ChunkEncoder::encode(self.packets.iter(), |c| {
            put_u16(out, at, c);
            at += 2;
        });
        for p in self.packets.iter() {
            match (p.symbol(), p.delta) {
                (SMALL, Some(d)) => {
                    out[at] = d as u8;
                    at += 1;
                }
                (LARGE, Some(d)) => {
                    put_u16(out, at, d as u16);
                    at += 2;
                }
                _ => {}
            }
        }
        if pad > 0 {
            out[at..len].fill(0);
            out[len - 1] = pad as u8;
        }
        Ok(len)
    }
}
