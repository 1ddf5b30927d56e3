//! The controller as a whole, on scripted feedback.

use super::*;
use wren_rtp::rtcp::{TwccPacket, TwccPackets};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn feedback(base_seq: u16, reference_time: i32, list: &[TwccPacket]) -> TransportFeedback<'_> {
    TransportFeedback {
        sender_ssrc: 1,
        media_ssrc: 2,
        base_seq,
        reference_time,
        fb_count: 0,
        packets: TwccPackets::List(list),
    }
}

fn no_probes() -> GccConfig {
    GccConfig {
        initial_probes: false,
        ..GccConfig::default()
    }
}

/// Sends one 1200-byte packet every `gap_ms` for `secs` seconds; each arrives
/// `extra_us * i` later than sent (a queue growing by `extra_us` per packet), every
/// `lose_every`-th one lost. Feedback every 100 ms, its reference time the 64 ms step
/// before its first arrival. Returns the events.
fn drive(
    gcc: &mut Gcc,
    t0: Instant,
    gap_ms: u64,
    secs: u64,
    extra_us: i64,
    lose_every: u16,
) -> Vec<Event> {
    let mut events = Vec::new();
    let mut pending: Vec<(u16, Option<i64>)> = Vec::new();
    let mut list = Vec::new();
    let mut seq: u16 = 0;
    let per_fb = 100 / gap_ms;
    for i in 0..(secs * 1000 / gap_ms) {
        let send_ms = i * gap_ms;
        gcc.handle_packet_sent(t0 + ms(send_ms), seq, 1200, None);
        let arrival_us = 20_000 + send_ms as i64 * 1000 + extra_us * i as i64;
        let lost = lose_every > 0 && seq % lose_every == 0;
        pending.push((seq, (!lost).then_some(arrival_us)));
        seq = seq.wrapping_add(1);
        if (i + 1) % per_fb == 0 {
            let first = pending.iter().find_map(|p| p.1).expect("one received");
            let reference = first / 64_000;
            let mut last = reference * 64_000;
            list.clear();
            for &(seq, arrival) in &pending {
                let delta = arrival.map(|a| {
                    let d = (a - last) / 250;
                    last += d * 250;
                    i16::try_from(d).expect("delta fits")
                });
                list.push(TwccPacket { seq, delta });
            }
            let base = pending[0].0;
            pending.clear();
            gcc.handle_feedback(
                t0 + ms(send_ms + 30),
                &feedback(base, reference as i32, &list),
            );
            while let Some(e) = gcc.poll_event() {
                events.push(e);
            }
        }
    }
    events
}

#[test]
fn the_start_probes_at_3x_and_6x_the_start_rate() {
    let t0 = Instant::now();
    let mut gcc = Gcc::new(t0, GccConfig::default());
    let rates: Vec<u64> = std::iter::from_fn(|| gcc.poll_event())
        .map(|e| match e {
            Event::Probe(c) => c.bitrate_bps,
            other => panic!("only probes at start, got {other:?}"),
        })
        .collect();
    assert_eq!(rates, vec![900_000, 1_800_000]);
    assert_eq!(gcc.target_bitrate(), 300_000);
}

#[test]
fn start_probes_without_a_result_are_sent_again_twice_a_second_apart() {
    let t0 = Instant::now();
    let mut gcc = Gcc::new(t0, GccConfig::default());
    let start: Vec<Event> = std::iter::from_fn(|| gcc.poll_event()).collect();
    assert_eq!(start.len(), 2);
    // Media feedback for 4 s; the probes' packets were never sent, so never reported.
    let events = drive(&mut gcc, t0, 10, 4, 0, 0);
    let probes: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            Event::Probe(c) => Some(c.bitrate_bps),
            _ => None,
        })
        .collect();
    assert_eq!(probes.len(), 4, "two retries of two clusters: {probes:?}");
    // Each retry probes at 3x and 6x the estimate of its time.
    assert_eq!(probes[1], 2 * probes[0]);
    assert_eq!(probes[3], 2 * probes[2]);
    assert!(probes[0] >= 900_000, "{probes:?}");
    assert_eq!(gcc.stats().probe_results, 0);
}

#[test]
fn without_queueing_or_loss_the_target_grows() {
    let t0 = Instant::now();
    let mut gcc = Gcc::new(t0, no_probes());
    // 1200 B every 10 ms = 960 kbit/s acknowledged, start at 300k.
    let events = drive(&mut gcc, t0, 10, 10, 0, 0);
    assert!(gcc.target_bitrate() > 500_000, "{}", gcc.target_bitrate());
    assert!(events.iter().all(|e| matches!(
        e,
        Event::TargetBitrate {
            reason: TargetReason::Increase,
            ..
        }
    )));
    assert_eq!(gcc.stats().usage, BandwidthUsage::Normal);
    assert_eq!(gcc.stats().packets_received, 1000);
}

#[test]
fn a_growing_queue_is_overuse_and_the_target_drops_below_the_acked_rate() {
    let t0 = Instant::now();
    let mut gcc = Gcc::new(
        t0,
        GccConfig {
            start_bitrate_bps: 2_000_000,
            ..no_probes()
        },
    );
    // Every packet is 1 ms later than the one before it relative to its send time: the
    // queue grows 100 ms per second.
    let events = drive(&mut gcc, t0, 10, 3, 1_000, 0);
    assert!(gcc.stats().overuses >= 1);
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::TargetBitrate {
                reason: TargetReason::Overuse,
                ..
            }
        )),
        "{events:?}"
    );
    // The link delivers 1200 B per 11 ms = 873 kbit/s; AIMD goes to 0.85 of what the
    // 500 ms window measured of it, well under it.
    assert!(
        gcc.target_bitrate() < (0.9 * 873_000.0) as u64,
        "{}",
        gcc.target_bitrate()
    );
}

#[test]
fn heavy_loss_lowers_the_target_for_loss() {
    let t0 = Instant::now();
    let mut gcc = Gcc::new(t0, no_probes());
    // One in four lost (25%): every decrease is 1 - 0.125.
    let events = drive(&mut gcc, t0, 10, 3, 0, 4);
    assert!(events.iter().any(|e| matches!(
        e,
        Event::TargetBitrate {
            reason: TargetReason::Loss,
            ..
        }
    )));
    assert!(gcc.target_bitrate() < 300_000);
    assert!(
        (gcc.stats().loss_fraction - 0.25).abs() < 0.02,
        "{}",
        gcc.stats().loss_fraction
    );
}

#[test]
fn remb_caps_the_target() {
    let t0 = Instant::now();
    let mut gcc = Gcc::new(t0, no_probes());
    gcc.handle_remb(t0, 100_000);
    assert_eq!(gcc.target_bitrate(), 100_000);
    assert_eq!(
        gcc.poll_event(),
        Some(Event::TargetBitrate {
            bps: 100_000,
            reason: TargetReason::Remb
        })
    );
    drive(&mut gcc, t0, 10, 5, 0, 0);
    assert_eq!(gcc.target_bitrate(), 100_000);
}

#[test]
fn a_probe_result_above_the_estimate_raises_it_at_once() {
    let t0 = Instant::now();
    let mut gcc = Gcc::new(t0, no_probes());
    gcc.request_probe(t0, 2_000_000);
    let Some(Event::Probe(c)) = gcc.poll_event() else {
        panic!("a probe cluster");
    };
    assert_eq!(
        (c.bitrate_bps, c.min_bytes, c.min_packets),
        (2_000_000, 3750, 5)
    );
    // 6 packets of 1000 B, 4 ms apart (2 Mbit/s), received 5 ms apart (1.6 Mbit/s).
    let mut list = Vec::new();
    for seq in 0..6u16 {
        gcc.handle_packet_sent(t0 + ms(4 * u64::from(seq)), seq, 1000, Some(c.id));
        list.push(TwccPacket {
            seq,
            delta: Some(if seq == 0 { 200 } else { 20 }),
        });
    }
    gcc.handle_feedback(t0 + ms(100), &feedback(0, 0, &list));
    // Receive rate 5000 B * 8 / 25 ms = 1.6 Mbit/s, under 90% of the send rate
    // (5000 * 8 / 20 ms = 2 Mbit/s): 95% of it.
    let expected = (0.95 * 1_600_000.0) as u64;
    assert!(
        gcc.target_bitrate().abs_diff(expected) <= 1,
        "{}",
        gcc.target_bitrate()
    );
    assert_eq!(
        gcc.poll_event(),
        Some(Event::TargetBitrate {
            bps: gcc.target_bitrate(),
            reason: TargetReason::Probe
        })
    );
    assert_eq!(gcc.stats().probe_results, 1);
}

/// Sends `cluster` as 6 packets spaced at its rate, received at `receive_bps`, from
/// sequence number `seq` at `at`, and feeds the feedback 100 ms later.
fn probe_through(gcc: &mut Gcc, cluster: ProbeCluster, seq: u16, at: Instant, receive_bps: u64) {
    let size = 1000u64;
    let send_gap = Duration::from_micros(size * 8 * 1_000_000 / cluster.bitrate_bps);
    let recv_ticks = (size * 8 * 1_000_000 / receive_bps / 250) as i16;
    let mut list = Vec::new();
    for i in 0..6u16 {
        gcc.handle_packet_sent(
            at + send_gap * u32::from(i),
            seq + i,
            size as usize,
            Some(cluster.id),
        );
        list.push(TwccPacket {
            seq: seq + i,
            delta: Some(if i == 0 { 100 } else { recv_ticks }),
        });
    }
    gcc.handle_feedback(at + ms(100), &feedback(seq, 0, &list));
}

#[test]
fn start_probes_that_reach_70_percent_probe_again_at_twice_the_result() {
    let t0 = Instant::now();
    let mut gcc = Gcc::new(t0, GccConfig::default());
    let clusters: Vec<ProbeCluster> = std::iter::from_fn(|| gcc.poll_event())
        .filter_map(|e| match e {
            Event::Probe(c) => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(clusters.len(), 2);
    // The 1.8 Mbit/s cluster arrives as fast as it was sent (2 Mbit/s path): probe on.
    probe_through(&mut gcc, clusters[1], 0, t0, 2_000_000);
    let next: Vec<Event> = std::iter::from_fn(|| gcc.poll_event()).collect();
    let Some(Event::Probe(c)) = next.iter().find(|e| matches!(e, Event::Probe(_))) else {
        panic!("a further probe: {next:?}");
    };
    // The result is the 1.8 Mbit/s send rate; twice that.
    assert!(
        c.bitrate_bps.abs_diff(3_600_000) < 10_000,
        "{}",
        c.bitrate_bps
    );
    // That one is capped at 2 Mbit/s (under 70% of 3.6): no further probe.
    probe_through(&mut gcc, *c, 100, t0 + ms(200), 2_000_000);
    assert!(!std::iter::from_fn(|| gcc.poll_event()).any(|e| matches!(e, Event::Probe(_))));
    assert!(gcc.target_bitrate() > 1_700_000, "{}", gcc.target_bitrate());
}

#[test]
fn without_start_probes_a_result_does_not_start_exponential_probing() {
    let t0 = Instant::now();
    let mut gcc = Gcc::new(t0, no_probes());
    gcc.request_probe(t0, 1_000_000);
    let Some(Event::Probe(c)) = gcc.poll_event() else {
        panic!("the requested cluster");
    };
    probe_through(&mut gcc, c, 0, t0, 1_000_000);
    assert!(!std::iter::from_fn(|| gcc.poll_event()).any(|e| matches!(e, Event::Probe(_))));
}

#[test]
fn the_round_trip_comes_from_feedback_until_the_application_gives_one() {
    let t0 = Instant::now();
    let mut gcc = Gcc::new(t0, no_probes());
    assert_eq!(gcc.stats().rtt, None);
    for seq in 0..3u16 {
        gcc.handle_packet_sent(t0 + ms(10 * u64::from(seq)), seq, 1000, None);
    }
    let list: Vec<TwccPacket> = (0..3)
        .map(|seq| TwccPacket {
            seq,
            delta: Some(40),
        })
        .collect();
    // The last packet acknowledged was sent at 20 ms; feedback at 100 ms: 80 ms.
    gcc.handle_feedback(t0 + ms(100), &feedback(0, 0, &list));
    assert_eq!(gcc.stats().rtt, Some(ms(80)));
    // A packet sent at 100 ms, reported at 140 ms: 40 ms, smoothed by 1/8 with 80.
    gcc.handle_packet_sent(t0 + ms(100), 3, 1000, None);
    gcc.handle_feedback(
        t0 + ms(140),
        &feedback(
            3,
            0,
            &[TwccPacket {
                seq: 3,
                delta: Some(400),
            }],
        ),
    );
    assert_eq!(gcc.stats().rtt, Some(ms(75)));
    gcc.set_rtt(ms(30));
    gcc.handle_packet_sent(t0 + ms(150), 4, 1000, None);
    gcc.handle_feedback(
        t0 + ms(400),
        &feedback(
            4,
            0,
            &[TwccPacket {
                seq: 4,
                delta: Some(500),
            }],
        ),
    );
    assert_eq!(gcc.stats().rtt, Some(ms(30)), "the application's wins");
}

#[test]
fn reports_are_counted_once_and_unknown_ones_skipped() {
    let t0 = Instant::now();
    let mut gcc = Gcc::new(t0, no_probes());
    for seq in 0..3u16 {
        gcc.handle_packet_sent(t0, seq, 1000, None);
    }
    let list = [
        TwccPacket {
            seq: 0,
            delta: Some(4),
        },
        TwccPacket {
            seq: 1,
            delta: None,
        },
        TwccPacket {
            seq: 2,
            delta: Some(4),
        },
        TwccPacket {
            seq: 3,
            delta: Some(4),
        },
    ];
    gcc.handle_feedback(t0 + ms(50), &feedback(0, 0, &list));
    gcc.handle_feedback(t0 + ms(100), &feedback(0, 0, &list));
    let s = gcc.stats();
    assert_eq!(
        (s.packets_received, s.packets_lost, s.unknown_reports),
        (2, 1, 2)
    );
    assert_eq!(s.feedbacks, 2);
}

#[test]
fn the_reference_time_unwraps_across_24_bits() {
    let t0 = Instant::now();
    let mut gcc = Gcc::new(t0, no_probes());
    assert_eq!(gcc.reference_us(0x7f_ffff), 0x7f_ffff * 64_000);
    // The next value wraps to the 24-bit minimum: one tick later, not 2^24 earlier.
    let wrapped = -0x80_0000;
    assert_eq!(gcc.reference_us(wrapped), 0x80_0000 * 64_000);
}

#[test]
fn new_bounds_move_the_target_inside_them() {
    let t0 = Instant::now();
    let mut gcc = Gcc::new(t0, no_probes());
    gcc.set_bitrate_bounds(t0, 50_000, 200_000);
    assert_eq!(
        gcc.poll_event(),
        Some(Event::TargetBitrate {
            bps: 200_000,
            reason: TargetReason::Bounds
        })
    );
    gcc.set_bitrate_bounds(t0, 400_000, 1_000_000);
    assert_eq!(gcc.target_bitrate(), 400_000);
    // Unchanged bounds change nothing, and say nothing.
    let _ = gcc.poll_event();
    gcc.set_bitrate_bounds(t0, 400_000, 1_000_000);
    assert_eq!(gcc.poll_event(), None);
}

#[test]
fn a_target_not_yet_polled_is_replaced_by_the_newer_one() {
    let t0 = Instant::now();
    let mut gcc = Gcc::new(t0, no_probes());
    gcc.handle_remb(t0, 200_000);
    gcc.handle_remb(t0, 100_000);
    assert_eq!(
        gcc.poll_event(),
        Some(Event::TargetBitrate {
            bps: 100_000,
            reason: TargetReason::Remb
        })
    );
    assert_eq!(gcc.poll_event(), None);
}

/// Random script bytes (xorshift), as the fuzz target would feed them.
#[cfg(feature = "fuzzing")]
#[test]
fn the_fuzz_script_runs_on_random_inputs() {
    let mut bytes = crate::fuzz::ScriptBytes::new(0x9e37_79b9_7f4a_7c15);
    for _ in 0..300 {
        crate::fuzz::gcc(&bytes.next(800));
    }
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the arrival times and losses, each sent packet is counted once
        /// (received or lost) and the target stays within the bounds.
        #[test]
        fn every_packet_counts_once_and_the_target_stays_in_bounds(
            reports in proptest::collection::vec((any::<bool>(), 0i16..2000), 1..400),
            chunk in 1usize..60,
        ) {
            let t0 = Instant::now();
            let config = GccConfig::default();
            let (min, max) = (config.min_bitrate_bps, config.max_bitrate_bps);
            let mut gcc = Gcc::new(t0, config);
            for (i, _) in reports.iter().enumerate() {
                gcc.handle_packet_sent(t0 + ms(i as u64 * 5), i as u16, 1000, None);
            }
            let list: Vec<TwccPacket> = reports
                .iter()
                .enumerate()
                .map(|(i, &(got, d))| TwccPacket { seq: i as u16, delta: got.then_some(d) })
                .collect();
            for (k, part) in list.chunks(chunk).enumerate() {
                // Each part reported twice: the second time changes nothing.
                for _ in 0..2 {
                    gcc.handle_feedback(t0 + ms(2000 + k as u64 * 50), &feedback(part[0].seq, k as i32, part));
                }
                prop_assert!((min..=max).contains(&gcc.target_bitrate()));
            }
            let s = gcc.stats();
            let lost = reports.iter().filter(|r| !r.0).count() as u64;
            prop_assert_eq!(s.packets_lost, lost);
            prop_assert_eq!(s.packets_received, reports.len() as u64 - lost);
            prop_assert_eq!(s.unknown_reports, 0);
        }
    }
}
