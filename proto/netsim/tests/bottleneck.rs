//! The bottleneck of a rate-limited link: serialization at the rate, the drop-tail queue,
//! rate changes while running, each direction on its own, and determinism.

mod common;

use std::time::Duration;

use common::*;
use wren_netsim::{Direction, DropReason, HostConfig, LinkConfig, Sim};

/// Payload bytes of a packet that takes 1,250 bytes on the wire (28 bytes of IPv4 and UDP
/// header): 10 ms at 1 Mbit/s.
const PAYLOAD: usize = 1250 - 28;

const A: &str = "198.51.100.1:5000";
const B: &str = "198.51.100.2:5000";

/// A (with `link`) and B (an ideal link), a probe on each.
fn pair(seed: u64, link: LinkConfig) -> (Sim, wren_netsim::HostId, [wren_netsim::NodeId; 2]) {
    let mut sim = Sim::new(seed, t0());
    let ha = sim.add_host(HostConfig::public(ip("198.51.100.1")).with_link(link));
    let hb = sim.add_host(HostConfig::public(ip("198.51.100.2")).with_link(LinkConfig::ideal()));
    let a = probe(&mut sim, ha, A);
    let b = probe(&mut sim, hb, B);
    (sim, ha, [a, b])
}

fn burst(sim: &mut Sim, from: wren_netsim::NodeId, src: &str, dst: &str, n: u32) {
    for i in 0..n {
        let mut p = vec![0u8; PAYLOAD];
        p[..4].copy_from_slice(&i.to_be_bytes());
        send(sim, from, src, addr(dst), &p);
    }
}

#[test]
fn throughput_equals_the_rate_and_each_packet_waits_for_those_ahead() {
    let (mut sim, ha, [a, b]) = pair(1, LinkConfig::ideal().with_rate(1_000_000));
    sim.record_queue_delays(ha, true);
    burst(&mut sim, a, A, B, 300);
    // Packet k (from 1) is serialized at k * 10 ms and has no propagation delay.
    sim.run_for(Duration::from_secs(1));
    let got = received(&mut sim, b);
    assert_eq!(
        got.len(),
        100,
        "1 s at 1 Mbit/s carries 100 packets of 1250 bytes"
    );
    let bits: usize = got.iter().map(|(_, _, p)| (p.len() + 28) * 8).sum();
    assert_eq!(bits, 1_000_000);
    sim.run_for(Duration::from_secs(2));
    let rest = received(&mut sim, b);
    assert_eq!(rest.len(), 200, "all 300 arrive by 3 s, in order");
    let seq: Vec<u32> = got
        .iter()
        .chain(&rest)
        .map(|(_, _, p)| u32::from_be_bytes([p[0], p[1], p[2], p[3]]))
        .collect();
    assert_eq!(seq, (0..300).collect::<Vec<_>>());
    let waits = sim.take_queue_delays(ha, Direction::Egress);
    assert_eq!(waits.len(), 300);
    for (k, w) in waits.iter().enumerate() {
        assert_eq!(w.waited, Duration::from_millis(10 * k as u64), "packet {k}");
        assert_eq!(w.direction, Direction::Egress);
    }
    assert_eq!(sim.stats().dropped_total(), 0);
}

#[test]
fn a_full_queue_drops_exactly_what_exceeds_the_bound_apart_from_random_loss() {
    let (mut sim, _, [a, b]) = pair(2, LinkConfig::ideal().with_bottleneck(1_000_000, 50));
    burst(&mut sim, a, A, B, 80);
    sim.run_for(Duration::from_secs(2));
    let got = received(&mut sim, b);
    assert_eq!(got.len(), 50);
    let first: Vec<u32> = got
        .iter()
        .map(|(_, _, p)| u32::from_be_bytes([p[0], p[1], p[2], p[3]]))
        .collect();
    assert_eq!(
        first,
        (0..50).collect::<Vec<_>>(),
        "drop-tail: the last 30 go"
    );
    assert_eq!(sim.stats().dropped(DropReason::QueueFull), 30);
    assert_eq!(sim.stats().dropped(DropReason::Loss), 0);

    // With random loss before the queue, the two are counted apart and add up.
    let link = LinkConfig::ideal()
        .with_bottleneck(1_000_000, 50)
        .with_loss(0.2);
    let (mut sim, _, [a, b]) = pair(3, link);
    burst(&mut sim, a, A, B, 200);
    sim.run_for(Duration::from_secs(3));
    let got = received(&mut sim, b).len() as u64;
    let stats = sim.stats();
    let (lost, full) = (
        stats.dropped(DropReason::Loss),
        stats.dropped(DropReason::QueueFull),
    );
    assert!(lost > 0 && full > 0, "lost {lost}, queue-full {full}");
    assert_eq!(
        got, 50,
        "the queue still holds 50 of those that were not lost"
    );
    assert_eq!(got + lost + full, 200);
}

#[test]
fn a_rate_change_while_running_drains_the_queue_at_the_new_rate() {
    let (mut sim, ha, [a, b]) = pair(4, LinkConfig::ideal().with_rate(1_000_000));
    burst(&mut sim, a, A, B, 100);
    sim.run_for(Duration::from_millis(205));
    // 20 packets out; the 21st is on the wire until 210 ms.
    assert_eq!(received(&mut sim, b).len(), 20);
    sim.set_link(ha, LinkConfig::ideal().with_rate(500_000))
        .expect("a host of the sim");
    let q = sim.link_queue(ha, Direction::Egress);
    assert_eq!(q.packets, 80);
    assert_eq!(q.bytes, 80 * 1250);
    // 5 ms left of the 21st, then 79 packets of 20 ms each.
    assert_eq!(q.delay, Duration::from_millis(5 + 79 * 20));
    assert_eq!(sim.link_queue(ha, Direction::Ingress).packets, 0);
    // The 21st at 210 ms, then one every 20 ms: 39 more by 1 s.
    sim.run_for(Duration::from_millis(795));
    assert_eq!(received(&mut sim, b).len(), 1 + 39);
    // The last one at 210 + 79 * 20 = 1790 ms.
    sim.run_for(Duration::from_millis(789));
    assert_eq!(received(&mut sim, b).len(), 39);
    sim.run_for(Duration::from_millis(1));
    assert_eq!(received(&mut sim, b).len(), 1);
    assert_eq!(sim.link_queue(ha, Direction::Egress).packets, 0);

    // Removing the rate lets everything queued go once the packet on the wire is out.
    burst(&mut sim, a, A, B, 30);
    sim.set_link(ha, LinkConfig::ideal()).expect("a host");
    sim.run_for(Duration::from_millis(20));
    assert_eq!(received(&mut sim, b).len(), 30);
}

#[test]
fn each_direction_has_its_own_queue() {
    let (mut sim, ha, [a, b]) = pair(5, LinkConfig::ideal().with_rate(1_000_000));
    burst(&mut sim, a, A, B, 100);
    burst(&mut sim, b, B, A, 100);
    // B's packets cross B's ideal link at once, then queue on A's way in.
    sim.run_for(Duration::ZERO);
    assert_eq!(sim.link_queue(ha, Direction::Egress).packets, 100);
    assert_eq!(sim.link_queue(ha, Direction::Ingress).packets, 100);
    sim.run_for(Duration::from_secs(1));
    assert_eq!(received(&mut sim, b).len(), 100);
    assert_eq!(received(&mut sim, a).len(), 100);
}

#[test]
fn a_bottleneck_with_impairments_gives_the_same_trace_for_the_same_seed() {
    let run = |seed: u64| {
        let link = LinkConfig::default()
            .with_bottleneck(2_000_000, 20)
            .with_loss(0.05)
            .with_jitter(Duration::from_millis(3))
            .with_duplicate(0.02);
        let (mut sim, _, [a, b]) = pair(seed, link);
        for _ in 0..50 {
            burst(&mut sim, a, A, B, 5);
            burst(&mut sim, b, B, A, 2);
            sim.run_for(Duration::from_millis(15));
        }
        sim.run_for(Duration::from_secs(1));
        (sim.trace_hash(), sim.stats())
    };
    let (h1, s1) = run(30);
    let (h2, s2) = run(30);
    assert_eq!((h1, s1), (h2, s2));
    assert!(s1.dropped(DropReason::QueueFull) > 0, "{s1:?}");
    let (h3, _) = run(31);
    assert_ne!(h1, h3);
}
