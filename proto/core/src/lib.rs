//! The shared vocabulary of every Wren state machine.
//!
//! This crate contains no networking code, reads no clock and no global random number
//! generator. It defines the few types every protocol machine of Wren speaks, so that the
//! io adapters (`wren-tokio`, `wren-mio`) and the simulator (`wren-netsim`) can drive any
//! of them generically:
//!
//! | input                                  | output                                   |
//! |----------------------------------------|------------------------------------------|
//! | [`Machine::handle_datagram`]`(now, d)` | [`Machine::poll_transmit`]`(now, buf)`   |
//! | [`Machine::handle_command`]`(now, c)`  | [`Machine::poll_event`]`()`              |
//! | [`Machine::handle_timeout`]`(now)`     | [`Machine::poll_timeout`]`()`            |
//!
//! Besides the [`Machine`] trait it holds:
//!
//! - [`Datagram`] (bytes that arrived, borrowed) and [`Transmit`] (metadata of bytes to send,
//!   which the machine wrote into a buffer the caller owns);
//! - [`Rng`], the seeded ChaCha20 generator every machine owns (no machine touches a global RNG);
//! - [`demux`], RFC 7983 first-byte demultiplexing of STUN, DTLS, TURN ChannelData and RTP/RTCP;
//! - [`framing`], splitting a TCP byte stream into STUN/ChannelData messages (RFC 8489
//!   section 6.2.2, RFC 8656 section 12.5) or RFC 4571 length-prefixed frames;
//! - [`stream`], the per-connection buffers of a stream transport (the partial message read,
//!   the framed bytes to write) and the table that routes stream transmits to connections,
//!   so that every adapter frames TCP the same way;
//! - [`TimerTable`], a fixed array of named deadlines, the way machines keep their timers.
//! - [`socket`], the sockets a machine asks its driver to bind and close (TURN relayed
//!   addresses), with [`Machine::poll_socket_request`] and [`Machine::handle_socket_result`],
//!   and [`SocketIndex`], which finds the socket a transmit leaves from among thousands.
//!
//! # The run loop
//!
//! Every adapter runs the same loop: drain, sleep until the deadline or input, feed, repeat.
//!
//! ```no_run
//! use std::time::Instant;
//! use wren_core::{Datagram, Machine};
//!
//! fn run<M: Machine>(mut machine: M, mut recv: impl FnMut(&mut [u8]) -> Option<(usize, std::net::SocketAddr)>,
//!                    local: std::net::SocketAddr, mut send: impl FnMut(&[u8], std::net::SocketAddr)) {
//!     let mut rx = vec![0u8; 65536];
//!     let mut tx = Vec::with_capacity(1500);
//!     loop {
//!         let now = Instant::now();
//!         // 1. Drain everything the machine wants to send and report.
//!         loop {
//!             tx.clear();
//!             let Some(t) = machine.poll_transmit(now, &mut tx) else { break };
//!             send(&tx, t.destination);
//!         }
//!         while let Some(_event) = machine.poll_event() { /* hand to the application */ }
//!         // 2. Wait for input or the next deadline (a real adapter sleeps in its poller).
//!         match recv(&mut rx) {
//!             Some((n, source)) => {
//!                 let d = Datagram::udp(source, local, &rx[..n]);
//!                 machine.handle_datagram(Instant::now(), d);
//!             }
//!             None => machine.handle_timeout(Instant::now()),
//!         }
//!     }
//! }
//! ```
#![forbid(unsafe_code)]

mod datagram;
mod deadlines;
pub mod demux;
pub mod framing;
mod machine;
mod rng;
pub mod socket;
pub mod stream;
#[cfg(feature = "testing")]
#[doc(hidden)]
pub mod testing;
mod timer;

pub use datagram::{Datagram, Ecn, Segments, Transmit, Transport};
pub use deadlines::Deadlines;
pub use machine::Machine;
pub use rng::Rng;
pub use socket::{BindError, SocketIndex, SocketOptions, SocketRequest, SocketResult};
pub use timer::{TimerKind, TimerTable};
