//! Per-connection message rates: a token bucket per kind of message, refilled by the time
//! passed in.

use std::time::Instant;

/// A token bucket holding up to one second's worth of messages.
#[derive(Debug, Clone)]
pub(crate) struct Bucket {
    per_second: u32,
    /// Tokens, in millionths.
    micros: u64,
    at: Instant,
}

impl Bucket {
    /// A full bucket of `per_second` at `now`.
    pub(crate) fn new(per_second: u32, now: Instant) -> Bucket {
        Bucket {
            per_second,
            micros: u64::from(per_second) * 1_000_000,
            at: now,
        }
    }

    /// Takes one message's token; `false` when the rate is exceeded.
    pub(crate) fn take(&mut self, now: Instant) -> bool {
        let cap = u64::from(self.per_second) * 1_000_000;
        let elapsed = now.saturating_duration_since(self.at);
        let refill = u64::try_from(elapsed.as_micros())
            .unwrap_or(u64::MAX)
            .saturating_mul(u64::from(self.per_second));
        self.micros = self.micros.saturating_add(refill).min(cap);
        self.at = self.at.max(now);
        if self.micros >= 1_000_000 {
            self.micros -= 1_000_000;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_burst_of_one_seconds_worth_then_the_rate() {
        let t0 = Instant::now();
        let mut b = Bucket::new(5, t0);
        assert_eq!((0..10).filter(|_| b.take(t0)).count(), 5);
        // 200 ms gives one more.
        assert!(b.take(t0 + Duration::from_millis(200)));
        assert!(!b.take(t0 + Duration::from_millis(200)));
        // A long pause refills only to the burst.
        let later = t0 + Duration::from_secs(60);
        assert_eq!((0..10).filter(|_| b.take(later)).count(), 5);
    }

    #[test]
    fn time_going_backwards_refills_nothing() {
        let t0 = Instant::now() + Duration::from_secs(5);
        let mut b = Bucket::new(1, t0);
        assert!(b.take(t0));
        assert!(!b.take(t0 - Duration::from_secs(2)));
        assert!(!b.take(t0));
    }
}
