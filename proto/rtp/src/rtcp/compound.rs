//! Compound RTCP packets (RFC 3550 s6.1, Appendix A.2) and reduced-size RTCP (RFC 5506).

use crate::error::Error;
use crate::rtcp::header::{RtcpPacket, packet_type};
use crate::rtcp::packet::{Packet, RtcpWrite};

/// A compound RTCP datagram (after SRTCP unprotection) whose framing has been checked:
/// iterating it cannot fail, and nothing is copied or allocated.
///
/// ```
/// use wren_rtp::rtcp::{Compound, Packet};
///
/// // A PLI alone: reduced-size RTCP (RFC 5506).
/// let bytes = [0x81, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2];
/// let compound = Compound::parse(&bytes)?;
/// assert!(compound.is_reduced_size());
/// for p in compound.packets() {
///     match p? {
///         Packet::Pli(pli) => assert_eq!(pli.media_ssrc, 2),
///         other => panic!("{other:?}"),
///     }
/// }
/// # Ok::<(), wren_rtp::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compound<'a> {
    buf: &'a [u8],
}

impl<'a> Compound<'a> {
    /// Checks the framing of every packet in `buf`: version 2, lengths that add up to the
    /// datagram exactly, valid padding (RFC 3550 Appendix A.2, without its rule that the
    /// first packet be SR or RR, which RFC 5506 s3 lifts).
    ///
    /// # Errors
    ///
    /// The first packet's framing error, as [`RtcpPacket::parse_first`] gives it;
    /// [`Error::TooShort`] for an empty datagram.
    #[inline]
    pub fn parse(buf: &'a [u8]) -> Result<Compound<'a>, Error> {
        let mut rest = buf;
        if rest.is_empty() {
            return Err(Error::TooShort {
                what: "RTCP compound packet",
                need: 4,
                have: 0,
            });
        }
        while !rest.is_empty() {
            rest = RtcpPacket::parse_first(rest)?.1;
        }
        Ok(Compound { buf })
    }

    /// Whether this is reduced-size RTCP (RFC 5506 s3): the first packet is not SR or RR.
    #[must_use]
    pub fn is_reduced_size(&self) -> bool {
        !matches!(self.buf[1], packet_type::SR | packet_type::RR)
    }

    /// The packets, framed but untyped.
    #[must_use]
    pub fn iter(&self) -> Packets<'a> {
        Packets { rest: self.buf }
    }

    /// The packets, typed; an item is `Err` when a packet of a known type is malformed
    /// (the others still follow).
    pub fn packets(&self) -> impl Iterator<Item = Result<Packet<'a>, Error>> + 'a {
        self.iter().map(|p| Packet::parse(&p))
    }

    /// The datagram.
    #[must_use]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }
}

impl<'a> IntoIterator for Compound<'a> {
    type Item = RtcpPacket<'a>;
    type IntoIter = Packets<'a>;
    fn into_iter(self) -> Packets<'a> {
        self.iter()
    }
}

/// The packets of a [`Compound`].
#[derive(Debug, Clone)]
pub struct Packets<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Packets<'a> {
    type Item = RtcpPacket<'a>;

    #[inline]
    fn next(&mut self) -> Option<RtcpPacket<'a>> {
        let (p, rest) = RtcpPacket::parse_first(self.rest).ok()?;
        self.rest = rest;
        Some(p)
    }
}

/// Writes a compound packet, one packet after the other, into a buffer the caller owns.
///
/// ```
/// use wren_rtp::rtcp::{Compound, CompoundWriter, Pli, ReceiverReport, ReportBlock};
///
/// let mut buf = [0u8; 1200];
/// let mut w = CompoundWriter::new(&mut buf);
/// w.push(&ReceiverReport { ssrc: 1, reports: (&[] as &[ReportBlock]).into(), extension: &[] })?;
/// w.push(&Pli { sender_ssrc: 1, media_ssrc: 2 })?;
/// let n = w.finish();
/// assert_eq!(Compound::parse(&buf[..n])?.iter().count(), 2);
/// # Ok::<(), wren_rtp::Error>(())
/// ```
#[derive(Debug)]
pub struct CompoundWriter<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> CompoundWriter<'b> {
    /// A writer at the start of `buf`.
    pub fn new(buf: &'b mut [u8]) -> CompoundWriter<'b> {
        CompoundWriter { buf, len: 0 }
    }

    /// Appends `packet`.
    ///
    /// # Errors
    ///
    /// The packet's [`RtcpWrite::write`] error; nothing is appended then.
    pub fn push(&mut self, packet: &impl RtcpWrite) -> Result<&mut Self, Error> {
        self.len += packet.write(&mut self.buf[self.len..])?;
        Ok(self)
    }

    /// The bytes written so far.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// The bytes written so far.
    #[must_use]
    pub fn written(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Whether nothing was written.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The compound's length.
    #[must_use]
    pub fn finish(self) -> usize {
        self.len
    }
}
