//! Entry points for the fuzz targets in `fuzz/` (not a public API).

use crate::rtcp::{Compound, CompoundWriter, Packet, RtcpPacket, RtcpWrite};
use crate::rtp::{ExtensionForm, RtpHeader, RtpPacket, RtpPacketMut, RtpWriter};

/// Parses `data` as RTP, reads every field and extension, writes the packet back from
/// its values and checks that the bytes read back to the same values; rewrites the
/// header in place. Must never panic.
pub fn rtp_parse(data: &[u8]) {
    let Ok(p) = RtpPacket::parse(data) else {
        return;
    };
    let csrcs: Vec<u32> = p.csrcs().collect();
    let header = RtpHeader {
        marker: p.marker(),
        payload_type: p.payload_type(),
        sequence_number: p.sequence_number(),
        timestamp: p.timestamp(),
        ssrc: p.ssrc(),
        csrcs: &csrcs,
    };
    let mut out = vec![0u8; data.len() + 1024];
    let mut w = RtpWriter::new(&mut out, &header).expect("a parsed header fits");
    let elements: Vec<_> = p.extensions().collect();
    if let Some(form) = p.extension_form() {
        w.extensions(form).expect("room");
        for e in &elements {
            // Elements the writer's form refuses (e.g. a one-byte id 15) end the copy.
            if !form.fits(e.id, e.data.len()) {
                break;
            }
            w.extension(e.id, e.data).expect("room");
        }
    }
    let padding = u8::try_from(p.padding_len()).unwrap_or(0);
    let n = w.finish(p.payload(), padding).expect("room");
    let q = RtpPacket::parse(&out[..n]).expect("our own packet parses");
    assert_eq!(q.ssrc(), p.ssrc());
    assert_eq!(q.sequence_number(), p.sequence_number());
    assert_eq!(q.payload(), p.payload());
    assert!(q.csrcs().eq(p.csrcs()));
    if matches!(p.extension_form(), Some(ExtensionForm::TwoByte { .. })) {
        assert!(q.extensions().eq(elements.iter().copied()));
    }
    let mut copy = data.to_vec();
    let mut m = RtpPacketMut::parse(&mut copy).expect("parsed once");
    m.set_ssrc(!p.ssrc());
    m.set_sequence_number(p.sequence_number().wrapping_add(1));
    if let Some(e) = elements.first()
        && let Some(slot) = m.extension_mut(e.id)
    {
        slot.fill(0x5a);
    }
    assert_eq!(m.as_packet().ssrc(), !p.ssrc());
}

/// Parses `data` as a compound RTCP packet, types every packet, writes them back into a
/// compound and parses that again. Must never panic.
pub fn rtcp_parse(data: &[u8]) {
    let Ok(c) = Compound::parse(data) else {
        return;
    };
    let mut out = vec![0u8; data.len() * 2 + 64];
    let mut w = CompoundWriter::new(&mut out);
    for p in c.iter() {
        let Ok(typed) = Packet::parse(&p) else {
            continue;
        };
        walk(&typed);
        let before = w.len();
        if w.push(&typed).is_ok() {
            let (again, _) = RtcpPacket::parse_first(&out_slice(&w)[before..]).expect("ours");
            let again = Packet::parse(&again).expect("our own packet types");
            assert_eq!(again, typed, "write then parse changed the packet");
        }
    }
}

fn out_slice<'a>(w: &'a CompoundWriter<'_>) -> &'a [u8] {
    w.written()
}

/// Reads every field of a packet.
fn walk(p: &Packet<'_>) {
    let _ = p.encoded_len();
    match p {
        Packet::Nack(n) => {
            let _ = n.lost().count();
        }
        Packet::Sdes(s) => {
            for c in s.chunks.iter() {
                let _ = c.items.iter().count();
            }
        }
        Packet::TransportFeedback(t) => {
            let _ = t.packets.iter().count();
        }
        Packet::Xr(x) => {
            let _ = x.blocks.iter().count();
        }
        _ => {}
    }
}
