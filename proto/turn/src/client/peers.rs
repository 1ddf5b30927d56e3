//! What the client keeps per peer: permissions (by IP address), channels (by transport
//! address), and the datagrams waiting to be sent.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use wren_core::Deadlines;
use wren_stun::TransactionId;

use crate::ChannelNumber;

/// A permission the application wants (RFC 8656 section 9).
#[derive(Debug, Clone, Default)]
pub(super) struct Permission {
    /// Until when the server keeps it, counted from when the last successful
    /// CreatePermission was started; `None` until the first success.
    pub(super) installed_until: Option<Instant>,
    /// The CreatePermission in flight.
    pub(super) in_flight: Option<TransactionId>,
}

/// A channel to a peer (RFC 8656 section 12).
#[derive(Debug, Clone)]
pub(super) struct Channel {
    pub(super) number: ChannelNumber,
    /// Until when the server keeps the binding; `None` until the first success.
    pub(super) bound_until: Option<Instant>,
    /// The ChannelBind in flight.
    pub(super) in_flight: Option<TransactionId>,
    /// The binding failed: data goes as Send indications, nothing is refreshed, and an
    /// automatic binding is not tried again (an explicit one is).
    pub(super) failed: bool,
}

impl Channel {
    /// Whether ChannelData may be sent on it.
    pub(super) fn is_bound(&self) -> bool {
        self.bound_until.is_some() && !self.failed
    }
}

/// A refresh timer of a permission or a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Refresh {
    /// The permission for this peer IP.
    Permission(IpAddr),
    /// The channel to this peer.
    Channel(SocketAddr),
}

/// Permissions and channels.
#[derive(Debug, Default)]
pub(super) struct Peers {
    pub(super) permissions: HashMap<IpAddr, Permission>,
    pub(super) channels: HashMap<SocketAddr, Channel>,
    /// Channel number to peer, from the moment the ChannelBind is sent (the server may
    /// relay on it before its answer arrives) until it fails or is removed.
    pub(super) by_number: HashMap<u16, SocketAddr>,
    /// When to refresh each permission and channel: armed when a request succeeds,
    /// disarmed while one is in flight, once failed, and when removed.
    pub(super) refresh: Deadlines<Refresh>,
    /// The next channel number to try.
    next_number: u16,
}

impl Peers {
    /// Whether data to `peer` may leave now: the permission is installed, or a channel is
    /// bound (which installs the permission too).
    pub(super) fn ready(&self, peer: SocketAddr) -> bool {
        self.channels.get(&peer).is_some_and(Channel::is_bound)
            || self
                .permissions
                .get(&peer.ip())
                .is_some_and(|p| p.installed_until.is_some())
    }

    /// A channel number no peer uses, or `None` when all 4096 are taken.
    pub(super) fn free_number(&mut self) -> Option<ChannelNumber> {
        let min = ChannelNumber::MIN.get();
        let count = ChannelNumber::RFC8656_MAX.get() - min + 1;
        for _ in 0..count {
            let n = min + self.next_number % count;
            self.next_number = (self.next_number + 1) % count;
            if !self.by_number.contains_key(&n)
                && !self.channels.values().any(|c| c.number.get() == n)
            {
                return ChannelNumber::new(n);
            }
        }
        None
    }

    /// Takes the refreshes due at `now`: the permissions' peer IPs and the channels' peers,
    /// each sorted (the order the requests go out in).
    pub(super) fn take_due(&mut self, now: Instant) -> (Vec<IpAddr>, Vec<SocketAddr>) {
        let (mut ips, mut peers) = (Vec::new(), Vec::new());
        while let Some((_, due)) = self.refresh.pop_expired(now) {
            match due {
                Refresh::Permission(ip) => ips.push(ip),
                Refresh::Channel(peer) => peers.push(peer),
            }
        }
        ips.sort_unstable();
        peers.sort_unstable();
        (ips, peers)
    }

    /// Forgets the permission for `ip` (not the channels to it) and its refresh.
    pub(super) fn remove_permission(&mut self, ip: IpAddr) -> Option<Permission> {
        self.refresh.stop(&Refresh::Permission(ip));
        self.permissions.remove(&ip)
    }

    /// Forgets the channel to `peer` and its refresh (not its number's reservation).
    pub(super) fn remove_channel(&mut self, peer: SocketAddr) -> Option<Channel> {
        self.refresh.stop(&Refresh::Channel(peer));
        self.channels.remove(&peer)
    }

    /// Forgets the channels to peers at `ip`; returns their in-flight requests.
    pub(super) fn remove_channels_of(&mut self, ip: IpAddr) -> Vec<TransactionId> {
        let peers: Vec<SocketAddr> = self
            .channels
            .keys()
            .filter(|p| p.ip() == ip)
            .copied()
            .collect();
        let mut in_flight = Vec::new();
        for peer in peers {
            if let Some(c) = self.remove_channel(peer) {
                self.by_number.remove(&c.number.get());
                in_flight.extend(c.in_flight);
            }
        }
        in_flight
    }

    /// Forgets everything.
    pub(super) fn clear(&mut self) {
        self.permissions.clear();
        self.channels.clear();
        self.by_number.clear();
        self.refresh.clear();
    }
}

/// Most queue slots reserved up front.
const PREALLOCATED: usize = 1024;

/// Datagrams waiting to be sent to peers, with a pool of buffers so that steady-state
/// sending allocates nothing.
#[derive(Debug)]
pub(super) struct Outgoing {
    queue: VecDeque<(SocketAddr, Vec<u8>)>,
    /// Buffers of sent datagrams, kept with their capacity for the next ones.
    free: Vec<Vec<u8>>,
    max: usize,
}

impl Outgoing {
    pub(super) fn new(max: usize) -> Outgoing {
        // Room for the usual case up front; a larger bound grows (once) as it is used.
        let room = max.min(PREALLOCATED);
        Outgoing {
            queue: VecDeque::with_capacity(room),
            free: Vec::with_capacity(room),
            max,
        }
    }

    /// Queues a copy of `data` for `peer`; `false` when the queue is full.
    pub(super) fn push(&mut self, peer: SocketAddr, data: &[u8]) -> bool {
        if self.queue.len() >= self.max {
            return false;
        }
        let mut buf = self.free.pop().unwrap_or_default();
        buf.clear();
        buf.extend_from_slice(data);
        self.queue.push_back((peer, buf));
        true
    }

    /// Whether something waits for `peer`.
    pub(super) fn has(&self, peer: SocketAddr) -> bool {
        self.queue.iter().any(|(p, _)| *p == peer)
    }

    /// Takes the first datagram whose peer is `ready`, keeping each peer's order.
    pub(super) fn take(
        &mut self,
        ready: impl Fn(SocketAddr) -> bool,
    ) -> Option<(SocketAddr, Vec<u8>)> {
        let i = self.queue.iter().position(|(p, _)| ready(*p))?;
        self.queue.remove(i)
    }

    /// Gives a sent datagram's buffer back to the pool.
    pub(super) fn recycle(&mut self, buf: Vec<u8>) {
        if self.free.len() < self.max {
            self.free.push(buf);
        }
    }

    /// Drops what waits for peers at `ip`; returns how many.
    pub(super) fn drop_ip(&mut self, ip: IpAddr) -> usize {
        let before = self.queue.len();
        self.queue.retain(|(peer, _)| peer.ip() != ip);
        before - self.queue.len()
    }

    /// Drops everything; returns how many.
    pub(super) fn clear(&mut self) -> usize {
        let n = self.queue.len();
        self.queue.clear();
        n
    }
}
