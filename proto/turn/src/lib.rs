//! TURN, RFC 8656 (with RFC 5766 clients still served): ChannelData, the server machine and
//! the client machine.
//!
//! This crate contains no networking code and reads no clock: like every Wren machine, the
//! TURN server and client take datagrams and `Instant`s in and hand out datagrams, events
//! and deadlines. The server owns no sockets either: the relayed transport addresses it
//! hands out are asked of the driver as [`wren_core::SocketRequest`]s, so the same machine
//! runs on wren-mio, wren-tokio or the simulator.
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
