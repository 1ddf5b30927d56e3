//! TURN, RFC 8656 (with RFC 5766 clients still served): ChannelData, the server machine and
//! the client machine.
//!
//! Both machines are [`wren_core::Machine`]s: no socket, no clock. The run loop of a client
//! that allocates a relayed address, on a blocking std socket:
//!
//! ```no_run
//! use std::net::UdpSocket;
//! use std::time::Instant;
//! use wren_core::{Datagram, Machine, Transport};
//! use wren_turn::client::{Client, Config, Event};
//!
//! let sock = UdpSocket::bind("0.0.0.0:0")?;
//! let local = sock.local_addr()?;
//! let config = Config::new("192.0.2.1:3478".parse()?, Transport::Udp, "user", "password");
//! let mut turn = Client::new(Instant::now(), config);
//! turn.allocate(Instant::now())?;
//! let (mut rx, mut tx) = (vec![0u8; 65536], Vec::with_capacity(1500));
//! 'run: loop {
//!     let now = Instant::now();
//!     while let Some(t) = { tx.clear(); turn.poll_transmit(now, &mut tx) } {
//!         sock.send_to(&tx, t.destination)?;
//!     }
//!     while let Some(event) = turn.poll_event() {
//!         match event {
//!             Event::Allocated { relayed, .. } => { /* tell the peer about `relayed` */ }
//!             Event::Data { peer, data } => { /* from `peer`, through the relay */ }
//!             Event::Closed { .. } => break 'run,
//!             _ => {}
//!         }
//!     }
//!     match turn.poll_timeout() {
//!         Some(t) if t <= now => { turn.handle_timeout(now); continue; }
//!         deadline => sock.set_read_timeout(deadline.map(|t| t - now))?,
//!     }
//!     match sock.recv_from(&mut rx) {
//!         Ok((n, from)) => turn.handle_datagram(Instant::now(), Datagram::udp(from, local, &rx[..n])),
//!         Err(_) => turn.handle_timeout(Instant::now()), // refreshes, retransmissions
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The server ([`server::Server`]) runs in the same loop and owns no sockets either: the
//! relayed transport addresses it hands out are asked of the driver with
//! [`wren_core::Machine::poll_socket_request`] and answered with
//! [`wren_core::Machine::handle_socket_result`], so the same machine runs on wren-mio,
//! wren-tokio or the simulator.
//!
//! - [`wire`]: ChannelData messages (RFC 8656 section 12.4), a zero-copy view and a writer.
//! - [`server`]: the TURN server machine, [`server::Server`].
//! - [`client`]: the TURN client machine, [`client::Client`]: allocation, refreshes,
//!   permissions, channels, data to and from peers through the relay, typed failures.
#![forbid(unsafe_code)]

pub mod client;
pub mod server;
pub mod wire;

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz;

pub use wire::{ChannelData, ChannelNumber, WireError};
