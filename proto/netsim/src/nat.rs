//! NATs with the behaviours of RFC 4787: mapping (section 4.1), filtering (section 5),
//! binding timeouts refreshed by outbound packets (section 4.3), port preservation
//! (section 4.1, REQ-3 discussion) and hairpinning (section 6).

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use wren_core::{Rng, Transport};

use crate::ids::HostId;
use crate::trace::DropReason;

/// When a NAT reuses a mapping (RFC 4787 section 4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mapping {
    /// One mapping per internal address and port, whatever the destination.
    EndpointIndependent,
    /// One mapping per internal address and port and destination IP address.
    AddressDependent,
    /// One mapping per internal address and port and destination IP address and port.
    AddressAndPortDependent,
}

/// Which inbound packets a NAT lets through a mapping (RFC 4787 section 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Filtering {
    /// Any external endpoint may send to the mapped address.
    EndpointIndependent,
    /// Only IP addresses the internal endpoint sent to through the mapping.
    AddressDependent,
    /// Only IP addresses and ports the internal endpoint sent to through the mapping.
    AddressAndPortDependent,
}

/// The configuration of a NAT. Build it with [`NatConfig::new`] or a preset, then the
/// `with_*` setters.
///
/// The behaviours are RFC 4787's: mapping (section 4.1: endpoint-independent,
/// address-dependent, address-and-port-dependent), filtering (section 5), binding timeouts
/// refreshed by outbound packets only (section 4.3), port preservation (section 4.2.1) and
/// hairpinning with the mapped source (section 6, REQ-9); also a firewall that blocks UDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct NatConfig {
    /// The NAT's address on the public internet.
    pub public_ip: IpAddr,
    /// Mapping behaviour (RFC 4787 section 4.1).
    pub mapping: Mapping,
    /// Filtering behaviour (RFC 4787 section 5).
    pub filtering: Filtering,
    /// Whether a packet from the private side to the NAT's own public address is looped
    /// back to the host it maps to (RFC 4787 section 6), with the sender's mapped address
    /// as its source (REQ-9). Default false.
    pub hairpin: bool,
    /// A UDP mapping expires this long after the last outbound packet through it (RFC
    /// 4787 section 4.3, REQ-5: at least 2 minutes; default 120 s). Inbound packets do not
    /// refresh it (REQ-6 makes that optional).
    pub udp_timeout: Duration,
    /// An idle TCP connection through the NAT is forgotten after this long (RFC 5382
    /// REQ-5: 2 h 4 min by default).
    pub tcp_timeout: Duration,
    /// Give a new mapping the internal port when it is free (RFC 4787 section 4.2.1);
    /// otherwise, and when it is taken, a random port from the seeded generator that no
    /// mapping holds. Default false.
    pub port_preservation: bool,
    /// A firewall that drops all UDP crossing the NAT in either direction; TCP passes.
    /// Traffic between hosts on the private side is not affected. Default false.
    pub block_udp: bool,
}

impl NatConfig {
    /// A NAT at `public_ip` with these behaviours, no hairpinning, no port preservation,
    /// UDP allowed and the default timeouts.
    #[must_use]
    pub fn new(public_ip: IpAddr, mapping: Mapping, filtering: Filtering) -> Self {
        NatConfig {
            public_ip,
            mapping,
            filtering,
            hairpin: false,
            udp_timeout: Duration::from_secs(120),
            tcp_timeout: Duration::from_secs(7440),
            port_preservation: false,
            block_udp: false,
        }
    }

    /// "Full cone" (RFC 3489 terms): endpoint-independent mapping and filtering.
    #[must_use]
    pub fn full_cone(public_ip: IpAddr) -> Self {
        Self::new(
            public_ip,
            Mapping::EndpointIndependent,
            Filtering::EndpointIndependent,
        )
    }

    /// "Restricted cone": endpoint-independent mapping, address-dependent filtering.
    #[must_use]
    pub fn restricted_cone(public_ip: IpAddr) -> Self {
        Self::new(
            public_ip,
            Mapping::EndpointIndependent,
            Filtering::AddressDependent,
        )
    }

    /// "Port-restricted cone": endpoint-independent mapping, address- and port-dependent
    /// filtering (RFC 4787 REQ-1 and REQ-8's recommended combination without EIF).
    #[must_use]
    pub fn port_restricted_cone(public_ip: IpAddr) -> Self {
        Self::new(
            public_ip,
            Mapping::EndpointIndependent,
            Filtering::AddressAndPortDependent,
        )
    }

    /// "Symmetric": address- and port-dependent mapping and filtering.
    #[must_use]
    pub fn symmetric(public_ip: IpAddr) -> Self {
        Self::new(
            public_ip,
            Mapping::AddressAndPortDependent,
            Filtering::AddressAndPortDependent,
        )
    }

    /// Sets [`NatConfig::hairpin`].
    #[must_use]
    pub fn with_hairpin(mut self, on: bool) -> Self {
        self.hairpin = on;
        self
    }

    /// Sets [`NatConfig::udp_timeout`].
    #[must_use]
    pub fn with_udp_timeout(mut self, timeout: Duration) -> Self {
        self.udp_timeout = timeout;
        self
    }

    /// Sets [`NatConfig::tcp_timeout`].
    #[must_use]
    pub fn with_tcp_timeout(mut self, timeout: Duration) -> Self {
        self.tcp_timeout = timeout;
        self
    }

    /// Sets [`NatConfig::port_preservation`].
    #[must_use]
    pub fn with_port_preservation(mut self, on: bool) -> Self {
        self.port_preservation = on;
        self
    }

    /// Sets [`NatConfig::block_udp`].
    #[must_use]
    pub fn with_block_udp(mut self, on: bool) -> Self {
        self.block_udp = on;
        self
    }
}

/// What a mapping is keyed by: the internal endpoint and, per the mapping behaviour, the
/// destination (its IP with port 0 for address-dependent mapping).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    proto: Transport,
    internal: SocketAddr,
    remote: Option<SocketAddr>,
}

#[derive(Debug)]
struct Entry {
    port: u16,
    expires: Instant,
    /// Destinations sent to through this mapping (for filtering).
    contacted: BTreeSet<SocketAddr>,
    contacted_ips: BTreeSet<IpAddr>,
}

/// A NAT's state: its mappings and the hosts on its private side.
#[derive(Debug)]
pub(crate) struct Nat {
    pub(crate) config: NatConfig,
    rng: Rng,
    mappings: BTreeMap<Key, Entry>,
    by_port: BTreeMap<(Transport, u16), Key>,
    /// Hosts on the private side, by address.
    pub(crate) private: BTreeMap<IpAddr, HostId>,
}

/// Ports a NAT hands out when it does not preserve one.
const PORT_BASE: u16 = 1024;

impl Nat {
    pub(crate) fn new(config: NatConfig, rng: Rng) -> Nat {
        Nat {
            config,
            rng,
            mappings: BTreeMap::new(),
            by_port: BTreeMap::new(),
            private: BTreeMap::new(),
        }
    }

    fn key(&self, proto: Transport, internal: SocketAddr, remote: SocketAddr) -> Key {
        let remote = match self.config.mapping {
            Mapping::EndpointIndependent => None,
            Mapping::AddressDependent => Some(SocketAddr::new(remote.ip(), 0)),
            Mapping::AddressAndPortDependent => Some(remote),
        };
        Key {
            proto,
            internal,
            remote,
        }
    }

    fn timeout(&self, proto: Transport) -> Duration {
        match proto {
            Transport::Udp => self.config.udp_timeout,
            _ => self.config.tcp_timeout,
        }
    }

    /// Translates an outbound packet's source: finds or creates the mapping, refreshes it
    /// and remembers the destination for filtering. `None` when no port is free.
    pub(crate) fn outbound(
        &mut self,
        proto: Transport,
        internal: SocketAddr,
        remote: SocketAddr,
        now: Instant,
    ) -> Option<SocketAddr> {
        let key = self.key(proto, internal, remote);
        let expires = now + self.timeout(proto);
        let live = self.mappings.get(&key).is_some_and(|e| e.expires > now);
        if !live {
            if let Some(old) = self.mappings.remove(&key) {
                self.by_port.remove(&(proto, old.port));
            }
            let port = self.pick_port(proto, internal.port(), now)?;
            self.by_port.insert((proto, port), key);
            self.mappings.insert(
                key,
                Entry {
                    port,
                    expires,
                    contacted: BTreeSet::new(),
                    contacted_ips: BTreeSet::new(),
                },
            );
        }
        let entry = self.mappings.get_mut(&key)?;
        entry.expires = expires;
        entry.contacted.insert(remote);
        entry.contacted_ips.insert(remote.ip());
        Some(SocketAddr::new(self.config.public_ip, entry.port))
    }

    /// Refreshes the live mapping of a TCP connection; `false` when it expired.
    pub(crate) fn touch(
        &mut self,
        proto: Transport,
        internal: SocketAddr,
        remote: SocketAddr,
        now: Instant,
    ) -> bool {
        let key = self.key(proto, internal, remote);
        let expires = now + self.timeout(proto);
        match self.mappings.get_mut(&key) {
            Some(e) if e.expires > now => {
                e.expires = expires;
                true
            }
            _ => false,
        }
    }

    /// Forgets the mapping of a closed TCP connection.
    pub(crate) fn release(&mut self, proto: Transport, internal: SocketAddr, remote: SocketAddr) {
        let key = self.key(proto, internal, remote);
        if let Some(old) = self.mappings.remove(&key) {
            self.by_port.remove(&(proto, old.port));
        }
    }

    /// Where a UDP packet from `remote` to public port `port` goes inside: the private host
    /// and the packet's new destination, after [`Nat::inbound`]'s filtering; or why not.
    pub(crate) fn to_inside(
        &self,
        port: u16,
        remote: SocketAddr,
        now: Instant,
    ) -> Result<(HostId, SocketAddr), DropReason> {
        let inside = self.inbound(Transport::Udp, port, remote, now)?;
        let host = *self.private.get(&inside.ip()).ok_or(DropReason::NoRoute)?;
        Ok((host, inside))
    }

    /// Translates an inbound packet from `remote` to the NAT's `port`: the internal
    /// endpoint, or why it is dropped.
    pub(crate) fn inbound(
        &self,
        proto: Transport,
        port: u16,
        remote: SocketAddr,
        now: Instant,
    ) -> Result<SocketAddr, DropReason> {
        let key = self
            .by_port
            .get(&(proto, port))
            .ok_or(DropReason::NoMapping)?;
        let entry = self.mappings.get(key).ok_or(DropReason::NoMapping)?;
        if entry.expires <= now {
            return Err(DropReason::NoMapping);
        }
        let allowed = match self.config.filtering {
            Filtering::EndpointIndependent => true,
            Filtering::AddressDependent => entry.contacted_ips.contains(&remote.ip()),
            Filtering::AddressAndPortDependent => entry.contacted.contains(&remote),
        };
        if allowed {
            Ok(key.internal)
        } else {
            Err(DropReason::NatFiltered)
        }
    }

    /// A free external port: the internal one when preserving and free, else random.
    /// A port held by an expired mapping is reclaimed.
    fn pick_port(&mut self, proto: Transport, preferred: u16, now: Instant) -> Option<u16> {
        if self.config.port_preservation && preferred != 0 && self.free(proto, preferred, now) {
            return Some(preferred);
        }
        let span = u64::from(u16::MAX - PORT_BASE) + 1;
        for _ in 0..64 {
            let port = PORT_BASE + u16::try_from(self.rng.below(span)).unwrap_or(0);
            if self.free(proto, port, now) {
                return Some(port);
            }
        }
        (PORT_BASE..=u16::MAX).find(|&p| self.free(proto, p, now))
    }

    /// Whether `port` can be given out, reclaiming it from an expired mapping.
    fn free(&mut self, proto: Transport, port: u16, now: Instant) -> bool {
        let Some(key) = self.by_port.get(&(proto, port)).copied() else {
            return true;
        };
        if self.mappings.get(&key).is_some_and(|e| e.expires > now) {
            return false;
        }
        self.mappings.remove(&key);
        self.by_port.remove(&(proto, port));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> SocketAddr {
        s.parse().unwrap_or_else(|_| unreachable!())
    }

    #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
    fn t0() -> Instant {
        Instant::now()
    }

    fn nat(mapping: Mapping, filtering: Filtering) -> Nat {
        let config = NatConfig::new(
            "203.0.113.1".parse().unwrap_or_else(|_| unreachable!()),
            mapping,
            filtering,
        );
        Nat::new(config, Rng::from_seed([7; 32]))
    }

    #[test]
    fn mapping_keys_follow_the_behaviour() {
        let now = t0();
        let inside = a("192.168.1.2:5000");
        for (mapping, same_ip_other_port, other_ip) in [
            (Mapping::EndpointIndependent, true, true),
            (Mapping::AddressDependent, true, false),
            (Mapping::AddressAndPortDependent, false, false),
        ] {
            let mut n = nat(mapping, Filtering::EndpointIndependent);
            let m1 = n.outbound(Transport::Udp, inside, a("198.51.100.1:3478"), now);
            let m2 = n.outbound(Transport::Udp, inside, a("198.51.100.1:3479"), now);
            let m3 = n.outbound(Transport::Udp, inside, a("198.51.100.2:3478"), now);
            assert_eq!(m1 == m2, same_ip_other_port, "{mapping:?}");
            assert_eq!(m1 == m3, other_ip, "{mapping:?}");
        }
    }

    #[test]
    fn filtering_and_expiry() {
        let now = t0();
        let inside = a("192.168.1.2:5000");
        let mut n = nat(Mapping::EndpointIndependent, Filtering::AddressDependent);
        let m = n
            .outbound(Transport::Udp, inside, a("198.51.100.1:3478"), now)
            .unwrap_or_else(|| unreachable!());
        assert_eq!(
            n.inbound(Transport::Udp, m.port(), a("198.51.100.1:9"), now),
            Ok(inside)
        );
        assert_eq!(
            n.inbound(Transport::Udp, m.port(), a("198.51.100.2:3478"), now),
            Err(DropReason::NatFiltered)
        );
        let later = now + Duration::from_secs(120);
        assert_eq!(
            n.inbound(Transport::Udp, m.port(), a("198.51.100.1:3478"), later),
            Err(DropReason::NoMapping)
        );
    }
}
