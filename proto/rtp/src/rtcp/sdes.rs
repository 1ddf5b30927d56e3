//! Source description, SDES (RFC 3550 s6.5): chunks of an SSRC and its items (CNAME and
//! others), each chunk ended by a null item and padded to 32 bits.

use std::fmt;

use crate::bytes::{put_u32, u32_at};
use crate::error::{Error, need};
use crate::rtcp::header::{RtcpPacket, packet_type, write_header};
use crate::rtcp::packet::RtcpWrite;

const WHAT: &str = "RTCP SDES";

/// SDES item types (RFC 3550 s6.5, s12.2).
pub mod sdes_type {
    /// Canonical end-point identifier.
    pub const CNAME: u8 = 1;
    /// User name.
    pub const NAME: u8 = 2;
    /// Electronic mail address.
    pub const EMAIL: u8 = 3;
    /// Phone number.
    pub const PHONE: u8 = 4;
    /// Geographic user location.
    pub const LOC: u8 = 5;
    /// Application or tool name.
    pub const TOOL: u8 = 6;
    /// Notice/status.
    pub const NOTE: u8 = 7;
    /// Private extensions.
    pub const PRIV: u8 = 8;
}

/// An SDES packet (RFC 3550 s6.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sdes<'a> {
    /// The chunks, at most 31.
    pub chunks: SdesChunks<'a>,
}

/// One SDES item: its type ([`sdes_type`]) and value (UTF-8 text by RFC 3550, kept as
/// bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SdesItem<'a> {
    /// The item type, 1 to 255.
    pub kind: u8,
    /// The value, at most 255 bytes.
    pub value: &'a [u8],
}

/// One SDES chunk: a source and its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdesChunk<'a> {
    /// The SSRC or CSRC described.
    pub ssrc: u32,
    /// Its items.
    pub items: SdesItems<'a>,
}

/// The chunks of an SDES packet: read in place, or given to write.
#[derive(Clone, Copy)]
pub enum SdesChunks<'a> {
    /// As received: `count` validated chunks in `bytes`.
    Wire {
        /// The chunks' bytes.
        bytes: &'a [u8],
        /// How many.
        count: usize,
    },
    /// Given by the caller.
    List(&'a [SdesChunk<'a>]),
}

/// The items of one chunk: read in place, or given to write.
#[derive(Clone, Copy)]
pub enum SdesItems<'a> {
    /// As received: items up to the null item.
    Wire(&'a [u8]),
    /// Given by the caller.
    List(&'a [SdesItem<'a>]),
}

impl<'a> Sdes<'a> {
    /// Reads an SDES packet, checking every chunk and item.
    ///
    /// # Errors
    ///
    /// [`Error::WrongType`] for another packet type; [`Error::TooShort`] or
    /// [`Error::BadLength`] for a chunk or item that runs past the packet or a chunk
    /// without its null item.
    pub fn parse(p: &RtcpPacket<'a>) -> Result<Sdes<'a>, Error> {
        p.expect(WHAT, packet_type::SDES, None)?;
        let body = p.body();
        let count = usize::from(p.count());
        let mut at = 0;
        for _ in 0..count {
            at += chunk_len(&body[at..])?;
        }
        Ok(Sdes {
            chunks: SdesChunks::Wire {
                bytes: &body[..at],
                count,
            },
        })
    }
}

/// The length of the valid chunk at the start of `b`, padding included.
fn chunk_len(b: &[u8]) -> Result<usize, Error> {
    need("RTCP SDES chunk", b, 4)?;
    let mut at = 4;
    loop {
        need("RTCP SDES item", b, at + 1)?;
        if b[at] == 0 {
            // The null item, then zeros to the next 32-bit boundary (RFC 3550 s6.5).
            let end = (at + 4) & !3;
            need("RTCP SDES chunk padding", b, end)?;
            return Ok(end);
        }
        need("RTCP SDES item", b, at + 2)?;
        let end = at + 2 + usize::from(b[at + 1]);
        if end > b.len() {
            return Err(Error::BadLength {
                what: "RTCP SDES item",
                claimed: end - at - 2,
                available: b.len() - at - 2,
            });
        }
        at = end;
    }
}

/// The length of an item list on the wire, without the terminator.
fn items_len(items: &SdesItems<'_>) -> usize {
    items.iter().map(|i| 2 + i.value.len()).sum()
}

impl<'a> SdesChunks<'a> {
    /// How many chunks.
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            SdesChunks::Wire { count, .. } => *count,
            SdesChunks::List(l) => l.len(),
        }
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The chunks in order.
    pub fn iter(&self) -> impl Iterator<Item = SdesChunk<'a>> + 'a {
        let (mut bytes, list): (&'a [u8], &'a [SdesChunk<'a>]) = match *self {
            SdesChunks::Wire { bytes, .. } => (bytes, &[]),
            SdesChunks::List(l) => (&[], l),
        };
        let wire = std::iter::from_fn(move || {
            let len = chunk_len(bytes).ok()?;
            let chunk = &bytes[..len];
            bytes = &bytes[len..];
            Some(SdesChunk {
                ssrc: u32_at(chunk, 0),
                items: SdesItems::Wire(&chunk[4..]),
            })
        });
        wire.chain(list.iter().copied())
    }
}

impl<'a> SdesItems<'a> {
    /// The items in order (without the null item).
    pub fn iter(&self) -> impl Iterator<Item = SdesItem<'a>> + 'a {
        let (mut bytes, list): (&'a [u8], &'a [SdesItem<'a>]) = match *self {
            SdesItems::Wire(b) => (b, &[]),
            SdesItems::List(l) => (&[], l),
        };
        let wire = std::iter::from_fn(move || {
            let (&kind, rest) = bytes.split_first()?;
            if kind == 0 {
                return None;
            }
            let (&len, rest) = rest.split_first()?;
            let value = rest.get(..usize::from(len))?;
            bytes = &rest[usize::from(len)..];
            Some(SdesItem { kind, value })
        });
        wire.chain(list.iter().copied())
    }
}

impl PartialEq for SdesChunks<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for SdesChunks<'_> {}

impl PartialEq for SdesItems<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for SdesItems<'_> {}

impl fmt::Debug for SdesChunks<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl fmt::Debug for SdesItems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl RtcpWrite for Sdes<'_> {
    fn encoded_len(&self) -> usize {
        4 + self
            .chunks
            .iter()
            .map(|c| (4 + items_len(&c.items) + 4) & !3)
            .sum::<usize>()
    }

    fn write(&self, out: &mut [u8]) -> Result<usize, Error> {
        for c in self.chunks.iter() {
            for i in c.items.iter() {
                if i.kind == 0 || i.value.len() > 255 {
                    return Err(Error::InvalidValue {
                        what: "RTCP SDES item type or length",
                        value: u64::from(i.kind) << 32 | i.value.len() as u64,
                    });
                }
            }
        }
        let len = self.encoded_len();
        let out = write_header(WHAT, out, self.chunks.len(), packet_type::SDES, len, false)?;
        let mut at = 4;
        for c in self.chunks.iter() {
            let start = at;
            put_u32(out, at, c.ssrc);
            at += 4;
            for i in c.items.iter() {
                out[at] = i.kind;
                out[at + 1] = i.value.len() as u8;
                out[at + 2..at + 2 + i.value.len()].copy_from_slice(i.value);
                at += 2 + i.value.len();
            }
            let end = start + ((at - start + 4) & !3);
            out[at..end].fill(0);
            at = end;
        }
        Ok(len)
    }
}
