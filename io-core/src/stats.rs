//! Counters of what a driver did: counts only, no timings. One set for every adapter; a
//! field an adapter has nothing to count for stays 0 (its doc says which adapter counts it).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

macro_rules! stats {
    ($( $(#[$doc:meta])* $field:ident => $variant:ident, )*) => {
        /// A snapshot of a driver's counters ([`StatsHandle::get`], or the adapter's own
        /// handle).
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        #[non_exhaustive]
        pub struct Stats {
            $( $(#[$doc])* pub $field: u64, )*
        }

        /// One counter of [`Stats`], as an adapter names it when it adds to it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Counter {
            $(
                #[doc = concat!("[`Stats::", stringify!($field), "`]")]
                $variant,
            )*
        }

        /// How many counters there are.
        const COUNTERS: usize = [$(Counter::$variant),*].len();

        impl Counters {
            /// The counters as they are now.
            #[must_use]
            pub fn snapshot(&self) -> Stats {
                Stats { $( $field: self.load(Counter::$variant), )* }
            }
        }
    };
}

stats! {
    /// UDP datagrams received and fed to the machine.
    datagrams_in => DatagramsIn,
    /// UDP datagrams sent (a GSO transmit counts once per segment).
    datagrams_out => DatagramsOut,
    /// Receive calls that returned datagrams (wren-mio: one `recvmmsg` each on Linux).
    batches_in => BatchesIn,
    /// Send calls that sent datagrams (wren-mio: one `sendmmsg` each on Linux).
    batches_out => BatchesOut,
    /// Complete TCP and TLS frames fed to the machine.
    frames_in => FramesIn,
    /// TCP and TLS frames queued for sending.
    frames_out => FramesOut,
    /// Commands fed to the machine.
    commands => Commands,
    /// Commands the machine refused: `Err` from its `handle_command` (logged at warn).
    /// (Named `machine_errors` before: `handle_datagram` and `handle_socket_result`
    /// return nothing, so commands are the only machine errors there are.)
    command_errors => CommandErrors,
    /// TCP connections accepted on the plain TCP listeners.
    tcp_accepted => TcpAccepted,
    /// Outgoing TCP connections established.
    tcp_connected => TcpConnected,
    /// TCP connections, TLS ones included, closed and removed, for any reason.
    tcp_closed => TcpClosed,
    /// TCP connections (TLS included) closed because their stream (decrypted, for TLS)
    /// could not be framed.
    tcp_framing_errors => TcpFramingErrors,
    /// TCP connections (TLS included) closed because their buffered bytes passed the
    /// limit.
    tcp_overflows => TcpOverflows,
    /// TCP connections accepted on TLS listeners (wren-mio), counted at accept, before
    /// their handshake.
    tls_accepted => TlsAccepted,
    /// TLS connections (wren-mio) closed before their handshake completed, for any
    /// reason: a handshake or record rustls refused (a client speaking something else than
    /// TLS, no common version or cipher suite), a fatal alert from the client (one that
    /// refuses the certificate), or the client closing or resetting the connection. Each
    /// is also counted in `tcp_closed`.
    tls_handshake_failures => TlsHandshakeFailures,
    /// TLS connections (wren-mio) closed after their handshake because of TLS: a record
    /// that failed to decrypt or parse, or a fatal alert from the peer (a `close_notify`
    /// is a clean close, not counted here).
    tls_errors => TlsErrors,
    /// Transmits dropped because no socket or connection could carry them
    /// (no UDP socket for the source, a socket closed before its datagrams were sent, a
    /// TCP connect that failed or was not allowed, a TLS transmit with no TLS connection
    /// to its destination, since outgoing TLS connections are never opened, or a stream
    /// transmit whose destination's connection is of the other transport).
    dropped_no_route => DroppedNoRoute,
    /// Transmits dropped because they could not be sent as asked (an RFC 4571 frame
    /// longer than 65535 bytes, or a transport the adapter does not carry: TLS in
    /// wren-tokio), and socket requests of a kind the driver does not know.
    dropped_unsupported => DroppedUnsupported,
    /// UDP datagrams dropped because they did not fit the receive slot (wren-mio's
    /// `Driver::udp_max_payload`; detected on Linux only).
    dropped_truncated => DroppedTruncated,
    /// Events dropped because the event receiver was gone (wren-tokio).
    events_dropped => EventsDropped,
    /// I/O errors that cost one datagram or one connection and left the socket in use:
    /// failed UDP sends (failed accepts are `accept_errors`), the transient receive errors of
    /// [`crate::Disposition::Transient`], accepted connections that could not be
    /// registered or given a TLS session (logged at debug).
    io_errors => IoErrors,
    /// Sockets bound at the machine's request ([`wren_core::SocketRequest::Bind`]), ever;
    /// `sockets_bound - sockets_closed` are open now.
    sockets_bound => SocketsBound,
    /// Binds that failed (answered with [`wren_core::SocketResult::Failed`]), including
    /// those past the driver's bound on bound sockets.
    bind_failures => BindFailures,
    /// Sockets closed at the machine's request ([`wren_core::SocketRequest::Close`]),
    /// counted once the socket is closed and its port free ([`crate::Sockets::request`]).
    sockets_closed => SocketsClosed,
    /// Close requests for an address the machine had no socket bound to (ignored).
    close_unknown => CloseUnknown,
    /// UDP GSO messages sent (wren-mio, `UDP_SEGMENT`, Linux only): each carried several
    /// datagrams to one destination, also counted in `datagrams_out`.
    gso_messages => GsoMessages,
    /// The datagrams those GSO messages carried.
    gso_segments => GsoSegments,
    /// 1 if the kernel refused the driver's first GSO message and GSO was turned off for
    /// the rest of the run (its datagrams, and all later ones, sent one by one), else 0.
    gso_disabled => GsoDisabled,
    /// Accept calls that failed on a listener (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`,
    /// `ECONNABORTED`, ...). None stops the listener: after one that is not per
    /// connection, accepting pauses for a short back-off and resumes ([`crate::Backoff`]).
    accept_errors => AcceptErrors,
    /// Back-offs a listener went through after an accept error that was not per
    /// connection (running out of descriptors or memory).
    accept_backoffs => AcceptBackoffs,
    /// Stream connections accepted and closed at once because the driver held its cap of
    /// stream connections in total ([`crate::ConnLimits::max_connections`]).
    conns_refused_total => ConnsRefusedTotal,
    /// Stream connections accepted and closed at once because their source IP address
    /// held its cap ([`crate::ConnLimits::max_per_source`]).
    conns_refused_per_source => ConnsRefusedPerSource,
    /// Stream connections accepted and closed at once because open descriptors reached
    /// the process limit less the reserve ([`crate::ConnLimits::fd_reserve`]), kept for
    /// the sockets the machine binds.
    conns_refused_descriptors => ConnsRefusedDescriptors,
    /// Stream connections closed because no complete message arrived on them within
    /// [`crate::ConnLimits::first_message_timeout`] of their accept (silent, or half a
    /// message). Also in `tcp_closed`.
    deadline_first_message => DeadlineFirstMessage,
    /// TLS connections closed because their handshake had not completed within
    /// [`crate::ConnLimits::tls_handshake_timeout`] of their accept. Also in `tcp_closed`
    /// and `tls_handshake_failures`.
    deadline_tls_handshake => DeadlineTlsHandshake,
    /// Stream connections closed because the bytes buffered over all connections passed
    /// [`crate::ConnLimits::total_buffer_limit`] (the connection whose bytes passed it is
    /// closed). Also in `tcp_closed`.
    tcp_total_overflows => TcpTotalOverflows,
    /// [`wren_core::SocketResult::Disconnected`] reports handed to the machine: one per
    /// closed stream connection that had delivered a message to it.
    disconnects_reported => DisconnectsReported,
    /// Stream connections closed at the machine's request
    /// ([`wren_core::SocketRequest::Disconnect`]).
    disconnects_requested => DisconnectsRequested,
    /// [`wren_core::SocketRequest::Disconnect`]s of a connection the driver does not
    /// have (gone already, or never there): ignored.
    disconnect_unknown => DisconnectUnknown,
}

/// The live counters, shared between a running driver and the handles that read them.
#[derive(Debug)]
pub struct Counters([AtomicU64; COUNTERS]);

impl Default for Counters {
    fn default() -> Self {
        Counters(std::array::from_fn(|_| AtomicU64::new(0)))
    }
}

impl Counters {
    /// Adds `n` to `counter` (relaxed: the counters are statistics, not synchronisation).
    pub fn add(&self, counter: Counter, n: u64) {
        self.0[counter as usize].fetch_add(n, Ordering::Relaxed);
    }

    fn load(&self, counter: Counter) -> u64 {
        self.0[counter as usize].load(Ordering::Relaxed)
    }
}

/// Reads the counters of a running (or finished) driver from any thread.
#[derive(Debug, Clone, Default)]
pub struct StatsHandle(Arc<Counters>);

impl StatsHandle {
    /// A handle on `counters`.
    #[must_use]
    pub fn new(counters: Arc<Counters>) -> StatsHandle {
        StatsHandle(counters)
    }

    /// The counters as they are now.
    #[must_use]
    pub fn get(&self) -> Stats {
        self.0.snapshot()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_counter_lands_in_its_own_field() {
        let c = Counters::default();
        c.add(Counter::DatagramsIn, 2);
        c.add(Counter::SocketsClosed, 1);
        c.add(Counter::GsoDisabled, 1);
        let s = c.snapshot();
        assert_eq!(
            (s.datagrams_in, s.sockets_closed, s.gso_disabled),
            (2, 1, 1)
        );
        assert_eq!(
            Stats {
                datagrams_in: 0,
                sockets_closed: 0,
                gso_disabled: 0,
                ..s
            },
            Stats::default()
        );
    }
}
