//! Unit tests: encodings worked out from the RFCs' and drafts' figures, and the errors
//! each malformed structure gives.

use crate::Error;
use crate::rtcp::{
    Compound, Nack, NackPair, Packet, Remb, RtcpPacket, RtcpWrite, TransportFeedback, TwccPacket,
    TwccPackets,
};
use crate::rtp::extensions::{AbsCaptureTime, AbsSendTime, Extension, PlayoutDelay};
use crate::rtp::unwrap::{SeqUnwrapper, TimestampUnwrapper};
use crate::rtp::{ExtensionElement, ExtensionForm, ExtensionMap, RtpHeader, RtpPacket, RtpWriter};

/// RFC 8285 s4.2's one-byte example layout: id 1 with 1 byte, id 2 with 2, padding, and
/// s4.3's two-byte layout with a zero-length element.
#[test]
fn one_byte_and_two_byte_elements_with_padding_between() {
    let mut p = vec![0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2];
    p.extend_from_slice(&[0xbe, 0xde, 0, 2, 0x10, 0xaa, 0x21, 0xbb, 0xcc, 0, 0, 0]);
    p.extend_from_slice(b"pay");
    let rtp = RtpPacket::parse(&p).unwrap();
    let e: Vec<_> = rtp.extensions().collect();
    assert_eq!(
        e,
        [
            ExtensionElement {
                id: 1,
                data: &[0xaa]
            },
            ExtensionElement {
                id: 2,
                data: &[0xbb, 0xcc]
            }
        ]
    );
    assert_eq!(rtp.payload(), b"pay");

    let mut p = vec![0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2];
    p.extend_from_slice(&[
        0x10, 0x00, 0, 2, 0x01, 0x00, 0x00, 0xff, 0x02, 0xaa, 0xbb, 0,
    ]);
    let rtp = RtpPacket::parse(&p).unwrap();
    assert_eq!(
        rtp.extension_form(),
        Some(ExtensionForm::TwoByte { appbits: 0 })
    );
    let e: Vec<_> = rtp.extensions().collect();
    assert_eq!(
        e,
        [
            ExtensionElement { id: 1, data: &[] },
            ExtensionElement {
                id: 0xff,
                data: &[0xaa, 0xbb]
            }
        ]
    );
}

#[test]
fn one_byte_id_15_stops_the_walk() {
    let mut p = vec![0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2];
    p.extend_from_slice(&[0xbe, 0xde, 0, 1, 0x10, 0xaa, 0xf0, 0x31]);
    let rtp = RtpPacket::parse(&p).unwrap();
    assert_eq!(rtp.extensions().count(), 1);
}

#[test]
fn malformed_rtp_is_refused_with_what_and_where() {
    assert_eq!(
        RtpPacket::parse(&[0x80, 0, 0]),
        Err(Error::TooShort {
            what: "RTP packet",
            need: 12,
            have: 3
        })
    );
    assert_eq!(
        RtpPacket::parse(&[0x40; 12]),
        Err(Error::BadVersion {
            what: "RTP packet",
            version: 1
        })
    );
    // Two CSRCs announced, one present.
    let p = vec![0x82, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4];
    assert_eq!(
        RtpPacket::parse(&p),
        Err(Error::TooShort {
            what: "RTP CSRC list",
            need: 20,
            have: 16
        })
    );
    // An extension of 2 words with one present.
    let mut p = vec![0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    p.extend_from_slice(&[0xbe, 0xde, 0, 2, 0, 0, 0, 0]);
    assert_eq!(
        RtpPacket::parse(&p),
        Err(Error::TooShort {
            what: "RTP header extension",
            need: 24,
            have: 20
        })
    );
    // An element that claims 3 bytes with 2 left in the block.
    let mut p = vec![
        0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde, 0, 1, 0, 0x12, 1, 2,
    ];
    assert_eq!(
        RtpPacket::parse(&p),
        Err(Error::BadLength {
            what: "RTP header extension element",
            claimed: 3,
            available: 2
        })
    );
    // Padding count 0, and one longer than the payload.
    p[0] = 0xa0;
    p.truncate(12);
    p.extend_from_slice(&[9, 0]);
    assert_eq!(
        RtpPacket::parse(&p),
        Err(Error::BadPadding {
            what: "RTP packet",
            count: 0,
            available: 2
        })
    );
    *p.last_mut().unwrap() = 3;
    assert!(matches!(
        RtpPacket::parse(&p),
        Err(Error::BadPadding { count: 3, .. })
    ));
}

#[test]
fn writer_refuses_what_the_form_cannot_carry() {
    let mut buf = [0u8; 64];
    let mut w = RtpWriter::new(&mut buf, &RtpHeader::default()).unwrap();
    assert!(matches!(
        w.extension(1, &[1]),
        Err(Error::InvalidValue { .. })
    ));
    w.extensions(ExtensionForm::OneByte).unwrap();
    assert!(w.extension(15, &[1]).is_err());
    assert!(w.extension(0, &[1]).is_err());
    assert!(w.extension(1, &[]).is_err());
    assert!(w.extension(1, &[0; 17]).is_err());
    w.extension(14, &[0; 16]).unwrap();
    // 12 + 4 + 17 = 33, padded to 36, then a 29-byte payload does not fit 64.
    assert!(matches!(
        w.finish(&[0; 29], 0),
        Err(Error::BufferTooSmall { .. })
    ));
    let header = RtpHeader {
        payload_type: 128,
        ..RtpHeader::default()
    };
    assert!(RtpWriter::new(&mut buf, &header).is_err());
    let csrcs = [0u32; 16];
    let header = RtpHeader {
        csrcs: &csrcs,
        ..RtpHeader::default()
    };
    assert!(RtpWriter::new(&mut buf, &header).is_err());
}

#[test]
fn abs_send_time_is_the_middle_of_ntp() {
    // 1.5 s in NTP (UQ32.32) is 1.5 * 2^18 in 6.18.
    let ntp = (1u64 << 32) + (1u64 << 31);
    assert_eq!(AbsSendTime::from_ntp(ntp), AbsSendTime(3 << 17));
    let mut out = [0u8; 3];
    AbsSendTime(3 << 17).write(&mut out).unwrap();
    assert_eq!(out, [0x06, 0x00, 0x00]);
    assert!(AbsSendTime(1 << 24).write(&mut out).is_err());
}

#[test]
fn playout_delay_and_capture_time_layouts() {
    let mut out = [0u8; 16];
    PlayoutDelay {
        min: 0x123,
        max: 0x456,
    }
    .write(&mut out)
    .unwrap();
    assert_eq!(out[..3], [0x12, 0x34, 0x56]);
    let n = AbsCaptureTime {
        timestamp: 1,
        clock_offset: Some(-1),
    }
    .write(&mut out)
    .unwrap();
    assert_eq!(n, 16);
    assert_eq!(
        out,
        [
            0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
        ]
    );
    assert!(AbsCaptureTime::parse(&out[..12]).is_err());
}

#[test]
fn extension_map_replaces_both_ways() {
    use crate::rtp::extensions::ExtensionKind::{AbsSendTime, TransportCc};
    let mut m = ExtensionMap::new();
    m.insert(3, TransportCc).unwrap();
    m.insert(5, TransportCc).unwrap();
    assert_eq!((m.get(3), m.id(TransportCc)), (None, Some(5)));
    m.insert(5, AbsSendTime).unwrap();
    assert_eq!((m.id(TransportCc), m.id(AbsSendTime)), (None, Some(5)));
    assert!(m.insert(0, AbsSendTime).is_err());
    assert_eq!(m.insert_uri(7, "urn:example:unknown"), Ok(false));
}

#[test]
fn unwrapping_across_wraps_both_ways() {
    let mut u = SeqUnwrapper::new();
    assert_eq!(u.unwrap(2), 2);
    // Backwards past zero would be negative: taken as forward.
    assert_eq!(u.unwrap(65535), 65535);
    assert_eq!(u.unwrap(0), 65536);
    assert_eq!(u.unwrap(32768), 98304);
    let mut t = TimestampUnwrapper::new();
    assert_eq!(t.unwrap(u32::MAX - 10), u64::from(u32::MAX) - 10);
    assert_eq!(t.unwrap(5), (1 << 32) + 5);
    assert_eq!(t.unwrap(u32::MAX), u64::from(u32::MAX));
}

/// RFC 4585 s6.2.1: PID and the bitmask of following lost packets, bit i = PID + i + 1.
#[test]
fn nack_lost_sequence_numbers() {
    let pairs = [
        NackPair {
            pid: 100,
            blp: 0b1000_0000_0000_0101,
        },
        NackPair {
            pid: 65535,
            blp: 0b1,
        },
    ];
    let nack = Nack {
        sender_ssrc: 1,
        media_ssrc: 2,
        pairs: (&pairs).into(),
    };
    assert!(nack.lost().eq([100, 101, 103, 116, 65535, 0]));
    let mut out = [NackPair::default(); 2];
    assert_eq!(
        NackPair::pack([100, 101, 103, 116, 65535, 0], &mut out),
        Some(2)
    );
    assert_eq!(out, pairs);
    assert_eq!(NackPair::pack([1, 100, 200], &mut out), None);
}

fn twcc_bytes(statuses: &[Option<i16>]) -> Vec<u8> {
    let list: Vec<TwccPacket> = statuses
        .iter()
        .enumerate()
        .map(|(i, d)| TwccPacket {
            seq: 10 + i as u16,
            delta: *d,
        })
        .collect();
    let fb = TransportFeedback {
        sender_ssrc: 1,
        media_ssrc: 2,
        base_seq: 10,
        reference_time: -1,
        fb_count: 7,
        packets: TwccPackets::List(&list),
    };
    let mut out = vec![0u8; 4096];
    let n = fb.write(&mut out).unwrap();
    out.truncate(n);
    out
}

/// draft-holmer-rmcat-transport-wide-cc-extensions-01 s3.1.3: a run of 221 "not
/// received" is the chunk 0x00dd; s3.1.4: a one-bit vector chunk; s3.1.5: small deltas
/// are one byte, large ones two, signed.
#[test]
fn twcc_chunks_as_the_draft_draws_them() {
    let b = twcc_bytes(&[None; 221]);
    assert_eq!(&b[12..20], &[0, 10, 0, 221, 0xff, 0xff, 0xff, 7]);
    assert_eq!(&b[20..22], &[0x00, 0xdd]);
    assert_eq!(b.len(), 24);
    assert_eq!(
        b[0] & 0x20,
        0x20,
        "two bytes of RTCP padding, with the P bit"
    );
    assert_eq!(&b[22..], &[0, 2]);

    // 14 statuses mixing received (small) and not: one 1-bit vector chunk.
    let mut s = [None; 14];
    for i in [1, 2, 3, 4, 5, 10, 11, 12] {
        s[i] = Some(4);
    }
    let b = twcc_bytes(&s);
    assert_eq!(&b[20..22], &[0b1001_1111, 0b0000_1110]);
    assert_eq!(&b[22..30], &[4; 8]);

    // A large (negative) delta forces 2-bit vectors of 7.
    let s = [Some(1), Some(-4), None, Some(300), Some(1), None, None];
    let b = twcc_bytes(&s);
    assert_eq!(&b[20..22], &[0b1101_1000, 0b1001_0000]);
    assert_eq!(&b[22..28], &[1, 0xff, 0xfc, 0x01, 0x2c, 1]);

    let (p, _) = RtcpPacket::parse_first(&b).unwrap();
    let Packet::TransportFeedback(fb) = Packet::parse(&p).unwrap() else {
        panic!()
    };
    assert_eq!(fb.reference_time, -1);
    assert_eq!(fb.reference_time_us(), -64_000);
    let got: Vec<_> = fb.packets.iter().map(|p| (p.seq, p.delta)).collect();
    let want: Vec<_> = s
        .iter()
        .enumerate()
        .map(|(i, d)| (10 + i as u16, *d))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn twcc_refuses_reserved_symbols_and_missing_deltas() {
    let mut b = twcc_bytes(&[Some(1), Some(2)]);
    // A 2-bit vector with the reserved symbol 3 first.
    b[20] = 0b1111_0000;
    let (p, _) = RtcpPacket::parse_first(&b).unwrap();
    assert!(matches!(
        TransportFeedback::parse(&p),
        Err(Error::InvalidValue { .. })
    ));
    // A run of 2000 small deltas in a packet without them.
    let mut b = twcc_bytes(&[Some(1), Some(2)]);
    b[14..16].copy_from_slice(&2000u16.to_be_bytes());
    b[20..22].copy_from_slice(&(0x2000u16 | 2000).to_be_bytes());
    let (p, _) = RtcpPacket::parse_first(&b).unwrap();
    assert!(matches!(
        TransportFeedback::parse(&p),
        Err(Error::TooShort { .. })
    ));
}

/// draft-alvestrand-rmcat-remb-03 s2.2: BR Exp (6 bits) and BR Mantissa (18 bits).
#[test]
fn remb_bitrate_encoding() {
    assert_eq!(Remb::encode_bitrate(0x3_ffff), (0, 0x3_ffff));
    assert_eq!(Remb::encode_bitrate(1_000_000), (2, 250_000));
    let ssrcs = [0x1234_5678u32];
    let r = Remb {
        sender_ssrc: 1,
        media_ssrc: 0,
        exponent: 2,
        mantissa: 250_000,
        ssrcs: (&ssrcs).into(),
    };
    assert_eq!(r.bitrate(), 1_000_000);
    let mut out = [0u8; 24];
    r.write(&mut out).unwrap();
    assert_eq!(&out[..4], &[0x8f, 206, 0, 5]);
    assert_eq!(&out[12..24], b"REMB\x01\x0b\xd0\x90\x12\x34\x56\x78");
    let max = Remb {
        exponent: 63,
        mantissa: 0x3_ffff,
        ..r
    };
    assert_eq!(max.bitrate(), u64::MAX);
}

#[test]
fn compound_framing_errors() {
    assert!(matches!(Compound::parse(&[]), Err(Error::TooShort { .. })));
    // A length of 2 words with 1 present.
    assert!(matches!(
        Compound::parse(&[0x80, 201, 0, 2, 0, 0, 0, 1]),
        Err(Error::TooShort {
            what: "RTCP packet",
            need: 12,
            have: 8
        })
    ));
    // A second packet of version 0.
    assert!(matches!(
        Compound::parse(&[0x80, 201, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0]),
        Err(Error::BadVersion { version: 0, .. })
    ));
    // Padding that eats the header.
    assert!(matches!(
        Compound::parse(&[0xa0, 201, 0, 1, 0, 0, 0, 5]),
        Err(Error::BadPadding {
            count: 5,
            available: 4,
            ..
        })
    ));
    // An RR and a PLI asked for as each other.
    let rr = [0x80, 201, 0, 1, 0, 0, 0, 1];
    let (p, _) = RtcpPacket::parse_first(&rr).unwrap();
    assert_eq!(
        crate::rtcp::Pli::parse(&p),
        Err(Error::WrongType {
            what: "RTCP PLI",
            packet_type: 201,
            format: 0
        })
    );
    // An RR whose count says one block, none present.
    let rr = [0x81, 201, 0, 1, 0, 0, 0, 1];
    let (p, _) = RtcpPacket::parse_first(&rr).unwrap();
    assert!(matches!(
        Packet::parse(&p),
        Err(Error::TooShort {
            what: "RTCP RR",
            ..
        })
    ));
    assert!(!Compound::parse(&rr).unwrap().is_reduced_size());
}
