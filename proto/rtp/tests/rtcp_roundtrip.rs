//! Property tests of RTCP, for every packet type this crate writes: a packet written then
//! parsed gives the same values, and written again from the parsed view gives the same
//! bytes; compounds of any mix of them (reduced-size or not) parse back in order; and any
//! bytes parse without a panic.

use proptest::prelude::*;
use wren_rtp::rtcp::{
    App, Bye, Compound, CompoundWriter, DlrrItem, Fir, FirEntry, Nack, NackPair, Packet, Pli,
    ReceiverReport, Remb, ReportBlock, RtcpPacket, RtcpWrite, Sdes, SdesChunk, SdesChunks,
    SdesItem, SdesItems, SenderReport, TransportFeedback, TwccPacket, TwccPackets, Xr, XrBlock,
    XrBlocks,
};

/// SDES chunks: (SSRC, [(item type, value)]).
type SdesModel = Vec<(u32, Vec<(u8, Vec<u8>)>)>;

/// An owned description of one packet, from which a borrowing [`Packet`] is built.
#[derive(Debug, Clone)]
enum Model {
    Sr(u32, u64, u32, u32, u32, Vec<ReportBlock>, Vec<u8>),
    Rr(u32, Vec<ReportBlock>, Vec<u8>),
    Sdes(SdesModel),
    Bye(Vec<u32>, Option<Vec<u8>>),
    App(u8, u32, [u8; 4], Vec<u8>),
    Nack(u32, u32, Vec<NackPair>),
    Twcc(u32, u32, u16, i32, u8, Vec<Option<i16>>),
    Pli(u32, u32),
    Fir(u32, u32, Vec<FirEntry>),
    Remb(u32, u32, u8, u32, Vec<u32>),
    Xr(u32, Vec<XrModel>),
    Unknown(Vec<u8>),
}

#[derive(Debug, Clone)]
enum XrModel {
    Rrtr(u64),
    Dlrr(Vec<DlrrItem>),
    Other(u8, u8, Vec<u8>),
}

impl Model {
    /// Calls `f` with the packet this model describes.
    fn with<R>(&self, f: impl FnOnce(Packet<'_>) -> R) -> R {
        match self {
            Model::Sr(ssrc, ntp, rtp, pc, oc, reports, ext) => {
                f(Packet::SenderReport(SenderReport {
                    ssrc: *ssrc,
                    ntp_time: *ntp,
                    rtp_time: *rtp,
                    packet_count: *pc,
                    octet_count: *oc,
                    reports: reports[..].into(),
                    extension: ext,
                }))
            }
            Model::Rr(ssrc, reports, ext) => f(Packet::ReceiverReport(ReceiverReport {
                ssrc: *ssrc,
                reports: reports[..].into(),
                extension: ext,
            })),
            Model::Sdes(chunks) => {
                let items: Vec<Vec<SdesItem<'_>>> = chunks
                    .iter()
                    .map(|(_, items)| {
                        items
                            .iter()
                            .map(|(kind, value)| SdesItem { kind: *kind, value })
                            .collect()
                    })
                    .collect();
                let list: Vec<SdesChunk<'_>> = chunks
                    .iter()
                    .zip(&items)
                    .map(|((ssrc, _), items)| SdesChunk {
                        ssrc: *ssrc,
                        items: SdesItems::List(items),
                    })
                    .collect();
                f(Packet::Sdes(Sdes {
                    chunks: SdesChunks::List(&list),
                }))
            }
            Model::Bye(ssrcs, reason) => f(Packet::Bye(Bye {
                ssrcs: ssrcs[..].into(),
                reason: reason.as_deref(),
            })),
            Model::App(subtype, ssrc, name, data) => f(Packet::App(App {
                subtype: *subtype,
                ssrc: *ssrc,
                name: *name,
                data,
            })),
            Model::Nack(s, m, pairs) => f(Packet::Nack(Nack {
                sender_ssrc: *s,
                media_ssrc: *m,
                pairs: pairs[..].into(),
            })),
            Model::Twcc(s, m, base, reference, count, deltas) => {
                let list: Vec<TwccPacket> = deltas
                    .iter()
                    .enumerate()
                    .map(|(i, delta)| TwccPacket {
                        seq: base.wrapping_add(i as u16),
                        delta: *delta,
                    })
                    .collect();
                f(Packet::TransportFeedback(TransportFeedback {
                    sender_ssrc: *s,
                    media_ssrc: *m,
                    base_seq: *base,
                    reference_time: *reference,
                    fb_count: *count,
                    packets: TwccPackets::List(&list),
                }))
            }
            Model::Pli(s, m) => f(Packet::Pli(Pli {
                sender_ssrc: *s,
                media_ssrc: *m,
            })),
            Model::Fir(s, m, entries) => f(Packet::Fir(Fir {
                sender_ssrc: *s,
                media_ssrc: *m,
                entries: entries[..].into(),
            })),
            Model::Remb(s, m, exponent, mantissa, ssrcs) => f(Packet::Remb(Remb {
                sender_ssrc: *s,
                media_ssrc: *m,
                exponent: *exponent,
                mantissa: *mantissa,
                ssrcs: ssrcs[..].into(),
            })),
            Model::Xr(ssrc, blocks) => {
                let list: Vec<XrBlock<'_>> = blocks
                    .iter()
                    .map(|b| match b {
                        XrModel::Rrtr(ntp) => XrBlock::Rrtr { ntp_time: *ntp },
                        XrModel::Dlrr(items) => XrBlock::Dlrr(items[..].into()),
                        XrModel::Other(bt, ts, data) => XrBlock::Other {
                            block_type: *bt,
                            type_specific: *ts,
                            data,
                        },
                    })
                    .collect();
                f(Packet::Xr(Xr {
                    ssrc: *ssrc,
                    blocks: XrBlocks::List(&list),
                }))
            }
            Model::Unknown(bytes) => {
                let (p, _) = RtcpPacket::parse_first(bytes).unwrap();
                f(Packet::Unknown(p))
            }
        }
    }
}

fn words(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<[u8; 4]>(), 0..=max).prop_map(|w| w.concat())
}

fn report_block() -> impl Strategy<Value = ReportBlock> {
    (
        any::<(u32, u8, u32, u32, u32, u32)>(),
        -0x80_0000i32..=0x7f_ffff,
    )
        .prop_map(
            |(
                (ssrc, fraction_lost, highest_sequence, jitter, last_sr, delay_since_last_sr),
                lost,
            )| {
                ReportBlock {
                    ssrc,
                    fraction_lost,
                    cumulative_lost: lost,
                    highest_sequence,
                    jitter,
                    last_sr,
                    delay_since_last_sr,
                }
            },
        )
}

/// TWCC statuses in runs, so that run-length chunks, both vectors and large deltas occur.
fn twcc_statuses() -> impl Strategy<Value = Vec<Option<i16>>> {
    let status = prop_oneof![
        3 => Just(None),
        5 => (0i16..=255).prop_map(Some),
        1 => any::<i16>().prop_map(Some),
    ];
    prop::collection::vec(
        (status, prop_oneof![4 => 1usize..4, 1 => 1usize..300]),
        0..40,
    )
    .prop_map(|runs| {
        runs.into_iter()
            .flat_map(|(s, n)| std::iter::repeat_n(s, n))
            .take(3000)
            .collect()
    })
}

fn xr_block() -> impl Strategy<Value = XrModel> {
    prop_oneof![
        any::<u64>().prop_map(XrModel::Rrtr),
        prop::collection::vec(any::<(u32, u32, u32)>(), 0..5).prop_map(|v| XrModel::Dlrr(
            v.into_iter()
                .map(|(ssrc, last_rr, delay_since_last_rr)| DlrrItem {
                    ssrc,
                    last_rr,
                    delay_since_last_rr
                })
                .collect()
        )),
        (prop_oneof![1u8..=3, 6u8..=255], any::<u8>(), words(5))
            .prop_map(|(bt, ts, data)| XrModel::Other(bt, ts, data)),
    ]
}

fn model() -> impl Strategy<Value = Model> {
    prop_oneof![
        (
            any::<(u32, u64, u32, u32, u32)>(),
            prop::collection::vec(report_block(), 0..=31),
            words(3)
        )
            .prop_map(|((s, n, r, p, o), reports, ext)| Model::Sr(s, n, r, p, o, reports, ext)),
        (
            any::<u32>(),
            prop::collection::vec(report_block(), 0..=31),
            words(3)
        )
            .prop_map(|(s, reports, ext)| Model::Rr(s, reports, ext)),
        prop::collection::vec(
            (
                any::<u32>(),
                prop::collection::vec(
                    (1u8..=255, prop::collection::vec(any::<u8>(), 0..=255)),
                    0..4
                )
            ),
            0..=31
        )
        .prop_map(Model::Sdes),
        (
            prop::collection::vec(any::<u32>(), 0..=31),
            prop::option::of(prop::collection::vec(any::<u8>(), 0..=255))
        )
            .prop_map(|(s, r)| Model::Bye(s, r)),
        (0u8..32, any::<u32>(), any::<[u8; 4]>(), words(8))
            .prop_map(|(st, s, n, d)| Model::App(st, s, n, d)),
        (
            any::<u32>(),
            any::<u32>(),
            prop::collection::vec(any::<(u16, u16)>(), 0..30)
        )
            .prop_map(|(s, m, p)| Model::Nack(
                s,
                m,
                p.into_iter()
                    .map(|(pid, blp)| NackPair { pid, blp })
                    .collect()
            )),
        (
            any::<(u32, u32, u16, u8)>(),
            -0x80_0000i32..=0x7f_ffff,
            twcc_statuses()
        )
            .prop_map(|((s, m, b, c), r, st)| Model::Twcc(s, m, b, r, c, st)),
        any::<(u32, u32)>().prop_map(|(s, m)| Model::Pli(s, m)),
        (
            any::<u32>(),
            any::<u32>(),
            prop::collection::vec(any::<(u32, u8)>(), 0..10)
        )
            .prop_map(|(s, m, e)| Model::Fir(
                s,
                m,
                e.into_iter()
                    .map(|(ssrc, seq)| FirEntry { ssrc, seq })
                    .collect()
            )),
        (
            any::<(u32, u32)>(),
            0u8..64,
            0u32..1 << 18,
            prop::collection::vec(any::<u32>(), 0..=255)
        )
            .prop_map(|((s, m), e, man, ssrcs)| Model::Remb(s, m, e, man, ssrcs)),
        (any::<u32>(), prop::collection::vec(xr_block(), 0..6)).prop_map(|(s, b)| Model::Xr(s, b)),
        // Types this crate does not type: a feedback FMT it does not know, and others.
        (
            prop_oneof![Just(192u8), Just(195), 208u8..=223, Just(205), Just(206)],
            prop_oneof![0u8..=31],
            words(6)
        )
            .prop_filter_map("typed", |(pt, count, body)| {
                let typed = match pt {
                    205 => matches!(count, 1 | 15),
                    206 => matches!(count, 1 | 4 | 15),
                    _ => false,
                };
                if typed {
                    return None;
                }
                let mut b = vec![0x80 | count, pt];
                b.extend_from_slice(&((body.len() / 4) as u16).to_be_bytes());
                b.extend_from_slice(&body);
                Some(Model::Unknown(b))
            }),
    ]
}

fn roundtrip(expected: Packet<'_>) -> Result<(), TestCaseError> {
    let mut buf = vec![0u8; 70_000];
    let n = expected.write(&mut buf).unwrap();
    prop_assert_eq!(n, expected.encoded_len());
    prop_assert_eq!(n % 4, 0);
    let (p, rest) = RtcpPacket::parse_first(&buf[..n]).unwrap();
    prop_assert!(rest.is_empty());
    let parsed = Packet::parse(&p).unwrap();
    prop_assert_eq!(&parsed, &expected, "write then parse");
    let mut again = vec![0u8; 70_000];
    let k = parsed.write(&mut again).unwrap();
    prop_assert_eq!(&again[..k], &buf[..n], "parse then write");
    // Too short a buffer is refused, never a panic.
    prop_assert!(expected.write(&mut again[..n - 1]).is_err());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn every_packet_type_round_trips(m in model()) {
        m.with(roundtrip)?;
    }

    #[test]
    fn compounds_round_trip(models in prop::collection::vec(model(), 1..6)) {
        let mut buf = vec![0u8; 400_000];
        let mut w = CompoundWriter::new(&mut buf);
        for m in &models {
            m.with(|p| w.push(&p).map(|_| ())).unwrap();
        }
        let n = w.finish();
        let c = Compound::parse(&buf[..n]).unwrap();
        let first_is_report = matches!(models[0], Model::Sr(..) | Model::Rr(..));
        prop_assert_eq!(c.is_reduced_size(), !first_is_report);
        let parsed: Vec<Packet<'_>> = c.packets().map(Result::unwrap).collect();
        prop_assert_eq!(parsed.len(), models.len());
        for (m, p) in models.iter().zip(&parsed) {
            m.with(|expected| assert_eq!(&expected, p));
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(c) = Compound::parse(&bytes) {
            prop_assert_eq!(c.iter().map(|p| p.as_bytes().len()).sum::<usize>(), bytes.len());
            for p in c.packets().flatten() {
                let _ = p.encoded_len();
                match p {
                    Packet::Nack(n) => { let _ = n.lost().count(); }
                    Packet::TransportFeedback(t) => prop_assert_eq!(t.packets.iter().count(), t.packets.len()),
                    Packet::Sdes(s) => { for c in s.chunks.iter() { let _ = c.items.iter().count(); } }
                    Packet::Xr(x) => { let _ = x.blocks.iter().count(); }
                    _ => {}
                }
            }
        }
    }

    #[test]
    fn valid_headers_with_arbitrary_bodies_never_panic(
        pt in 192u8..=223, count in 0u8..32, padded: bool, body in words(20),
    ) {
        // Framing that passes, so that the typed parsers see garbage bodies.
        let mut b = vec![0x80 | u8::from(padded) << 5 | count, pt];
        let mut body = body;
        if padded {
            body.extend_from_slice(&[0, 0, 0, 4]);
        }
        b.extend_from_slice(&((body.len() / 4) as u16).to_be_bytes());
        b.extend_from_slice(&body);
        let c = Compound::parse(&b).unwrap();
        for p in c.packets().flatten() {
            let mut out = vec![0u8; 200_000];
            if let Ok(n) = p.write(&mut out) {
                let (again, _) = RtcpPacket::parse_first(&out[..n]).unwrap();
                prop_assert_eq!(Packet::parse(&again).unwrap(), p);
            }
        }
    }
}
