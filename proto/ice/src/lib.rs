//! ICE (RFC 8445) for Wren: a sans-IO agent, full and lite. This crate contains no
//! networking code and reads no clock: the [`Agent`] takes datagrams and `Instant`s in and
//! hands out datagrams, events and deadlines, like every [`wren_core::Machine`]. It handles
//! STUN and TURN control; media is the caller's, routed without a copy.
//!
//! # Run loop
//!
//! ```no_run
//! # use std::time::Instant;
//! # use wren_core::{Datagram, Machine};
//! # use wren_ice::agent::{Agent, Config, Event, Received, Role};
//! # fn recv_from(_: &mut [u8]) -> Option<(usize, Datagram<'static>)> { None }
//! # fn send_to(_: &[u8], _: wren_core::Transmit) {}
//! # fn media(_: &[u8]) {}
//! # #[allow(clippy::disallowed_methods)]
//! # let now = Instant::now();
//! let mut agent = Agent::new(now, Config::new(Role::Controlling, vec!["192.0.2.10".parse().unwrap()]));
//! let (mut rx, mut tx) = (vec![0u8; 65536], Vec::with_capacity(1500));
//! loop {
//!     // Bind what `poll_socket_request` asks (or give sockets in `Config::bound_sockets`),
//!     // signal `Event::LocalCandidate`s, feed the peer's with `add_remote_candidate`.
//!     while let Some(t) = { tx.clear(); agent.poll_transmit(now, &mut tx) } { send_to(&tx, t) }
//!     while let Some(event) = agent.poll_event() { /* Event::SelectedPair, ... */ }
//!     // Media in: STUN is the agent's, media on a valid pair comes back borrowed.
//!     if let Some((n, d)) = recv_from(&mut rx) {
//!         if let Received::Data { pair, data } = agent.receive(now, d) { media(data) }
//!     }
//!     // Media out, written into the caller's buffer (ChannelData on a relayed pair).
//!     tx.clear();
//!     if let Ok(Some(t)) = agent.send_into(now, b"\x80rtp", &mut tx) { send_to(&tx, t) }
//!     // and `handle_timeout` at `poll_timeout`.
//! #   break;
//! }
//! ```
//!
//! A generic driver (wren-tokio, wren-mio, wren-netsim) runs the agent as any `Machine`
//! instead: media then arrives as [`Event::Data`] (a copy, bounded) and leaves through
//! [`Agent::send`]. [`agent`] says what the agent does and how (checks, nomination,
//! consent, the data path, failure reports).
//!
//! - [`agent`]: the [`Agent`]; host, server-reflexive, relayed (TURN over UDP or TCP),
//!   peer-reflexive and ICE-TCP (RFC 6544) candidates, trickle (RFC 8838), consent
//!   freshness (RFC 7675), ICE restart, mDNS names, a typed [`FailureReport`].
//! - [`candidate`]: the RFC 8839 `a=candidate` line, parsed into a typed [`Candidate`] and
//!   written back, with the extensions browsers send and mDNS `.local` names kept as names.
//!
//! One data stream with one component (RTP and RTCP multiplexed, BUNDLE), which is what
//! WebRTC uses. The agent is proven on wren-netsim behind every pair of RFC 4787 NAT
//! behaviours (`tests/nat_matrix.rs`).
//!
//! ```
//! use wren_ice::{Candidate, CandidateType};
//!
//! let line = "candidate:2572979085 1 udp 2122260223 127.0.0.1 42505 typ host generation 0 network-id 1 network-cost 50";
//! let c: Candidate = line.parse().unwrap();
//! assert_eq!(c.kind, CandidateType::Host);
//! assert_eq!(c.port, 42505);
//! assert_eq!(c.network_cost, Some(50));
//! assert_eq!(c.to_string(), line);
//! ```
#![forbid(unsafe_code)]

pub mod agent;
pub mod candidate;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz;
pub mod lite;
mod message;

pub use agent::{
    Agent, CandidateSummary, ConnectionState, Credentials, Event, FailureCause, FailureReport,
    GatherFailure, GatheringState, PairFailure, PairId, PairReport, PairState, Received, Role,
    SelectedPair, SendError, StunServer, Timers, TurnServer,
};
pub use candidate::{
    Address, Candidate, CandidateError, CandidateTransport, CandidateType, Field, TcpType,
};
