//! The local candidates (RFC 8445 section 5.1): host, server-reflexive, relayed and
//! peer-reflexive, with their bases and what the agent needs to send from them, and the
//! lookups on them: which one a datagram arrived on, whether a reflexive address is known.
//! A part of the [`super::Agent`]; gathering adds to it.

use std::net::SocketAddr;
use std::ops::Index;

use wren_core::{Datagram, Transport};

use super::CandidateSummary;
use super::ids::{LocalId, RelayId, Table};
use crate::candidate::{Candidate, CandidateType, TcpType};

/// A local candidate.
#[derive(Debug, Clone)]
pub(crate) struct Local {
    pub(crate) cand: Candidate,
    pub(crate) kind: CandidateType,
    pub(crate) transport: Transport,
    pub(crate) tcp_type: Option<TcpType>,
    /// Its transport address (the relayed address for a relayed candidate).
    pub(crate) addr: SocketAddr,
    /// Where its checks leave from: the host socket, or for a relayed candidate its
    /// relayed address (sent through `relay`).
    pub(crate) base: SocketAddr,
    pub(crate) priority: u32,
    pub(crate) local_pref: u32,
    pub(crate) relay: Option<RelayId>,
    /// The TURN server and transport of a relayed candidate.
    pub(crate) relay_via: Option<(SocketAddr, Transport)>,
    /// Paired with remote candidates (server-reflexive ones are not: their base is).
    pub(crate) pairable: bool,
    /// The relayed candidate's allocation ended.
    pub(crate) dead: bool,
}

impl Local {
    /// A reflexive candidate (server- or peer-reflexive) at `addr`, learned for the host
    /// socket `base`: announced with `base` as its related address, never paired (its base
    /// is).
    pub(crate) fn reflexive(
        kind: CandidateType,
        addr: SocketAddr,
        base: SocketAddr,
        local_pref: u32,
    ) -> Local {
        let priority = crate::candidate::priority(kind, local_pref, 1);
        Local {
            cand: Candidate::at(
                kind,
                crate::candidate::CandidateTransport::Udp,
                addr,
                priority,
            )
            .with_related(base),
            kind,
            transport: Transport::Udp,
            tcp_type: None,
            addr,
            base,
            priority,
            local_pref,
            relay: None,
            relay_via: None,
            pairable: false,
            dead: false,
        }
    }

    pub(crate) fn summary(&self) -> CandidateSummary {
        CandidateSummary {
            kind: self.kind,
            transport: self.transport,
            addr: self.addr,
            priority: self.priority,
            tcp_type: self.tcp_type,
            relay: self.relay_via,
        }
    }
}

/// The local candidates.
#[derive(Debug, Default)]
pub(crate) struct Locals {
    locals: Table<LocalId, Local>,
}

impl Locals {
    /// Adds a candidate.
    pub(crate) fn push(&mut self, local: Local) -> LocalId {
        self.locals.push(local)
    }

    /// The candidate ids, in the order they were added.
    pub(crate) fn ids(&self) -> impl Iterator<Item = LocalId> + use<> {
        self.locals.ids()
    }

    /// The candidates, in the order they were added.
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, Local> {
        self.locals.iter()
    }

    /// Relayed candidate `l` lost its allocation: it pairs no more.
    pub(crate) fn mark_dead(&mut self, l: LocalId) {
        self.locals[l].dead = true;
    }

    /// An ICE restart: every candidate takes the new credentials' ufrag and generation
    /// (RFC 8838 section 4.1); the candidates to announce again (not peer-reflexive ones,
    /// which belonged to the old checks, nor dead ones, and only relayed ones when
    /// `relay_only`).
    pub(crate) fn restart(
        &mut self,
        ufrag: &str,
        generation: u32,
        relay_only: bool,
    ) -> Vec<Candidate> {
        let mut announce = Vec::new();
        for l in self.locals.iter_mut() {
            l.cand.ufrag = Some(ufrag.to_owned());
            l.cand.generation = Some(generation);
            if l.kind != CandidateType::PeerReflexive
                && !l.dead
                && (!relay_only || l.kind == CandidateType::Relayed)
            {
                announce.push(l.cand.clone());
            }
        }
        announce
    }

    /// How many candidates.
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn len(&self) -> usize {
        self.locals.len()
    }

    /// The host candidate a datagram arrived on: by its socket, or for a TCP connection
    /// we opened from an active candidate (an ephemeral port), by its address.
    pub(crate) fn for_arrival(&self, d: &Datagram<'_>) -> Option<LocalId> {
        let candidates = |l: &Local| l.relay.is_none() && l.kind == CandidateType::Host;
        match d.proto {
            Transport::Udp => self.locals.position(|l| {
                candidates(l) && l.transport == Transport::Udp && l.base == d.destination
            }),
            _ => self
                .locals
                .position(|l| candidates(l) && l.transport.is_stream() && l.base == d.destination)
                .or_else(|| {
                    // A connection we opened from an active candidate: an ephemeral port.
                    self.locals.position(|l| {
                        candidates(l)
                            && l.tcp_type == Some(TcpType::Active)
                            && l.base.ip() == d.destination.ip()
                    })
                }),
        }
    }

    /// Whether a candidate at `addr` with base `base` is known (of kind `kind`, when
    /// given).
    pub(crate) fn knows(
        &self,
        addr: SocketAddr,
        base: SocketAddr,
        kind: Option<CandidateType>,
    ) -> bool {
        self.locals
            .iter()
            .any(|l| l.addr == addr && l.base == base && kind.is_none_or(|k| l.kind == k))
    }

    /// The UDP host candidate of socket `base`.
    pub(crate) fn udp_host(&self, base: SocketAddr) -> Option<&Local> {
        self.locals.iter().find(|l| {
            l.base == base && l.kind == CandidateType::Host && l.transport == Transport::Udp
        })
    }

    /// Whether a candidate can still be paired (not only a base, not a dead relay).
    pub(crate) fn any_usable(&self) -> bool {
        self.locals.iter().any(|l| l.pairable && !l.dead)
    }
}

impl Index<LocalId> for Locals {
    type Output = Local;
    fn index(&self, l: LocalId) -> &Local {
        &self.locals[l]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::candidate::{CandidateTransport, priority};

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn host(at: &str, transport: Transport, tcp_type: Option<TcpType>) -> Local {
        let a = addr(at);
        let prio = priority(CandidateType::Host, 65535, 1);
        Local {
            cand: Candidate::at(CandidateType::Host, CandidateTransport::Udp, a, prio),
            kind: CandidateType::Host,
            transport,
            tcp_type,
            addr: a,
            base: a,
            priority: prio,
            local_pref: 65535,
            relay: None,
            relay_via: None,
            pairable: true,
            dead: false,
        }
    }

    #[test]
    fn arrivals_find_their_host_candidate_and_reflexive_addresses_are_known_once() {
        let mut locals = Locals::default();
        assert!(!locals.any_usable());
        let udp = locals.push(host("10.0.0.1:5000", Transport::Udp, None));
        let passive = locals.push(host(
            "10.0.0.1:6000",
            Transport::Tcp,
            Some(TcpType::Passive),
        ));
        let active = locals.push(host("10.0.0.1:9", Transport::Tcp, Some(TcpType::Active)));
        let peer = addr("192.0.2.7:4000");
        let mut d = Datagram::udp(peer, addr("10.0.0.1:5000"), &[]);
        assert_eq!(locals.for_arrival(&d), Some(udp));
        d.destination = addr("10.0.0.1:5001");
        assert_eq!(locals.for_arrival(&d), None, "no socket there");
        d.proto = Transport::Tcp;
        d.destination = addr("10.0.0.1:6000");
        assert_eq!(locals.for_arrival(&d), Some(passive));
        d.destination = addr("10.0.0.1:51234");
        assert_eq!(
            locals.for_arrival(&d),
            Some(active),
            "an ephemeral port we opened"
        );

        let (base, mapped) = (addr("10.0.0.1:5000"), addr("203.0.113.1:7000"));
        assert_eq!(locals.udp_host(base).map(|l| l.addr), Some(base));
        assert!(!locals.knows(mapped, base, None));
        let srflx = Local::reflexive(CandidateType::ServerReflexive, mapped, base, 65535);
        locals.push(srflx);
        assert!(locals.knows(mapped, base, None));
        assert!(locals.knows(mapped, base, Some(CandidateType::ServerReflexive)));
        assert!(!locals.knows(mapped, base, Some(CandidateType::PeerReflexive)));
        assert!(locals.any_usable());
        for l in locals.ids() {
            locals.mark_dead(l);
        }
        assert!(!locals.any_usable());
        assert_eq!(locals.len(), 4);
    }
}
