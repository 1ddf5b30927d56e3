//! The checks of issue 14, as functions of a [`Recording`] that return a [`Verdict`].
//!
//! Definitions (libwebrtc's scenario tests judge the same quantities: a mean of the target
//! rate over a steady window, the delay percentile, the time to adapt):
//!
//! - **settle** ([`settle`]): the mean estimate over 20-30 s of the bottleneck run is within
//!   15% of 1 Mbit/s (850-1150 kbit/s).
//! - **delay** ([`queue_delay`]): every queueing-delay sample over 20-30 s is under 100 ms.
//! - **follow** ([`follow`]): after the drop to 300 kbit/s at 30 s, the first sample whose
//!   estimate is at most 15% over 300 kbit/s (345 kbit/s) comes within 5 s, and the
//!   mean estimate from that deadline (35 s) to the end (45 s) is at most 345 kbit/s too
//!   (so a dip that bounces back up does not count).
//! - **no collapse** ([`no_collapse`]): with 5% random loss on an uncongested 5 Mbit/s
//!   link, the mean estimate over the last 10 s (20-30 s) is at least [`LOSS_FLOOR_BPS`]:
//!   above the 1 Mbit/s the congested run settles at, more than three times the
//!   300 kbit/s start. An estimator that treats random loss as congestion sits near its
//!   minimum instead.
//!
//! A check of a recording too short for its window fails with no value.

use std::fmt;
use std::time::Duration;

use crate::recorder::{Recording, Sample};

/// The capacity the bottleneck run settles at.
pub const SETTLE_BPS: f64 = 1_000_000.0;
/// The capacity after the drop.
pub const DROPPED_BPS: f64 = 300_000.0;
/// The tolerance of settle and follow.
pub const TOLERANCE: f64 = 0.15;
/// The window of settle and delay.
pub const STEADY: (Duration, Duration) = (Duration::from_secs(20), Duration::from_secs(30));
/// The queueing delay limit.
pub const DELAY_LIMIT: Duration = Duration::from_millis(100);
/// When the link drops.
pub const DROP_AT: Duration = Duration::from_secs(30);
/// How long the estimate may take to follow the drop.
pub const FOLLOW_WITHIN: Duration = Duration::from_secs(5);
/// The end of the bottleneck run.
pub const BOTTLENECK_END: Duration = Duration::from_secs(45);
/// The lowest mean estimate over the last 10 s of the loss run that is not a collapse.
pub const LOSS_FLOOR_BPS: f64 = 1_000_000.0;
/// The window of no collapse.
pub const LOSS_WINDOW: (Duration, Duration) = (Duration::from_secs(20), Duration::from_secs(30));

/// Which check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Check {
    /// [`settle`].
    Settle,
    /// [`queue_delay`].
    Delay,
    /// [`follow`].
    Follow,
    /// [`no_collapse`].
    NoCollapse,
}

/// What a check measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Measured {
    /// A mean bitrate, bit/s.
    MeanBitrate(f64),
    /// The largest delay seen.
    MaxDelay(Duration),
    /// The time to follow; `None` when it never did within the run.
    FollowTime(Option<Duration>),
    /// Not enough samples for the check's window.
    NoSamples,
}

/// The outcome of a check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    /// Which check.
    pub check: Check,
    /// What it measured.
    pub measured: Measured,
    /// Whether the criterion holds.
    pub passed: bool,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.check {
            Check::Settle => "settle (mean estimate 20-30 s within 15% of 1000 kbit/s)",
            Check::Delay => "delay (queueing delay 20-30 s under 100 ms)",
            Check::Follow => {
                "follow (estimate <= 345 kbit/s within 5 s of the drop, mean 35-45 s too)"
            }
            Check::NoCollapse => "no collapse (5% loss: mean estimate 20-30 s >= 1000 kbit/s)",
        };
        let value = match self.measured {
            Measured::MeanBitrate(bps) => format!("{:.0} kbit/s", bps / 1000.0),
            Measured::MaxDelay(d) => format!("max {:.1} ms", d.as_secs_f64() * 1000.0),
            Measured::FollowTime(Some(d)) => format!("{:.1} s", d.as_secs_f64()),
            Measured::FollowTime(None) => "never".to_owned(),
            Measured::NoSamples => "no samples".to_owned(),
        };
        let verdict = if self.passed { "PASS" } else { "FAIL" };
        write!(f, "{verdict} {name}: {value}")
    }
}

fn window(r: &Recording, (from, to): (Duration, Duration)) -> impl Iterator<Item = &Sample> {
    r.samples.iter().filter(move |s| s.t >= from && s.t < to)
}

fn mean_estimate(r: &Recording, w: (Duration, Duration)) -> Option<f64> {
    let (n, sum) = window(r, w).fold((0usize, 0.0), |(n, sum), s| (n + 1, sum + s.estimate_bps));
    (n > 0).then(|| sum / n as f64)
}

fn no_samples(check: Check) -> Verdict {
    Verdict {
        check,
        measured: Measured::NoSamples,
        passed: false,
    }
}

/// Settle: the mean estimate over 20-30 s within 15% of 1 Mbit/s.
#[must_use]
pub fn settle(r: &Recording) -> Verdict {
    let Some(mean) = mean_estimate(r, STEADY) else {
        return no_samples(Check::Settle);
    };
    Verdict {
        check: Check::Settle,
        measured: Measured::MeanBitrate(mean),
        passed: (mean - SETTLE_BPS).abs() <= TOLERANCE * SETTLE_BPS,
    }
}

/// Delay: every queueing-delay sample over 20-30 s under 100 ms.
#[must_use]
pub fn queue_delay(r: &Recording) -> Verdict {
    let Some(max) = window(r, STEADY).map(|s| s.queue_delay).max() else {
        return no_samples(Check::Delay);
    };
    Verdict {
        check: Check::Delay,
        measured: Measured::MaxDelay(max),
        passed: max < DELAY_LIMIT,
    }
}

/// Follow: the estimate at most 15% over 300 kbit/s within 5 s of the drop at 30 s, and
/// its mean over 35-45 s as well.
#[must_use]
pub fn follow(r: &Recording) -> Verdict {
    let limit = DROPPED_BPS * (1.0 + TOLERANCE);
    if window(r, (DROP_AT, BOTTLENECK_END)).next().is_none() {
        return no_samples(Check::Follow);
    }
    let first = window(r, (DROP_AT, BOTTLENECK_END + Duration::from_millis(1)))
        .find(|s| s.estimate_bps <= limit)
        .map(|s| s.t - DROP_AT);
    let after = mean_estimate(
        r,
        (
            DROP_AT + FOLLOW_WITHIN,
            BOTTLENECK_END + Duration::from_millis(1),
        ),
    );
    Verdict {
        check: Check::Follow,
        measured: Measured::FollowTime(first),
        passed: first.is_some_and(|d| d <= FOLLOW_WITHIN) && after.is_some_and(|m| m <= limit),
    }
}

/// No collapse: with 5% loss, the mean estimate over 20-30 s at least
/// [`LOSS_FLOOR_BPS`].
#[must_use]
pub fn no_collapse(r: &Recording) -> Verdict {
    let Some(mean) = mean_estimate(r, (LOSS_WINDOW.0, LOSS_WINDOW.1 + Duration::from_millis(1)))
    else {
        return no_samples(Check::NoCollapse);
    };
    Verdict {
        check: Check::NoCollapse,
        measured: Measured::MeanBitrate(mean),
        passed: mean >= LOSS_FLOOR_BPS,
    }
}

/// The checks that apply to `r`'s scenario: settle, delay and follow for the bottleneck
/// run, no collapse for the loss run.
#[must_use]
pub fn verdicts(r: &Recording) -> Vec<Verdict> {
    match r.kind {
        crate::ScenarioKind::Bottleneck => vec![settle(r), queue_delay(r), follow(r)],
        crate::ScenarioKind::Loss => vec![no_collapse(r)],
    }
}
