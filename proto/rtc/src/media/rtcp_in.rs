//! Incoming RTCP, after SRTCP unprotection: each packet of the compound (RFC 3550 section
//! 6.1; reduced-size too, RFC 5506) goes where it belongs. SR: its NTP time is kept for
//! our LSR/DLSR and its report blocks read; RR: report blocks (RTT, the peer's loss);
//! NACK: answered from the history (RFC 4585 section 6.2.1); PLI and FIR (RFC 4585
//! section 6.3.1, RFC 5104 section 4.3.1): [`crate::Event::KeyframeRequest`], a FIR
//! repeated with the same command sequence number only once; REMB: [`crate::Event::Remb`];
//! BYE (RFC 3550 section 6.6): [`crate::Event::Bye`]; XR (RFC 3611): RRTR kept to
//! answer, DLRR giving a receiver's round trip. Malformed packets are counted and
//! skipped. The application still gets the whole compound.

use std::time::Instant;

use wren_rtp::rtcp::{Compound, Packet};

use super::Media;
use crate::Event;
use crate::event::KeyframeKind;

impl Media {
    /// Takes an unprotected RTCP compound packet.
    pub(crate) fn handle_rtcp(&mut self, now: Instant, bytes: &[u8]) {
        let Ok(compound) = Compound::parse(bytes) else {
            self.counters.rtcp_malformed += 1;
            return;
        };
        for p in compound.packets() {
            match p {
                Ok(Packet::SenderReport(sr)) => {
                    if let Some(r) = self.recv.iter_mut().find(|r| r.config.ssrc == sr.ssrc) {
                        r.last_sr = Some((super::reports::compact(sr.ntp_time), now));
                    }
                    self.handle_report_blocks(now, sr.reports.iter());
                }
                Ok(Packet::ReceiverReport(rr)) => self.handle_report_blocks(now, rr.reports.iter()),
                Ok(Packet::Nack(nack)) => self.answer_nack(now, &nack),
                Ok(Packet::Pli(pli)) => {
                    if let Some(s) = self
                        .send
                        .iter_mut()
                        .find(|s| s.config.ssrc == pli.media_ssrc)
                    {
                        s.plis_received += 1;
                        let ssrc = s.config.ssrc;
                        self.push_event(Event::KeyframeRequest {
                            ssrc,
                            kind: KeyframeKind::Pli,
                        });
                    }
                }
                Ok(Packet::Fir(fir)) => {
                    for e in fir.entries.iter() {
                        let Some(s) = self.send.iter_mut().find(|s| s.config.ssrc == e.ssrc) else {
                            continue;
                        };
                        // RFC 5104 section 4.3.1.2: the same sequence number is a repeat.
                        if s.last_fir_seq == Some(e.seq) {
                            continue;
                        }
                        s.last_fir_seq = Some(e.seq);
                        s.firs_received += 1;
                        self.push_event(Event::KeyframeRequest {
                            ssrc: e.ssrc,
                            kind: KeyframeKind::Fir,
                        });
                    }
                }
                Ok(Packet::Remb(remb)) => self.push_event(Event::Remb {
                    bitrate: remb.bitrate(),
                }),
                Ok(Packet::Xr(xr)) => self.handle_xr(now, &xr),
                Ok(Packet::Bye(bye)) => {
                    for ssrc in bye.ssrcs.iter() {
                        self.push_event(Event::Bye { ssrc });
                    }
                }
                Ok(_) => {}
                Err(_) => self.counters.rtcp_malformed += 1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use wren_core::Rng;
    use wren_rtp::rtcp::{
        Bye, CompoundWriter, Fir, FirEntry, Remb, ReportBlock, SenderReport, Xr, XrBlock, XrBlocks,
    };

    use super::super::config::{MediaConfig, MediaKind, ReceiveStream, SendStream};
    use super::super::{Media, Outgoing};
    use crate::Event;
    use crate::event::KeyframeKind;

    fn media() -> (Media, Instant) {
        #[allow(clippy::disallowed_methods)] // an anchor for virtual time
        let now = Instant::now();
        let mut m = Media::new(now, MediaConfig::default(), Rng::from_seed([3; 32]));
        m.add_send_stream(SendStream::new(0x10, MediaKind::Video, 90_000))
            .unwrap();
        m.add_receive_stream(ReceiveStream::new(0x20, MediaKind::Audio, 48_000))
            .unwrap();
        (m, now)
    }

    #[test]
    fn each_packet_of_a_compound_goes_where_it_belongs() {
        let (mut m, now) = media();
        let mut buf = [0u8; 400];
        let mut w = CompoundWriter::new(&mut buf);
        let ntp = 0x1234_5678_9abc_def0;
        w.push(&SenderReport {
            ssrc: 0x20,
            ntp_time: ntp,
            rtp_time: 0,
            packet_count: 1,
            octet_count: 1,
            reports: (&[] as &[ReportBlock]).into(),
            extension: &[],
        })
        .unwrap();
        let (exponent, mantissa) = Remb::encode_bitrate(1_500_000);
        w.push(&Remb {
            sender_ssrc: 0x20,
            media_ssrc: 0,
            exponent,
            mantissa,
            ssrcs: (&[0x10u32]).into(),
        })
        .unwrap();
        // The same FIR twice (a repeat) and a new one: two requests.
        for seq in [4u8, 4, 5] {
            w.push(&Fir {
                sender_ssrc: 0x20,
                media_ssrc: 0,
                entries: (&[FirEntry { ssrc: 0x10, seq }]).into(),
            })
            .unwrap();
        }
        w.push(&Xr {
            ssrc: 0x20,
            blocks: XrBlocks::List(&[XrBlock::Rrtr { ntp_time: ntp }]),
        })
        .unwrap();
        w.push(&Bye {
            ssrcs: (&[0x20u32]).into(),
            reason: Some(b"done"),
        })
        .unwrap();
        let n = w.finish();
        m.handle_rtcp(now, &buf[..n]);
        let events: Vec<Event> = std::iter::from_fn(|| m.poll_event()).collect();
        assert_eq!(
            events,
            [
                Event::Remb { bitrate: 1_500_000 },
                Event::KeyframeRequest {
                    ssrc: 0x10,
                    kind: KeyframeKind::Fir
                },
                Event::KeyframeRequest {
                    ssrc: 0x10,
                    kind: KeyframeKind::Fir
                },
                Event::Bye { ssrc: 0x20 },
            ]
        );
        assert_eq!(m.recv[0].last_sr, Some((0x5678_9abc, now)));
        assert_eq!(m.send[0].firs_received, 2);
        // Malformed bytes are counted, not fatal.
        m.handle_rtcp(now, &[0x80, 200, 0, 9]);
        assert_eq!(m.stats().rtcp_malformed, 1);

        // Our next report: an SR (we sent a packet) whose block answers the peer's SR
        // (LSR, DLSR) and an XR DLRR answering its RRTR.
        let mut p = vec![0x80, 96, 0, 1, 0, 0, 0x0b, 0xb8, 0, 0, 0, 0x10, 1, 2, 3];
        m.handle_sent(now, &mut p);
        m.handle_rtp(
            now,
            &mut vec![0x80, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0x20],
            &mut Vec::new(),
        );
        let later = now + Duration::from_millis(1500);
        let mut out = Vec::new();
        assert_eq!(m.poll_transmit(later, &mut out), Some(Outgoing::Rtcp));
        let compound = wren_rtp::rtcp::Compound::parse(&out).unwrap();
        let packets: Vec<_> = compound.packets().map(Result::unwrap).collect();
        let wren_rtp::rtcp::Packet::SenderReport(sr) = packets[0] else {
            panic!("{packets:?}");
        };
        assert_eq!((sr.ssrc, sr.packet_count, sr.octet_count), (0x10, 1, 3));
        // 1.5 s after the packet with timestamp 3000 at 90 kHz.
        assert_eq!(sr.rtp_time, 3000 + 135_000);
        let block = sr.reports.iter().next().unwrap();
        assert_eq!((block.ssrc, block.last_sr), (0x20, 0x5678_9abc));
        assert_eq!(block.delay_since_last_sr, 3 << 15, "1.5 s in 1/65536 s");
        assert!(matches!(packets[1], wren_rtp::rtcp::Packet::Sdes(_)));
        let wren_rtp::rtcp::Packet::Xr(xr) = packets[2] else {
            panic!("{packets:?}");
        };
        let Some(XrBlock::Dlrr(items)) = xr.blocks.iter().next() else {
            panic!("{xr:?}");
        };
        let item = items.iter().next().unwrap();
        assert_eq!(
            (item.ssrc, item.last_rr, item.delay_since_last_rr),
            (0x20, 0x5678_9abc, 3 << 15)
        );
    }
}
