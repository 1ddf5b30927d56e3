//! The trendline filter (draft-ietf-rmcat-gcc-02 section 5.3 as libwebrtc replaced the
//! Kalman filter with it): the delay variations between packet groups are summed into an
//! accumulated delay, smoothed exponentially (coefficient 0.9), and a least-squares line
//! is fitted through the last 20 (arrival time, smoothed delay) points. Its slope, the
//! delay trend, says whether the bottleneck queue grows (positive) or drains (negative).

/// Points the line is fitted through.
pub(crate) const WINDOW: usize = 20;
/// Exponential smoothing of the accumulated delay.
const SMOOTHING: f64 = 0.9;
/// Deltas counted at most (the detector scales the trend by at most 60 of them).
const MAX_DELTAS: u32 = 1000;

/// The filter's state.
#[derive(Debug)]
pub(crate) struct Trendline {
    points: [(f64, f64); WINDOW],
    len: usize,
    next: usize,
    first_arrival_us: Option<i64>,
    accumulated_ms: f64,
    smoothed_ms: f64,
    deltas: u32,
    trend: f64,
}

impl Default for Trendline {
    fn default() -> Self {
        Trendline {
            points: [(0.0, 0.0); WINDOW],
            len: 0,
            next: 0,
            first_arrival_us: None,
            accumulated_ms: 0.0,
            smoothed_ms: 0.0,
            deltas: 0,
            trend: 0.0,
        }
    }
}

impl Trendline {
    /// Takes one group delay variation (`delay_ms`, arrival delta minus send delta) seen
    /// at `arrival_us`; returns the trend (the last one while the window fills).
    pub(crate) fn update(&mut self, delay_ms: f64, arrival_us: i64) -> f64 {
        self.deltas = (self.deltas + 1).min(MAX_DELTAS);
        let first = *self.first_arrival_us.get_or_insert(arrival_us);
        self.accumulated_ms += delay_ms;
        self.smoothed_ms = SMOOTHING * self.smoothed_ms + (1.0 - SMOOTHING) * self.accumulated_ms;
        let x = (arrival_us - first) as f64 / 1000.0;
        self.points[self.next] = (x, self.smoothed_ms);
        self.next = (self.next + 1) % WINDOW;
        self.len = (self.len + 1).min(WINDOW);
        if self.len == WINDOW
            && let Some(slope) = slope(&self.points)
        {
            self.trend = slope;
        }
        self.trend
    }

    /// The delay variations taken so far (at most 1000).
    pub(crate) fn deltas(&self) -> u32 {
        self.deltas
    }

    /// The last trend.
    pub(crate) fn trend(&self) -> f64 {
        self.trend
    }
}

/// The least-squares slope of `y` over `x`; `None` when every `x` is the same.
pub(crate) fn slope(points: &[(f64, f64)]) -> Option<f64> {
    if points.is_empty() {
        return None;
    }
    let n = points.len() as f64;
    let (sx, sy) = points
        .iter()
        .fold((0.0, 0.0), |(sx, sy), (x, y)| (sx + x, sy + y));
    let (mx, my) = (sx / n, sy / n);
    let (num, den) = points.iter().fold((0.0, 0.0), |(num, den), (x, y)| {
        (num + (x - mx) * (y - my), den + (x - mx) * (x - mx))
    });
    (den != 0.0).then(|| num / den)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slope_of_a_line_is_its_gradient() {
        let pts: Vec<(f64, f64)> = (0..20).map(|i| (i as f64, 3.0 + 0.5 * i as f64)).collect();
        let s = slope(&pts).expect("distinct x");
        assert!((s - 0.5).abs() < 1e-12, "{s}");
        assert_eq!(slope(&[(1.0, 2.0), (1.0, 5.0)]), None);
    }

    #[test]
    fn constant_delay_has_no_trend() {
        let mut t = Trendline::default();
        for i in 0..100 {
            t.update(0.0, i * 20_000);
        }
        assert_eq!(t.trend(), 0.0);
    }

    #[test]
    fn a_growing_queue_gives_a_positive_trend_and_a_draining_one_negative() {
        // Each group arrives 1 ms later than sent apart, every 20 ms: the queue grows by
        // 1 ms per 20 ms. The smoothed accumulated delay then rises ~0.05 ms per ms.
        let mut t = Trendline::default();
        let mut trend = 0.0;
        for i in 0..200 {
            trend = t.update(1.0, i * 20_000);
        }
        assert!((trend - 0.05).abs() < 0.005, "growing: {trend}");
        for i in 200..400 {
            trend = t.update(-1.0, i * 20_000);
        }
        assert!((trend + 0.05).abs() < 0.005, "draining: {trend}");
    }

    #[test]
    fn no_trend_until_the_window_is_full() {
        let mut t = Trendline::default();
        for i in 0..(WINDOW as i64 - 1) {
            assert_eq!(t.update(5.0, i * 10_000), 0.0);
        }
        assert!(t.update(5.0, WINDOW as i64 * 10_000) > 0.0);
        assert_eq!(t.deltas(), WINDOW as u32);
    }
}
