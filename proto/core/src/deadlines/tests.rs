use std::collections::HashMap;
use std::time::Duration;

use proptest::prelude::*;

use super::*;

/// The anchor of a virtual clock.
fn t0() -> Instant {
    #[allow(clippy::disallowed_methods)]
    Instant::now()
}

fn at(t0: Instant, ms: u64) -> Instant {
    t0 + Duration::from_millis(ms)
}

/// The naive model: a map of key to (deadline, arming order), scanned for the minimum.
#[derive(Default)]
struct Model {
    armed: HashMap<u8, (Instant, u64)>,
    order: u64,
}

impl Model {
    fn set(&mut self, key: u8, t: Instant) {
        if self.armed.get(&key).is_some_and(|&(old, _)| old == t) {
            return; // re-arming at the same instant keeps its place among ties
        }
        self.armed.insert(key, (t, self.order));
        self.order += 1;
    }

    fn next(&self) -> Option<(Instant, u8)> {
        self.armed
            .iter()
            .min_by_key(|(_, (t, order))| (*t, *order))
            .map(|(k, (t, _))| (*t, *k))
    }

    fn pop_expired(&mut self, now: Instant) -> Option<(Instant, u8)> {
        let (t, k) = self.next()?;
        if t > now {
            return None;
        }
        self.armed.remove(&k);
        Some((t, k))
    }
}

#[derive(Debug, Clone)]
enum Op {
    Set(u8, u64),
    Stop(u8),
    PopExpired(u64),
    TakeExpired(u8, u64),
    /// Keep keys whose value modulo 3 differs from this.
    Retain(u8),
    Clear,
}

fn op() -> impl Strategy<Value = Op> {
    // Few keys and few instants, so that re-arming, stale entries and ties are common.
    prop_oneof![
        6 => (0u8..12, 0u64..40).prop_map(|(k, t)| Op::Set(k, t)),
        2 => (0u8..12).prop_map(Op::Stop),
        3 => (0u64..45).prop_map(Op::PopExpired),
        1 => (0u8..12, 0u64..45).prop_map(|(k, t)| Op::TakeExpired(k, t)),
        1 => (0u8..3).prop_map(Op::Retain),
        1 => Just(Op::Clear),
    ]
}

proptest! {
    /// Every operation answers as the naive model does, and `next` always names a live timer.
    #[test]
    fn agrees_with_a_naive_scan(ops in proptest::collection::vec(op(), 0..300)) {
        let t0 = t0();
        let mut d: Deadlines<u8> = Deadlines::new();
        let mut m = Model::default();
        for op in ops {
            match op {
                Op::Set(k, t) => {
                    d.set(k, at(t0, t));
                    m.set(k, at(t0, t));
                }
                Op::Stop(k) => {
                    let want = m.armed.remove(&k).map(|(t, _)| t);
                    prop_assert_eq!(d.stop(&k), want);
                }
                Op::PopExpired(now) => {
                    // Drain like a handle_timeout loop.
                    loop {
                        let got = d.pop_expired(at(t0, now));
                        prop_assert_eq!(got, m.pop_expired(at(t0, now)));
                        if got.is_none() {
                            break;
                        }
                    }
                }
                Op::TakeExpired(k, now) => {
                    let due = m.armed.get(&k).is_some_and(|(t, _)| *t <= at(t0, now));
                    if due {
                        m.armed.remove(&k);
                    }
                    prop_assert_eq!(d.take_expired(&k, at(t0, now)), due);
                }
                Op::Retain(r) => {
                    d.retain(|k| k % 3 != r);
                    m.armed.retain(|k, _| k % 3 != r);
                }
                Op::Clear => {
                    d.clear();
                    m.armed.clear();
                }
            }
            prop_assert_eq!(d.next(), m.next());
            prop_assert_eq!(d.next_deadline(), m.next().map(|(t, _)| t));
            prop_assert_eq!(d.len(), m.armed.len());
            prop_assert_eq!(d.is_empty(), m.armed.is_empty());
            for k in 0u8..12 {
                prop_assert_eq!(d.get(&k), m.armed.get(&k).map(|(t, _)| *t));
            }
            // Stale entries never pile up beyond the compaction bound.
            prop_assert!(d.heap.len() <= 2 * d.armed.len() + 17);
        }
    }
}

#[test]
fn re_arming_moves_a_timer_and_ties_fire_in_arming_order() {
    let t0 = t0();
    let mut d = Deadlines::new();
    d.set("retransmit", at(t0, 500));
    d.set("timeout", at(t0, 39_500));
    d.set("keepalive", at(t0, 500));
    assert_eq!(d.next(), Some((at(t0, 500), "retransmit")));
    d.set("retransmit", at(t0, 1500));
    assert_eq!(d.next(), Some((at(t0, 500), "keepalive")));
    assert_eq!(d.pop_expired(at(t0, 499)), None);
    assert_eq!(
        d.pop_expired(at(t0, 2000)),
        Some((at(t0, 500), "keepalive"))
    );
    assert_eq!(
        d.pop_expired(at(t0, 2000)),
        Some((at(t0, 1500), "retransmit"))
    );
    assert_eq!(d.pop_expired(at(t0, 2000)), None);
    assert_eq!(d.next_deadline(), Some(at(t0, 39_500)));
    assert_eq!(d.stop(&"timeout"), Some(at(t0, 39_500)));
    assert_eq!(d.next(), None);
    assert!(d.is_empty());
}

#[test]
fn re_arming_many_times_keeps_the_heap_bounded() {
    let t0 = t0();
    let mut d = Deadlines::with_capacity(4);
    for i in 0..10_000u64 {
        d.set(i % 4, at(t0, 10_000 - i));
    }
    assert_eq!(d.len(), 4);
    assert!(d.heap.len() <= 2 * 4 + 17, "heap holds {}", d.heap.len());
    assert_eq!(d.next(), Some((at(t0, 1), 3)));
}
