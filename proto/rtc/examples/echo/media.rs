//! The media loop of an [`super::peer::EchoPeer`]: a received RTP packet goes back on the
//! section (mid) it came on, as our stream of that section.
//!
//! The peer's JSEP binding says which section each of the browser's sources was announced
//! in (`a=ssrc`, [`wren_rtc::NegotiatedMedia::remote_ssrcs`]) and which SSRC we send with in
//! that section ([`wren_rtc::NegotiatedMedia::send_ssrc`]). A looped packet keeps its
//! payload type (both sides use the negotiated one), sequence number, timestamp and header
//! extensions; only its SSRC changes (RFC 3550 section 5.1), and the peer then stamps the
//! transport-wide sequence number and keeps the packet for retransmission. Retransmissions
//! of the browser's (RFC 4588) reach us already unwrapped into their originals and are
//! looped like them; packets of an RTX source not unwrapped are not looped: the peer
//! answers the browser's NACKs for our streams from its own history.

use wren_rtc::Peer;

/// The SSRC of a plain RTP packet (RFC 3550 section 5.1: bytes 8-11).
fn ssrc(packet: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(packet.get(8..12)?.try_into().ok()?))
}

/// Rewrites `packet` (plain RTP, as received) into ours on the same mid; `false` when
/// it does not go back (no section sends where it came from, or not one of the
/// browser's media sources).
pub fn loop_back(peer: &Peer, packet: &mut [u8]) -> bool {
    let Some(source) = ssrc(packet) else {
        return false;
    };
    let ours = peer
        .negotiated_media()
        .iter()
        .find(|n| n.remote_ssrcs.contains(&source))
        .and_then(|n| n.send_ssrc);
    match (ours, packet.get_mut(8..12)) {
        (Some(ours), Some(field)) => {
            field.copy_from_slice(&ours.to_be_bytes());
            true
        }
        _ => false,
    }
}

/// The browser's source looped back as our stream `ssrc` (whose keyframe was asked
/// for): the first source of the section we send `ssrc` in.
pub fn source_of(peer: &Peer, ssrc: u32) -> Option<u32> {
    peer.negotiated_media()
        .iter()
        .find(|n| n.send_ssrc == Some(ssrc))
        .and_then(|n| n.remote_ssrcs.first().copied())
}
