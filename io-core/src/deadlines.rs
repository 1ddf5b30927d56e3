//! The deadlines of stream connections ([`crate::ConnLimits::first_message_timeout`],
//! [`crate::ConnLimits::tls_handshake_timeout`]), kept the cheap way: every connection of
//! one kind gets the same timeout from its accept, and accepts come in time order, so each
//! kind's deadlines come in time order too. A queue per kind, pushed at the back and
//! popped at the front, holds them: O(1) per connection, no timer wheel, no heap.
//!
//! An entry is never removed early: when a connection closes, or delivers its first
//! message, its entry stays until it is due, and the driver then sees that the key no
//! longer names a connection that owes anything (a key carries a serial number that a
//! reused slot does not repeat). The queue holds at most one entry per connection accepted
//! within one timeout.

use std::collections::VecDeque;
use std::time::Instant;

/// Deadlines in time order, each with the key of what is due then.
#[derive(Debug, Clone)]
pub struct Deadlines<K> {
    queue: VecDeque<(Instant, K)>,
}

impl<K> Default for Deadlines<K> {
    fn default() -> Self {
        Deadlines {
            queue: VecDeque::new(),
        }
    }
}

impl<K: Copy> Deadlines<K> {
    /// Adds a deadline. One earlier than the last added is kept as late as that one (time
    /// moves forward, and the queue stays in order); with a fixed timeout and `now` passed
    /// in order, that never happens.
    pub fn push(&mut self, at: Instant, key: K) {
        let at = self.queue.back().map_or(at, |&(last, _)| at.max(last));
        self.queue.push_back((at, key));
    }

    /// The earliest deadline, for the driver's wait.
    #[must_use]
    pub fn next(&self) -> Option<Instant> {
        self.queue.front().map(|&(at, _)| at)
    }

    /// Takes the earliest deadline's key if it is due at `now`.
    pub fn pop_due(&mut self, now: Instant) -> Option<K> {
        match self.queue.front() {
            Some(&(at, key)) if at <= now => {
                self.queue.pop_front();
                Some(key)
            }
            _ => None,
        }
    }

    /// How many deadlines are waiting.
    #[must_use]
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether none is.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn due_keys_come_out_in_order_and_only_when_due() {
        let t0 = Instant::now();
        let s = Duration::from_secs(1);
        let mut d = Deadlines::default();
        assert_eq!(d.next(), None);
        d.push(t0 + s, 1);
        d.push(t0 + 2 * s, 2);
        // Earlier than the last: kept in order, at the last one's time.
        d.push(t0, 3);
        assert_eq!((d.next(), d.len()), (Some(t0 + s), 3));
        assert_eq!(d.pop_due(t0), None);
        assert_eq!(d.pop_due(t0 + s), Some(1));
        assert_eq!(d.pop_due(t0 + s), None);
        assert_eq!(d.pop_due(t0 + 3 * s), Some(2));
        assert_eq!(d.pop_due(t0 + 3 * s), Some(3));
        assert!(d.is_empty());
    }
}
