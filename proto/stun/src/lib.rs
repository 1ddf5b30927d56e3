//! STUN, RFC 8489: messages, attributes, credentials, transactions and a Binding server.
//!
//! The machines ([`client::Client`], [`server::Server`]) are [`wren_core::Machine`]s: they
//! read no clock and open no socket. The run loop of a client that asks a server for its
//! reflexive address, on a blocking std socket:
//!
//! ```no_run
//! use std::net::UdpSocket;
//! use std::time::Instant;
//! use wren_core::{Datagram, Machine, Transport};
//! use wren_stun::client::{Client, Config, Event};
//!
//! let sock = UdpSocket::bind("0.0.0.0:0")?;
//! let local = sock.local_addr()?;
//! let mut client = Client::new(Instant::now(), Config::default());
//! client.binding(Instant::now(), Transport::Udp, None, "192.0.2.1:3478".parse()?)?;
//! let (mut rx, mut tx) = (vec![0u8; 1500], Vec::new());
//! loop {
//!     let now = Instant::now();
//!     while let Some(t) = { tx.clear(); client.poll_transmit(now, &mut tx) } {
//!         sock.send_to(&tx, t.destination)?;
//!     }
//!     if let Some(event) = client.poll_event() {
//!         if let Event::Success { mapped, .. } = &event { println!("mapped: {mapped:?}"); }
//!         break; // one transaction, one outcome
//!     }
//!     let Some(deadline) = client.poll_timeout() else { break };
//!     if deadline <= now { client.handle_timeout(now); continue; }
//!     sock.set_read_timeout(Some(deadline - now))?;
//!     match sock.recv_from(&mut rx) {
//!         Ok((n, from)) => client.handle_datagram(Instant::now(), Datagram::udp(from, local, &rx[..n])),
//!         Err(_) => client.handle_timeout(Instant::now()), // retransmit or give up
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What is inside:
//!
//! - [`Message`], a zero-copy view of a received message, typed attributes ([`attr`])
//!   decoded on demand, and [`MessageWriter`], which appends a message to a `Vec<u8>` the
//!   caller owns;
//! - [`Key`] and [`integrity`]: short-term and long-term credentials (RFC 8489 section 9),
//!   MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT;
//! - [`client::Client`]: client transactions (RFC 8489 section 6.2), long-term
//!   authentication and ALTERNATE-SERVER;
//! - [`server::Server`]: the Binding server.
//!
//! Reading order, from the leaves of the module graph: `header.rs` (message type and
//! transaction ID) and `attr_type.rs` (attribute types), `error.rs`, `prep.rs`,
//! `integrity.rs` (on `wren_core::hmac_sha1`), `attr.rs`, `wire.rs`, then the machines
//! `server.rs` and `client/`.
#![forbid(unsafe_code)]

pub mod attr;
mod attr_type;
pub mod client;
mod error;
mod header;
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
