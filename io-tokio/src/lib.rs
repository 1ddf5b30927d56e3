//! Drives any [`wren_core::Machine`] over tokio sockets and timers.
//!
//! # The run loop
//!
//! ```no_run
//! use tokio::net::{TcpListener, UdpSocket};
//! use tokio::sync::{mpsc, oneshot};
//! use wren_core::Machine;
//! use wren_tokio::Driver;
//!
//! async fn serve<M: Machine>(machine: M) -> Result<M, Box<dyn std::error::Error>> {
//!     let driver = Driver::new(machine)
//!         .udp(UdpSocket::bind("127.0.0.1:3478").await?)?
//!         .tcp_listener(TcpListener::bind("127.0.0.1:3478").await?)?;
//!     let stats = driver.stats();
//!     let (_commands, commands_rx) = mpsc::channel::<M::Command>(64); // keep to send commands
//!     let (events, mut events_rx) = mpsc::channel::<M::Event>(64);
//!     let (stop, stopped) = oneshot::channel::<()>();
//!     let app = async move {
//!         while let Some(_event) = events_rx.recv().await { /* react, maybe `stop.send(())` */ }
//!         drop(stop);
//!     };
//!     let shutdown = async move { let _ = stopped.await; };
//!     let (machine, ()) = tokio::join!(driver.run(commands_rx, events, shutdown), app);
//!     println!("{:?}", stats.get());
//!     Ok(machine?)
//! }
//! ```
//!
//! This crate is the thin adapter of DESIGN.md: it holds sockets, one receive buffer, one
//! reused send buffer, the clock and a command channel, and nothing else. What is not
//! tokio's in driving a machine is [`wren_io`]'s, shared with `wren-mio`: the drain and
//! its per-turn limits ([`TurnLimits`]), routing and socket requests, the rule for I/O
//! errors, the counters ([`Stats`]) and the socket options (DF on sockets bound for the
//! machine). It contains **no
//! protocol logic**: it does not parse what it receives beyond splitting TCP streams into
//! messages (with [`wren_core::stream`], which `wren-mio` shares), never looks at a payload
//! to decide anything, keeps no timers of its own, and reads `Instant::now()` once per
//! wake-up, only to pass it in.
//!
//! Every closed TCP connection that delivered at least one message to the machine is
//! reported to it once, whatever closed it, with [`wren_core::SocketResult::Disconnected`]
//! (in the next drain), and a [`wren_core::SocketRequest::Disconnect`] closes the
//! connection it names, as in `wren-mio`.
//!
//! One [`Driver`] runs one machine, generically, over:
//!
//! - any number of UDP sockets;
//! - TCP listeners, whose accepted connections are read and framed;
//! - outgoing TCP connections: a [`wren_core::Transmit`] with `proto: Tcp` goes on the
//!   connection whose remote end is its `destination`; when there is none, the driver
//!   **opens one** to `destination` and queues the message until it is established
//!   ([`Driver::tcp_connect`] turns this off). If the connect fails, the queued messages
//!   are dropped and counted in [`Stats::dropped_no_route`];
//! - UDP sockets **the machine asks for** ([`wren_core::socket`]: a TURN server's relayed
//!   addresses). In every drain, after transmits and events, the driver takes the
//!   machine's [`wren_core::SocketRequest`]s: a `Bind` of UDP binds a non-blocking socket
//!   to the address asked and answers at once with [`wren_core::SocketResult::Bound`]
//!   (the real address, when port 0 was asked) or `Failed` (the OS error as a
//!   [`wren_core::BindError`]; `Unsupported` for another transport; `Exhausted` past
//!   [`Driver::max_bound_sockets`] or when descriptors run out), then drains again; a
//!   `Close` closes the socket and only then counts it in [`Stats::sockets_closed`], so
//!   its port is free once the count shows it (a close of an address the machine did not
//!   bind is ignored and counted). What such a socket receives reaches the machine with `destination` =
//!   its bound address, and a transmit with that `source` leaves through it, found by one
//!   hash lookup ([`wren_core::SocketIndex`]); a transmit without a `source` never leaves
//!   from one.
//!
//! A message from TCP reaches the machine as a [`wren_core::Datagram`] with `proto: Tcp`,
//! `source` = the remote address and `destination` = the local address of the connection.
//! Streams are framed with [`wren_core::framing::Framing::StunChannelData`] by default
//! (ChannelData sent on a stream is padded to four bytes, RFC 8656 section 12.5) or
//! [`wren_core::framing::Framing::Rfc4571`] (the driver adds the length prefix when
//! sending). A stream that cannot be framed, or whose buffered bytes (read or to be
//! written) pass [`Driver::tcp_buffer_limit`], is closed; closed and reset connections are
//! removed.
//!
//! In steady state the driver allocates nothing per datagram or per TCP message: the
//! receive buffer, the send buffer and each connection's buffers are reused, and a
//! counting-allocator test (`tests/no_alloc.rs`) checks it on the driver's thread. A
//! connection costs one allocation for its connect future and its buffers.
//!
//! # Many sockets
//!
//! The application's sockets and the TCP connections are polled in turn on each wake-up,
//! which is fine for the few a server listens on. The sockets bound for the machine may
//! be tens of thousands, so they are not: each is polled with a waker of its own, which,
//! when tokio's reactor finds the socket readable, puts it in a ready queue and wakes the
//! driver. A wake-up then polls only the queued sockets, and reads a datagram straight
//! into the driver's one receive buffer. There is no task, channel or copy per socket or
//! per datagram: binding one allocates its registration, its waker and room in the queue,
//! receiving on it allocates nothing (`tests/no_alloc.rs` checks it too). The two kinds of
//! sockets take turns being polled first, so neither starves the other.
//!
//! What it does not do: TLS (`Transport::Tls` transmits are dropped and counted), ECN
//! (neither read nor set), UDP GSO/GRO (a transmit with `segment_size` is sent as one
//! datagram per segment), `IP_PKTINFO` (a UDP datagram's `destination` is the socket's
//! bound address), batching (see `wren-mio` for `recvmmsg`/`sendmmsg`).
//!
//! # Errors and stopping
//!
//! The loop stops when the `shutdown` future completes and returns the machine. Dropping
//! every command sender does not stop it (a server may need no commands). An `Err` from
//! the machine's `handle_command` is logged at warn, counted in
//! [`Stats::command_errors`], and the loop goes on: by the sans-IO contract it means the
//! machine was misused, and one bad command must not stop every other peer
//! (`handle_datagram` returns nothing: junk is the machine's to count). The only fatal
//! error is a UDP socket failing for good ([`DriverError::Recv`], by
//! [`wren_io::disposition`]'s rule).

mod bound;
mod driver;
mod net;
mod tcp;
mod udp;

pub use driver::{DEFAULT_TCP_BUFFER_LIMIT, Driver};
pub use wren_io::{
    ConnLimits, DEFAULT_MAX_BOUND_SOCKETS, DriverError, Stats, StatsHandle, TurnLimits,
};
