//! What we can receive and send (RFC 9429 s5.2.1, s5.3.1): codecs per kind of media, RTP
//! header extensions, feedback, and data channels.

use std::fmt;

use super::codec::Codec;

/// The kind of a media section (RFC 8866 s5.14) that JSEP negotiates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// `m=audio`, RTP.
    Audio,
    /// `m=video`, RTP.
    Video,
    /// `m=application` with SCTP data channels (RFC 8841).
    Application,
}

impl MediaKind {
    /// The kind an `m=` line names, `None` for any other (`text`, `message`, ...).
    #[must_use]
    pub fn from_name(name: &str) -> Option<MediaKind> {
        match name {
            "audio" => Some(MediaKind::Audio),
            "video" => Some(MediaKind::Video),
            "application" => Some(MediaKind::Application),
            _ => None,
        }
    }

    /// `audio`, `video` or `application`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Audio => "audio",
            MediaKind::Video => "video",
            MediaKind::Application => "application",
        }
    }
}

impl fmt::Display for MediaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An RTP header extension we support (RFC 8285), and for which kinds of media.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    /// The extension's URI.
    pub uri: String,
    /// Used in audio sections.
    pub audio: bool,
    /// Used in video sections.
    pub video: bool,
}

impl Extension {
    /// An extension for the kinds given.
    #[must_use]
    pub fn new(uri: &str, audio: bool, video: bool) -> Extension {
        Extension {
            uri: uri.to_owned(),
            audio,
            video,
        }
    }

    /// Whether the extension is used in sections of `kind`.
    #[must_use]
    pub fn applies_to(&self, kind: MediaKind) -> bool {
        match kind {
            MediaKind::Audio => self.audio,
            MediaKind::Video => self.video,
            MediaKind::Application => false,
        }
    }
}

/// Header extension URIs (RFC 8285 s8; RFC 9429 s5.1.1 lists what WebRTC uses).
pub mod uri {
    /// `sdes:mid` (RFC 9143 s15.1).
    pub const MID: &str = "urn:ietf:params:rtp-hdrext:sdes:mid";
    /// `sdes:rtp-stream-id`, the rid (RFC 8852 s3.1).
    pub const RID: &str = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
    /// `sdes:repaired-rtp-stream-id` (RFC 8852 s3.2).
    pub const REPAIRED_RID: &str = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";
    /// abs-send-time (Google's, for REMB).
    pub const ABS_SEND_TIME: &str = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
    /// transport-wide sequence numbers (draft-holmer-rmcat-transport-wide-cc-extensions-01).
    pub const TRANSPORT_WIDE_CC: &str =
        "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
    /// Audio level (RFC 6464).
    pub const AUDIO_LEVEL: &str = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
    /// Video orientation (3GPP TS 26.114).
    pub const VIDEO_ORIENTATION: &str = "urn:3gpp:video-orientation";
    /// Playout delay (Google's).
    pub const PLAYOUT_DELAY: &str = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay";
}

/// Data channels over SCTP over DTLS (RFC 8841, RFC 8831).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataChannels {
    /// Our SCTP port, `a=sctp-port` (RFC 8841 s5.1); 5000 by convention.
    pub sctp_port: u16,
    /// The largest message we take, `a=max-message-size` (RFC 8841 s6.1).
    pub max_message_size: u64,
}

impl Default for DataChannels {
    fn default() -> Self {
        DataChannels {
            sctp_port: 5000,
            max_message_size: 262_144,
        }
    }
}

/// What we support: what an offer states in full and what an answer intersects with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// Audio codecs in our order of preference, with our payload types.
    pub audio: Vec<Codec>,
    /// Video codecs (with RTX, bound by `apt`) in our order of preference.
    pub video: Vec<Codec>,
    /// Header extensions; an offer numbers them 1, 2, ... in this order.
    pub extensions: Vec<Extension>,
    /// Data channels, `None` to refuse them.
    pub data: Option<DataChannels>,
    /// Whether we take reduced-size RTCP (RFC 5506); echoed when offered.
    pub rtcp_rsize: bool,
    /// Whether we receive simulcast (RFC 8853): an offer to send it is answered.
    pub simulcast: bool,
}

const VIDEO_FEEDBACK: [(&str, Option<&str>); 5] = [
    ("goog-remb", None),
    ("transport-cc", None),
    ("ccm", Some("fir")),
    ("nack", None),
    ("nack", Some("pli")),
];

fn video(pt: u8, name: &str, params: &[(&str, &str)]) -> Codec {
    let mut c = Codec::new(pt, name, 90000, None);
    for (k, v) in params {
        c = c.with_param(k, v);
    }
    for (k, p) in VIDEO_FEEDBACK {
        c = c.with_feedback(k, p);
    }
    c
}

fn rtx(pt: u8, apt: u8) -> Codec {
    Codec::new(pt, "rtx", 90000, None).with_param("apt", &apt.to_string())
}

fn h264(pt: u8, profile_level_id: &str, mode: &str) -> Codec {
    video(
        pt,
        "H264",
        &[
            ("level-asymmetry-allowed", "1"),
            ("packetization-mode", mode),
            ("profile-level-id", profile_level_id),
        ],
    )
}

impl Capabilities {
    /// Our codecs for `kind` (none for data).
    #[must_use]
    pub fn codecs(&self, kind: MediaKind) -> &[Codec] {
        match kind {
            MediaKind::Audio => &self.audio,
            MediaKind::Video => &self.video,
            MediaKind::Application => &[],
        }
    }

    /// The default without H.264 High (Constrained Baseline and Baseline stay).
    #[must_use]
    pub fn without_h264_high(mut self) -> Capabilities {
        self.video.retain(|c| {
            c.param("profile-level-id")
                .is_none_or(|p| !p.to_ascii_lowercase().starts_with("64"))
        });
        let kept: Vec<u8> = self.video.iter().map(|c| c.payload_type).collect();
        self.video
            .retain(|c| c.apt().is_none_or(|apt| kept.contains(&apt)));
        self
    }
}

impl Default for Capabilities {
    /// What `wren-probe sdp answer` uses: Opus, PCMU, PCMA, telephone-event; VP8, VP9
    /// profiles 0 and 2, H.264 Constrained Baseline, Baseline and High (level 3.1) in
    /// packetization modes 1 and 0, AV1, each with RTX and `nack`, `nack pli`, `ccm fir`, `goog-remb`,
    /// `transport-cc`; the header extensions of [`uri`]; data channels.
    fn default() -> Self {
        let audio = vec![
            Codec::new(111, "opus", 48000, Some(2))
                .with_param("minptime", "10")
                .with_param("useinbandfec", "1")
                .with_feedback("transport-cc", None),
            Codec::new(0, "PCMU", 8000, None),
            Codec::new(8, "PCMA", 8000, None),
            Codec::new(110, "telephone-event", 48000, None),
            Codec::new(126, "telephone-event", 8000, None),
        ];
        let video = vec![
            video(96, "VP8", &[]),
            rtx(97, 96),
            video(98, "VP9", &[("profile-id", "0")]),
            rtx(99, 98),
            video(100, "VP9", &[("profile-id", "2")]),
            rtx(101, 100),
            h264(102, "42e01f", "1"),
            rtx(103, 102),
            h264(104, "42e01f", "0"),
            rtx(105, 104),
            // Baseline 3.1, which libwebrtc also supports (its decoders take any Baseline
            // stream a WebRTC sender makes, and Chromium offers 42001f before 42e01f);
            // clients that offer only 42001f would find no common H.264 otherwise.
            h264(112, "42001f", "1"),
            rtx(113, 112),
            h264(114, "42001f", "0"),
            rtx(115, 114),
            h264(106, "64001f", "1"),
            rtx(107, 106),
            h264(108, "64001f", "0"),
            rtx(109, 108),
            video(
                45,
                "AV1",
                &[("level-idx", "5"), ("profile", "0"), ("tier", "0")],
            ),
            rtx(46, 45),
        ];
        let extensions = vec![
            Extension::new(uri::AUDIO_LEVEL, true, false),
            Extension::new(uri::ABS_SEND_TIME, true, true),
            Extension::new(uri::TRANSPORT_WIDE_CC, true, true),
            Extension::new(uri::MID, true, true),
            Extension::new(uri::RID, false, true),
            Extension::new(uri::REPAIRED_RID, false, true),
            Extension::new(uri::VIDEO_ORIENTATION, false, true),
            Extension::new(uri::PLAYOUT_DELAY, false, true),
        ];
        Capabilities {
            audio,
            video,
            extensions,
            data: Some(DataChannels::default()),
            rtcp_rsize: true,
            simulcast: true,
        }
    }
}
