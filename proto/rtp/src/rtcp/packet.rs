//! One RTCP packet, typed: the [`Packet`] enum over every packet type this crate reads,
//! and the [`RtcpWrite`] trait every one of them writes through.

use crate::error::{Error, room};
use crate::rtcp::header::{RtcpPacket, packet_type};
use crate::rtcp::{
    App, Bye, Fir, Nack, Pli, ReceiverReport, Remb, Sdes, SenderReport, TransportFeedback, Xr,
};

/// Writes an RTCP packet into a buffer the caller owns.
pub trait RtcpWrite {
    /// The packet's length on the wire, header and padding included.
    fn encoded_len(&self) -> usize;

    /// Writes the packet at the start of `out`; returns its length.
    ///
    /// # Errors
    ///
    /// [`Error::BufferTooSmall`] when `out` is shorter than
    /// [`RtcpWrite::encoded_len`], [`Error::InvalidValue`] for a value the format cannot
    /// carry (too many items for the count field, unaligned data).
    fn write(&self, out: &mut [u8]) -> Result<usize, Error>;
}

/// `Err(InvalidValue)` unless `len` is a multiple of 4.
pub(crate) fn aligned(what: &'static str, len: usize) -> Result<(), Error> {
    if len % 4 == 0 {
        Ok(())
    } else {
        Err(Error::InvalidValue {
            what,
            value: len as u64,
        })
    }
}

/// One RTCP packet, typed by its PT (and FMT for feedback, RFC 4585 s6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Packet<'a> {
    /// SR.
    SenderReport(SenderReport<'a>),
    /// RR.
    ReceiverReport(ReceiverReport<'a>),
    /// SDES.
    Sdes(Sdes<'a>),
    /// BYE.
    Bye(Bye<'a>),
    /// APP.
    App(App<'a>),
    /// Generic NACK.
    Nack(Nack<'a>),
    /// Transport-wide congestion control feedback.
    TransportFeedback(TransportFeedback<'a>),
    /// PLI.
    Pli(Pli),
    /// FIR.
    Fir(Fir<'a>),
    /// REMB.
    Remb(Remb<'a>),
    /// XR.
    Xr(Xr<'a>),
    /// Any other type or feedback format, as it came.
    Unknown(RtcpPacket<'a>),
}

impl<'a> Packet<'a> {
    /// Types `p`.
    ///
    /// # Errors
    ///
    /// The type's own parse error when `p` is of a known type but malformed.
    pub fn parse(p: &RtcpPacket<'a>) -> Result<Packet<'a>, Error> {
        Ok(match (p.packet_type(), p.count()) {
            (packet_type::SR, _) => Packet::SenderReport(SenderReport::parse(p)?),
            (packet_type::RR, _) => Packet::ReceiverReport(ReceiverReport::parse(p)?),
            (packet_type::SDES, _) => Packet::Sdes(Sdes::parse(p)?),
            (packet_type::BYE, _) => Packet::Bye(Bye::parse(p)?),
            (packet_type::APP, _) => Packet::App(App::parse(p)?),
            (packet_type::RTPFB, 1) => Packet::Nack(Nack::parse(p)?),
            (packet_type::RTPFB, 15) => Packet::TransportFeedback(TransportFeedback::parse(p)?),
            (packet_type::PSFB, 1) => Packet::Pli(Pli::parse(p)?),
            (packet_type::PSFB, 4) => Packet::Fir(Fir::parse(p)?),
            (packet_type::PSFB, 15) if Remb::is_remb(p) => Packet::Remb(Remb::parse(p)?),
            (packet_type::XR, _) => Packet::Xr(Xr::parse(p)?),
            _ => Packet::Unknown(*p),
        })
    }
}

impl RtcpWrite for RtcpPacket<'_> {
    fn encoded_len(&self) -> usize {
        self.as_bytes().len()
    }

    fn write(&self, out: &mut [u8]) -> Result<usize, Error> {
        let b = self.as_bytes();
        room("RTCP packet", out, b.len())?.copy_from_slice(b);
        Ok(b.len())
    }
}

impl RtcpWrite for Packet<'_> {
    fn encoded_len(&self) -> usize {
        match self {
            Packet::SenderReport(p) => p.encoded_len(),
            Packet::ReceiverReport(p) => p.encoded_len(),
            Packet::Sdes(p) => p.encoded_len(),
            Packet::Bye(p) => p.encoded_len(),
            Packet::App(p) => p.encoded_len(),
            Packet::Nack(p) => p.encoded_len(),
            Packet::TransportFeedback(p) => p.encoded_len(),
            Packet::Pli(p) => p.encoded_len(),
            Packet::Fir(p) => p.encoded_len(),
            Packet::Remb(p) => p.encoded_len(),
            Packet::Xr(p) => p.encoded_len(),
            Packet::Unknown(p) => p.encoded_len(),
        }
    }

    fn write(&self, out: &mut [u8]) -> Result<usize, Error> {
        match self {
            Packet::SenderReport(p) => p.write(out),
            Packet::ReceiverReport(p) => p.write(out),
            Packet::Sdes(p) => p.write(out),
            Packet::Bye(p) => p.write(out),
            Packet::App(p) => p.write(out),
            Packet::Nack(p) => p.write(out),
            Packet::TransportFeedback(p) => p.write(out),
            Packet::Pli(p) => p.write(out),
            Packet::Fir(p) => p.write(out),
            Packet::Remb(p) => p.write(out),
            Packet::Xr(p) => p.write(out),
            Packet::Unknown(p) => p.write(out),
        }
    }
}
