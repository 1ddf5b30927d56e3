//! Pairing and pacing, the agent's side of the checklist (RFC 8445 section 6.1.2): forming
//! pairs, their priorities and foundations, choosing the next check every Ta (section
//! 6.1.4.2), and nomination (section 8.1). The pairs and checks themselves are the
//! [`super::checklist::Checklist`]'s.

use std::net::IpAddr;
use std::time::Instant;

use wren_core::Transport;

use super::ids::{LocalId, RemoteId};
use super::{Agent, Deadline, Event, Pair, PairFailure, PairId, PairState, Role};
use crate::candidate::{CandidateType, TcpType};

/// The pair priority of RFC 8445 section 6.1.2.3, with G the controlling agent's
/// candidate priority and D the controlled agent's.
pub(crate) fn pair_priority(g: u32, d: u32) -> u64 {
    let (g, d) = (u64::from(g), u64::from(d));
    (g.min(d) << 32) + 2 * g.max(d) + u64::from(g > d)
}

/// Whether a local and a remote candidate can form a pair: same address family, same
/// transport, and for TCP complementary types (RFC 6544 section 6.2).
fn compatible(
    local: (Transport, Option<TcpType>, IpAddr),
    remote: (Transport, Option<TcpType>, IpAddr),
) -> bool {
    if local.2.is_ipv4() != remote.2.is_ipv4() || local.0 != remote.0 {
        return false;
    }
    if local.0 != Transport::Tcp {
        return true;
    }
    matches!(
        (local.1, remote.1),
        (Some(TcpType::Active), Some(TcpType::Passive))
            | (Some(TcpType::Passive), Some(TcpType::Active))
            | (
                Some(TcpType::SimultaneousOpen),
                Some(TcpType::SimultaneousOpen)
            )
    )
}

impl Agent {
    fn priority_of(&self, local: LocalId, remote: RemoteId) -> u64 {
        role_pair_priority(
            self.role,
            self.locals[local].priority,
            self.remotes[remote].priority,
        )
    }

    /// Pairs a new local candidate with every remote one.
    pub(super) fn pair_local(&mut self, local: LocalId) {
        for remote in self.remotes.ids() {
            self.add_pair(local, remote);
        }
    }

    /// Pairs a new remote candidate with every local one.
    pub(super) fn pair_remote(&mut self, remote: RemoteId) {
        for local in self.locals.ids() {
            if self.locals[local].pairable && !self.locals[local].dead {
                self.add_pair(local, remote);
            }
        }
    }

    /// Forms the pair if compatible and new; returns its index.
    pub(super) fn add_pair(&mut self, local: LocalId, remote: RemoteId) -> Option<PairId> {
        if let Some(p) = self.checklist.find(local, remote) {
            return Some(p);
        }
        let (l, r) = (&self.locals[local], &self.remotes[remote]);
        if !compatible(
            (l.transport, l.tcp_type, l.addr.ip()),
            (r.transport, r.tcp_type, r.addr.ip()),
        ) {
            return None;
        }
        // RFC 6544 section 6.2: a passive candidate never connects out; its pairs come from
        // the peer's checks on connections it accepted (peer-reflexive remotes).
        if l.tcp_type == Some(TcpType::Passive) && r.kind != CandidateType::PeerReflexive {
            return None;
        }
        let priority = self.priority_of(local, remote);
        if self.checklist.len() >= self.config.max_pairs {
            // RFC 8445 section 6.1.2.5: keep the highest-priority pairs. Replace the lowest
            // one that has not been checked, when it is lower than this one.
            let lowest = self.checklist.lowest_unchecked()?;
            if self.checklist[lowest].priority() >= priority {
                return None;
            }
            // Dropped from the checklist: never checked, not even by a triggered check
            // queued before.
            self.checklist.drop_pair(lowest);
            self.set_pair_state(lowest, PairState::Failed);
        }
        let foundation = (
            self.foundation_index(local),
            self.remotes[remote].cand.foundation.clone(),
        );
        let state = self.checklist.initial_state(&foundation);
        let p = self
            .checklist
            .push(Pair::new(local, remote, priority, foundation, state));
        self.pair_event(p);
        self.arm_pacing();
        Some(p)
    }

    fn foundation_index(&self, local: LocalId) -> usize {
        self.locals[local]
            .cand
            .foundation
            .parse::<usize>()
            .unwrap_or(usize::MAX)
    }

    pub(super) fn pair_event(&mut self, p: PairId) {
        let pair = &self.checklist[p];
        let event = Event::PairState {
            pair: p,
            local: self.locals[pair.local()].summary(),
            remote: self.remotes[pair.remote()].summary(),
            state: pair.state(),
        };
        self.emit(event);
    }

    pub(super) fn set_pair_state(&mut self, p: PairId, state: PairState) {
        if self.checklist.set_state(p, state) {
            self.pair_event(p);
        }
        self.sync_route(p);
    }

    /// Recomputes pair priorities after a role change.
    pub(super) fn reprioritise(&mut self) {
        let (role, locals, remotes) = (self.role, &self.locals, &self.remotes);
        self.checklist
            .reprioritise(|l, r| role_pair_priority(role, locals[l].priority, remotes[r].priority));
    }

    /// Whether checks can be sent at all: remote credentials known, not lite.
    pub(super) fn can_check(&self) -> bool {
        !self.config.lite && self.keys.remote_key().is_some() && !self.is_over()
    }

    pub(super) fn arm_pacing(&mut self) {
        if self.deadlines.get(Deadline::Pacing).is_none() && self.can_check() && self.has_work() {
            self.deadlines.set(Deadline::Pacing, self.now);
        }
    }

    fn has_work(&self) -> bool {
        self.checklist.has_work(self.selection.selected().is_some())
    }

    /// Every Ta: one check, a triggered one first, else the highest-priority Waiting pair,
    /// else a Frozen pair unfrozen (RFC 8445 section 6.1.4.2).
    pub(super) fn pace(&mut self, now: Instant) {
        let Some(at) = self.deadlines.get(Deadline::Pacing) else {
            return;
        };
        if now < at {
            return;
        }
        self.deadlines.stop(Deadline::Pacing);
        if !self.can_check() {
            return;
        }
        if let Some(p) = self.next_check() {
            if self.checking_since.is_none() {
                self.checking_since = Some(now);
            }
            let (pair, nominate) = p;
            self.start_check(now, pair, nominate, false);
            if self.has_work() {
                self.deadlines
                    .set(Deadline::Pacing, now + self.config.timers.ta);
            }
        }
    }

    fn next_check(&mut self) -> Option<(PairId, bool)> {
        let mut unfrozen = Vec::new();
        let locals = &self.locals;
        let next = self.checklist.next_check(
            self.selection.selected().is_some(),
            |l| locals[l].dead,
            &mut unfrozen,
        );
        self.pairs_unfrozen(&unfrozen);
        next
    }

    /// A pair succeeded: unfreeze the pairs of its foundation (RFC 8445 section 7.2.5.3.3).
    pub(super) fn unfreeze_foundation(&mut self, p: PairId) {
        let mut unfrozen = Vec::new();
        self.checklist.unfreeze_foundation(p, &mut unfrozen);
        self.pairs_unfrozen(&unfrozen);
        self.arm_pacing();
    }

    /// Reports pairs the checklist moved from Frozen to Waiting.
    fn pairs_unfrozen(&mut self, unfrozen: &[PairId]) {
        for &p in unfrozen {
            self.pair_event(p);
            self.sync_route(p);
        }
    }

    /// Fails every pair of local candidate `local`.
    pub(super) fn fail_pairs_of_local(&mut self, now: Instant, local: LocalId, why: PairFailure) {
        for p in self.checklist.ids() {
            if self.checklist[p].local() == local && self.checklist[p].state() != PairState::Failed
            {
                self.fail_pair(now, p, why.clone());
            }
        }
    }

    /// Fails the pairs of local candidate `local` whose remote address is `ip`.
    pub(super) fn fail_pairs_to(
        &mut self,
        now: Instant,
        local: LocalId,
        ip: IpAddr,
        why: PairFailure,
    ) {
        for p in self.checklist.ids() {
            let pair = &self.checklist[p];
            if pair.local() == local
                && self.remotes[pair.remote()].addr.ip() == ip
                && pair.state() != PairState::Failed
            {
                self.fail_pair(now, p, why.clone());
            }
        }
    }

    pub(super) fn fail_pair(&mut self, now: Instant, p: PairId, why: PairFailure) {
        self.checklist.fail(p, why);
        self.set_pair_state(p, PairState::Failed);
        self.selection.nomination_ended(p);
        if self.selection.selected() == Some(p) {
            // The selected pair's relay died: consent is gone with it.
            self.consent_lost(now);
        }
        self.arm_pacing();
    }

    /// The controlling agent's regular nomination (RFC 8445 section 8.1.1): a check with
    /// USE-CANDIDATE on the best valid pair, sent once no better pair is worth waiting for.
    ///
    /// Better pairs still being checked are waited for: those without a sign of life for
    /// [`crate::Timers::nomination_wait`] after the first valid pair
    /// ([`crate::Timers::relay_nomination_wait`] when the best valid pair is relayed), those
    /// with one (the peer's checks arrive on them, so the path works at least one way) for
    /// up to [`crate::Timers::nomination_wait_max`]. This keeps a doomed host pair across
    /// two NATs from holding the call back for the whole check schedule, and a lossy direct
    /// path from losing to the relay only because the relay answered first.
    pub(super) fn maybe_nominate(&mut self, now: Instant) {
        if self.nomination_due(now).is_some_and(|due| due <= now) {
            let Some(best_valid) = self.best_valid() else {
                return;
            };
            self.selection.nominate(best_valid);
            self.checklist.nominate_next(best_valid);
            self.arm_pacing();
            if self
                .deadlines
                .get(Deadline::Pacing)
                .is_some_and(|t| t > now)
            {
                self.deadlines.set(Deadline::Pacing, now);
            }
            self.pace(now);
        }
    }

    /// When the controlling agent nominates, if nothing changes before: `None` when it
    /// has nothing to nominate (or is not the one to).
    fn nomination_due(&self, now: Instant) -> Option<Instant> {
        if self.role != Role::Controlling
            || self.config.lite
            || self.selection.selected().is_some()
            || self.selection.nominating().is_some()
            || !self.can_check()
        {
            return None;
        }
        let best_valid = self.best_valid()?;
        let first = self.selection.first_valid_at().unwrap_or(now);
        let floor = self.checklist[best_valid].priority();
        let relayed = self.locals[self.checklist[best_valid].local()]
            .relay
            .is_some()
            || self.remotes[self.checklist[best_valid].remote()].kind == CandidateType::Relayed;
        let mut pending = false;
        let mut pending_alive = false;
        for p in &self.checklist {
            if p.priority() > floor
                && matches!(
                    p.state(),
                    PairState::Frozen | PairState::Waiting | PairState::InProgress
                )
                && !self.locals[p.local()].dead
            {
                pending = true;
                pending_alive |= p.alive();
            }
        }
        let t = &self.config.timers;
        Some(if !pending {
            now
        } else if pending_alive {
            first + t.nomination_wait_max
        } else if relayed {
            first + t.relay_nomination_wait
        } else {
            first + t.nomination_wait
        })
    }

    pub(super) fn best_valid(&self) -> Option<PairId> {
        self.checklist
            .ids()
            .filter(|&p| {
                self.checklist[p].state() == PairState::Succeeded
                    && !self.locals[self.checklist[p].local()].dead
            })
            .max_by_key(|&p| self.checklist[p].priority())
    }

    pub(super) fn nomination_deadline(&self) -> Option<Instant> {
        self.nomination_due(self.now).filter(|&t| t > self.now)
    }
}

/// The priority of a pair of a local and a remote candidate of these priorities, for an
/// agent in `role` (RFC 8445 section 6.1.2.3: G is the controlling agent's).
fn role_pair_priority(role: Role, local: u32, remote: u32) -> u64 {
    match role {
        Role::Controlling => pair_priority(local, remote),
        Role::Controlled => pair_priority(remote, local),
    }
}

#[cfg(test)]
mod tests {
    use super::pair_priority;

    #[test]
    fn pair_priority_follows_rfc_8445_formula() {
        // 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0)
        assert_eq!(pair_priority(10, 5), (5u64 << 32) + 20 + 1);
        assert_eq!(pair_priority(5, 10), (5u64 << 32) + 20);
        // Both agents compute the same priority for the same pair.
        let (a, b) = (2_130_706_431, 1_694_498_815);
        assert_eq!(pair_priority(a, b), pair_priority(a, b));
        assert!(pair_priority(a, b) != pair_priority(b, a));
    }
}
