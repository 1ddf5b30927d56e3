//! The shared vocabulary of every Wren state machine, and the loop that runs them.
//!
//! Every protocol machine of Wren is a [`Machine`]: bytes and `Instant`s go in, datagrams
//! (written into a buffer the caller owns), events and a deadline come out. A driver runs
//! any of them with the same loop: drain, sleep until input or the deadline, feed, repeat.
//!
//! ```no_run
//! use std::net::UdpSocket;
//! use std::time::Instant;
//! use wren_core::{Datagram, Machine};
//!
//! fn run<M: Machine>(mut machine: M, sock: UdpSocket) -> std::io::Result<()> {
//!     let local = sock.local_addr()?;
//!     let (mut rx, mut tx) = (vec![0u8; 65536], Vec::with_capacity(1500));
//!     loop {
//!         let now = Instant::now();
//!         while let Some(t) = { tx.clear(); machine.poll_transmit(now, &mut tx) } {
//!             sock.send_to(&tx, t.destination)?;
//!         }
//!         while let Some(_event) = machine.poll_event() { /* to the application */ }
//!         match machine.poll_timeout() {
//!             Some(t) if t <= now => { machine.handle_timeout(now); continue; }
//!             deadline => sock.set_read_timeout(deadline.map(|t| t - now))?,
//!         }
//!         match sock.recv_from(&mut rx) {
//!             Ok((n, from)) => machine.handle_datagram(Instant::now(), Datagram::udp(from, local, &rx[..n])),
//!             Err(_) => machine.handle_timeout(Instant::now()), // the deadline came
//!         }
//!     }
//! }
//! ```
//!
//! The real drivers (`wren-tokio`, `wren-mio`) and the simulator (`wren-netsim`) add the
//! other outputs, [`Machine::poll_socket_request`] for machines that ask for sockets of
//! their own, and commands from other tasks ([`Machine::handle_command`]). The verbs:
//!
//! | input                                  | output                                   |
//! |----------------------------------------|------------------------------------------|
//! | [`Machine::handle_datagram`]`(now, d)` | [`Machine::poll_transmit`]`(now, buf)`   |
//! | [`Machine::handle_command`]`(now, c)`  | [`Machine::poll_event`]`()`              |
//! | [`Machine::handle_timeout`]`(now)`     | [`Machine::poll_timeout`]`()`            |
//! | [`Machine::handle_socket_result`]      | [`Machine::poll_socket_request`]`()`     |
//!
//! This crate contains no networking code and reads no clock and no global random number
//! generator. Besides the trait it holds:
//!
//! - [`Datagram`] (bytes that arrived, borrowed) and [`Transmit`] (where the bytes the
//!   machine wrote go);
//! - [`Rng`], the seeded ChaCha20 generator every machine owns;
//! - [`TimerTable`] (a machine's fixed set of named timers) and [`Deadlines`] (a timer per
//!   entity, keyed): the one timer idiom, see the `Deadlines` docs;
//! - [`demux`], RFC 7983 first-byte demultiplexing;
//! - [`framing`] and [`stream`], STUN/ChannelData and RFC 4571 framing over TCP;
//! - [`socket`], the sockets a machine asks its driver for, and [`SocketIndex`].
#![forbid(unsafe_code)]

mod compare;
mod datagram;
mod deadlines;
pub mod demux;
pub mod framing;
#[cfg(feature = "hmac-sha1")]
pub mod hmac_sha1;
mod machine;
mod rng;
pub mod socket;
pub mod stream;
#[cfg(feature = "testing")]
#[doc(hidden)]
pub mod testing;
mod timer;

pub use compare::constant_time_eq;
pub use datagram::{Datagram, Ecn, Segments, Transmit, Transport};
pub use deadlines::Deadlines;
pub use machine::{Machine, TimerName};
pub use rng::Rng;
pub use socket::{BindError, SocketIndex, SocketOptions, SocketRequest, SocketResult};
pub use timer::{TimerKind, TimerTable};
