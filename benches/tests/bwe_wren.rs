//! Issue 14's bandwidth-estimation scenarios with two wren-media peers in frame mode
//! (`wren_benches::bwe::wren_run`: wren-rtc peers negotiated with SDP, the sender a perfect
//! 30 fps VP8 encoder following the congestion controller's target, on wren-netsim):
//! a 1 Mbit/s bottleneck with a 50-packet queue, which drops to 300 kbit/s at 30 s; 5%
//! random loss on an uncongested 5 Mbit/s link. Every check of `wren_bwe_scenario::checks`
//! must pass (the module defines them: the estimate's mean over 20-30 s within 15% of
//! 1 Mbit/s, the queueing delay under 100 ms over 20-30 s, within 15% of 300 kbit/s or
//! under it within 5 s of the drop, and with 5% loss no collapse).
//!
//! Each test runs the str0m 0.25 baseline on the same scenario too and writes
//! `bwe_<scenario>.png` (both stacks in the same panels) and a CSV per stack under the
//! target dir (`CARGO_TARGET_TMPDIR`), and prints both stacks' verdicts
//! (`--nocapture`).

use std::path::Path;
use std::time::Instant;

use wren_benches::bwe::{str0m_run, wren_run};
use wren_benches::str0m_peer::FPS;
use wren_bwe_scenario::{Scenario, checks, report};

#[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
fn t0() -> Instant {
    Instant::now()
}

fn run(scenario: &Scenario, seed: u64, title: &str) {
    let name = scenario.kind.as_str();
    let wren = wren_run(scenario, seed, t0()).expect("the wren-media run");
    let rec = &wren.recording;
    println!(
        "{name}: wren-media connected after {:?} of virtual time; sender {:?}; receiver {:?}",
        wren.connect_time, wren.sender, wren.receiver
    );
    println!(
        "{name}: wren-media controller {:?}; dropped at the bottleneck: {} queue-full, {} random loss",
        wren.media.gcc, wren.queue_full, wren.lost
    );
    let expected = (scenario.duration.as_millis() / 100) as usize;
    assert_eq!(rec.samples.len(), expected, "a sample every 100 ms");
    let frames = u64::from(FPS) * scenario.duration.as_secs();
    let (ss, rs) = (wren.sender, wren.receiver);
    assert!(
        ss.frames_written + ss.frames_refused >= frames,
        "30 fps throughout: {ss:?}"
    );
    assert!(
        ss.estimates > 0 && wren.media.feedback > 0,
        "feedback moved the target"
    );
    assert!(
        rs.frames_received > ss.frames_written / 2,
        "frames arrived: {ss:?} {rs:?}"
    );

    let str0m = str0m_run(scenario, seed, t0()).expect("the str0m run");
    let verdicts = checks::verdicts(rec);
    for v in &verdicts {
        println!("{name}: wren-media {v}");
    }
    for v in checks::verdicts(&str0m.recording) {
        println!("{name}: str0m      {v}");
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    report::write_csv(dir, rec).expect("wren's CSV");
    report::write_csv(dir, &str0m.recording).expect("str0m's CSV");
    let png = report::write_png(dir, "wren-media_and_str0m", title, &[rec, &str0m.recording])
        .expect("the PNG");
    println!("{name}: wrote {}", png.display());
    let failed: Vec<String> = verdicts
        .iter()
        .filter(|v| !v.passed)
        .map(ToString::to_string)
        .collect();
    assert!(failed.is_empty(), "wren-media fails: {failed:?}");
}

#[test]
fn the_estimate_settles_near_a_1_mbit_bottleneck_keeps_its_queue_short_and_follows_a_drop() {
    run(
        &Scenario::bottleneck(),
        1,
        "1 Mbit/s bottleneck (50 packets), 300 kbit/s from 30 s: wren-media and str0m 0.25",
    );
}

#[test]
fn five_percent_random_loss_does_not_collapse_the_estimate() {
    run(
        &Scenario::loss(),
        2,
        "5 Mbit/s with 5% random loss: wren-media and str0m 0.25",
    );
}
