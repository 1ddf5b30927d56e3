//! The bottleneck of a rate-limited link direction: a drop-tail FIFO served at
//! [`crate::LinkConfig::rate_bps`] (see "The bottleneck" in [`crate::LinkConfig`]'s docs).
//!
//! The packet at the head is being serialized until `busy_until`; when that time comes
//! (a [`crate::queue::Hop::Serviced`] event) it leaves for its propagation delay and the next
//! one starts at the rate configured *then*, so a rate change takes effect from the next
//! packet on while the one on the wire finishes.

use std::collections::VecDeque;
use std::num::NonZeroU64;
use std::time::{Duration, Instant};

use crate::queue::Hop;

/// A direction of a host's access link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    /// Packets leaving the host.
    Egress,
    /// Packets entering the host.
    Ingress,
}

impl Direction {
    /// Both directions, in the order of their index.
    pub const ALL: [Direction; 2] = [Direction::Egress, Direction::Ingress];

    pub(crate) fn index(self) -> usize {
        match self {
            Direction::Egress => 0,
            Direction::Ingress => 1,
        }
    }
}

/// What one direction of a rate-limited link holds at a moment
/// ([`crate::Sim::link_queue`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct QueueState {
    /// Packets held, the one being serialized included.
    pub packets: usize,
    /// Their bytes on the wire (UDP payload plus IP/UDP header).
    pub bytes: usize,
    /// How long a packet arriving now would wait before its own serialization starts:
    /// the rest of the packet on the wire plus the packets waiting, at the current rate.
    pub delay: Duration,
}

/// The wait of one packet in a link's queue ([`crate::Sim::take_queue_delays`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct QueueDelay {
    /// When the packet started to serialize (left the waiting line).
    pub at: Instant,
    /// The link direction.
    pub direction: Direction,
    /// Time from its arrival at the queue to the start of its serialization (its own
    /// serialization time not included: zero on an idle link).
    pub waited: Duration,
}

/// A packet waiting in the queue.
#[derive(Debug)]
pub(crate) struct Waiting {
    arrived: Instant,
    /// Bytes on the wire.
    bytes: usize,
    /// Where it goes after its propagation delay.
    pub(crate) hop: Hop,
}

/// One direction's queue.
#[derive(Debug, Default)]
pub(crate) struct LinkQueue {
    packets: VecDeque<Waiting>,
    /// Bytes of the packets held, the head included.
    bytes: usize,
    /// When the head's serialization ends (`None` while idle).
    busy_until: Option<Instant>,
    /// Waits recorded when [`LinkQueue::recording`] is on.
    delays: Vec<QueueDelay>,
    pub(crate) recording: bool,
}

/// What [`LinkQueue::push`] did with a packet.
#[derive(Debug)]
pub(crate) enum Pushed {
    /// Queued behind others: nothing to schedule.
    Queued,
    /// The link was idle: the packet is on the wire until this time (schedule a
    /// [`Hop::Serviced`]).
    Started(Instant),
    /// The queue was full: the packet back, to be dropped.
    Full(Hop),
}

/// Serialization time of `bytes` at `rate` bit/s.
fn serialize(bytes: usize, rate: NonZeroU64) -> Duration {
    let bits = u128::try_from(bytes).unwrap_or(u128::MAX).saturating_mul(8);
    let nanos = bits.saturating_mul(1_000_000_000) / u128::from(rate.get());
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

impl LinkQueue {
    /// A packet of `bytes` on the wire arrives at `now`.
    pub(crate) fn push(
        &mut self,
        now: Instant,
        bytes: usize,
        hop: Hop,
        rate: NonZeroU64,
        bound: Option<usize>,
        direction: Direction,
    ) -> Pushed {
        if bound.is_some_and(|b| self.packets.len() >= b) {
            return Pushed::Full(hop);
        }
        self.packets.push_back(Waiting {
            arrived: now,
            bytes,
            hop,
        });
        self.bytes += bytes;
        if self.busy_until.is_some() {
            return Pushed::Queued;
        }
        let until = now + serialize(bytes, rate);
        self.busy_until = Some(until);
        self.note(now, now, direction);
        Pushed::Started(until)
    }

    /// The head's serialization ended at `now`: the packet that leaves, and when the next
    /// one's ends (`None` when the queue is now idle). With `rate` `None` (the limit was
    /// removed) the caller takes every packet left by calling again.
    pub(crate) fn serviced(
        &mut self,
        now: Instant,
        rate: Option<NonZeroU64>,
        direction: Direction,
    ) -> Option<(Waiting, Option<Instant>)> {
        let done = self.packets.pop_front()?;
        self.bytes -= done.bytes;
        self.busy_until = None;
        let next = match (self.packets.front(), rate) {
            (Some(head), Some(rate)) => {
                let until = now + serialize(head.bytes, rate);
                let arrived = head.arrived;
                self.busy_until = Some(until);
                self.note(now, arrived, direction);
                Some(until)
            }
            _ => None,
        };
        Some((done, next))
    }

    /// The state at `now` under `rate`.
    pub(crate) fn state(&self, now: Instant, rate: Option<NonZeroU64>) -> QueueState {
        let on_wire = self
            .busy_until
            .map_or(Duration::ZERO, |t| t.saturating_duration_since(now));
        let head = if self.busy_until.is_some() {
            self.packets.front().map_or(0, |p| p.bytes)
        } else {
            0
        };
        let waiting = rate.map_or(Duration::ZERO, |r| serialize(self.bytes - head, r));
        QueueState {
            packets: self.packets.len(),
            bytes: self.bytes,
            delay: on_wire + waiting,
        }
    }

    /// Takes the recorded waits.
    pub(crate) fn take_delays(&mut self) -> Vec<QueueDelay> {
        std::mem::take(&mut self.delays)
    }

    fn note(&mut self, now: Instant, arrived: Instant, direction: Direction) {
        if self.recording {
            self.delays.push(QueueDelay {
                at: now,
                direction,
                waited: now.saturating_duration_since(arrived),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialization_is_bits_over_rate() {
        let mbit = NonZeroU64::new(1_000_000).unwrap_or(NonZeroU64::MIN);
        assert_eq!(serialize(1250, mbit), Duration::from_millis(10));
        assert_eq!(serialize(0, mbit), Duration::ZERO);
    }
}
