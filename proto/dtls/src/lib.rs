//! DTLS 1.2 (RFC 6347) with the DTLS-SRTP extension (RFC 5764), sans-IO.
//!
//! This is the wire layer the DTLS machine is built on, each part a zero-copy view of
//! received bytes and a writer into the caller's buffer:
//!
//! - [`record`]: the record framing, several records per datagram;
//! - [`handshake`]: handshake message fragments, and cutting a message to an MTU;
//! - [`reassembly`]: fragments put back together in any order, bounded;
//! - [`client_hello`], [`extension`]: the ClientHello and the extensions DTLS-SRTP needs
//!   (use_srtp, extended_master_secret, renegotiation_info, supported_groups,
//!   signature_algorithms, ec_point_formats, and a browser's supported_versions, whose DTLS
//!   1.3 offer a 1.2 server answers in 1.2);
//! - [`hello_verify`]: the server's stateless cookie (HelloVerifyRequest);
//! - [`server_hello`], [`certificate`] (with CertificateRequest), [`key_exchange`] (ECDHE
//!   ServerKeyExchange and ClientKeyExchange, CertificateVerify's signature), [`alert`]: the
//!   rest of the flights;
//! - [`prf`]: the TLS 1.2 PRF, the extended master secret, the key block, Finished, and
//!   the RFC 5705 exporter that keys SRTP;
//! - [`protection`]: AES-GCM record protection (ring);
//! - [`fingerprint`]: certificate fingerprints as SDP writes them, and the check of a
//!   peer's certificate against the one it announced;
//! - [`codes`]: the registered numbers, named.
//!
//! Reading what a browser sends first:
//!
//! ```
//! use wren_dtls::codes::{ContentType, HandshakeType, SrtpProfileId};
//! use wren_dtls::{client_hello::ClientHello, handshake, reassembly::Reassembler, record};
//!
//! fn first_flight(datagrams: &[&[u8]]) -> Option<Vec<SrtpProfileId>> {
//!     let mut hs = Reassembler::new(0, 1 << 16);
//!     for d in datagrams {
//!         for r in record::records(d).flatten() {
//!             if r.content_type != ContentType::HANDSHAKE || r.epoch != 0 {
//!                 continue;
//!             }
//!             for f in handshake::fragments(r.body).flatten() {
//!                 hs.insert(&f).ok()?;
//!             }
//!         }
//!     }
//!     let m = hs.pop()?;
//!     if m.msg_type != HandshakeType::CLIENT_HELLO {
//!         return None;
//!     }
//!     let hello = ClientHello::parse(&m.body).ok()?;
//!     let srtp = hello.extensions.use_srtp().ok()??;
//!     Some(srtp.profile_ids().collect())
//! }
//! # assert_eq!(first_flight(&[]), None);
//! ```
//!
//! Nothing here panics on input: every parser returns a [`ParseError`] naming the field.

pub mod alert;
pub mod certificate;
pub mod client_hello;
pub mod codes;
mod error;
pub mod extension;
pub mod fingerprint;
pub mod handshake;
pub mod hello_verify;
pub mod key_exchange;
pub mod prf;
pub mod protection;
mod reader;
pub mod reassembly;
pub mod record;
pub mod server_hello;

pub use error::ParseError;
pub use reader::U16List;
