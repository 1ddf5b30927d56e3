//! How a [`super::Server`] is set up: the sockets its owner gives it, its timers and its
//! bounds.

use std::net::SocketAddr;
use std::time::Duration;

use wren_core::Transport;

/// A local socket the owner bound and hands to the server: a UDP socket, or the listening
/// address of a TCP listener for passive ICE-TCP candidates (RFC 6544 section 4.1).
///
/// The server binds nothing: every datagram it is given arrives at one of these, and every
/// transmit it writes leaves from one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LocalSocket {
    /// The address (a routable one: it becomes a host candidate in the SDP).
    pub addr: SocketAddr,
    /// [`Transport::Udp`], or [`Transport::Tcp`] for a listener whose connections the
    /// driver frames (RFC 4571) before handing their messages over.
    pub transport: Transport,
}

impl LocalSocket {
    /// A UDP socket at `addr`.
    #[must_use]
    pub fn udp(addr: SocketAddr) -> LocalSocket {
        LocalSocket {
            addr,
            transport: Transport::Udp,
        }
    }

    /// A TCP listener at `addr` (passive ICE-TCP candidates).
    #[must_use]
    pub fn tcp(addr: SocketAddr) -> LocalSocket {
        LocalSocket {
            addr,
            transport: Transport::Tcp,
        }
    }
}

/// The timers of every session. An ICE-lite agent sends no checks: consent (RFC 7675) is
/// read from the peer's checks, which a full agent sends every 5 s or so (RFC 7675 section
/// 5.1) on the selected pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timers {
    /// No authenticated check from the peer for this long on the selected path: the
    /// session reads as disconnected (8 s, as [`crate::Timers::disconnected_after`]).
    pub disconnected_after: Duration,
    /// No authenticated check for this long: consent is lost and the session fails
    /// (RFC 7675 section 5.1: 30 s).
    pub consent_timeout: Duration,
    /// A Binding indication on the selected path when nothing was sent on it for this long
    /// (RFC 8445 section 11: 15 s).
    pub keepalive_interval: Duration,
    /// A session that is not connected this long after it was added fails (30 s, as
    /// browsers give up on "checking").
    pub connect_timeout: Duration,
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            disconnected_after: Duration::from_secs(8),
            consent_timeout: Duration::from_secs(30),
            keepalive_interval: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(30),
        }
    }
}

/// Configuration of a [`super::Server`]. Build it with [`Config::new`] and change fields.
#[derive(Debug, Clone)]
pub struct Config {
    /// The sockets the owner bound (at least one); each is a host candidate of every
    /// session ([`super::Server::local_candidates`]).
    pub sockets: Vec<LocalSocket>,
    /// Timers.
    pub timers: Timers,
    /// The most sessions at once; [`super::Server::add_session`] refuses more.
    pub max_sessions: usize,
    /// Transmits (check responses, keepalives) kept before the driver drains them; more
    /// are dropped and counted.
    pub max_transmits: usize,
    /// Events kept before the application drains them; more are dropped and counted.
    pub max_events: usize,
    /// Seed of every random choice (keepalive transaction IDs, the keys of the lookup
    /// tables' hash): one seed, one run. `None` seeds from the operating system.
    pub rng_seed: Option<[u8; 32]>,
}

impl Config {
    /// A server on `sockets`, with defaults for everything else.
    #[must_use]
    pub fn new(sockets: Vec<LocalSocket>) -> Config {
        Config {
            sockets,
            timers: Timers::default(),
            max_sessions: 100_000,
            max_transmits: 4096,
            max_events: 4096,
            rng_seed: None,
        }
    }
}
