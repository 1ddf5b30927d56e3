//! The data path's routing table: which valid pair a datagram belongs to, found by one hash
//! lookup of (local socket, remote address, transport) instead of a scan over the pairs.
//!
//! A pair is routable once it is valid (RFC 8445 section 7.2.5.3.2: a check on it
//! succeeded) or nominated; the checklist keeps this table in step whenever a pair's state
//! or nomination changes. The local side of the key is the candidate's base: the host
//! socket for a host candidate, the relayed address for a relayed one (whose datagrams the
//! TURN client unwraps first).
//!
//! Media flows on one pair at a time, so the table remembers the last hit: a datagram on the
//! same route as the one before costs one key comparison instead of a hash. Every change to
//! the table forgets it, so it never names a pair the table no longer holds.

use std::cell::Cell;
use std::collections::HashMap;
use std::net::SocketAddr;

use wren_core::Transport;

use super::PairId;

/// What a routed datagram is looked up by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct RouteKey {
    /// The local base it arrived at (a host socket, or a relayed address).
    pub(crate) local: SocketAddr,
    /// Where it came from (for relayed data: the peer, not the TURN server).
    pub(crate) remote: SocketAddr,
    /// UDP or TCP.
    pub(crate) transport: Transport,
}

/// The routable pairs by [`RouteKey`].
#[derive(Debug, Default)]
pub(crate) struct Routes {
    map: HashMap<RouteKey, PairId>,
    /// The last route found, while the table has not changed since.
    last: Cell<Option<(RouteKey, PairId)>>,
}

impl Routes {
    /// The valid pair `key` belongs to.
    #[inline]
    pub(crate) fn get(&self, key: &RouteKey) -> Option<PairId> {
        if let Some((k, pair)) = self.last.get()
            && k == *key
        {
            return Some(pair);
        }
        let pair = self.map.get(key).copied()?;
        self.last.set(Some((*key, pair)));
        Some(pair)
    }

    /// Makes `pair` routable under `key` when `valid`, or takes it out when not (only if
    /// the key still names this pair).
    pub(crate) fn set(&mut self, key: RouteKey, pair: PairId, valid: bool) {
        self.last.set(None);
        if valid {
            self.map.insert(key, pair);
        } else if self.map.get(&key) == Some(&pair) {
            self.map.remove(&key);
        }
    }

    /// Forgets every route (ICE restart drops the pairs).
    pub(crate) fn clear(&mut self) {
        self.last.set(None);
        self.map.clear();
    }

    /// How many pairs are routable.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(remote: &str) -> RouteKey {
        RouteKey {
            local: "10.0.0.1:5000".parse().unwrap(),
            remote: remote.parse().unwrap(),
            transport: Transport::Udp,
        }
    }

    #[test]
    fn a_pair_is_routed_while_valid_and_only_its_own_key_is_removed() {
        let mut routes = Routes::default();
        routes.set(key("192.0.2.1:1"), PairId(0), true);
        routes.set(key("192.0.2.2:2"), PairId(1), true);
        assert_eq!(routes.get(&key("192.0.2.1:1")), Some(PairId(0)));
        // Another pair's invalidation does not remove this one's route.
        routes.set(key("192.0.2.1:1"), PairId(7), false);
        assert_eq!(routes.get(&key("192.0.2.1:1")), Some(PairId(0)));
        routes.set(key("192.0.2.1:1"), PairId(0), false);
        assert_eq!(routes.get(&key("192.0.2.1:1")), None);
        let tcp = RouteKey {
            transport: Transport::Tcp,
            ..key("192.0.2.2:2")
        };
        assert_eq!(routes.get(&tcp), None, "the transport is part of the key");
        assert_eq!(routes.len(), 1);
        routes.clear();
        assert_eq!(routes.len(), 0);
    }

    #[test]
    fn the_last_hit_never_outlives_a_change_to_the_table() {
        let mut routes = Routes::default();
        routes.set(key("192.0.2.1:1"), PairId(0), true);
        // A hit is remembered...
        assert_eq!(routes.get(&key("192.0.2.1:1")), Some(PairId(0)));
        assert_eq!(routes.get(&key("192.0.2.1:1")), Some(PairId(0)));
        // ... and forgotten when its pair stops being routable,
        routes.set(key("192.0.2.1:1"), PairId(0), false);
        assert_eq!(routes.get(&key("192.0.2.1:1")), None);
        // when the key is given to another pair,
        routes.set(key("192.0.2.1:1"), PairId(3), true);
        assert_eq!(routes.get(&key("192.0.2.1:1")), Some(PairId(3)));
        routes.set(key("192.0.2.1:1"), PairId(4), true);
        assert_eq!(routes.get(&key("192.0.2.1:1")), Some(PairId(4)));
        // and when the table is cleared (ICE restart).
        routes.clear();
        assert_eq!(routes.get(&key("192.0.2.1:1")), None);
        // A miss remembers nothing: another key is looked up, not answered from the last.
        routes.set(key("192.0.2.2:2"), PairId(1), true);
        assert_eq!(routes.get(&key("192.0.2.2:2")), Some(PairId(1)));
        assert_eq!(routes.get(&key("192.0.2.9:9")), None);
        assert_eq!(routes.get(&key("192.0.2.2:2")), Some(PairId(1)));
    }
}
