//! What an [`crate::Agent`] tells its application: [`Event`] and the states it reports.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use wren_core::Transport;

use super::config::Role;
use super::report::{FailureReport, GatherFailure};
use crate::candidate::{Candidate, CandidateType, TcpType};

/// Gathering of local candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GatheringState {
    /// Not started.
    New,
    /// Sockets, STUN and TURN requests are under way.
    Gathering,
    /// Every socket and server has answered or timed out: end-of-candidates can be signalled.
    Complete,
}

/// The connection as a whole (the `RTCIceConnectionState` of browsers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionState {
    /// No checks yet.
    New,
    /// Checks are under way and no pair is selected.
    Checking,
    /// A pair is selected and consent is fresh.
    Connected,
    /// A pair is selected but no consent response came for
    /// [`crate::Timers::disconnected_after`]; it may come back.
    Disconnected,
    /// ICE failed; [`Event::Failed`] carries the report.
    Failed,
    /// [`crate::Agent::close`] was called.
    Closed,
}

/// The state of a candidate pair (RFC 8445 section 6.1.2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PairState {
    /// Waits for a pair of the same foundation to succeed.
    Frozen,
    /// Will be checked when its turn comes.
    Waiting,
    /// A check is in flight.
    InProgress,
    /// A check succeeded: the pair is valid.
    Succeeded,
    /// Every check failed (the report says why).
    Failed,
}

/// A candidate pair's identity, stable until an ICE restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PairId(pub(crate) u32);

impl fmt::Display for PairId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pair {}", self.0)
    }
}

/// One side of a pair, as reports and events show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CandidateSummary {
    /// host, srflx, prflx or relay.
    pub kind: CandidateType,
    /// UDP or TCP.
    pub transport: Transport,
    /// The transport address.
    pub addr: SocketAddr,
    /// The priority.
    pub priority: u32,
    /// The ICE-TCP type, for TCP candidates.
    pub tcp_type: Option<TcpType>,
    /// For a local relayed candidate: the TURN server holding it and the transport to it
    /// (TCP when UDP is blocked on the way).
    pub relay: Option<(SocketAddr, Transport)>,
}

impl fmt::Display for CandidateSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let proto = if self.transport.is_stream() {
            "tcp"
        } else {
            "udp"
        };
        write!(f, "{} {} {}", self.kind.token(), proto, self.addr)?;
        if let Some(t) = self.tcp_type {
            write!(f, " tcptype {}", t.token())?;
        }
        if let Some((server, transport)) = self.relay {
            let proto = if transport.is_stream() { "tcp" } else { "udp" };
            write!(f, " via {server} over {proto}")?;
        }
        Ok(())
    }
}

/// The pair chosen for data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelectedPair {
    /// Its identity.
    pub pair: PairId,
    /// The local candidate (for a relayed one, `addr` is the relayed address).
    pub local: CandidateSummary,
    /// The remote candidate.
    pub remote: CandidateSummary,
    /// The round-trip time of the check that made it valid, when one was measured (an
    /// ICE-lite agent sends no checks).
    pub rtt: Option<Duration>,
}

impl fmt::Display for SelectedPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -> {}", self.local, self.remote)?;
        if let Some(rtt) = self.rtt {
            write!(f, " (rtt {} ms)", rtt.as_millis())?;
        }
        Ok(())
    }
}

/// What happened, for the application.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// Gathering moved on.
    GatheringState(GatheringState),
    /// A local candidate was found: signal it to the peer (trickle ICE, RFC 8838).
    LocalCandidate(Candidate),
    /// A socket, STUN server or TURN server gave no candidate; the agent goes on without it.
    GatherFailed(GatherFailure),
    /// A remote candidate names a host (an mDNS `.local` name): resolve it and answer with
    /// [`crate::Agent::resolved`]. Until then the candidate waits, unpaired.
    ResolveName(String),
    /// A candidate pair changed state.
    PairState {
        /// The pair.
        pair: PairId,
        /// Its local side.
        local: CandidateSummary,
        /// Its remote side.
        remote: CandidateSummary,
        /// The new state.
        state: PairState,
    },
    /// The pair data now goes on (nominated by the controlling agent). Reported again for
    /// the same pair when its remote candidate, learned peer-reflexive from the peer's
    /// check, is then signalled (RFC 8445 section 7.3.1.3): with the signalled type.
    SelectedPair(SelectedPair),
    /// The connection state changed.
    ConnectionState(ConnectionState),
    /// ICE failed: what was gathered, what was tried and why each failed.
    Failed(Box<FailureReport>),
    /// A role conflict (RFC 8445 section 7.3.1.1) switched this agent's role.
    RoleChanged(Role),
    /// Data (not STUN) arrived from the peer.
    Data {
        /// The local candidate's address it arrived at (the relayed address for relayed data).
        local: SocketAddr,
        /// Where it came from.
        remote: SocketAddr,
        /// The bytes.
        data: Vec<u8>,
    },
}
