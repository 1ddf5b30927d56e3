//! Asking for lost packets (RFC 4585 section 6.2.1, generic NACK): the receiver notes the
//! gaps in a stream's sequence numbers and asks for each missing packet once per interval
//! (an RTT when known) a bounded number of times, until it arrives (late, or as a
//! retransmission). Missing packets are held in a preallocated list: the oldest is given
//! up when it is full.

use std::time::{Duration, Instant};

use wren_rtp::rtcp::NackPair;

/// One missing packet.
#[derive(Debug, Clone, Copy)]
struct Missing {
    seq: u64,
    tries: u8,
    /// When to ask (again).
    next: Instant,
}

/// The losses of one received stream.
#[derive(Debug)]
pub(crate) struct NackRequests {
    missing: Vec<Missing>,
    capacity: usize,
    max_tries: u8,
    /// Packets given up (the list was full, or asked for `max_tries` times).
    pub(crate) given_up: u64,
}

impl NackRequests {
    /// Room for `capacity` missing packets, each asked for at most `max_tries` times.
    pub(crate) fn new(capacity: usize, max_tries: u8) -> NackRequests {
        NackRequests {
            missing: Vec::with_capacity(capacity),
            capacity,
            max_tries,
            given_up: 0,
        }
    }

    /// A packet with extended sequence number `seq` arrived at `now`; `highest` is the
    /// highest one before it. Returns whether it filled a gap.
    pub(crate) fn packet(&mut self, now: Instant, seq: u64, highest: Option<u64>) -> bool {
        let Some(highest) = highest else {
            return false;
        };
        if seq <= highest {
            return match self.missing.binary_search_by_key(&seq, |m| m.seq) {
                Ok(i) => {
                    self.missing.remove(i);
                    true
                }
                Err(_) => false,
            };
        }
        // A gap: highest+1 .. seq-1 are missing (the newest of them when too many).
        let first = (highest + 1).max(seq.saturating_sub(self.capacity as u64));
        let new = (seq - first) as usize;
        let over = (self.missing.len() + new).saturating_sub(self.capacity);
        if over > 0 {
            // The oldest give way, in one move.
            self.missing.drain(..over.min(self.missing.len()));
            self.given_up += over as u64;
        }
        for s in first..seq {
            self.missing.push(Missing {
                seq: s,
                tries: 0,
                next: now,
            });
        }
        false
    }

    /// When a NACK is due next.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.missing.iter().map(|m| m.next).min()
    }

    /// Whether any missing packet is due at `now`.
    pub(crate) fn due(&self, now: Instant) -> bool {
        self.missing.iter().any(|m| m.next <= now)
    }

    /// Writes the packets due at `now` into `pairs` (at most its length, oldest first),
    /// counting a try for each; returns how many pairs. Packets asked for `max_tries`
    /// times are given up.
    pub(crate) fn take_due(
        &mut self,
        now: Instant,
        interval: Duration,
        pairs: &mut [NackPair],
    ) -> usize {
        let max_tries = self.max_tries;
        let before = self.missing.len();
        self.missing.retain(|m| m.tries < max_tries);
        self.given_up += (before - self.missing.len()) as u64;
        let mut used = 0;
        for m in &mut self.missing {
            if m.next > now {
                continue;
            }
            let seq = m.seq as u16;
            if used > 0 {
                let last: &mut NackPair = &mut pairs[used - 1];
                let d = seq.wrapping_sub(last.pid);
                if (1..=16).contains(&d) {
                    last.blp |= 1 << (d - 1);
                    m.tries += 1;
                    m.next = now + interval;
                    continue;
                }
            }
            if used == pairs.len() {
                break;
            }
            pairs[used] = NackPair { pid: seq, blp: 0 };
            used += 1;
            m.tries += 1;
            m.next = now + interval;
        }
        used
    }

    /// How many packets are missing now.
    pub(crate) fn len(&self) -> usize {
        self.missing.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::disallowed_methods)] // an anchor for virtual time
    fn t0() -> Instant {
        Instant::now()
    }

    #[test]
    fn gaps_are_asked_for_once_per_interval_until_they_arrive() {
        let t = t0();
        let rtt = Duration::from_millis(100);
        let mut n = NackRequests::new(64, 3);
        let mut highest = None;
        for seq in [1u64, 2, 5, 6, 30] {
            assert!(!n.packet(t, seq, highest));
            highest = Some(seq);
        }
        // Missing: 3, 4, 7..=29 (25 packets), due at once.
        assert_eq!(n.len(), 25);
        assert_eq!(n.poll_timeout(), Some(t));
        let mut pairs = [NackPair::default(); 8];
        let used = n.take_due(t, rtt, &mut pairs);
        let lost: Vec<u16> = wren_rtp::rtcp::Nack {
            sender_ssrc: 0,
            media_ssrc: 0,
            pairs: (&pairs[..used]).into(),
        }
        .lost()
        .collect();
        let want: Vec<u16> = [3u16, 4].into_iter().chain(7..=29).collect();
        assert_eq!(lost, want);
        // pid 3 covers 4 and 7..=19; pid 20 covers 21..=29.
        assert_eq!(used, 2);
        assert!(!n.due(t + Duration::from_millis(99)));
        assert_eq!(n.poll_timeout(), Some(t + rtt));
        // 4 arrives late, 7 as a retransmission: both fill gaps.
        assert!(n.packet(t, 4, highest));
        assert!(n.packet(t, 7, highest));
        assert!(!n.packet(t, 4, highest), "already there");
        assert_eq!(n.len(), 23);
        // Asked again after the interval, then given up after 3 tries.
        let t1 = t + rtt;
        assert!(n.due(t1));
        assert!(n.take_due(t1, rtt, &mut pairs) > 0);
        assert!(n.take_due(t1 + rtt, rtt, &mut pairs) > 0);
        assert_eq!(n.take_due(t1 + rtt * 2, rtt, &mut pairs), 0);
        assert_eq!((n.len(), n.given_up), (0, 23));
    }

    #[test]
    fn a_full_list_gives_up_the_oldest() {
        let t = t0();
        let mut n = NackRequests::new(4, 10);
        n.packet(t, 1, None);
        n.packet(t, 10, Some(1));
        // 2..=9 missing, only the newest 4 (6..=9) kept.
        assert_eq!(n.len(), 4);
        let mut pairs = [NackPair::default(); 4];
        let used = n.take_due(t, Duration::from_millis(50), &mut pairs);
        assert_eq!(&pairs[..used], &[NackPair { pid: 6, blp: 0b111 }]);
        n.packet(t, 12, Some(10));
        assert_eq!((n.len(), n.given_up), (4, 1));
    }
}
