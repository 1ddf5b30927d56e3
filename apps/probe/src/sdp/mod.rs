//! `wren-probe sdp explain` and `wren-probe sdp answer`: what a session description
//! (RFC 8866) says, in plain words, where calls usually break, and what Wren's JSEP model
//! (RFC 9429) answers to it.
//!
//! Each part does one job and can be tested as data:
//!
//! - [`input`] reads a file or standard input under wren-sdp's size limit and parses it,
//!   keeping the line a parse error names ([`InputError`]);
//! - [`explain`] builds an [`Explanation`] from a parsed [`wren_sdp::Session`]: the session,
//!   then each section (kind, mid, port, direction, codecs, header extensions, candidates,
//!   ICE and DTLS parameters, simulcast, sources, data channel);
//! - [`codec`] says what each codec's `a=fmtp` parameters and `a=rtcp-fb` values mean
//!   (H.264 profile and level from `profile-level-id`, VP9 and AV1 profiles, Opus options,
//!   RTX and RED bound to their codecs);
//! - [`words`] names header extensions, directions and DTLS roles;
//! - [`warn`] has the [`Warning`]s and their text, and [`checks`] finds them: rejected
//!   sections and why, missing fingerprints or ICE credentials, credentials a signalling
//!   layer may have escaped, private-only addresses, and the BUNDLE, rtcp-mux and setup
//!   mistakes;
//! - [`address`] tells private, loopback, link-local and mDNS addresses from public ones;
//! - [`render`] writes an explanation as text;
//! - [`answer`] answers an offer with [`wren_sdp::jsep::Capabilities::default`].

pub mod address;
pub mod answer;
pub mod checks;
pub mod codec;
pub mod explain;
pub mod input;
pub mod render;
pub mod warn;
pub mod words;

pub use explain::{Explanation, SectionFacts, SessionFacts};
pub use input::InputError;
pub use warn::Warning;

#[cfg(test)]
mod tests;
