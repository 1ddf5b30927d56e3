//! Sender and receiver reports (RFC 3550 section 6.4) with SDES CNAME (section 6.5.1),
//! sent on the section 6.2 interval: a configured deterministic interval (browsers use
//! about one second for video instead of the 5 s minimum, as the reduced minimum of
//! section 6.2 allows), each one drawn from 0.5 to 1.5 times it with the seeded rng and
//! divided by e - 3/2 (section 6.3.1); the first comes after half an interval (section
//! 6.2: "the initial ... delay").
//!
//! Each compound starts with an SR from our first sending stream (its report blocks
//! about every received stream), then an SR for each other sending stream, or with an RR
//! from our own SSRC when we send nothing; then SDES with our CNAME for each. Wall-clock
//! time for the NTP timestamp comes from the configured anchor (proto crates read no
//! clock). The peer's reports about our streams give the round-trip time from LSR and
//! DLSR (section 6.4.1).
//!
//! A peer that sends nothing has no SR to be answered: it adds an XR receiver reference
//! time block (RFC 3611 section 4.4) to its RR, the sender answers with a DLRR block
//! (section 4.5) in its next report, and the receiver's round trip comes from that, as
//! browsers do with `rrtr`. That round trip paces its NACKs.

use std::time::{Duration, Instant, SystemTime};

use wren_core::Rng;
use wren_rtp::rtcp::Sdes;
use wren_rtp::rtcp::{
    Bye, DlrrItem, ReceiverReport, ReportBlock, SdesChunk, SdesItem, SdesItems, SenderReport, Xr,
    XrBlock, XrBlocks, sdes_type,
};

use super::{Media, append};

/// Seconds from the NTP epoch (1900) to the Unix epoch (RFC 868).
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;
/// e - 3/2, RFC 3550 section 6.3.1's compensation for timer reconsideration.
const COMPENSATION: f64 = 1.218_281_828_459_045;
/// Report blocks and SDES chunks in one packet at most (the 5-bit count field).
const MAX_ITEMS: usize = 31;
/// Receivers' RRTRs kept to answer.
pub(crate) const MAX_RRTR: usize = 4;

/// When the next report is due.
#[derive(Debug)]
pub(crate) struct ReportClock {
    /// The deterministic interval: the video one once a video stream is added.
    interval: Duration,
    next: Option<Instant>,
}

impl ReportClock {
    pub(crate) fn new(interval: Duration) -> ReportClock {
        ReportClock {
            interval,
            next: None,
        }
    }

    /// Sets the deterministic interval (from the next draw on).
    pub(crate) fn set_interval(&mut self, interval: Duration) {
        self.interval = interval;
    }

    /// Media started moving: the first report is due after half an interval, randomised.
    pub(crate) fn start(&mut self, now: Instant, rng: &mut Rng) {
        if self.next.is_none() {
            self.next = Some(now + self.draw(rng) / 2);
        }
    }

    /// One randomised interval (RFC 3550 section 6.3.1).
    fn draw(&self, rng: &mut Rng) -> Duration {
        let factor = 0.5 + rng.below(1001) as f64 / 1000.0;
        self.interval.mul_f64(factor / COMPENSATION)
    }

    /// Schedules the next report after `now`.
    pub(crate) fn schedule(&mut self, now: Instant, rng: &mut Rng) {
        self.next = Some(now + self.draw(rng));
    }

    pub(crate) fn due(&self, now: Instant) -> bool {
        self.next.is_some_and(|t| t <= now)
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.next
    }
}

/// The 64-bit NTP timestamp (RFC 5905 section 6) of `wall`.
pub(crate) fn ntp_time(wall: SystemTime) -> u64 {
    let since = wall
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    let secs = since.as_secs() + NTP_UNIX_OFFSET;
    let frac = (u64::from(since.subsec_nanos()) << 32) / 1_000_000_000;
    (secs << 32) | frac
}

/// The middle 32 bits of an NTP timestamp (the compact form of LSR, RFC 3550 s6.4.1).
pub(crate) fn compact(ntp: u64) -> u32 {
    (ntp >> 16) as u32
}

/// A duration in 1/65536 s (DLSR), saturating.
pub(crate) fn to_compact(d: Duration) -> u32 {
    let units = d.as_nanos() * 65_536 / 1_000_000_000;
    u32::try_from(units).unwrap_or(u32::MAX)
}

/// The round trip a report block gives (RFC 3550 section 6.4.1: arrival minus LSR minus
/// DLSR), `None` without an SR to refer to or for a negative result.
pub(crate) fn rtt(arrival_ntp: u64, block: &ReportBlock) -> Option<Duration> {
    if block.last_sr == 0 {
        return None;
    }
    let units = compact(arrival_ntp)
        .wrapping_sub(block.last_sr)
        .wrapping_sub(block.delay_since_last_sr);
    if units >= 0x8000_0000 {
        return None;
    }
    Some(Duration::from_nanos(
        u64::from(units) * 1_000_000_000 / 65_536,
    ))
}

impl Media {
    /// The wall-clock time of `now`.
    pub(super) fn ntp_now(&self, now: Instant) -> u64 {
        ntp_time(self.config.wall_clock + now.saturating_duration_since(self.epoch))
    }

    /// Writes SR or RR, and SDES, into `out`; `false` when there is nothing to report.
    pub(super) fn write_report(&mut self, now: Instant, out: &mut Vec<u8>) -> bool {
        let ntp = self.ntp_now(now);
        let mut blocks = [ReportBlock::default(); MAX_ITEMS];
        let mut n = 0;
        for r in self.recv.iter_mut().filter(|r| r.stats.started()) {
            if n == MAX_ITEMS {
                break;
            }
            let (last_sr, delay_since_last_sr) = r.last_sr.map_or((0, 0), |(lsr, at)| {
                (lsr, to_compact(now.saturating_duration_since(at)))
            });
            blocks[n] = ReportBlock {
                ssrc: r.config.ssrc,
                fraction_lost: r.stats.fraction_lost(),
                cumulative_lost: r
                    .stats
                    .lost()
                    .clamp(i64::from(i32::MIN), i64::from(i32::MAX))
                    as i32,
                highest_sequence: r.stats.extended_max(),
                jitter: r.stats.jitter(),
                last_sr,
                delay_since_last_sr,
            };
            n += 1;
        }
        let senders = self.send.iter().filter(|s| s.packets > 0).count();
        if senders == 0 && n == 0 {
            return false;
        }
        let start = out.len();
        let mut ssrcs = [0u32; MAX_ITEMS];
        let mut described = 0;
        let mut blocks_left: &[ReportBlock] = &blocks[..n];
        for s in self.send.iter().filter(|s| s.packets > 0).take(MAX_ITEMS) {
            let sr = SenderReport {
                ssrc: s.config.ssrc,
                ntp_time: ntp,
                rtp_time: s.rtp_time_at(now),
                packet_count: s.packets as u32,
                octet_count: s.payload_bytes as u32,
                reports: blocks_left.into(),
                extension: &[],
            };
            blocks_left = &[];
            if !append(out, &sr) {
                out.truncate(start);
                return false;
            }
            ssrcs[described] = s.config.ssrc;
            described += 1;
        }
        if described == 0 {
            let rr = ReceiverReport {
                ssrc: self.local_ssrc,
                reports: blocks_left.into(),
                extension: &[],
            };
            if !append(out, &rr) {
                out.truncate(start);
                return false;
            }
            ssrcs[0] = self.local_ssrc;
            described = 1;
        }
        let cname = self.config.cname.as_bytes();
        let item = [SdesItem {
            kind: sdes_type::CNAME,
            value: &cname[..cname.len().min(255)],
        }];
        let blank = SdesChunk {
            ssrc: 0,
            items: SdesItems::List(&item),
        };
        let mut chunks = [blank; MAX_ITEMS];
        for (c, &ssrc) in chunks.iter_mut().zip(&ssrcs[..described]) {
            c.ssrc = ssrc;
        }
        let sdes = Sdes {
            chunks: wren_rtp::rtcp::SdesChunks::List(&chunks[..described]),
        };
        if !append(out, &sdes) {
            out.truncate(start);
            return false;
        }
        // RFC 3611: a receiver asks for its round trip; a sender answers the last asks.
        let ok = if senders == 0 {
            append(
                out,
                &Xr {
                    ssrc: self.local_ssrc,
                    blocks: XrBlocks::List(&[XrBlock::Rrtr { ntp_time: ntp }]),
                },
            )
        } else {
            let mut items = [DlrrItem::default(); MAX_RRTR];
            let mut k = 0;
            for (ssrc, lrr, at) in self.rrtr.iter().flatten().copied() {
                items[k] = DlrrItem {
                    ssrc,
                    last_rr: lrr,
                    delay_since_last_rr: to_compact(now.saturating_duration_since(at)),
                };
                k += 1;
            }
            self.rrtr = [None; MAX_RRTR];
            k == 0
                || append(
                    out,
                    &Xr {
                        ssrc: ssrcs[0],
                        blocks: XrBlocks::List(&[XrBlock::Dlrr((&items[..k]).into())]),
                    },
                )
        };
        if !ok {
            out.truncate(start);
            return false;
        }
        true
    }

    /// The peer's XR (RFC 3611): an RRTR is kept to answer in our next report; a DLRR
    /// answering ours gives our round trip as a receiver.
    pub(super) fn handle_xr(&mut self, now: Instant, xr: &Xr<'_>) {
        for block in xr.blocks.iter() {
            match block {
                XrBlock::Rrtr { ntp_time } => {
                    let entry = Some((xr.ssrc, compact(ntp_time), now));
                    let slot = self
                        .rrtr
                        .iter()
                        .position(|e| e.is_none_or(|(s, _, _)| s == xr.ssrc));
                    // Full: the oldest gives way.
                    let i = slot.unwrap_or(0);
                    self.rrtr[i] = entry;
                }
                XrBlock::Dlrr(items) => {
                    let arrival = self.ntp_now(now);
                    let ours = self.local_ssrc;
                    for item in items.iter().filter(|i| i.ssrc == ours) {
                        let block = ReportBlock {
                            last_sr: item.last_rr,
                            delay_since_last_sr: item.delay_since_last_rr,
                            ..ReportBlock::default()
                        };
                        if let Some(rtt) = rtt(arrival, &block) {
                            self.rtt = Some(rtt);
                            self.push_event(crate::Event::Rtt { ssrc: xr.ssrc, rtt });
                        }
                    }
                }
                XrBlock::Other { .. } => {}
            }
        }
    }

    /// Writes an RR with a BYE for every stream we send (RFC 3550 section 6.6) into
    /// `out`; `false` when we send none.
    pub(crate) fn write_bye(&mut self, out: &mut Vec<u8>) -> bool {
        let mut ssrcs = [0u32; MAX_ITEMS];
        let mut n = 0;
        for s in self.send.iter().take(MAX_ITEMS) {
            ssrcs[n] = s.config.ssrc;
            n += 1;
        }
        if n == 0 {
            return false;
        }
        let start = out.len();
        let rr = ReceiverReport {
            ssrc: ssrcs[0],
            reports: (&[] as &[ReportBlock]).into(),
            extension: &[],
        };
        let bye = Bye {
            ssrcs: (&ssrcs[..n]).into(),
            reason: None,
        };
        if append(out, &rr) && append(out, &bye) {
            return true;
        }
        out.truncate(start);
        false
    }

    /// The peer's reception reports (from its SR or RR) about our streams: what it saw,
    /// and the round-trip time.
    pub(super) fn handle_report_blocks(
        &mut self,
        now: Instant,
        blocks: impl Iterator<Item = ReportBlock>,
    ) {
        let arrival = self.ntp_now(now);
        for b in blocks {
            let Some(s) = self.send.iter_mut().find(|s| s.config.ssrc == b.ssrc) else {
                continue;
            };
            s.remote.fraction_lost = b.fraction_lost;
            s.remote.cumulative_lost = b.cumulative_lost;
            s.remote.jitter = b.jitter;
            s.remote.reports += 1;
            if let Some(rtt) = rtt(arrival, &b) {
                s.remote.rtt = Some(rtt);
                let ssrc = s.config.ssrc;
                self.rtt = Some(rtt);
                self.push_event(crate::Event::Rtt { ssrc, rtt });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ntp_time_of_the_unix_epoch_and_a_half_second() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1500);
        let ntp = ntp_time(t);
        assert_eq!(ntp >> 32, NTP_UNIX_OFFSET + 1);
        assert_eq!(ntp & 0xffff_ffff, 0x8000_0000);
        assert_eq!(compact(ntp), ((NTP_UNIX_OFFSET as u32 + 1) << 16) | 0x8000);
    }

    #[test]
    fn rtt_is_arrival_minus_lsr_minus_dlsr() {
        // RFC 3550 section 6.4.1's example: an SR at 46864.250 (LSR), the RR sent 5.250 s
        // after it (DLSR) and received at 46870.125 (compact): RTT 0.625 s.
        let lsr = (46_864 << 16) | 0x4000;
        let dlsr = 5 << 16 | 0x4000;
        let arrival = ((46_870u64 << 16) | 0x2000) << 16;
        let b = ReportBlock {
            last_sr: lsr,
            delay_since_last_sr: dlsr,
            ..ReportBlock::default()
        };
        assert_eq!(rtt(arrival, &b), Some(Duration::from_millis(625)));
        assert_eq!(rtt(arrival, &ReportBlock::default()), None, "no SR yet");
        let late = ReportBlock {
            delay_since_last_sr: 7 << 16,
            ..b
        };
        assert_eq!(rtt(arrival, &late), None, "negative");
    }

    #[test]
    fn intervals_are_randomised_around_the_configured_one() {
        #[allow(clippy::disallowed_methods)] // an anchor for virtual time
        let t = Instant::now();
        let mut rng = Rng::from_seed([1; 32]);
        let mut c = ReportClock::new(Duration::from_secs(1));
        c.start(t, &mut rng);
        let first = c.poll_timeout().unwrap() - t;
        assert!(first >= Duration::from_millis(205) && first <= Duration::from_millis(616));
        let mut total = Duration::ZERO;
        for _ in 0..1000 {
            c.schedule(t, &mut rng);
            let d = c.poll_timeout().unwrap() - t;
            // 0.5 / 1.218 to 1.5 / 1.218 seconds.
            assert!(
                d >= Duration::from_millis(410) && d <= Duration::from_millis(1232),
                "{d:?}"
            );
            total += d;
        }
        // The mean is 1 / 1.218 s.
        let mean = total / 1000;
        assert!(
            mean > Duration::from_millis(790) && mean < Duration::from_millis(850),
            "{mean:?}"
        );
    }
}
