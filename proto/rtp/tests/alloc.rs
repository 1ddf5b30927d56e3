//! Counting-allocator proof: parsing RTP (with every extension read, typed), parsing RTCP
//! compounds (every packet typed and every list walked: report blocks, SDES items, NACK
//! lost sequence numbers, TWCC packet reports), rewriting RTP headers in place, writing
//! RTP and RTCP and RTX wrapping allocate nothing. The packets are the Chromium fixtures
//! (`tests/fixtures/`), each handled 100 times.

use std::hint::black_box;
use std::path::Path;

use wren_alloc_count::allocations_during;
use wren_rtp::rtcp::{Compound, CompoundWriter, Packet, Pli, RtcpWrite};
use wren_rtp::rtp::extensions::{AbsSendTime, AudioLevel, ExtensionKind, Mid, TransportCc};
use wren_rtp::rtp::{ExtensionForm, ExtensionMap, RtpHeader, RtpPacket, RtpPacketMut, RtpWriter};
use wren_rtp::rtx::{self, Stream};

#[global_allocator]
static GLOBAL: wren_alloc_count::Counting = wren_alloc_count::Counting;

const ROUNDS: usize = 100;

/// (RTP packets, RTCP compounds) of both fixtures.
fn fixtures() -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let (mut rtp, mut rtcp) = (Vec::new(), Vec::new());
    for name in ["chromium-twcc.bin", "chromium-remb.bin"] {
        let bin = std::fs::read(dir.join(name)).unwrap();
        let mut at = 0;
        while at < bin.len() {
            let len = usize::from(u16::from_be_bytes([bin[at + 1], bin[at + 2]]));
            let p = bin[at + 3..at + 3 + len].to_vec();
            if bin[at] == b'P' { &mut rtp } else { &mut rtcp }.push(p);
            at += 3 + len;
        }
    }
    (rtp, rtcp)
}

fn map() -> ExtensionMap {
    let mut map = ExtensionMap::new();
    map.insert(1, ExtensionKind::AudioLevel).unwrap();
    map.insert(2, ExtensionKind::AbsSendTime).unwrap();
    map.insert(3, ExtensionKind::TransportCc).unwrap();
    map.insert(4, ExtensionKind::Mid).unwrap();
    map
}

#[test]
fn rtp_parse_allocates_nothing() {
    let (rtp, _) = fixtures();
    let map = map();
    let mut sum = 0u64;
    let allocations = allocations_during(|| {
        for _ in 0..ROUNDS {
            for bytes in &rtp {
                let p = RtpPacket::parse(black_box(bytes)).unwrap();
                sum += u64::from(p.sequence_number()) + p.payload().len() as u64;
                sum += p.csrcs().map(u64::from).sum::<u64>();
                for e in p.extensions() {
                    sum += u64::from(e.id) + e.data.len() as u64;
                }
                if let Some(Ok(TransportCc(seq))) = p.get::<TransportCc>(&map) {
                    sum += u64::from(seq);
                }
                if let Some(Ok(AbsSendTime(t))) = p.get::<AbsSendTime>(&map) {
                    sum += u64::from(t);
                }
                if let Some(Ok(a)) = p.get::<AudioLevel>(&map) {
                    sum += u64::from(a.level);
                }
                if let Some(Ok(Mid(mid))) = p.get::<Mid<'_>>(&map) {
                    sum += mid.len() as u64;
                }
            }
        }
    });
    assert!(sum > 0);
    assert_eq!(
        allocations,
        0,
        "allocations parsing {} RTP packets",
        ROUNDS * rtp.len()
    );
}

#[test]
fn rtcp_compound_parse_allocates_nothing() {
    let (_, rtcp) = fixtures();
    let mut sum = 0u64;
    let allocations = allocations_during(|| {
        for _ in 0..ROUNDS {
            for bytes in &rtcp {
                let c = Compound::parse(black_box(bytes)).unwrap();
                for p in c.packets() {
                    match p.unwrap() {
                        Packet::SenderReport(sr) => {
                            sum += (sr.ntp_time >> 32)
                                + sr.reports.iter().map(|r| u64::from(r.jitter)).sum::<u64>();
                        }
                        Packet::ReceiverReport(rr) => {
                            sum += rr
                                .reports
                                .iter()
                                .map(|r| u64::from(r.highest_sequence))
                                .sum::<u64>();
                        }
                        Packet::Sdes(s) => {
                            for chunk in s.chunks.iter() {
                                sum += chunk
                                    .items
                                    .iter()
                                    .map(|i| i.value.len() as u64)
                                    .sum::<u64>();
                            }
                        }
                        Packet::Nack(n) => sum += n.lost().map(u64::from).sum::<u64>(),
                        Packet::TransportFeedback(t) => {
                            sum += t
                                .packets
                                .iter()
                                .map(|p| p.delta.map_or(1, |d| d.unsigned_abs().into()))
                                .sum::<u64>();
                        }
                        Packet::Remb(r) => sum += r.bitrate(),
                        other => sum += other.encoded_len() as u64,
                    }
                }
            }
        }
    });
    assert!(sum > 0);
    assert_eq!(
        allocations,
        0,
        "allocations parsing {} RTCP compounds",
        ROUNDS * rtcp.len()
    );
}

#[test]
fn rtp_header_rewrite_allocates_nothing() {
    let (rtp, _) = fixtures();
    let mut bufs = rtp.clone();
    let allocations = allocations_during(|| {
        for round in 0..ROUNDS {
            for buf in &mut bufs {
                let mut p = RtpPacketMut::parse(black_box(buf)).unwrap();
                p.set_ssrc(0x1234_5678 ^ round as u32);
                p.set_sequence_number(round as u16);
                p.set_timestamp(round as u32 * 3000);
                p.set_payload_type(96);
                p.set_marker(round % 2 == 0);
                if let Some(slot) = p.extension_mut(3) {
                    slot.copy_from_slice(&(round as u16).to_be_bytes()[..slot.len().min(2)]);
                }
            }
        }
    });
    assert_eq!(
        allocations,
        0,
        "allocations rewriting {} RTP headers",
        ROUNDS * rtp.len()
    );
    assert!(
        bufs.iter()
            .all(|b| RtpPacket::parse(b).unwrap().ssrc() == 0x1234_5678 ^ 99)
    );
}

#[test]
fn writing_and_rtx_allocate_nothing() {
    let (rtp, _) = fixtures();
    let mut out = vec![0u8; 1500];
    let mut rtx_out = vec![0u8; 1500];
    let mut total = 0usize;
    let allocations = allocations_during(|| {
        for round in 0..ROUNDS {
            let header = RtpHeader {
                payload_type: 111,
                sequence_number: round as u16,
                ssrc: 7,
                ..Default::default()
            };
            let mut w = RtpWriter::new(&mut out, &header).unwrap();
            w.extensions(ExtensionForm::OneByte).unwrap();
            w.add(
                1,
                &AudioLevel {
                    voice: true,
                    level: 40,
                },
            )
            .unwrap();
            w.add(3, &TransportCc(round as u16)).unwrap();
            total += w.finish(&[0u8; 160], 0).unwrap();

            let mut c = CompoundWriter::new(&mut out);
            c.push(&Pli {
                sender_ssrc: 1,
                media_ssrc: 2,
            })
            .unwrap();
            total += c.finish();

            for bytes in &rtp {
                let p = RtpPacket::parse(bytes).unwrap();
                let s = Stream {
                    ssrc: 9,
                    payload_type: 97,
                };
                total += rtx::wrap(&p, s, round as u16, &mut rtx_out).unwrap();
            }
        }
    });
    assert!(total > 0);
    assert_eq!(allocations, 0, "allocations writing RTP, RTCP and RTX");
}
