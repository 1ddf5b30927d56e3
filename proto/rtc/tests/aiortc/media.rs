//! Media of a call: every RTP packet aiortc sends is counted under the mid its SSRC was
//! negotiated in ([`Peer::mid_of_ssrc`]) and sent back on our track of the same section
//! (our `send_ssrc` from [`Peer::negotiated_media`], the payload type as received, which
//! must be one negotiated there), so aiortc's receivers decode its own audio and video
//! coming back. Its keyframe requests for our streams become ours for its streams, and
//! the VP8 keyframes it sends are counted.

use std::collections::{BTreeMap, BTreeSet};

use wren_rtc::{KeyframeKind, NegotiatedMedia, Peer};

/// What the echo saw and did.
#[derive(Debug, Default)]
pub(crate) struct Echo {
    /// RTP packets received, by mid.
    pub(crate) received: BTreeMap<String, u64>,
    /// RTP packets sent back, by mid.
    pub(crate) sent: BTreeMap<String, u64>,
    /// The codecs (`name/payload type`) of the packets sent back, by mid.
    pub(crate) codecs: BTreeMap<String, BTreeSet<String>>,
    /// Packets whose SSRC no negotiated section has.
    pub(crate) unknown_ssrc: u64,
    /// Packets whose payload type was not negotiated in their section.
    pub(crate) foreign_payload_type: u64,
    /// Packets of a section where we do not send.
    pub(crate) no_track: u64,
    /// aiortc's keyframe requests (PLI, FIR) for our streams, passed on to its streams.
    pub(crate) keyframe_requests: u64,
    /// VP8 keyframes aiortc sent (their first packets).
    pub(crate) vp8_keyframes: u64,
}

/// The payload of an RTP packet (RFC 3550 section 5.1: after the CSRCs and the header
/// extension; padding left on).
fn payload(packet: &[u8]) -> Option<&[u8]> {
    let csrcs = usize::from(packet.first()? & 0x0f);
    let mut at = 12 + 4 * csrcs;
    if packet[0] & 0x10 != 0 {
        let words = u16::from_be_bytes(packet.get(at + 2..at + 4)?.try_into().ok()?);
        at += 4 + 4 * usize::from(words);
    }
    packet.get(at..)
}

/// Whether a VP8 packet starts a keyframe: the VP8 payload descriptor (RFC 7741 section
/// 4.2) says the start of partition 0, and the payload header's P bit is 0 (section 4.3).
fn vp8_keyframe_start(payload: &[u8]) -> bool {
    let Some(&first) = payload.first() else {
        return false;
    };
    let start = first & 0x10 != 0 && first & 0x07 == 0;
    let mut at = 1;
    if first & 0x80 != 0 {
        let Some(&x) = payload.get(1) else {
            return false;
        };
        at = 2;
        if x & 0x80 != 0 {
            // PictureID: 15 bits when its M bit is set, else 7.
            let long = payload.get(at).is_some_and(|b| b & 0x80 != 0);
            at += if long { 2 } else { 1 };
        }
        if x & 0x40 != 0 {
            at += 1; // TL0PICIDX
        }
        if x & 0x30 != 0 {
            at += 1; // TID, Y, KEYIDX
        }
    }
    start && payload.get(at).is_some_and(|h| h & 0x01 == 0)
}

/// A packet's SSRC (RFC 3550 section 5.1), if it has the fixed header.
fn ssrc(packet: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(packet.get(8..12)?.try_into().ok()?))
}

impl Echo {
    /// Counts a received packet and rewrites it in place as ours: `true` to send it.
    pub(crate) fn rewrite(&mut self, peer: &Peer, packet: &mut [u8]) -> bool {
        let Some(mid) = ssrc(packet).and_then(|s| peer.mid_of_ssrc(s)) else {
            self.unknown_ssrc += 1;
            return false;
        };
        *self.received.entry(mid.to_owned()).or_default() += 1;
        let Some(section) = peer.negotiated_media().iter().find(|n| n.mid == mid) else {
            self.unknown_ssrc += 1;
            return false;
        };
        let pt = packet[1] & 0x7f;
        let Some(codec) = section.codecs.iter().find(|c| c.payload_type == pt) else {
            self.foreign_payload_type += 1;
            return false;
        };
        if codec.name.eq_ignore_ascii_case("VP8") && payload(packet).is_some_and(vp8_keyframe_start)
        {
            self.vp8_keyframes += 1;
        }
        let Some(ours) = section.send_ssrc else {
            self.no_track += 1;
            return false;
        };
        packet[8..12].copy_from_slice(&ours.to_be_bytes());
        *self.sent.entry(section.mid.clone()).or_default() += 1;
        self.codecs
            .entry(section.mid.clone())
            .or_default()
            .insert(format!("{}/{pt}", codec.name));
        true
    }

    /// aiortc asked for a keyframe of our stream `ssrc`: we ask for one of its stream in
    /// the same section, which is what we send.
    pub(crate) fn keyframe_requested(&mut self, peer: &mut Peer, ssrc: u32) {
        self.keyframe_requests += 1;
        let theirs = peer
            .negotiated_media()
            .iter()
            .find(|n| n.send_ssrc == Some(ssrc))
            .and_then(|n: &NegotiatedMedia| n.remote_ssrcs.first().copied());
        if let Some(theirs) = theirs {
            peer.request_keyframe(theirs, KeyframeKind::Pli)
                .unwrap_or_else(|e| panic!("request a keyframe of {theirs}: {e}"));
        }
    }
}
