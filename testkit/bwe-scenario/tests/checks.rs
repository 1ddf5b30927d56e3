//! The checks on made-up recordings whose right verdict is known.

use std::time::Duration;

use wren_bwe_scenario::{Check, Measured, Recording, Sample, ScenarioKind, checks};

/// A recording of `kind`, a sample every 100 ms up to `end_s`, the estimate and delay
/// from functions of the time in seconds.
fn made_up(
    kind: ScenarioKind,
    end_s: u32,
    estimate: impl Fn(f64) -> f64,
    delay_ms: impl Fn(f64) -> u64,
) -> Recording {
    let samples = (1..=end_s * 10)
        .map(|i| {
            let t = Duration::from_millis(u64::from(i) * 100);
            let s = t.as_secs_f64();
            Sample {
                t,
                estimate_bps: estimate(s),
                send_bps: estimate(s),
                queue_delay: Duration::from_millis(delay_ms(s)),
                capacity_bps: if s < 30.0 { 1e6 } else { 3e5 },
            }
        })
        .collect();
    Recording {
        kind,
        stack: "test".into(),
        samples,
    }
}

fn bottleneck(estimate: impl Fn(f64) -> f64, delay_ms: impl Fn(f64) -> u64) -> Recording {
    made_up(ScenarioKind::Bottleneck, 45, estimate, delay_ms)
}

#[test]
fn settle_judges_the_mean_of_20_to_30_s_against_15_percent_of_1_mbit() {
    let ok = bottleneck(|t| if t < 20.0 { 300e3 } else { 1.1e6 }, |_| 0);
    let v = checks::settle(&ok);
    assert_eq!(v.check, Check::Settle);
    assert!(v.passed, "{v}");
    assert!(matches!(v.measured, Measured::MeanBitrate(m) if (m - 1.1e6).abs() < 1.0));
    // Oscillating 700k / 1300k: mean 1 Mbit/s, settles by this definition.
    let swing = bottleneck(
        |t| {
            if (t * 10.0) as u64 % 2 == 0 {
                7e5
            } else {
                1.3e6
            }
        },
        |_| 0,
    );
    assert!(checks::settle(&swing).passed);
    let low = bottleneck(|_| 8.4e5, |_| 0);
    assert!(!checks::settle(&low).passed, "16% under");
    let short = made_up(ScenarioKind::Bottleneck, 15, |_| 1e6, |_| 0);
    assert_eq!(checks::settle(&short).measured, Measured::NoSamples);
    assert!(!checks::settle(&short).passed);
}

#[test]
fn delay_fails_on_one_sample_of_100_ms_in_the_window_only() {
    let before = bottleneck(|_| 1e6, |t| if t < 19.0 { 400 } else { 60 });
    let v = checks::queue_delay(&before);
    assert!(v.passed, "{v}");
    assert_eq!(v.measured, Measured::MaxDelay(Duration::from_millis(60)));
    let spike = bottleneck(
        |_| 1e6,
        |t| if (25.0..25.05).contains(&t) { 100 } else { 10 },
    );
    assert!(
        !checks::queue_delay(&spike).passed,
        "100 ms is not under 100 ms"
    );
    let after = bottleneck(|_| 1e6, |t| if t >= 30.0 { 900 } else { 10 });
    assert!(
        checks::queue_delay(&after).passed,
        "after the drop is not judged"
    );
}

#[test]
fn follow_measures_the_time_from_the_drop_to_345_kbit_and_wants_it_to_stay() {
    let three = bottleneck(|t| if t < 33.0 { 1e6 } else { 2.9e5 }, |_| 0);
    let v = checks::follow(&three);
    assert!(v.passed, "{v}");
    let Measured::FollowTime(Some(d)) = v.measured else {
        panic!("{v:?}");
    };
    assert!((d.as_secs_f64() - 3.0).abs() < 1e-9, "{d:?}");
    let late = bottleneck(|t| if t < 36.0 { 1e6 } else { 2.9e5 }, |_| 0);
    assert!(!checks::follow(&late).passed);
    let bounce = bottleneck(|t| if (31.0..32.0).contains(&t) { 2e5 } else { 1e6 }, |_| 0);
    let v = checks::follow(&bounce);
    assert!(!v.passed, "a dip that goes back up: {v}");
    let never = bottleneck(|_| 1e6, |_| 0);
    assert_eq!(checks::follow(&never).measured, Measured::FollowTime(None));
}

#[test]
fn no_collapse_wants_a_mean_of_1_mbit_over_the_last_10_s_of_the_loss_run() {
    let held = made_up(ScenarioKind::Loss, 30, |t| 3e5 + t * 1e5, |_| 0);
    let v = checks::no_collapse(&held);
    assert!(v.passed, "{v}");
    let collapsed = made_up(
        ScenarioKind::Loss,
        30,
        |t| if t < 5.0 { 1e6 } else { 1e5 },
        |_| 0,
    );
    assert!(!checks::no_collapse(&collapsed).passed);
    assert_eq!(checks::verdicts(&held).len(), 1);
    assert_eq!(
        checks::verdicts(&bottleneck(|_| 1e6, |_| 0))
            .iter()
            .map(|v| v.check)
            .collect::<Vec<_>>(),
        [Check::Settle, Check::Delay, Check::Follow]
    );
}
