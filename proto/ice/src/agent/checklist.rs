//! The checklist (RFC 8445 section 6.1.2): the candidate pairs, the triggered-check queue
//! (section 7.3.1.4), and the checks in flight with their retransmission schedule
//! (sections 7.2.4 and 14.3). A part of the [`super::Agent`] with its own state: the agent
//! decides what to check and when (Ta pacing, nomination), the checklist keeps what is
//! queued and in flight and says when a check is due again or has run out of
//! transmissions.

use std::collections::VecDeque;
use std::ops::{Index, IndexMut};
use std::time::{Duration, Instant};

use wren_stun::TransactionId;

use super::ids::{LocalId, RemoteId, Table};
use super::{PairFailure, PairId, PairState, Role, Timers};

/// A candidate pair (RFC 8445 section 6.1.2).
#[derive(Debug, Clone)]
pub(crate) struct Pair {
    pub(crate) local: LocalId,
    pub(crate) remote: RemoteId,
    pub(crate) priority: u64,
    pub(crate) foundation: (usize, String),
    pub(crate) state: PairState,
    /// The controlling agent nominated it and the nomination succeeded (or, controlled,
    /// the peer's USE-CANDIDATE arrived and a check succeeded).
    pub(crate) nominated: bool,
    /// Controlled: USE-CANDIDATE arrived before a check of ours succeeded.
    pub(crate) nominate_on_success: bool,
    pub(crate) transmissions: u32,
    pub(crate) failure: Option<PairFailure>,
    pub(crate) rtt: Option<Duration>,
    /// Something authenticated came from the peer on this pair (its check, or a response
    /// to ours): the path works in at least one direction, worth waiting for.
    pub(crate) alive: bool,
    /// Checks that timed out on this pair while it was alive.
    pub(crate) rounds: u8,
    /// The last unsigned 400/401 the peer answered a check of this pair with.
    pub(crate) refused: Option<(u16, String)>,
}

impl Pair {
    /// A pair nothing has happened to yet: no check sent, not nominated, not alive.
    pub(crate) fn new(
        local: LocalId,
        remote: RemoteId,
        priority: u64,
        foundation: (usize, String),
        state: PairState,
    ) -> Pair {
        Pair {
            local,
            remote,
            priority,
            foundation,
            state,
            nominated: false,
            nominate_on_success: false,
            transmissions: 0,
            failure: None,
            rtt: None,
            alive: false,
            rounds: 0,
            refused: None,
        }
    }
}

/// A check transaction in flight.
#[derive(Debug, Clone)]
pub(crate) struct Check {
    pub(crate) tid: TransactionId,
    pub(crate) pair: PairId,
    pub(crate) nominate: bool,
    pub(crate) consent: bool,
    pub(crate) role: Role,
    pub(crate) first_sent: Instant,
    pub(crate) next: Instant,
    pub(crate) rto: Duration,
    /// Transmissions on the retransmission schedule (at most `check_transmissions`).
    pub(crate) sends: u32,
    /// Set when the peer's check arrived on the pair while this one was in flight: the
    /// next transmission goes at once, outside the schedule (RFC 8445 section 7.3.1.4).
    pub(crate) hurry: bool,
    pub(crate) request: Vec<u8>,
}

/// An in-flight check, valid until the checklist next loses a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CheckSlot(usize);

/// What the retransmission schedule asks for ([`Checklist::next_retransmit`]).
#[derive(Debug)]
pub(crate) enum Retransmit {
    /// Send the check again now ([`Checklist::write_request`]).
    Send(CheckSlot),
    /// The check ran out of transmissions (or, over TCP, its one transmission went
    /// unanswered): it is out of the checklist.
    TimedOut(Check),
}

/// The pairs, the triggered queue and the checks in flight.
#[derive(Debug, Default)]
pub(crate) struct Checklist {
    pairs: Table<PairId, Pair>,
    /// Triggered checks to send first, and whether each nominates.
    triggered: VecDeque<(PairId, bool)>,
    /// At most one connectivity check and one consent check per pair.
    checks: Vec<Check>,
}

impl Checklist {
    /// The pair of `local` and `remote`, if formed.
    pub(crate) fn find(&self, local: LocalId, remote: RemoteId) -> Option<PairId> {
        self.pairs
            .position(|p| p.local == local && p.remote == remote)
    }

    /// Adds a pair.
    pub(crate) fn push(&mut self, pair: Pair) -> PairId {
        self.pairs.push(pair)
    }

    /// The pair ids, in the order they were formed.
    pub(crate) fn ids(&self) -> impl Iterator<Item = PairId> + use<> {
        self.pairs.ids()
    }

    /// The pairs, in the order they were formed.
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, Pair> {
        self.pairs.iter()
    }

    /// How many pairs.
    pub(crate) fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether no pair was formed.
    pub(crate) fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Drops every pair, queued and in-flight check (ICE restart).
    pub(crate) fn clear(&mut self) {
        self.pairs.clear();
        self.stop();
    }

    /// Stops every check, queued or in flight (close, failure); the pairs stay for the
    /// report.
    pub(crate) fn stop(&mut self) {
        self.triggered.clear();
        self.checks.clear();
    }

    /// Queues a triggered check on `p`, unless one is queued already.
    pub(crate) fn trigger(&mut self, p: PairId) {
        if !self.triggered.iter().any(|&(q, _)| q == p) {
            self.triggered.push_back((p, false));
        }
    }

    /// Queues a check on `p` again (after a role conflict), even if one is queued.
    pub(crate) fn retry(&mut self, p: PairId) {
        self.triggered.push_back((p, false));
    }

    /// Queues the nomination of `p` before anything else.
    pub(crate) fn nominate_next(&mut self, p: PairId) {
        self.triggered.push_front((p, true));
    }

    /// The next triggered check, and whether it nominates.
    pub(crate) fn pop_triggered(&mut self) -> Option<(PairId, bool)> {
        self.triggered.pop_front()
    }

    /// Whether a triggered check waits.
    pub(crate) fn has_triggered(&self) -> bool {
        !self.triggered.is_empty()
    }

    /// Whether there is a check to send: a triggered one, or (with nothing selected) a
    /// pair waiting or frozen.
    pub(crate) fn has_work(&self, selected: bool) -> bool {
        self.has_triggered()
            || (!selected
                && self
                    .pairs
                    .iter()
                    .any(|p| matches!(p.state, PairState::Waiting | PairState::Frozen)))
    }

    /// `p` left the checklist (replaced by a better pair): nothing queued or in flight
    /// on it stays.
    pub(crate) fn forget_checks(&mut self, p: PairId) {
        self.triggered.retain(|&(q, _)| q != p);
        self.checks.retain(|c| c.pair != p);
    }

    /// `p` failed: its connectivity check stops (a consent check goes on).
    pub(crate) fn stop_check(&mut self, p: PairId) {
        self.checks.retain(|c| c.pair != p || c.consent);
    }

    /// Starts `check`: it replaces the check of its pair and kind in flight (a triggered
    /// check on an in-progress pair is an immediate retransmission with fresh state).
    pub(crate) fn start(&mut self, check: Check) -> CheckSlot {
        self.checks
            .retain(|c| c.pair != check.pair || c.consent != check.consent);
        self.checks.push(check);
        CheckSlot(self.checks.len() - 1)
    }

    /// Copies the request of the check in `slot` into `buf`, counting the transmission on
    /// its pair; returns the pair.
    pub(crate) fn write_request(&mut self, slot: CheckSlot, buf: &mut Vec<u8>) -> PairId {
        let check = &self.checks[slot.0];
        buf.extend_from_slice(&check.request);
        let p = check.pair;
        self.pairs[p].transmissions += 1;
        p
    }

    /// A nomination is in flight on `p` (of this kind): it stands for a new check too, and
    /// goes again at once. Whether there was one.
    pub(crate) fn hurry_nomination(&mut self, p: PairId, consent: bool) -> bool {
        match self
            .checks
            .iter_mut()
            .find(|c| c.pair == p && c.consent == consent && c.nominate)
        {
            Some(c) => {
                c.hurry = true;
                true
            }
            None => false,
        }
    }

    /// The peer's check arrived on `p` while ours is in flight: ours goes again at once,
    /// outside the schedule (RFC 8445 section 7.3.1.4). Whether there was one.
    pub(crate) fn hurry(&mut self, p: PairId) -> bool {
        match self.checks.iter_mut().find(|c| c.pair == p && !c.consent) {
            Some(c) => {
                c.hurry = true;
                true
            }
            None => false,
        }
    }

    /// Whether `tid` is one of the checks in flight.
    pub(crate) fn is_in_flight(&self, tid: TransactionId) -> bool {
        self.checks.iter().any(|c| c.tid == tid)
    }

    /// The pair of check `tid` in flight.
    pub(crate) fn pair_of(&self, tid: TransactionId) -> Option<PairId> {
        self.checks.iter().find(|c| c.tid == tid).map(|c| c.pair)
    }

    /// Takes check `tid` out of the checklist: its response arrived.
    pub(crate) fn take(&mut self, tid: TransactionId) -> Option<Check> {
        let i = self.checks.iter().position(|c| c.tid == tid)?;
        Some(self.checks.remove(i))
    }

    /// Whether only consent checks are in flight.
    pub(crate) fn only_consent_in_flight(&self) -> bool {
        self.checks.iter().all(|c| c.consent)
    }

    /// How many checks are in flight.
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn in_flight(&self) -> usize {
        self.checks.len()
    }

    /// How many triggered checks are queued.
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn triggered(&self) -> usize {
        self.triggered.len()
    }

    /// When a check in flight is next due (a retransmission or its timeout).
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.checks.iter().map(|c| c.next).min()
    }

    /// Walks the checks in flight at `now`, from `cursor` (start at 0, call until `None`):
    /// a check hurried goes at once; one whose RTO passed goes again with the RTO doubled
    /// (up to [`Timers::check_rto_max`]), or times out after
    /// [`Timers::check_transmissions`] (after one over a stream, `stream` of its local
    /// candidate: TCP retransmits for it).
    pub(crate) fn next_retransmit(
        &mut self,
        now: Instant,
        timers: &Timers,
        cursor: &mut usize,
        stream: impl Fn(LocalId) -> bool,
    ) -> Option<Retransmit> {
        while *cursor < self.checks.len() {
            let i = *cursor;
            let check = &mut self.checks[i];
            if check.hurry {
                // The immediate retransmission of a triggered check: off the schedule.
                check.hurry = false;
                return Some(Retransmit::Send(CheckSlot(i)));
            }
            if check.next > now {
                *cursor += 1;
                continue;
            }
            let local = self.pairs[check.pair].local;
            if check.sends >= timers.check_transmissions || stream(local) {
                return Some(Retransmit::TimedOut(self.checks.remove(i)));
            }
            check.rto = (check.rto * 2).min(timers.check_rto_max);
            check.next = now + check.rto;
            check.sends += 1;
            *cursor += 1;
            return Some(Retransmit::Send(CheckSlot(i)));
        }
        None
    }
}

impl Index<PairId> for Checklist {
    type Output = Pair;
    fn index(&self, p: PairId) -> &Pair {
        &self.pairs[p]
    }
}

impl IndexMut<PairId> for Checklist {
    fn index_mut(&mut self, p: PairId) -> &mut Pair {
        &mut self.pairs[p]
    }
}

impl<'a> IntoIterator for &'a Checklist {
    type Item = &'a Pair;
    type IntoIter = std::slice::Iter<'a, Pair>;
    fn into_iter(self) -> Self::IntoIter {
        self.pairs.iter()
    }
}

#[cfg(test)]
mod tests {
    use wren_core::Rng;

    use super::*;
    use crate::agent::Role;
    use crate::agent::ids::Id;

    fn t0() -> Instant {
        #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
        Instant::now()
    }

    fn pair(local: usize, remote: usize, state: PairState) -> Pair {
        Pair::new(
            LocalId::from_index(local),
            RemoteId::from_index(remote),
            100,
            (local, remote.to_string()),
            state,
        )
    }

    fn check(rng: &mut Rng, now: Instant, timers: &Timers, p: PairId, consent: bool) -> Check {
        Check {
            tid: TransactionId::random(rng),
            pair: p,
            nominate: false,
            consent,
            role: Role::Controlling,
            first_sent: now,
            next: now + timers.check_rto,
            rto: timers.check_rto,
            sends: 1,
            hurry: false,
            request: vec![1, 2, 3],
        }
    }

    /// Walks the schedule at `now`: the pairs sent to, and the checks that timed out.
    fn walk(list: &mut Checklist, now: Instant, timers: &Timers) -> (Vec<PairId>, Vec<Check>) {
        let (mut sent, mut out) = (Vec::new(), Vec::new());
        let mut cursor = 0;
        while let Some(r) = list.next_retransmit(now, timers, &mut cursor, |_| false) {
            match r {
                Retransmit::Send(slot) => sent.push(list.write_request(slot, &mut Vec::new())),
                Retransmit::TimedOut(c) => out.push(c),
            }
        }
        (sent, out)
    }

    #[test]
    fn checks_retransmit_with_the_rto_doubled_up_to_the_cap_then_time_out() {
        let (now, timers) = (t0(), Timers::default());
        let mut rng = Rng::from_seed([1; 32]);
        let mut list = Checklist::default();
        let p = list.push(pair(0, 0, PairState::InProgress));
        let slot = list.start(check(&mut rng, now, &timers, p, false));
        let mut buf = Vec::new();
        assert_eq!(list.write_request(slot, &mut buf), p);
        assert_eq!(buf, [1, 2, 3]);
        assert_eq!(list.poll_timeout(), Some(now + timers.check_rto));
        assert_eq!(walk(&mut list, now, &timers).0, [], "not due yet");

        let (mut at, mut rto) = (now + timers.check_rto, timers.check_rto);
        for _ in 1..timers.check_transmissions {
            let (sent, out) = walk(&mut list, at, &timers);
            assert_eq!((sent, out.len()), (vec![p], 0));
            rto = (rto * 2).min(timers.check_rto_max);
            assert_eq!(list.poll_timeout(), Some(at + rto));
            at += rto;
        }
        assert!(rto == timers.check_rto_max, "the doubling stops at the cap");
        let (sent, out) = walk(&mut list, at, &timers);
        assert!(sent.is_empty());
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].sends, timers.check_transmissions);
        assert_eq!(list.in_flight(), 0);
        assert_eq!(list.poll_timeout(), None);
        assert_eq!(list[p].transmissions, timers.check_transmissions);
    }

    #[test]
    fn a_hurried_check_goes_at_once_off_the_schedule_and_a_stream_check_once() {
        let (now, timers) = (t0(), Timers::default());
        let mut rng = Rng::from_seed([2; 32]);
        let mut list = Checklist::default();
        let p = list.push(pair(0, 0, PairState::InProgress));
        list.start(check(&mut rng, now, &timers, p, false));
        assert!(!list.hurry_nomination(p, false), "not a nomination");
        assert!(list.hurry(p));
        assert_eq!(walk(&mut list, now, &timers).0, [p]);
        assert_eq!(
            list.poll_timeout(),
            Some(now + timers.check_rto),
            "unchanged"
        );
        assert_eq!(walk(&mut list, now, &timers).0, [], "once only");

        // Over TCP the first RTO ends the check.
        let mut cursor = 0;
        let r = list.next_retransmit(now + timers.check_rto, &timers, &mut cursor, |_| true);
        assert!(matches!(r, Some(Retransmit::TimedOut(_))));
    }

    #[test]
    fn a_new_check_replaces_the_one_of_its_pair_and_kind_only() {
        let (now, timers) = (t0(), Timers::default());
        let mut rng = Rng::from_seed([3; 32]);
        let mut list = Checklist::default();
        let p = list.push(pair(0, 0, PairState::Succeeded));
        let first = check(&mut rng, now, &timers, p, false);
        let (old, consent) = (first.tid, check(&mut rng, now, &timers, p, true));
        let consent_tid = consent.tid;
        list.start(first);
        list.start(consent);
        let again = check(&mut rng, now, &timers, p, false);
        let new = again.tid;
        list.start(again);
        assert_eq!(list.in_flight(), 2);
        assert!(!list.is_in_flight(old) && list.is_in_flight(new));
        assert!(!list.only_consent_in_flight());
        list.stop_check(p);
        assert!(list.only_consent_in_flight(), "a failed pair keeps consent");
        assert_eq!(list.pair_of(consent_tid), Some(p));
        assert_eq!(list.take(consent_tid).map(|c| c.tid), Some(consent_tid));
        assert_eq!(list.take(consent_tid).map(|c| c.tid), None);
    }

    #[test]
    fn the_triggered_queue_keeps_one_entry_per_pair_and_nominations_first() {
        let (now, timers) = (t0(), Timers::default());
        let mut rng = Rng::from_seed([4; 32]);
        let mut list = Checklist::default();
        let a = list.push(pair(0, 0, PairState::Succeeded));
        let b = list.push(pair(1, 0, PairState::Succeeded));
        assert!(!list.has_work(false), "nothing waiting");
        list.trigger(a);
        list.trigger(a);
        list.trigger(b);
        assert_eq!(list.triggered(), 2);
        list.retry(a);
        list.nominate_next(b);
        assert!(list.has_work(true));
        assert_eq!(list.pop_triggered(), Some((b, true)));
        assert_eq!(list.pop_triggered(), Some((a, false)));

        // A pair dropped from the checklist leaves nothing queued or in flight.
        list.start(check(&mut rng, now, &timers, a, false));
        list.forget_checks(a);
        assert_eq!((list.triggered(), list.in_flight()), (1, 0));
        assert_eq!(list.pop_triggered(), Some((b, false)));
        assert_eq!(list.pop_triggered(), None);

        let c = list.push(pair(2, 0, PairState::Frozen));
        assert!(list.has_work(false) && !list.has_work(true));
        assert_eq!(
            list.find(LocalId::from_index(2), RemoteId::from_index(0)),
            Some(c)
        );
        list.start(check(&mut rng, now, &timers, c, false));
        list.clear();
        assert!(list.is_empty() && list.in_flight() == 0 && !list.has_triggered());
    }
}
