//! Property tests of RTP: packets with CSRCs, one-byte or two-byte extension elements,
//! payload and padding, written then parsed give the same values, and parsed then written
//! give the same bytes; typed extensions round-trip; sequence numbers and timestamps
//! unwrap to the values they came from; RTX wrap and unwrap are inverse.

use proptest::prelude::*;
use wren_rtp::rtp::extensions::{
    AbsCaptureTime, AbsSendTime, AudioLevel, Extension, Mid, PlayoutDelay, RepairedRtpStreamId,
    RtpStreamId, TransportCc, VideoOrientation,
};
use wren_rtp::rtp::unwrap::{SeqUnwrapper, TimestampUnwrapper};
use wren_rtp::rtp::{ExtensionForm, RtpHeader, RtpPacket, RtpWriter};
use wren_rtp::rtx::{self, Stream};

#[derive(Debug, Clone)]
struct Model {
    marker: bool,
    payload_type: u8,
    sequence_number: u16,
    timestamp: u32,
    ssrc: u32,
    csrcs: Vec<u32>,
    form: Option<ExtensionForm>,
    elements: Vec<(u8, Vec<u8>)>,
    payload: Vec<u8>,
    padding: u8,
}

fn elements(form: Option<ExtensionForm>) -> BoxedStrategy<Vec<(u8, Vec<u8>)>> {
    match form {
        None => Just(Vec::new()).boxed(),
        Some(ExtensionForm::OneByte) => {
            prop::collection::vec((1u8..=14, prop::collection::vec(any::<u8>(), 1..=16)), 0..8)
                .boxed()
        }
        Some(ExtensionForm::TwoByte { .. }) => prop::collection::vec(
            (1u8..=255, prop::collection::vec(any::<u8>(), 0..=40)),
            0..8,
        )
        .boxed(),
    }
}

fn model() -> impl Strategy<Value = Model> {
    let form = prop_oneof![
        Just(None),
        Just(Some(ExtensionForm::OneByte)),
        (0u8..16).prop_map(|appbits| Some(ExtensionForm::TwoByte { appbits })),
    ];
    (
        (
            any::<bool>(),
            0u8..128,
            any::<u16>(),
            any::<u32>(),
            any::<u32>(),
        ),
        prop::collection::vec(any::<u32>(), 0..=15),
        form.prop_flat_map(|f| (Just(f), elements(f))),
        prop::collection::vec(any::<u8>(), 0..300),
        prop_oneof![Just(0u8), 1u8..=255],
    )
        .prop_map(
            |(
                (marker, payload_type, sequence_number, timestamp, ssrc),
                csrcs,
                (form, elements),
                payload,
                padding,
            )| {
                Model {
                    marker,
                    payload_type,
                    sequence_number,
                    timestamp,
                    ssrc,
                    csrcs,
                    form,
                    elements,
                    payload,
                    padding,
                }
            },
        )
}

fn write(m: &Model, out: &mut [u8]) -> usize {
    let header = RtpHeader {
        marker: m.marker,
        payload_type: m.payload_type,
        sequence_number: m.sequence_number,
        timestamp: m.timestamp,
        ssrc: m.ssrc,
        csrcs: &m.csrcs,
    };
    let mut w = RtpWriter::new(out, &header).unwrap();
    if let Some(form) = m.form {
        w.extensions(form).unwrap();
        for (id, data) in &m.elements {
            w.extension(*id, data).unwrap();
        }
    }
    w.finish(&m.payload, m.padding).unwrap()
}

/// The packet written again from what parsing it gives.
fn rewrite(p: &RtpPacket<'_>, out: &mut [u8]) -> usize {
    let csrcs: Vec<u32> = p.csrcs().collect();
    let m = Model {
        marker: p.marker(),
        payload_type: p.payload_type(),
        sequence_number: p.sequence_number(),
        timestamp: p.timestamp(),
        ssrc: p.ssrc(),
        csrcs,
        form: p.extension_form(),
        elements: p.extensions().map(|e| (e.id, e.data.to_vec())).collect(),
        payload: p.payload().to_vec(),
        padding: p.padding_len() as u8,
    };
    write(&m, out)
}

fn typed_roundtrip<'a, E: Extension<'a> + PartialEq + std::fmt::Debug>(
    value: &E,
    out: &'a mut [u8; 32],
) -> Result<(), TestCaseError> {
    let n = value.write(out).unwrap();
    prop_assert_eq!(n, value.encoded_len());
    let out: &'a [u8] = out;
    let again = E::parse(&out[..n]).unwrap();
    prop_assert_eq!(&again, value);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn write_then_parse_gives_the_values_and_parse_then_write_the_bytes(m in model()) {
        let mut buf = vec![0u8; 2048];
        let n = write(&m, &mut buf);
        let p = RtpPacket::parse(&buf[..n]).unwrap();
        prop_assert_eq!(p.version(), 2);
        prop_assert_eq!(p.marker(), m.marker);
        prop_assert_eq!(p.payload_type(), m.payload_type);
        prop_assert_eq!(p.sequence_number(), m.sequence_number);
        prop_assert_eq!(p.timestamp(), m.timestamp);
        prop_assert_eq!(p.ssrc(), m.ssrc);
        prop_assert_eq!(p.csrcs().collect::<Vec<_>>(), m.csrcs.clone());
        prop_assert_eq!(p.extension_form(), m.form);
        let elements: Vec<(u8, Vec<u8>)> = p.extensions().map(|e| (e.id, e.data.to_vec())).collect();
        prop_assert_eq!(&elements, &m.elements);
        for (id, data) in &m.elements {
            // The first element with that id.
            let first = &m.elements.iter().find(|(i, _)| i == id).unwrap().1;
            prop_assert_eq!(p.extension(*id), Some(&first[..]));
            let _ = data;
        }
        prop_assert_eq!(p.payload(), &m.payload[..]);
        prop_assert_eq!(p.padding_len(), usize::from(m.padding));
        prop_assert_eq!(p.has_padding(), m.padding > 0);

        let mut again = vec![0u8; 2048];
        let k = rewrite(&p, &mut again);
        prop_assert_eq!(&again[..k], &buf[..n]);
    }

    #[test]
    fn rtx_wrap_then_unwrap_gives_the_original_without_padding(
        m in model(), rtx_ssrc: u32, rtx_pt in 0u8..128, rtx_seq: u16,
    ) {
        let mut buf = vec![0u8; 2048];
        let n = write(&Model { padding: 0, ..m.clone() }, &mut buf);
        let original = RtpPacket::parse(&buf[..n]).unwrap();
        let mut wrapped = vec![0u8; 2048];
        let w = rtx::wrap(&original, Stream { ssrc: rtx_ssrc, payload_type: rtx_pt }, rtx_seq, &mut wrapped).unwrap();
        let r = RtpPacket::parse(&wrapped[..w]).unwrap();
        prop_assert_eq!((r.ssrc(), r.payload_type(), r.sequence_number()), (rtx_ssrc, rtx_pt, rtx_seq));
        prop_assert_eq!((r.timestamp(), r.marker()), (m.timestamp, m.marker));
        prop_assert_eq!(rtx::original_sequence_number(&r), Some(m.sequence_number));
        let mut back = vec![0u8; 2048];
        let b = rtx::unwrap(&r, Stream { ssrc: m.ssrc, payload_type: m.payload_type }, &mut back).unwrap();
        prop_assert_eq!(&back[..b], &buf[..n]);
    }

    #[test]
    fn typed_extensions_round_trip(
        text in "[a-zA-Z0-9]{1,16}",
        t24 in 0u32..1 << 24,
        seq: u16,
        voice: bool, level in 0u8..128,
        back_camera: bool, flip: bool, rotation in 0u8..4,
        min in 0u16..4096, max in 0u16..4096,
        timestamp: u64, offset: Option<i64>,
    ) {
        typed_roundtrip(&Mid(&text), &mut [0; 32])?;
        typed_roundtrip(&RtpStreamId(&text), &mut [0; 32])?;
        typed_roundtrip(&RepairedRtpStreamId(&text), &mut [0; 32])?;
        typed_roundtrip(&AbsSendTime(t24), &mut [0; 32])?;
        typed_roundtrip(&TransportCc(seq), &mut [0; 32])?;
        typed_roundtrip(&AudioLevel { voice, level }, &mut [0; 32])?;
        typed_roundtrip(&VideoOrientation { back_camera, flip, rotation }, &mut [0; 32])?;
        typed_roundtrip(&PlayoutDelay { min, max }, &mut [0; 32])?;
        typed_roundtrip(&AbsCaptureTime { timestamp, clock_offset: offset }, &mut [0; 32])?;
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(p) = RtpPacket::parse(&bytes) {
            let _ = (p.csrcs().count(), p.extensions().count(), p.payload().len());
            prop_assert!(p.header_len() + p.payload().len() + p.padding_len() == bytes.len());
        }
    }

    #[test]
    fn sequence_numbers_unwrap_to_their_true_values(
        start in 0u64..65536,
        steps in prop::collection::vec(-2900i64..2900, 1..300),
    ) {
        // Reordering and loss: steps back and forth (up to 31900) shorter than half the
        // modulus.
        let mut u = SeqUnwrapper::new();
        let mut t = TimestampUnwrapper::new();
        let mut v = start;
        prop_assert_eq!(u.unwrap(v as u16), v);
        prop_assert_eq!(t.unwrap(v as u32 * 3000), v * 3000);
        for s in steps {
            v = v.saturating_add_signed(s * 11);
            prop_assert_eq!(u.unwrap(v as u16), v);
            prop_assert_eq!(t.unwrap((v * 3000) as u32), v * 3000);
        }
    }
}
