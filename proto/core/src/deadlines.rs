//! [`Deadlines`]: per-entity timers (one deadline per key), the keyed sibling of
//! [`crate::TimerTable`].

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};
use std::fmt;
use std::hash::Hash;
use std::time::Instant;

/// One heap entry: a key's deadline as armed under `generation`.
#[derive(Debug, Clone, Copy)]
struct Entry<K> {
    at: Instant,
    generation: u64,
    key: K,
}

impl<K> PartialEq for Entry<K> {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at && self.generation == other.generation
    }
}

impl<K> Eq for Entry<K> {}

impl<K> PartialOrd for Entry<K> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<K> Ord for Entry<K> {
    /// By deadline, then by arming order (generations are unique).
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.generation).cmp(&(other.at, other.generation))
    }
}

/// Deadlines keyed by `K`, at most one per key: the timers of a machine that has one (or a
/// few) per entity.
///
/// `K` is small and `Copy` (an id, a slot, an address, or an enum of them), and names the
/// timer in a driver's log.
///
/// A machine with a fixed set of timers names them with a [`crate::TimerKind`] enum and
/// keeps them in a [`crate::TimerTable`]. A machine with a timer per entity (a STUN
/// transaction, a TURN allocation, a port reservation) keys them here instead. Both read the
/// same way:
///
/// | question                  | [`crate::TimerTable`]      | [`Deadlines`]              |
/// |---------------------------|----------------------------|----------------------------|
/// | arm / re-arm              | `set(kind, at)`            | `set(key, at)`             |
/// | disarm                    | `stop(kind)`               | `stop(&key)`               |
/// | for `poll_timeout`        | `next_deadline()`          | `next_deadline()`          |
/// | which timer is next (log) | `next() -> (Instant, K)`   | `next() -> (Instant, K)`   |
/// | in `handle_timeout`       | `take_expired(kind, now)`  | `pop_expired(now)`         |
///
/// # Why a heap with lazy invalidation
///
/// Each key's current deadline lives in a map together with a generation number; the heap
/// holds `(deadline, generation, key)` entries. Re-arming or stopping a key only bumps or
/// forgets its generation, so the old heap entry turns stale and is skipped when it comes to
/// the top. Stale entries at the top are removed after every change, so [`Deadlines::next`]
/// is a pure `O(1)` peek (what a `poll_timeout(&self)` needs); the heap is compacted when
/// stale entries outnumber live ones. Arming is `O(log n)` and allocates nothing once the
/// heap and map have grown to the working set (so a steady state of transactions or
/// allocations allocates nothing for its timers).
///
/// Measured against the alternatives (`cargo run --release -p wren-core --example deadlines`;
/// ns per round of "re-arm one, peek the next, fire what is due every 8th round", on a loaded
/// 2-core machine, two runs):
///
/// | timers | `Deadlines` | `BTreeMap<(Instant, u64), K>` | scan over entities |
/// |-------:|------------:|------------------------------:|-------------------:|
/// |     16 |  148-315 ns |                    156-338 ns |          89-145 ns |
/// |    256 |  153-310 ns |                    265-374 ns |         454-769 ns |
/// |  4,096 |  188-298 ns |                    324-377 ns |    7,293-15,186 ns |
/// | 65,536 |  283-358 ns |                    572-643 ns |  109,533-120,189 ns |
///
/// The `BTreeMap` (exact removal, no stale entries) is up to 2x slower and allocates as its
/// nodes split; the scan (what the STUN client did) wins below a few dozen entries but makes
/// `poll_timeout` `O(n)`, which a TURN server with thousands of allocations cannot afford. A
/// hashed timer wheel would make arming `O(1)`, but needs a tick size (STUN's RTO is 500 ms
/// and doubles, TURN lifetimes run to an hour, tests run on virtual clocks) and rounds
/// deadlines to ticks, which would move the exact instants machines report today.
///
/// Ties: entries due at the same instant come out in the order they were armed.
pub struct Deadlines<K> {
    heap: BinaryHeap<Reverse<Entry<K>>>,
    /// Each armed key's deadline and the generation it was armed with.
    armed: HashMap<K, (Instant, u64)>,
    next_generation: u64,
}

impl<K: fmt::Debug + Copy + Eq + Hash> fmt::Debug for Deadlines<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deadlines")
            .field("armed", &self.armed.len())
            .field("heap", &self.heap.len())
            .field("next", &self.next())
            .finish()
    }
}

impl<K: Copy + Eq + Hash> Default for Deadlines<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Copy + Eq + Hash> Deadlines<K> {
    /// No timer armed.
    #[must_use]
    pub fn new() -> Self {
        Deadlines {
            heap: BinaryHeap::new(),
            armed: HashMap::new(),
            next_generation: 0,
        }
    }

    /// No timer armed, with room for `n` before growing.
    #[must_use]
    pub fn with_capacity(n: usize) -> Self {
        Deadlines {
            heap: BinaryHeap::with_capacity(n),
            armed: HashMap::with_capacity(n),
            next_generation: 0,
        }
    }

    /// Arms `key` to fire at `at`, replacing its earlier deadline if any.
    pub fn set(&mut self, key: K, at: Instant) {
        if self.armed.get(&key).is_some_and(|&(t, _)| t == at) {
            return;
        }
        let generation = self.next_generation;
        self.next_generation += 1;
        self.armed.insert(key, (at, generation));
        self.heap.push(Reverse(Entry {
            at,
            generation,
            key,
        }));
        self.tidy();
    }

    /// Disarms `key`; returns the deadline it had.
    pub fn stop(&mut self, key: &K) -> Option<Instant> {
        let (at, _) = self.armed.remove(key)?;
        self.tidy();
        Some(at)
    }

    /// When `key` fires, if armed.
    #[must_use]
    pub fn get(&self, key: &K) -> Option<Instant> {
        self.armed.get(key).map(|&(t, _)| t)
    }

    /// The earliest armed timer and its key (what a driver logs as the timer that fires).
    #[must_use]
    pub fn next(&self) -> Option<(Instant, K)> {
        // `tidy` keeps the top live after every change.
        self.heap.peek().map(|Reverse(e)| (e.at, e.key))
    }

    /// The earliest deadline, for [`crate::Machine::poll_timeout`].
    #[must_use]
    pub fn next_deadline(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse(e)| e.at)
    }

    /// Disarms and returns the earliest timer if it is due at `now`. Call it in a loop from
    /// `handle_timeout`; a key re-armed inside the loop at or before `now` comes out again,
    /// so re-arm after the loop when a timer must fire at most once per call.
    pub fn pop_expired(&mut self, now: Instant) -> Option<(Instant, K)> {
        let (at, key) = self.next()?;
        if at > now {
            return None;
        }
        self.heap.pop();
        self.armed.remove(&key);
        self.tidy();
        Some((at, key))
    }

    /// If `key` is armed and due at `now`, disarms it and returns true.
    pub fn take_expired(&mut self, key: &K, now: Instant) -> bool {
        match self.get(key) {
            Some(t) if t <= now => {
                self.stop(key);
                true
            }
            _ => false,
        }
    }

    /// How many timers are armed.
    #[must_use]
    pub fn len(&self) -> usize {
        self.armed.len()
    }

    /// Whether no timer is armed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.armed.is_empty()
    }

    /// Disarms every timer (keeping the memory).
    pub fn clear(&mut self) {
        self.armed.clear();
        self.heap.clear();
    }

    /// Disarms the timers whose key fails `keep`.
    pub fn retain(&mut self, mut keep: impl FnMut(&K) -> bool) {
        self.armed.retain(|k, _| keep(k));
        self.tidy();
    }

    fn is_live(armed: &HashMap<K, (Instant, u64)>, e: &Entry<K>) -> bool {
        armed.get(&e.key).is_some_and(|&(_, g)| g == e.generation)
    }

    /// Drops stale entries from the top, and compacts the heap when stale entries
    /// outnumber the live ones.
    fn tidy(&mut self) {
        while let Some(Reverse(top)) = self.heap.peek() {
            if Self::is_live(&self.armed, top) {
                break;
            }
            self.heap.pop();
        }
        if self.heap.len() > 2 * self.armed.len() + 16 {
            let armed = &self.armed;
            self.heap.retain(|Reverse(e)| Self::is_live(armed, e));
        }
    }
}

#[cfg(test)]
mod tests;
