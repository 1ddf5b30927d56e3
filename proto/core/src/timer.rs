//! [`TimerTable`]: a machine's deadlines, one slot per named timer.

use std::marker::PhantomData;
use std::time::Instant;

/// The names of a machine's timers: an enum whose variants index a [`TimerTable`].
pub trait TimerKind: Copy + Eq + std::fmt::Debug + 'static {
    /// Every variant, in index order.
    const ALL: &'static [Self];
    /// This variant's slot, `< ALL.len()`.
    fn index(self) -> usize;
}

/// A fixed array of optional deadlines indexed by a [`TimerKind`] (quinn-proto's timer table).
///
/// For a machine's fixed set of timers; timers per entity (transactions, allocations) go in
/// a [`crate::Deadlines`], which reads the same way.
///
/// `N` must be at least `K::ALL.len()`; no allocation.
#[derive(Debug, Clone)]
pub struct TimerTable<K: TimerKind, const N: usize> {
    at: [Option<Instant>; N],
    _kind: PhantomData<K>,
}

impl<K: TimerKind, const N: usize> Default for TimerTable<K, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: TimerKind, const N: usize> TimerTable<K, N> {
    /// A table with every timer stopped.
    #[must_use]
    pub fn new() -> Self {
        const { assert!(N > 0) };
        TimerTable {
            at: [None; N],
            _kind: PhantomData,
        }
    }

    /// Arms `kind` to fire at `at` (replacing any earlier setting).
    pub fn set(&mut self, kind: K, at: Instant) {
        self.at[kind.index()] = Some(at);
    }

    /// Stops `kind`.
    pub fn stop(&mut self, kind: K) {
        self.at[kind.index()] = None;
    }

    /// When `kind` fires, if armed.
    #[must_use]
    pub fn get(&self, kind: K) -> Option<Instant> {
        self.at[kind.index()]
    }

    /// The earliest armed timer and its name.
    #[must_use]
    pub fn next(&self) -> Option<(Instant, K)> {
        K::ALL
            .iter()
            .filter_map(|&k| self.at[k.index()].map(|t| (t, k)))
            .min_by_key(|(t, _)| *t)
    }

    /// The earliest deadline, for [`crate::Machine::poll_timeout`].
    #[must_use]
    pub fn next_deadline(&self) -> Option<Instant> {
        self.at.iter().flatten().min().copied()
    }

    /// If `kind` is armed and due at `now`, stops it and returns true.
    pub fn take_expired(&mut self, kind: K, now: Instant) -> bool {
        match self.at[kind.index()] {
            Some(t) if t <= now => {
                self.at[kind.index()] = None;
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum T {
        Retransmit,
        Idle,
    }
    impl TimerKind for T {
        const ALL: &'static [T] = &[T::Retransmit, T::Idle];
        fn index(self) -> usize {
            self as usize
        }
    }

    #[test]
    fn earliest_wins_and_expiry_stops() {
        #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
        let t0 = Instant::now();
        let mut table: TimerTable<T, 2> = TimerTable::new();
        assert_eq!(table.next(), None);
        table.set(T::Idle, t0 + Duration::from_secs(5));
        table.set(T::Retransmit, t0 + Duration::from_secs(1));
        assert_eq!(
            table.next(),
            Some((t0 + Duration::from_secs(1), T::Retransmit))
        );
        assert_eq!(table.next_deadline(), Some(t0 + Duration::from_secs(1)));
        assert!(!table.take_expired(T::Retransmit, t0));
        assert!(table.take_expired(T::Retransmit, t0 + Duration::from_secs(1)));
        assert_eq!(table.get(T::Retransmit), None);
        assert_eq!(table.next(), Some((t0 + Duration::from_secs(5), T::Idle)));
        table.stop(T::Idle);
        assert_eq!(table.next_deadline(), None);
    }
}
