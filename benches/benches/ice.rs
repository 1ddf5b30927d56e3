//! The ICE agent: Wren's (`wren_ice::Agent`) beside str0m's (`is::IceAgent`, the agent
//! `str0m` 0.25 runs) on the same inputs, in the same run. Run with
//! `cargo bench -p wren-benches --bench ice`; see `benches/README.md` and `src/ice.rs`.
//!
//! - `ice_answer_check/<agent>`: a controlled agent with a valid pair answers the peer's
//!   signed Binding request: the request in, the success response out.
//! - `ice_generate_checks/<agent>`: a controlling agent with 10 x 10 host candidates (100
//!   pairs), driven by its own `poll_timeout` on a virtual clock, nobody answering: the
//!   wall time until every pair has been checked (throughput in pairs checked per second;
//!   the report also gives the Binding requests sent, retransmissions included).
//!
//! After the groups it prints a markdown report (medians, checks/s, ratios) and writes it
//! to `target/ice_bench.md`; with a criterion filter, groups not run this time show their
//! last estimates. Memory per agent is `tests/ice_memory.rs` (a counting global
//! allocator would tax every allocation timed here).

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput};
use wren_benches::criterion_report::{median, publish};
use wren_benches::ice::{
    CANDIDATES, CHECKS, Generated, check_request, str0m_agent, str0m_answer, str0m_answering,
    str0m_generate, wren_agent, wren_answer, wren_answering, wren_generate,
};
use wren_ice::Role;

const ANSWER: &str = "ice_answer_check";
const GENERATE: &str = "ice_generate_checks";
const WREN: &str = "wren-ice";
const STR0M: &str = "str0m";

/// The anchor of the virtual clock.
#[allow(clippy::disallowed_methods)]
fn t0() -> Instant {
    Instant::now()
}

fn answer(c: &mut Criterion) {
    let now = t0();
    let request = check_request([0x42; 12], false);
    let mut g = c.benchmark_group(ANSWER);
    g.throughput(Throughput::Elements(1));

    let mut agent = wren_answering(now);
    let mut buf = Vec::with_capacity(1500);
    g.bench_function(WREN, |b| {
        b.iter(|| black_box(wren_answer(&mut agent, now, black_box(&request), &mut buf)))
    });

    let mut agent = str0m_answering(now);
    g.bench_function(STR0M, |b| {
        b.iter(|| black_box(str0m_answer(&mut agent, now, black_box(&request))))
    });
    g.finish();
}

fn generate(c: &mut Criterion) {
    let now = t0();
    let mut g = c.benchmark_group(GENERATE);
    g.throughput(Throughput::Elements(CHECKS as u64));
    g.bench_function(WREN, |b| {
        b.iter_batched_ref(
            || wren_agent(now, Role::Controlling, CANDIDATES, CANDIDATES),
            |agent| black_box(wren_generate(agent, now, CHECKS)),
            BatchSize::SmallInput,
        )
    });
    g.bench_function(STR0M, |b| {
        b.iter_batched_ref(
            || str0m_agent(Role::Controlling, CANDIDATES, CANDIDATES),
            |agent| black_box(str0m_generate(agent, now, CHECKS)),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn fmt_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn ratio(wren: Option<f64>, peer: Option<f64>) -> String {
    match (wren, peer) {
        (Some(w), Some(p)) if w > 0.0 => format!("{:.2}x", p / w),
        _ => "-".into(),
    }
}

/// The markdown report of this run's medians.
fn report(target: &Path) -> String {
    let now = t0();
    let aw = median(target, ANSWER, WREN);
    let a0 = median(target, ANSWER, STR0M);
    let gw = median(target, GENERATE, WREN);
    let g0 = median(target, GENERATE, STR0M);
    let wren_run = wren_generate(
        &mut wren_agent(now, Role::Controlling, CANDIDATES, CANDIDATES),
        now,
        CHECKS,
    );
    let str0m_run = str0m_generate(
        &mut str0m_agent(Role::Controlling, CANDIDATES, CANDIDATES),
        now,
        CHECKS,
    );
    // Per Binding request sent (new checks and retransmissions alike).
    let per_request = |g: Option<f64>, run: &Generated| g.map(|ns| ns / run.requests as f64);
    let per_s = |ns: Option<f64>| ns.map_or_else(|| "-".into(), |ns| format!("{:.0}", 1e9 / ns));
    let (rw, r0) = (per_request(gw, &wren_run), per_request(g0, &str0m_run));
    let pairs_s = |g: Option<f64>| per_s(g.map(|ns| ns / CHECKS as f64));
    let virtual_time = |run: &Generated| format!("{} ms", run.end.duration_since(now).as_millis());
    let cell = |x: Option<f64>| x.map_or_else(|| "-".into(), fmt_ns);
    let mut out = String::new();
    out.push_str("# ICE agent: wren-ice beside str0m (`is` 0.12)\n\n");
    out.push_str(
        "Medians of this run (criterion). Ratio: str0m's time / wren-ice's (>1: wren-ice is \
         faster).\n\n",
    );
    out.push_str("| | wren-ice | str0m | ratio |\n| --- | --- | --- | --- |\n");
    out.push_str(&format!(
        "| check answered (request in, response out) | {} | {} | {} |\n",
        cell(aw),
        cell(a0),
        ratio(aw, a0)
    ));
    out.push_str(&format!(
        "| checks answered per second | {} | {} | |\n",
        per_s(aw),
        per_s(a0)
    ));
    out.push_str(&format!(
        "| all {CHECKS} pairs of 10 x 10 candidates checked | {} | {} | {} |\n",
        cell(gw),
        cell(g0),
        ratio(gw, g0)
    ));
    out.push_str(&format!(
        "| pairs checked per second (wall) | {} | {} | |\n",
        pairs_s(gw),
        pairs_s(g0)
    ));
    out.push_str(&format!(
        "| Binding requests sent meanwhile (retransmissions included) | {} | {} | |\n",
        wren_run.requests, str0m_run.requests
    ));
    out.push_str(&format!(
        "| per Binding request sent | {} | {} | {} |\n",
        cell(rw),
        cell(r0),
        ratio(rw, r0)
    ));
    out.push_str(&format!(
        "| Binding requests sent per second (wall) | {} | {} | |\n",
        per_s(rw),
        per_s(r0)
    ));
    out.push_str(&format!(
        "| virtual time to check every pair | {} | {} | |\n",
        virtual_time(&wren_run),
        virtual_time(&str0m_run)
    ));
    out.push_str(
        "\nMemory per agent with 10 x 10 candidates: \
         `cargo test -p wren-benches --release --test ice_memory -- --nocapture`.\n",
    );
    out
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    answer(&mut c);
    generate(&mut c);
    c.final_summary();
    publish("ice_bench.md", report);
}
