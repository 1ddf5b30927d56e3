//! The send history: a bounded ring of the packets recently sent on one stream, kept so
//! that a generic NACK (RFC 4585 section 6.2.1) can be answered with the very packet
//! (RFC 4588 section 3: "the retransmission ... the original packet").
//!
//! Slots are preallocated once (`packets` times `packet_size` bytes in one buffer):
//! recording a packet copies it into the slot its extended sequence number (RFC 3550
//! appendix A.1) selects and never allocates. A packet older than the configured age, or
//! overwritten by one `packets` later, is gone.

use std::time::{Duration, Instant};

use wren_rtp::rtp::unwrap::SeqUnwrapper;

/// One slot's bookkeeping (its bytes are in the shared buffer).
#[derive(Debug, Clone, Copy)]
struct Slot {
    /// The extended sequence number of the packet in it, `None` when empty.
    seq: Option<u64>,
    len: usize,
    sent_at: Option<Instant>,
    /// When it was last retransmitted.
    resent_at: Option<Instant>,
}

const EMPTY: Slot = Slot {
    seq: None,
    len: 0,
    sent_at: None,
    resent_at: None,
};

/// Recent outgoing packets of one stream.
#[derive(Debug)]
pub(crate) struct SendHistory {
    data: Vec<u8>,
    slot_size: usize,
    slots: Vec<Slot>,
    unwrap: SeqUnwrapper,
    max_age: Duration,
    /// Packets larger than a slot, not kept.
    pub(crate) too_large: u64,
}

impl SendHistory {
    /// A history of `packets` slots of `packet_size` bytes, answering for `max_age`.
    pub(crate) fn new(packets: usize, packet_size: usize, max_age: Duration) -> SendHistory {
        let packets = packets.max(1);
        SendHistory {
            data: vec![0; packets * packet_size],
            slot_size: packet_size,
            slots: vec![EMPTY; packets],
            unwrap: SeqUnwrapper::new(),
            max_age,
            too_large: 0,
        }
    }

    /// Keeps `packet` (a whole RTP packet, header first) sent at `now`.
    pub(crate) fn record(&mut self, now: Instant, packet: &[u8]) {
        if packet.len() > self.slot_size || packet.len() < 12 {
            self.too_large += 1;
            return;
        }
        let seq = self
            .unwrap
            .unwrap(u16::from_be_bytes([packet[2], packet[3]]));
        let i = (seq % self.slots.len() as u64) as usize;
        let at = i * self.slot_size;
        self.data[at..at + packet.len()].copy_from_slice(packet);
        self.slots[i] = Slot {
            seq: Some(seq),
            len: packet.len(),
            sent_at: Some(now),
            resent_at: None,
        };
    }

    /// The slot of `seq` if it holds that packet, not older than the age limit.
    fn find(&self, now: Instant, seq: u16) -> Option<usize> {
        let last = self.unwrap.last()?;
        let delta = i64::from(seq.wrapping_sub(last as u16) as i16);
        let ext = last.checked_add_signed(delta)?;
        let i = (ext % self.slots.len() as u64) as usize;
        let s = &self.slots[i];
        let fresh = s
            .sent_at
            .is_some_and(|t| now.saturating_duration_since(t) <= self.max_age);
        (s.seq == Some(ext) && fresh).then_some(i)
    }

    /// The packet with sequence number `seq`, when kept and young enough.
    pub(crate) fn get(&self, now: Instant, seq: u16) -> Option<&[u8]> {
        let i = self.find(now, seq)?;
        let at = i * self.slot_size;
        Some(&self.data[at..at + self.slots[i].len])
    }

    /// Marks `seq` as retransmitted at `now` unless it was within `guard` (one RTT: a
    /// second NACK for it before the first retransmission could have arrived is not
    /// answered again); `false` when it is not kept or was just retransmitted.
    pub(crate) fn take_for_resend(&mut self, now: Instant, seq: u16, guard: Duration) -> bool {
        let Some(i) = self.find(now, seq) else {
            return false;
        };
        let s = &mut self.slots[i];
        if s.resent_at
            .is_some_and(|t| now.saturating_duration_since(t) < guard)
        {
            return false;
        }
        s.resent_at = Some(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(seq: u16, fill: u8) -> Vec<u8> {
        let mut p = vec![0x80, 96];
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&[0; 8]);
        p.extend_from_slice(&[fill; 20]);
        p
    }

    #[allow(clippy::disallowed_methods)] // an anchor for virtual time
    fn t0() -> Instant {
        Instant::now()
    }

    #[test]
    fn keeps_the_last_packets_across_the_sequence_number_wrap() {
        let now = t0();
        let mut h = SendHistory::new(100, 64, Duration::from_secs(1));
        // 65500 .. 65535, then 0 .. 164: 200 packets through 100 slots.
        let seqs: Vec<u16> = (0..200u32).map(|i| (65_500 + i) as u16).collect();
        for (i, &s) in seqs.iter().enumerate() {
            h.record(now, &packet(s, i as u8));
        }
        // The first 100 were overwritten; the last 100 are there with their bytes.
        for (i, &s) in seqs.iter().enumerate() {
            let got = h.get(now, s);
            if i < 100 {
                assert_eq!(got, None, "seq {s}");
            } else {
                assert_eq!(got, Some(&packet(s, i as u8)[..]), "seq {s}");
            }
        }
        assert_eq!(h.get(now, 200), None, "never sent");
    }

    #[test]
    fn forgets_packets_older_than_the_age_and_skips_oversized_ones() {
        let now = t0();
        let mut h = SendHistory::new(10, 40, Duration::from_millis(500));
        h.record(now, &packet(1, 1));
        h.record(now + Duration::from_millis(400), &packet(2, 2));
        let later = now + Duration::from_millis(600);
        assert_eq!(h.get(later, 1), None);
        assert!(h.get(later, 2).is_some());
        h.record(later, &[0x80; 41]);
        assert_eq!(h.too_large, 1);
    }

    #[test]
    fn a_packet_is_resent_once_per_guard_interval() {
        let now = t0();
        let mut h = SendHistory::new(10, 64, Duration::from_secs(1));
        h.record(now, &packet(7, 0));
        let rtt = Duration::from_millis(100);
        assert!(h.take_for_resend(now, 7, rtt));
        assert!(!h.take_for_resend(now + Duration::from_millis(50), 7, rtt));
        assert!(h.take_for_resend(now + Duration::from_millis(100), 7, rtt));
        assert!(!h.take_for_resend(now, 8, rtt), "not kept");
    }
}
