//! Media of a call: every RTP packet aiortc sends is counted under the mid its SSRC was
//! negotiated in ([`Peer::mid_of_ssrc`]) and sent back on our track of the same section
//! (our `send_ssrc` from [`Peer::negotiated_media`], the payload type as received, which
//! must be one negotiated there), so aiortc's receivers decode its own audio and video
//! coming back. Its keyframe requests for our streams become ours for its streams.

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
