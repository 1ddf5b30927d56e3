//! Link impairments (loss, duplication, reordering, MTU) and the determinism of the trace.

mod common;

use std::time::Duration;

use common::*;
use wren_netsim::{DropReason, HostConfig, LinkConfig, Sim};

/// `n` numbered packets from 198.51.100.1 (with `link`) to 198.51.100.2, one per ms.
/// Returns the simulation and the sequence numbers received, in arrival order.
fn stream(seed: u64, link: LinkConfig, n: u32) -> (Sim, Vec<u32>) {
    let mut sim = Sim::new(seed, t0());
    sim.record_trace(true);
    let ha = sim.add_host(HostConfig::public(ip("198.51.100.1")).with_link(link));
    let hb = sim.add_host(HostConfig::public(ip("198.51.100.2")));
    let a = probe(&mut sim, ha, "198.51.100.1:5000");
    let b = probe(&mut sim, hb, "198.51.100.2:5000");
    for i in 0..n {
        send(
            &mut sim,
            a,
            "198.51.100.1:5000",
            addr("198.51.100.2:5000"),
            &i.to_be_bytes(),
        );
        sim.run_for(Duration::from_millis(1));
    }
    sim.run_for(Duration::from_secs(1));
    let seq = received(&mut sim, b)
        .into_iter()
        .map(|(_, _, p)| u32::from_be_bytes(p[..4].try_into().expect("4 bytes")))
        .collect();
    (sim, seq)
}

#[test]
fn loss_drops_about_the_configured_share_and_the_same_packets_every_run() {
    let link = LinkConfig::default().with_loss(0.1);
    let (sim, got) = stream(10, link, 10_000);
    let (_, again) = stream(10, link, 10_000);
    assert_eq!(got, again, "a fixed seed loses the same packets");
    let lost = 10_000 - got.len() as u64;
    assert!((800..1200).contains(&lost), "lost {lost} of 10000 at 10%");
    assert_eq!(sim.stats().dropped(DropReason::Loss), lost);
    assert_eq!(sim.stats().sent, 10_000);
}

#[test]
fn duplication_delivers_some_packets_twice() {
    let (sim, got) = stream(11, LinkConfig::default().with_duplicate(0.05), 2_000);
    let dups = sim.stats().duplicated;
    assert!((50..150).contains(&dups), "{dups} copies of 2000 at 5%");
    assert_eq!(got.len() as u64, 2_000 + dups);
}

#[test]
fn jitter_reorders_and_a_plain_link_does_not() {
    let ordered = |s: &[u32]| s.windows(2).all(|w| w[0] < w[1]);
    let (_, plain) = stream(12, LinkConfig::default(), 500);
    assert!(ordered(&plain));
    let (_, jittery) = stream(
        12,
        LinkConfig::default().with_jitter(Duration::from_millis(20)),
        500,
    );
    assert_eq!(jittery.len(), 500);
    assert!(
        !ordered(&jittery),
        "20 ms of jitter on 1 ms spacing overtakes"
    );
    let (_, held) = stream(
        12,
        LinkConfig::default().with_reorder(0.1, Duration::from_millis(5)),
        500,
    );
    assert_eq!(held.len(), 500);
    assert!(!ordered(&held), "held-back packets are overtaken");
}

#[test]
fn packets_over_the_mtu_are_dropped() {
    let mut sim = Sim::new(13, t0());
    let ha = sim.add_host(
        HostConfig::public(ip("198.51.100.1")).with_link(LinkConfig::default().with_mtu(1000)),
    );
    let hb = sim.add_host(HostConfig::public(ip("198.51.100.2")));
    let a = probe(&mut sim, ha, "198.51.100.1:5000");
    let b = probe(&mut sim, hb, "198.51.100.2:5000");
    send(
        &mut sim,
        a,
        "198.51.100.1:5000",
        addr("198.51.100.2:5000"),
        &[0; 972],
    );
    send(
        &mut sim,
        a,
        "198.51.100.1:5000",
        addr("198.51.100.2:5000"),
        &[0; 973],
    );
    // The receiver's link drops too: inbound to A.
    send(
        &mut sim,
        b,
        "198.51.100.2:5000",
        addr("198.51.100.1:5000"),
        &[0; 1400],
    );
    sim.run_for(Duration::from_secs(1));
    let got = received(&mut sim, b);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].2.len(), 972);
    assert!(received(&mut sim, a).is_empty());
    assert_eq!(sim.stats().dropped(DropReason::Mtu), 2);
}

#[test]
fn the_same_seed_gives_the_same_trace_and_another_seed_another() {
    let link = LinkConfig::default()
        .with_loss(0.2)
        .with_jitter(Duration::from_millis(10))
        .with_duplicate(0.02);
    let (a, _) = stream(20, link, 300);
    let (b, _) = stream(20, link, 300);
    assert_eq!(a.trace_hash(), b.trace_hash());
    assert_eq!(a.trace_lines(), b.trace_lines());
    assert!(a.trace_lines().len() > 600);
    let (c, _) = stream(21, link, 300);
    assert_ne!(a.trace_hash(), c.trace_hash());
    assert!(
        a.trace_lines().iter().any(|l| l.contains("drop(loss)")),
        "lines name the reason"
    );
}
