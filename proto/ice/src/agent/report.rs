//! Failure that explains itself: the typed report an [`crate::Agent`] gives when ICE fails,
//! and the typed reasons of each candidate source and each pair.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use wren_core::{BindError, Transport};
use wren_turn::client::TurnFailure;

use super::event::{CandidateSummary, PairState};
use crate::candidate::Candidate;

/// Why a candidate source (a socket, a STUN server, a TURN server) gave nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GatherFailure {
    /// The driver could not open a host socket.
    #[error("could not bind {transport:?} socket on {addr}: {error:?}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// UDP or TCP.
        transport: Transport,
        /// Why.
        error: BindError,
    },
    /// The STUN server did not answer (unreachable, or UDP blocked on the way).
    #[error("STUN server {server} did not answer requests from {local}")]
    StunUnreachable {
        /// The server.
        server: SocketAddr,
        /// The local socket the requests left from.
        local: SocketAddr,
    },
    /// The STUN server answered with an error response.
    #[error("STUN server {server} answered {code} {reason}")]
    StunError {
        /// The server.
        server: SocketAddr,
        /// The error code.
        code: u16,
        /// Its reason phrase.
        reason: String,
    },
    /// The STUN server's success response carried no mapped address.
    #[error("STUN server {server} answered without a mapped address")]
    StunNoAddress {
        /// The server.
        server: SocketAddr,
    },
    /// The TURN server gave no allocation: credentials refused (401), forbidden (403),
    /// quota (486), no answer, ...
    #[error("TURN server {server} ({transport:?}): {failure}")]
    Turn {
        /// The server.
        server: SocketAddr,
        /// The transport to it.
        transport: Transport,
        /// Why.
        failure: TurnFailure,
    },
    /// The server had not answered when [`crate::Timers::gather_timeout`] passed; its answer,
    /// should one still come, is taken as a trickled candidate.
    #[error("{server} ({transport:?}) had not answered after {after:?}")]
    NotAnswered {
        /// The server.
        server: SocketAddr,
        /// The transport to it.
        transport: Transport,
        /// How long gathering had waited.
        after: Duration,
    },
}

/// Why a candidate pair failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PairFailure {
    /// No response to any transmission of the check.
    #[error("no response to {transmissions} check transmissions")]
    TimedOut {
        /// How many times the request was sent.
        transmissions: u32,
    },
    /// The peer answered with an error response.
    #[error("error response {code} {reason}")]
    ErrorResponse {
        /// The error code.
        code: u16,
        /// Its reason phrase.
        reason: String,
    },
    /// The TURN server refused a permission for the peer (403 Forbidden, for instance).
    #[error("the TURN server refused the permission: {0}")]
    RelayRefused(TurnFailure),
    /// The relayed candidate's allocation ended.
    #[error("the relayed candidate's allocation ended: {0}")]
    RelayClosed(TurnFailure),
    /// A response came from another address than the request went to (RFC 8445 section
    /// 7.2.5.2.1): a NAT in the way rewrites addresses.
    #[error("response from {from}, not {expected}: addresses not symmetric")]
    NotSymmetric {
        /// Where the request went.
        expected: SocketAddr,
        /// Where the response came from.
        from: SocketAddr,
    },
    /// The peer kept answering with an error it could not sign (400 or 401: it could not
    /// authenticate our checks, so the ICE credentials exchanged do not match). Such an
    /// answer is not trusted to end a check (RFC 8489 section 9.1.4), so the checks went on
    /// until they timed out; this is what they got.
    #[error("the peer answered {code} {reason} to every check: the ICE credentials do not match")]
    Unauthenticated {
        /// The error code (400 or 401).
        code: u16,
        /// Its reason phrase.
        reason: String,
    },
}

/// The main reason ICE failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureCause {
    /// Every pair failed after gathering completed and the peer signalled end-of-candidates.
    AllPairsFailed,
    /// No local candidate was gathered (every socket and server failed).
    NoLocalCandidates,
    /// The peer signalled end-of-candidates without giving a usable candidate.
    NoRemoteCandidates,
    /// Candidates on both sides, but none could be paired (address family or transport).
    NoCompatiblePairs,
    /// No pair was selected within [`crate::Timers::connect_timeout`].
    ConnectTimeout,
    /// Consent was lost on the selected pair (RFC 7675: no response for
    /// [`crate::Timers::consent_timeout`]).
    ConsentLost,
}

impl fmt::Display for FailureCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FailureCause::AllPairsFailed => "every candidate pair failed",
            FailureCause::NoLocalCandidates => "no local candidate could be gathered",
            FailureCause::NoRemoteCandidates => "the peer gave no usable candidate",
            FailureCause::NoCompatiblePairs => {
                "no local and remote candidates of the same address family and transport"
            }
            FailureCause::ConnectTimeout => "no pair was selected in time",
            FailureCause::ConsentLost => "the peer stopped answering consent checks",
        })
    }
}

/// One pair as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairReport {
    /// The local side.
    pub local: CandidateSummary,
    /// The remote side.
    pub remote: CandidateSummary,
    /// Its last state.
    pub state: PairState,
    /// Check requests sent on it (retransmissions included).
    pub transmissions: u32,
    /// Why it failed, when it did.
    pub failure: Option<PairFailure>,
}

/// What ICE had when it failed: read `cause`, then the gathering failures and the pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureReport {
    /// The main reason.
    pub cause: FailureCause,
    /// Time from the first check (or from the start, when none was sent) to the failure.
    pub after: Duration,
    /// The local candidates gathered.
    pub local_candidates: Vec<Candidate>,
    /// Why each source that gave nothing gave nothing.
    pub gather_failures: Vec<GatherFailure>,
    /// The remote candidates received (resolved ones, and peer-reflexive ones learned).
    pub remote_candidates: Vec<Candidate>,
    /// Remote host names that could not be resolved.
    pub unresolved_names: Vec<String>,
    /// Whether the peer had signalled end-of-candidates.
    pub end_of_remote_candidates: bool,
    /// Every pair, with its last state and why it failed.
    pub pairs: Vec<PairReport>,
}

impl fmt::Display for FailureReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "ICE failed after {:?}: {}", self.after, self.cause)?;
        writeln!(f, "  local candidates: {}", self.local_candidates.len())?;
        for c in &self.local_candidates {
            writeln!(f, "    {c}")?;
        }
        for g in &self.gather_failures {
            writeln!(f, "    gathering: {g}")?;
        }
        write!(f, "  remote candidates: {}", self.remote_candidates.len())?;
        if !self.end_of_remote_candidates {
            write!(f, " (no end-of-candidates from the peer)")?;
        }
        writeln!(f)?;
        for c in &self.remote_candidates {
            writeln!(f, "    {c}")?;
        }
        for n in &self.unresolved_names {
            writeln!(f, "    unresolved name {n}")?;
        }
        writeln!(f, "  pairs: {}", self.pairs.len())?;
        for p in &self.pairs {
            write!(
                f,
                "    {} -> {}: {:?} after {} requests",
                p.local, p.remote, p.state, p.transmissions
            )?;
            if let Some(why) = &p.failure {
                write!(f, ": {why}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}
