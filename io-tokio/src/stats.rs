//! Counters of what the driver did: counts only, no timings.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of the driver's counters, from [`StatsHandle::get`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// UDP datagrams received and fed to the machine.
    pub datagrams_in: u64,
    /// UDP datagrams sent (a GSO transmit counts once per segment).
    pub datagrams_out: u64,
    /// Complete TCP frames fed to the machine.
    pub frames_in: u64,
    /// TCP frames queued for sending.
    pub frames_out: u64,
    /// Commands fed to the machine.
    pub commands: u64,
    /// TCP connections accepted on the listeners.
    pub tcp_accepted: u64,
    /// Outgoing TCP connections established.
    pub tcp_connected: u64,
    /// TCP connections closed and removed, for any reason.
    pub tcp_closed: u64,
    /// TCP connections closed because their stream could not be framed.
    pub tcp_framing_errors: u64,
    /// TCP connections closed because their buffered bytes passed the limit.
    pub tcp_overflows: u64,
    /// Transmits dropped because no socket or connection could carry them
    /// (no UDP socket for the source, or a TCP connect that failed or was not allowed).
    pub dropped_no_route: u64,
    /// Transmits dropped because they could not be sent as asked (TLS, or an RFC 4571
    /// frame longer than 65535 bytes), and socket requests of a kind this driver does not
    /// know.
    pub dropped_unsupported: u64,
    /// Events dropped because the event receiver was gone.
    pub events_dropped: u64,
    /// UDP sends and TCP accepts that failed with an error (logged at debug).
    pub io_errors: u64,
    /// `Err` returned by the machine's `handle_datagram`, `handle_command` or
    /// `handle_socket_result` (logged at warn).
    pub machine_errors: u64,
    /// Sockets bound at the machine's request ([`wren_core::SocketRequest::Bind`]), ever;
    /// `sockets_bound - sockets_closed` are open now.
    pub sockets_bound: u64,
    /// Binds that failed (answered with [`wren_core::SocketResult::Failed`]), including
    /// those past [`crate::Driver::max_bound_sockets`].
    pub bind_failures: u64,
    /// Sockets closed at the machine's request ([`wren_core::SocketRequest::Close`]).
    pub sockets_closed: u64,
    /// Close requests for an address the machine had no socket bound to (ignored).
    pub close_unknown: u64,
}

macro_rules! counters {
    ($($field:ident),* $(,)?) => {
        /// The live counters, shared between the driver and its [`StatsHandle`]s.
        #[derive(Debug, Default)]
        pub(crate) struct Counters { $(pub(crate) $field: AtomicU64,)* }

        impl Counters {
            fn snapshot(&self) -> Stats {
                Stats { $($field: self.$field.load(Ordering::Relaxed),)* }
            }
        }
    };
}

counters!(
    datagrams_in,
    datagrams_out,
    frames_in,
    frames_out,
    commands,
    tcp_accepted,
    tcp_connected,
    tcp_closed,
    tcp_framing_errors,
    tcp_overflows,
    dropped_no_route,
    dropped_unsupported,
    events_dropped,
    io_errors,
    machine_errors,
    sockets_bound,
    bind_failures,
    sockets_closed,
    close_unknown,
);

/// Adds `n` to a counter (relaxed: the counters are statistics, not synchronisation).
pub(crate) fn bump(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

/// Reads the counters of a running (or finished) driver from any thread.
#[derive(Debug, Clone)]
pub struct StatsHandle(pub(crate) Arc<Counters>);

impl StatsHandle {
    /// The counters as they are now.
    #[must_use]
    pub fn get(&self) -> Stats {
        self.0.snapshot()
    }
}
