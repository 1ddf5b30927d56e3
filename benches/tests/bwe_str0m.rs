//! The str0m 0.25 baseline of issue 14's bandwidth-estimation scenarios
//! (`wren_benches::bwe::str0m_run`: two str0m `Rtc`s in frame mode, the sender a perfect
//! 30 fps VP8 encoder following str0m's TWCC estimate, on wren-netsim) through the
//! scenarios of `wren-bwe-scenario`: a 1 Mbit/s bottleneck with a 50-packet queue dropping
//! to 300 kbit/s at 30 s; 5% random loss on an uncongested 5 Mbit/s link.
//!
//! Each test writes `bwe_<scenario>_str0m.csv` and `.png` under the target dir
//! (`CARGO_TARGET_TMPDIR`) and prints the verdicts of issue 14's checks (run with
//! `--nocapture`). It asserts that the run happened (connected, frames flowed, estimates
//! came, every sample taken), not that str0m meets our criteria: it is the baseline.

use std::path::Path;
use std::time::Instant;

use wren_benches::bwe::str0m_run;
use wren_benches::str0m_peer::FPS;
use wren_bwe_scenario::{Scenario, checks, report};

#[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
fn t0() -> Instant {
    Instant::now()
}

/// Runs, checks the run happened, prints the verdicts and writes CSV and PNG.
fn baseline(scenario: &Scenario, seed: u64, title: &str) {
    let run = str0m_run(scenario, seed, t0()).expect("the str0m run");
    let rec = &run.recording;
    let name = scenario.kind.as_str();
    let (ss, rs) = (run.sender, run.receiver);
    println!(
        "{name}: str0m connected after {:?} of virtual time",
        run.connect_time
    );
    println!("{name}: str0m sender {ss:?}");
    println!("{name}: str0m receiver {rs:?}");
    println!(
        "{name}: dropped at the bottleneck: {} queue-full, {} random loss",
        run.queue_full, run.lost
    );
    let expected = (scenario.duration.as_millis() / 100) as usize;
    assert_eq!(rec.samples.len(), expected, "a sample every 100 ms");
    let frames = u64::from(FPS) * scenario.duration.as_secs();
    assert!(
        ss.frames_written >= frames,
        "30 fps for the whole run: {ss:?}"
    );
    assert!(ss.estimates > 0, "str0m reported estimates: {ss:?}");
    assert!(
        rs.frames_received > ss.frames_written / 2,
        "frames reached the receiver: {ss:?} {rs:?}"
    );
    for v in checks::verdicts(rec) {
        println!("{name}: str0m {v}");
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let csv = report::write_csv(dir, rec).expect("the CSV is written");
    let png = report::write_png(dir, "str0m", title, &[rec]).expect("the PNG is written");
    println!("{name}: wrote {} and {}", csv.display(), png.display());
}

#[test]
fn str0m_bottleneck_baseline() {
    baseline(
        &Scenario::bottleneck(),
        14,
        "str0m 0.25: 1 Mbit/s bottleneck (50-packet queue, 25 ms), 300 kbit/s from 30 s",
    );
}

#[test]
fn str0m_loss_baseline() {
    baseline(
        &Scenario::loss(),
        15,
        "str0m 0.25: 5 Mbit/s with 5% random loss, 25 ms",
    );
}
