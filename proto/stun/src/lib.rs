//! STUN, RFC 8489: messages, attributes, credentials, transactions and a Binding server.
//!
//! This crate contains no networking code and reads no clock or global random generator:
//! bytes and `Instant`s come in, bytes (written into buffers the caller owns), events and
//! deadlines go out. The io adapters `wren-tokio` and `wren-mio` run its machines on real
//! sockets.
//!
//! - [`Message`] is a zero-copy view of a received message: [`Message::parse`] checks the
//!   structure without allocating, typed attributes ([`attr`]) are decoded on demand from
//!   borrowed slices, and [`Message::verify_integrity`] / [`Message::verify_fingerprint`]
//!   check MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT in place.
//! - [`MessageWriter`] appends a message to a `Vec<u8>` the caller owns.
//! - [`Key`] prepares short-term and long-term credentials (RFC 8489 section 9, with
//!   OpaqueString or SASLprep and the MD5/SHA-256 password algorithms).
//! - [`client::Client`] runs client transactions (RFC 8489 section 6.2: RTO doubling, Rc
//!   transmissions, Rm, the TCP timeout Ti) as a [`wren_core::Machine`].
//! - [`server::Server`] answers Binding requests (XOR-MAPPED-ADDRESS, or
//!   MAPPED-ADDRESS for RFC 3489 clients) and rejects what it must (400, 401, 420).
//!
//! Dependencies: RustCrypto's `hmac` + `sha1` serve HMAC-SHA1 because, measured on these
//! machines, they use the CPU's SHA extensions and run about 4x faster than ring's;
//! `crc32fast` computes FINGERPRINT with SIMD; `stringprep` and `precis-profiles` implement
//! SASLprep and OpaqueString.
//!
//! # Example: check a request and answer it
//!
//! ```
//! use wren_stun::{attr, Class, Key, Message, MessageWriter};
//!
//! // RFC 5769 section 2.1, the sample request.
//! # let request: &[u8] = &wren_stun::vectors::SAMPLE_REQUEST;
//! let key = Key::short_term("VOkJxbRl1RmTxUk/WvJxBt").unwrap();
//! let msg = Message::parse(request).unwrap();
//! msg.verify_fingerprint().unwrap();
//! msg.verify_integrity(&key).unwrap();
//! assert_eq!(msg.require::<attr::Username>().unwrap().0, "evtj:h6vY");
//!
//! let mut out = Vec::with_capacity(128);
//! let mut w = MessageWriter::new(
//!     &mut out,
//!     msg.message_type().with_class(Class::SuccessResponse),
//!     msg.transaction_id(),
//! );
//! w.add(&attr::XorMappedAddress("192.0.2.1:32853".parse().unwrap())).unwrap();
//! w.add_message_integrity(&key).unwrap();
//! w.add_fingerprint().unwrap();
//! let len = w.finish();
//! assert_eq!(len, out.len());
//! ```
#![forbid(unsafe_code)]

pub mod attr;
mod attr_type;
pub mod client;
mod error;
mod header;
mod hmac_sha1;
pub mod integrity;
mod prep;
pub mod server;
pub mod vectors;
mod wire;

#[cfg(test)]
mod tests;

pub use attr::Attribute;
pub use attr_type::{ATTR_HEADER_LEN, AttrType, RawAttribute};
pub use error::{AttrError, CredentialPart, Error, PrepError};
pub use header::{Class, HEADER_LEN, MAGIC_COOKIE, MessageType, Method, TransactionId};
pub use integrity::{Key, PasswordAlgorithm, Preparation};
pub use wire::{Attributes, Message, MessageWriter};

#[doc(hidden)]
pub mod fuzz;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
