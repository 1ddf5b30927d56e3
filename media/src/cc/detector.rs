//! The over-use detector with an adaptive threshold (draft-ietf-rmcat-gcc-02 sections
//! 5.4 and 5.5, in libwebrtc's trendline form): the delay trend, scaled by the number of
//! deltas seen (at most 60) and a gain of 4, is compared with a threshold that follows
//! it (k_up 0.0087 when above, k_down 0.039 when below, per millisecond, kept within
//! 6..600). Over-use is signalled once the trend stays above the threshold for more than
//! 10 ms and two deltas, and is not falling.

/// What the delay says of the bottleneck's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BandwidthUsage {
    /// The queue holds steady.
    #[default]
    Normal,
    /// The queue grows: sending faster than the link carries.
    Overusing,
    /// The queue drains.
    Underusing,
}

/// The trend is scaled by at most this many deltas.
const MIN_DELTAS: u32 = 60;
/// Gain applied to the trend before it is compared.
const THRESHOLD_GAIN: f64 = 4.0;
/// The threshold's first value.
const INITIAL_THRESHOLD: f64 = 12.5;
/// The threshold grows this fast (per ms) towards a trend above it.
pub(crate) const K_UP: f64 = 0.0087;
/// And shrinks this fast towards one below it.
pub(crate) const K_DOWN: f64 = 0.039;
/// A trend this far past the threshold does not move it (a spike, not a drift).
const MAX_ADAPT_OFFSET: f64 = 15.0;
/// Over-use must last longer than this.
const OVERUSING_TIME_MS: f64 = 10.0;

/// The detector's state.
#[derive(Debug)]
pub(crate) struct Detector {
    threshold: f64,
    last_update_ms: Option<f64>,
    time_over_using_ms: Option<f64>,
    overuse_count: u32,
    previous_trend: f64,
    modified_trend: f64,
    state: BandwidthUsage,
}

impl Default for Detector {
    fn default() -> Self {
        Detector {
            threshold: INITIAL_THRESHOLD,
            last_update_ms: None,
            time_over_using_ms: None,
            overuse_count: 0,
            previous_trend: 0.0,
            modified_trend: 0.0,
            state: BandwidthUsage::Normal,
        }
    }
}

impl Detector {
    /// Reads a trend computed from `deltas` deltas, the last of which spans
    /// `send_delta_ms`, at `now_ms` (receiver time).
    pub(crate) fn detect(
        &mut self,
        trend: f64,
        send_delta_ms: f64,
        deltas: u32,
        now_ms: f64,
    ) -> BandwidthUsage {
        if deltas < 2 {
            self.state = BandwidthUsage::Normal;
            return self.state;
        }
        let modified = f64::from(deltas.min(MIN_DELTAS)) * trend * THRESHOLD_GAIN;
        self.modified_trend = modified;
        if modified > self.threshold {
            let t = match self.time_over_using_ms {
                None => send_delta_ms / 2.0,
                Some(t) => t + send_delta_ms,
            };
            self.time_over_using_ms = Some(t);
            self.overuse_count += 1;
            if t > OVERUSING_TIME_MS && self.overuse_count > 1 && trend >= self.previous_trend {
                self.time_over_using_ms = Some(0.0);
                self.overuse_count = 0;
                self.state = BandwidthUsage::Overusing;
            }
        } else if modified < -self.threshold {
            self.time_over_using_ms = None;
            self.overuse_count = 0;
            self.state = BandwidthUsage::Underusing;
        } else {
            self.time_over_using_ms = None;
            self.overuse_count = 0;
            self.state = BandwidthUsage::Normal;
        }
        self.previous_trend = trend;
        self.adapt(modified, now_ms);
        self.state
    }

    /// Moves the threshold towards `|modified|` (section 5.4's gamma update).
    fn adapt(&mut self, modified: f64, now_ms: f64) {
        let last = *self.last_update_ms.get_or_insert(now_ms);
        self.last_update_ms = Some(now_ms);
        if modified.abs() > self.threshold + MAX_ADAPT_OFFSET {
            return;
        }
        let k = if modified.abs() < self.threshold {
            K_DOWN
        } else {
            K_UP
        };
        let dt = (now_ms - last).clamp(0.0, 100.0);
        self.threshold += k * (modified.abs() - self.threshold) * dt;
        self.threshold = self.threshold.clamp(6.0, 600.0);
    }

    /// The current threshold.
    pub(crate) fn threshold(&self) -> f64 {
        self.threshold
    }

    /// The last scaled trend compared with the threshold.
    pub(crate) fn modified_trend(&self) -> f64 {
        self.modified_trend
    }

    /// The last state.
    pub(crate) fn state(&self) -> BandwidthUsage {
        self.state
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sustained_rising_trend_is_overuse_after_more_than_10ms_and_two_deltas() {
        let mut d = Detector::default();
        // 60 deltas * 0.1 * 4 = 24 > 12.5.
        assert_eq!(
            d.detect(0.1, 5.0, 60, 0.0),
            BandwidthUsage::Normal,
            "2.5 ms over"
        );
        assert_eq!(
            d.detect(0.1, 5.0, 60, 5.0),
            BandwidthUsage::Normal,
            "7.5 ms over"
        );
        assert_eq!(
            d.detect(0.1, 5.0, 60, 10.0),
            BandwidthUsage::Overusing,
            "12.5 ms over"
        );
        assert_eq!(d.state(), BandwidthUsage::Overusing);
    }

    #[test]
    fn overuse_needs_time_count_and_a_non_falling_trend() {
        let mut d = Detector::default();
        let s1 = d.detect(0.1, 8.0, 60, 0.0); // 4 ms over, count 1
        let s2 = d.detect(0.1, 8.0, 60, 8.0); // 12 ms over, count 2
        assert_eq!(s1, BandwidthUsage::Normal);
        assert_eq!(s2, BandwidthUsage::Overusing);
        // A falling trend above the threshold is not (yet) over-use.
        let mut d = Detector::default();
        d.detect(0.2, 8.0, 60, 0.0);
        assert_eq!(d.detect(0.15, 8.0, 60, 8.0), BandwidthUsage::Normal);
    }

    #[test]
    fn a_falling_trend_below_minus_threshold_is_underuse_and_a_flat_one_normal() {
        let mut d = Detector::default();
        assert_eq!(d.detect(-0.1, 5.0, 60, 0.0), BandwidthUsage::Underusing);
        assert_eq!(d.detect(0.0, 5.0, 60, 5.0), BandwidthUsage::Normal);
        assert_eq!(
            d.detect(5.0, 5.0, 1, 10.0),
            BandwidthUsage::Normal,
            "one delta"
        );
    }

    #[test]
    fn the_threshold_follows_the_trend_with_k_up_and_k_down() {
        let mut d = Detector::default();
        d.detect(0.0, 5.0, 60, 0.0); // anchors the time
        // |modified| = 0 below 12.5: shrinks by k_down * 12.5 * 10 ms.
        d.detect(0.0, 5.0, 60, 10.0);
        let expected = 12.5 + K_DOWN * (0.0 - 12.5) * 10.0;
        assert!((d.threshold() - expected).abs() < 1e-9, "{}", d.threshold());
        // |modified| = 60*0.06*4 = 14.4 above it: grows by k_up.
        let before = d.threshold();
        d.detect(0.06, 5.0, 60, 20.0);
        let expected = before + K_UP * (14.4 - before) * 10.0;
        assert!((d.threshold() - expected).abs() < 1e-9, "{}", d.threshold());
        // A spike far above does not move it; it never drops below 6.
        let before = d.threshold();
        d.detect(10.0, 5.0, 60, 30.0);
        assert_eq!(d.threshold(), before);
        for i in 0..100 {
            d.detect(0.0, 5.0, 60, 40.0 + 100.0 * f64::from(i));
        }
        assert_eq!(d.threshold(), 6.0);
    }

    #[test]
    fn the_trend_is_scaled_by_at_most_60_deltas() {
        let mut d = Detector::default();
        d.detect(0.01, 5.0, 30, 0.0);
        assert!((d.modified_trend() - 30.0 * 0.01 * 4.0).abs() < 1e-12);
        d.detect(0.01, 5.0, 500, 1.0);
        assert!((d.modified_trend() - 60.0 * 0.01 * 4.0).abs() < 1e-12);
    }
}
