//! The packets waiting to be paced: one preallocated FIFO per priority, so nothing is
//! allocated per packet and a full queue is refused instead of grown.

use std::collections::VecDeque;
use std::time::Instant;

/// Which packets go first: audio, then retransmissions, then video (padding only when
/// none of them waits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Priority {
    /// Audio: small, late is useless.
    Audio,
    /// Retransmissions (RTX answers to NACK).
    Retransmission,
    /// Video.
    Video,
}

impl Priority {
    /// Every priority, first to last.
    pub const ALL: [Priority; 3] = [Priority::Audio, Priority::Retransmission, Priority::Video];

    fn index(self) -> usize {
        self as usize
    }
}

/// One queued packet: the caller's tag for it, its size and when it was queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Queued {
    pub(crate) tag: u64,
    pub(crate) bytes: usize,
    pub(crate) queued_at: Instant,
}

/// The three FIFOs.
#[derive(Debug)]
pub(crate) struct Queues {
    fifos: [VecDeque<Queued>; 3],
    capacity: usize,
    bytes: usize,
}

impl Queues {
    /// Room for `capacity` packets of each priority.
    pub(crate) fn new(capacity: usize) -> Queues {
        Queues {
            fifos: [
                VecDeque::with_capacity(capacity),
                VecDeque::with_capacity(capacity),
                VecDeque::with_capacity(capacity),
            ],
            capacity,
            bytes: 0,
        }
    }

    /// Queues a packet; `false` when its priority's FIFO is full.
    pub(crate) fn push(&mut self, priority: Priority, q: Queued) -> bool {
        let fifo = &mut self.fifos[priority.index()];
        if fifo.len() >= self.capacity {
            return false;
        }
        fifo.push_back(q);
        self.bytes = self.bytes.saturating_add(q.bytes);
        true
    }

    /// Takes the first packet of the highest priority.
    pub(crate) fn pop(&mut self) -> Option<(Priority, Queued)> {
        for p in Priority::ALL {
            if let Some(q) = self.fifos[p.index()].pop_front() {
                self.bytes = self.bytes.saturating_sub(q.bytes);
                return Some((p, q));
            }
        }
        None
    }

    /// Whether nothing waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.fifos.iter().all(VecDeque::is_empty)
    }

    /// Packets waiting.
    pub(crate) fn len(&self) -> usize {
        self.fifos.iter().map(VecDeque::len).sum()
    }

    /// Bytes waiting.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// When the oldest waiting packet was queued.
    pub(crate) fn oldest(&self) -> Option<Instant> {
        self.fifos
            .iter()
            .filter_map(|f| f.front().map(|q| q.queued_at))
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(tag: u64, at: Instant) -> Queued {
        Queued {
            tag,
            bytes: 100,
            queued_at: at,
        }
    }

    #[test]
    fn audio_before_retransmissions_before_video_each_in_order() {
        let t = Instant::now();
        let mut qs = Queues::new(4);
        assert!(qs.push(Priority::Video, q(1, t)));
        assert!(qs.push(Priority::Video, q(2, t)));
        assert!(qs.push(Priority::Retransmission, q(3, t)));
        assert!(qs.push(Priority::Audio, q(4, t)));
        assert_eq!(qs.bytes(), 400);
        let order: Vec<u64> = std::iter::from_fn(|| qs.pop())
            .map(|(_, q)| q.tag)
            .collect();
        assert_eq!(order, vec![4, 3, 1, 2]);
        assert!(qs.is_empty());
        assert_eq!(qs.bytes(), 0);
    }

    #[test]
    fn a_full_priority_refuses_and_others_still_take() {
        let t = Instant::now();
        let mut qs = Queues::new(2);
        assert!(qs.push(Priority::Video, q(1, t)));
        assert!(qs.push(Priority::Video, q(2, t)));
        assert!(!qs.push(Priority::Video, q(3, t)));
        assert!(qs.push(Priority::Audio, q(4, t)));
        assert_eq!(qs.len(), 3);
    }
}
