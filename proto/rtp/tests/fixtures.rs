//! Packets a real browser sent: RTP and RTCP from headless Chromium, decrypted by aiortc
//! (`fixtures/capture.py` says how; `fixtures/chromium-*.sdp` holds each session's offer
//! and answer). Every packet parses, every field and extension is read, and every packet
//! written back from the parsed values gives the same bytes.

use std::collections::BTreeMap;
use std::path::Path;

use wren_rtp::rtcp::{Compound, CompoundWriter, Packet, RtcpWrite};
use wren_rtp::rtp::extensions::{
    AbsSendTime, AudioLevel, Extension, ExtensionKind, Mid, PlayoutDelay, TransportCc,
    VideoOrientation,
};
use wren_rtp::rtp::{ExtensionMap, RtpHeader, RtpPacket, RtpPacketMut, RtpWriter};
use wren_rtp::rtx::{self, Stream};

struct Fixture {
    rtp: Vec<Vec<u8>>,
    rtcp: Vec<Vec<u8>>,
    map: ExtensionMap,
    /// RTX payload type -> (original payload type), from the SDP's `apt`.
    apt: BTreeMap<u8, u8>,
}

fn load(name: &str) -> Fixture {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let bin = std::fs::read(dir.join(format!("{name}.bin"))).expect("the fixture is checked in");
    let sdp = std::fs::read_to_string(dir.join(format!("{name}.sdp"))).expect("its SDP");
    let (mut rtp, mut rtcp) = (Vec::new(), Vec::new());
    let mut at = 0;
    while at < bin.len() {
        let kind = bin[at];
        let len = usize::from(u16::from_be_bytes([bin[at + 1], bin[at + 2]]));
        let packet = bin[at + 3..at + 3 + len].to_vec();
        at += 3 + len;
        match kind {
            b'P' => rtp.push(packet),
            b'C' => rtcp.push(packet),
            other => panic!("record kind {other}"),
        }
    }
    // The answer (aiortc's) is what both sides use: the second half of the file.
    let answer = &sdp[sdp.rfind("v=0").expect("two SDPs")..];
    let mut map = ExtensionMap::new();
    let mut apt = BTreeMap::new();
    for line in answer.lines() {
        if let Some(rest) = line.strip_prefix("a=extmap:") {
            let (id, uri) = rest.split_once(' ').expect("id and URI");
            map.insert_uri(id.parse().expect("an id"), uri.trim())
                .expect("a valid id");
        }
        if let Some(rest) = line.strip_prefix("a=fmtp:")
            && let Some((pt, params)) = rest.split_once(' ')
            && let Some(a) = params.strip_prefix("apt=")
        {
            apt.insert(pt.parse().expect("a PT"), a.trim().parse().expect("a PT"));
        }
    }
    Fixture {
        rtp,
        rtcp,
        map,
        apt,
    }
}

/// Writes `p` again from its parsed values alone.
fn rewrite_rtp(p: &RtpPacket<'_>, out: &mut [u8]) -> usize {
    let csrcs: Vec<u32> = p.csrcs().collect();
    let header = RtpHeader {
        marker: p.marker(),
        payload_type: p.payload_type(),
        sequence_number: p.sequence_number(),
        timestamp: p.timestamp(),
        ssrc: p.ssrc(),
        csrcs: &csrcs,
    };
    let mut w = RtpWriter::new(out, &header).unwrap();
    if let Some(form) = p.extension_form() {
        w.extensions(form).unwrap();
        for e in p.extensions() {
            w.extension(e.id, e.data).unwrap();
        }
    }
    w.finish(p.payload(), p.padding_len() as u8).unwrap()
}

/// Parses the typed extension `E` where the map has it and writes it back.
fn typed<'a, E: Extension<'a> + std::fmt::Debug>(
    p: &RtpPacket<'a>,
    map: &ExtensionMap,
    seen: &mut BTreeMap<&'static str, usize>,
    name: &'static str,
) {
    let Some(id) = map.id(E::KIND) else { return };
    let Some(data) = p.extension(id) else { return };
    let value = E::parse(data).unwrap_or_else(|e| panic!("{name} {data:02x?}: {e}"));
    let mut out = [0u8; 32];
    let n = value.write(&mut out).unwrap();
    assert_eq!(&out[..n], data, "{name} {value:?} writes back the same");
    *seen.entry(name).or_default() += 1;
}

fn check_rtp(f: &Fixture) -> BTreeMap<&'static str, usize> {
    let mut seen = BTreeMap::new();
    let mut out = vec![0u8; 2000];
    for bytes in &f.rtp {
        let p = RtpPacket::parse(bytes).unwrap();
        let n = rewrite_rtp(&p, &mut out);
        assert_eq!(
            &out[..n],
            &bytes[..],
            "RTP {} written back",
            p.sequence_number()
        );

        typed::<Mid<'_>>(&p, &f.map, &mut seen, "mid");
        typed::<AbsSendTime>(&p, &f.map, &mut seen, "abs-send-time");
        typed::<TransportCc>(&p, &f.map, &mut seen, "transport-cc");
        typed::<AudioLevel>(&p, &f.map, &mut seen, "audio-level");
        typed::<VideoOrientation>(&p, &f.map, &mut seen, "video-orientation");
        typed::<PlayoutDelay>(&p, &f.map, &mut seen, "playout-delay");
        if p.has_padding() {
            *seen.entry("padding").or_default() += 1;
        }

        // A forwarder's rewrite and its undoing.
        let mut copy = bytes.clone();
        let mut m = RtpPacketMut::parse(&mut copy).unwrap();
        m.set_ssrc(0x0bad_cafe);
        m.set_sequence_number(p.sequence_number().wrapping_add(1000));
        m.set_timestamp(p.timestamp().wrapping_add(90_000));
        m.set_payload_type(p.payload_type() ^ 1);
        if let Some(id) = f.map.id(ExtensionKind::TransportCc) {
            m.set_extension(id, &[0xff, 0xfe]).unwrap();
        }
        let q = m.as_packet();
        assert_eq!((q.ssrc(), q.payload()), (0x0bad_cafe, p.payload()));
        let mut m = RtpPacketMut::parse(&mut copy).unwrap();
        m.set_ssrc(p.ssrc());
        m.set_sequence_number(p.sequence_number());
        m.set_timestamp(p.timestamp());
        m.set_payload_type(p.payload_type());
        if let Some(id) = f.map.id(ExtensionKind::TransportCc) {
            m.set_extension(id, p.extension(id).unwrap()).unwrap();
        }
        assert_eq!(&copy, bytes);

        // RTX: unwrap what carries an original packet and wrap it back.
        if let Some(&original_pt) = f.apt.get(&p.payload_type())
            && let Some(osn) = rtx::original_sequence_number(&p)
        {
            let mut original = vec![0u8; 2000];
            let stream = Stream {
                ssrc: 1,
                payload_type: original_pt,
            };
            let n = rtx::unwrap(&p, stream, &mut original).unwrap();
            let o = RtpPacket::parse(&original[..n]).unwrap();
            assert_eq!(o.sequence_number(), osn);
            let mut again = vec![0u8; 2000];
            let rtx_stream = Stream {
                ssrc: p.ssrc(),
                payload_type: p.payload_type(),
            };
            let n = rtx::wrap(&o, rtx_stream, p.sequence_number(), &mut again).unwrap();
            assert_eq!(
                &again[..n],
                &bytes[..],
                "RTX {} wrapped back",
                p.sequence_number()
            );
            *seen.entry("rtx").or_default() += 1;
        }
    }
    seen
}

fn check_rtcp(f: &Fixture) -> BTreeMap<&'static str, usize> {
    let mut seen = BTreeMap::new();
    let mut out = vec![0u8; 2000];
    for bytes in &f.rtcp {
        let compound = Compound::parse(bytes).unwrap();
        let mut w = CompoundWriter::new(&mut out);
        for p in compound.iter() {
            let typed = Packet::parse(&p).unwrap();
            let name = match &typed {
                Packet::SenderReport(_) => "SR",
                Packet::ReceiverReport(_) => "RR",
                Packet::Sdes(_) => "SDES",
                Packet::Bye(_) => "BYE",
                Packet::Nack(n) => {
                    assert!(n.lost().count() >= n.pairs.len());
                    "NACK"
                }
                Packet::TransportFeedback(t) => {
                    assert_eq!(t.packets.iter().count(), t.packets.len());
                    if p.has_padding() {
                        *seen.entry("TWCC padded").or_default() += 1;
                    }
                    "TWCC"
                }
                Packet::Pli(_) => "PLI",
                Packet::Fir(_) => "FIR",
                Packet::Remb(r) => {
                    assert!(r.bitrate() > 0);
                    "REMB"
                }
                Packet::Xr(_) => "XR",
                Packet::App(_) => "APP",
                _ => panic!("an RTCP packet this crate does not type: {p:?}"),
            };
            *seen.entry(name).or_default() += 1;
            let start = w.len();
            w.push(&typed).unwrap();
            assert_eq!(
                &w.written()[start..],
                p.as_bytes(),
                "{name} written back from {typed:?}"
            );
            assert_eq!(typed.encoded_len(), p.as_bytes().len());
        }
        assert_eq!(w.written(), &bytes[..]);
    }
    seen
}

#[test]
fn chromium_twcc_session_parses_and_writes_back_identically() {
    let f = load("chromium-twcc");
    let rtp = check_rtp(&f);
    let rtcp = check_rtcp(&f);
    println!(
        "RTP {}: {rtp:?}\nRTCP {}: {rtcp:?}",
        f.rtp.len(),
        f.rtcp.len()
    );
    for kind in [
        "mid",
        "abs-send-time",
        "transport-cc",
        "audio-level",
        "padding",
        "rtx",
    ] {
        assert!(rtp.contains_key(kind), "the capture has {kind}: {rtp:?}");
    }
    for kind in ["SR", "RR", "SDES", "NACK", "TWCC", "TWCC padded"] {
        assert!(rtcp.contains_key(kind), "the capture has {kind}: {rtcp:?}");
    }
}

#[test]
fn chromium_remb_session_parses_and_writes_back_identically() {
    let f = load("chromium-remb");
    let rtp = check_rtp(&f);
    let rtcp = check_rtcp(&f);
    println!(
        "RTP {}: {rtp:?}\nRTCP {}: {rtcp:?}",
        f.rtp.len(),
        f.rtcp.len()
    );
    for kind in ["mid", "abs-send-time", "audio-level", "padding"] {
        assert!(rtp.contains_key(kind), "the capture has {kind}: {rtp:?}");
    }
    for kind in ["SR", "RR", "SDES", "NACK", "REMB"] {
        assert!(rtcp.contains_key(kind), "the capture has {kind}: {rtcp:?}");
    }
}
