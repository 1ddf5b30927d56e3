//! AIMD rate control (draft-ietf-rmcat-gcc-02 section 5.5, as libwebrtc's
//! `AimdRateControl` runs it): the detector's signal drives a three-state machine
//! (Increase, Hold, Decrease). On over-use the rate drops to 0.85 of the acknowledged
//! bitrate; otherwise it grows multiplicatively (8% per second) while the link capacity
//! is unknown, and additively (about one packet per response time) once a decrease has
//! shown where it is, and never past 1.5 times the acknowledged bitrate plus 10 kbit/s.

use std::time::Duration;

use super::detector::BandwidthUsage;

/// The decrease factor on over-use.
pub(crate) const BETA: f64 = 0.85;
/// Multiplicative increase per second, far from convergence.
const MULTIPLICATIVE_PER_SECOND: f64 = 1.08;
/// The frame rate and packet size the additive step assumes.
const ASSUMED_FPS: f64 = 30.0;
const ASSUMED_PACKET_BITS: f64 = 1200.0 * 8.0;
/// Slowest additive increase, bit/s per second.
const MIN_ADDITIVE_BPS_PER_SECOND: f64 = 4_000.0;

/// The AIMD state (section 5.5, figure 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Hold,
    Increase,
    Decrease,
}

/// Where the link capacity lies, learned from the acknowledged bitrate at each
/// over-use: a mean and a deviation in kbit/s (libwebrtc's `LinkCapacityEstimator`).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct LinkCapacity {
    estimate_kbps: Option<f64>,
    deviation: f64,
}

impl LinkCapacity {
    fn update(&mut self, sample_bps: f64, alpha: f64) {
        let sample = sample_bps / 1000.0;
        let estimate = match self.estimate_kbps {
            None => sample,
            Some(e) => (1.0 - alpha) * e + alpha * sample,
        };
        let norm = estimate.max(1.0);
        let error = estimate - sample;
        self.deviation =
            ((1.0 - alpha) * self.deviation + alpha * error * error / norm).clamp(0.4, 2.5);
        self.estimate_kbps = Some(estimate);
    }

    fn deviation_kbps(&self, estimate: f64) -> f64 {
        (self.deviation * estimate).sqrt()
    }

    fn upper_bps(&self) -> Option<f64> {
        self.estimate_kbps
            .map(|e| (e + 3.0 * self.deviation_kbps(e)) * 1000.0)
    }

    fn lower_bps(&self) -> Option<f64> {
        self.estimate_kbps
            .map(|e| (e - 3.0 * self.deviation_kbps(e)).max(0.0) * 1000.0)
    }

    /// The estimate in bit/s, once an over-use has given one.
    pub(crate) fn estimate_bps(&self) -> Option<f64> {
        self.estimate_kbps.map(|e| e * 1000.0)
    }
}

/// The rate controller.
#[derive(Debug)]
pub(crate) struct Aimd {
    bitrate: f64,
    min: f64,
    max: f64,
    state: State,
    link: LinkCapacity,
    /// Seconds (on the sender's clock, from the controller's anchor).
    last_change: Option<f64>,
    last_decrease: Option<f64>,
    rtt: Duration,
}

impl Aimd {
    /// Starts at `start` bit/s, kept within `min..=max`.
    pub(crate) fn new(start: f64, min: f64, max: f64) -> Aimd {
        Aimd {
            bitrate: start.clamp(min, max),
            min,
            max,
            state: State::Increase,
            link: LinkCapacity::default(),
            last_change: None,
            last_decrease: None,
            rtt: Duration::from_millis(200),
        }
    }

    /// The current estimate, bit/s.
    pub(crate) fn bitrate(&self) -> f64 {
        self.bitrate
    }

    /// The link capacity learned so far.
    pub(crate) fn link(&self) -> LinkCapacity {
        self.link
    }

    /// The round trip (the additive step is one packet per RTT + 100 ms).
    pub(crate) fn set_rtt(&mut self, rtt: Duration) {
        self.rtt = rtt;
    }

    /// New bounds for the estimate (kept within them from now on).
    pub(crate) fn set_bounds(&mut self, min: f64, max: f64) {
        self.min = min;
        self.max = max.max(min);
        self.bitrate = self.bitrate.clamp(self.min, self.max);
    }

    /// Sets the estimate outright (a probe's result).
    pub(crate) fn set_estimate(&mut self, bps: f64, now_s: f64) {
        self.bitrate = bps.clamp(self.min, self.max);
        self.last_change = Some(now_s);
    }

    /// Whether a further decrease is due: a round trip (10..200 ms) since the last one,
    /// or the acknowledged rate fell under half the estimate.
    pub(crate) fn time_to_reduce_further(&self, now_s: f64, acked: f64) -> bool {
        let interval = self.rtt.as_secs_f64().clamp(0.010, 0.200);
        self.last_decrease.is_none_or(|t| now_s - t >= interval) || acked < self.bitrate / 2.0
    }

    /// Runs the state machine on the detector's `usage` with the acknowledged bitrate
    /// (when known) at `now_s`; returns the new estimate.
    pub(crate) fn update(&mut self, usage: BandwidthUsage, acked: Option<f64>, now_s: f64) -> f64 {
        self.state = match (usage, self.state) {
            (BandwidthUsage::Normal, State::Hold) => {
                self.last_change = Some(now_s);
                State::Increase
            }
            (BandwidthUsage::Normal, s) => s,
            (BandwidthUsage::Overusing, _) => State::Decrease,
            (BandwidthUsage::Underusing, _) => State::Hold,
        };
        let acked_bps = acked.unwrap_or(self.bitrate);
        match self.state {
            State::Hold => {}
            State::Increase => {
                if self.link.upper_bps().is_some_and(|u| acked_bps > u) {
                    self.link = LinkCapacity::default();
                }
                let limit = 1.5 * acked_bps + 10_000.0;
                if self.bitrate < limit {
                    let dt = self.last_change.map_or(0.0, |t| (now_s - t).max(0.0));
                    let step = if self.link.estimate_bps().is_some() {
                        self.additive_step(dt)
                    } else {
                        self.multiplicative_step(dt)
                    };
                    self.bitrate = (self.bitrate + step).min(limit);
                }
                self.last_change = Some(now_s);
            }
            State::Decrease => {
                if acked.is_some() {
                    let mut decreased = BETA * acked_bps;
                    if decreased > self.bitrate
                        && let Some(link) = self.link.estimate_bps()
                    {
                        decreased = BETA * link;
                    }
                    if decreased < self.bitrate {
                        self.bitrate = decreased;
                    }
                    if self.link.lower_bps().is_some_and(|l| acked_bps < l) {
                        self.link = LinkCapacity::default();
                    }
                    self.link.update(acked_bps, 0.05);
                }
                self.state = State::Hold;
                self.last_change = Some(now_s);
                self.last_decrease = Some(now_s);
            }
        }
        self.bitrate = self.bitrate.clamp(self.min, self.max);
        self.bitrate
    }

    /// 8% per second of the current rate, at least 1 kbit/s.
    fn multiplicative_step(&self, dt: f64) -> f64 {
        let alpha = MULTIPLICATIVE_PER_SECOND.powf(dt.min(1.0));
        (self.bitrate * (alpha - 1.0)).max(1_000.0)
    }

    /// About one average packet per response time (RTT + 100 ms), at least 4 kbit/s per
    /// second.
    fn additive_step(&self, dt: f64) -> f64 {
        let bits_per_frame = self.bitrate / ASSUMED_FPS;
        let packets_per_frame = (bits_per_frame / ASSUMED_PACKET_BITS).ceil().max(1.0);
        let packet_bits = bits_per_frame / packets_per_frame;
        let response = self.rtt.as_secs_f64() + 0.1;
        (packet_bits / response).max(MIN_ADDITIVE_BPS_PER_SECOND) * dt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overuse_decreases_to_beta_times_acked_and_then_holds() {
        let mut a = Aimd::new(1_000_000.0, 10_000.0, 10_000_000.0);
        let r = a.update(BandwidthUsage::Overusing, Some(900_000.0), 1.0);
        assert_eq!(r, 0.85 * 900_000.0);
        // Hold: another normal signal moves to Increase without a step at that instant.
        let r2 = a.update(BandwidthUsage::Normal, Some(900_000.0), 1.0);
        assert_eq!(r2, r);
        assert!(
            a.link().estimate_bps().is_some(),
            "a decrease learns the capacity"
        );
    }

    #[test]
    fn far_from_convergence_the_increase_is_8_percent_per_second() {
        let mut a = Aimd::new(500_000.0, 10_000.0, 10_000_000.0);
        a.update(BandwidthUsage::Normal, Some(500_000.0), 0.0);
        // The first update adds the 1 kbit/s floor; a second later, 8%.
        assert_eq!(a.bitrate(), 501_000.0);
        let r = a.update(BandwidthUsage::Normal, Some(500_000.0), 1.0);
        assert!((r - 1.08 * 501_000.0).abs() < 1e-6, "{r}");
        // The step counts at most one second.
        let r2 = a.update(BandwidthUsage::Normal, Some(500_000.0), 11.0);
        assert!((r2 - 1.08 * r).abs() < 1e-6, "{r2}");
    }

    #[test]
    fn near_convergence_the_increase_is_additive() {
        let mut a = Aimd::new(1_000_000.0, 10_000.0, 10_000_000.0);
        a.set_rtt(Duration::from_millis(100));
        a.update(BandwidthUsage::Overusing, Some(1_000_000.0), 0.0); // -> 850k, capacity ~1M
        a.update(BandwidthUsage::Normal, Some(850_000.0), 0.0); // Hold -> Increase
        let r = a.update(BandwidthUsage::Normal, Some(850_000.0), 1.0);
        // 850k/30 = 28.3 kbit a frame, 3 packets of 9.44 kbit, over 0.2 s: 47.2 kbit/s.
        let step = 850_000.0 / 30.0 / 3.0 / 0.2;
        assert!((r - (850_000.0 + step)).abs() < 1e-6, "{r}");
        assert!(
            step < 0.08 * 850_000.0,
            "smaller than the multiplicative step"
        );
    }

    #[test]
    fn increase_is_capped_by_the_acknowledged_rate_and_underuse_holds() {
        let mut a = Aimd::new(100_000.0, 10_000.0, 10_000_000.0);
        a.update(BandwidthUsage::Normal, Some(50_000.0), 0.0);
        assert_eq!(
            a.update(BandwidthUsage::Normal, Some(50_000.0), 1.0),
            100_000.0,
            "over 85k cap: unchanged"
        );
        let mut a = Aimd::new(100_000.0, 10_000.0, 10_000_000.0);
        a.update(BandwidthUsage::Underusing, Some(100_000.0), 0.0);
        assert_eq!(
            a.update(BandwidthUsage::Underusing, Some(100_000.0), 5.0),
            100_000.0
        );
    }

    #[test]
    fn the_estimate_stays_within_min_and_max() {
        let mut a = Aimd::new(50_000.0, 40_000.0, 60_000.0);
        assert_eq!(
            a.update(BandwidthUsage::Overusing, Some(10_000.0), 0.0),
            40_000.0
        );
        let mut a = Aimd::new(50_000.0, 40_000.0, 60_000.0);
        for t in 0..10 {
            a.update(BandwidthUsage::Normal, Some(50_000.0), f64::from(t));
        }
        assert_eq!(a.bitrate(), 60_000.0);
    }

    #[test]
    fn further_decreases_wait_a_round_trip() {
        let mut a = Aimd::new(1_000_000.0, 10_000.0, 10_000_000.0);
        a.set_rtt(Duration::from_millis(50));
        a.update(BandwidthUsage::Overusing, Some(1_000_000.0), 1.0);
        assert!(!a.time_to_reduce_further(1.02, 800_000.0));
        assert!(a.time_to_reduce_further(1.05, 800_000.0));
        assert!(
            a.time_to_reduce_further(1.02, 400_000.0),
            "acked under half"
        );
    }
}
