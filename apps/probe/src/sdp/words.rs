//! Plain words for the values a description carries: directions (RFC 8866 s6.7), DTLS
//! roles (RFC 4145 s4, RFC 8842 s5), RTCP feedback (RFC 4585 s4.2, RFC 5104 s7) and RTP
//! header extensions (RFC 8285, with the URIs WebRTC uses).

use wren_sdp::Direction;
use wren_sdp::attribute::Setup;

/// What a section's direction says its writer does.
#[must_use]
pub fn direction(d: Direction) -> &'static str {
    match d {
        Direction::SendRecv => "sends and receives",
        Direction::SendOnly => "sends only",
        Direction::RecvOnly => "receives only",
        Direction::Inactive => "neither sends nor receives",
    }
}

/// What `a=setup` says of the writer's DTLS role (RFC 4145 s4, RFC 8842 s5).
#[must_use]
pub fn setup(s: Setup) -> &'static str {
    match s {
        Setup::ActPass => "either role, the answerer chooses",
        Setup::Active => "starts the DTLS handshake (DTLS client)",
        Setup::Passive => "waits for the DTLS handshake (DTLS server)",
        Setup::HoldConn => "no DTLS connection for now",
    }
}

/// What an `a=rtcp-fb` value asks for, `None` for one this table does not know.
#[must_use]
pub fn feedback(kind: &str, param: Option<&str>) -> Option<&'static str> {
    Some(match (kind, param) {
        ("nack", None) => "retransmission requests",
        ("nack", Some("pli")) => "picture loss indication",
        ("nack", Some("sli")) => "slice loss indication",
        ("nack", Some("rpsi")) => "reference picture selection",
        ("ccm", Some("fir")) => "full intra request",
        ("ccm", Some("tmmbr")) => "temporary maximum bitrate requests",
        ("goog-remb", None) => "receiver bitrate estimates",
        ("transport-cc", None) => "transport-wide congestion control",
        ("goog-lntf", None) => "loss notifications",
        ("ack", Some("rpsi")) => "reference picture acknowledgements",
        _ => return None,
    })
}

/// The short name and meaning of a header extension URI, `None` for one this table does
/// not know.
#[must_use]
pub fn extension(uri: &str) -> Option<&'static str> {
    const NAMES: [(&str, &str); 18] = [
        (
            "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
            "audio level of each packet (RFC 6464)",
        ),
        (
            "urn:ietf:params:rtp-hdrext:csrc-audio-level",
            "audio levels of mixed sources (RFC 6465)",
        ),
        (
            "urn:ietf:params:rtp-hdrext:toffset",
            "transmission time offset (RFC 5450)",
        ),
        (
            "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
            "absolute send time (for REMB)",
        ),
        (
            "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
            "transport-wide sequence number (for transport-cc)",
        ),
        (
            "http://www.webrtc.org/experiments/rtp-hdrext/transport-wide-cc-02",
            "transport-wide sequence number, version 2",
        ),
        (
            "urn:ietf:params:rtp-hdrext:sdes:mid",
            "mid: which section a packet belongs to (RFC 9143)",
        ),
        (
            "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
            "rid: which simulcast layer (RFC 8852)",
        ),
        (
            "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
            "repaired rid: the layer a retransmission repairs (RFC 8852)",
        ),
        (
            "urn:3gpp:video-orientation",
            "video orientation (3GPP TS 26.114)",
        ),
        (
            "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
            "playout delay limits",
        ),
        (
            "http://www.webrtc.org/experiments/rtp-hdrext/video-content-type",
            "video content type (screen share or camera)",
        ),
        (
            "http://www.webrtc.org/experiments/rtp-hdrext/video-timing",
            "video timing of each frame",
        ),
        (
            "http://www.webrtc.org/experiments/rtp-hdrext/color-space",
            "color space",
        ),
        (
            "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time",
            "absolute capture time",
        ),
        (
            "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension",
            "dependency descriptor (AV1 and SVC layers)",
        ),
        (
            "http://www.webrtc.org/experiments/rtp-hdrext/video-layers-allocation00",
            "video layers allocation",
        ),
        (
            "http://www.webrtc.org/experiments/rtp-hdrext/inband-cn",
            "in-band comfort noise",
        ),
    ];
    NAMES
        .iter()
        .find(|(u, _)| u.eq_ignore_ascii_case(uri))
        .map(|(_, name)| *name)
}
