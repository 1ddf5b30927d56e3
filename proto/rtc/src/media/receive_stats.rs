//! Reception statistics of one received stream, as RFC 3550 computes them: the extended
//! highest sequence number and its validation (appendix A.1, without the probation: the
//! first packet starts the count, as browsers do), packets expected and lost, the fraction
//! lost since the last report (appendix A.3) and the interarrival jitter (appendix A.8, in
//! its integer form: the estimate is kept times 16).

/// RFC 3550 appendix A.1: a jump this large is a restart, not loss.
const MAX_DROPOUT: u32 = 3000;
/// RFC 3550 appendix A.1: this far behind is a duplicate or late packet.
const MAX_MISORDER: u32 = 100;
/// RFC 3550 appendix A.1.
const RTP_SEQ_MOD: u32 = 1 << 16;

/// What one source's packets looked like.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReceiveStats {
    started: bool,
    max_seq: u16,
    /// Shifted count of sequence number cycles (RFC 3550 appendix A.1 `cycles`).
    cycles: u32,
    base_seq: u32,
    /// The sequence number after a large jump: a second packet there restarts the count.
    bad_seq: u32,
    /// Packets received, duplicates and retransmissions included (appendix A.3).
    received: u64,
    expected_prior: u64,
    received_prior: u64,
    /// The last packet's relative transit time, in timestamp units.
    transit: Option<i64>,
    /// The jitter estimate times 16 (appendix A.8).
    jitter_q4: u64,
}

/// Whether a packet was counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SeqVerdict {
    /// In order (or a gap after which it is the new highest).
    Newest,
    /// Behind the highest: late, a duplicate or a retransmission.
    Old,
    /// A jump RFC 3550 appendix A.1 holds back until the next packet confirms it.
    Held,
}

impl ReceiveStats {
    /// Counts a packet with sequence number `seq` and RTP timestamp `ts` that arrived at
    /// `arrival` (the receiver's clock in the same timestamp units).
    pub(crate) fn update(&mut self, seq: u16, ts: u32, arrival: i64) -> SeqVerdict {
        let verdict = self.update_seq(seq);
        if verdict == SeqVerdict::Newest {
            self.update_jitter(ts, arrival);
        }
        verdict
    }

    /// Counts a retransmitted packet (an RTX packet's original, RFC 4588): received, as
    /// appendix A.3 counts every packet, but not run through the sequence validation of
    /// appendix A.1 (a retransmission is by nature far behind the highest, and two in a
    /// row would read as a restart) nor the jitter estimate (its timing is the sender's
    /// answer, not the network's).
    pub(crate) fn count_retransmission(&mut self) {
        if self.started {
            self.received += 1;
        }
    }

    fn init_seq(&mut self, seq: u16) {
        self.started = true;
        self.base_seq = u32::from(seq);
        self.max_seq = seq;
        self.bad_seq = RTP_SEQ_MOD + 1;
        self.cycles = 0;
        self.received = 0;
        self.received_prior = 0;
        self.expected_prior = 0;
        self.transit = None;
    }

    /// RFC 3550 appendix A.1 `update_seq`.
    fn update_seq(&mut self, seq: u16) -> SeqVerdict {
        if !self.started {
            self.init_seq(seq);
            self.received = 1;
            return SeqVerdict::Newest;
        }
        let udelta = u32::from(seq.wrapping_sub(self.max_seq));
        let verdict = if udelta < MAX_DROPOUT {
            if seq < self.max_seq {
                self.cycles = self.cycles.wrapping_add(RTP_SEQ_MOD);
            }
            self.max_seq = seq;
            SeqVerdict::Newest
        } else if udelta <= RTP_SEQ_MOD - MAX_MISORDER {
            // A very large jump: restart only if the next packet follows it.
            if u32::from(seq) == self.bad_seq {
                self.init_seq(seq);
                SeqVerdict::Newest
            } else {
                self.bad_seq = (u32::from(seq) + 1) & (RTP_SEQ_MOD - 1);
                return SeqVerdict::Held;
            }
        } else {
            SeqVerdict::Old
        };
        self.received += 1;
        verdict
    }

    /// RFC 3550 appendix A.8, integer form.
    fn update_jitter(&mut self, ts: u32, arrival: i64) {
        let transit = arrival.wrapping_sub(i64::from(ts));
        if let Some(prev) = self.transit {
            // Timestamps wrap at 32 bits: the difference is taken modulo 2^32.
            let d = i64::from((transit.wrapping_sub(prev) as i32).unsigned_abs());
            let j = self.jitter_q4 as i64;
            self.jitter_q4 = (j + d - ((j + 8) >> 4)).max(0) as u64;
        }
        self.transit = Some(transit);
    }

    /// The extended highest sequence number received (appendix A.3).
    pub(crate) fn extended_max(&self) -> u32 {
        self.cycles.wrapping_add(u32::from(self.max_seq))
    }

    /// Packets expected: highest minus first plus one (appendix A.3).
    pub(crate) fn expected(&self) -> u64 {
        if !self.started {
            return 0;
        }
        u64::from(self.extended_max().wrapping_sub(self.base_seq)) + 1
    }

    /// Packets received, duplicates and retransmissions included.
    pub(crate) fn received(&self) -> u64 {
        self.received
    }

    /// Cumulative packets lost: expected minus received (negative with duplicates).
    pub(crate) fn lost(&self) -> i64 {
        self.expected() as i64 - self.received as i64
    }

    /// The interarrival jitter in timestamp units.
    pub(crate) fn jitter(&self) -> u32 {
        (self.jitter_q4 >> 4) as u32
    }

    /// The fraction lost since the last call, in 1/256 (appendix A.3), and moves the
    /// interval on: call once per report sent.
    pub(crate) fn fraction_lost(&mut self) -> u8 {
        let expected = self.expected();
        let expected_interval = expected.saturating_sub(self.expected_prior);
        self.expected_prior = expected;
        let received_interval = self.received.saturating_sub(self.received_prior);
        self.received_prior = self.received;
        let lost_interval = expected_interval as i64 - received_interval as i64;
        if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / expected_interval as i64).min(255) as u8
        }
    }

    /// Whether a packet was counted.
    pub(crate) fn started(&self) -> bool {
        self.started
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_and_fraction_lost_follow_appendix_a3() {
        let mut s = ReceiveStats::default();
        // 1, 2, 3, 5, 6: packet 4 lost.
        for seq in [1u16, 2, 3, 5, 6] {
            s.update(seq, 0, 0);
        }
        assert_eq!((s.expected(), s.received(), s.lost()), (6, 5, 1));
        assert_eq!(s.extended_max(), 6);
        // lost_interval 1 of expected_interval 6: (1 << 8) / 6 = 42.
        assert_eq!(s.fraction_lost(), 42);
        // Next interval: 7..=10 arrive, and 4 late: nothing lost in it.
        for seq in [7u16, 4, 8, 9, 10] {
            s.update(seq, 0, 0);
        }
        assert_eq!(s.lost(), 0);
        assert_eq!(s.fraction_lost(), 0);
        // Then 11 and 14: 2 of 4 lost (12 and 13), 128/256.
        s.update(11, 0, 0);
        s.update(14, 0, 0);
        assert_eq!(s.fraction_lost(), 128);
        assert_eq!(s.lost(), 2);
    }

    #[test]
    fn the_extended_sequence_number_counts_cycles() {
        let mut s = ReceiveStats::default();
        for seq in [65_534u16, 65_535, 0, 1] {
            assert_eq!(s.update(seq, 0, 0), SeqVerdict::Newest);
        }
        assert_eq!(s.extended_max(), 65_536 + 1);
        assert_eq!((s.expected(), s.lost()), (4, 0));
        // A late packet from before the wrap is old, not a new cycle.
        assert_eq!(s.update(65_535, 0, 0), SeqVerdict::Old);
        assert_eq!(s.extended_max(), 65_537);
    }

    #[test]
    fn a_large_jump_is_held_until_confirmed_then_restarts() {
        let mut s = ReceiveStats::default();
        s.update(10, 0, 0);
        s.update(11, 0, 0);
        assert_eq!(s.update(20_000, 0, 0), SeqVerdict::Held);
        assert_eq!(s.extended_max(), 11);
        assert_eq!(s.update(20_001, 0, 0), SeqVerdict::Newest);
        assert_eq!(
            (s.extended_max(), s.expected(), s.received()),
            (20_001, 1, 1)
        );
    }

    #[test]
    fn jitter_follows_appendix_a8() {
        // 8 kHz, 20 ms packets (160 ticks); arrivals at 0, 20, 50 and 60 ms, so the third
        // is 10 ms (80 ticks) late and the fourth on time.
        let mut s = ReceiveStats::default();
        let arrivals_ms = [0i64, 20, 50, 60];
        for (i, ms) in arrivals_ms.into_iter().enumerate() {
            s.update(i as u16, 160 * i as u32, ms * 8);
        }
        // D: 0, 80, 80. J = 0; J += (80 - J)/16 = 5; J += (80 - 5)/16 = 9.6875. The integer
        // form keeps J*16: 0, 80, 80 + 80 - 5 = 155, and reports 155 >> 4 = 9.
        assert_eq!(s.jitter_q4, 155);
        assert_eq!(s.jitter(), 9);
        // Perfectly timed packets after that decay it by 1/16 each.
        s.update(4, 640, 80 * 8);
        assert_eq!(s.jitter_q4, 155 - ((155 + 8) >> 4));
    }

    #[test]
    fn retransmissions_count_as_received_without_moving_the_sequence() {
        let mut s = ReceiveStats::default();
        for seq in 1000..1300u16 {
            if seq != 1010 && seq != 1011 {
                s.update(seq, 0, 0);
            }
        }
        assert_eq!(s.lost(), 2);
        // 1010 and 1011 come back 290 packets late, one after the other: by appendix A.1
        // alone the second would restart the count.
        s.count_retransmission();
        s.count_retransmission();
        assert_eq!((s.lost(), s.extended_max(), s.expected()), (0, 1299, 300));
    }

    #[test]
    fn jitter_survives_a_timestamp_wrap() {
        let mut s = ReceiveStats::default();
        s.update(1, u32::MAX - 79, 1000);
        s.update(2, 80, 1160);
        // The timestamp advanced 160 (across the wrap), arrival 160: no jitter.
        assert_eq!(s.jitter_q4, 0);
    }
}
