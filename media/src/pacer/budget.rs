//! A byte budget that fills at a rate up to a cap (a token bucket): a packet may go
//! while the budget is positive and takes its size out of it, so bursts are bounded by
//! the cap and the long-run rate by the rate.

use std::time::{Duration, Instant};

/// No wait is computed longer than this (an hour): a rate of a few bit/s is not one to
/// pace by.
pub(crate) const MAX_WAIT_SECS: f64 = 3600.0;

/// The bucket.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    bytes: f64,
    rate_bps: u64,
    window: Duration,
    updated: Instant,
}

impl Budget {
    /// A full budget (as after a long pause) filling at `rate_bps`, holding at most
    /// `window` of it.
    pub(crate) fn new(now: Instant, rate_bps: u64, window: Duration) -> Budget {
        Budget {
            bytes: rate_bps as f64 / 8.0 * window.as_secs_f64(),
            rate_bps,
            window,
            updated: now,
        }
    }

    fn cap(&self) -> f64 {
        self.rate_bps as f64 / 8.0 * self.window.as_secs_f64()
    }

    /// Fills up to `now`.
    pub(crate) fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.updated).as_secs_f64();
        self.updated = self.updated.max(now);
        self.bytes = (self.bytes + self.rate_bps as f64 / 8.0 * dt).min(self.cap());
    }

    /// Changes the rate from `now` on.
    pub(crate) fn set_rate(&mut self, now: Instant, rate_bps: u64) {
        self.refill(now);
        self.rate_bps = rate_bps;
        self.bytes = self.bytes.min(self.cap());
    }

    /// The rate.
    pub(crate) fn rate(&self) -> u64 {
        self.rate_bps
    }

    /// Whether a packet may go now (refill first).
    pub(crate) fn open(&self) -> bool {
        self.bytes > 0.0
    }

    /// The bytes available (may be negative: the debt of the last packet).
    pub(crate) fn bytes(&self) -> f64 {
        self.bytes
    }

    /// Takes `bytes` out; the debt is kept within one window.
    pub(crate) fn spend(&mut self, bytes: usize) {
        self.bytes = (self.bytes - bytes as f64).max(-self.cap().max(bytes as f64));
    }

    /// When it is next open, `None` at rate zero.
    pub(crate) fn opens_at(&self) -> Option<Instant> {
        if self.open() {
            return Some(self.updated);
        }
        if self.rate_bps == 0 {
            return None;
        }
        // The instant the debt is paid, plus a microsecond so the budget is positive.
        let secs = (-self.bytes * 8.0 / self.rate_bps as f64).min(MAX_WAIT_SECS);
        self.updated
            .checked_add(Duration::from_secs_f64(secs) + Duration::from_micros(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_at_the_rate_up_to_the_window() {
        let t = Instant::now();
        let mut b = Budget::new(t, 800_000, Duration::from_millis(40));
        assert!((b.bytes() - 4000.0).abs() < 1e-6, "starts full");
        b.spend(4000);
        assert!(!b.open());
        b.refill(t + Duration::from_millis(10));
        assert!((b.bytes() - 1000.0).abs() < 1e-6);
        b.refill(t + Duration::from_secs(5));
        assert!(
            (b.bytes() - 4000.0).abs() < 1e-6,
            "capped at 40 ms: {}",
            b.bytes()
        );
    }

    #[test]
    fn a_packet_makes_a_debt_that_says_when_it_opens_again() {
        let t = Instant::now();
        let mut b = Budget::new(t, 800_000, Duration::from_millis(40));
        b.spend(4000);
        b.refill(t + Duration::from_millis(1)); // 100 bytes
        b.spend(1100); // -1000: 10 ms at 100 bytes/ms
        let at = b.opens_at().expect("a rate");
        let expected = t + Duration::from_millis(11) + Duration::from_micros(1);
        assert!(at.max(expected) - at.min(expected) < Duration::from_micros(2));
        b.refill(at);
        assert!(b.open());
    }
}
