//! Congestion control and pacing against a modelled bottleneck, on a virtual clock:
//! one sender (an encoder that follows the target, audio and video through the pacer,
//! the estimator fed transport-wide CC feedback written and parsed as RTCP), one
//! drop-tail bottleneck (a rate, a queue of 50 packets, 25 ms each way, optional random
//! loss before the queue) and one receiver that sends feedback every 50 ms. Deterministic
//! (a fixed seed, 1 ms steps).
//!
//! Each test prints one line per second (estimate, send rate, delivered rate, queueing
//! delay, loss) and writes the same as CSV under the target dir (`CARGO_TARGET_TMPDIR`,
//! `gcc_<scenario>.csv`) for plotting.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use wren_media::cc::{Event, Gcc, GccConfig, ProbeClusterId};
use wren_media::pacer::{Paced, Pacer, PacerConfig, Priority};
use wren_rtp::rtcp::{RtcpPacket, RtcpWrite, TransportFeedback, TwccPacket, TwccPackets};

/// Pacing rate as a multiple of the target (libwebrtc's factor).
const PACING_FACTOR: f64 = 2.5;
/// One-way propagation delay.
const PROPAGATION: Duration = Duration::from_millis(25);
/// The bottleneck queue, in packets.
const QUEUE_PACKETS: usize = 50;
/// Feedback interval.
const FEEDBACK_EVERY: Duration = Duration::from_millis(50);
/// Audio: 100-byte packets every 20 ms (40 kbit/s), always sent.
const AUDIO_BYTES: usize = 100;
const AUDIO_BPS: f64 = 40_000.0;
/// Largest RTP packet.
const MTU: usize = 1200;

/// A deterministic PRNG (xorshift64*), for the link's random loss.
struct Rng(u64);

impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A packet on the link.
#[derive(Clone, Copy)]
struct InFlight {
    seq: u16,
    bytes: usize,
    entered: Instant,
    departs: Instant,
}

/// The bottleneck: random loss, then a drop-tail FIFO served at `rate_bps`, then the
/// propagation delay.
struct Link {
    rate_bps: u64,
    loss: f64,
    rng: Rng,
    queue: VecDeque<InFlight>,
    last_departure: Option<Instant>,
    /// Left the queue, arriving at the receiver at `.0`.
    propagating: VecDeque<(Instant, InFlight)>,
    dropped_queue: u64,
    dropped_random: u64,
}

impl Link {
    fn new(rate_bps: u64, loss: f64, seed: u64) -> Link {
        Link {
            rate_bps,
            loss,
            rng: Rng(seed),
            queue: VecDeque::new(),
            last_departure: None,
            propagating: VecDeque::new(),
            dropped_queue: 0,
            dropped_random: 0,
        }
    }

    fn send(&mut self, now: Instant, seq: u16, bytes: usize) {
        if self.loss > 0.0 && self.rng.next_f64() < self.loss {
            self.dropped_random += 1;
            return;
        }
        if self.queue.len() >= QUEUE_PACKETS {
            self.dropped_queue += 1;
            return;
        }
        let start = self.last_departure.map_or(now, |d| d.max(now));
        let departs = start + Duration::from_secs_f64(bytes as f64 * 8.0 / self.rate_bps as f64);
        self.last_departure = Some(departs);
        self.queue.push_back(InFlight {
            seq,
            bytes,
            entered: now,
            departs,
        });
    }

    /// Moves packets whose service ended by `now` onto the wire; returns each one's
    /// time in the queue (waiting plus its own serialization).
    fn advance(&mut self, now: Instant, delays: &mut Vec<Duration>) {
        while let Some(p) = self.queue.front().copied().filter(|p| p.departs <= now) {
            self.queue.pop_front();
            delays.push(p.departs - p.entered);
            self.propagating.push_back((p.departs + PROPAGATION, p));
        }
    }

    fn arrivals(&mut self, now: Instant, out: &mut Vec<(InFlight, Instant)>) {
        while let Some(&(at, p)) = self.propagating.front().filter(|(at, _)| *at <= now) {
            self.propagating.pop_front();
            out.push((p, at));
        }
    }
}

/// The receiver: arrival times by transport-wide sequence number, reported every 50 ms.
struct Receiver {
    /// Arrivals since the last feedback, in sequence order (the link is FIFO).
    pending: Vec<(u16, Instant)>,
    next_base: Option<u16>,
    fb_count: u8,
    epoch: Instant,
    last_feedback: Instant,
}

impl Receiver {
    /// A feedback packet (written to bytes) covering everything since the last one;
    /// returns its last sequence number and when that packet arrived (for the RTT, as
    /// an RTCP receiver report's delay since last SR gives it).
    fn feedback(&mut self, buf: &mut Vec<u8>) -> Option<(u16, Instant)> {
        let &(last_seq, last_arrival) = self.pending.last()?;
        let base = self.next_base.unwrap_or(self.pending[0].0);
        let first_arrival = self.pending[0].1 - self.epoch;
        let reference = (first_arrival.as_micros() / 64_000) as i64;
        let mut clock = reference * 64_000;
        let mut list = Vec::new();
        let mut arrivals = self.pending.iter().peekable();
        let mut seq = base;
        loop {
            let delta = match arrivals.peek() {
                Some(&&(s, at)) if s == seq => {
                    arrivals.next();
                    let us = (at - self.epoch).as_micros() as i64;
                    let d = (us - clock) / 250;
                    clock += d * 250;
                    Some(i16::try_from(d).expect("delta fits 16 bits"))
                }
                _ => None,
            };
            list.push(TwccPacket { seq, delta });
            if seq == last_seq {
                break;
            }
            seq = seq.wrapping_add(1);
        }
        let fb = TransportFeedback {
            sender_ssrc: 2,
            media_ssrc: 1,
            base_seq: base,
            reference_time: reference as i32,
            fb_count: self.fb_count,
            packets: TwccPackets::List(&list),
        };
        self.fb_count = self.fb_count.wrapping_add(1);
        buf.resize(fb.encoded_len(), 0);
        let n = fb.write(buf).expect("feedback fits");
        buf.truncate(n);
        self.next_base = Some(last_seq.wrapping_add(1));
        self.pending.clear();
        Some((last_seq, last_arrival))
    }
}

/// What one second looked like.
#[derive(Debug, Clone, Copy)]
struct Sample {
    second: u64,
    link_bps: u64,
    estimate_bps: u64,
    send_bps: u64,
    delivered_bps: u64,
    mean_delay_ms: f64,
    max_delay_ms: f64,
    /// Dropped by the full queue (congestion), and at random.
    lost_queue: u64,
    lost_random: u64,
}

/// A scenario: the link rate and random loss over time.
struct Scenario {
    name: &'static str,
    seconds: u64,
    /// (from second, rate bit/s)
    rates: &'static [(u64, u64)],
    loss: f64,
    /// Whether the controller probes at 3x and 6x its start rate.
    initial_probes: bool,
}

fn run(s: &Scenario) -> Vec<Sample> {
    let t0 = Instant::now();
    let mut gcc = Gcc::new(
        t0,
        GccConfig {
            initial_probes: s.initial_probes,
            ..GccConfig::default()
        },
    );
    let mut pacer = Pacer::new(
        t0,
        PacerConfig {
            pacing_rate_bps: (PACING_FACTOR * 300_000.0) as u64,
            ..PacerConfig::default()
        },
    );
    gcc.set_rtt(2 * PROPAGATION);
    let mut link = Link::new(s.rates[0].1, s.loss, 0x5eed_1234_abcd_0001);
    let mut rx = Receiver {
        pending: Vec::new(),
        next_base: None,
        fb_count: 0,
        epoch: t0,
        last_feedback: t0,
    };
    // The sender's packets by tag (the pacer holds tags): tag -> size.
    let mut sizes: VecDeque<(u64, usize)> = VecDeque::new();
    let mut next_tag = 0u64;
    let mut seq = 0u16;
    // Feedback on its way back: (arrival, bytes, its last packet, how long the receiver
    // held that packet's report).
    let mut feedback_in_flight: VecDeque<(Instant, Vec<u8>, u16, Duration)> = VecDeque::new();
    let mut sent_at = vec![t0; 1 << 16];
    let mut fb_buf = Vec::new();
    let mut target = gcc.target_bitrate();
    let mut samples = Vec::new();
    let (mut sent_bytes, mut delivered_bytes) = (0u64, 0u64);
    let mut delays = Vec::new();
    let mut arrivals = Vec::new();
    let (mut queue_before, mut random_before) = (0, 0);
    let frame_interval = Duration::from_secs_f64(1.0 / 30.0);
    let mut next_frame = t0;
    let mut next_audio = t0;

    let step = Duration::from_millis(1);
    let mut now = t0;
    for tick in 0..=(s.seconds * 1000) {
        now = t0 + step * tick as u32;
        // The link's rate for this second.
        let sec = tick / 1000;
        link.rate_bps = s
            .rates
            .iter()
            .rev()
            .find(|(from, _)| *from <= sec)
            .map_or(s.rates[0].1, |r| r.1);

        // Feedback reaching the sender.
        while let Some((at, bytes, last_seq, held)) = feedback_in_flight.front() {
            if *at > now {
                break;
            }
            let (pkt, _) = RtcpPacket::parse_first(bytes).expect("our feedback parses");
            let fb = TransportFeedback::parse(&pkt).expect("a TWCC packet");
            gcc.handle_feedback(now, &fb);
            // The round trip as RTCP would measure it (queueing included).
            gcc.set_rtt(now - sent_at[usize::from(*last_seq)] - *held);
            feedback_in_flight.pop_front();
        }
        while let Some(e) = gcc.poll_event() {
            match e {
                Event::TargetBitrate { bps, .. } => {
                    target = bps;
                    pacer.set_pacing_rate(now, (PACING_FACTOR * bps as f64) as u64);
                }
                Event::Probe(cluster) => {
                    pacer.add_probe(now, cluster).expect("room for probes");
                }
                _ => {}
            }
        }

        // The encoder: audio every 20 ms, a video frame every 1/30 s at the target
        // (less the audio), cut into packets of at most the MTU.
        if now >= next_audio {
            next_audio += Duration::from_millis(20);
            pacer
                .push(now, next_tag, AUDIO_BYTES, Priority::Audio)
                .expect("room");
            sizes.push_back((next_tag, AUDIO_BYTES));
            next_tag += 1;
        }
        if now >= next_frame {
            next_frame += frame_interval;
            let video_bps = (target as f64 - AUDIO_BPS).max(20_000.0);
            let mut frame = (video_bps / 30.0 / 8.0) as usize;
            while frame > 0 {
                let n = frame.min(MTU);
                frame -= n;
                if pacer.push(now, next_tag, n, Priority::Video).is_ok() {
                    sizes.push_back((next_tag, n));
                }
                next_tag += 1;
            }
        }

        // The pacer onto the link.
        pacer.handle_timeout(now);
        while let Some(p) = pacer.poll_packet(now) {
            let (bytes, probe): (usize, Option<ProbeClusterId>) = match p {
                Paced::Media {
                    tag, bytes, probe, ..
                } => {
                    while sizes.front().is_some_and(|(t, _)| *t < tag) {
                        sizes.pop_front();
                    }
                    (bytes, probe)
                }
                Paced::Padding { bytes, probe } => (bytes, probe),
                _ => continue,
            };
            gcc.handle_packet_sent(now, seq, bytes, probe);
            sent_at[usize::from(seq)] = now;
            link.send(now, seq, bytes);
            sent_bytes += bytes as u64;
            seq = seq.wrapping_add(1);
        }

        // The link and the receiver.
        link.advance(now, &mut delays);
        arrivals.clear();
        link.arrivals(now, &mut arrivals);
        for (p, at) in &arrivals {
            rx.pending.push((p.seq, *at));
            delivered_bytes += p.bytes as u64;
        }
        if now - rx.last_feedback >= FEEDBACK_EVERY {
            rx.last_feedback = now;
            if let Some((last_seq, last_arrival)) = rx.feedback(&mut fb_buf) {
                feedback_in_flight.push_back((
                    now + PROPAGATION,
                    fb_buf.clone(),
                    last_seq,
                    now - last_arrival,
                ));
            }
        }

        if tick > 0 && tick % 1000 == 0 {
            let mean = if delays.is_empty() {
                0.0
            } else {
                delays.iter().map(Duration::as_secs_f64).sum::<f64>() / delays.len() as f64 * 1000.0
            };
            let max = delays
                .iter()
                .max()
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
            samples.push(Sample {
                second: tick / 1000,
                link_bps: link.rate_bps,
                estimate_bps: gcc.target_bitrate(),
                send_bps: sent_bytes * 8,
                delivered_bps: delivered_bytes * 8,
                mean_delay_ms: mean,
                max_delay_ms: max,
                lost_queue: link.dropped_queue - queue_before,
                lost_random: link.dropped_random - random_before,
            });
            queue_before = link.dropped_queue;
            random_before = link.dropped_random;
            sent_bytes = 0;
            delivered_bytes = 0;
            delays.clear();
        }
    }
    let _ = now;
    report(s, &samples, &gcc, &pacer, &link);
    samples
}

/// Prints the samples and writes them as CSV under the target dir.
fn report(s: &Scenario, samples: &[Sample], gcc: &Gcc, pacer: &Pacer, link: &Link) {
    let mut csv = String::from(
        "second,link_bps,estimate_bps,send_bps,delivered_bps,mean_queue_delay_ms,max_queue_delay_ms,lost_packets\n",
    );
    println!(
        "scenario {} ({}% random loss, initial probes {}):",
        s.name,
        s.loss * 100.0,
        s.initial_probes
    );
    println!(
        "   s   link kbps  estimate kbps  send kbps  delivered kbps  queue ms mean/max  lost queue/random"
    );
    for x in samples {
        println!(
            "{:4} {:11} {:14} {:10} {:15} {:10.1}/{:<8.1} {:5}/{}",
            x.second,
            x.link_bps / 1000,
            x.estimate_bps / 1000,
            x.send_bps / 1000,
            x.delivered_bps / 1000,
            x.mean_delay_ms,
            x.max_delay_ms,
            x.lost_queue,
            x.lost_random
        );
        writeln!(
            csv,
            "{},{},{},{},{},{:.2},{:.2},{},{}",
            x.second,
            x.link_bps,
            x.estimate_bps,
            x.send_bps,
            x.delivered_bps,
            x.mean_delay_ms,
            x.max_delay_ms,
            x.lost_queue,
            x.lost_random
        )
        .expect("write to a String");
    }
    println!("estimator: {:?}", gcc.stats());
    println!("pacer: {:?}", pacer.stats());
    println!(
        "link: {} dropped by the queue, {} at random",
        link.dropped_queue, link.dropped_random
    );
    let path =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("gcc_{}.csv", s.name));
    std::fs::write(&path, csv).expect("write the CSV under the target dir");
    println!("CSV: {}", path.display());
}

fn within(x: u64, target: u64, fraction: f64) -> bool {
    (x as f64 - target as f64).abs() <= fraction * target as f64
}

#[test]
fn estimate_settles_within_15_percent_of_1mbps_in_20s_and_queueing_stays_under_100ms() {
    let samples = run(&Scenario {
        name: "steady_1mbps",
        seconds: 60,
        rates: &[(0, 1_000_000)],
        loss: 0.0,
        initial_probes: true,
    });
    // Settled: from some second at most 20 on, every sample to the end is within 15%.
    let settled = samples
        .iter()
        .rposition(|x| !within(x.estimate_bps, 1_000_000, 0.15))
        .map_or(0, |i| samples[i].second);
    assert!(
        settled < 20,
        "last sample outside 15% of 1 Mbit/s: second {settled}"
    );
    let worst = samples
        .iter()
        .filter(|x| x.second > 20)
        .map(|x| x.max_delay_ms)
        .fold(0.0, f64::max);
    assert!(
        worst < 100.0,
        "queueing delay after 20 s reached {worst} ms"
    );
}

#[test]
fn estimate_follows_a_drop_from_1mbps_to_300kbps_within_5s() {
    let samples = run(&Scenario {
        name: "drop_to_300kbps",
        seconds: 60,
        rates: &[(0, 1_000_000), (30, 300_000)],
        loss: 0.0,
        initial_probes: true,
    });
    // Within 5 s of the drop (second 35 on) every sample is within 15% of 300 kbit/s.
    let off: Vec<_> = samples
        .iter()
        .filter(|x| x.second >= 35 && !within(x.estimate_bps, 300_000, 0.15))
        .map(|x| (x.second, x.estimate_bps))
        .collect();
    assert!(
        off.is_empty(),
        "outside 15% of 300 kbit/s after 35 s: {off:?}"
    );
}

#[test]
fn five_percent_random_loss_without_congestion_keeps_the_rate_above_70_percent() {
    let samples = run(&Scenario {
        name: "random_loss_5pct",
        seconds: 60,
        rates: &[(0, 1_000_000)],
        loss: 0.05,
        initial_probes: true,
    });
    let congestion: u64 = samples.iter().map(|x| x.lost_queue).sum();
    assert_eq!(
        congestion, 0,
        "the queue never overflowed: the loss is random only"
    );
    let low: Vec<_> = samples
        .iter()
        .filter(|x| x.second >= 20 && x.estimate_bps < 700_000)
        .map(|x| (x.second, x.estimate_bps))
        .collect();
    assert!(low.is_empty(), "under 70% of 1 Mbit/s after 20 s: {low:?}");
}

#[test]
fn without_initial_probes_the_estimate_still_settles_within_15_percent_in_20s() {
    let samples = run(&Scenario {
        name: "steady_1mbps_no_probes",
        seconds: 60,
        rates: &[(0, 1_000_000)],
        loss: 0.0,
        initial_probes: false,
    });
    let settled = samples
        .iter()
        .rposition(|x| !within(x.estimate_bps, 1_000_000, 0.15))
        .map_or(0, |i| samples[i].second);
    assert!(
        settled < 20,
        "last sample outside 15% of 1 Mbit/s: second {settled}"
    );
}

#[test]
fn start_probing_finds_a_5mbps_link_within_5s() {
    // From 300 kbit/s, AIMD alone would take half a minute (8% a second); the start
    // probes (0.9 and 1.8 Mbit/s) and the exponential ones after them get there sooner.
    let samples = run(&Scenario {
        name: "steady_5mbps",
        seconds: 30,
        rates: &[(0, 5_000_000)],
        loss: 0.0,
        initial_probes: true,
    });
    let settled = samples
        .iter()
        .rposition(|x| !within(x.estimate_bps, 5_000_000, 0.15))
        .map_or(0, |i| samples[i].second);
    assert!(
        settled < 5,
        "last sample outside 15% of 5 Mbit/s: second {settled}"
    );
}
