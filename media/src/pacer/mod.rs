//! The pacer: packets are queued with a size and a [`Priority`] and released at the
//! pacing rate (a multiple of the target bitrate, 2.5x in libwebrtc) so that a frame's
//! packets do not hit the bottleneck queue at once; bursts are bounded by a budget of at
//! most [`PacerConfig::max_burst`] of the rate. Audio goes before retransmissions before
//! video. Padding is produced when asked for ([`Pacer::set_padding_rate`]) and nothing
//! else waits, and probe clusters from the congestion controller
//! ([`crate::cc::Event::Probe`]) are sent at their own rate with queued media or padding.
//!
//! The pacer holds tags, not packets: the caller keeps the bytes and sends the packet
//! whose tag [`Pacer::poll_packet`] gives (or that many bytes of padding). Queues are
//! preallocated: nothing is allocated per packet; a full queue refuses the packet.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use wren_media::pacer::{Paced, Pacer, PacerConfig, Priority};
//!
//! let t0 = Instant::now();
//! let mut pacer = Pacer::new(t0, PacerConfig { pacing_rate_bps: 960_000, ..PacerConfig::default() });
//! for tag in 0..6 {
//!     pacer.push(t0, tag, 1200, Priority::Video)?;
//! }
//! // The budget starts with 40 ms of the rate (4,800 bytes): four packets spend it at
//! // once, a fifth goes as soon as it is positive again (a packet may overdraw it),
//! // then 1200 bytes at 960 kbit/s is one packet each 10 ms.
//! let mut now = t0;
//! let mut sent = Vec::new();
//! while sent.len() < 6 {
//!     while let Some(Paced::Media { tag, .. }) = pacer.poll_packet(now) {
//!         sent.push((tag, now - t0));
//!     }
//!     let Some(next) = pacer.poll_timeout() else { break };
//!     now = next;
//!     pacer.handle_timeout(now);
//! }
//! assert_eq!(sent.iter().map(|s| s.0).collect::<Vec<_>>(), vec![0, 1, 2, 3, 4, 5]);
//! assert_eq!(sent[3].1, Duration::ZERO);
//! assert!(sent[4].1 < Duration::from_millis(1));
//! assert!(sent[5].1 >= Duration::from_millis(10));
//! # Ok::<(), wren_media::pacer::PacerError>(())
//! ```

mod budget;
mod queue;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::cc::{ProbeCluster, ProbeClusterId};
use budget::Budget;
pub use queue::Priority;
use queue::{Queued, Queues};

/// How the pacer runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacerConfig {
    /// The pacing rate until [`Pacer::set_pacing_rate`], bit/s.
    pub pacing_rate_bps: u64,
    /// Packets each priority's queue holds.
    pub queue_capacity: usize,
    /// The budget holds at most this much of the rate: the longest burst after a pause.
    pub max_burst: Duration,
    /// Padding and probe padding packets are at most this large.
    pub max_padding_packet: usize,
    /// And at least this large.
    pub min_padding_packet: usize,
    /// When the queue holds more than this long at the pacing rate, the rate is raised
    /// to drain it in this time (libwebrtc's queue time limit).
    pub max_queue_time: Duration,
    /// Probe clusters waiting at most (more are refused).
    pub max_probes: usize,
}

impl Default for PacerConfig {
    fn default() -> Self {
        PacerConfig {
            pacing_rate_bps: 750_000,
            queue_capacity: 1024,
            max_burst: Duration::from_millis(40),
            max_padding_packet: 1200,
            min_padding_packet: 50,
            max_queue_time: Duration::from_secs(2),
            max_probes: 4,
        }
    }
}

/// What to send now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Paced {
    /// The queued packet with this tag.
    Media {
        /// The caller's tag.
        tag: u64,
        /// Its size.
        bytes: usize,
        /// Its priority.
        priority: Priority,
        /// The probe cluster it was sent for (report it with the packet to the
        /// congestion controller).
        probe: Option<ProbeClusterId>,
        /// How long it waited.
        waited: Duration,
    },
    /// A padding packet of this many bytes (RTX padding or an RTP padding-only packet).
    Padding {
        /// Its size.
        bytes: usize,
        /// The probe cluster it was sent for.
        probe: Option<ProbeClusterId>,
    },
}

/// Why a packet or probe was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PacerError {
    /// The priority's queue is full.
    #[error("the pacer's {0:?} queue is full")]
    QueueFull(Priority),
    /// Too many probe clusters wait.
    #[error("{0} probe clusters already wait")]
    TooManyProbes(usize),
}

/// Counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PacerStats {
    /// Media packets released, and their bytes.
    pub media_packets: u64,
    /// See `media_packets`.
    pub media_bytes: u64,
    /// Padding packets asked for, and their bytes.
    pub padding_packets: u64,
    /// See `padding_packets`.
    pub padding_bytes: u64,
    /// Packets (media or padding) sent for probes.
    pub probe_packets: u64,
    /// Probe clusters completed.
    pub probes_done: u64,
    /// Packets refused because their queue was full.
    pub refused: u64,
    /// The longest a packet waited.
    pub max_wait: Duration,
}

/// A probe cluster being sent.
#[derive(Debug, Clone, Copy)]
struct Active {
    cluster: ProbeCluster,
    started: Instant,
    bytes: usize,
    packets: u32,
}

impl Active {
    /// When its next packet is due: its bytes so far at its rate after its start.
    fn due(&self) -> Instant {
        let rate = self.cluster.bitrate_bps.max(1) as f64;
        let secs = (self.bytes as f64 * 8.0 / rate).min(budget::MAX_WAIT_SECS);
        self.started
            .checked_add(Duration::from_secs_f64(secs))
            .unwrap_or(self.started)
    }

    fn done(&self) -> bool {
        self.bytes >= self.cluster.min_bytes && self.packets >= self.cluster.min_packets
    }

    fn packet_size(&self, min: usize, max: usize) -> usize {
        let c = self.cluster;
        c.min_bytes
            .div_ceil(c.min_packets.max(1) as usize)
            .clamp(min, max.max(min))
    }
}

/// The pacer.
#[derive(Debug)]
pub struct Pacer {
    config: PacerConfig,
    last_now: Instant,
    pacing_rate: u64,
    media: Budget,
    padding: Budget,
    queues: Queues,
    probes: VecDeque<ProbeCluster>,
    active: Option<Active>,
    stats: PacerStats,
}

impl Pacer {
    /// An empty pacer at the configured rate, without padding.
    #[must_use]
    pub fn new(now: Instant, config: PacerConfig) -> Pacer {
        Pacer {
            last_now: now,
            pacing_rate: config.pacing_rate_bps,
            media: Budget::new(now, config.pacing_rate_bps, config.max_burst),
            padding: Budget::new(now, 0, config.max_burst),
            queues: Queues::new(config.queue_capacity),
            probes: VecDeque::with_capacity(config.max_probes),
            active: None,
            stats: PacerStats::default(),
            config,
        }
    }

    fn clamp_now(&mut self, now: Instant) -> Instant {
        self.last_now = self.last_now.max(now);
        self.last_now
    }

    /// The rate media is released at (the target times the pacing factor), bit/s.
    pub fn set_pacing_rate(&mut self, now: Instant, bps: u64) {
        let now = self.clamp_now(now);
        self.pacing_rate = bps;
        self.apply_rate(now);
    }

    /// The rate of padding to send while no media waits (0: none), bit/s.
    pub fn set_padding_rate(&mut self, now: Instant, bps: u64) {
        let now = self.clamp_now(now);
        self.padding.set_rate(now, bps);
    }

    /// The pacing rate, raised when the queue would take longer than
    /// [`PacerConfig::max_queue_time`] to drain.
    #[must_use]
    pub fn pacing_rate(&self) -> u64 {
        self.media.rate()
    }

    fn apply_rate(&mut self, now: Instant) {
        let secs = self.config.max_queue_time.as_secs_f64().max(1e-3);
        let drain = (self.queues.bytes() as f64 * 8.0 / secs) as u64;
        let rate = self.pacing_rate.max(drain);
        if rate != self.media.rate() {
            self.media.set_rate(now, rate);
        }
    }

    /// Queues a packet the caller tags `tag` (its own handle for the bytes).
    ///
    /// # Errors
    ///
    /// [`PacerError::QueueFull`] when `priority`'s queue holds
    /// [`PacerConfig::queue_capacity`] packets.
    pub fn push(
        &mut self,
        now: Instant,
        tag: u64,
        bytes: usize,
        priority: Priority,
    ) -> Result<(), PacerError> {
        let now = self.clamp_now(now);
        let q = Queued {
            tag,
            bytes,
            queued_at: now,
        };
        if !self.queues.push(priority, q) {
            self.stats.refused += 1;
            return Err(PacerError::QueueFull(priority));
        }
        self.apply_rate(now);
        Ok(())
    }

    /// Sends a probe cluster after those already waiting.
    ///
    /// # Errors
    ///
    /// [`PacerError::TooManyProbes`] when [`PacerConfig::max_probes`] wait.
    pub fn add_probe(&mut self, now: Instant, cluster: ProbeCluster) -> Result<(), PacerError> {
        self.clamp_now(now);
        if self.probes.len() >= self.config.max_probes {
            return Err(PacerError::TooManyProbes(self.probes.len()));
        }
        self.probes.push_back(cluster);
        Ok(())
    }

    /// The next packet to send now, or padding; `None` until [`Pacer::poll_timeout`].
    /// Call after `push`, `add_probe` and `handle_timeout`, until `None`.
    #[must_use]
    pub fn poll_packet(&mut self, now: Instant) -> Option<Paced> {
        let now = self.clamp_now(now);
        self.media.refill(now);
        self.padding.refill(now);
        if self.active.is_none() {
            self.active = self.probes.pop_front().map(|cluster| Active {
                cluster,
                started: now,
                bytes: 0,
                packets: 0,
            });
        }
        if let Some(mut a) = self.active {
            if now < a.due() {
                return None;
            }
            let probe = Some(a.cluster.id);
            let out = match self.pop_media(now, probe) {
                Some(m) => m,
                None => {
                    let bytes = a.packet_size(
                        self.config.min_padding_packet,
                        self.config.max_padding_packet,
                    );
                    self.stats.padding_packets += 1;
                    self.stats.padding_bytes += bytes as u64;
                    self.media.spend(bytes);
                    Paced::Padding { bytes, probe }
                }
            };
            let bytes = match out {
                Paced::Media { bytes, .. } | Paced::Padding { bytes, .. } => bytes,
            };
            a.bytes += bytes;
            a.packets += 1;
            self.stats.probe_packets += 1;
            if a.done() {
                self.stats.probes_done += 1;
                self.active = None;
            } else {
                self.active = Some(a);
            }
            return Some(out);
        }
        if !self.queues.is_empty() {
            return if self.media.open() {
                self.pop_media(now, None)
            } else {
                None
            };
        }
        if self.padding.rate() > 0 && self.padding.open() && self.media.open() {
            let bytes = (self.padding.bytes().ceil() as usize).clamp(
                self.config.min_padding_packet,
                self.config
                    .max_padding_packet
                    .max(self.config.min_padding_packet),
            );
            self.padding.spend(bytes);
            self.media.spend(bytes);
            self.stats.padding_packets += 1;
            self.stats.padding_bytes += bytes as u64;
            return Some(Paced::Padding { bytes, probe: None });
        }
        None
    }

    fn pop_media(&mut self, now: Instant, probe: Option<ProbeClusterId>) -> Option<Paced> {
        let (priority, q) = self.queues.pop()?;
        self.media.spend(q.bytes);
        let waited = now.saturating_duration_since(q.queued_at);
        self.stats.media_packets += 1;
        self.stats.media_bytes += q.bytes as u64;
        self.stats.max_wait = self.stats.max_wait.max(waited);
        self.apply_rate(now);
        Some(Paced::Media {
            tag: q.tag,
            bytes: q.bytes,
            priority,
            probe,
            waited,
        })
    }

    /// Time has come: budgets fill up to `now` (then call [`Pacer::poll_packet`]).
    pub fn handle_timeout(&mut self, now: Instant) {
        let now = self.clamp_now(now);
        self.media.refill(now);
        self.padding.refill(now);
    }

    /// When [`Pacer::poll_packet`] has something next: a probe packet's time, the
    /// budget opening for waiting media, or for padding. `None` when idle.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if let Some(a) = self.active {
            return Some(a.due().max(self.last_now));
        }
        if !self.probes.is_empty() {
            return Some(self.last_now);
        }
        let t = if !self.queues.is_empty() {
            self.media.opens_at()
        } else if self.padding.rate() > 0 {
            match (self.padding.opens_at(), self.media.opens_at()) {
                (Some(p), Some(m)) => Some(p.max(m)),
                _ => None,
            }
        } else {
            None
        };
        t.map(|t| t.max(self.last_now))
    }

    /// Packets waiting.
    #[must_use]
    pub fn queued_packets(&self) -> usize {
        self.queues.len()
    }

    /// Bytes waiting.
    #[must_use]
    pub fn queued_bytes(&self) -> usize {
        self.queues.bytes()
    }

    /// How long the oldest waiting packet has waited.
    #[must_use]
    pub fn oldest_wait(&self, now: Instant) -> Option<Duration> {
        self.queues
            .oldest()
            .map(|t| now.saturating_duration_since(t))
    }

    /// The counters.
    #[must_use]
    pub fn stats(&self) -> PacerStats {
        self.stats
    }
}

#[cfg(test)]
mod tests;
