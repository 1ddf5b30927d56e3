//! Gathering's bookkeeping (RFC 8445 section 5.1.1): the host sockets asked of the driver
//! or given by the owner, the foundations handed out (section 5.1.1.3), the STUN queries
//! for server-reflexive candidates, the gathering state, and the failures met on the way.
//! A part of the [`super::Agent`] with its own state: the agent makes candidates of what
//! it says, and owns the STUN and TURN clients that do the talking.

use std::net::{IpAddr, SocketAddr};

use wren_core::Transport;
use wren_stun::TransactionId;

use super::ids::{SocketId, Table};
use super::{GatherFailure, GatheringState};
use crate::candidate::CandidateType;

/// A host socket the agent asked for, or was given.
#[derive(Debug, Clone)]
struct Socket {
    requested: SocketAddr,
    transport: Transport,
    bound: Option<SocketAddr>,
    answered: bool,
    /// Index of the interface (its place in the configuration).
    interface: usize,
    /// Given by the owner ([`super::Config::bound_sockets`]): never asked for, never
    /// closed.
    given: bool,
}

/// A STUN transaction of gathering.
#[derive(Debug, Clone)]
struct StunQuery {
    tid: TransactionId,
    server: SocketAddr,
    socket: SocketAddr,
    done: bool,
}

/// The sockets, foundations, STUN queries, state and failures of gathering.
#[derive(Debug)]
pub(crate) struct Gathering {
    sockets: Table<SocketId, Socket>,
    foundations: Vec<(CandidateType, IpAddr, Option<IpAddr>, Transport)>,
    queries: Vec<StunQuery>,
    state: GatheringState,
    failures: Vec<GatherFailure>,
}

impl Default for Gathering {
    fn default() -> Self {
        Gathering {
            sockets: Table::new(),
            foundations: Vec::new(),
            queries: Vec::new(),
            state: GatheringState::New,
            failures: Vec::new(),
        }
    }
}

impl Gathering {
    /// The gathering state.
    pub(crate) fn state(&self) -> GatheringState {
        self.state
    }

    /// Gathering starts.
    pub(crate) fn start(&mut self) {
        self.state = GatheringState::Gathering;
    }

    /// Gathering is complete (or gave up waiting).
    pub(crate) fn finish(&mut self) {
        self.state = GatheringState::Complete;
    }

    /// A socket asked of the driver on the `interface`-th interface.
    pub(crate) fn ask(&mut self, requested: SocketAddr, transport: Transport, interface: usize) {
        self.sockets.push(Socket {
            requested,
            transport,
            bound: None,
            answered: false,
            interface,
            given: false,
        });
    }

    /// A socket the owner bound already.
    pub(crate) fn given(&mut self, addr: SocketAddr, transport: Transport, interface: usize) {
        self.sockets.push(Socket {
            requested: addr,
            transport,
            bound: Some(addr),
            answered: true,
            interface,
            given: true,
        });
    }

    /// The driver answered the bind of `requested`: the socket's interface, or `None` when
    /// no such request waits.
    pub(crate) fn answer(
        &mut self,
        requested: SocketAddr,
        transport: Transport,
        bound: Option<SocketAddr>,
    ) -> Option<usize> {
        let s = self
            .sockets
            .position(|s| !s.answered && s.requested == requested && s.transport == transport)?;
        let socket = &mut self.sockets[s];
        socket.answered = true;
        socket.bound = bound;
        Some(socket.interface)
    }

    /// The sockets to close (bound, not given), forgotten as bound.
    pub(crate) fn unbind(&mut self) -> impl Iterator<Item = (SocketAddr, Transport)> + '_ {
        self.sockets.iter_mut().filter_map(|s| {
            let bound = s.bound.take()?;
            (!s.given).then_some((bound, s.transport))
        })
    }

    /// The foundation (RFC 8445 section 5.1.1.3): candidates of the same type, base IP,
    /// server and transport share one.
    pub(crate) fn foundation(
        &mut self,
        kind: CandidateType,
        base: IpAddr,
        server: Option<IpAddr>,
        transport: Transport,
    ) -> String {
        let key = (kind, base, server, transport);
        let i = match self.foundations.iter().position(|f| *f == key) {
            Some(i) => i,
            None => {
                self.foundations.push(key);
                self.foundations.len() - 1
            }
        };
        (i + 1).to_string()
    }

    /// A Binding request `tid` to STUN server `server` from host socket `socket`.
    pub(crate) fn query(&mut self, tid: TransactionId, server: SocketAddr, socket: SocketAddr) {
        self.queries.push(StunQuery {
            tid,
            server,
            socket,
            done: false,
        });
    }

    /// Whether query `tid` still waits for its answer.
    pub(crate) fn is_waiting(&self, tid: TransactionId) -> bool {
        self.queries.iter().any(|q| !q.done && q.tid == tid)
    }

    /// Query `tid` has its outcome: its server and host socket, if it was waiting. A
    /// report that the server was silent no longer holds.
    pub(crate) fn answered(&mut self, tid: TransactionId) -> Option<(SocketAddr, SocketAddr)> {
        let q = self.queries.iter_mut().find(|q| q.tid == tid && !q.done)?;
        q.done = true;
        let (server, socket) = (q.server, q.socket);
        self.answered_late(server);
        Some((server, socket))
    }

    /// The queries still waiting, no longer waited for (close, failure): their ids, to
    /// cancel.
    pub(crate) fn cancel(&mut self) -> impl Iterator<Item = TransactionId> + '_ {
        self.queries.iter_mut().filter(|q| !q.done).map(|q| {
            q.done = true;
            q.tid
        })
    }

    /// The STUN servers not answered yet.
    pub(crate) fn silent(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        self.queries.iter().filter(|q| !q.done).map(|q| q.server)
    }

    /// Whether every socket was answered and every query is done.
    pub(crate) fn settled(&self) -> bool {
        self.sockets.iter().all(|s| s.answered) && self.queries.iter().all(|q| q.done)
    }

    /// Keeps `failure` for the report.
    pub(crate) fn failed(&mut self, failure: GatherFailure) {
        self.failures.push(failure);
    }

    /// `server` answered after it was reported silent: that report no longer holds.
    pub(crate) fn answered_late(&mut self, server: SocketAddr) {
        self.failures
            .retain(|f| !matches!(f, GatherFailure::NotAnswered { server: s, .. } if *s == server));
    }

    /// Whether `server` was reported silent.
    pub(crate) fn reported_silent(&self, server: SocketAddr) -> bool {
        self.failures
            .iter()
            .any(|f| matches!(f, GatherFailure::NotAnswered { server: s, .. } if *s == server))
    }

    /// The failures met, for the report.
    pub(crate) fn failures(&self) -> &[GatherFailure] {
        &self.failures
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use wren_core::Rng;

    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn sockets_are_answered_once_and_only_those_asked_for_are_closed() {
        let mut g = Gathering::default();
        assert_eq!(g.state(), GatheringState::New);
        g.start();
        let any = addr("10.0.0.1:0");
        g.ask(any, Transport::Udp, 0);
        g.ask(any, Transport::Tcp, 0);
        g.given(addr("10.0.0.2:3478"), Transport::Udp, 1);
        assert!(!g.settled(), "two binds wait");
        assert_eq!(
            g.answer(any, Transport::Udp, Some(addr("10.0.0.1:5000"))),
            Some(0)
        );
        assert_eq!(
            g.answer(any, Transport::Udp, None),
            None,
            "answered already"
        );
        assert_eq!(
            g.answer(addr("10.0.0.9:0"), Transport::Tcp, None),
            None,
            "not asked"
        );
        assert_eq!(
            g.answer(any, Transport::Tcp, None),
            Some(0),
            "a failed bind"
        );
        assert!(g.settled());
        let closed: Vec<_> = g.unbind().collect();
        assert_eq!(closed, [(addr("10.0.0.1:5000"), Transport::Udp)]);
        assert_eq!(g.unbind().count(), 0, "closed once");
        g.finish();
        assert_eq!(g.state(), GatheringState::Complete);
    }

    #[test]
    fn foundations_are_shared_by_type_base_server_and_transport() {
        let mut g = Gathering::default();
        let (a, b) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let host = g.foundation(CandidateType::Host, a, None, Transport::Udp);
        assert_eq!(host, "1");
        assert_eq!(
            g.foundation(CandidateType::Host, a, None, Transport::Udp),
            host
        );
        assert_eq!(
            g.foundation(CandidateType::Host, b, None, Transport::Udp),
            "2"
        );
        assert_eq!(
            g.foundation(CandidateType::Host, a, None, Transport::Tcp),
            "3"
        );
        let srflx = g.foundation(CandidateType::ServerReflexive, a, Some(b), Transport::Udp);
        assert_eq!(srflx, "4");
        assert_eq!(
            g.foundation(CandidateType::ServerReflexive, a, Some(a), Transport::Udp),
            "5"
        );
    }

    #[test]
    fn queries_settle_and_a_late_answer_takes_back_the_silence_report() {
        let mut g = Gathering::default();
        let mut rng = Rng::from_seed([5; 32]);
        let (server, socket) = (addr("192.0.2.1:3478"), addr("10.0.0.1:5000"));
        let (t1, t2) = (
            TransactionId::random(&mut rng),
            TransactionId::random(&mut rng),
        );
        g.query(t1, server, socket);
        g.query(t2, addr("192.0.2.2:3478"), socket);
        assert!(g.is_waiting(t1) && !g.settled());
        assert_eq!(g.silent().count(), 2);
        g.failed(GatherFailure::NotAnswered {
            server,
            transport: Transport::Udp,
            after: Duration::from_secs(5),
        });
        assert!(g.reported_silent(server));
        assert_eq!(g.answered(t1), Some((server, socket)));
        assert_eq!(g.answered(t1), None, "once");
        assert!(!g.is_waiting(t1));
        assert!(!g.reported_silent(server) && g.failures().is_empty());
        assert_eq!(g.cancel().collect::<Vec<_>>(), [t2]);
        assert!(g.settled() && g.silent().count() == 0);
    }
}
