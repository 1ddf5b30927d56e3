//! ICE (RFC 8445) for Wren. This crate contains no networking code and reads no clock.
//!
//! What is here so far: [`candidate`], the RFC 8839 `a=candidate` line, parsed into a typed
//! [`Candidate`] and written back, with the extensions browsers send (generation, ufrag,
//! network-id, network-cost, tcptype) and mDNS `.local` host names kept as names. The agent
//! (checklists, nomination, trickle, consent) comes with the rest of the ICE issue.
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

pub use agent::{
    Agent, AgentCommand, AgentConfig, AgentError, AgentStats, CandidateSummary, ConnectionState,
    Credentials, Event, FailureCause, FailureReport, GatherFailure, GatheringState, PairFailure,
    PairId, PairReport, PairState, Role, SelectedPair, StunServer, Timers, TurnServer,
};
pub use candidate::{
    Address, Candidate, CandidateError, CandidateTransport, CandidateType, Field, TcpType,
};
