//! The str0m 0.25 baseline of issue 14's bandwidth-estimation scenarios: two str0m `Rtc`s
//! (`src/str0m_peer.rs`: frame mode negotiated with SDP, the sender a perfect 30 fps VP8
//! encoder following str0m's TWCC estimate) on wren-netsim, through the scenarios of
//! `wren-bwe-scenario` (a 1 Mbit/s bottleneck with a 50-packet queue dropping to
//! 300 kbit/s at 30 s; 5% random loss on an uncongested 5 Mbit/s link).
//!
//! Each test writes `bwe_<scenario>_str0m.csv` and `.png` under the target dir
//! (`CARGO_TARGET_TMPDIR`) and prints the verdicts of issue 14's checks (run with
//! `--nocapture`). It asserts that the run happened (connected, media flowed, estimates
//! came, every sample taken), not that str0m meets our criteria: it is the baseline.
//!
//! The peers negotiate (offer and answer handed over directly) and connect over a 25 ms
//! link without a bottleneck; the scenario starts with
//! media (time 0), when its first phase is applied to the sender's link.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use wren_benches::str0m_peer::{FPS, Role, Str0mPeer};
use wren_bwe_scenario::{
    MAX_BPS, ONE_WAY, Recorder, Recording, START_BPS, Scenario, checks, report,
};
use wren_core::Transport;
use wren_netsim::{DropReason, HostConfig, LinkConfig, NodeId, Sim};

const SENDER: &str = "10.0.0.1:5000";
const RECEIVER: &str = "10.0.0.2:5000";

#[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
fn t0() -> Instant {
    Instant::now()
}

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("a socket address")
}

/// What a run left: the recording, the simulation, the sender's and receiver's nodes,
/// and the packets the bottleneck dropped (queue full, random loss) during the scenario.
struct Run {
    rec: Recording,
    sim: Sim,
    nodes: [NodeId; 2],
    queue_full: u64,
    lost: u64,
}

/// Runs `scenario` with two str0m peers.
fn run(scenario: &Scenario, seed: u64) -> Run {
    let start = t0();
    let mut sim = Sim::new(seed, start);
    let link = LinkConfig::ideal().with_delay(ONE_WAY);
    let hs = sim.add_host(HostConfig::public(addr(SENDER).ip()).with_link(link));
    let hr = sim.add_host(HostConfig::public(addr(RECEIVER).ip()).with_link(LinkConfig::ideal()));
    let role = Role::Sender {
        start_bps: START_BPS,
        max_bps: MAX_BPS,
    };
    let s = sim.add_machine(hs, Str0mPeer::new(start, role, addr(SENDER)));
    sim.listen(s, addr(SENDER), Transport::Udp).expect("free");
    let r = sim.add_machine(hr, Str0mPeer::new(start, Role::Receiver, addr(RECEIVER)));
    sim.listen(r, addr(RECEIVER), Transport::Udp).expect("free");
    let (offer, pending) = sim
        .with(s, |p: &mut Str0mPeer, now| p.offer(now))
        .expect("an offer");
    let answer = sim
        .with(r, |p: &mut Str0mPeer, now| p.accept_offer(now, offer))
        .expect("an answer");
    sim.with(s, |p: &mut Str0mPeer, now| {
        p.accept_answer(now, pending, answer)
    })
    .expect("the answer is accepted");
    let connected = sim.run_until_cond(start + Duration::from_secs(10), |sim| {
        sim.machine::<Str0mPeer>(s).connected() && sim.machine::<Str0mPeer>(r).connected()
    });
    assert!(connected, "the str0m peers connect over the simulated link");
    println!(
        "{}: str0m connected after {:?} of virtual time",
        scenario.kind.as_str(),
        sim.now() - start
    );

    let media = sim.now();
    let bytes_before = sim.machine::<Str0mPeer>(s).stats().bytes_sent;
    let dropped_before = (
        sim.stats().dropped(DropReason::QueueFull),
        sim.stats().dropped(DropReason::Loss),
    );
    scenario
        .apply(&mut sim, hs, Duration::ZERO)
        .expect("the sender's host");
    let mut rec = Recorder::new(scenario, "str0m", &mut sim, hs);
    sim.with(s, |p: &mut Str0mPeer, now| p.start_media(now));
    while !rec.done() {
        let at = rec.next_at();
        sim.run_until(media + at);
        scenario.apply(&mut sim, hs, at).expect("the sender's host");
        let p = sim.machine::<Str0mPeer>(s);
        let (estimate, sent) = (p.estimate_bps(), p.stats().bytes_sent - bytes_before);
        rec.sample(&mut sim, estimate, sent);
    }
    let queue_full = sim.stats().dropped(DropReason::QueueFull) - dropped_before.0;
    let lost = sim.stats().dropped(DropReason::Loss) - dropped_before.1;
    Run {
        rec: rec.finish(),
        sim,
        nodes: [s, r],
        queue_full,
        lost,
    }
}

/// Runs, checks the run happened, prints the verdicts and writes CSV and PNG.
fn baseline(scenario: &Scenario, seed: u64, title: &str) {
    let Run {
        rec,
        sim,
        nodes,
        queue_full,
        lost,
    } = run(scenario, seed);
    let expected = (scenario.duration.as_millis() / 100) as usize;
    assert_eq!(rec.samples.len(), expected, "a sample every 100 ms");
    let s = sim.machine::<Str0mPeer>(nodes[0]);
    let r = sim.machine::<Str0mPeer>(nodes[1]);
    let (ss, rs) = (s.stats(), r.stats());
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
    let name = scenario.kind.as_str();
    println!("{name}: str0m sender {ss:?}");
    println!("{name}: str0m receiver {rs:?}");
    println!("{name}: dropped at the bottleneck: {queue_full} queue-full, {lost} random loss");
    for v in checks::verdicts(&rec) {
        println!("{name}: str0m {v}");
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let csv = report::write_csv(dir, &rec).expect("the CSV is written");
    let png = report::write_png(dir, "str0m", title, &[&rec]).expect("the PNG is written");
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
