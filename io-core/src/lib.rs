//! What is runtime-neutral in driving a [`wren_core::Machine`] over real sockets, once, for
//! `wren-tokio` and `wren-mio`: the adapters only do I/O.
//!
//! # The run loop
//!
//! ```no_run
//! use std::time::Instant;
//! use wren_core::Machine;
//! use wren_io::{Drain, Route, Sockets, Step, TurnLimits};
//!
//! fn turn<M: Machine, H: wren_io::Host<Slot = usize>>(
//!     machine: &mut M, sockets: &mut Sockets<usize>, host: &mut H, tx: &mut Vec<u8>,
//! ) -> bool {
//!     let now = Instant::now(); // the adapter reads the clock once per wake-up
//!     let mut drain = Drain::new(TurnLimits::default());
//!     loop {
//!         match drain.next(machine, now, Some(tx)) {
//!             Step::Transmit(t) => match sockets.route(&t) {
//!                 Route::Udp(_slot) => { /* send tx from that socket */ }
//!                 Route::Stream => { /* queue tx on the connection to t.destination */ }
//!                 Route::Dropped => {} // counted already
//!             },
//!             Step::Flush => { /* send a batch, if the adapter batches */ }
//!             Step::Event(_event) => { /* hand it to the application */ }
//!             Step::Request(r) => sockets.request(machine, now, r, host),
//!             // Then: wait for input, commands or `machine.poll_timeout()` (not at all
//!             // when `more`), read the clock, feed the machine, and drain again.
//!             Step::Done { more } => return more,
//!         }
//!     }
//! }
//! ```
//!
//! # What lives here
//!
//! - [`Drain`]: the order in which a machine's output is taken (transmits, events, socket
//!   requests, round again while requests came) and the per-turn [`TurnLimits`] that keep
//!   one busy machine from starving the driver's sockets. It is sans-IO itself: one
//!   [`Step`] at a time, carried out by the adapter, so an async adapter can `.await`
//!   and a batching one can batch.
//! - [`Sockets`]: routing a transmit to a UDP socket ([`wren_core::SocketIndex`]) or a
//!   stream, and the sockets the machine asks for ([`wren_core::SocketRequest`]): the
//!   bind with its options and errors, the bound on their number, and the close, which
//!   is counted only once the socket is closed and its port free. The adapter moves a
//!   socket in and out of its runtime through [`Host`], nothing more.
//! - [`disposition`]: the one rule for I/O errors (wait, retry, transient, fatal), and
//!   [`bind_error`], what a failed bind tells the machine; [`DriverError`], what stops a
//!   run loop.
//! - [`Stats`], [`Counters`], [`StatsHandle`]: one set of counters for every adapter, and
//!   [`Close`]: why a stream connection closed, counted one way, and [`Outbox`]: what
//!   waits to be written on one, and what was queued before its connect.
//! - [`ConnLimits`], [`Admission`], [`Deadlines`], [`Backoff`]: the bounds on accepted
//!   stream connections (caps in total and per source, descriptors in reserve, deadlines
//!   for the first message and the TLS handshake, bytes buffered in total), and what a
//!   listener does when `accept` fails (back off and retry, never stop);
//!   [`report_disconnected`]: a closed connection told to the machine.
//! - [`sockopt`]: the socket options (DF, buffer sizes, the `SO_REUSEADDR` rule), the only
//!   `unsafe` code here, and why it uses `libc` rather than `socket2`.
//!
//! # What it does not do
//!
//! It owns no runtime, no poller and no clock: it never waits, never reads
//! `Instant::now()`, and does no socket I/O but binding and closing the sockets the
//! machine asks for. Framing of TCP streams is [`wren_core::stream`]'s.

mod backoff;
mod deadlines;
mod drain;
mod error;
mod limits;
mod sockets;
pub mod sockopt;
mod stats;
mod stream;
#[cfg(feature = "testing")]
#[doc(hidden)]
pub mod testing;
#[cfg(test)]
mod tests;
#[cfg(feature = "tls")]
pub mod tls;

pub use backoff::{AcceptNext, BACKOFF_MAX, BACKOFF_MIN, Backoff};
pub use deadlines::Deadlines;
pub use drain::{Drain, Step, TurnLimits, command};
pub use error::{Disposition, DriverError, bind_error, disposition};
pub use limits::{
    Admission, ConnLimits, DEFAULT_FD_RESERVE, DEFAULT_FIRST_MESSAGE_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_PER_SOURCE, DEFAULT_TLS_HANDSHAKE_TIMEOUT,
    DEFAULT_TOTAL_BUFFER_LIMIT, Refusal,
};
pub use sockets::{DEFAULT_MAX_BOUND_SOCKETS, Host, Route, Sockets, report_disconnected};
pub use sockopt::Buffers;
pub use stats::{Counter, Counters, Stats, StatsHandle};
pub use stream::{Close, Outbox};
