//! The recorder: one sample every [`SAMPLE_EVERY`] of estimate, send rate, queueing
//! delay and capacity.

use std::collections::VecDeque;
use std::time::Duration;

use wren_netsim::{Direction, HostId, Sim};

use crate::scenario::{Scenario, ScenarioKind};

/// Time between samples.
pub const SAMPLE_EVERY: Duration = Duration::from_millis(100);
/// The window the send rate is measured over.
pub const RATE_WINDOW: Duration = Duration::from_millis(500);

/// One sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Time since the start of the scenario.
    pub t: Duration,
    /// The sender's bandwidth estimate (its target bitrate), bit/s.
    pub estimate_bps: f64,
    /// What the sender put on the wire over the last [`RATE_WINDOW`] (less at the
    /// start), bit/s: UDP payload bytes (RTP with headers, RTCP, padding, probes).
    pub send_bps: f64,
    /// Queueing delay at the sender's bottleneck (egress): the longest wait of the
    /// packets that started serializing since the last sample, or the wait a packet
    /// arriving at the sample would have, whichever is larger. Serialization of the
    /// packet itself is not counted; propagation neither.
    pub queue_delay: Duration,
    /// The link's rate at `t`, bit/s.
    pub capacity_bps: f64,
}

/// The samples of one run of one scenario by one stack.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    /// The scenario.
    pub kind: ScenarioKind,
    /// The stack, for labels and file names ("wren", "str0m").
    pub stack: String,
    /// The samples, every [`SAMPLE_EVERY`] from [`SAMPLE_EVERY`] on.
    pub samples: Vec<Sample>,
}

/// Takes the samples of a run: call [`Recorder::sample`] each time the virtual time
/// reaches [`Recorder::next_at`], until [`Recorder::done`].
///
/// It turns on the recording of the sender's queue waits in the simulation
/// ([`Sim::record_queue_delays`]) when created.
#[derive(Debug)]
pub struct Recorder {
    scenario: Scenario,
    sender: HostId,
    next: Duration,
    /// (time, cumulative bytes sent) of the last samples, for the send rate.
    sent: VecDeque<(Duration, u64)>,
    recording: Recording,
}

impl Recorder {
    /// A recorder for `stack` running `scenario` with the sender on host `sender` of
    /// `sim`.
    pub fn new(scenario: &Scenario, stack: &str, sim: &mut Sim, sender: HostId) -> Recorder {
        sim.record_queue_delays(sender, true);
        let _ = sim.take_queue_delays(sender, Direction::Egress);
        let mut sent = VecDeque::new();
        sent.push_back((Duration::ZERO, 0));
        Recorder {
            scenario: scenario.clone(),
            sender,
            next: SAMPLE_EVERY,
            sent,
            recording: Recording {
                kind: scenario.kind,
                stack: stack.to_owned(),
                samples: Vec::new(),
            },
        }
    }

    /// When the next sample is due, as time since the start of the scenario.
    #[must_use]
    pub fn next_at(&self) -> Duration {
        self.next
    }

    /// Whether the scenario's duration has been sampled.
    #[must_use]
    pub fn done(&self) -> bool {
        self.next > self.scenario.duration
    }

    /// Takes the sample due at [`Recorder::next_at`]: the sender's current estimate and
    /// the bytes it has sent since the start of the scenario (UDP payloads, a running
    /// total), the queue read from `sim`.
    pub fn sample(&mut self, sim: &mut Sim, estimate_bps: u64, bytes_sent: u64) {
        let t = self.next;
        self.next += SAMPLE_EVERY;
        let waits = sim.take_queue_delays(self.sender, Direction::Egress);
        let longest = waits.iter().map(|w| w.waited).max().unwrap_or_default();
        let now = sim.link_queue(self.sender, Direction::Egress).delay;
        while self
            .sent
            .front()
            .is_some_and(|&(at, _)| t.saturating_sub(at) > RATE_WINDOW)
        {
            self.sent.pop_front();
        }
        let (from, base) = self.sent.front().copied().unwrap_or((Duration::ZERO, 0));
        let span = (t - from).as_secs_f64();
        let send_bps = if span > 0.0 {
            bytes_sent.saturating_sub(base) as f64 * 8.0 / span
        } else {
            0.0
        };
        self.sent.push_back((t, bytes_sent));
        self.recording.samples.push(Sample {
            t,
            estimate_bps: estimate_bps as f64,
            send_bps,
            queue_delay: longest.max(now),
            capacity_bps: self.scenario.capacity_at(t) as f64,
        });
    }

    /// The samples so far.
    #[must_use]
    pub fn recording(&self) -> &Recording {
        &self.recording
    }

    /// The samples, ending the run.
    #[must_use]
    pub fn finish(self) -> Recording {
        self.recording
    }
}
