//! Sockets a machine asks its driver for: the relayed transport addresses of a TURN server,
//! later the host candidates of an ICE agent.
//!
//! A machine owns no socket. When it needs one it queues a [`SocketRequest`]; the driver
//! (an io adapter or the simulator) drains them with [`crate::Machine::poll_socket_request`]
//! in the same drain as transmits and events, carries each out, and answers a
//! [`SocketRequest::Bind`] with [`crate::Machine::handle_socket_result`]. Datagrams that
//! arrive on a bound socket reach the machine with `destination` = the bound address, and a
//! [`crate::Transmit`] whose `source` is that address leaves through it.

use std::net::SocketAddr;

use crate::Transport;

/// What a machine asks of its driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SocketRequest {
    /// Open a socket of `transport` bound to `addr` (port 0 lets the OS choose) and answer
    /// with [`SocketResult`].
    Bind {
        /// The local address to bind.
        addr: SocketAddr,
        /// UDP for a TURN relayed address.
        transport: Transport,
    },
    /// Close the socket bound to `addr`. No answer is sent; datagrams already read from it
    /// may still arrive.
    Close {
        /// The bound address, as [`SocketResult::Bound`] reported it.
        addr: SocketAddr,
        /// Its transport.
        transport: Transport,
    },
}

/// Why a socket could not be bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BindError {
    /// Another socket holds the address (`EADDRINUSE`): try another port.
    AddrInUse,
    /// The address is not local to this host (`EADDRNOTAVAIL`).
    AddrNotAvailable,
    /// Not allowed (a privileged port, a policy).
    PermissionDenied,
    /// The driver ran out of something (file descriptors, memory).
    Exhausted,
    /// The driver cannot open sockets of this transport.
    Unsupported,
    /// Anything else.
    Other,
}

impl BindError {
    /// The error kind of an OS error, as drivers see it.
    #[must_use]
    pub fn from_io(kind: std::io::ErrorKind) -> BindError {
        use std::io::ErrorKind as K;
        match kind {
            K::AddrInUse => BindError::AddrInUse,
            K::AddrNotAvailable => BindError::AddrNotAvailable,
            K::PermissionDenied => BindError::PermissionDenied,
            K::OutOfMemory => BindError::Exhausted,
            K::Unsupported => BindError::Unsupported,
            _ => BindError::Other,
        }
    }
}

impl std::fmt::Display for BindError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BindError::AddrInUse => "address in use",
            BindError::AddrNotAvailable => "address not available",
            BindError::PermissionDenied => "permission denied",
            BindError::Exhausted => "out of sockets or memory",
            BindError::Unsupported => "transport not supported",
            BindError::Other => "bind failed",
        })
    }
}

/// The driver's answer to a [`SocketRequest::Bind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SocketResult {
    /// The socket is open.
    Bound {
        /// The address that was asked for.
        requested: SocketAddr,
        /// The address it is bound to (differs from `requested` when port 0 was asked).
        bound: SocketAddr,
        /// Its transport.
        transport: Transport,
    },
    /// It could not be opened.
    Failed {
        /// The address that was asked for.
        requested: SocketAddr,
        /// Its transport.
        transport: Transport,
        /// Why.
        error: BindError,
    },
}
