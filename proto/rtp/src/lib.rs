//! RTP and RTCP packets (RFC 3550) for WebRTC: zero-copy views over received bytes and
//! writers into buffers the caller owns.
//!
//! This crate does no I/O, reads no clock, keeps no state between packets and allocates
//! nothing to parse, write or rewrite a packet. It does not encrypt (wren-srtp does), does
//! not schedule RTCP (RFC 3550 s6.2 intervals belong to the peer connection) and does not
//! packetize codecs (wren-media does).
//!
//! ```
//! use wren_rtp::rtcp::{Compound, CompoundWriter, Nack, NackPair, Packet};
//! use wren_rtp::rtp::extensions::{AbsSendTime, ExtensionKind, TransportCc};
//! use wren_rtp::rtp::{ExtensionForm, ExtensionMap, RtpHeader, RtpPacket, RtpPacketMut, RtpWriter};
//!
//! // The ids the SDP's a=extmap lines gave.
//! let mut map = ExtensionMap::new();
//! map.insert(2, ExtensionKind::AbsSendTime)?;
//! map.insert(3, ExtensionKind::TransportCc)?;
//!
//! // Write a packet with two extensions into our buffer...
//! let mut buf = [0u8; 1500];
//! let header = RtpHeader { payload_type: 96, sequence_number: 1, timestamp: 90_000, ssrc: 0x1111, ..Default::default() };
//! let mut w = RtpWriter::new(&mut buf, &header)?;
//! w.extensions(ExtensionForm::OneByte)?;
//! w.add(2, &AbsSendTime(0x12_3456))?.add(3, &TransportCc(7))?;
//! let n = w.finish(&[0xde, 0xad], 0)?;
//!
//! // ...read it in place...
//! let p = RtpPacket::parse(&buf[..n])?;
//! assert_eq!(p.get::<TransportCc>(&map), Some(Ok(TransportCc(7))));
//!
//! // ...and forward it with a new SSRC and transport-wide sequence number, in place.
//! let mut fwd = RtpPacketMut::parse(&mut buf[..n])?;
//! fwd.set_ssrc(0x2222);
//! fwd.set_extension(3, &9u16.to_be_bytes())?;
//! assert_eq!(RtpPacket::parse(&buf[..n])?.get::<TransportCc>(&map), Some(Ok(TransportCc(9))));
//!
//! // RTCP: a NACK for packets 10, 11 and 14, written and read back.
//! let mut pairs = [NackPair::default(); 4];
//! let used = NackPair::pack([10, 11, 14], &mut pairs).unwrap();
//! let nack = Nack { sender_ssrc: 0x2222, media_ssrc: 0x1111, pairs: (&pairs[..used]).into() };
//! let mut out = [0u8; 1200];
//! let mut c = CompoundWriter::new(&mut out);
//! c.push(&nack)?;
//! let n = c.finish();
//! for packet in Compound::parse(&out[..n])?.packets() {
//!     if let Packet::Nack(nack) = packet? {
//!         assert!(nack.lost().eq([10, 11, 14]));
//!     }
//! }
//! # Ok::<(), wren_rtp::Error>(())
//! ```
//!
//! # What is inside
//!
//! - [`rtp`]: [`RtpPacket`](rtp::RtpPacket), a checked view (RFC 3550 s5.1: CSRCs,
//!   padding, the extension block with RFC 8285 one-byte and two-byte elements, all
//!   validated at parse so reading cannot fail); [`RtpWriter`](rtp::RtpWriter);
//!   [`RtpPacketMut`](rtp::RtpPacketMut) for a forwarder's in-place rewrite of SSRC,
//!   payload type, sequence number, timestamp, marker and extension values;
//!   [`rtp::extensions`], the typed extensions browsers send and their URIs, and
//!   [`ExtensionMap`](rtp::ExtensionMap) from `a=extmap` ids to them; [`rtp::unwrap`] for
//!   64-bit sequence numbers and timestamps (RFC 3550 Appendix A.1).
//! - [`rtcp`]: compound packets (RFC 3550 s6) and reduced-size RTCP (RFC 5506), with SR,
//!   RR, SDES, BYE, APP, generic NACK, PLI, FIR (RFC 4585, RFC 5104), transport-wide CC
//!   feedback, REMB and XR (RRTR, DLRR; RFC 3611) typed; anything else passes through.
//!   Each type is one struct that a parse fills (its lists read in place) and a writer
//!   takes (its lists given as slices).
//! - [`rtx`]: RFC 4588 wrap and unwrap.
//! - Typed [`Error`]s that name the structure and the bytes involved. No input panics
//!   (proptests, and the `rtp_parse` and `rtcp_parse` fuzz targets).
//!
//! Packets recorded from a Chromium session sit in `tests/fixtures/` with the script that
//! captured them; `tests/fixtures.rs` parses each and writes it back to the same bytes
//! (transport-wide CC feedback included: the writer chooses status chunks as libwebrtc
//! does).
//!
//! # Measured
//!
//! `cargo bench -p wren-benches --bench rtp` on those packets, on the project's shared
//! 2-core machine (fastest of 200 alternating batches, ns per call; benches/README.md has
//! the criterion medians too): a Chromium VP8 header with its extensions 46 (`rtc-rtp`
//! 243, `rtp` 247); SR + SDES 32 (`rtc-rtcp` 144, `rtcp` 175); SR + SDES + REMB 50 (194,
//! 268); transport-wide CC feedback 46 (286, 300); RR + NACK 47 (257, 326): 3.9x to 6.2x
//! the fastest peer, with no allocation (`tests/alloc.rs`).

pub mod error;
pub mod rtcp;
pub mod rtp;
pub mod rtx;

mod bytes;

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz;

pub use error::Error;

#[cfg(test)]
mod tests;
