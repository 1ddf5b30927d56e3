//! ICE (RFC 8445) for Wren: a sans-IO agent, full and lite. This crate contains no
//! networking code and reads no clock.
//!
//! - [`agent`]: the [`Agent`], a [`wren_core::Machine`]. Host candidates on sockets it asks
//!   its driver for, server-reflexive ones from STUN servers, relayed ones from TURN servers
//!   (UDP or TCP, through wren-turn's client), peer-reflexive ones from checks; ICE-TCP
//!   (RFC 6544) active and passive host candidates; trickle (RFC 8838) in both directions;
//!   checklists with foundations, Ta pacing and triggered checks; regular nomination; role
//!   conflicts settled by 487; consent freshness (RFC 7675) and keepalives; ICE restart;
//!   mDNS `.local` names asked of the application; and when ICE fails, a typed
//!   [`FailureReport`] of what was gathered, what was tried and why each attempt failed.
//! - [`candidate`]: the RFC 8839 `a=candidate` line, parsed into a typed [`Candidate`] and
//!   written back, with the extensions browsers send (generation, ufrag, network-id,
//!   network-cost, tcptype) and mDNS `.local` host names kept as names.
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
//!
//! The agent's run loop is that of every Wren machine; see [`agent`] for a first step.
#![forbid(unsafe_code)]

pub mod agent;
pub mod candidate;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz;
pub mod lite;

pub use agent::{
    Agent, CandidateSummary, ConnectionState, Credentials, Event, FailureCause, FailureReport,
    GatherFailure, GatheringState, PairFailure, PairId, PairReport, PairState, Role, SelectedPair,
    StunServer, Timers, TurnServer,
};
pub use candidate::{
    Address, Candidate, CandidateError, CandidateTransport, CandidateType, Field, TcpType,
};
