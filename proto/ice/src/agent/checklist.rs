//! The checklist (RFC 8445 section 6.1.2): the candidate pairs, the triggered-check queue
//! (section 7.3.1.4), and the checks in flight with their retransmission schedule
//! (sections 7.2.4 and 14.3). A part of the [`super::Agent`] with its own state: the agent
//! decides what to check and when (Ta pacing, nomination), the checklist keeps what is
//! queued and in flight and says when a check is due again or has run out of
//! transmissions.

use std::collections::VecDeque;
use std::ops::Index;
use std::time::{Duration, Instant};

use wren_stun::TransactionId;

use super::ids::{LocalId, RemoteId, Table};
use super::{PairFailure, PairId, PairState, Role, Timers};

/// How many more times a pair the peer's checks reach is checked after its check timed
/// out: under heavy loss its own requests or their responses may all be lost while the
/// path works.
pub(crate) const ALIVE_ROUNDS: u8 = 2;

/// A candidate pair (RFC 8445 section 6.1.2). Its fields are the checklist's: the agent
/// reads them through the accessors and changes them through the [`Checklist`]'s
/// transitions, so every change of a pair's state is one named method here.
#[derive(Debug, Clone)]
pub(crate) struct Pair {
    local: LocalId,
    remote: RemoteId,
    priority: u64,
    foundation: (usize, String),
    state: PairState,
    /// The controlling agent nominated it and the nomination succeeded (or, controlled,
    /// the peer's USE-CANDIDATE arrived and a check succeeded).
    nominated: bool,
    /// Controlled: USE-CANDIDATE arrived before a check of ours succeeded.
    nominate_on_success: bool,
    transmissions: u32,
    failure: Option<PairFailure>,
    rtt: Option<Duration>,
    /// Something authenticated came from the peer on this pair (its check, or a response
    /// to ours): the path works in at least one direction, worth waiting for.
    alive: bool,
    /// Checks that timed out on this pair while it was alive.
    rounds: u8,
    /// The last unsigned 400/401 the peer answered a check of this pair with.
    refused: Option<(u16, String)>,
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

    /// The local candidate.
    pub(crate) fn local(&self) -> LocalId {
        self.local
    }

    /// The remote candidate.
    pub(crate) fn remote(&self) -> RemoteId {
        self.remote
    }

    /// The pair priority (RFC 8445 section 6.1.2.3).
    pub(crate) fn priority(&self) -> u64 {
        self.priority
    }

    /// The pair state (RFC 8445 section 6.1.2.6).
    pub(crate) fn state(&self) -> PairState {
        self.state
    }

    /// Whether the pair is nominated.
    pub(crate) fn nominated(&self) -> bool {
        self.nominated
    }

    /// Controlled: whether the peer's USE-CANDIDATE waits for a check of ours to succeed.
    pub(crate) fn nominate_on_success(&self) -> bool {
        self.nominate_on_success
    }

    /// Check requests sent on the pair, retransmissions included.
    pub(crate) fn transmissions(&self) -> u32 {
        self.transmissions
    }

    /// Why the pair failed, when it did for a reason worth reporting.
    pub(crate) fn failure(&self) -> Option<&PairFailure> {
        self.failure.as_ref()
    }

    /// The round-trip time of the last successful check.
    pub(crate) fn rtt(&self) -> Option<Duration> {
        self.rtt
    }

    /// Whether something authenticated came from the peer on this pair.
    pub(crate) fn alive(&self) -> bool {
        self.alive
    }

    /// Whether the pair is frozen or waiting: not checked yet.
    fn unchecked(&self) -> bool {
        matches!(self.state, PairState::Frozen | PairState::Waiting)
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
    /// Request buffers of checks that ended, for the next checks: consent checks go on
    /// for the whole call, and each would otherwise allocate its request.
    spare: Vec<Vec<u8>>,
}

/// Spare request buffers kept at most.
const SPARE_REQUESTS: usize = 8;

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

    /// The state a new pair of `foundation` starts in (RFC 8445 section 6.1.2.6, RFC 8838
    /// section 11): Waiting, unless a pair of its foundation is already waiting or being
    /// checked.
    pub(crate) fn initial_state(&self, foundation: &(usize, String)) -> PairState {
        let busy = self.pairs.iter().any(|p| {
            &p.foundation == foundation
                && matches!(
                    p.state,
                    PairState::Waiting | PairState::InProgress | PairState::Frozen
                )
        });
        if busy {
            PairState::Frozen
        } else {
            PairState::Waiting
        }
    }

    /// The lowest-priority pair not checked yet, the one a better pair replaces when the
    /// checklist is full (RFC 8445 section 6.1.2.5).
    pub(crate) fn lowest_unchecked(&self) -> Option<PairId> {
        self.pairs
            .ids()
            .filter(|&p| self.pairs[p].unchecked())
            .min_by_key(|&p| self.pairs[p].priority)
    }

    /// Replaces pair `p` by a better one: nothing queued or in flight on it stays, and it
    /// fails with no reason to report (the caller moves it to Failed).
    pub(crate) fn drop_pair(&mut self, p: PairId) {
        self.forget_checks(p);
        self.pairs[p].failure = None;
    }

    /// Sets the state of `p`; whether it changed.
    pub(crate) fn set_state(&mut self, p: PairId, state: PairState) -> bool {
        let pair = &mut self.pairs[p];
        let changed = pair.state != state;
        pair.state = state;
        changed
    }

    /// Recomputes every pair's priority (after a role change).
    pub(crate) fn reprioritise(&mut self, priority: impl Fn(LocalId, RemoteId) -> u64) {
        for pair in self.pairs.iter_mut() {
            pair.priority = priority(pair.local, pair.remote);
        }
    }

    /// Something authenticated came from the peer on `p`.
    pub(crate) fn mark_alive(&mut self, p: PairId) {
        self.pairs[p].alive = true;
    }

    /// The peer answered a check on `p` with an unsigned 400 or 401.
    pub(crate) fn refuse(&mut self, p: PairId, code: u16, reason: String) {
        self.pairs[p].refused = Some((code, reason));
    }

    /// Takes the refusal recorded on `p`, if any.
    pub(crate) fn take_refusal(&mut self, p: PairId) -> Option<(u16, String)> {
        self.pairs[p].refused.take()
    }

    /// Controlled: the peer nominated `p` before a check of ours succeeded on it; the
    /// nomination takes effect once one does.
    pub(crate) fn nominate_when_valid(&mut self, p: PairId) {
        self.pairs[p].nominate_on_success = true;
    }

    /// `p` is nominated.
    pub(crate) fn nominate(&mut self, p: PairId) {
        self.pairs[p].nominated = true;
    }

    /// A check on `p` succeeded after `rtt`: whatever it failed for before is forgotten.
    /// The caller moves it to Succeeded.
    pub(crate) fn check_succeeded(&mut self, p: PairId, rtt: Duration) {
        let pair = &mut self.pairs[p];
        pair.rtt = Some(rtt);
        pair.failure = None;
    }

    /// A consent check on `p` measured `rtt`.
    pub(crate) fn record_rtt(&mut self, p: PairId, rtt: Duration) {
        self.pairs[p].rtt = Some(rtt);
    }

    /// `p` failed for `why`: not nominated, and its connectivity check stops. The caller
    /// moves it to Failed.
    pub(crate) fn fail(&mut self, p: PairId, why: PairFailure) {
        let pair = &mut self.pairs[p];
        pair.failure = Some(why);
        pair.nominated = false;
        self.stop_check(p);
    }

    /// A check on `p` timed out. A pair the peer's checks reach, and that the peer did not
    /// refuse, is checked again (queued as triggered), [`ALIVE_ROUNDS`] times at most;
    /// whether it was.
    pub(crate) fn check_again(&mut self, p: PairId) -> bool {
        let pair = &mut self.pairs[p];
        // A peer that refused our checks (unsigned 401) will not change its mind.
        if pair.alive && pair.refused.is_none() && pair.rounds < ALIVE_ROUNDS {
            pair.rounds += 1;
            self.trigger(p);
            return true;
        }
        false
    }

    /// The next pair to check, every Ta (RFC 8445 section 6.1.4.2): a triggered check
    /// first (skipping those on dead local candidates and those with nothing left to
    /// do), else, while nothing is selected, the highest-priority Waiting pair, else
    /// the best of the Frozen pairs unfrozen now: for each foundation with nothing
    /// waiting or in progress, its highest-priority frozen pair moves to Waiting (pushed
    /// to `unfrozen`). Returns the pair and whether the check nominates.
    pub(crate) fn next_check(
        &mut self,
        selected: bool,
        dead: impl Fn(LocalId) -> bool,
        unfrozen: &mut Vec<PairId>,
    ) -> Option<(PairId, bool)> {
        while let Some((p, nominate)) = self.pop_triggered() {
            let pair = &self.pairs[p];
            if dead(pair.local) {
                continue;
            }
            // Queued while the pair was waiting, and it has succeeded since: nothing to do.
            if pair.state == PairState::Succeeded && !nominate {
                continue;
            }
            // Failed for a reason a retry cannot fix (relay refusal) stays failed; a
            // timed-out pair is retried when the peer's check triggers it.
            if pair.state == PairState::Failed
                && !nominate
                && pair
                    .failure
                    .as_ref()
                    .is_some_and(|f| !matches!(f, PairFailure::TimedOut { .. }))
            {
                continue;
            }
            return Some((p, nominate));
        }
        if selected {
            return None;
        }
        let waiting = self
            .pairs
            .ids()
            .filter(|&p| self.pairs[p].state == PairState::Waiting)
            .max_by_key(|&p| self.pairs[p].priority);
        if let Some(p) = waiting {
            return Some((p, false));
        }
        let mut frozen: Vec<PairId> = self
            .pairs
            .ids()
            .filter(|&p| self.pairs[p].state == PairState::Frozen)
            .collect();
        frozen.sort_by_key(|&p| std::cmp::Reverse(self.pairs[p].priority));
        let first = unfrozen.len();
        for p in frozen {
            let f = &self.pairs[p].foundation;
            let busy = self.pairs.iter().any(|q| {
                &q.foundation == f && matches!(q.state, PairState::Waiting | PairState::InProgress)
            });
            if !busy {
                self.pairs[p].state = PairState::Waiting;
                unfrozen.push(p);
            }
        }
        unfrozen.get(first).map(|&p| (p, false))
    }

    /// A pair succeeded: the frozen pairs of its foundation move to Waiting, pushed to
    /// `unfrozen` (RFC 8445 section 7.2.5.3.3).
    pub(crate) fn unfreeze_foundation(&mut self, p: PairId, unfrozen: &mut Vec<PairId>) {
        let f = self.pairs[p].foundation.clone();
        for q in self.pairs.ids() {
            let pair = &mut self.pairs[q];
            if pair.foundation == f && pair.state == PairState::Frozen {
                pair.state = PairState::Waiting;
                unfrozen.push(q);
            }
        }
    }

    /// `p` left the checklist (replaced by a better pair): nothing queued or in flight
    /// on it stays.
    pub(crate) fn forget_checks(&mut self, p: PairId) {
        self.triggered.retain(|&(q, _)| q != p);
        self.end_checks(|c| c.pair == p);
    }

    /// `p` failed: its connectivity check stops (a consent check goes on).
    pub(crate) fn stop_check(&mut self, p: PairId) {
        self.end_checks(|c| c.pair == p && !c.consent);
    }

    /// Removes the checks `end` picks (in order), keeping their request buffers.
    fn end_checks(&mut self, end: impl Fn(&Check) -> bool) {
        let mut i = 0;
        while i < self.checks.len() {
            if end(&self.checks[i]) {
                let c = self.checks.remove(i);
                self.recycle(c.request);
            } else {
                i += 1;
            }
        }
    }

    /// Keeps `buf` for a later check's request.
    fn recycle(&mut self, mut buf: Vec<u8>) {
        if self.spare.len() < SPARE_REQUESTS {
            if self.spare.capacity() == 0 {
                self.spare.reserve_exact(SPARE_REQUESTS);
            }
            buf.clear();
            self.spare.push(buf);
        }
    }

    /// An empty buffer for a check's request: one a finished check left, or a new one.
    pub(crate) fn request_buffer(&mut self) -> Vec<u8> {
        self.spare.pop().unwrap_or_else(|| Vec::with_capacity(128))
    }

    /// Removes check `i`, its request buffer kept (the check returned has none).
    fn remove_check(&mut self, i: usize) -> Check {
        let mut c = self.checks.remove(i);
        let request = std::mem::take(&mut c.request);
        self.recycle(request);
        c
    }

    /// Starts `check`: it replaces the check of its pair and kind in flight (a triggered
    /// check on an in-progress pair is an immediate retransmission with fresh state).
    pub(crate) fn start(&mut self, check: Check) -> CheckSlot {
        let (pair, consent) = (check.pair, check.consent);
        self.end_checks(|c| c.pair == pair && c.consent == consent);
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
        Some(self.remove_check(i))
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
                return Some(Retransmit::TimedOut(self.remove_check(i)));
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

    fn ranked(local: usize, remote: usize, foundation: usize, priority: u64) -> Pair {
        Pair::new(
            LocalId::from_index(local),
            RemoteId::from_index(remote),
            priority,
            (foundation, "r".into()),
            PairState::Frozen,
        )
    }

    #[test]
    fn next_check_takes_triggered_then_the_best_waiting_then_unfreezes_one_per_foundation() {
        let mut list = Checklist::default();
        // Foundations 0 and 1; pair priorities are what decides among them.
        let low0 = list.push(ranked(0, 0, 0, 10));
        let high0 = list.push(ranked(0, 1, 0, 30));
        let mid1 = list.push(ranked(1, 0, 1, 20));
        let mut unfrozen = Vec::new();
        let alive = |_: LocalId| false;

        // Nothing waiting: the best frozen pair of each foundation is unfrozen, the best
        // of those checked; the second pair of foundation 0 stays frozen.
        assert_eq!(
            list.next_check(false, alive, &mut unfrozen),
            Some((high0, false))
        );
        assert_eq!(unfrozen, [high0, mid1]);
        assert_eq!(list[low0].state(), PairState::Frozen);
        assert_eq!(list.initial_state(&(0, "r".into())), PairState::Frozen);
        assert_eq!(list.initial_state(&(7, "r".into())), PairState::Waiting);

        // Waiting pairs go by priority; a selected pair stops ordinary checks.
        unfrozen.clear();
        assert!(list.set_state(high0, PairState::InProgress));
        assert!(!list.set_state(high0, PairState::InProgress), "no change");
        assert_eq!(
            list.next_check(false, alive, &mut unfrozen),
            Some((mid1, false))
        );
        assert_eq!(list.next_check(true, alive, &mut unfrozen), None);
        assert!(unfrozen.is_empty());

        // Triggered checks come first, but not on a dead local candidate, not on a pair
        // that succeeded meanwhile, not on a pair failed for good; a timed-out one retries.
        list.trigger(low0);
        list.trigger(mid1);
        list.trigger(high0);
        list.set_state(mid1, PairState::Succeeded);
        list.fail(high0, PairFailure::TimedOut { transmissions: 7 });
        list.set_state(high0, PairState::Failed);
        assert_eq!(
            list.next_check(true, alive, &mut unfrozen),
            Some((low0, false))
        );
        assert_eq!(
            list.next_check(true, alive, &mut unfrozen),
            Some((high0, false))
        );
        list.trigger(low0);
        let zero_dead = |l: LocalId| l == LocalId::from_index(0);
        assert_eq!(list.next_check(true, zero_dead, &mut unfrozen), None);
        list.fail(
            mid1,
            PairFailure::ErrorResponse {
                code: 403,
                reason: String::new(),
            },
        );
        list.set_state(mid1, PairState::Failed);
        list.trigger(mid1);
        assert_eq!(list.next_check(true, alive, &mut unfrozen), None);
        list.nominate_next(mid1);
        assert_eq!(
            list.next_check(true, alive, &mut unfrozen),
            Some((mid1, true)),
            "a nomination is sent whatever the pair's state"
        );
    }

    #[test]
    fn a_success_unfreezes_its_foundation_and_forgets_the_failure() {
        let mut list = Checklist::default();
        let a = list.push(ranked(0, 0, 0, 10));
        let b = list.push(ranked(0, 1, 0, 20));
        let c = list.push(ranked(1, 0, 1, 30));
        list.fail(a, PairFailure::TimedOut { transmissions: 1 });
        assert!(list[a].failure().is_some() && !list[a].nominated());
        list.check_succeeded(a, Duration::from_millis(40));
        list.set_state(a, PairState::Succeeded);
        assert_eq!(list[a].failure(), None);
        assert_eq!(list[a].rtt(), Some(Duration::from_millis(40)));
        let mut unfrozen = Vec::new();
        list.unfreeze_foundation(a, &mut unfrozen);
        assert_eq!(unfrozen, [b], "only its own foundation's frozen pairs");
        assert_eq!(list[b].state(), PairState::Waiting);
        assert_eq!(list[c].state(), PairState::Frozen);
    }

    #[test]
    fn a_timed_out_pair_the_peer_reaches_is_checked_again_a_bounded_number_of_times() {
        let mut list = Checklist::default();
        let p = list.push(ranked(0, 0, 0, 10));
        assert!(!list.check_again(p), "never heard from the peer");
        list.mark_alive(p);
        for _ in 0..ALIVE_ROUNDS {
            assert!(list.check_again(p));
            assert_eq!(list.pop_triggered(), Some((p, false)));
        }
        assert!(!list.check_again(p), "the rounds ran out");

        let q = list.push(ranked(0, 1, 0, 10));
        list.mark_alive(q);
        list.refuse(q, 401, "Unauthorized".into());
        assert!(!list.check_again(q), "the peer refused us");
        assert_eq!(list.take_refusal(q), Some((401, "Unauthorized".into())));
        assert_eq!(list.take_refusal(q), None);
    }

    #[test]
    fn a_full_checklist_replaces_its_lowest_unchecked_pair() {
        let (now, timers) = (t0(), Timers::default());
        let mut rng = Rng::from_seed([5; 32]);
        let mut list = Checklist::default();
        let checked = list.push(ranked(0, 0, 0, 1));
        list.set_state(checked, PairState::InProgress);
        let low = list.push(ranked(0, 1, 0, 5));
        let high = list.push(ranked(1, 0, 1, 50));
        assert_eq!(list.lowest_unchecked(), Some(low));
        list.trigger(low);
        list.start(check(&mut rng, now, &timers, low, false));
        list.drop_pair(low);
        assert_eq!((list.triggered(), list.in_flight()), (0, 0));
        list.set_state(low, PairState::Failed);
        assert_eq!(list.lowest_unchecked(), Some(high));

        list.reprioritise(|l, r| (l.index() * 10 + r.index()) as u64);
        assert_eq!(list[high].priority(), 10);
        list.nominate(high);
        list.nominate_when_valid(high);
        assert!(list[high].nominated() && list[high].nominate_on_success());
    }
}
