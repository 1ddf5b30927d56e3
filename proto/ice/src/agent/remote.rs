//! The peer's side (RFC 8445 section 5.3, RFC 8838 trickle): the remote candidates with a
//! resolved address, those waiting for an mDNS `.local` name to resolve, names that did not
//! resolve, end-of-candidates, and peer-reflexive candidates learned from checks (section
//! 7.3.1.3). A part of the [`super::Agent`] with its own state: the agent pairs what it adds.

use std::net::{IpAddr, SocketAddr};
use std::ops::Index;

use wren_core::Transport;

use super::CandidateSummary;
use super::ids::{RemoteId, Table};
use crate::candidate::{Candidate, CandidateTransport, CandidateType, TcpType};

/// A remote candidate with a resolved address.
#[derive(Debug, Clone)]
pub(crate) struct Remote {
    pub(crate) cand: Candidate,
    pub(crate) addr: SocketAddr,
    pub(crate) transport: Transport,
    pub(crate) kind: CandidateType,
    pub(crate) tcp_type: Option<TcpType>,
    pub(crate) priority: u32,
}

impl Remote {
    pub(crate) fn summary(&self) -> CandidateSummary {
        CandidateSummary {
            kind: self.kind,
            transport: self.transport,
            addr: self.addr,
            priority: self.priority,
            tcp_type: self.tcp_type,
            relay: None,
        }
    }
}

/// What [`Remotes::add`] did with a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Added {
    /// A new remote candidate.
    New(RemoteId),
    /// It was known as peer-reflexive (learned from a check) and is now the signalled one.
    Replaced(RemoteId),
    /// Known already: nothing changed.
    Known,
}

/// The remote candidates and what waits to become one.
#[derive(Debug, Default)]
pub(crate) struct Remotes {
    table: Table<RemoteId, Remote>,
    /// Candidates whose address is a name the application was asked to resolve.
    pending: Vec<(String, Candidate)>,
    /// Names the application could not resolve (for the failure report).
    unresolved: Vec<String>,
    /// The peer said end-of-candidates.
    end: bool,
    /// Peer-reflexive candidates learned so far (their foundations are `prflx<n>`).
    prflx_count: u32,
}

impl Remotes {
    /// Every remote candidate with an address.
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, Remote> {
        self.table.iter()
    }

    /// Every id, in order.
    pub(crate) fn ids(&self) -> impl Iterator<Item = RemoteId> + use<> {
        self.table.ids()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Candidates with an address.
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    /// Candidates kept: with an address, or waiting for a name.
    pub(crate) fn count(&self) -> usize {
        self.table.len() + self.pending.len()
    }

    /// The candidate at `addr` over `transport`.
    pub(crate) fn find(&self, addr: SocketAddr, transport: Transport) -> Option<RemoteId> {
        self.table
            .position(|r| r.addr == addr && r.transport == transport)
    }

    /// Adds a candidate whose address resolved to `ip`. A known one (a repeat, or a
    /// peer-reflexive candidate learned from a check) is not added again: a signalled
    /// candidate replaces a learned one in place (section 7.3.1.3).
    pub(crate) fn add(&mut self, cand: Candidate, ip: IpAddr) -> Added {
        let addr = SocketAddr::new(ip, cand.port);
        let transport = match cand.transport {
            CandidateTransport::Tcp => Transport::Tcp,
            _ => Transport::Udp,
        };
        if let Some(r) = self.find(addr, transport) {
            let known = &mut self.table[r];
            if known.kind == CandidateType::PeerReflexive
                && cand.kind != CandidateType::PeerReflexive
            {
                known.kind = cand.kind;
                known.priority = cand.priority;
                known.tcp_type = cand.tcp_type;
                known.cand = cand;
                return Added::Replaced(r);
            }
            return Added::Known;
        }
        Added::New(self.table.push(Remote {
            addr,
            transport,
            kind: cand.kind,
            tcp_type: cand.tcp_type,
            priority: cand.priority,
            cand,
        }))
    }

    /// `cand` waits for `name` to resolve; true when it is the first to wait for that
    /// name (the application is to be asked).
    pub(crate) fn wait_for(&mut self, name: String, cand: Candidate) -> bool {
        let first = !self.pending.iter().any(|(n, _)| *n == name);
        self.pending.push((name, cand));
        first
    }

    /// The candidates that waited for `name` (case-insensitive, as DNS names are).
    pub(crate) fn take_waiting(&mut self, name: &str) -> Vec<Candidate> {
        let (waiting, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|(n, _)| n.eq_ignore_ascii_case(name));
        self.pending = rest;
        waiting.into_iter().map(|(_, c)| c).collect()
    }

    /// `name` did not resolve.
    pub(crate) fn unresolved(&mut self, name: &str) {
        if !self.unresolved.iter().any(|n| n == name) {
            self.unresolved.push(name.to_owned());
        }
    }

    /// A peer-reflexive candidate at `from`, learned from a check with PRIORITY `prio`.
    pub(crate) fn peer_reflexive(
        &mut self,
        from: SocketAddr,
        transport: Transport,
        prio: u32,
    ) -> RemoteId {
        self.prflx_count += 1;
        let mut cand = Candidate::at(
            CandidateType::PeerReflexive,
            CandidateTransport::Udp,
            from,
            prio,
        );
        cand.foundation = format!("prflx{}", self.prflx_count);
        let tcp_type = transport.is_stream().then_some(TcpType::Active);
        if transport.is_stream() {
            cand.transport = CandidateTransport::Tcp;
            cand.tcp_type = tcp_type;
        }
        self.table.push(Remote {
            cand,
            addr: from,
            transport,
            kind: CandidateType::PeerReflexive,
            tcp_type,
            priority: prio,
        })
    }

    /// Takes back the peer-reflexive candidate just learned (it could not be paired).
    pub(crate) fn forget_last_peer_reflexive(&mut self) {
        if self
            .table
            .iter()
            .last()
            .is_some_and(|r| r.kind == CandidateType::PeerReflexive)
        {
            self.table.pop();
            self.prflx_count -= 1;
        }
    }

    /// The peer said end-of-candidates (RFC 8838 section 4.4).
    pub(crate) fn set_end(&mut self) {
        self.end = true;
    }

    /// Whether the peer said end-of-candidates.
    pub(crate) fn ended(&self) -> bool {
        self.end
    }

    /// Whether candidates still wait for names.
    pub(crate) fn waiting(&self) -> bool {
        !self.pending.is_empty()
    }

    /// The names that did not resolve.
    pub(crate) fn unresolved_names(&self) -> Vec<String> {
        self.unresolved.clone()
    }

    /// ICE restart: the peer's candidates belong to its old credentials.
    pub(crate) fn clear(&mut self) {
        self.table.clear();
        self.pending.clear();
        self.unresolved.clear();
        self.end = false;
    }
}

impl Index<RemoteId> for Remotes {
    type Output = Remote;
    fn index(&self, id: RemoteId) -> &Remote {
        &self.table[id]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(line: &str) -> Candidate {
        line.parse().expect("a candidate line")
    }

    #[test]
    fn a_signalled_candidate_replaces_a_learned_one_in_place() {
        let mut r = Remotes::default();
        let from: SocketAddr = "192.0.2.7:4000".parse().unwrap();
        let prflx = r.peer_reflexive(from, Transport::Udp, 1_853_824_767);
        assert_eq!(r[prflx].cand.foundation, "prflx1");
        let srflx =
            cand("candidate:1 1 udp 1686052607 192.0.2.7 4000 typ srflx raddr 10.0.0.2 rport 4000");
        let again = srflx.clone();
        assert_eq!(r.add(srflx, from.ip()), Added::Replaced(prflx));
        assert_eq!(r[prflx].kind, CandidateType::ServerReflexive);
        assert_eq!(r.add(again, from.ip()), Added::Known, "a repeat");
        assert_eq!(r.count(), 1);
        let host = cand("candidate:2 1 udp 2130706431 192.0.2.8 5000 typ host");
        let Added::New(id) = r.add(host, "192.0.2.8".parse().unwrap()) else {
            panic!("new");
        };
        assert_eq!(
            r.find("192.0.2.8:5000".parse().unwrap(), Transport::Udp),
            Some(id)
        );
        assert_eq!(
            r.find("192.0.2.8:5000".parse().unwrap(), Transport::Tcp),
            None
        );
    }

    #[test]
    fn names_wait_until_resolved_and_unresolved_ones_are_kept_for_the_report() {
        let mut r = Remotes::default();
        let c = cand("candidate:1 1 udp 2130706431 abc.local 5000 typ host");
        assert!(r.wait_for("abc.local".into(), c.clone()), "ask once");
        assert!(!r.wait_for("abc.local".into(), c), "already asked");
        assert!(r.waiting());
        assert_eq!(r.count(), 2);
        assert_eq!(r.take_waiting("ABC.local").len(), 2);
        assert!(!r.waiting());
        r.unresolved("x.local");
        r.unresolved("x.local");
        assert_eq!(r.unresolved_names(), ["x.local"]);
        r.set_end();
        assert!(r.ended());
        r.clear();
        assert!(!r.ended() && r.unresolved_names().is_empty() && r.is_empty());
    }

    #[test]
    fn only_a_peer_reflexive_candidate_just_learned_is_forgotten() {
        let mut r = Remotes::default();
        let host = cand("candidate:2 1 udp 2130706431 192.0.2.8 5000 typ host");
        assert!(matches!(
            r.add(host, "192.0.2.8".parse().unwrap()),
            Added::New(_)
        ));
        r.forget_last_peer_reflexive();
        assert_eq!(r.count(), 1, "a signalled candidate stays");
        r.peer_reflexive("192.0.2.9:1".parse().unwrap(), Transport::Udp, 1);
        r.forget_last_peer_reflexive();
        assert_eq!(r.count(), 1);
        let again = r.peer_reflexive("192.0.2.9:1".parse().unwrap(), Transport::Udp, 1);
        assert_eq!(
            r[again].cand.foundation, "prflx1",
            "the count went back too"
        );
    }
}
