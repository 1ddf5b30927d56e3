//! Bounds on the stream connections (TCP, and TLS over it) a driver accepts, for any
//! runtime: how many in total and per source address, how long a connection may take to
//! deliver its first complete message and to finish its TLS handshake, how many bytes all
//! of them may buffer together, and how many descriptors stay in reserve for the sockets
//! the machine binds ([`ConnLimits`]); and the bookkeeping that admits or refuses each
//! accepted connection ([`Admission`]).
//!
//! A refused connection is accepted and closed at once (the client sees its connection
//! closed, instead of waiting in a listen queue that fills), and counted by reason
//! ([`crate::Stats::conns_refused_total`], [`crate::Stats::conns_refused_per_source`],
//! [`crate::Stats::conns_refused_descriptors`]). RFC 8656 section 3.1 lets a TURN client
//! reach a server over TCP or TLS; nothing in it obliges a server to hold every
//! connection a single address opens, and one that does runs out of descriptors for the
//! relayed addresses of everyone else.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use crate::stats::{Counter, Counters};

/// The default [`ConnLimits::max_connections`].
pub const DEFAULT_MAX_CONNECTIONS: usize = 65_536;
/// The default [`ConnLimits::max_per_source`].
pub const DEFAULT_MAX_PER_SOURCE: usize = 1024;
/// The default [`ConnLimits::first_message_timeout`].
pub const DEFAULT_FIRST_MESSAGE_TIMEOUT: Duration = Duration::from_secs(10);
/// The default [`ConnLimits::tls_handshake_timeout`].
pub const DEFAULT_TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// The default [`ConnLimits::total_buffer_limit`]: 64 MiB, some 680 connections holding
/// a full 96 KiB each.
pub const DEFAULT_TOTAL_BUFFER_LIMIT: usize = 64 * 1024 * 1024;
/// The default [`ConnLimits::fd_reserve`].
pub const DEFAULT_FD_RESERVE: usize = 64;

/// The bounds on a driver's accepted stream connections. `Default` is safe for a public
/// server: every bound is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnLimits {
    /// The most accepted stream connections open at once (default
    /// [`DEFAULT_MAX_CONNECTIONS`]; `usize::MAX`: no cap but descriptors).
    pub max_connections: usize,
    /// The most accepted stream connections open at once from one source IP address
    /// (default [`DEFAULT_MAX_PER_SOURCE`]; `usize::MAX`: no cap).
    pub max_per_source: usize,
    /// How long after its accept a connection has to deliver its first complete message
    /// (for TLS: decrypted) before it is closed (default
    /// [`DEFAULT_FIRST_MESSAGE_TIMEOUT`]; `None`: no deadline).
    pub first_message_timeout: Option<Duration>,
    /// How long after its accept a TLS connection has to complete its handshake before it
    /// is closed (default [`DEFAULT_TLS_HANDSHAKE_TIMEOUT`]; `None`: no deadline).
    pub tls_handshake_timeout: Option<Duration>,
    /// The most bytes all stream connections together may buffer (partial messages read,
    /// framed messages not yet written); the connection whose bytes pass it is closed
    /// (default [`DEFAULT_TOTAL_BUFFER_LIMIT`]; `usize::MAX`: no bound). Each connection
    /// also has its own bound (the adapter's `tcp_buffer_limit`).
    pub total_buffer_limit: usize,
    /// Descriptors kept free for the sockets the machine binds (a TURN server's relayed
    /// addresses): no connection is accepted while the descriptors open reach the
    /// process's limit (`RLIMIT_NOFILE`, soft) less this many (default
    /// [`DEFAULT_FD_RESERVE`]).
    pub fd_reserve: usize,
}

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_per_source: DEFAULT_MAX_PER_SOURCE,
            first_message_timeout: Some(DEFAULT_FIRST_MESSAGE_TIMEOUT),
            tls_handshake_timeout: Some(DEFAULT_TLS_HANDSHAKE_TIMEOUT),
            total_buffer_limit: DEFAULT_TOTAL_BUFFER_LIMIT,
            fd_reserve: DEFAULT_FD_RESERVE,
        }
    }
}

impl ConnLimits {
    /// No bound at all: what a driver that dials out to a few known servers, or a test,
    /// may want.
    #[must_use]
    pub fn unlimited() -> Self {
        ConnLimits {
            max_connections: usize::MAX,
            max_per_source: usize::MAX,
            first_message_timeout: None,
            tls_handshake_timeout: None,
            total_buffer_limit: usize::MAX,
            fd_reserve: 0,
        }
    }
}

/// Why an accepted connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// [`ConnLimits::max_connections`] are open.
    Total,
    /// [`ConnLimits::max_per_source`] are open from its source address.
    PerSource,
    /// The descriptors open reached the limit less [`ConnLimits::fd_reserve`].
    Descriptors,
}

impl Refusal {
    /// Counts one connection refused for this reason.
    pub fn count(self, counters: &Counters) {
        counters.add(
            match self {
                Refusal::Total => Counter::ConnsRefusedTotal,
                Refusal::PerSource => Counter::ConnsRefusedPerSource,
                Refusal::Descriptors => Counter::ConnsRefusedDescriptors,
            },
            1,
        );
    }
}

/// The accepted connections open, in total and by source address, checked against
/// [`ConnLimits`] at each accept. Each [`Admission::admit`] that succeeds must be matched
/// by one [`Admission::release`] of the same address when the connection is removed.
#[derive(Debug, Default)]
pub struct Admission {
    open: usize,
    by_source: HashMap<IpAddr, usize>,
}

impl Admission {
    /// Admits a connection from `source`, or says why not. `descriptors`: the descriptors
    /// the process has open now (the accepted one included) and its limit, when known.
    ///
    /// # Errors
    ///
    /// The first bound that refuses it: descriptors, then the total, then its source's.
    pub fn admit(
        &mut self,
        limits: &ConnLimits,
        source: IpAddr,
        descriptors: Option<(usize, usize)>,
    ) -> Result<(), Refusal> {
        if let Some((open, limit)) = descriptors
            && open.saturating_add(limits.fd_reserve) > limit
        {
            return Err(Refusal::Descriptors);
        }
        if self.open >= limits.max_connections {
            return Err(Refusal::Total);
        }
        let from_source = self.by_source.entry(source).or_insert(0);
        if *from_source >= limits.max_per_source {
            if *from_source == 0 {
                self.by_source.remove(&source);
            }
            return Err(Refusal::PerSource);
        }
        *from_source += 1;
        self.open += 1;
        Ok(())
    }

    /// A connection admitted from `source` is gone.
    pub fn release(&mut self, source: IpAddr) {
        if let Some(n) = self.by_source.get_mut(&source) {
            *n -= 1;
            if *n == 0 {
                self.by_source.remove(&source);
            }
            self.open = self.open.saturating_sub(1);
        }
    }

    /// The admitted connections open.
    #[must_use]
    pub fn open(&self) -> usize {
        self.open
    }

    /// The admitted connections open from `source`.
    #[must_use]
    pub fn from_source(&self, source: IpAddr) -> usize {
        self.by_source.get(&source).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    #[test]
    fn the_per_source_cap_refuses_the_next_one_and_frees_on_release() {
        let limits = ConnLimits {
            max_per_source: 2,
            ..ConnLimits::default()
        };
        let mut a = Admission::default();
        assert_eq!(a.admit(&limits, ip(1), None), Ok(()));
        assert_eq!(a.admit(&limits, ip(1), None), Ok(()));
        assert_eq!(a.admit(&limits, ip(1), None), Err(Refusal::PerSource));
        assert_eq!(a.admit(&limits, ip(2), None), Ok(()));
        assert_eq!((a.open(), a.from_source(ip(1))), (3, 2));
        a.release(ip(1));
        assert_eq!(a.admit(&limits, ip(1), None), Ok(()));
        for _ in 0..3 {
            a.release(ip(1));
        }
        a.release(ip(2));
        assert_eq!((a.open(), a.from_source(ip(1))), (0, 0));
        assert!(a.by_source.is_empty(), "no address is remembered once gone");
    }

    #[test]
    fn the_total_cap_and_the_descriptor_reserve_refuse() {
        let limits = ConnLimits {
            max_connections: 2,
            fd_reserve: 10,
            ..ConnLimits::default()
        };
        let mut a = Admission::default();
        assert_eq!(a.admit(&limits, ip(1), Some((90, 100))), Ok(()));
        assert_eq!(
            a.admit(&limits, ip(2), Some((91, 100))),
            Err(Refusal::Descriptors)
        );
        assert_eq!(a.admit(&limits, ip(2), Some((50, 100))), Ok(()));
        assert_eq!(a.admit(&limits, ip(3), None), Err(Refusal::Total));
        assert_eq!(a.open(), 2);
        let unlimited = ConnLimits::unlimited();
        assert_eq!(a.admit(&unlimited, ip(3), Some((100, 100))), Ok(()));
    }

    #[test]
    fn each_refusal_has_its_counter() {
        let c = Counters::default();
        Refusal::Total.count(&c);
        Refusal::PerSource.count(&c);
        Refusal::PerSource.count(&c);
        Refusal::Descriptors.count(&c);
        let s = c.snapshot();
        assert_eq!(
            (
                s.conns_refused_total,
                s.conns_refused_per_source,
                s.conns_refused_descriptors
            ),
            (1, 2, 1)
        );
    }
}
