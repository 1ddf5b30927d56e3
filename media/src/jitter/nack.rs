//! Packets missing from a stream and when to ask for them again (generic NACK, RFC 4585
//! section 6.2.1): the first request as soon as a gap is seen, then once per round trip,
//! at most `retries` times; a packet asked for too often, or too old to matter, is given
//! up.

use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
struct Missing {
    seq: u64,
    asked: u8,
    /// When it may be asked for (again).
    due: Instant,
}

/// The missing packets of one stream, bounded.
#[derive(Debug, Clone)]
pub(crate) struct NackList {
    missing: Vec<Missing>,
    limit: usize,
    retries: u8,
}

impl NackList {
    pub(crate) fn new(limit: usize, retries: u8) -> NackList {
        NackList {
            missing: Vec::with_capacity(limit),
            limit,
            retries,
        }
    }

    /// `seq` did not arrive; asked for from `now`. `false` when the list is full.
    pub(crate) fn add(&mut self, seq: u64, now: Instant) -> bool {
        if self.missing.len() >= self.limit {
            return false;
        }
        self.missing.push(Missing {
            seq,
            asked: 0,
            due: now,
        });
        true
    }

    /// `seq` arrived: `Some(times it had been asked for)` if it was missing.
    pub(crate) fn arrived(&mut self, seq: u64) -> Option<u8> {
        let i = self.missing.iter().position(|m| m.seq == seq)?;
        Some(self.missing.swap_remove(i).asked)
    }

    /// Forgets everything below `seq` (played out or skipped).
    pub(crate) fn forget_below(&mut self, seq: u64) {
        self.missing.retain(|m| m.seq >= seq);
    }

    pub(crate) fn clear(&mut self) {
        self.missing.clear();
    }

    /// Appends the sequence numbers due at `now` to `out`, each asked for once more and
    /// next due a round trip later; returns how many were given up (asked `retries`
    /// times already).
    pub(crate) fn due(&mut self, now: Instant, rtt: Duration, out: &mut Vec<u16>) -> u64 {
        let mut given_up = 0;
        let retries = self.retries;
        self.missing.retain_mut(|m| {
            if m.due > now {
                return true;
            }
            if m.asked >= retries {
                given_up += 1;
                return false;
            }
            m.asked += 1;
            m.due = now + rtt;
            out.push(m.seq as u16);
            true
        });
        given_up
    }

    /// When the next request is due.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.missing.iter().map(|m| m.due).min()
    }

    pub(crate) fn len(&self) -> usize {
        self.missing.len()
    }
}
