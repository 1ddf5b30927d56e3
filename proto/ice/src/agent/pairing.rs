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
        let (l, r) = (self.locals[local].priority, self.remotes[remote].priority);
        match self.role {
            Role::Controlling => pair_priority(l, r),
            Role::Controlled => pair_priority(r, l),
        }
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
            let lowest = self
                .checklist
                .ids()
                .filter(|&p| {
                    matches!(
                        self.checklist[p].state,
                        PairState::Frozen | PairState::Waiting
                    )
                })
                .min_by_key(|&p| self.checklist[p].priority)?;
            if self.checklist[lowest].priority >= priority {
                return None;
            }
            // Dropped from the checklist: never checked, not even by a triggered check
            // queued before.
            self.checklist.forget_checks(lowest);
            self.checklist[lowest].failure = None;
            self.set_pair_state(lowest, PairState::Failed);
        }
        let foundation = (
            self.foundation_index(local),
            self.remotes[remote].cand.foundation.clone(),
        );
        // RFC 8445 section 6.1.2.6 and RFC 8838 section 11: a pair starts Waiting unless a
        // pair of its foundation is already waiting or being checked.
        let busy = self.checklist.iter().any(|p| {
            p.foundation == foundation
                && matches!(
                    p.state,
                    PairState::Waiting | PairState::InProgress | PairState::Frozen
                )
        });
        let state = if busy {
            PairState::Frozen
        } else {
            PairState::Waiting
        };
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
            local: self.locals[pair.local].summary(),
            remote: self.remotes[pair.remote].summary(),
            state: pair.state,
        };
        self.emit(event);
    }

    pub(super) fn set_pair_state(&mut self, p: PairId, state: PairState) {
        if self.checklist[p].state != state {
            self.checklist[p].state = state;
            self.pair_event(p);
        }
        self.sync_route(p);
    }

    /// Recomputes pair priorities after a role change.
    pub(super) fn reprioritise(&mut self) {
        for p in self.checklist.ids() {
            let (l, r) = (self.checklist[p].local, self.checklist[p].remote);
            self.checklist[p].priority = self.priority_of(l, r);
        }
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
        while let Some((p, nominate)) = self.checklist.pop_triggered() {
            let pair = &self.checklist[p];
            if self.locals[pair.local].dead {
                continue;
            }
            // Queued while the pair was waiting, and it has succeeded since: nothing to do.
            if pair.state == PairState::Succeeded && !nominate {
                continue;
            }
            if pair.state == PairState::Failed && pair.failure.is_some() && !nominate {
                // Failed for a reason a retry cannot fix (relay refusal) stays failed;
                // a timed-out pair is retried when the peer's check triggers it.
                if !matches!(pair.failure, Some(PairFailure::TimedOut { .. })) {
                    continue;
                }
            }
            return Some((p, nominate));
        }
        if self.selection.selected().is_some() {
            return None;
        }
        let waiting = self
            .checklist
            .ids()
            .filter(|&p| self.checklist[p].state == PairState::Waiting)
            .max_by_key(|&p| self.checklist[p].priority);
        if let Some(p) = waiting {
            return Some((p, false));
        }
        // No pair waiting: unfreeze, for each foundation with nothing waiting or in
        // progress, its highest-priority frozen pair, and check the best of those.
        let mut unfrozen = None;
        let frozen: Vec<PairId> = {
            let mut v: Vec<PairId> = self
                .checklist
                .ids()
                .filter(|&p| self.checklist[p].state == PairState::Frozen)
                .collect();
            v.sort_by_key(|&p| std::cmp::Reverse(self.checklist[p].priority));
            v
        };
        for p in frozen {
            let f = self.checklist[p].foundation.clone();
            let busy = self.checklist.iter().any(|q| {
                q.foundation == f && matches!(q.state, PairState::Waiting | PairState::InProgress)
            });
            if !busy {
                self.set_pair_state(p, PairState::Waiting);
                unfrozen.get_or_insert(p);
            }
        }
        unfrozen.map(|p| (p, false))
    }

    /// A pair succeeded: unfreeze the pairs of its foundation (RFC 8445 section 7.2.5.3.3).
    pub(super) fn unfreeze_foundation(&mut self, p: PairId) {
        let f = self.checklist[p].foundation.clone();
        for q in self.checklist.ids() {
            if self.checklist[q].foundation == f && self.checklist[q].state == PairState::Frozen {
                self.set_pair_state(q, PairState::Waiting);
            }
        }
        self.arm_pacing();
    }

    /// Fails every pair of local candidate `local`.
    pub(super) fn fail_pairs_of_local(&mut self, now: Instant, local: LocalId, why: PairFailure) {
        for p in self.checklist.ids() {
            if self.checklist[p].local == local && self.checklist[p].state != PairState::Failed {
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
            if pair.local == local
                && self.remotes[pair.remote].addr.ip() == ip
                && pair.state != PairState::Failed
            {
                self.fail_pair(now, p, why.clone());
            }
        }
    }

    pub(super) fn fail_pair(&mut self, now: Instant, p: PairId, why: PairFailure) {
        self.checklist[p].failure = Some(why);
        self.checklist[p].nominated = false;
        self.checklist.stop_check(p);
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
        let floor = self.checklist[best_valid].priority;
        let relayed = self.locals[self.checklist[best_valid].local]
            .relay
            .is_some()
            || self.remotes[self.checklist[best_valid].remote].kind == CandidateType::Relayed;
        let mut pending = false;
        let mut pending_alive = false;
        for p in &self.checklist {
            if p.priority > floor
                && matches!(
                    p.state,
                    PairState::Frozen | PairState::Waiting | PairState::InProgress
                )
                && !self.locals[p.local].dead
            {
                pending = true;
                pending_alive |= p.alive;
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
                self.checklist[p].state == PairState::Succeeded
                    && !self.locals[self.checklist[p].local].dead
            })
            .max_by_key(|&p| self.checklist[p].priority)
    }

    pub(super) fn nomination_deadline(&self) -> Option<Instant> {
        self.nomination_due(self.now).filter(|&t| t > self.now)
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
