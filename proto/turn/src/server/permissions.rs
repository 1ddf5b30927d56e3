//! The permissions and channel bindings of one allocation (RFC 8656 sections 9 and 11), with
//! lookups in constant time on the packet path: a permission by peer IP, a channel by number
//! and by peer.
//!
//! Most allocations hold a handful (a WebRTC call: one or two peers), so each table starts as
//! a small vector scanned in place (at most [`INLINE`] entries: a bounded scan) and becomes
//! hash maps, keyed with a random seed since peers choose the keys, past that. The caps
//! ([`super::Config::max_permissions`], [`super::Config::max_channels`]) are the server's:
//! these tables only count.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use super::FastState;

/// Entries a table keeps in a vector before it switches to maps.
pub(crate) const INLINE: usize = 4;

/// A channel binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Channel {
    pub(crate) number: u16,
    pub(crate) peer: SocketAddr,
    pub(crate) expires: Instant,
}

/// Permissions by peer IP and when each expires.
///
/// The map is boxed on purpose: the enum stays the size of a `Vec` (24 bytes) in each of the
/// thousands of allocations that never grow past [`INLINE`] (`tests/memory.rs`).
#[derive(Debug)]
#[allow(clippy::box_collection)]
pub(crate) enum Permissions {
    Few(Vec<(IpAddr, Instant)>),
    Many(Box<HashMap<IpAddr, Instant, FastState>>),
}

impl Default for Permissions {
    fn default() -> Self {
        Permissions::Few(Vec::new())
    }
}

impl Permissions {
    /// When the permission of `ip` expires, if there is one.
    pub(crate) fn get(&self, ip: IpAddr) -> Option<Instant> {
        match self {
            Permissions::Few(v) => v.iter().find(|(p, _)| *p == ip).map(|(_, e)| *e),
            Permissions::Many(m) => m.get(&ip).copied(),
        }
    }

    /// Whether `ip` holds a permission live at `now`: the question of every relayed
    /// datagram, so the scan of a small table is inlined into the packet path.
    #[inline]
    pub(crate) fn permits(&self, ip: IpAddr, now: Instant) -> bool {
        match self {
            Permissions::Few(v) => v.iter().any(|(p, e)| *p == ip && *e > now),
            Permissions::Many(m) => m.get(&ip).is_some_and(|e| *e > now),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Permissions::Few(v) => v.len(),
            Permissions::Many(m) => m.len(),
        }
    }

    /// How many of `ips` have no permission yet (each counted once).
    pub(crate) fn missing(&self, ips: &[IpAddr]) -> usize {
        ips.iter()
            .enumerate()
            .filter(|(i, ip)| self.get(**ip).is_none() && !ips[..*i].contains(ip))
            .count()
    }

    /// Installs or refreshes the permission of `ip` until `expires`; `seed` keys the map if
    /// the table grows into one.
    pub(crate) fn set(&mut self, ip: IpAddr, expires: Instant, seed: u64) {
        match self {
            Permissions::Few(v) => match v.iter().position(|(p, _)| *p == ip) {
                Some(i) => v[i].1 = expires,
                None if v.len() < INLINE => v.push((ip, expires)),
                None => {
                    let mut m =
                        HashMap::with_capacity_and_hasher(INLINE * 2, FastState::with_seed(seed));
                    m.extend(v.drain(..));
                    m.insert(ip, expires);
                    *self = Permissions::Many(Box::new(m));
                }
            },
            Permissions::Many(m) => {
                m.insert(ip, expires);
            }
        }
    }

    /// Every permission and its expiry.
    pub(crate) fn iter(&self) -> Box<dyn Iterator<Item = (IpAddr, Instant)> + '_> {
        match self {
            Permissions::Few(v) => Box::new(v.iter().copied()),
            Permissions::Many(m) => Box::new(m.iter().map(|(ip, e)| (*ip, *e))),
        }
    }

    /// Drops the permissions expired at `now`; back to a vector when few are left.
    pub(crate) fn expire(&mut self, now: Instant) {
        match self {
            Permissions::Few(v) => v.retain(|(_, e)| *e > now),
            Permissions::Many(m) => {
                m.retain(|_, e| *e > now);
                if m.len() <= INLINE {
                    *self = Permissions::Few(m.drain().collect());
                }
            }
        }
    }
}

/// A ChannelBind that conflicts with a binding in place (RFC 8656 section 11.2: the number is
/// bound to another peer, or the peer to another number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Conflict;

/// The two indexes of the channel table once it is large.
#[derive(Debug)]
pub(crate) struct ChannelMaps {
    by_number: HashMap<u16, Channel, FastState>,
    by_peer: HashMap<SocketAddr, u16, FastState>,
}

/// Channel bindings, by number and by peer.
#[derive(Debug)]
pub(crate) enum Channels {
    Few(Vec<Channel>),
    Many(Box<ChannelMaps>),
}

impl Default for Channels {
    fn default() -> Self {
        Channels::Few(Vec::new())
    }
}

impl Channels {
    pub(crate) fn len(&self) -> usize {
        match self {
            Channels::Few(v) => v.len(),
            Channels::Many(m) => m.by_number.len(),
        }
    }

    /// The binding of channel `number`.
    pub(crate) fn by_number(&self, number: u16) -> Option<&Channel> {
        match self {
            Channels::Few(v) => v.iter().find(|c| c.number == number),
            Channels::Many(m) => m.by_number.get(&number),
        }
    }

    /// The channel bound to `peer`, live at `now`.
    pub(crate) fn by_peer(&self, peer: SocketAddr, now: Instant) -> Option<u16> {
        match self {
            Channels::Few(v) => v
                .iter()
                .find(|c| c.peer == peer && c.expires > now)
                .map(|c| c.number),
            Channels::Many(m) => {
                let n = *m.by_peer.get(&peer)?;
                m.by_number
                    .get(&n)
                    .filter(|c| c.expires > now)
                    .map(|c| c.number)
            }
        }
    }

    /// Whether binding `number` to `peer` would add a binding (`true`) or refresh one
    /// (`false`), or conflicts with one in place.
    pub(crate) fn check(&self, number: u16, peer: SocketAddr) -> Result<bool, Conflict> {
        let by_number = self.by_number(number).map(|c| c.peer);
        let peer_bound = match self {
            Channels::Few(v) => v.iter().any(|c| c.peer == peer),
            Channels::Many(m) => m.by_peer.contains_key(&peer),
        };
        match (by_number, peer_bound) {
            (Some(p), true) if p == peer => Ok(false),
            (None, false) => Ok(true),
            _ => Err(Conflict),
        }
    }

    /// Binds `number` to `peer` until `expires`, or refreshes that binding; refuses a number
    /// bound to another peer or a peer bound to another number. `seed` keys the maps if the
    /// table grows into them.
    pub(crate) fn bind(
        &mut self,
        number: u16,
        peer: SocketAddr,
        expires: Instant,
        seed: u64,
    ) -> Result<(), Conflict> {
        self.check(number, peer)?;
        let channel = Channel {
            number,
            peer,
            expires,
        };
        match self {
            Channels::Few(v) => match v.iter().position(|c| c.number == number) {
                Some(i) => v[i].expires = expires,
                None if v.len() < INLINE => v.push(channel),
                None => {
                    let mut maps = ChannelMaps {
                        by_number: HashMap::with_capacity_and_hasher(
                            INLINE * 2,
                            FastState::with_seed(seed),
                        ),
                        by_peer: HashMap::with_capacity_and_hasher(
                            INLINE * 2,
                            FastState::with_seed(seed.rotate_left(32)),
                        ),
                    };
                    for c in v.drain(..).chain(std::iter::once(channel)) {
                        maps.by_peer.insert(c.peer, c.number);
                        maps.by_number.insert(c.number, c);
                    }
                    *self = Channels::Many(Box::new(maps));
                }
            },
            Channels::Many(m) => {
                m.by_peer.insert(peer, number);
                m.by_number.insert(number, channel);
            }
        }
        Ok(())
    }

    /// Every binding.
    pub(crate) fn iter(&self) -> Box<dyn Iterator<Item = &Channel> + '_> {
        match self {
            Channels::Few(v) => Box::new(v.iter()),
            Channels::Many(m) => Box::new(m.by_number.values()),
        }
    }

    /// Drops the bindings expired at `now`; back to a vector when few are left.
    pub(crate) fn expire(&mut self, now: Instant) {
        match self {
            Channels::Few(v) => v.retain(|c| c.expires > now),
            Channels::Many(m) => {
                m.by_number.retain(|_, c| c.expires > now);
                let ChannelMaps { by_number, by_peer } = &mut **m;
                by_peer.retain(|_, n| by_number.contains_key(n));
                if m.by_number.len() <= INLINE {
                    *self = Channels::Few(m.by_number.drain().map(|(_, c)| c).collect());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
    fn t0() -> Instant {
        Instant::now()
    }

    fn peer(i: u32) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::from(0x0808_0000 + i)), 9)
    }

    #[test]
    fn permissions_grow_into_a_map_and_shrink_back() {
        let now = t0();
        let mut p = Permissions::default();
        for i in 0..100 {
            p.set(peer(i).ip(), now + Duration::from_secs(u64::from(i) + 1), 7);
        }
        assert!(matches!(p, Permissions::Many(_)));
        assert_eq!(p.len(), 100);
        assert_eq!(p.get(peer(42).ip()), Some(now + Duration::from_secs(43)));
        assert_eq!(
            p.missing(&[peer(1).ip(), peer(500).ip(), peer(500).ip()]),
            1
        );
        p.set(peer(1).ip(), now + Duration::from_secs(1000), 7);
        assert_eq!(p.len(), 100, "a refresh adds nothing");
        p.expire(now + Duration::from_secs(97));
        assert!(matches!(p, Permissions::Few(_)));
        assert_eq!(p.len(), 4, "98, 99, 100 and the refreshed 1");
        assert!(p.get(peer(1).ip()).is_some() && p.get(peer(50).ip()).is_none());
    }

    #[test]
    fn channels_keep_both_indexes_through_growth_and_expiry() {
        let now = t0();
        let mut c = Channels::default();
        for i in 0..50u16 {
            let at = now + Duration::from_secs(u64::from(i) + 1);
            assert_eq!(c.bind(0x4000 + i, peer(u32::from(i)), at, 3), Ok(()));
        }
        assert!(matches!(c, Channels::Many(_)));
        assert_eq!(c.by_number(0x4007).map(|c| c.peer), Some(peer(7)));
        assert_eq!(c.by_peer(peer(7), now), Some(0x4007));
        assert_eq!(c.by_peer(peer(7), now + Duration::from_secs(9)), None);
        // Conflicts: the number to another peer, the peer to another number.
        assert_eq!(c.bind(0x4007, peer(8), now, 3), Err(Conflict));
        assert_eq!(c.bind(0x4100, peer(8), now, 3), Err(Conflict));
        assert_eq!(c.check(0x4007, peer(7)), Ok(false));
        assert_eq!(c.check(0x4100, peer(100)), Ok(true));
        c.expire(now + Duration::from_secs(46));
        assert!(matches!(c, Channels::Few(_)));
        assert_eq!(c.len(), 4);
        assert_eq!(c.by_peer(peer(49), now), Some(0x4031));
        assert_eq!(c.iter().count(), 4);
    }
}
