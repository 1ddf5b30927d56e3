//! Stream connections (TCP, or TLS over it) that hold no allocation, each with the deadline
//! by which it must allocate (coturn's `max-allocate-timeout`): a connection that only
//! sends Binding requests, or junk that frames, would otherwise hold a descriptor forever.
//!
//! A part of the [`super::Server`]. The server tells it what it hears on a stream 5-tuple
//! without an allocation ([`Connections::heard`]), when one allocates
//! ([`Connections::allocated`]) and when its allocation ends while the connection lives
//! on ([`Connections::heard`] again), and when the driver reports the connection gone
//! ([`Connections::gone`]). Expired entries become [`wren_core::SocketRequest::Disconnect`].
//!
//! RFC 8656 section 3.1 ties an allocation made over TCP or TLS to its connection; the
//! server deletes the allocation itself when the connection goes
//! ([`wren_core::SocketResult::Disconnected`]).

use std::time::{Duration, Instant};

use wren_core::Deadlines;

use super::FiveTuple;

/// Most connections waiting to allocate that are tracked; past it a new one is closed at
/// once. A driver caps its connections well below this.
pub(crate) const MAX_TRACKED: usize = 1 << 18;

/// What [`Connections::heard`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Heard {
    /// Tracked (newly, or already).
    Tracked,
    /// Not tracked: deadlines are off, or the transport is not a stream.
    Untracked,
    /// The table is full: close the connection now.
    Full,
}

/// The stream connections that have not allocated, and their deadlines.
#[derive(Debug)]
pub(crate) struct Connections {
    deadlines: Deadlines<FiveTuple>,
    /// How long a connection may go without an allocation; zero turns deadlines off.
    timeout: Duration,
    max: usize,
}

impl Connections {
    /// Connections must allocate within `timeout` (zero: never closed for it).
    pub(crate) fn new(timeout: Duration) -> Connections {
        Connections::with_max(timeout, MAX_TRACKED)
    }

    fn with_max(timeout: Duration, max: usize) -> Connections {
        Connections {
            deadlines: Deadlines::new(),
            timeout,
            max,
        }
    }

    /// Something arrived on `five`, which holds no allocation: its deadline starts, unless
    /// it runs already (a connection that keeps talking without allocating still goes).
    pub(crate) fn heard(&mut self, five: FiveTuple, now: Instant) -> Heard {
        if self.timeout.is_zero() || !five.transport.is_stream() {
            return Heard::Untracked;
        }
        if self.deadlines.get(&five).is_some() {
            return Heard::Tracked;
        }
        if self.deadlines.len() >= self.max {
            return Heard::Full;
        }
        self.deadlines.set(five, now + self.timeout);
        Heard::Tracked
    }

    /// `five` allocated: no deadline for it while the allocation lives.
    pub(crate) fn allocated(&mut self, five: &FiveTuple) {
        self.deadlines.stop(five);
    }

    /// The driver reported `five`'s connection closed.
    pub(crate) fn gone(&mut self, five: &FiveTuple) {
        self.deadlines.stop(five);
    }

    /// The next connection whose deadline passed by `now`: to be closed.
    pub(crate) fn pop_expired(&mut self, now: Instant) -> Option<FiveTuple> {
        self.deadlines.pop_expired(now).map(|(_, five)| five)
    }

    /// The earliest deadline, and whose.
    pub(crate) fn next(&self) -> Option<(Instant, FiveTuple)> {
        self.deadlines.next()
    }

    /// The earliest deadline.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.next_deadline()
    }

    /// How many connections wait to allocate.
    pub(crate) fn len(&self) -> usize {
        self.deadlines.len()
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use wren_core::Transport;

    use super::*;

    fn five(port: u16, transport: Transport) -> FiveTuple {
        FiveTuple {
            client: SocketAddr::from(([192, 0, 2, 1], port)),
            server: SocketAddr::from(([192, 0, 2, 9], 3478)),
            transport,
        }
    }

    fn t0() -> Instant {
        #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
        Instant::now()
    }

    #[test]
    fn a_stream_connection_that_does_not_allocate_expires_once_from_its_first_message() {
        let now = t0();
        let timeout = Duration::from_secs(60);
        let mut c = Connections::new(timeout);
        let tcp = five(1, Transport::Tcp);
        assert_eq!(c.heard(tcp, now), Heard::Tracked);
        // Talking more does not push the deadline back.
        assert_eq!(c.heard(tcp, now + Duration::from_secs(59)), Heard::Tracked);
        assert_eq!(c.next(), Some((now + timeout, tcp)));
        assert_eq!(c.pop_expired(now + Duration::from_secs(59)), None);
        assert_eq!(c.pop_expired(now + timeout), Some(tcp));
        assert_eq!(c.pop_expired(now + timeout), None);
        assert_eq!(c.len(), 0);
    }

    #[test]
    fn udp_allocated_and_gone_connections_have_no_deadline() {
        let now = t0();
        let mut c = Connections::new(Duration::from_secs(60));
        assert_eq!(c.heard(five(1, Transport::Udp), now), Heard::Untracked);
        let (tls, tcp) = (five(2, Transport::Tls), five(3, Transport::Tcp));
        c.heard(tls, now);
        c.heard(tcp, now);
        c.allocated(&tls);
        c.gone(&tcp);
        assert_eq!(c.next_deadline(), None);
        // Its allocation ended, the connection lives on: the deadline starts again.
        let later = now + Duration::from_secs(600);
        c.heard(tls, later);
        assert_eq!(c.next(), Some((later + Duration::from_secs(60), tls)));

        let mut off = Connections::new(Duration::ZERO);
        assert_eq!(off.heard(tcp, now), Heard::Untracked);
    }

    #[test]
    fn past_the_bound_a_new_connection_is_refused() {
        let now = t0();
        let mut c = Connections::with_max(Duration::from_secs(60), 2);
        assert_eq!(c.heard(five(1, Transport::Tcp), now), Heard::Tracked);
        assert_eq!(c.heard(five(2, Transport::Tcp), now), Heard::Tracked);
        assert_eq!(c.heard(five(3, Transport::Tcp), now), Heard::Full);
        assert_eq!(
            c.heard(five(1, Transport::Tcp), now),
            Heard::Tracked,
            "known"
        );
    }
}
