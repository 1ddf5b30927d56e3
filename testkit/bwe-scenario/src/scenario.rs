//! The scenarios: the sender's access link over time, and the bitrates the sender is
//! configured with.

use std::time::Duration;

use wren_netsim::{HostId, LinkConfig, Sim, TopologyError};

/// One-way propagation delay of the sender's link (the receiver's link is ideal).
pub const ONE_WAY: Duration = Duration::from_millis(25);
/// The bottleneck queue in packets (drop-tail).
pub const QUEUE_PACKETS: usize = 50;
/// The estimator's start bitrate, in both stacks.
pub const START_BPS: u64 = 300_000;
/// The most the sender wants to send (what str0m calls the desired bitrate and
/// libwebrtc the max bitrate), in both stacks.
pub const MAX_BPS: u64 = 2_500_000;

/// Which scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScenarioKind {
    /// 0-30 s a 1 Mbit/s bottleneck, then 300 kbit/s until 45 s.
    Bottleneck,
    /// 30 s of a 5 Mbit/s link (no congestion at [`MAX_BPS`]) with 5% random loss.
    Loss,
}

impl ScenarioKind {
    /// The scenario's name in file names and output.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ScenarioKind::Bottleneck => "bottleneck",
            ScenarioKind::Loss => "loss",
        }
    }
}

/// From `at` on, the sender's access link is `link`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Phase {
    /// Time since the start of the scenario (the start of media).
    pub at: Duration,
    /// The sender's link (both directions: the feedback the sender receives crosses its
    /// ingress queue and random loss too).
    pub link: LinkConfig,
    /// The link's rate in bit/s (what the plot draws as the capacity).
    pub capacity_bps: u64,
}

/// A scenario: phases of the sender's link and a duration.
///
/// The topology both stacks use: the sender on a host whose access link is the
/// bottleneck ([`Scenario::phases`]), the receiver on a host with an ideal link, so the
/// one-way delay is [`ONE_WAY`] plus queueing. Time 0 is when the sender may start
/// media (after its connection is up); [`Scenario::apply`] sets the link of the phase
/// in force.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Which one.
    pub kind: ScenarioKind,
    /// The phases, by start time; the first starts at 0.
    pub phases: Vec<Phase>,
    /// How long it runs.
    pub duration: Duration,
}

impl Scenario {
    /// 0-30 s: 1 Mbit/s, a 50-packet queue, 25 ms one way; 30-45 s: 300 kbit/s, the same
    /// queue and delay.
    #[must_use]
    pub fn bottleneck() -> Scenario {
        let link = |bps| {
            LinkConfig::ideal()
                .with_delay(ONE_WAY)
                .with_bottleneck(bps, QUEUE_PACKETS)
        };
        Scenario {
            kind: ScenarioKind::Bottleneck,
            phases: vec![
                Phase {
                    at: Duration::ZERO,
                    link: link(1_000_000),
                    capacity_bps: 1_000_000,
                },
                Phase {
                    at: Duration::from_secs(30),
                    link: link(300_000),
                    capacity_bps: 300_000,
                },
            ],
            duration: Duration::from_secs(45),
        }
    }

    /// 0-30 s: 5 Mbit/s (twice [`MAX_BPS`]: no congestion), a 50-packet queue, 25 ms one
    /// way, 5% random loss each way.
    #[must_use]
    pub fn loss() -> Scenario {
        Scenario {
            kind: ScenarioKind::Loss,
            phases: vec![Phase {
                at: Duration::ZERO,
                link: LinkConfig::ideal()
                    .with_delay(ONE_WAY)
                    .with_bottleneck(5_000_000, QUEUE_PACKETS)
                    .with_loss(0.05),
                capacity_bps: 5_000_000,
            }],
            duration: Duration::from_secs(30),
        }
    }

    /// Both scenarios.
    #[must_use]
    pub fn all() -> [Scenario; 2] {
        [Scenario::bottleneck(), Scenario::loss()]
    }

    /// The phase in force at `t`.
    #[must_use]
    pub fn phase_at(&self, t: Duration) -> Option<&Phase> {
        self.phases.iter().rev().find(|p| p.at <= t)
    }

    /// The link rate at `t` in bit/s (0 before the first phase, which never happens for
    /// the scenarios here).
    #[must_use]
    pub fn capacity_at(&self, t: Duration) -> u64 {
        self.phase_at(t).map_or(0, |p| p.capacity_bps)
    }

    /// Sets `sender`'s link to the phase in force at `t` when it differs from the link
    /// it has. Call it at 0 and at every step of the run loop (every sample is enough:
    /// phases start on whole seconds).
    ///
    /// # Errors
    ///
    /// When `sender` is not a host of `sim`.
    pub fn apply(&self, sim: &mut Sim, sender: HostId, t: Duration) -> Result<(), TopologyError> {
        if let Some(p) = self.phase_at(t)
            && sim.link(sender) != p.link
        {
            sim.set_link(sender, p.link)?;
        }
        Ok(())
    }
}
