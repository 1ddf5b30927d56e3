//! Parsing one typical browser offer (the Chromium 156 offer of wren-sdp's corpus: 174
//! lines, audio, video with VP8/VP9/H.264/AV1/RTX/RED/ulpfec, data) with each Rust SDP
//! parser, into its own model: wren-sdp (`Session::parse`, typed attributes, lossless),
//! `sdp-types` 0.3 (`Session::parse`, attributes as untyped name/value), str0m 0.25 (its
//! `sdp` module is private; `change::SdpOffer::from_sdp_string` is its parser, `Sdp::parse`,
//! behind the public API), `rtc-sdp` 0.21 and webrtc-rs's `sdp` 0.17
//! (`SessionDescription::unmarshal` from a `Cursor`, attributes untyped) and Mozilla's
//! `webrtc-sdp` 0.3 (`parse_sdp`, typed, `fail_on_warning` false).
//!
//! Every parser gets the same `&str` (or its bytes); what a parser returns is dropped
//! inside the timed part (building and freeing the model is the cost). Before timing, each
//! parser must accept the offer; one that refuses it is reported, not timed.
//!
//! After the criterion group, every parser is timed again in 200 alternating rounds of 64
//! parses and the fastest round of each is kept (ns per parse), the least disturbed figure
//! on a shared machine. `cargo bench -p wren-benches --bench sdp` prints the medians, the
//! paired minimums and the ratios to wren-sdp, and writes them to `<target>/sdp.md`.

use std::hint::black_box;
use std::io::Cursor;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use wren_benches::criterion_report::{median, publish};

const OFFER: &str = include_str!("../../proto/sdp/tests/corpus/chromium-156-offer.sdp");
const GROUP: &str = "sdp_parse";
const ROUNDS: usize = 200;
const BATCH: usize = 64;

type Parse = fn(&str) -> bool;

/// The parsers, by name: each parses the text and says whether it accepted it.
const PARSERS: [(&str, Parse); 6] = [
    ("wren-sdp", |t| {
        wren_sdp::Session::parse(black_box(t)).is_ok()
    }),
    ("sdp-types", |t| {
        sdp_types::Session::parse(black_box(t.as_bytes())).is_ok()
    }),
    ("str0m", |t| {
        str0m::change::SdpOffer::from_sdp_string(black_box(t)).is_ok()
    }),
    ("rtc-sdp", |t| {
        rtc_sdp::description::session::SessionDescription::unmarshal(&mut Cursor::new(black_box(
            t.as_bytes(),
        )))
        .is_ok()
    }),
    ("webrtc-rs-sdp", |t| {
        webrtc_rs_sdp::description::session::SessionDescription::unmarshal(&mut Cursor::new(
            black_box(t.as_bytes()),
        ))
        .is_ok()
    }),
    ("webrtc-sdp", |t| {
        webrtc_sdp::parse_sdp(black_box(t), false).is_ok()
    }),
];

fn accepted() -> Vec<(&'static str, Parse)> {
    PARSERS.into_iter().filter(|(_, p)| p(OFFER)).collect()
}

fn group(c: &mut Criterion) {
    let mut g = c.benchmark_group(GROUP);
    g.throughput(Throughput::Bytes(OFFER.len() as u64));
    for (name, parse) in accepted() {
        g.bench_function(name, |b| b.iter(|| parse(OFFER)));
    }
    g.finish();
}

/// Fastest round of `BATCH` parses, per parser, over `ROUNDS` alternating rounds.
fn paired() -> Vec<(&'static str, f64)> {
    let parsers = accepted();
    let mut best = vec![Duration::MAX; parsers.len()];
    for _ in 0..ROUNDS {
        for (i, (_, parse)) in parsers.iter().enumerate() {
            let t = Instant::now();
            for _ in 0..BATCH {
                black_box(parse(OFFER));
            }
            best[i] = best[i].min(t.elapsed());
        }
    }
    parsers
        .iter()
        .zip(best)
        .map(|((n, _), d)| (*n, d.as_nanos() as f64 / BATCH as f64))
        .collect()
}

fn report(target: &Path, paired: &[(&str, f64)]) -> String {
    let lines = OFFER.lines().count();
    let mut out = format!(
        "SDP parse of the Chromium 156 offer ({} bytes, {lines} lines), into each parser's model.\n\n\
         | parser | criterion median, us | paired min, us | time / wren-sdp (paired) |\n\
         | --- | --- | --- | --- |\n",
        OFFER.len()
    );
    let wren = paired.iter().find(|(n, _)| *n == "wren-sdp").map(|p| p.1);
    for (name, parse) in PARSERS {
        let Some(&(_, min)) = paired.iter().find(|(n, _)| *n == name) else {
            let why = if parse(OFFER) {
                "not measured"
            } else {
                "refuses the offer"
            };
            out.push_str(&format!("| {name} | {why} | | |\n"));
            continue;
        };
        let med = median(target, GROUP, name)
            .map_or_else(|| "-".to_string(), |m| format!("{:.2}", m / 1000.0));
        let ratio = wren.map_or_else(|| "-".to_string(), |w| format!("{:.1}x", min / w));
        out.push_str(&format!(
            "| {name} | {med} | {:.2} | {ratio} |\n",
            min / 1000.0
        ));
    }
    out
}

fn main() {
    for (name, parse) in PARSERS {
        if !parse(OFFER) {
            eprintln!("{name} refuses the offer: not timed");
        }
    }
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    group(&mut c);
    c.final_summary();
    let bench = std::env::args().any(|a| a == "--bench");
    let measured = if bench { paired() } else { Vec::new() };
    publish("sdp.md", |target| report(target, &measured));
}
