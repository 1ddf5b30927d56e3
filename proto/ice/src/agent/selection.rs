//! Selection and nomination (RFC 8445 section 8): the selected pair, the nomination in
//! flight, and when the first pair became valid (the controlling agent's wait for better
//! pairs counts from then). A part of the [`super::Agent`] with its own state; the agent
//! decides when to nominate and which nominated pair to select.

use std::time::Instant;

use super::PairId;

/// The selected pair and the nomination in flight.
#[derive(Debug, Default)]
pub(crate) struct Selection {
    selected: Option<PairId>,
    nominating: Option<PairId>,
    first_valid_at: Option<Instant>,
}

impl Selection {
    /// The selected pair, once there is one.
    pub(crate) fn selected(&self) -> Option<PairId> {
        self.selected
    }

    /// `p` is selected.
    pub(crate) fn select(&mut self, p: PairId) {
        self.selected = Some(p);
    }

    /// Nothing is selected any more (failure).
    pub(crate) fn unselect(&mut self) {
        self.selected = None;
    }

    /// The pair being nominated (the controlling agent's check with USE-CANDIDATE).
    pub(crate) fn nominating(&self) -> Option<PairId> {
        self.nominating
    }

    /// The controlling agent nominates `p`.
    pub(crate) fn nominate(&mut self, p: PairId) {
        self.nominating = Some(p);
    }

    /// The nomination of `p`, if it is the one in flight, is over (it succeeded, failed,
    /// or timed out): another may follow.
    pub(crate) fn nomination_ended(&mut self, p: PairId) {
        if self.nominating == Some(p) {
            self.nominating = None;
        }
    }

    /// Whatever nomination was in flight is abandoned (the role changed).
    pub(crate) fn abandon_nomination(&mut self) {
        self.nominating = None;
    }

    /// A pair became valid at `now`: the first one is remembered.
    pub(crate) fn valid(&mut self, now: Instant) {
        self.first_valid_at.get_or_insert(now);
    }

    /// When the first pair became valid.
    pub(crate) fn first_valid_at(&self) -> Option<Instant> {
        self.first_valid_at
    }

    /// ICE restart: nothing selected, nominated or valid.
    pub(crate) fn clear(&mut self) {
        *self = Selection::default();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::agent::ids::Id;

    #[test]
    fn a_nomination_ends_only_for_its_own_pair_and_the_first_valid_time_stays() {
        #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
        let now = Instant::now();
        let (a, b) = (PairId::from_index(0), PairId::from_index(1));
        let mut s = Selection::default();
        s.nominate(a);
        s.nomination_ended(b);
        assert_eq!(s.nominating(), Some(a), "another pair's outcome");
        s.nomination_ended(a);
        assert_eq!(s.nominating(), None);
        s.nominate(b);
        s.abandon_nomination();
        assert_eq!(s.nominating(), None);

        s.valid(now);
        s.valid(now + Duration::from_secs(1));
        assert_eq!(s.first_valid_at(), Some(now));
        s.select(a);
        assert_eq!(s.selected(), Some(a));
        s.unselect();
        assert_eq!(s.selected(), None);
        s.select(b);
        s.nominate(b);
        s.clear();
        assert_eq!(
            (s.selected(), s.nominating(), s.first_valid_at()),
            (None, None, None)
        );
    }
}
