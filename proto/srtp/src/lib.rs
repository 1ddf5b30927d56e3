//! SRTP and SRTCP (RFC 3711, RFC 7714): protect and unprotect RTP and RTCP packets in
//! place, in the caller's buffer.
//!
//! This crate does no I/O, reads no clock and keeps no timers: it is a pair of contexts
//! that transform bytes. It does not negotiate keys either (wren-dtls exports them, RFC
//! 5764) and does not parse RTP beyond the header fields SRTP needs (wren-rtp does).
//!
//! ```
//! use wren_srtp::{Config, Profile, Role, Session};
//!
//! // The DTLS exporter's output ("EXTRACTOR-dtls_srtp"), 60 bytes for this profile.
//! let profile = Profile::Aes128CmHmacSha1_80;
//! let material = [7u8; 60];
//! let config = Config::default();
//! let mut client = Session::from_keying_material(profile, &material, Role::Client, &config)?;
//! let mut server = Session::from_keying_material(profile, &material, Role::Server, &config)?;
//!
//! // An RTP packet in a buffer with room for the tag.
//! let rtp = [0x80, 96, 0, 1, 0, 0, 0, 160, 0xca, 0xfe, 0xba, 0xbe, b'h', b'i'];
//! let mut buf = [0u8; 1500];
//! buf[..rtp.len()].copy_from_slice(&rtp);
//! let n = client.protect_rtp(&mut buf, rtp.len())?;
//! assert_eq!(n, rtp.len() + profile.rtp_overhead());
//!
//! // The datagram as it arrived, unprotected where it lies.
//! let len = server.unprotect_rtp(&mut buf[..n])?;
//! assert_eq!(&buf[..len], &rtp);
//! // The same packet again is a replay.
//! # let mut again = [0u8; 1500];
//! # again[..rtp.len()].copy_from_slice(&rtp);
//! # let n = client.protect_rtp(&mut again, rtp.len())?;
//! assert!(matches!(server.unprotect_rtp(&mut again[..n]), Err(wren_srtp::Error::Replayed { .. })));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What is inside
//!
//! - [`Profile`]: the four DTLS-SRTP profiles (RFC 5764 s4.1.2, RFC 7714 s14.2) with their
//!   key, salt and tag lengths; [`MasterKey`] and [`split_keying_material`] (RFC 5764
//!   s4.2) for a DTLS [`Role`].
//! - [`Outbound`] protects and [`Inbound`] unprotects, each under one master key; a
//!   [`Session`] holds both directions. Session keys are derived once per context (RFC
//!   3711 s4.3, key derivation rate 0; the AES-256 PRF for AES-256-GCM, RFC 6188 s5.1).
//! - Per SSRC, created on first use up to [`Config::max_ssrcs`]: the rollover counter
//!   with index estimation across wraps and reordering (RFC 3711 s3.3.1, Appendix A), a
//!   replay window of [`Config::replay_window`] packets (s3.3.2) for SRTP and for SRTCP,
//!   and the sender's SRTCP index (s3.4). SRTCP is always sent encrypted (E flag set);
//!   received SRTCP without the E flag is authenticated and accepted.
//! - Typed [`Error`]s; a refused packet never changes a context. No input panics (the
//!   `srtp_unprotect` and `srtcp_unprotect` fuzz targets).
//!
//! # Buffers
//!
//! `protect_*(buf, len)` takes the packet in `buf[..len]` and writes the protected packet
//! over it, growing into `buf[len..]` by [`Profile::rtp_overhead`] (or
//! [`Profile::rtcp_overhead`]) bytes; it returns the new length, or
//! [`Error::BufferTooSmall`] if `buf` is shorter. `unprotect_*(buf)` takes exactly the
//! received packet and returns the length of the plain packet at the start of `buf`. A
//! slice cannot grow, so nothing here can allocate per packet; a counting-allocator test
//! (`tests/alloc.rs`) checks it for every profile.
//!
//! # Crypto, chosen by measurement
//!
//! Measured on this project's 2-core Xeon (AES-NI, VAES, SHA-NI) with
//! `cargo bench -p wren-benches --bench srtp` (the paired minimum of 300 alternating
//! batches of 256 calls; see benches/README.md):
//!
//! | building block, on one 1200-byte packet's bytes | ns |
//! | --- | --- |
//! | AES-128-CTR, RustCrypto `aes` + `ctr`, 1188 B | 198 |
//! | AES-128 block encryption alone, `aes`, 75 blocks | 126 |
//! | AES-128-GCM seal (CTR and GHASH), `ring::aead`, 1188 B | 242 |
//! | HMAC-SHA1, RustCrypto `hmac` + `sha1` (SHA-NI), 1204 B | 859 |
//! | HMAC-SHA1, `ring::hmac`, 1204 B | 3023 |
//!
//! - AES-GCM: `ring::aead`.
//! - HMAC-SHA1: RustCrypto `sha1` (SHA extensions), under a precomputed HMAC key
//!   (`wren_core::hmac_sha1`, shared with wren-stun); ring's has no SHA-NI path and is 3.5x slower here. HMAC is four
//!   fifths of an AES-CM packet's cost.
//! - AES-CTR: RustCrypto `aes` in `ctr` mode. ring has no raw CTR API (its CTR only
//!   serves GCM, whose counter layout SRTP's AES-CM cannot use). Its whole GCM seal (CTR
//!   and GHASH) is only 20% slower than `aes` + `ctr` alone, so ring's CTR would be
//!   faster; and `ctr` adds about 70 ns over `aes`'s bare blocks: a place to gain about
//!   5% on AES-CM later.
//!
//! Against those raw ciphers on the same bytes, a protect or unprotect costs 1.00-1.01x
//! (AES-CM profiles, about 1080 ns) and 1.03-1.06x (AES-GCM, 230-280 ns): the goals were
//! 1.1x and 1.2x.
#![forbid(unsafe_code)]

mod cipher;
mod config;
mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz;
mod header;
mod inbound;
mod kdf;
mod keys;
mod outbound;
mod profile;
mod replay;
mod session;
mod streams;
#[cfg(test)]
mod tests;

pub use config::Config;
pub use error::{Error, SetupError};
pub use inbound::Inbound;
pub use keys::{MasterKey, Role, split_keying_material};
pub use outbound::Outbound;
pub use profile::Profile;
pub use session::Session;
