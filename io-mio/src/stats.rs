//! Counters of what the driver did: counts only, no timings.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of the driver's counters, from [`crate::Handle::stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// UDP datagrams received and fed to the machine.
    pub datagrams_in: u64,
    /// UDP datagrams sent (a GSO transmit counts once per segment).
    pub datagrams_out: u64,
    /// Receive calls that returned datagrams (one `recvmmsg` each on Linux).
    pub batches_in: u64,
    /// Send calls that sent datagrams (one `sendmmsg` each on Linux).
    pub batches_out: u64,
    /// Complete TCP and TLS frames fed to the machine.
    pub frames_in: u64,
    /// TCP and TLS frames queued for sending.
    pub frames_out: u64,
    /// Commands fed to the machine.
    pub commands: u64,
    /// TCP connections accepted on the plain TCP listeners.
    pub tcp_accepted: u64,
    /// Outgoing TCP connections established.
    pub tcp_connected: u64,
    /// TCP connections, TLS ones included, closed and removed, for any reason.
    pub tcp_closed: u64,
    /// TCP connections (TLS included) closed because their stream (decrypted, for TLS)
    /// could not be framed.
    pub tcp_framing_errors: u64,
    /// TCP connections (TLS included) closed because their buffered bytes passed the
    /// limit.
    pub tcp_overflows: u64,
    /// TCP connections accepted on the TLS listeners ([`crate::Driver::tls_listener`]),
    /// counted at accept, before their handshake.
    pub tls_accepted: u64,
    /// TLS connections closed before their handshake completed, for any reason: a
    /// handshake or record rustls refused (a client speaking something else than TLS, no
    /// common version or cipher suite), a fatal alert from the client (one that refuses
    /// the certificate), or the client closing or resetting the connection. Each is also
    /// counted in `tcp_closed`.
    pub tls_handshake_failures: u64,
    /// TLS connections closed after their handshake because of TLS: a record that failed
    /// to decrypt or parse, or a fatal alert from the peer (a `close_notify` is a clean
    /// close, not counted here).
    pub tls_errors: u64,
    /// Transmits dropped because no socket or connection could carry them
    /// (no UDP socket for the source, a socket closed before its datagrams were sent, a
    /// TCP connect that failed or was not allowed, a TLS transmit with no TLS connection
    /// to its destination, since outgoing TLS connections are never opened, or a stream
    /// transmit whose destination's connection is of the other transport).
    pub dropped_no_route: u64,
    /// Transmits dropped because they could not be sent as asked (an RFC 4571 frame
    /// longer than 65535 bytes, or a transport this driver does not carry), and socket
    /// requests of a kind this driver does not know.
    pub dropped_unsupported: u64,
    /// UDP datagrams dropped because they did not fit the receive slot
    /// ([`crate::Driver::udp_max_payload`]; detected on Linux only).
    pub dropped_truncated: u64,
    /// UDP sends and TCP accepts that failed with an error, and accepted connections that
    /// could not be registered or given a TLS session (logged at debug).
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
    /// UDP GSO messages sent (`UDP_SEGMENT`, Linux only): each carried several datagrams
    /// to one destination, also counted in `datagrams_out`.
    pub gso_messages: u64,
    /// The datagrams those GSO messages carried.
    pub gso_segments: u64,
    /// 1 if the kernel refused the driver's first GSO message and GSO was turned off for
    /// the rest of the run (its datagrams, and all later ones, sent one by one), else 0.
    pub gso_disabled: u64,
}

macro_rules! counters {
    ($($field:ident),* $(,)?) => {
        /// The live counters, shared between the driver and its handles.
        #[derive(Debug, Default)]
        pub(crate) struct Counters { $(pub(crate) $field: AtomicU64,)* }

        impl Counters {
            pub(crate) fn snapshot(&self) -> Stats {
                Stats { $($field: self.$field.load(Ordering::Relaxed),)* }
            }
        }
    };
}

counters!(
    datagrams_in,
    datagrams_out,
    batches_in,
    batches_out,
    frames_in,
    frames_out,
    commands,
    tcp_accepted,
    tcp_connected,
    tcp_closed,
    tcp_framing_errors,
    tcp_overflows,
    tls_accepted,
    tls_handshake_failures,
    tls_errors,
    dropped_no_route,
    dropped_unsupported,
    dropped_truncated,
    io_errors,
    machine_errors,
    sockets_bound,
    bind_failures,
    sockets_closed,
    close_unknown,
    gso_messages,
    gso_segments,
    gso_disabled,
);

/// Adds `n` to a counter (relaxed: the counters are statistics, not synchronisation).
pub(crate) fn bump(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}
