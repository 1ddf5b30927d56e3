//! The loss-based estimate, libwebrtc's classic one (draft-ietf-rmcat-gcc-02 section 6):
//! from the fraction of packets the feedback reports lost (counted over at least 20
//! packets and, as libwebrtc does with transport-wide feedback, at least one loss
//! interval, 1 s by default, so that random loss is not read from a handful of
//! packets), it grows 8% a second while under 2% are lost, holds between 2% and 10%,
//! and above 10% drops to `rate * (1 - 0.5 * loss)`, at most once per 300 ms + RTT.
//!
//! It grows only up to the delay-based estimate (under REMB), and decreases from the
//! smaller of the two, but a lower delay-based estimate does not pull it down: the
//! target is the smaller of both anyway, and so a loss rate between 2% and 10% that
//! holds the loss-based estimate does not ratchet it down with every delay-based
//! decrease (libwebrtc's classic estimator, capped on every update, does).

use std::time::Duration;

/// Under this loss fraction the estimate grows.
pub(crate) const LOW_LOSS: f64 = 0.02;
/// Over this it shrinks.
pub(crate) const HIGH_LOSS: f64 = 0.10;
/// A fraction is read over at least this many packets.
const MIN_PACKETS: u32 = 20;
/// Growth per second below `LOW_LOSS`.
const INCREASE: f64 = 1.08;

/// The estimator's state; times are seconds on the sender's clock.
#[derive(Debug)]
pub(crate) struct LossBased {
    bitrate: f64,
    min: f64,
    /// Seconds between loss readings at least.
    interval: f64,
    last_read: Option<f64>,
    lost: u32,
    expected: u32,
    fraction: f64,
    last_increase: Option<f64>,
    last_decrease: Option<f64>,
    rtt: Duration,
}

/// What a report did to the estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LossAction {
    /// Too few packets yet for a fraction.
    Pending,
    /// Grew (or would have, up to the cap).
    Increase,
    /// Between the thresholds, or too soon.
    Hold,
    /// Shrank.
    Decrease,
}

impl LossBased {
    /// Starts at `start` bit/s, never under `min`, reading the loss fraction at most
    /// once per `interval` seconds.
    pub(crate) fn new(start: f64, min: f64, interval: f64) -> LossBased {
        LossBased {
            bitrate: start,
            min,
            interval,
            last_read: None,
            lost: 0,
            expected: 0,
            fraction: 0.0,
            last_increase: None,
            last_decrease: None,
            rtt: Duration::from_millis(200),
        }
    }

    /// The estimate, bit/s.
    pub(crate) fn bitrate(&self) -> f64 {
        self.bitrate
    }

    /// The last loss fraction read.
    pub(crate) fn fraction(&self) -> f64 {
        self.fraction
    }

    /// The round trip (decreases are spaced by 300 ms + RTT).
    pub(crate) fn set_rtt(&mut self, rtt: Duration) {
        self.rtt = rtt;
    }

    /// A new floor.
    pub(crate) fn set_min(&mut self, min: f64) {
        self.min = min;
        self.bitrate = self.bitrate.max(min);
    }

    /// Sets the estimate outright (a probe's result).
    pub(crate) fn set(&mut self, bps: f64) {
        self.bitrate = bps.max(self.min);
    }

    /// Takes one feedback's counts at `now_s`; `cap` is the delay-based estimate (under
    /// REMB): increases stop at it, decreases start from it when it is lower.
    pub(crate) fn report(&mut self, now_s: f64, lost: u32, expected: u32, cap: f64) -> LossAction {
        self.lost = self.lost.saturating_add(lost);
        self.expected = self.expected.saturating_add(expected);
        if self.expected < MIN_PACKETS || self.last_read.is_some_and(|t| now_s - t < self.interval)
        {
            return LossAction::Pending;
        }
        self.last_read = Some(now_s);
        self.fraction = f64::from(self.lost) / f64::from(self.expected);
        self.lost = 0;
        self.expected = 0;
        let action = if self.fraction < LOW_LOSS {
            if self.last_increase.is_none_or(|t| now_s - t >= 1.0) {
                self.last_increase = Some(now_s);
                self.bitrate = (self.bitrate * INCREASE + 1000.0).min(cap.max(self.bitrate));
                LossAction::Increase
            } else {
                LossAction::Hold
            }
        } else if self.fraction > HIGH_LOSS {
            let interval = 0.3 + self.rtt.as_secs_f64();
            if self.last_decrease.is_none_or(|t| now_s - t >= interval) {
                self.last_decrease = Some(now_s);
                self.bitrate = self.bitrate.min(cap) * (1.0 - 0.5 * self.fraction);
                LossAction::Decrease
            } else {
                LossAction::Hold
            }
        } else {
            LossAction::Hold
        };
        self.bitrate = self.bitrate.max(self.min);
        action
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAP: f64 = 1e12;

    #[test]
    fn the_fraction_is_read_once_per_interval_over_everything_since() {
        let mut l = LossBased::new(100_000.0, 10_000.0, 1.0);
        assert_eq!(l.report(0.0, 0, 100, CAP), LossAction::Increase);
        // 30 of 100 lost, but within the second: counted, not read.
        assert_eq!(l.report(0.5, 30, 100, CAP), LossAction::Pending);
        // At 1 s: 30 of 200 = 15%.
        assert_eq!(l.report(1.0, 0, 100, CAP), LossAction::Decrease);
        assert!((l.fraction() - 0.15).abs() < 1e-12);
    }

    #[test]
    fn under_2_percent_loss_grows_8_percent_once_a_second() {
        let mut l = LossBased::new(100_000.0, 10_000.0, 0.0);
        assert_eq!(l.report(0.0, 1, 100, CAP), LossAction::Increase);
        assert_eq!(l.bitrate(), 109_000.0);
        assert_eq!(
            l.report(0.5, 0, 100, CAP),
            LossAction::Hold,
            "within the second"
        );
        assert_eq!(l.report(1.0, 0, 100, CAP), LossAction::Increase);
    }

    #[test]
    fn between_2_and_10_percent_holds() {
        let mut l = LossBased::new(100_000.0, 10_000.0, 0.0);
        assert_eq!(l.report(0.0, 2, 100, CAP), LossAction::Hold, "exactly 2%");
        assert_eq!(l.report(1.0, 10, 100, CAP), LossAction::Hold, "exactly 10%");
        assert_eq!(l.bitrate(), 100_000.0);
    }

    #[test]
    fn over_10_percent_shrinks_by_half_the_loss_once_per_300ms_plus_rtt() {
        let mut l = LossBased::new(100_000.0, 10_000.0, 0.0);
        l.set_rtt(Duration::from_millis(100));
        assert_eq!(l.report(0.0, 20, 100, CAP), LossAction::Decrease);
        assert!((l.bitrate() - 90_000.0).abs() < 1e-9);
        assert_eq!(l.report(0.3, 20, 100, CAP), LossAction::Hold, "too soon");
        assert_eq!(l.report(0.4, 20, 100, CAP), LossAction::Decrease);
    }

    #[test]
    fn fewer_than_20_packets_wait_and_the_cap_and_floor_hold() {
        let mut l = LossBased::new(100_000.0, 10_000.0, 0.0);
        assert_eq!(l.report(0.0, 10, 10, CAP), LossAction::Pending);
        assert_eq!(
            l.report(0.0, 0, 10, CAP),
            LossAction::Decrease,
            "10 of 20 lost"
        );
        assert_eq!(l.fraction(), 0.5);
        assert_eq!(l.bitrate(), 75_000.0);
        // Under the cap it grows to the cap and no further.
        assert_eq!(l.report(5.0, 0, 100, 80_000.0), LossAction::Increase);
        assert_eq!(l.bitrate(), 80_000.0);
        // A lower cap does not pull it down while it holds...
        assert_eq!(l.report(6.0, 5, 100, 50_000.0), LossAction::Hold);
        assert_eq!(l.bitrate(), 80_000.0);
        // ...nor lets it grow; a decrease starts from the cap.
        assert_eq!(l.report(7.0, 0, 100, 50_000.0), LossAction::Increase);
        assert_eq!(l.bitrate(), 80_000.0);
        assert_eq!(l.report(8.0, 20, 100, 50_000.0), LossAction::Decrease);
        assert_eq!(l.bitrate(), 45_000.0);
        let mut l = LossBased::new(20_000.0, 15_000.0, 0.0);
        l.report(0.0, 100, 100, CAP);
        assert_eq!(l.bitrate(), 15_000.0);
    }
}
