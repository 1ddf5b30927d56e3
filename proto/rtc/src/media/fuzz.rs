//! The media part fed arbitrary input: a script of RTP packets received (on a media or
//! RTX SSRC), RTCP compounds received, RTP packets sent and time steps, each followed by
//! a full drain. Used by the `rtc_media` fuzz target and by a unit test over seeded
//! random scripts. Must never panic.

use std::time::{Duration, Instant};

use wren_core::Rng;

use super::Media;
use super::config::{ExtensionIds, MediaConfig, MediaKind, ReceiveStream, Rtx, SendStream};
use super::stats::MediaStats;

/// The SSRCs the script's packets may name (its bytes choose among them).
const SSRCS: [u32; 4] = [0x100, 0x101, 0x200, 0x201];

/// Runs the script `data` against a media part sending 0x100 (RTX 0x101) and receiving
/// 0x200 (RTX 0x201, NACK) with transport-wide CC at id 3; returns its statistics.
pub(crate) fn run(now: Instant, data: &[u8]) -> MediaStats {
    let config = MediaConfig {
        extensions: ExtensionIds::default().with_twcc(3),
        history_packets: 64,
        nack_missing: 32,
        max_events: 16,
        max_pending: 16,
        ..MediaConfig::default()
    };
    let mut m = Media::new(now, config, Rng::from_seed([1; 32]));
    let rtx = |ssrc| Rtx {
        ssrc,
        payload_types: vec![(96, 97), (111, 112)],
    };
    let _ = m.add_send_stream(SendStream {
        rtx: Some(rtx(0x101)),
        ..SendStream::new(0x100, MediaKind::Video, 90_000)
    });
    let _ = m.add_receive_stream(ReceiveStream {
        rtx: Some(rtx(0x201)),
        nack: true,
        ..ReceiveStream::new(0x200, MediaKind::Video, 90_000)
    });
    let mut now = now;
    let (mut packet, mut scratch, mut out) = (Vec::new(), Vec::new(), Vec::new());
    let mut rest = data;
    while let [op, len, tail @ ..] = rest {
        let len = usize::from(*len).min(tail.len());
        let (chunk, next) = tail.split_at(len);
        rest = next;
        packet.clear();
        packet.extend_from_slice(chunk);
        // RTP ops put one of the known SSRCs in when the chunk has a header.
        if op & 0x3 != 1 && packet.len() >= 12 {
            let ssrc = SSRCS[usize::from(op >> 6)];
            packet[8..12].copy_from_slice(&ssrc.to_be_bytes());
        }
        match op & 0x3 {
            0 => {
                let _ = m.handle_rtp(now, &mut packet, &mut scratch);
            }
            1 => m.handle_rtcp(now, &packet),
            2 => m.handle_sent(now, &mut packet),
            _ => {
                now += Duration::from_millis(u64::from(op >> 2) * 20);
                m.handle_timeout(now);
                if op & 0x80 != 0 {
                    m.skip_due(now);
                }
            }
        }
        let _ = m.poll_timeout(true);
        for _ in 0..64 {
            out.clear();
            if m.poll_transmit(now, &mut out).is_none() {
                break;
            }
        }
        while m.poll_event().is_some() {}
    }
    m.stats()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wren_rtp::rtcp::{CompoundWriter, Nack, NackPair, Pli, ReceiverReport, ReportBlock};

    #[test]
    fn random_scripts_never_panic() {
        #[allow(clippy::disallowed_methods)] // an anchor for virtual time
        let t = Instant::now();
        let mut rng = Rng::from_seed([9; 32]);
        for _ in 0..300 {
            let len = rng.below(2000) as usize;
            let mut data = vec![0u8; len];
            rng.fill(&mut data);
            let _ = run(t, &data);
        }
    }

    #[test]
    fn a_script_of_well_formed_packets_runs_every_path() {
        #[allow(clippy::disallowed_methods)] // an anchor for virtual time
        let t = Instant::now();
        let mut data = Vec::new();
        let rtp = |seq: u16| {
            let mut p = vec![
                0x90,
                96,
                (seq >> 8) as u8,
                seq as u8,
                0,
                0,
                0,
                1,
                0,
                0,
                0,
                0,
            ];
            // One-byte extension block with element 3 (two bytes).
            p.extend_from_slice(&[0xbe, 0xde, 0, 1, 0x31, 0, 0, 0]);
            p.extend_from_slice(&[7; 20]);
            p
        };
        for seq in [1u16, 2, 3, 5, 9] {
            // Sent on 0x100 (op 2, SSRC index 0), received on 0x200 (op 0, index 2).
            for op in [2u8, 0x80] {
                let p = rtp(seq);
                data.extend_from_slice(&[op, p.len() as u8]);
                data.extend_from_slice(&p);
            }
        }
        let mut buf = [0u8; 200];
        let mut w = CompoundWriter::new(&mut buf);
        let blocks = [ReportBlock {
            ssrc: 0x100,
            ..ReportBlock::default()
        }];
        w.push(&ReceiverReport {
            ssrc: 0x200,
            reports: (&blocks).into(),
            extension: &[],
        })
        .unwrap();
        let pairs = [NackPair { pid: 2, blp: 1 }];
        w.push(&Nack {
            sender_ssrc: 0x200,
            media_ssrc: 0x100,
            pairs: (&pairs).into(),
        })
        .unwrap();
        w.push(&Pli {
            sender_ssrc: 0x200,
            media_ssrc: 0x100,
        })
        .unwrap();
        let n = w.finish();
        data.extend_from_slice(&[1, n as u8]);
        data.extend_from_slice(&buf[..n]);
        // Time steps of 620 ms: reports, feedback, NACKs, flows stopping.
        for _ in 0..4 {
            data.extend_from_slice(&[0x7f, 0]);
        }
        let s = run(t, &data);
        let (out, inb) = (&s.outbound[0], &s.inbound[0]);
        assert_eq!((out.packets_sent, out.nack_count, out.pli_count), (5, 1, 1));
        // NACK for 2 and 3: both kept, retransmitted as RTX.
        assert_eq!(out.retransmitted_packets_sent, 2);
        // Received 1, 2, 3, 5, 9: 4 and 6..=8 asked for.
        assert_eq!((inb.packets_received, inb.packets_lost), (5, 4));
        assert!(inb.nack_count >= 1 && s.twcc_feedback_sent >= 1, "{s:?}");
    }
}
