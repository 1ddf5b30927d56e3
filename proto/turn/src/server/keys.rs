//! How the per-packet tables hash their keys: a socket address in one or two words.
//!
//! The derived `Hash` of [`SocketAddr`] writes field by field (the family, the address as a
//! length-prefixed byte slice, the port), about six hasher writes per address and a dozen
//! per [`FiveTuple`](super::allocation::FiveTuple); each datagram a relay forwards pays for
//! one such key. Here an IPv4 address and port go in one `u64` and an IPv6 address in two
//! `u128`s, losslessly: two keys that differ hash differently for every seed, so hash
//! flooding stays as hard as the seeded hasher makes it (RFC 8656 servers face peers and
//! clients that choose their own addresses and ports).

use std::hash::{Hash, Hasher};
use std::net::SocketAddr;

use wren_core::Transport;

/// Feeds `addr` to `state` with `tag` (which the caller uses to tell keys apart, for
/// example a transport) in the same words.
#[inline]
pub(crate) fn hash_addr<H: Hasher>(addr: &SocketAddr, tag: u8, state: &mut H) {
    match addr {
        SocketAddr::V4(a) => state.write_u64(
            u64::from(tag) << 56
                | 1 << 48
                | u64::from(a.ip().to_bits()) << 16
                | u64::from(a.port()),
        ),
        SocketAddr::V6(a) => {
            state.write_u128(a.ip().to_bits());
            state.write_u128(
                u128::from(tag) << 120
                    | 2 << 112
                    | u128::from(a.scope_id()) << 48
                    | u128::from(a.flowinfo()) << 16
                    | u128::from(a.port()),
            );
        }
    }
}

/// The tag of a transport in [`hash_addr`].
#[inline]
pub(crate) fn transport_tag(t: Transport) -> u8 {
    match t {
        Transport::Udp => 1,
        Transport::Tcp => 2,
        Transport::Tls => 3,
        // A transport added to wren-core later shares a tag: its keys still compare apart.
        _ => 4,
    }
}

/// A relayed address as a key of the table from relayed address to allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RelayedKey(pub(crate) SocketAddr);

impl Hash for RelayedKey {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_addr(&self.0, 0, state);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::hash::BuildHasher;
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV6};

    use super::*;

    fn hash(state: &foldhash::fast::FixedState, addr: &SocketAddr, tag: u8) -> u64 {
        let mut h = state.build_hasher();
        hash_addr(addr, tag, &mut h);
        h.finish()
    }

    /// Keys that differ in any part (address, port, family, flow label, scope, tag) hash
    /// apart: the packing loses nothing an attacker could use to collide keys.
    #[test]
    fn keys_differing_in_any_part_hash_differently() {
        let state = foldhash::fast::FixedState::with_seed(7);
        let v4 = |ip: [u8; 4], port| SocketAddr::from((Ipv4Addr::from(ip), port));
        let v6 = |ip: u128, port, flow, scope| {
            SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from_bits(ip),
                port,
                flow,
                scope,
            ))
        };
        let keys = [
            (v4([192, 0, 2, 1], 3478), 0),
            (v4([192, 0, 2, 1], 3479), 0),
            (v4([192, 0, 2, 2], 3478), 0),
            (v4([192, 0, 2, 1], 3478), 1),
            (v4([0, 0, 0, 0], 0), 0),
            (v6(0xc000_0201, 3478, 0, 0), 0),
            (v6(0, 0, 0, 0), 0),
            (v6(0x2001_0db8 << 96, 3478, 0, 0), 0),
            (v6(0x2001_0db8 << 96, 3478, 1, 0), 0),
            (v6(0x2001_0db8 << 96, 3478, 0, 1), 0),
            (v6(0x2001_0db8 << 96, 3478, 0, 0), 2),
            (v6(0x2001_0db8 << 96 | 1, 3478, 0, 0), 0),
        ];
        let hashes: HashSet<u64> = keys.iter().map(|(a, t)| hash(&state, a, *t)).collect();
        assert_eq!(hashes.len(), keys.len());
        // Equal keys hash equal (what `Hash` must keep with `Eq`).
        for (a, t) in keys {
            assert_eq!(hash(&state, &a, t), hash(&state, &a, t));
        }
    }

    #[test]
    fn transports_have_distinct_tags() {
        let tags: HashSet<u8> = [Transport::Udp, Transport::Tcp, Transport::Tls]
            .into_iter()
            .map(transport_tag)
            .collect();
        assert_eq!(tags.len(), 3);
        assert!(!tags.contains(&0), "0 is RelayedKey's tag");
    }
}
