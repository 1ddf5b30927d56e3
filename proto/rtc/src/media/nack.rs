//! Answering a generic NACK (RFC 4585 section 6.2.1) from the send history: each lost
//! packet still kept is retransmitted, as RTX (RFC 4588 section 4: on the RTX SSRC with
//! the RTX payload type bound to the original's by `apt`, its own sequence number, the
//! original sequence number (OSN) before the payload) when the stream has RTX, else as it
//! was first sent. A packet retransmitted less than an RTT ago is not sent again (a
//! repeated NACK that crossed the retransmission).

use std::time::{Duration, Instant};

use wren_rtp::rtcp::Nack;
use wren_rtp::rtp::RtpPacket;
use wren_rtp::rtx;

use super::{Media, Pending};

impl Media {
    /// A NACK from the peer: the packets it names that are kept are queued for
    /// retransmission.
    pub(super) fn answer_nack(&mut self, now: Instant, nack: &Nack<'_>) {
        let Some(i) = self
            .send
            .iter()
            .position(|s| s.config.ssrc == nack.media_ssrc)
        else {
            self.counters.unknown_ssrc += 1;
            return;
        };
        let guard = self.rtt.unwrap_or(Duration::ZERO);
        self.send[i].nacks_received += 1;
        for seq in nack.lost() {
            let s = &mut self.send[i];
            if s.history.take_for_resend(now, seq, guard) {
                self.push_pending(Pending::Retransmit { stream: i, seq });
            } else {
                s.nack_unanswered += 1;
            }
        }
    }

    /// Writes the retransmission of `seq` of send stream `stream` into `out` (appended);
    /// `false` when it is gone or has no RTX payload type.
    pub(super) fn write_retransmission(
        &mut self,
        now: Instant,
        stream: usize,
        seq: u16,
        out: &mut Vec<u8>,
    ) -> bool {
        let start = out.len();
        let s = &mut self.send[stream];
        let Some(original) = s.history.get(now, seq) else {
            s.nack_unanswered += 1;
            return false;
        };
        match &s.config.rtx {
            Some(r) => {
                let Ok(p) = RtpPacket::parse(original) else {
                    return false;
                };
                let Some(payload_type) = r.rtx_pt(p.payload_type()) else {
                    s.nack_unanswered += 1;
                    return false;
                };
                let to = rtx::Stream {
                    ssrc: r.ssrc,
                    payload_type,
                };
                out.resize(start + original.len() + 2, 0);
                match rtx::wrap(&p, to, s.rtx_seq, &mut out[start..]) {
                    Ok(n) => out.truncate(start + n),
                    Err(_) => {
                        out.truncate(start);
                        return false;
                    }
                }
                s.rtx_seq = s.rtx_seq.wrapping_add(1);
            }
            None => out.extend_from_slice(original),
        }
        s.retransmitted_packets += 1;
        s.retransmitted_bytes += (out.len() - start) as u64;
        // A retransmission is a new packet on the transport: it gets its own number.
        if let Some(id) = self.config.extensions.twcc {
            if let Some(seq) = self.twcc_send.stamp(id, &mut out[start..]) {
                self.last_twcc = Some(seq);
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use wren_core::Rng;
    use wren_rtp::rtcp::{Nack, NackPair};
    use wren_rtp::rtp::extensions::TransportCc;
    use wren_rtp::rtp::{ExtensionForm, RtpHeader, RtpPacket, RtpWriter};
    use wren_rtp::rtx;

    use super::super::config::{ExtensionIds, MediaConfig, MediaKind, Rtx, SendStream};
    use super::super::{Media, Outgoing};

    fn packet(seq: u16) -> Vec<u8> {
        let mut buf = [0u8; 200];
        let header = RtpHeader {
            payload_type: 96,
            sequence_number: seq,
            timestamp: 3000 * u32::from(seq),
            ssrc: 0x1111,
            marker: seq % 2 == 0,
            ..Default::default()
        };
        let mut w = RtpWriter::new(&mut buf, &header).unwrap();
        w.extensions(ExtensionForm::OneByte).unwrap();
        w.add(5, &TransportCc(0)).unwrap();
        let n = w.finish(&[seq as u8; 50], 0).unwrap();
        buf[..n].to_vec()
    }

    fn media(rtx: bool) -> (Media, Instant) {
        #[allow(clippy::disallowed_methods)] // an anchor for virtual time
        let now = Instant::now();
        let config = MediaConfig {
            extensions: ExtensionIds::default().with_twcc(5),
            ..MediaConfig::default()
        };
        let mut m = Media::new(now, config, Rng::from_seed([7; 32]));
        let mut s = SendStream::new(0x1111, MediaKind::Video, 90_000);
        if rtx {
            s.rtx = Some(Rtx {
                ssrc: 0x2222,
                payload_types: vec![(96, 97)],
            });
        }
        m.add_send_stream(s).unwrap();
        (m, now)
    }

    fn nack(seqs: &[u16]) -> ([NackPair; 4], usize) {
        let mut pairs = [NackPair::default(); 4];
        let n = NackPair::pack(seqs.iter().copied(), &mut pairs).unwrap();
        (pairs, n)
    }

    #[test]
    fn a_nack_is_answered_with_rtx_that_unwraps_to_the_packet_sent() {
        let (mut m, now) = media(true);
        let mut sent = Vec::new();
        for seq in 100..110u16 {
            let mut p = packet(seq);
            m.handle_sent(now, &mut p);
            sent.push(p);
        }
        // The packets were stamped 0..10 with transport-wide numbers.
        let twcc = |p: &[u8]| RtpPacket::parse(p).unwrap().extension(5).unwrap().to_vec();
        assert_eq!(twcc(&sent[3]), 3u16.to_be_bytes());
        let (pairs, n) = nack(&[103, 105, 200]);
        m.answer_nack(
            now,
            &Nack {
                sender_ssrc: 9,
                media_ssrc: 0x1111,
                pairs: (&pairs[..n]).into(),
            },
        );
        let mut first_rtx_seq = None;
        for want in [103usize, 105] {
            let mut out = Vec::new();
            assert_eq!(m.poll_transmit(now, &mut out), Some(Outgoing::Rtp));
            let r = RtpPacket::parse(&out).unwrap();
            // RFC 4588 section 4: the RTX SSRC and payload type, consecutive RTX sequence
            // numbers, the OSN first in the payload.
            assert_eq!((r.ssrc(), r.payload_type()), (0x2222, 97));
            let rtx_seq = *first_rtx_seq.get_or_insert(r.sequence_number());
            assert_eq!(
                r.sequence_number(),
                rtx_seq.wrapping_add(u16::from(want == 105))
            );
            assert_eq!(rtx::original_sequence_number(&r), Some(want as u16));
            // A new transport-wide number (after the ten originals).
            assert_eq!(
                r.extension(5),
                Some(&(10 + u16::from(want == 105)).to_be_bytes()[..])
            );
            let mut back = vec![0u8; out.len()];
            let len = rtx::unwrap(
                &r,
                rtx::Stream {
                    ssrc: 0x1111,
                    payload_type: 96,
                },
                &mut back,
            )
            .unwrap();
            // The original, but for its transport-wide number.
            let mut expected = sent[want - 100].clone();
            let at = expected.len() - 50 - 4 + 1;
            expected[at..at + 2].copy_from_slice(r.extension(5).unwrap());
            assert_eq!(&back[..len], &expected[..]);
        }
        assert_eq!(m.poll_transmit(now, &mut Vec::new()), None);
        let s = &m.send[0];
        assert_eq!(
            (s.nacks_received, s.retransmitted_packets, s.nack_unanswered),
            (1, 2, 1)
        );
    }

    #[test]
    fn without_rtx_the_packet_is_sent_again_as_it_was() {
        let (mut m, now) = media(false);
        let mut p = packet(7);
        m.handle_sent(now, &mut p);
        let (pairs, n) = nack(&[7]);
        let n = Nack {
            sender_ssrc: 9,
            media_ssrc: 0x1111,
            pairs: (&pairs[..n]).into(),
        };
        m.answer_nack(now, &n);
        let mut out = Vec::new();
        assert_eq!(m.poll_transmit(now, &mut out), Some(Outgoing::Rtp));
        let r = RtpPacket::parse(&out).unwrap();
        assert_eq!((r.ssrc(), r.sequence_number()), (0x1111, 7));
        assert_eq!(r.payload(), RtpPacket::parse(&p).unwrap().payload());
        // Asked again at once (within the RTT guard, zero here: answered again).
        m.rtt = Some(std::time::Duration::from_millis(100));
        m.answer_nack(now, &n);
        assert_eq!(
            m.poll_transmit(now, &mut Vec::new()),
            None,
            "within one RTT"
        );
    }
}
