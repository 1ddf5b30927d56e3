//! What a [`super::Server`] tells its owner: events tagged with the session they are about.

use std::fmt;
use std::net::SocketAddr;

use wren_core::Transport;

use super::session::SessionId;

/// A path a session's data goes on: one of the server's sockets and the peer's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Path {
    /// The server's socket (a host candidate).
    pub local: SocketAddr,
    /// The peer's address as the server sees it (its host, server-reflexive, relayed or,
    /// behind a NAT, peer-reflexive candidate).
    pub remote: SocketAddr,
    /// UDP, or TCP for a passive ICE-TCP connection.
    pub transport: Transport,
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let proto = if self.transport.is_stream() {
            "tcp"
        } else {
            "udp"
        };
        write!(f, "{} {} -> {}", proto, self.local, self.remote)
    }
}

/// Why a session failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Failure {
    /// The peer's checks stopped for [`super::Timers::consent_timeout`] (RFC 7675 section
    /// 5.1): consent is lost and nothing more may be sent.
    ConsentExpired,
    /// No path was selected within [`super::Timers::connect_timeout`] of the session's start.
    ConnectTimeout,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Failure::ConsentExpired => "consent expired",
            Failure::ConnectTimeout => "no path nominated in time",
        })
    }
}

/// What happened to a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The peer nominated `path` (USE-CANDIDATE, RFC 8445 section 7.3.1.5) and data may flow;
    /// reported again when it nominates another path, or when its checks come back after
    /// [`Event::Disconnected`].
    Connected {
        /// The session.
        session: SessionId,
        /// The selected path.
        path: Path,
    },
    /// No check from the peer on the selected path for
    /// [`super::Timers::disconnected_after`]; data still goes (consent is not lost yet).
    Disconnected {
        /// The session.
        session: SessionId,
    },
    /// The session is over: checks for it are dropped, its paths route nothing and data
    /// cannot be sent. Remove it with [`super::Server::remove_session`].
    Failed {
        /// The session.
        session: SessionId,
        /// Why.
        cause: Failure,
    },
    /// [`super::Server::remove_session`] ended the session.
    Closed {
        /// The session.
        session: SessionId,
    },
}

impl Event {
    /// The session the event is about.
    #[must_use]
    pub fn session(&self) -> SessionId {
        match *self {
            Event::Connected { session, .. }
            | Event::Disconnected { session }
            | Event::Failed { session, .. }
            | Event::Closed { session } => session,
        }
    }
}
