//! How much retransmission the sender allows itself: a token bucket filled at the target
//! bitrate and holding one second of it, as libwebrtc's retransmission rate limiter
//! (retransmissions at most the target bitrate over a second). Past it a retransmission
//! is not sent: after a loss at a full bottleneck every lost packet is asked for again at
//! once, and sending them all would keep the queue that lost them full (the receiver asks
//! again, a round trip later, or for a keyframe).

use std::time::Instant;

/// The bucket.
#[derive(Debug)]
pub(crate) struct RtxBudget {
    /// Bytes that may be retransmitted now.
    tokens: f64,
    last: Option<Instant>,
}

impl RtxBudget {
    /// An empty bucket (it fills from the first call on).
    pub(crate) fn new() -> RtxBudget {
        RtxBudget {
            tokens: 0.0,
            last: None,
        }
    }

    /// Whether a retransmission of `bytes` may go now at a target of `target_bps`; takes
    /// its tokens if so.
    pub(crate) fn take(&mut self, now: Instant, target_bps: u64, bytes: usize) -> bool {
        let per_second = target_bps as f64 / 8.0;
        let elapsed = self
            .last
            .map_or(1.0, |l| now.saturating_duration_since(l).as_secs_f64());
        self.last = Some(now.max(self.last.unwrap_or(now)));
        self.tokens = (self.tokens + elapsed * per_second).min(per_second);
        if self.tokens < bytes as f64 {
            return false;
        }
        self.tokens -= bytes as f64;
        true
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn retransmissions_are_held_to_the_target_bitrate_over_a_second() {
        let t0 = Instant::now();
        let mut b = RtxBudget::new();
        // 800 kbit/s: 100,000 bytes a second, and no more than a second's worth at once.
        let sent = (0..200).filter(|_| b.take(t0, 800_000, 1000)).count();
        assert_eq!(sent, 100);
        assert!(!b.take(t0, 800_000, 1000), "spent");
        // 10 ms later, 1,000 bytes more.
        assert!(b.take(t0 + Duration::from_millis(10), 800_000, 1000));
        assert!(!b.take(t0 + Duration::from_millis(10), 800_000, 1));
        // A long pause fills it to one second's worth, not more.
        let t = t0 + Duration::from_secs(10);
        let sent = (0..200).filter(|_| b.take(t, 800_000, 1000)).count();
        assert_eq!(sent, 100);
    }
}
