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
