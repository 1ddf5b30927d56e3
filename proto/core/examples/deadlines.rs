//! Measures [`wren_core::Deadlines`] against the two other ways to keep per-entity timers:
//! a `BTreeMap<(Instant, u64), K>` with exact removal (plus a map from key to its entry),
//! and a plain scan over the entities (what the STUN client did before `Deadlines`).
//!
//! ```text
//! cargo run --release -p wren-core --example deadlines
//! ```
//!
//! The workload is a machine's: `n` entities armed, then rounds of "re-arm one entity (a
//! retransmission or a refresh), ask for the next deadline (`poll_timeout`), and every 8th
//! round let the clock pass the earliest deadline and fire what is due". It prints ns per
//! round for each structure.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use wren_core::{Deadlines, Rng};

/// The operations the three structures share.
trait Timers {
    fn set(&mut self, key: u32, at: Instant);
    fn next_deadline(&self) -> Option<Instant>;
    fn pop_expired(&mut self, now: Instant) -> Option<(Instant, u32)>;
}

impl Timers for Deadlines<u32> {
    fn set(&mut self, key: u32, at: Instant) {
        Deadlines::set(self, key, at);
    }
    fn next_deadline(&self) -> Option<Instant> {
        Deadlines::next_deadline(self)
    }
    fn pop_expired(&mut self, now: Instant) -> Option<(Instant, u32)> {
        Deadlines::pop_expired(self, now)
    }
}

#[derive(Default)]
struct Tree {
    order: BTreeMap<(Instant, u64), u32>,
    by_key: HashMap<u32, (Instant, u64)>,
    seq: u64,
}

impl Timers for Tree {
    fn set(&mut self, key: u32, at: Instant) {
        if let Some(old) = self.by_key.insert(key, (at, self.seq)) {
            self.order.remove(&old);
        }
        self.order.insert((at, self.seq), key);
        self.seq += 1;
    }
    fn next_deadline(&self) -> Option<Instant> {
        self.order.first_key_value().map(|((t, _), _)| *t)
    }
    fn pop_expired(&mut self, now: Instant) -> Option<(Instant, u32)> {
        let (&(t, s), &k) = self.order.first_key_value()?;
        if t > now {
            return None;
        }
        self.order.remove(&(t, s));
        self.by_key.remove(&k);
        Some((t, k))
    }
}

/// One optional deadline per entity, found by scanning.
struct Scan(Vec<Option<Instant>>);

impl Timers for Scan {
    fn set(&mut self, key: u32, at: Instant) {
        self.0[key as usize] = Some(at);
    }
    fn next_deadline(&self) -> Option<Instant> {
        self.0.iter().flatten().min().copied()
    }
    fn pop_expired(&mut self, now: Instant) -> Option<(Instant, u32)> {
        let (i, t) = self
            .0
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.map(|t| (i, t)))
            .min_by_key(|(_, t)| *t)?;
        if t > now {
            return None;
        }
        self.0[i] = None;
        Some((t, i as u32))
    }
}

fn run(timers: &mut impl Timers, n: u32, rounds: u32, t0: Instant) -> f64 {
    let mut rng = Rng::from_seed([7; 32]);
    let mut now = t0;
    let later = |rng: &mut Rng, now: Instant| now + Duration::from_millis(1 + rng.below(60_000));
    for k in 0..n {
        timers.set(k, later(&mut rng, now));
    }
    #[allow(clippy::disallowed_methods)] // measuring wall time is this example's job
    let start = Instant::now();
    let mut fired = 0u64;
    for round in 0..rounds {
        let key = u32::try_from(rng.below(u64::from(n))).unwrap_or(0);
        timers.set(key, later(&mut rng, now));
        let next = std::hint::black_box(timers.next_deadline());
        if round % 8 == 0
            && let Some(t) = next
        {
            now = now.max(t);
            while let Some((_, k)) = timers.pop_expired(now) {
                fired += 1;
                timers.set(k, later(&mut rng, now));
            }
        }
    }
    let elapsed = start.elapsed();
    std::hint::black_box(fired);
    elapsed.as_nanos() as f64 / f64::from(rounds)
}

fn main() {
    #[allow(clippy::disallowed_methods)] // the anchor of the virtual clock
    let t0 = Instant::now();
    println!(
        "{:>8} {:>14} {:>14} {:>14}",
        "timers", "Deadlines", "BTreeMap", "scan"
    );
    for n in [16u32, 256, 4096, 65_536] {
        let rounds = 400_000;
        let heap = run(&mut Deadlines::with_capacity(n as usize), n, rounds, t0);
        let tree = run(&mut Tree::default(), n, rounds, t0);
        // The scan is O(n) per round: fewer rounds for the large sizes.
        let scan_rounds = (rounds / (n / 16).max(1)).max(2_000);
        let scan = run(&mut Scan(vec![None; n as usize]), n, scan_rounds, t0);
        println!("{n:>8} {heap:>11.0} ns {tree:>11.0} ns {scan:>11.0} ns");
    }
}
