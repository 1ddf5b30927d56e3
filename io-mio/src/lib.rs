//! Drives any [`wren_core::Machine`] over mio, batched with `recvmmsg`/`sendmmsg`.
//!
//! # The run loop
//!
//! ```no_run
//! use std::net::{TcpListener, UdpSocket};
//! use std::sync::mpsc;
//! use wren_core::Machine;
//! use wren_mio::Driver;
//!
//! fn serve<M>(machine: M) -> Result<M, Box<dyn std::error::Error>>
//! where
//!     M: Machine + Send + 'static,
//!     M::Command: Send,
//!     M::Event: Send + 'static,
//! {
//!     let driver = Driver::new(machine)?
//!         .udp(UdpSocket::bind("127.0.0.1:3478")?)?
//!         .tcp_listener(TcpListener::bind("127.0.0.1:3478")?)?;
//!     let handle = driver.handle(); // send(cmd), shutdown(), stats()
//!     let (events, events_rx) = mpsc::channel();
//!     let thread = driver.spawn(move |event| {
//!         let _ = events.send(event);
//!     })?;
//!     for _event in events_rx.iter().take(10) { /* react; handle.send(..) */ }
//!     handle.shutdown();
//!     let machine = thread.join().map_err(|_| "driver thread panicked")??;
//!     println!("{:?}", handle.stats());
//!     Ok(machine)
//! }
//! ```
//!
//! This crate is the blocking, batching adapter of DESIGN.md, for relays and servers that
//! move many datagrams. It holds sockets, one receive buffer, the send buffers of one batch,
//! the clock and a command channel, and nothing else. What is not mio's in driving a
//! machine is [`wren_io`]'s, shared with `wren-tokio`: the drain and its per-turn limits
//! ([`TurnLimits`]), routing and socket requests, the rule for I/O errors, the counters
//! ([`Stats`]) and the socket options (DF, buffer sizes). It contains **no protocol logic**: it
//! does not parse what it receives beyond splitting TCP streams into messages (with
//! [`wren_core::stream`], which `wren-tokio` shares) after rustls has decrypted them for a
//! TLS listener, never looks at a payload to decide
//! anything, keeps no protocol timers (its only deadlines are those of its own connection
//! limits, below), and reads `Instant::now()` once per wake-up, only to pass it in.
//!
//! One [`Driver`] runs one machine, generically, on one thread, with one `mio::Poll`, one
//! `Token` per socket and a `mio::Waker` for commands and shutdown, over:
//!
//! - any number of UDP sockets;
//! - TCP listeners, whose accepted connections are read and framed;
//! - TLS listeners ([`Driver::tls_listener`], `turns:`): each accepted connection runs a
//!   [`rustls::ServerConnection`] of the [`rustls::ServerConfig`] given (its certificate,
//!   versions and crypto provider are the application's choice; this crate enables no
//!   provider), and its decrypted bytes are framed exactly as TCP's are;
//! - outgoing TCP connections: a [`wren_core::Transmit`] with `proto: Tcp` goes on the
//!   connection whose remote end is its `destination` (found by remote address alone);
//!   when there is none, the driver **opens one** to `destination` (a non-blocking
//!   connect) and queues the message until it is established ([`Driver::tcp_connect`]
//!   turns this off). If the connect fails, the queued messages are dropped and counted
//!   in [`Stats::dropped_no_route`];
//! - UDP sockets **the machine asks for** ([`wren_core::socket`]: a TURN server's relayed
//!   addresses). In every drain, after transmits and events, the driver takes the
//!   machine's [`wren_core::SocketRequest`]s: a `Bind` of UDP binds a non-blocking socket
//!   to the address asked, registers it under a token of its own, and answers at once
//!   with [`wren_core::SocketResult::Bound`] (the real address, when port 0 was asked) or
//!   `Failed` (the OS error as a [`wren_core::BindError`]; `Unsupported` for another
//!   transport; `Exhausted` past [`Driver::max_bound_sockets`] or when descriptors run
//!   out), then drains again; a `Close` deregisters and closes the socket and only then
//!   counts it in [`Stats::sockets_closed`], so its port is free once the count shows it
//!   (a close of an address the machine did not bind is ignored and counted). What such a socket
//!   receives reaches the machine with `destination` = its bound address, and a transmit
//!   with that `source` leaves through it, found by one hash lookup
//!   ([`wren_core::SocketIndex`]); a transmit without a `source` never leaves from one.
//!   These sockets are read and written exactly as the application's (one `recvmmsg` per
//!   readable socket per turn, `sendmmsg` per socket): a wake-up costs the sockets that
//!   have input, never a pass over all of them, so tens of thousands are fine.
//!
//! A message from TCP reaches the machine as a [`wren_core::Datagram`] with `proto: Tcp`,
//! `source` = the remote address and `destination` = the local address of the connection;
//! one from TLS the same way with `proto: Tls`. A transmit with `proto: Tls` is framed,
//! encrypted and sent on the TLS connection from its `destination`; with none (it closed,
//! or the destination is a server: **no outgoing TLS connection is ever opened**) it is
//! dropped and counted in [`Stats::dropped_no_route`], as is a stream transmit whose
//! destination's connection is of the other transport.
//! Streams are framed with [`wren_core::framing::Framing::StunChannelData`] by default
//! (ChannelData sent on a stream is padded to four bytes, RFC 8656 section 12.5) or
//! [`wren_core::framing::Framing::Rfc4571`] (the driver adds the length prefix when
//! sending). A stream that cannot be framed, or whose buffered bytes (read or to be
//! written) pass [`Driver::tcp_buffer_limit`], is closed; closed and reset connections are
//! removed. For TLS the same limit applies to the decrypted bytes (the partial message read,
//! the framed messages not yet encrypted), and rustls holds at most one more record of
//! encrypted bytes to send; a TLS failure or a fatal alert closes the connection after one
//! try at sending rustls's alert, counted in [`Stats::tls_handshake_failures`] (before the
//! handshake completed, whatever closed it) or [`Stats::tls_errors`] (after).
//!
//! # Connections: reports, requests and limits
//!
//! Every closed stream connection (TCP or TLS) that delivered at least one message to the
//! machine is reported to it once, whatever closed it (the peer, an error, a limit, a
//! deadline, the machine itself), with [`wren_core::SocketResult::Disconnected`] and its
//! local and remote addresses and transport, in the next drain; a TURN server deletes the
//! allocation of that 5-tuple (RFC 8656 section 3.1). A
//! [`wren_core::SocketRequest::Disconnect`] closes the connection it names (counted in
//! [`Stats::disconnects_requested`], or [`Stats::disconnect_unknown`] when there is none).
//!
//! The connections the listeners accept are bounded by [`Driver::conn_limits`]
//! ([`ConnLimits`], safe defaults): a cap in total and per source IP address, and
//! descriptors kept in reserve for the sockets the machine binds (a connection arriving
//! when the process's open descriptors reach `RLIMIT_NOFILE` less the reserve is refused);
//! a refused connection is accepted and closed at once and counted by reason. An accepted
//! connection that has not delivered a complete message within the first-message deadline,
//! or finished its TLS handshake within the handshake deadline, is closed and counted; so is
//! the connection whose buffered bytes make the total over all connections pass its bound.
//! The deadlines sit in two queues in time order (every connection of a kind has the same
//! timeout), so they cost O(1) per connection and the driver wakes for the earliest.
//!
//! An `accept` that fails never stops a listener: an aborted connection is skipped, and
//! running out of descriptors or memory (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`) pauses
//! that listener for 50 ms, doubling to 250 ms, after which it tries again without waiting
//! for a readiness event (with edge-triggered readiness, a listener whose queue is full
//! would never get one), and at once when one of its connections closes. Each failure is
//! counted in [`Stats::accept_errors`]; the log has one warning per burst.
//!
//! # Batching
//!
//! On Linux, UDP input is read with one `recvmmsg` of up to [`BATCH`] datagrams into
//! [`BATCH`] slots of one receive buffer, and each is then fed to the machine; output is
//! drained from `poll_transmit` into up to [`BATCH`] reused buffers and sent with one
//! `sendmmsg` per socket. With UDP GSO ([`Driver::udp_gso`], on by default, Linux only),
//! consecutive datagrams for one socket and destination, all of one size but the last
//! (not longer), leave as one message with a `UDP_SEGMENT` control message (at most 64
//! datagrams, 65,000 bytes), from several buffers through several iovecs; a transmit with
//! `segment_size` leaves as such a message, not split. The control message buffers are
//! part of the reused headers. If the kernel refuses the first GSO message, GSO is off
//! for the rest of the run ([`Stats::gso_disabled`]) and its datagrams go one by one;
//! without GSO each segment is one message of the same `sendmmsg`, a slice of the same
//! buffer, with no copy. If a socket's send buffer is full, the rest of the batch waits for
//! its writable event and the machine keeps its further transmits meanwhile. Elsewhere,
//! the same batches go through loops of `recv_from`/`send_to`. Steady state allocates
//! nothing per datagram or TCP message: the buffers are reused, the system call headers
//! are made once per run (only the entries a call uses are filled), and a
//! counting-allocator test (`tests/no_alloc.rs`) checks it on the driver's thread. TLS is
//! not in that claim: rustls allocates the records it encrypts.
//!
//! A socket with input is read one batch per turn, round robin with the other sockets
//! that have input, for as long as its batches come back full (one that comes back short
//! has been emptied: the kernel reports the next datagram that arrives). While some socket
//! is known to have input, the driver does not ask the poller, except once every few
//! turns so that other sockets, commands and shutdown are not kept waiting; it waits in
//! the poller only when nothing is known to have input.
//!
//! UDP socket buffers keep the OS default (`net.core.rmem_default`, often 208 KiB) unless
//! [`Driver::udp_recv_buffer`] and [`Driver::udp_send_buffer`] ask for more; a relay under
//! load wants more (the kernel drops what does not fit before the driver sees it). The
//! sizes apply to the application's sockets and to those bound for the machine.
//!
//! The two system calls are made through `libc` in one small module (`sys.rs`, the only
//! `unsafe` code of this crate, each block with its `SAFETY` comment; the buffer and DF
//! options are [`wren_io::sockopt`]'s). `nix` was considered:
//! its `recvmmsg` fits (preallocated `MultiHeaders`, no allocation per call), but its
//! `sendmmsg` reports how many messages went out only through an iterator that reads back
//! address slots the kernel never wrote on send (uninitialised memory), and it shares one
//! set of control messages across the batch. `quinn-udp` batches receives but sends one
//! `sendmsg` per destination, not `sendmmsg`.
//!
//! What it does not do: outgoing TLS connections and client certificates (the
//! `ServerConfig` may ask for them; nothing here looks at them), DTLS, ECN
//! (neither read nor set), GRO, `IP_PKTINFO` (a UDP datagram's `destination` is the
//! socket's bound address), datagrams larger than [`Driver::udp_max_payload`] (dropped
//! and counted on Linux; cut short silently elsewhere).
//!
//! # Errors and stopping
//!
//! [`Driver::run`] returns the machine after [`Handle::shutdown`]. Dropping every
//! [`Handle`] does not stop it (a server may need no commands; it runs until shut down).
//! An `Err` from the machine's `handle_command` is logged at warn, counted in
//! [`Stats::command_errors`], and the loop goes on: by the sans-IO contract it means the
//! machine was misused, and one bad command must not stop every other peer
//! (`handle_datagram` returns nothing: junk is the machine's to count). Fatal are only a
//! failing poller ([`DriverError::Poll`]) and a UDP socket failing for good
//! ([`DriverError::Recv`], by [`wren_io::disposition`]'s rule).

mod bound;
mod driver;
mod guard;
mod handle;
mod net;
#[cfg(target_os = "linux")]
mod sys;
mod tcp;
mod tls;
mod udp;

/// The rustls this crate is built with: [`Driver::tls_listener`] takes its
/// [`rustls::ServerConfig`].
pub use rustls;

pub use driver::{COMMAND_CAPACITY, DEFAULT_TCP_BUFFER_LIMIT, DEFAULT_UDP_MAX_PAYLOAD, Driver};
pub use handle::Handle;
pub use udp::BATCH;
/// Socket options and the descriptor limit ([`sockopt::raise_nofile_limit`]), for the
/// application's own sockets and its start.
pub use wren_io::sockopt;
pub use wren_io::{ConnLimits, DEFAULT_MAX_BOUND_SOCKETS, DriverError, Stats, TurnLimits};
