//! SDP (RFC 8866) for WebRTC: a lossless parser and writer, and typed access to the
//! attributes WebRTC uses.
//!
//! This crate does no I/O and makes no randomness (session ids, ICE credentials and SSRCs
//! come from the caller). It does not interpret candidates: `a=candidate` values stay
//! text (wren-ice has the grammar), with their leading fields readable through
//! [`Candidate::fields`]. Offer/answer (JSEP, RFC 9429) is in [`jsep`].
//!
//! ```
//! use wren_sdp::{Attribute, Direction, Session, attribute::Setup};
//!
//! let text = "v=0\r\n\
//!     o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n\
//!     s=-\r\n\
//!     t=0 0\r\n\
//!     a=group:BUNDLE 0\r\n\
//!     a=x-unknown:kept as it is\r\n\
//!     m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n\
//!     c=IN IP4 0.0.0.0\r\n\
//!     a=mid:0\r\n\
//!     a=ice-ufrag:EsAw\r\n\
//!     a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\n\
//!     a=setup:actpass\r\n\
//!     a=sendonly\r\n\
//!     a=rtpmap:111 opus/48000/2\r\n\
//!     a=fmtp:111 minptime=10;useinbandfec=1\r\n";
//! let session = Session::parse(text)?;
//! assert_eq!(session.bundle_mids().collect::<Vec<_>>(), ["0"]);
//!
//! let audio = &session.media()[0];
//! assert_eq!(audio.mid(), Some("0"));
//! assert_eq!(audio.direction(), Direction::SendOnly);
//! assert_eq!(audio.setup(), Some(Setup::ActPass));
//! let opus = audio.rtpmap(111).unwrap();
//! assert_eq!((&*opus.encoding, opus.clock_rate, opus.channels), ("opus", 48000, Some(2)));
//! assert_eq!(audio.fmtp(111).unwrap().get("useinbandfec"), Some("1"));
//!
//! // Lossless: the text comes back byte for byte, unknown lines included.
//! assert_eq!(session.to_string(), text);
//!
//! // A line added by hand is written from its meaning, with CRLF.
//! let mut session = session;
//! session.media_mut()[0].push(Attribute::RtcpMux);
//! assert!(session.to_string().ends_with("a=rtcp-mux\r\n"));
//! # Ok::<(), wren_sdp::ParseError>(())
//! ```
//!
//! # Model
//!
//! A [`Session`] is the session section's lines ([`Entry`]) and a list of [`Media`]
//! sections, each an `m=` line ([`MediaLine`]) and its lines, all in the order read. Each
//! entry holds its meaning ([`Line`]: typed `o=`, `s=`, `c=`, `b=`, `t=`, `a=` lines, and
//! every other line as text) and, if it was parsed, the text it came from and its line
//! ending: the writer writes that text, so parse then write gives back the input byte for
//! byte. An entry cannot be changed in place; replacing it (through
//! [`Media::entries_mut`]) makes the new line be written from its meaning.
//!
//! Text fields are `Cow<'a, str>`: parsing borrows from the input, building a session from
//! scratch uses owned or `'static` strings. Small values (fingerprints, setup roles,
//! numbers) are owned; lists a codec negotiation reads (fmtp parameters, rid restrictions,
//! ICE options) are kept as their text and read through iterators.
//!
//! # What is typed
//!
//! [`attribute`] has one module per concern: ICE (`ice-ufrag`, `ice-pwd`, `ice-options`,
//! `ice-lite`, `candidate`, `end-of-candidates`; RFC 8839, RFC 8840), DTLS (`fingerprint`,
//! `setup`; RFC 8122, RFC 4145), RTP (`rtpmap`, `fmtp`, `rtcp-fb`, `extmap`; RFC 8866,
//! RFC 4585, RFC 8285), sources (`ssrc`, `ssrc-group`, `msid`, `msid-semantic`; RFC 5576,
//! RFC 8830), simulcast (`rid`, `simulcast`; RFC 8851, RFC 8853), BUNDLE (`group`,
//! `bundle-only`; RFC 5888, RFC 9143), SCTP (`sctp-port`, `max-message-size`; RFC 8841),
//! direction (RFC 8866 s6.7), and `rtcp-mux`, `rtcp-mux-only`, `rtcp-rsize`,
//! `extmap-allow-mixed`.
//!
//! # Offer/answer
//!
//! [`jsep`] builds on this model, never on text: [`jsep::answer()`] answers an offer from
//! [`jsep::Capabilities`] section by section (codecs with the offerer's payload types,
//! header extensions, direction, DTLS role, BUNDLE, simulcast, data channels), rejecting
//! what it cannot take with port 0 and a typed [`jsep::Rejection`];
//! [`jsep::create_offer`] offers our transceivers; [`jsep::Negotiation`] keeps the
//! current descriptions for re-offers, stopped sections and ICE restarts.
//!
//! # Errors and limits
//!
//! A [`ParseError`] names the line (from 1) and what was expected there ([`ErrorKind`]): an
//! `m=` line with too few fields, a bad port, an `a=rtpmap` without a clock rate. No input
//! panics (the `sdp_parse` fuzz target). [`Limits`] bound the text's size, its lines, the
//! length of a line and the number of media sections (128 KiB, 4096, 4096, 256 by default).

#![forbid(unsafe_code)]

pub mod attribute;
mod error;
mod fields;
pub mod jsep;
mod limits;
mod line;
mod media;
mod owned;
mod parse;
mod session;
mod write;

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz;

pub use attribute::{Attribute, Candidate, Direction};
pub use error::{ErrorKind, ParseError};
pub use fields::{Bandwidth, Connection, Origin, Timing};
pub use limits::Limits;
pub use line::{Ending, Entry, Line};
pub use media::{Media, MediaLine};
pub use session::Session;

#[cfg(test)]
mod tests;
