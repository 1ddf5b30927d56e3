//! Frame mode, per codec: wren-media's `MediaPeer` beside str0m 0.25's `Rtc`, two peers
//! of each connected in memory (`src/frame/`). One iteration is one encoded frame written
//! on the sender and read whole, byte for byte as written, on the receiver, everything
//! in between included: packetize, pace, transport-wide numbering, SRTP protect
//! (AES-256-GCM on both), ICE and demultiplexing, SRTP unprotect, jitter buffer and
//! depacketize, and the timers that come due as virtual time moves one frame interval
//! per frame (RTCP, transport-wide feedback into the estimator, ICE consent).
//!
//! Both run their estimator and pacer, started and capped at 50 Mbit/s so that no pacer
//! holds a frame back (wren-media: `GccConfig` start = max, no initial probes; str0m:
//! `enable_bwe` at that rate, `set_bitrate(0, 50 Mbit/s)`). Frames are synthetic, the
//! same bytes for both: VP8 (12 KB keyframe every 30 frames, 4-6 KB deltas, 30 fps) and
//! Opus (80-160 bytes, 20 ms). Setup and 60 warm-up frames are not timed.
//!
//! str0m's packetizers are private (`mod packet`), so this is the only place they can
//! be put beside ours. `cargo bench -p wren-benches --bench frame` prints the medians
//! per frame and the ratios and writes them to `<target>/frame.md`.
//! `tests/frame_pairs.rs` checks that every frame arrives intact on both.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::Criterion;
use wren_benches::criterion_report::{median, publish};
use wren_benches::frame::{Codec, Str0mBwe, Str0mFramePair, WrenFramePair};

const WREN: &str = "wren-media";
const STR0M: &str = "str0m";
const STR0M_NO_BWE: &str = "str0m without BWE";
/// Frames sent before timing (the jitter buffers and estimators settle).
const WARM_UP: usize = 60;

fn group(codec: Codec) -> String {
    format!("frame_{}", codec.name())
}

#[allow(clippy::disallowed_methods)] // the anchor of the virtual clock
fn wall() -> Instant {
    Instant::now()
}

fn bench(c: &mut Criterion) {
    for codec in Codec::ALL {
        let mut g = c.benchmark_group(group(codec));
        let mut w = WrenFramePair::connect(wall(), codec, WARM_UP).expect("wren-media pair");
        g.bench_function(WREN, |b| {
            b.iter(|| assert!(black_box(w.send_one().expect("frame"))))
        });
        let mut s = Str0mFramePair::connect(wall(), codec, Str0mBwe::On, WARM_UP).expect("str0m");
        g.bench_function(STR0M, |b| {
            b.iter(|| assert!(black_box(s.send_one().expect("frame"))))
        });
        let mut o = Str0mFramePair::connect(wall(), codec, Str0mBwe::Off, WARM_UP).expect("str0m");
        g.bench_function(STR0M_NO_BWE, |b| {
            b.iter(|| assert!(black_box(o.send_one().expect("frame"))))
        });
        g.finish();
        for (name, c) in [
            (WREN, w.counts),
            (STR0M, s.counts),
            (STR0M_NO_BWE, o.counts),
        ] {
            assert_eq!((c.intact, c.wrong), (c.sent, 0), "{name}: {c:?}");
        }
    }
}

fn report(target: &Path) -> String {
    let mut out = String::from(
        "# Frame mode: wren-media beside str0m 0.25\n\n\
         One frame written on one peer and read whole on the other, in memory, both peers \
         in one thread (criterion median, ns per frame).\n\n\
         | codec | wren-media | str0m | str0m without BWE | str0m / wren-media | without BWE / wren-media |\n\
         | --- | --- | --- | --- | --- | --- |\n",
    );
    for codec in Codec::ALL {
        let g = group(codec);
        let [w, s, o] = [WREN, STR0M, STR0M_NO_BWE].map(|name| median(target, &g, name));
        let cell = |ns: Option<f64>| ns.map_or_else(|| "-".into(), |ns| format!("{ns:.0}"));
        let ratio = |s: Option<f64>| match (w, s) {
            (Some(w), Some(s)) if w > 0.0 => format!("{:.2}x", s / w),
            _ => "-".into(),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            codec.name(),
            cell(w),
            cell(s),
            cell(o),
            ratio(s),
            ratio(o)
        ));
    }
    out
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    bench(&mut c);
    c.final_summary();
    publish("frame.md", report);
}
