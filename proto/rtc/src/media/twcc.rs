//! Transport-wide congestion control (draft-holmer-rmcat-transport-wide-cc-extensions-01):
//! outgoing packets carry a transport-wide sequence number (section 2, written into the
//! packet's own extension element before SRTP), and for incoming ones we send feedback
//! (section 3.1): which arrived and when, relative to a reference time, every interval
//! while packets come. The estimator that reads feedback is wren-media's.

use std::time::{Duration, Instant};

use wren_rtp::rtcp::{RtcpWrite, TransportFeedback, TwccPacket, TwccPackets};
use wren_rtp::rtp::RtpPacketMut;
use wren_rtp::rtp::unwrap::SeqUnwrapper;

/// Numbers our outgoing packets.
#[derive(Debug, Default)]
pub(crate) struct TwccSender {
    next: u16,
}

impl TwccSender {
    /// Writes the next transport-wide sequence number into `packet`'s element `id` (two
    /// bytes, section 2) when it has one; returns the number written.
    pub(crate) fn stamp(&mut self, id: u8, packet: &mut [u8]) -> Option<u16> {
        let mut p = RtpPacketMut::parse(packet).ok()?;
        p.set_extension(id, &self.next.to_be_bytes()).ok()?;
        let seq = self.next;
        self.next = self.next.wrapping_add(1);
        Some(seq)
    }
}

/// Arrival times of incoming packets by transport-wide sequence number, reported in
/// feedback packets.
#[derive(Debug)]
pub(crate) struct TwccReceiver {
    /// Arrival in microseconds since the media part's epoch, by extended sequence number
    /// modulo the ring's length.
    arrivals: Vec<Option<(u64, u64)>>,
    unwrap: SeqUnwrapper,
    /// The first sequence number the next feedback reports.
    base: Option<u64>,
    /// The highest received.
    highest: u64,
    fb_count: u8,
    /// The list a feedback packet is written from (preallocated).
    packets: Vec<TwccPacket>,
    /// When the next feedback is due, while arrivals wait to be reported.
    due: Option<Instant>,
    interval: Duration,
    /// Feedback packets sent.
    pub(crate) sent: u64,
}

/// Packets one feedback reports at most (and arrivals remembered).
const WINDOW: usize = 1024;

impl TwccReceiver {
    pub(crate) fn new(interval: Duration) -> TwccReceiver {
        TwccReceiver {
            arrivals: vec![None; WINDOW],
            unwrap: SeqUnwrapper::new(),
            base: None,
            highest: 0,
            fb_count: 0,
            packets: Vec::with_capacity(WINDOW),
            due: None,
            interval,
            sent: 0,
        }
    }

    /// Packet `seq` arrived at `now`, `at_us` microseconds after the epoch.
    pub(crate) fn record(&mut self, now: Instant, seq: u16, at_us: u64) {
        let ext = self.unwrap.unwrap(seq);
        match self.base {
            None => {
                self.base = Some(ext);
                self.highest = ext;
            }
            // Reported already: a late duplicate.
            Some(b) if ext < b => return,
            Some(_) => self.highest = self.highest.max(ext),
        }
        self.arrivals[(ext % WINDOW as u64) as usize] = Some((ext, at_us));
        if self.due.is_none() {
            self.due = Some(now + self.interval);
        }
    }

    /// When feedback is due.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.due
    }

    /// Forgets a due feedback (nothing can be sent now).
    pub(crate) fn skip(&mut self, now: Instant) {
        if self.due.is_some_and(|t| t <= now) {
            self.due = Some(now + self.interval);
        }
    }

    /// Writes a feedback packet for everything since the last one into `out` (appended)
    /// when due at `now`; returns whether it did.
    pub(crate) fn write_feedback(
        &mut self,
        now: Instant,
        sender_ssrc: u32,
        media_ssrc: u32,
        out: &mut Vec<u8>,
    ) -> bool {
        if self.due.is_none_or(|t| t > now) {
            return false;
        }
        self.due = None;
        let Some(mut base) = self.base else {
            return false;
        };
        if self.highest + 1 - base > WINDOW as u64 {
            base = self.highest + 1 - WINDOW as u64;
        }
        self.packets.clear();
        let mut reference: Option<(i32, u64)> = None;
        for ext in base..=self.highest {
            let slot = &mut self.arrivals[(ext % WINDOW as u64) as usize];
            let arrival = match *slot {
                Some((s, at)) if s == ext => Some(at),
                _ => None,
            };
            *slot = None;
            let delta = arrival.map(|at| {
                // The reference time: the first arrival, floored to 64 ms (section 3.1).
                let (_, prev) = reference.get_or_insert_with(|| {
                    let r = at / 64_000;
                    (r as i32 & 0x00ff_ffff, r * 64_000)
                });
                // Deltas in 250 us ticks, accumulated so that rounding does not drift.
                let ticks = ((at as i64 - *prev as i64) + 125).div_euclid(250);
                let ticks = ticks.clamp(i64::from(i16::MIN), i64::from(i16::MAX));
                *prev = (*prev as i64 + ticks * 250) as u64;
                ticks as i16
            });
            self.packets.push(TwccPacket {
                seq: ext as u16,
                delta,
            });
        }
        self.base = Some(self.highest + 1);
        let Some((reference_time, _)) = reference else {
            return false;
        };
        // Sign-extend the 24-bit value.
        let reference_time = (reference_time << 8) >> 8;
        let fb = TransportFeedback {
            sender_ssrc,
            media_ssrc,
            base_seq: base as u16,
            reference_time,
            fb_count: self.fb_count,
            packets: TwccPackets::List(&self.packets),
        };
        let start = out.len();
        out.resize(start + fb.encoded_len(), 0);
        match fb.write(&mut out[start..]) {
            Ok(n) => {
                out.truncate(start + n);
                self.fb_count = self.fb_count.wrapping_add(1);
                self.sent += 1;
                true
            }
            Err(_) => {
                out.truncate(start);
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wren_rtp::rtcp::{Compound, Packet};
    use wren_rtp::rtp::extensions::TransportCc;
    use wren_rtp::rtp::{ExtensionForm, RtpHeader, RtpPacket, RtpWriter};

    #[test]
    fn the_sender_stamps_consecutive_numbers_into_the_element() {
        let mut buf = [0u8; 100];
        let header = RtpHeader {
            payload_type: 96,
            sequence_number: 1,
            ssrc: 5,
            ..Default::default()
        };
        let mut w = RtpWriter::new(&mut buf, &header).unwrap();
        w.extensions(ExtensionForm::OneByte).unwrap();
        w.add(3, &TransportCc(0xffff)).unwrap();
        let n = w.finish(&[1, 2, 3], 0).unwrap();
        let mut s = TwccSender::default();
        for want in 0..3u16 {
            assert_eq!(s.stamp(3, &mut buf[..n]), Some(want));
            let p = RtpPacket::parse(&buf[..n]).unwrap();
            assert_eq!(p.extension(3), Some(&want.to_be_bytes()[..]));
            assert_eq!(p.payload(), &[1, 2, 3]);
        }
        assert_eq!(s.stamp(4, &mut buf[..n]), None, "no element 4");
        assert_eq!(s.stamp(3, &mut [0x80, 96, 0, 1]), None, "not RTP");
    }

    #[test]
    fn feedback_reports_a_known_arrival_pattern() {
        #[allow(clippy::disallowed_methods)] // an anchor for virtual time
        let t = Instant::now();
        let mut r = TwccReceiver::new(Duration::from_millis(100));
        // Sequence numbers 10..=15 sent; 12 lost, 14 arrives after 15. The first arrival
        // is 1 s + 1 ms after the epoch: the reference time is 1,000,000 / 64,000 = 15
        // (960 ms), and 41 ms (164 ticks) from it to the first packet.
        let arrivals = [
            (10u16, 1_001_000u64),
            (11, 1_006_000),
            (13, 1_016_000),
            (15, 1_018_000),
            (14, 1_090_000),
        ];
        for (seq, at) in arrivals {
            r.record(t, seq, at);
        }
        let mut out = Vec::new();
        assert!(!r.write_feedback(t, 1, 2, &mut out), "not due yet");
        let due = t + Duration::from_millis(100);
        assert!(r.write_feedback(due, 1, 2, &mut out));
        let compound = Compound::parse(&out).unwrap();
        let Some(Ok(Packet::TransportFeedback(fb))) = compound.packets().next() else {
            panic!("{out:?}");
        };
        assert_eq!((fb.sender_ssrc, fb.media_ssrc, fb.base_seq), (1, 2, 10));
        assert_eq!((fb.reference_time, fb.fb_count), (15, 0));
        let got: Vec<(u16, Option<i16>)> = fb.packets.iter().map(|p| (p.seq, p.delta)).collect();
        // Deltas: 41 ms = 164 ticks; 5 ms = 20; lost; 10 ms = 40; 74 ms after 13 = 296
        // (large, two bytes); 15 came 2 ms after 13 = 8 ticks but is reported in order:
        // 14 at 1,090,000 then 15 at 1,018,000 is -72 ms = -288.
        assert_eq!(
            got,
            vec![
                (10, Some(164)),
                (11, Some(20)),
                (12, None),
                (13, Some(40)),
                (14, Some(296)),
                (15, Some(-288))
            ]
        );
        // Nothing new: no feedback; the next one starts after 15 and counts on.
        assert!(!r.write_feedback(due + Duration::from_secs(1), 1, 2, &mut out));
        r.record(due, 16, 1_200_000);
        out.clear();
        assert!(r.write_feedback(due + Duration::from_millis(100), 1, 2, &mut out));
        let compound = Compound::parse(&out).unwrap();
        let Some(Ok(Packet::TransportFeedback(fb))) = compound.packets().next() else {
            panic!("{out:?}");
        };
        assert_eq!((fb.base_seq, fb.fb_count, fb.packets.len()), (16, 1, 1));
    }
}
