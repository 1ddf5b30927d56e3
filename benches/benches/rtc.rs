//! Two wren-rtc peers beside two str0m 0.25 `Rtc`s, each pair connected in memory on a
//! virtual clock, in the same run (`src/rtc.rs` is the harness, `tests/rtc_pairs.rs`
//! checks it delivers every packet and that both pairs use SRTP_AEAD_AES_256_GCM):
//!
//! - `rtc_rtp_1200/<impl>`: one RTP packet with 1,200 bytes of payload from one peer to
//!   the other through the whole stack (SRTP protect, ICE, RFC 7983 demux, SRTP
//!   unprotect), both peers then serviced as their crate asks (timers, their own RTCP and
//!   STUN delivered). `wren-rtc` has a video send stream and its receive stream
//!   configured (send history, receive statistics, RTCP), as str0m's declared streams;
//!   `wren-rtc bare` has none (SRTP, ICE and demux only).
//! - `rtc_connect/<impl>`: from creating both peers (certificates, the direct API's
//!   parameters) to the first media packet received, virtual clock.
//!
//! Both run in one thread: the time per packet covers the sender's and the receiver's
//! work, so 1e9 / ns is packets per second per core. After the groups the packets are
//! timed again in alternating batches (the fastest batch of each kept: the least
//! disturbed figure on a shared machine), and a markdown report with packets/s per core
//! and the ratios is printed and written to `<target>/rtc.md`.
//!
//! `cargo bench -p wren-benches --bench rtc`

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use wren_benches::criterion_report::{median, publish};
use wren_benches::rtc::{
    PAYLOAD, STEP, Str0mMode, Str0mPair, WrenMode, WrenPair, str0m_time_to_media,
    wren_time_to_media,
};

const RTP: &str = "rtc_rtp_1200";
const CONNECT: &str = "rtc_connect";
const WREN: &str = "wren-rtc";
const WREN_BARE: &str = "wren-rtc bare";
const STR0M: &str = "str0m";
const STR0M_RTP_ONLY: &str = "str0m without SCTP";

/// Alternating rounds of the paired measurement, and packets per batch.
const ROUNDS: usize = 200;
const BATCH: usize = 1000;
/// Alternating rounds of the paired time to first media.
const CONNECT_ROUNDS: usize = 20;

/// The anchor of the virtual clocks (and the wall clock of the paired timing).
#[allow(clippy::disallowed_methods)]
fn wall() -> Instant {
    Instant::now()
}

fn wren(mode: WrenMode) -> WrenPair {
    WrenPair::connect(wall(), mode).expect("the wren-rtc peers connect")
}

fn str0m(mode: Str0mMode) -> Str0mPair {
    Str0mPair::connect(wall(), mode).expect("the str0m peers connect")
}

fn rtp(c: &mut Criterion) {
    let mut g = c.benchmark_group(RTP);
    g.throughput(Throughput::Elements(1));
    let mut p = wren(WrenMode::Streams);
    g.bench_function(WREN, |b| {
        b.iter(|| assert!(black_box(p.send_one().expect("sent"))))
    });
    let mut p = wren(WrenMode::Bare);
    g.bench_function(WREN_BARE, |b| {
        b.iter(|| assert!(black_box(p.send_one().expect("sent"))))
    });
    let mut p = str0m(Str0mMode::WithSctp);
    g.bench_function(STR0M, |b| {
        b.iter(|| assert!(black_box(p.send_one().expect("sent"))))
    });
    let mut p = str0m(Str0mMode::RtpOnly);
    g.bench_function(STR0M_RTP_ONLY, |b| {
        b.iter(|| assert!(black_box(p.send_one().expect("sent"))))
    });
    g.finish();
}

fn connect(c: &mut Criterion) {
    let mut g = c.benchmark_group(CONNECT);
    g.sample_size(20);
    g.bench_function(WREN, |b| {
        b.iter(|| black_box(wren_time_to_media(wall()).expect("first media")))
    });
    g.bench_function(STR0M, |b| {
        b.iter(|| black_box(str0m_time_to_media(wall()).expect("first media")))
    });
    g.finish();
}

/// ns per packet of `send` over one batch.
fn batch(mut send: impl FnMut() -> bool) -> f64 {
    let t = wall();
    for _ in 0..BATCH {
        assert!(black_box(send()));
    }
    t.elapsed().as_nanos() as f64 / BATCH as f64
}

/// The fastest batch of each, in [`ROUNDS`] alternating rounds, in [`IMPLS`]' order (ns
/// per packet).
fn paired_rtp() -> [f64; 4] {
    let mut w = wren(WrenMode::Streams);
    let mut wb = wren(WrenMode::Bare);
    let mut s = str0m(Str0mMode::WithSctp);
    let mut so = str0m(Str0mMode::RtpOnly);
    let mut best = [f64::MAX; 4];
    for _ in 0..ROUNDS {
        best[0] = best[0].min(batch(|| w.send_one().expect("sent")));
        best[1] = best[1].min(batch(|| wb.send_one().expect("sent")));
        best[2] = best[2].min(batch(|| s.send_one().expect("sent")));
        best[3] = best[3].min(batch(|| so.send_one().expect("sent")));
    }
    assert_eq!(w.counts.received, w.counts.sent);
    assert_eq!(s.counts.received, s.counts.sent);
    best
}

/// Time to first media, fastest of [`CONNECT_ROUNDS`] alternating rounds (ns), and the
/// virtual time each took: wren-rtc, str0m.
fn paired_connect() -> [(f64, Duration); 2] {
    let mut best = [(f64::MAX, Duration::ZERO); 2];
    for _ in 0..CONNECT_ROUNDS {
        let t = wall();
        let v = wren_time_to_media(t).expect("first media");
        best[0] = (best[0].0.min(t.elapsed().as_nanos() as f64), v);
        let t = wall();
        let v = str0m_time_to_media(t).expect("first media");
        best[1] = (best[1].0.min(t.elapsed().as_nanos() as f64), v);
    }
    best
}

fn per_s(ns: f64) -> String {
    format!("{:.0}", 1e9 / ns)
}

fn cell(ns: Option<f64>) -> String {
    ns.map_or_else(|| "-".into(), |ns| format!("{ns:.0}"))
}

fn ms(ns: Option<f64>) -> String {
    ns.map_or_else(|| "-".into(), |ns| format!("{:.2}", ns / 1e6))
}

/// The rows of the RTP group, in the paired measurement's order.
const IMPLS: [&str; 4] = [WREN, WREN_BARE, STR0M, STR0M_RTP_ONLY];

fn ratio(fast: Option<f64>, slow: Option<f64>) -> String {
    match (fast, slow) {
        (Some(f), Some(s)) if f > 0.0 => format!("{:.2}x", s / f),
        _ => "-".into(),
    }
}

fn report(target: &Path, rtp: Option<[f64; 4]>, conn: Option<[(f64, Duration); 2]>) -> String {
    let mut out = format!(
        "# wren-rtc beside str0m 0.25: RTP through the whole stack\n\n\
         One RTP packet ({PAYLOAD}-byte payload, 1,240-byte SRTP datagram) from one peer to \
         the other, both peers in one thread (the sender's and the receiver's work per \
         packet), SRTP_AEAD_AES_256_GCM on both, virtual time {} µs per packet. \
         Packets/s per core = 1e9 / ns per packet. wren-rtc: a video send stream and its \
         receive stream (history, statistics, RTCP, transport-wide numbers and feedback), \
         as str0m's declared streams; bare: none of that. str0m: SCTP started as wren-rtc \
         starts it; without SCTP: as an RTP-only str0m application runs.\n\n\
         | impl | criterion median, ns | paired min, ns | packets/s per core (median) | packets/s per core (paired) |\n\
         | --- | --- | --- | --- | --- |\n",
        STEP.as_micros()
    );
    let med = |name: &str| median(target, RTP, name);
    let min = |i: usize| rtp.map(|b| b[i]);
    for (i, name) in IMPLS.into_iter().enumerate() {
        let pps = |ns: Option<f64>| ns.map_or_else(|| "-".into(), per_s);
        out.push_str(&format!(
            "| {name} | {} | {} | {} | {} |\n",
            cell(med(name)),
            cell(min(i)),
            pps(med(name)),
            pps(min(i)),
        ));
    }
    out.push_str(
        "\nRatios: the slower one's time / the faster one's (the issue asks wren-rtc for 2x \
         str0m).\n\n| comparison | median | paired |\n| --- | --- | --- |\n",
    );
    for (fast, slow, what) in [
        (0, 2, "wren-rtc vs str0m (the same work)"),
        (0, 3, "wren-rtc vs str0m without SCTP"),
        (1, 3, "wren-rtc bare vs str0m without SCTP"),
    ] {
        out.push_str(&format!(
            "| {what} | {} | {} |\n",
            ratio(med(IMPLS[fast]), med(IMPLS[slow])),
            ratio(min(fast), min(slow)),
        ));
    }
    out.push_str(
        "\n## Time to first media\n\nFrom creating both peers (certificates, direct \
         parameters) to the first RTP packet received, in memory on a virtual clock (str0m \
         with SCTP started).\n\n\
         | impl | criterion median, ms | paired min, ms | virtual time, ms |\n\
         | --- | --- | --- | --- |\n",
    );
    for (i, name) in [WREN, STR0M].into_iter().enumerate() {
        let c = conn.map(|c| c[i]);
        out.push_str(&format!(
            "| {name} | {} | {} | {} |\n",
            ms(median(target, CONNECT, name)),
            ms(c.map(|c| c.0)),
            c.map_or_else(|| "-".into(), |c| format!("{:.1}", c.1.as_secs_f64() * 1e3)),
        ));
    }
    out.push_str(&format!(
        "\nratio (str0m / wren-rtc): median {}, paired {}\n",
        ratio(
            median(target, CONNECT, WREN),
            median(target, CONNECT, STR0M)
        ),
        ratio(conn.map(|c| c[0].0), conn.map(|c| c[1].0)),
    ));
    out
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    rtp(&mut c);
    connect(&mut c);
    c.final_summary();
    let bench = std::env::args().any(|a| a == "--bench");
    let measured = bench.then(paired_rtp);
    let conn = bench.then(paired_connect);
    publish("rtc.md", |target| report(target, measured, conn));
}
