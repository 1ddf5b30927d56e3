//! Send-side congestion control in the manner of Google Congestion Control
//! (draft-ietf-rmcat-gcc-02), structured as libwebrtc runs it from transport-wide CC
//! feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01).
//!
//! The sender reports each packet it sends with its transport-wide sequence number and
//! size ([`Gcc::handle_packet_sent`]); each feedback packet ([`Gcc::handle_feedback`],
//! wren-rtp's parsed [`TransportFeedback`]) then gives arrival times. From them:
//!
//! - a **delay-based** estimate: packets grouped in 5 ms bursts (`inter_arrival`), the
//!   delay variation between groups through the trendline filter (`trendline`: window
//!   20, smoothing 0.9), the over-use detector with its adaptive threshold (`detector`:
//!   gain 4, k_up 0.0087, k_down 0.039) and AIMD rate control (`aimd`: 0.85 of the
//!   acknowledged bitrate on over-use, multiplicative or additive increase);
//! - a **loss-based** estimate (`loss`: grow under 2% loss up to the delay-based
//!   estimate, shrink by `1 - 0.5 * loss` over 10%);
//! - **probing** (`probe`): clusters at 3x and 6x the start rate at the start and on
//!   [`Gcc::request_probe`], whose measured rate raises the estimate at once; while
//!   the start's results reach 70% of the last cluster's rate, probing goes on at twice
//!   the result (exponential probing).
//!
//! The target is the smaller of both, within the
//! configured bounds and under the last REMB (draft-alvestrand-rmcat-remb-03). It comes
//! out as [`Event::TargetBitrate`] when it changes; probe clusters for the pacer
//! ([`crate::pacer`]) as [`Event::Probe`].
//!
//! Sans-IO: `now` is passed in; feedback is read in place; nothing is allocated per
//! packet or per feedback once constructed.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use wren_media::cc::{Event, Gcc, GccConfig};
//! use wren_rtp::rtcp::{TransportFeedback, TwccPacket, TwccPackets};
//!
//! let start = Instant::now();
//! let mut gcc = Gcc::new(start, GccConfig::default());
//! // Probe clusters to hand to the pacer come first.
//! while let Some(e) = gcc.poll_event() {
//!     assert!(matches!(e, Event::Probe(_)));
//! }
//! for seq in 0..10u16 {
//!     gcc.handle_packet_sent(start + Duration::from_millis(u64::from(seq) * 10), seq, 1200, None);
//! }
//! // The receiver got all ten, 10 ms (40 ticks of 250 us) apart.
//! let list: Vec<TwccPacket> = (0..10).map(|seq| TwccPacket { seq, delta: Some(40) }).collect();
//! let fb = TransportFeedback {
//!     sender_ssrc: 1, media_ssrc: 2, base_seq: 0, reference_time: 0, fb_count: 0,
//!     packets: TwccPackets::List(&list),
//! };
//! gcc.handle_feedback(start + Duration::from_millis(150), &fb);
//! assert_eq!(gcc.stats().packets_received, 10);
//! assert!(gcc.target_bitrate() >= GccConfig::default().min_bitrate_bps);
//! ```

mod acked;
mod aimd;
mod detector;
mod history;
mod inter_arrival;
mod loss;
mod probe;
mod trendline;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use wren_rtp::rtcp::TransportFeedback;

use acked::AckedRate;
use aimd::Aimd;
pub use detector::BandwidthUsage;
use detector::Detector;
use history::{History, Reported};
use inter_arrival::InterArrival;
use loss::{LossAction, LossBased};
use probe::ProbeEstimator;
pub use probe::{ProbeCluster, ProbeClusterId};
use trendline::Trendline;

/// How the controller runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GccConfig {
    /// The estimate before any feedback, bit/s.
    pub start_bitrate_bps: u64,
    /// The target never goes under this, bit/s.
    pub min_bitrate_bps: u64,
    /// Nor over this, bit/s.
    pub max_bitrate_bps: u64,
    /// Whether to probe at 3x and 6x the start rate at once.
    pub initial_probes: bool,
    /// How long a probe cluster lasts at least (its bytes are its rate times this).
    pub probe_duration: Duration,
    /// Packets in a probe cluster at least.
    pub probe_min_packets: u32,
    /// The loss fraction is read at most this often (over at least 20 packets).
    pub loss_interval: Duration,
    /// Events held until polled (a newer target replaces one not yet polled; other
    /// events past this drop the oldest, counted).
    pub max_events: usize,
}

impl Default for GccConfig {
    fn default() -> Self {
        GccConfig {
            start_bitrate_bps: 300_000,
            min_bitrate_bps: 30_000,
            max_bitrate_bps: 20_000_000,
            initial_probes: true,
            probe_duration: Duration::from_millis(15),
            probe_min_packets: 5,
            loss_interval: Duration::from_secs(1),
            max_events: 32,
        }
    }
}

/// Why the target changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TargetReason {
    /// The delay-based estimate grew (or held while the loss-based one grew).
    Increase,
    /// The delay-based estimate fell: the bottleneck queue was growing.
    Overuse,
    /// The loss-based estimate fell: over 10% of packets were lost.
    Loss,
    /// A probe measured more than the estimate.
    Probe,
    /// The receiver's REMB capped it.
    Remb,
    /// The application changed the bounds ([`Gcc::set_bitrate_bounds`]).
    Bounds,
}

/// What the controller has for the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The target bitrate changed: encoders and the pacer should follow it.
    TargetBitrate {
        /// The new target, bit/s.
        bps: u64,
        /// What moved it.
        reason: TargetReason,
    },
    /// Send a probe cluster: give it to [`crate::pacer::Pacer::add_probe`].
    Probe(ProbeCluster),
}

/// Counters and the estimator's state.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GccStats {
    /// Packets reported sent.
    pub packets_sent: u64,
    /// Feedback packets taken.
    pub feedbacks: u64,
    /// Packets feedback reported received (each once).
    pub packets_received: u64,
    /// Packets feedback reported lost (each once, even if later received).
    pub packets_lost: u64,
    /// Reports of packets not in the send history (too old, or never sent), or past
    /// the 1,024 received packets one feedback is read for.
    pub unknown_reports: u64,
    /// The last loss fraction the loss-based estimator read (0..=1).
    pub loss_fraction: f64,
    /// The delay trend (slope of the smoothed accumulated delay, ms per ms).
    pub delay_trend: f64,
    /// The trend as the detector compares it (scaled by deltas and gain), and its
    /// threshold.
    pub modified_trend: f64,
    /// See `modified_trend`.
    pub threshold: f64,
    /// The detector's state.
    pub usage: BandwidthUsage,
    /// Times the detector went to over-use.
    pub overuses: u64,
    /// The delay-based estimate, bit/s.
    pub delay_based_bps: u64,
    /// The loss-based estimate, bit/s.
    pub loss_based_bps: u64,
    /// The acknowledged bitrate, bit/s, once known.
    pub acked_bps: Option<u64>,
    /// The link capacity AIMD learned from its decreases, bit/s (`None` far from
    /// convergence, when it increases multiplicatively).
    pub link_capacity_bps: Option<u64>,
    /// The last REMB, bit/s.
    pub remb_bps: Option<u64>,
    /// The round trip in use: the one given to [`Gcc::set_rtt`], or until then one
    /// estimated from feedback.
    pub rtt: Option<Duration>,
    /// Probe clusters asked for, and those that gave a result.
    pub probes: u64,
    /// See `probes`.
    pub probe_results: u64,
    /// Events dropped because nobody polled them.
    pub events_dropped: u64,
}

/// Feedback entries kept between arrival sorting and use.
#[derive(Debug, Clone, Copy)]
struct Acked {
    send_us: i64,
    arrival_us: i64,
    bytes: u32,
    probe: Option<ProbeClusterId>,
}

/// Google Congestion Control for one transport (one transport-wide sequence space).
#[derive(Debug)]
pub struct Gcc {
    config: GccConfig,
    anchor: Instant,
    last_now: Instant,
    history: History,
    inter_arrival: InterArrival,
    trendline: Trendline,
    detector: Detector,
    aimd: Aimd,
    loss: LossBased,
    acked: AckedRate,
    probes: ProbeEstimator,
    /// Feedback's received packets, sorted by arrival (capacity kept).
    scratch: Vec<Acked>,
    /// The reference time unwrapped: (last 24-bit value, base in 64 ms units).
    reference: Option<(i32, i64)>,
    remb: Option<f64>,
    /// Whether the application gives the round trip.
    rtt_given: bool,
    /// While probing exponentially: the last cluster's rate and when it was asked for.
    exponential: Option<(u64, Instant)>,
    /// Times the start probes may still be sent again when none gave a result.
    start_retries: u8,
    target: u64,
    events: VecDeque<Event>,
    stats: GccStats,
}

/// A probe result this share of the last cluster's rate asks for the next cluster.
const PROBE_FURTHER: f64 = 0.7;
/// Exponential probing ends when no such result comes within this of the last cluster.
const EXPONENTIAL_PROBE_WAIT: Duration = Duration::from_secs(1);
/// Times the start probes are sent again when none of them gave a result (their packets
/// reached a receiver not yet able to read them, or their feedback was lost).
const START_PROBE_RETRIES: u8 = 2;

/// Packets of one feedback handled at most (the status count is 16 bits).
const MAX_FEEDBACK_PACKETS: usize = 1 << 16;
/// Arrival times are kept within this many microseconds of zero (about 142 years), so
/// that differences between them never overflow, whatever the reference times say.
const MAX_ARRIVAL_US: i64 = 1 << 52;

impl Gcc {
    /// A controller at its start rate; with `initial_probes`, the two probe clusters
    /// are the first events.
    #[must_use]
    pub fn new(now: Instant, config: GccConfig) -> Gcc {
        let min = config.min_bitrate_bps as f64;
        let max = (config.max_bitrate_bps.max(config.min_bitrate_bps)) as f64;
        let start = (config.start_bitrate_bps as f64).clamp(min, max);
        let mut gcc = Gcc {
            anchor: now,
            last_now: now,
            history: History::default(),
            inter_arrival: InterArrival::default(),
            trendline: Trendline::default(),
            detector: Detector::default(),
            aimd: Aimd::new(start, min, max),
            loss: LossBased::new(start, min, config.loss_interval.as_secs_f64()),
            acked: AckedRate::default(),
            probes: ProbeEstimator::default(),
            scratch: Vec::with_capacity(1024),
            reference: None,
            remb: None,
            exponential: None,
            start_retries: START_PROBE_RETRIES,
            rtt_given: false,
            target: start as u64,
            events: VecDeque::with_capacity(config.max_events.max(1)),
            stats: GccStats::default(),
            config,
        };
        if gcc.config.initial_probes {
            gcc.push_probe(3 * start as u64);
            gcc.push_probe(6 * start as u64);
            gcc.exponential = Some((6 * start as u64, now));
        }
        gcc.refresh_stats();
        gcc
    }

    /// The current target, bit/s.
    #[must_use]
    pub fn target_bitrate(&self) -> u64 {
        self.target
    }

    /// The counters and estimator state.
    #[must_use]
    pub fn stats(&self) -> GccStats {
        self.stats
    }

    /// The next event. Call after `new`, `handle_feedback`, `handle_remb` and
    /// `request_probe`, until `None`.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    fn clamp_now(&mut self, now: Instant) -> Instant {
        self.last_now = self.last_now.max(now);
        self.last_now
    }

    fn micros(&self, now: Instant) -> i64 {
        i64::try_from(now.duration_since(self.anchor).as_micros())
            .unwrap_or(MAX_ARRIVAL_US)
            .min(MAX_ARRIVAL_US)
    }

    /// A packet went out: its transport-wide sequence number (the RTP header extension
    /// value), its size on the wire and, if the pacer sent it for one, its probe cluster.
    pub fn handle_packet_sent(
        &mut self,
        now: Instant,
        seq: u16,
        bytes: usize,
        probe: Option<ProbeClusterId>,
    ) {
        let now = self.clamp_now(now);
        let send_us = self.micros(now);
        let bytes = u32::try_from(bytes).unwrap_or(u32::MAX);
        self.history.insert(seq, send_us, bytes, probe);
        self.stats.packets_sent += 1;
    }

    /// The round trip (from RTCP receiver reports): paces AIMD's additive step and
    /// further decreases, and the loss-based decreases. Until it is first called, the
    /// round trip is estimated from feedback (see [`GccStats::rtt`]).
    pub fn set_rtt(&mut self, rtt: Duration) {
        self.rtt_given = true;
        self.apply_rtt(rtt);
    }

    fn apply_rtt(&mut self, rtt: Duration) {
        self.stats.rtt = Some(rtt);
        self.aimd.set_rtt(rtt);
        self.loss.set_rtt(rtt);
    }

    /// From one feedback: the time since the last packet it acknowledges was sent
    /// (which includes how long the receiver held the report, as libwebrtc's feedback
    /// RTT does), smoothed over feedbacks (1/8 per sample).
    fn feedback_rtt(&mut self, now_us: i64, last_send_us: i64) {
        let sample = Duration::from_micros(u64::try_from(now_us - last_send_us).unwrap_or(0));
        let smoothed = match self.stats.rtt {
            Some(r) => (r * 7 + sample) / 8,
            None => sample,
        };
        self.apply_rtt(smoothed);
    }

    /// The receiver's REMB (bit/s): the target stays under it.
    pub fn handle_remb(&mut self, now: Instant, bps: u64) {
        self.clamp_now(now);
        self.remb = Some(bps as f64);
        self.stats.remb_bps = Some(bps);
        self.update_target(TargetReason::Remb);
    }

    /// New bounds for the target (for instance when a simulcast layer is turned on or
    /// off); a target outside them moves inside at once ([`TargetReason::Bounds`]).
    pub fn set_bitrate_bounds(&mut self, now: Instant, min_bps: u64, max_bps: u64) {
        self.clamp_now(now);
        self.config.min_bitrate_bps = min_bps;
        self.config.max_bitrate_bps = max_bps.max(min_bps);
        self.aimd
            .set_bounds(min_bps as f64, self.config.max_bitrate_bps as f64);
        self.loss.set_min(min_bps as f64);
        self.update_target(TargetReason::Bounds);
    }

    /// Asks for a probe cluster at `target_bps` (for instance before turning on a
    /// higher simulcast layer); it comes out as [`Event::Probe`].
    pub fn request_probe(&mut self, now: Instant, target_bps: u64) {
        self.clamp_now(now);
        let max = self.config.max_bitrate_bps.max(self.config.min_bitrate_bps);
        self.push_probe(target_bps.min(max));
    }

    fn push_probe(&mut self, bps: u64) {
        let duration = u64::try_from(self.config.probe_duration.as_micros()).unwrap_or(u64::MAX);
        let cluster = self
            .probes
            .create(bps, duration, self.config.probe_min_packets.max(1));
        self.stats.probes += 1;
        self.push_event(Event::Probe(cluster));
    }

    fn push_event(&mut self, e: Event) {
        if let Event::TargetBitrate { .. } = e
            && let Some(last @ Event::TargetBitrate { .. }) = self.events.back_mut()
        {
            *last = e;
            return;
        }
        if self.events.len() >= self.config.max_events.max(1) {
            self.events.pop_front();
            self.stats.events_dropped += 1;
        }
        self.events.push_back(e);
    }

    /// The feedback's reference time in microseconds, unwrapped across its 24 bits.
    fn reference_us(&mut self, reference: i32) -> i64 {
        let base = match self.reference {
            None => i64::from(reference),
            Some((last, base)) => {
                // The difference modulo 2^24, as a signed 24-bit value.
                let diff = ((reference.wrapping_sub(last) << 8) >> 8) as i64;
                base + diff
            }
        };
        self.reference = Some((reference, base));
        base.saturating_mul(64_000)
            .clamp(-MAX_ARRIVAL_US, MAX_ARRIVAL_US)
    }

    /// A transport-wide CC feedback packet: each reported packet is matched with what
    /// was sent, and the estimators run. Reports of packets not (or no longer) in the
    /// send history are counted and skipped.
    pub fn handle_feedback(&mut self, now: Instant, feedback: &TransportFeedback<'_>) {
        let now = self.clamp_now(now);
        let now_s = self.micros(now) as f64 / 1e6;
        self.stats.feedbacks += 1;
        let mut arrival = self.reference_us(feedback.reference_time);
        let (mut lost, mut received) = (0u32, 0u32);
        self.scratch.clear();
        for p in feedback.packets.iter().take(MAX_FEEDBACK_PACKETS) {
            if let Some(d) = p.delta {
                arrival = (arrival + i64::from(d) * 250).clamp(-MAX_ARRIVAL_US, MAX_ARRIVAL_US);
            }
            let Some(sent) = self.history.get_mut(p.seq) else {
                self.stats.unknown_reports += 1;
                continue;
            };
            match (p.delta, sent.reported) {
                (None, Reported::No) => {
                    sent.reported = Reported::Lost;
                    lost += 1;
                }
                (Some(_), Reported::No | Reported::Lost) => {
                    if sent.reported == Reported::No {
                        received += 1;
                    }
                    sent.reported = Reported::Received;
                    let a = Acked {
                        send_us: sent.send_us,
                        arrival_us: arrival,
                        bytes: sent.bytes,
                        probe: sent.probe,
                    };
                    if self.scratch.len() < self.scratch.capacity() {
                        self.scratch.push(a);
                    } else {
                        self.stats.unknown_reports += 1;
                    }
                }
                _ => {}
            }
        }
        self.stats.packets_lost += u64::from(lost);
        self.stats.packets_received += u64::from(received);
        if !self.rtt_given
            && let Some(last_send) = self.scratch.iter().map(|a| a.send_us).max()
        {
            self.feedback_rtt(self.micros(now), last_send);
        }
        self.scratch
            .sort_unstable_by_key(|a| (a.arrival_us, a.send_us));

        let mut probe_result = None;
        for i in 0..self.scratch.len() {
            let a = self.scratch[i];
            self.acked.push(a.arrival_us, u64::from(a.bytes));
            if let Some(id) = a.probe
                && let Some(rate) =
                    self.probes
                        .push(id, a.send_us, a.arrival_us, u64::from(a.bytes))
            {
                self.stats.probe_results += 1;
                probe_result = Some(rate);
            }
            if let Some(d) = self.inter_arrival.push(a.send_us, a.arrival_us) {
                let delay_ms = (d.arrival_us - d.send_us) as f64 / 1000.0;
                let trend = self.trendline.update(delay_ms, d.arrival_time_us);
                let before = self.detector.state();
                let usage = self.detector.detect(
                    trend,
                    d.send_us as f64 / 1000.0,
                    self.trendline.deltas(),
                    d.arrival_time_us as f64 / 1000.0,
                );
                if usage == BandwidthUsage::Overusing && before != BandwidthUsage::Overusing {
                    self.stats.overuses += 1;
                }
            }
        }
        let acked = self.acked.bitrate();
        let usage = self.detector.state();
        let before = self.aimd.bitrate();
        let mut reason = TargetReason::Increase;
        if usage == BandwidthUsage::Overusing {
            if acked.is_some_and(|a| self.aimd.time_to_reduce_further(now_s, a)) {
                self.aimd.update(usage, acked, now_s);
            }
            if self.aimd.bitrate() < before {
                reason = TargetReason::Overuse;
            }
        } else if let Some(rate) = probe_result.filter(|&r| r > self.aimd.bitrate()) {
            self.aimd.set_estimate(rate, now_s);
            self.loss.set(self.aimd.bitrate());
            reason = TargetReason::Probe;
        } else {
            self.aimd.update(usage, acked, now_s);
        }
        if let Some(rate) = probe_result {
            self.probe_further(now, rate);
        } else {
            self.retry_start_probes(now);
        }
        let cap = self.cap();
        if self.loss.report(now_s, lost, lost + received, cap) == LossAction::Decrease {
            reason = TargetReason::Loss;
        }
        self.update_target(reason);
    }

    /// Exponential probing (libwebrtc's `ProbeController`): while a probe result comes
    /// within a second of the last cluster and reaches 70% of its rate, the path may
    /// carry more: probe again at twice the result, up to the maximum.
    fn probe_further(&mut self, now: Instant, rate: f64) {
        let Some((last, since)) = self.exponential else {
            return;
        };
        if now.saturating_duration_since(since) > EXPONENTIAL_PROBE_WAIT {
            self.exponential = None;
            return;
        }
        if rate < PROBE_FURTHER * last as f64 {
            return;
        }
        let max = self.config.max_bitrate_bps.max(self.config.min_bitrate_bps);
        let next = ((2.0 * rate) as u64).min(max);
        if next <= last {
            self.exponential = None;
            return;
        }
        self.push_probe(next);
        self.exponential = Some((next, now));
    }

    /// The start probes (3x and 6x the estimate) once more when a second passed without
    /// any probe result: at a call's start the first clusters may reach a receiver whose
    /// SRTP is not keyed yet, or their feedback may be lost, and AIMD alone then needs
    /// many seconds to find the path's rate. At most [`START_PROBE_RETRIES`] times.
    fn retry_start_probes(&mut self, now: Instant) {
        let Some((_, since)) = self.exponential else {
            return;
        };
        if self.stats.probe_results > 0
            || self.start_retries == 0
            || now.saturating_duration_since(since) <= EXPONENTIAL_PROBE_WAIT
        {
            return;
        }
        self.start_retries -= 1;
        let max = self.config.max_bitrate_bps.max(self.config.min_bitrate_bps);
        let estimate = self.target;
        self.push_probe((3 * estimate).min(max));
        self.push_probe((6 * estimate).min(max));
        self.exponential = Some(((6 * estimate).min(max), now));
    }

    /// The delay-based estimate under REMB.
    fn cap(&self) -> f64 {
        let d = self.aimd.bitrate();
        self.remb.map_or(d, |r| d.min(r))
    }

    fn update_target(&mut self, reason: TargetReason) {
        let min = self.config.min_bitrate_bps as f64;
        let max = self.config.max_bitrate_bps.max(self.config.min_bitrate_bps) as f64;
        let capped = self.loss.bitrate().min(self.cap());
        let reason = match self.remb {
            Some(r) if r < self.loss.bitrate().min(self.aimd.bitrate()) => TargetReason::Remb,
            _ => reason,
        };
        let target = capped.clamp(min, max) as u64;
        self.refresh_stats();
        if target != self.target {
            self.target = target;
            self.push_event(Event::TargetBitrate {
                bps: target,
                reason,
            });
        }
    }

    fn refresh_stats(&mut self) {
        let s = &mut self.stats;
        s.loss_fraction = self.loss.fraction();
        s.delay_trend = self.trendline.trend();
        s.modified_trend = self.detector.modified_trend();
        s.threshold = self.detector.threshold();
        s.usage = self.detector.state();
        s.delay_based_bps = self.aimd.bitrate() as u64;
        s.loss_based_bps = self.loss.bitrate() as u64;
        s.acked_bps = self.acked.bitrate().map(|b| b as u64);
        s.link_capacity_bps = self.aimd.link().estimate_bps().map(|b| b as u64);
    }
}

#[cfg(test)]
mod tests;
