//! The driver's error: only what stops the run loop.

use std::io;
use std::net::SocketAddr;

/// Why [`crate::Driver::run`] stopped with an error.
///
/// Errors of the machine (`M::Error`) never end up here: they are logged at warn, counted
/// in [`crate::Stats::machine_errors`], and the loop goes on. Errors of one TCP connection
/// close that connection; a UDP datagram the kernel refuses to send is dropped and counted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DriverError {
    /// Waiting for readiness (`mio::Poll::poll`) failed.
    #[error("polling for readiness failed")]
    Poll(#[source] io::Error),
    /// Receiving on a UDP socket failed in a way that will not go away (not one of the
    /// transient errors an ICMP message or a signal can cause).
    #[error("receiving on the UDP socket {local} failed")]
    Recv {
        /// The socket's local address.
        local: SocketAddr,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
}

/// Errors a UDP socket can report because of something the network did (an ICMP error
/// for an earlier send) or a signal: logged, counted, and the socket is used on.
pub(crate) fn is_transient(e: &io::Error) -> bool {
    use io::ErrorKind::*;
    matches!(
        e.kind(),
        Interrupted
            | ConnectionRefused
            | ConnectionReset
            | HostUnreachable
            | NetworkUnreachable
            | TimedOut
    )
}
