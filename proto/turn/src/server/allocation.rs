//! One allocation (RFC 8656 section 2.2): its 5-tuple, relayed addresses, lifetime,
//! permissions and channel bindings, and its bandwidth budget.

use std::hash::{Hash, Hasher};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use wren_core::Transport;
use wren_stun::{Key, TransactionId};

use super::keys::{hash_addr, transport_tag};
use super::permissions::{Channels, Permissions};

/// How long a permission lasts (RFC 8656 section 9).
pub const PERMISSION_LIFETIME: Duration = Duration::from_secs(300);
/// How long a channel binding lasts (RFC 8656 section 11).
pub const CHANNEL_LIFETIME: Duration = Duration::from_secs(600);

/// The client side of an allocation: client address, server address, transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FiveTuple {
    /// The client's address as the server sees it.
    pub client: SocketAddr,
    /// The server address the client talks to.
    pub server: SocketAddr,
    /// UDP, TCP or TLS between client and server.
    pub transport: Transport,
}

/// Hashed in two words for IPv4 (see `keys`): the table from 5-tuple to allocation is looked
/// up for every datagram a client sends.
impl Hash for FiveTuple {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_addr(&self.client, transport_tag(self.transport), state);
        hash_addr(&self.server, 0, state);
    }
}

/// A token bucket limiting the bytes an allocation relays per second (coturn's `max-bps`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bucket {
    rate: u64,
    tokens: u64,
    last: Instant,
}

impl Bucket {
    pub(crate) fn new(rate: u64, now: Instant) -> Bucket {
        Bucket {
            rate,
            tokens: rate,
            last: now,
        }
    }

    /// Takes `bytes` if the budget allows.
    pub(crate) fn take(&mut self, bytes: usize, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last);
        if elapsed > Duration::ZERO {
            let refill =
                u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX) / 1000 * self.rate / 1000;
            if refill > 0 {
                // Burst of one second at most.
                self.tokens = (self.tokens.saturating_add(refill)).min(self.rate);
                self.last = now;
            }
        }
        let bytes = bytes as u64;
        if self.tokens >= bytes {
            self.tokens -= bytes;
            true
        } else {
            false
        }
    }
}

/// An allocation.
#[derive(Debug)]
pub(crate) struct Allocation {
    pub(crate) five: FiveTuple,
    pub(crate) user: String,
    /// Where in `user` the name quotas count by starts: past `expiry:` for a REST API
    /// username (see [`Allocation::account`]).
    pub(crate) account_at: u16,
    pub(crate) key: Key,
    /// Relayed addresses: one, or two for a dual-stack allocation.
    pub(crate) relayed: Vec<SocketAddr>,
    pub(crate) expires: Instant,
    /// Permissions by peer IP and their expiry.
    pub(crate) permissions: Permissions,
    pub(crate) channels: Channels,
    /// The Allocate transaction that created it, to answer its retransmissions.
    pub(crate) allocate_tid: TransactionId,
    pub(crate) reservation: Option<u64>,
    pub(crate) bucket: Option<Bucket>,
    /// An IPv6 relayed address was asked for and could not be given (ADDRESS-ERROR-CODE).
    pub(crate) v6_error: bool,
}

impl Allocation {
    /// The name quotas count this allocation under (`user-quota`): the username, or for a
    /// REST API username `expiry:user`, the `user` part.
    pub(crate) fn account(&self) -> &str {
        self.user
            .get(usize::from(self.account_at)..)
            .unwrap_or(&self.user)
    }

    /// Whether a live permission covers `ip`.
    #[inline]
    pub(crate) fn permitted(&self, ip: IpAddr, now: Instant) -> bool {
        self.permissions.permits(ip, now)
    }

    /// Installs or refreshes the permission for `ip` (`seed` keys the table if it grows into
    /// a map).
    pub(crate) fn permit(&mut self, ip: IpAddr, now: Instant, seed: u64) {
        self.permissions.set(ip, now + PERMISSION_LIFETIME, seed);
    }

    pub(crate) fn channel_by_number(&self, number: u16) -> Option<&super::permissions::Channel> {
        self.channels.by_number(number)
    }

    pub(crate) fn channel_by_peer(&self, peer: SocketAddr, now: Instant) -> Option<u16> {
        self.channels.by_peer(peer, now)
    }

    /// The relayed address of the family of `peer`.
    pub(crate) fn relayed_for(&self, peer: IpAddr) -> Option<SocketAddr> {
        self.relayed
            .iter()
            .copied()
            .find(|r| r.is_ipv4() == peer.is_ipv4())
    }

    /// Drops expired permissions and channels.
    pub(crate) fn expire(&mut self, now: Instant) {
        self.permissions.expire(now);
        self.channels.expire(now);
    }

    /// The allocation's next deadline: the earliest of its lifetime, permissions and
    /// channel bindings (one keyed timer per allocation in the server's table).
    pub(crate) fn next_deadline(&self) -> Instant {
        let p = self.permissions.iter().map(|(_, e)| e);
        let c = self.channels.iter().map(|c| c.expires);
        p.chain(c).fold(self.expires, Instant::min)
    }
}
