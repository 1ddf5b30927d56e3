//! Every codec: a frame cut into payloads and put back together in order is the same
//! frame, for any frame and any payload size; payloads stay within the size; the last
//! one is marked; arbitrary bytes never panic a depacketizer or a keyframe check.

use proptest::prelude::*;
use wren_media::codec::av1::{Av1Depacketizer, Av1Packetizer, write_leb128};
use wren_media::codec::h264::{H264Depacketizer, H264Packetizer, PacketizationMode};
use wren_media::codec::vp8::{Vp8Depacketizer, Vp8Packetizer};
use wren_media::codec::vp9::{Vp9Depacketizer, Vp9Packetizer};
use wren_media::codec::{Depacketizer, Packetizer, av1, g711, h264, opus, vp8, vp9};

/// Packetizes `frame`, checks sizes and the marker, and depacketizes in order.
fn round_trip(
    p: &mut dyn Packetizer,
    d: &mut dyn Depacketizer,
    frame: &[u8],
    max: usize,
) -> Vec<u8> {
    let mut payloads: Vec<(Vec<u8>, bool)> = Vec::new();
    p.packetize(frame, max, &mut |pl, last| {
        payloads.push((pl.to_vec(), last))
    })
    .unwrap();
    assert!(!payloads.is_empty());
    for (i, (pl, last)) in payloads.iter().enumerate() {
        assert!(pl.len() <= max, "{} > {max}", pl.len());
        assert_eq!(*last, i + 1 == payloads.len(), "only the last is marked");
    }
    assert!(d.is_frame_start(&payloads[0].0));
    d.reset();
    let mut out = Vec::new();
    for (pl, _) in &payloads {
        d.push(pl, &mut out).unwrap();
    }
    out
}

/// A NAL unit as an encoder writes it: no `00 00 0x` (x <= 3) inside (emulation
/// prevention, H.264 section 7.4.1) and a last byte that is not zero.
fn nal_unit() -> impl Strategy<Value = Vec<u8>> {
    (
        1u8..=23,
        0u8..4,
        prop::collection::vec(any::<u8>(), 0..3000),
    )
        .prop_map(|(t, nri, body)| {
            let mut u = vec![(nri << 5) | t];
            let mut zeros = 0;
            for b in body {
                if zeros >= 2 && b <= 3 {
                    u.push(3);
                    zeros = 0;
                }
                zeros = if b == 0 { zeros + 1 } else { 0 };
                u.push(b);
            }
            if u.last() == Some(&0) {
                u.push(0x80);
            }
            u
        })
}

/// A temporal unit as an AV1 encoder writes it: a temporal delimiter, then sized OBUs of
/// the kinds RTP carries, some with an extension header.
fn temporal_unit() -> impl Strategy<Value = Vec<u8>> {
    let kind = prop::sample::select(vec![1u8, 3, 4, 5, 6, 7]);
    let obu = (
        kind,
        prop::option::of(any::<u8>()),
        prop::collection::vec(any::<u8>(), 0..3000),
    );
    prop::collection::vec(obu, 1..6).prop_map(|obus| {
        let mut tu = vec![0x12, 0x00];
        for (kind, ext, payload) in obus {
            tu.push((kind << 3) | 0x02 | if ext.is_some() { 0x04 } else { 0 });
            tu.extend(ext);
            write_leb128(payload.len() as u64, &mut tu);
            tu.extend_from_slice(&payload);
        }
        tu
    })
}

fn annex_b(units: &[Vec<u8>]) -> Vec<u8> {
    let mut f = Vec::new();
    for u in units {
        f.extend_from_slice(&[0, 0, 0, 1]);
        f.extend_from_slice(u);
    }
    f
}

proptest! {
    #[test]
    fn vp8_frames_come_back(frame in prop::collection::vec(any::<u8>(), 1..20_000), max in 5usize..1500) {
        let out = round_trip(&mut Vp8Packetizer::new(), &mut Vp8Depacketizer::default(), &frame, max);
        prop_assert_eq!(out, frame);
    }

    #[test]
    fn vp9_frames_come_back(
        frame in prop::collection::vec(any::<u8>(), 1..20_000),
        max in 9usize..1500,
        resolution in prop::option::of((1u16.., 1u16..)),
    ) {
        let mut p = Vp9Packetizer::new();
        if let Some((w, h)) = resolution {
            p = p.with_resolution(w, h);
        }
        let out = round_trip(&mut p, &mut Vp9Depacketizer::default(), &frame, max);
        prop_assert_eq!(out, frame);
    }

    #[test]
    fn av1_temporal_units_come_back(tu in temporal_unit(), max in 3usize..1500) {
        let out = round_trip(&mut Av1Packetizer::new(), &mut Av1Depacketizer::default(), &tu, max);
        prop_assert_eq!(out, tu);
    }

    #[test]
    fn h264_frames_come_back_in_mode_1(units in prop::collection::vec(nal_unit(), 1..8), max in 3usize..1500) {
        let frame = annex_b(&units);
        let out = round_trip(
            &mut H264Packetizer::new(PacketizationMode::NonInterleaved),
            &mut H264Depacketizer::default(),
            &frame,
            max,
        );
        prop_assert_eq!(out, frame);
    }

    #[test]
    fn h264_frames_come_back_in_mode_0(units in prop::collection::vec(nal_unit(), 1..8)) {
        let frame = annex_b(&units);
        let out = round_trip(
            &mut H264Packetizer::new(PacketizationMode::SingleNal),
            &mut H264Depacketizer::default(),
            &frame,
            65_535,
        );
        prop_assert_eq!(out, frame);
    }

    #[test]
    fn audio_frames_come_back(frame in prop::collection::vec(any::<u8>(), 1..1200)) {
        let out = round_trip(&mut opus::OpusPacketizer, &mut opus::OpusDepacketizer, &frame, 1200);
        prop_assert_eq!(&out, &frame);
        let out = round_trip(&mut g711::G711Packetizer, &mut g711::G711Depacketizer, &frame, 1200);
        prop_assert_eq!(out, frame);
    }

    #[test]
    fn any_bytes_never_panic(payloads in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..16)) {
        let mut out = Vec::new();
        let mut v = Vp8Depacketizer::default();
        let mut h = H264Depacketizer::default();
        let mut v9 = Vp9Depacketizer::default();
        let mut a = Av1Depacketizer::default();
        for p in &payloads {
            let _ = v.push(p, &mut out);
            let _ = h.push(p, &mut out);
            let _ = v9.push(p, &mut out);
            if a.push(p, &mut out).is_err() {
                a.reset();
            }
            let _ = av1::is_keyframe(p) | a.is_frame_start(p) | (av1::obus(p).count() > 0);
            let _ = vp9::is_keyframe(p) | vp9::frame_is_keyframe(p) | v9.is_frame_start(p);
            let _ = v.is_frame_start(p) | h.is_frame_start(p);
            let _ = vp8::is_keyframe(p) | h264::is_keyframe(p);
        }
    }
}
