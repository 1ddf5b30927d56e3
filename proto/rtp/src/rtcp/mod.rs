//! RTCP (RFC 3550 s6) compound packets as zero-copy views, and writers into the caller's
//! buffer.
//!
//! [`Compound::parse`] checks the framing of every packet of a compound datagram (version,
//! length, padding; RFC 3550 s6.4.1, Appendix A.2) and iterates [`RtcpPacket`]s;
//! [`Packet::parse`] reads one as a typed [`Packet`]. Reduced-size RTCP (RFC 5506 s3: a
//! compound that does not start with SR or RR, or one packet alone) is accepted like any
//! other; [`Compound::is_reduced_size`] says which it was.
//!
//! | packet | PT / FMT | spec |
//! | --- | --- | --- |
//! | [`SenderReport`] | 200 | RFC 3550 s6.4.1 |
//! | [`ReceiverReport`] | 201 | RFC 3550 s6.4.2 |
//! | [`Sdes`] | 202 | RFC 3550 s6.5 |
//! | [`Bye`] | 203 | RFC 3550 s6.6 |
//! | [`App`] | 204 | RFC 3550 s6.7 |
//! | [`Nack`] | 205 / 1 | RFC 4585 s6.2.1 |
//! | [`TransportFeedback`] | 205 / 15 | draft-holmer-rmcat-transport-wide-cc-extensions-01 s3.1 |
//! | [`Pli`] | 206 / 1 | RFC 4585 s6.3.1 |
//! | [`Fir`] | 206 / 4 | RFC 5104 s4.3.1 |
//! | [`Remb`] | 206 / 15 "REMB" | draft-alvestrand-rmcat-remb-03 s2.2 |
//! | [`Xr`] (RRTR, DLRR) | 207 | RFC 3611 s4.4, s4.5 |
//!
//! Any other type is kept as the [`RtcpPacket`] it came in ([`Packet::Unknown`]) and
//! written back unchanged. Writing goes through [`RtcpWrite`], one packet at a time or
//! several with a [`CompoundWriter`].

mod app;
mod bye;
mod compound;
mod fir;
mod header;
mod items;
mod nack;
mod packet;
mod pli;
mod remb;
mod report_block;
mod rr;
mod sdes;
mod sr;
mod twcc;
mod xr;

pub use app::App;
pub use bye::Bye;
pub use compound::{Compound, CompoundWriter, Packets};
pub use fir::{Fir, FirEntry};
pub use header::{RtcpPacket, packet_type};
pub use items::{Items, ItemsIter, WireItem};
pub use nack::{Lost, Nack, NackPair};
pub use packet::{Packet, RtcpWrite};
pub use pli::Pli;
pub use remb::Remb;
pub use report_block::ReportBlock;
pub use rr::ReceiverReport;
pub use sdes::{Sdes, SdesChunk, SdesChunks, SdesItem, SdesItems, sdes_type};
pub use sr::SenderReport;
pub use twcc::{TransportFeedback, TwccPacket, TwccPackets, TwccPacketsIter};
pub use xr::{DlrrItem, Xr, XrBlock, XrBlocks, XrBlocksIter};
