//! The pacer on a virtual clock.

use super::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn config(rate: u64) -> PacerConfig {
    PacerConfig {
        pacing_rate_bps: rate,
        ..PacerConfig::default()
    }
}

/// Runs the pacer from `from` to `to` following its timeouts; returns what it released
/// with the time of each.
fn run(p: &mut Pacer, from: Instant, to: Instant) -> Vec<(Instant, Paced)> {
    let mut out = Vec::new();
    let mut now = from;
    loop {
        p.handle_timeout(now);
        while let Some(x) = p.poll_packet(now) {
            out.push((now, x));
        }
        match p.poll_timeout() {
            Some(t) if t <= to => now = t.max(now),
            _ => return out,
        }
    }
}

#[test]
fn media_is_released_at_the_pacing_rate() {
    let t0 = Instant::now();
    let mut p = Pacer::new(t0, config(960_000));
    for tag in 0..100 {
        p.push(t0, tag, 1200, Priority::Video).expect("room");
    }
    // The budget starts full (40 ms: 4800 bytes, four packets at once); then 1200
    // bytes at 960 kbit/s is one packet per 10 ms: 50 more in 500 ms.
    let sent = run(&mut p, t0, t0 + ms(500));
    assert_eq!(sent.iter().filter(|(at, _)| *at == t0).count(), 4);
    assert_eq!(sent.len(), 54, "{}", sent.len());
    let tags: Vec<u64> = sent
        .iter()
        .map(|(_, x)| match x {
            Paced::Media { tag, .. } => *tag,
            other => panic!("no padding asked for: {other:?}"),
        })
        .collect();
    assert_eq!(tags, (0..54).collect::<Vec<_>>(), "in order");
    assert_eq!(p.queued_packets(), 46);
}

#[test]
fn after_a_pause_a_burst_is_bounded_by_40ms_of_budget() {
    let t0 = Instant::now();
    let mut p = Pacer::new(t0, config(960_000));
    let later = t0 + Duration::from_secs(1);
    for tag in 0..20 {
        p.push(later, tag, 1200, Priority::Video).expect("room");
    }
    // 40 ms at 960 kbit/s is 4800 bytes: four packets at once, not twenty.
    let burst = std::iter::from_fn(|| p.poll_packet(later)).count();
    assert_eq!(burst, 4);
}

#[test]
fn audio_goes_before_retransmissions_before_video() {
    let t0 = Instant::now();
    let mut p = Pacer::new(t0, config(96_000));
    p.push(t0, 1, 1200, Priority::Video).expect("room");
    p.push(t0, 2, 1200, Priority::Retransmission).expect("room");
    p.push(t0, 3, 100, Priority::Audio).expect("room");
    let order: Vec<(u64, Priority)> = run(&mut p, t0, t0 + Duration::from_secs(1))
        .into_iter()
        .filter_map(|(_, x)| match x {
            Paced::Media { tag, priority, .. } => Some((tag, priority)),
            _ => None,
        })
        .collect();
    assert_eq!(
        order,
        vec![
            (3, Priority::Audio),
            (2, Priority::Retransmission),
            (1, Priority::Video)
        ]
    );
}

#[test]
fn padding_fills_the_padding_rate_only_while_no_media_waits() {
    let t0 = Instant::now();
    let mut p = Pacer::new(t0, config(1_000_000));
    p.set_padding_rate(t0, 200_000);
    let sent = run(&mut p, t0, t0 + Duration::from_secs(1));
    let padding: usize = sent
        .iter()
        .map(|(_, x)| match x {
            Paced::Padding { bytes, probe: None } => *bytes,
            other => panic!("only padding: {other:?}"),
        })
        .sum();
    // 200 kbit/s for a second is 25,000 bytes, plus the 1,000 the budget starts with
    // (give or take a packet at either end).
    assert!((25_000..=27_200).contains(&padding), "{padding}");

    // With media waiting, no padding.
    let t1 = t0 + Duration::from_secs(2);
    for tag in 0..10 {
        p.push(t1, tag, 1200, Priority::Video).expect("room");
    }
    let mut kinds = Vec::new();
    let mut now = t1;
    while p.queued_packets() > 0 {
        p.handle_timeout(now);
        while let Some(x) = p.poll_packet(now) {
            kinds.push(matches!(x, Paced::Media { .. }));
        }
        now = p.poll_timeout().expect("media waits");
    }
    assert!(kinds.iter().all(|&media| media), "{kinds:?}");
}

#[test]
fn a_probe_cluster_goes_at_its_rate_with_padding_when_no_media_waits() {
    let t0 = Instant::now();
    let mut p = Pacer::new(t0, config(300_000));
    let cluster = ProbeCluster {
        id: ProbeClusterId(7),
        bitrate_bps: 2_000_000,
        min_bytes: 3750,
        min_packets: 5,
    };
    p.add_probe(t0, cluster).expect("room");
    let sent = run(&mut p, t0, t0 + Duration::from_secs(1));
    // 3750 / 5 = 750-byte padding packets, 750 * 8 / 2 Mbit/s = 3 ms apart.
    assert_eq!(sent.len(), 5);
    for (i, (at, x)) in sent.iter().enumerate() {
        assert_eq!(
            *x,
            Paced::Padding {
                bytes: 750,
                probe: Some(ProbeClusterId(7))
            }
        );
        assert_eq!(*at - t0, ms(3 * i as u64));
    }
    assert_eq!(p.stats().probes_done, 1);
}

#[test]
fn a_probe_sends_queued_media_first_and_tags_it() {
    let t0 = Instant::now();
    let mut p = Pacer::new(t0, config(100_000));
    for tag in 0..3 {
        p.push(t0, tag, 1000, Priority::Video).expect("room");
    }
    let cluster = ProbeCluster {
        id: ProbeClusterId(1),
        bitrate_bps: 1_000_000,
        min_bytes: 4000,
        min_packets: 5,
    };
    p.add_probe(t0, cluster).expect("room");
    let sent = run(&mut p, t0, t0 + ms(100));
    let probe: Vec<Paced> = sent
        .iter()
        .map(|(_, x)| *x)
        .filter(|x| {
            matches!(
                x,
                Paced::Media { probe: Some(_), .. } | Paced::Padding { probe: Some(_), .. }
            )
        })
        .collect();
    assert_eq!(probe.len(), 5);
    assert!(matches!(probe[0], Paced::Media { tag: 0, .. }));
    assert!(matches!(probe[2], Paced::Media { tag: 2, .. }));
    assert!(matches!(probe[3], Paced::Padding { bytes: 800, .. }));
}

#[test]
fn a_full_queue_refuses_and_too_many_probes_are_refused() {
    let t0 = Instant::now();
    let mut p = Pacer::new(
        t0,
        PacerConfig {
            queue_capacity: 2,
            max_probes: 1,
            ..config(100_000)
        },
    );
    p.push(t0, 0, 100, Priority::Audio).expect("room");
    p.push(t0, 1, 100, Priority::Audio).expect("room");
    assert_eq!(
        p.push(t0, 2, 100, Priority::Audio),
        Err(PacerError::QueueFull(Priority::Audio))
    );
    assert_eq!(p.stats().refused, 1);
    let c = ProbeCluster {
        id: ProbeClusterId(1),
        bitrate_bps: 1,
        min_bytes: 1,
        min_packets: 1,
    };
    p.add_probe(t0, c).expect("room");
    assert_eq!(p.add_probe(t0, c), Err(PacerError::TooManyProbes(1)));
}

#[test]
fn a_long_queue_raises_the_rate_to_drain_within_the_queue_time() {
    let t0 = Instant::now();
    let mut p = Pacer::new(t0, config(100_000));
    for tag in 0..1000 {
        p.push(t0, tag, 1200, Priority::Video).expect("room");
    }
    // 1.2 MB in 2 s: 4.8 Mbit/s.
    assert_eq!(p.pacing_rate(), 4_800_000);
    let idle = Pacer::new(t0, config(100_000));
    assert_eq!(idle.poll_timeout(), None, "nothing to do");
}

/// Random script bytes (xorshift), as the fuzz target would feed them.
#[cfg(feature = "fuzzing")]
#[test]
fn the_fuzz_script_runs_on_random_inputs() {
    let mut bytes = crate::fuzz::ScriptBytes::new(0x2545_f491_4f6c_dd1d);
    for _ in 0..300 {
        crate::fuzz::pacer(&bytes.next(800));
    }
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Every packet comes out once; within a priority in the order queued; and
        /// whenever one comes out, no packet of a higher priority was waiting.
        #[test]
        fn every_packet_comes_out_once_in_priority_order(
            pushes in proptest::collection::vec((0usize..3, 50usize..1500, 0u64..30), 1..200),
        ) {
            let t0 = Instant::now();
            let mut p = Pacer::new(t0, config(500_000));
            let mut waiting: Vec<(u64, Priority)> = Vec::new();
            let mut out: Vec<(u64, Priority)> = Vec::new();
            let mut now = t0;
            let drain = |p: &mut Pacer, now: Instant, waiting: &mut Vec<(u64, Priority)>, out: &mut Vec<(u64, Priority)>| {
                while let Some(x) = p.poll_packet(now) {
                    if let Paced::Media { tag, priority, .. } = x {
                        let best = waiting.iter().map(|w| w.1).min();
                        assert_eq!(Some(priority), best, "a higher priority waited");
                        waiting.retain(|w| w.0 != tag);
                        out.push((tag, priority));
                    }
                }
            };
            for (tag, &(prio, bytes, gap)) in pushes.iter().enumerate() {
                now += ms(gap);
                p.handle_timeout(now);
                drain(&mut p, now, &mut waiting, &mut out);
                let priority = Priority::ALL[prio];
                p.push(now, tag as u64, bytes, priority).expect("room");
                waiting.push((tag as u64, priority));
                drain(&mut p, now, &mut waiting, &mut out);
            }
            while let Some(t) = p.poll_timeout() {
                now = t;
                p.handle_timeout(now);
                drain(&mut p, now, &mut waiting, &mut out);
            }
            prop_assert!(waiting.is_empty());
            prop_assert_eq!(out.len(), pushes.len());
            for prio in Priority::ALL {
                let tags: Vec<u64> = out.iter().filter(|o| o.1 == prio).map(|o| o.0).collect();
                let mut sorted = tags.clone();
                sorted.sort_unstable();
                prop_assert_eq!(tags, sorted);
            }
        }
    }
}
