//! The one rule for I/O errors ([`disposition`]), what a failed bind tells the machine
//! ([`bind_error`]), and the error that stops a run loop ([`DriverError`]).

use std::io;
use std::net::SocketAddr;

use wren_core::BindError;

/// Why a driver's run loop stopped with an error.
///
/// Errors of the machine (`M::Error`, from `handle_command`) never end up here: they are
/// logged at warn, counted in [`crate::Stats::command_errors`], and the loop goes on.
/// Errors of one TCP connection close that connection; a UDP datagram the kernel refuses
/// to send is dropped and counted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DriverError {
    /// Waiting for readiness failed (wren-mio's `mio::Poll::poll`).
    #[error("polling for readiness failed")]
    Poll(#[source] io::Error),
    /// Receiving on a UDP socket failed in a way that will not go away
    /// ([`Disposition::Fatal`]).
    #[error("receiving on the UDP socket {local} failed")]
    Recv {
        /// The socket's local address.
        local: SocketAddr,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
}

/// What a driver does after an I/O call on a socket failed: [`disposition`] decides, for
/// every adapter and every call (receive, send, accept, read, write).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// `WouldBlock`: not an error. Nothing is waiting (a read) or there is no room (a
    /// write): wait for the socket's next readiness, and count nothing.
    Wait,
    /// `Interrupted`: a signal came during the call. Not an error either: call again at
    /// once, count nothing.
    Retry,
    /// Something the network did, about one earlier datagram or one connection: an ICMP
    /// error for an earlier send (`ConnectionRefused`, `HostUnreachable`,
    /// `NetworkUnreachable`), a connection reset or aborted before it was accepted
    /// (`ConnectionReset`, `ConnectionAborted`), or `TimedOut`. Count it in
    /// [`crate::Stats::io_errors`], log it at debug, and use the socket on.
    Transient,
    /// Anything else: the socket itself is broken (closed, a bad descriptor, out of
    /// memory). A UDP socket stops the loop ([`DriverError::Recv`]); a TCP connection is
    /// closed.
    Fatal,
}

/// The one rule for I/O errors (see [`Disposition`]). Before it existed, wren-tokio
/// counted `WouldBlock` as a transient error while wren-mio handled it before asking.
#[must_use]
pub fn disposition(e: &io::Error) -> Disposition {
    use io::ErrorKind::*;
    match e.kind() {
        WouldBlock => Disposition::Wait,
        Interrupted => Disposition::Retry,
        ConnectionRefused | ConnectionReset | ConnectionAborted | HostUnreachable
        | NetworkUnreachable | TimedOut => Disposition::Transient,
        _ => Disposition::Fatal,
    }
}

/// What the machine is told when binding (or registering) a socket for it fails:
/// [`BindError::from_io`], except that running out of descriptors, buffers or memory is
/// [`BindError::Exhausted`] (`std` has no `ErrorKind` for `EMFILE`).
#[must_use]
pub fn bind_error(e: &io::Error) -> BindError {
    #[cfg(target_os = "linux")]
    if let Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM | libc::ENOSPC) =
        e.raw_os_error()
    {
        return BindError::Exhausted;
    }
    BindError::from_io(e.kind())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn would_block_waits_interrupted_retries_and_only_network_errors_are_transient() {
        use io::ErrorKind::*;
        let of = |kind: io::ErrorKind| disposition(&io::Error::from(kind));
        assert_eq!(of(WouldBlock), Disposition::Wait);
        assert_eq!(of(Interrupted), Disposition::Retry);
        for kind in [
            ConnectionRefused,
            ConnectionReset,
            ConnectionAborted,
            HostUnreachable,
            NetworkUnreachable,
            TimedOut,
        ] {
            assert_eq!(of(kind), Disposition::Transient, "{kind:?}");
        }
        for kind in [
            NotConnected,
            PermissionDenied,
            InvalidInput,
            OutOfMemory,
            Other,
        ] {
            assert_eq!(of(kind), Disposition::Fatal, "{kind:?}");
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn running_out_of_descriptors_or_memory_is_exhausted() {
        for errno in [libc::EMFILE, libc::ENFILE, libc::ENOBUFS, libc::ENOMEM] {
            let e = io::Error::from_raw_os_error(errno);
            assert_eq!(bind_error(&e), BindError::Exhausted, "{e}");
        }
        let e = io::Error::from_raw_os_error(libc::EADDRINUSE);
        assert_eq!(bind_error(&e), BindError::AddrInUse);
        let e = io::Error::from_raw_os_error(libc::EADDRNOTAVAIL);
        assert_eq!(bind_error(&e), BindError::AddrNotAvailable);
    }
}
