//! What a section's codecs are, with their `a=fmtp` parameters and `a=rtcp-fb` values in
//! words where known: H.264 `profile-level-id` and `packetization-mode` (RFC 6184 s8.1),
//! VP9 `profile-id` (RFC 9628 s6), AV1 `profile`, `level-idx`, `tier` (AV1 RTP payload
//! format s7.1), VP8 and VP9 `max-fs` and `max-fr` (RFC 7741 s6.1), Opus options
//! (RFC 7587 s6.1), RTX `apt` and `rtx-time` (RFC 4588 s8.1),
//! audio RED (RFC 2198) and DTMF events (RFC 4733).

use std::fmt;

use wren_sdp::Media;
use wren_sdp::jsep::codec_lines::codecs_of;
use wren_sdp::jsep::h264::{Profile, ProfileLevelId};
use wren_sdp::jsep::{Codec, CodecKind};

use super::words;

/// One codec of a section: its payload type, `a=rtpmap` fields, parameters and feedback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecFacts {
    /// The RTP payload type.
    pub payload_type: u8,
    /// The encoding name as written.
    pub name: String,
    /// The clock rate in Hz.
    pub clock_rate: u32,
    /// Audio channels, if written.
    pub channels: Option<u16>,
    /// The name with the parameters that decide a match (`H264/90000 (profile-level-id=42e01f,
    /// packetization-mode=1)`), as wren-sdp's negotiation names it.
    pub label: String,
    /// What kind of format it is, for formats that serve other codecs (RTX, RED, FEC) or
    /// are not media (comfort noise, DTMF).
    pub role: Option<&'static str>,
    /// The `a=fmtp` parameters in order, each with its meaning when known.
    pub params: Vec<Param>,
    /// The `a=rtcp-fb` values (those for `*` too).
    pub feedback: Vec<FeedbackFacts>,
}

impl CodecFacts {
    /// `name/clock rate[/channels]`, as `a=rtpmap` writes it.
    #[must_use]
    pub fn rtpmap(&self) -> String {
        match self.channels {
            Some(c) => format!("{}/{}/{c}", self.name, self.clock_rate),
            None => format!("{}/{}", self.name, self.clock_rate),
        }
    }
}

/// One `a=fmtp` parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// The name before `=`, empty for a bare value (audio RED's `111/111`).
    pub key: String,
    /// The value.
    pub value: String,
    /// What it means, when known.
    pub meaning: Option<Meaning>,
}

/// What a parameter means.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Meaning {
    /// H.264 `profile-level-id` (RFC 6184 s8.1).
    H264ProfileLevel {
        /// The profile.
        profile: Profile,
        /// The level, as H.264 Annex A writes it (`3.1`, `1b`).
        level: String,
    },
    /// An H.264 `profile-level-id` that names no known profile or level.
    H264Unreadable,
    /// H.264 `packetization-mode` (RFC 6184 s6.2).
    PacketizationMode(&'static str),
    /// H.264 `level-asymmetry-allowed` (RFC 6184 s8.1).
    LevelAsymmetry(bool),
    /// VP9 `profile-id` (RFC 9628 s6).
    Vp9Profile(&'static str),
    /// AV1 `profile`.
    Av1Profile(&'static str),
    /// AV1 `level-idx`, as the level it names (`3.1`).
    Av1Level(String),
    /// AV1 `tier`.
    Av1Tier(&'static str),
    /// A parameter that turns something on or off (Opus `stereo`, `useinbandfec`, ...).
    Switch {
        /// What it turns on.
        what: &'static str,
        /// Whether it is on.
        on: bool,
    },
    /// A duration in milliseconds (`minptime`, `ptime`, `rtx-time`).
    Millis {
        /// What it is.
        what: &'static str,
        /// The value.
        ms: u32,
    },
    /// A number with a unit (`maxplaybackrate` in Hz, `maxaveragebitrate` in bit/s).
    Amount {
        /// What it is.
        what: &'static str,
        /// The value.
        value: u64,
        /// The unit.
        unit: &'static str,
    },
    /// RTX `apt` (RFC 4588 s8.1): the payload type this one retransmits.
    Retransmits {
        /// The payload type.
        payload_type: u8,
        /// Its codec in the section, if it has one.
        codec: Option<String>,
    },
    /// Audio RED's list (RFC 2198): the payload types each packet carries.
    Redundancy(Vec<(u8, Option<String>)>),
    /// telephone-event's event list (RFC 4733 s7.1.1).
    Events(String),
}

fn with_codec(f: &mut fmt::Formatter<'_>, pt: u8, codec: Option<&String>) -> fmt::Result {
    match codec {
        Some(c) => write!(f, "PT {pt} ({c})"),
        None => write!(f, "PT {pt} (not in this section)"),
    }
}

impl fmt::Display for Meaning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Meaning::H264ProfileLevel { profile, level } => write!(f, "{profile}, level {level}"),
            Meaning::H264Unreadable => f.write_str("names no known H.264 profile or level"),
            Meaning::PacketizationMode(m)
            | Meaning::Vp9Profile(m)
            | Meaning::Av1Profile(m)
            | Meaning::Av1Tier(m) => f.write_str(m),
            Meaning::LevelAsymmetry(true) => f.write_str("each direction may use its own level"),
            Meaning::LevelAsymmetry(false) => f.write_str("both directions use one level"),
            Meaning::Av1Level(l) => write!(f, "level {l}"),
            Meaning::Switch { what, on } => write!(f, "{what} {}", if *on { "on" } else { "off" }),
            Meaning::Millis { what, ms } => write!(f, "{what} {ms} ms"),
            Meaning::Amount { what, value, unit } => write!(f, "{what} {value} {unit}"),
            Meaning::Retransmits {
                payload_type,
                codec,
            } => {
                f.write_str("retransmissions for ")?;
                with_codec(f, *payload_type, codec.as_ref())
            }
            Meaning::Redundancy(pts) => {
                f.write_str("redundant copies of ")?;
                for (i, (pt, codec)) in pts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    with_codec(f, *pt, codec.as_ref())?;
                }
                Ok(())
            }
            Meaning::Events(list) => write!(f, "DTMF events {list}"),
        }
    }
}

/// One `a=rtcp-fb` value of a codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackFacts {
    /// The value as written (`nack pli`).
    pub value: String,
    /// What it asks for, when known.
    pub meaning: Option<&'static str>,
}

/// The codecs of `media`, in the order of its `m=` line.
#[must_use]
pub fn codecs(media: &Media<'_>) -> Vec<CodecFacts> {
    let codecs = codecs_of(media);
    codecs.iter().map(|c| facts(c, &codecs)).collect()
}

fn facts(c: &Codec, all: &[Codec]) -> CodecFacts {
    let kind = c.kind();
    CodecFacts {
        payload_type: c.payload_type,
        name: c.name.clone(),
        clock_rate: c.clock_rate,
        channels: c.channels,
        label: c.to_string(),
        role: role(kind, all.iter().any(|o| o.kind() == CodecKind::Ulpfec)),
        params: c
            .params
            .iter()
            .map(|(k, v)| Param {
                key: k.clone(),
                value: v.clone(),
                meaning: meaning(kind, k, v, all),
            })
            .collect(),
        feedback: c
            .feedback
            .iter()
            .map(|fb| FeedbackFacts {
                value: fb.to_string(),
                meaning: words::feedback(&fb.kind, fb.param.as_deref()),
            })
            .collect(),
    }
}

fn role(kind: CodecKind, with_ulpfec: bool) -> Option<&'static str> {
    Some(match kind {
        CodecKind::Rtx => "retransmission (RFC 4588)",
        CodecKind::Red if with_ulpfec => "redundant coding (RFC 2198), carrying ulpfec",
        CodecKind::Red => "redundant coding (RFC 2198)",
        CodecKind::Ulpfec => "forward error correction (RFC 5109)",
        CodecKind::Flexfec => "flexible forward error correction (RFC 8627)",
        CodecKind::Cn => "comfort noise (RFC 3389)",
        CodecKind::TelephoneEvent => "DTMF (RFC 4733)",
        _ => return None,
    })
}

/// The `name/rate[/channels]` of payload type `pt` among `all`.
fn name_of(pt: u8, all: &[Codec]) -> Option<String> {
    all.iter()
        .find(|c| c.payload_type == pt)
        .map(|c| match c.channels {
            Some(n) => format!("{}/{}/{n}", c.name, c.clock_rate),
            None => format!("{}/{}", c.name, c.clock_rate),
        })
}

fn switch(what: &'static str, value: &str) -> Option<Meaning> {
    match value {
        "1" => Some(Meaning::Switch { what, on: true }),
        "0" => Some(Meaning::Switch { what, on: false }),
        _ => None,
    }
}

fn millis(what: &'static str, value: &str) -> Option<Meaning> {
    value.parse().ok().map(|ms| Meaning::Millis { what, ms })
}

fn amount(what: &'static str, value: &str, unit: &'static str) -> Option<Meaning> {
    value
        .parse()
        .ok()
        .map(|value| Meaning::Amount { what, value, unit })
}

/// The H.264 level of `id` as Annex A writes it.
#[must_use]
pub fn h264_level(id: &ProfileLevelId) -> String {
    if id.is_level_1b() {
        "1b".to_owned()
    } else if id.level_idc % 10 == 0 {
        (id.level_idc / 10).to_string()
    } else {
        format!("{}.{}", id.level_idc / 10, id.level_idc % 10)
    }
}

/// What parameter `key=value` of a codec of `kind` means, among the section's `all`.
fn meaning(kind: CodecKind, key: &str, value: &str, all: &[Codec]) -> Option<Meaning> {
    let key = key.to_ascii_lowercase();
    match (kind, key.as_str()) {
        (CodecKind::H264, "profile-level-id") => Some(match ProfileLevelId::parse(value) {
            Ok(id) => Meaning::H264ProfileLevel {
                profile: id.profile,
                level: h264_level(&id),
            },
            Err(_) => Meaning::H264Unreadable,
        }),
        (CodecKind::H264, "packetization-mode") => Some(Meaning::PacketizationMode(match value {
            "0" => "single NAL unit mode",
            "1" => "non-interleaved mode (FU-A fragments, STAP-A aggregates)",
            "2" => "interleaved mode",
            _ => return None,
        })),
        (CodecKind::H264, "level-asymmetry-allowed") => match value {
            "1" => Some(Meaning::LevelAsymmetry(true)),
            "0" => Some(Meaning::LevelAsymmetry(false)),
            _ => None,
        },
        (CodecKind::Vp9, "profile-id") => Some(Meaning::Vp9Profile(match value {
            "0" => "profile 0: 8-bit 4:2:0",
            "1" => "profile 1: 8-bit 4:2:2 or 4:4:4",
            "2" => "profile 2: 10 or 12-bit 4:2:0",
            "3" => "profile 3: 10 or 12-bit 4:2:2 or 4:4:4",
            _ => return None,
        })),
        (CodecKind::Av1, "profile") => Some(Meaning::Av1Profile(match value {
            "0" => "Main profile",
            "1" => "High profile",
            "2" => "Professional profile",
            _ => return None,
        })),
        (CodecKind::Av1, "level-idx") => value
            .parse::<u8>()
            .ok()
            .filter(|&i| i < 24)
            .map(|i| Meaning::Av1Level(format!("{}.{}", 2 + i / 4, i % 4))),
        (CodecKind::Av1, "tier") => Some(Meaning::Av1Tier(match value {
            "0" => "Main tier",
            "1" => "High tier",
            _ => return None,
        })),
        (CodecKind::Opus, "stereo") => switch("stereo reception", value),
        (CodecKind::Opus, "sprop-stereo") => switch("stereo sending", value),
        (CodecKind::Opus, "useinbandfec") => switch("in-band FEC", value),
        (CodecKind::Opus, "usedtx") => switch("discontinuous transmission (DTX)", value),
        (CodecKind::Opus, "cbr") => switch("constant bitrate", value),
        (CodecKind::Opus, "maxplaybackrate") => amount("plays back at most", value, "Hz"),
        (CodecKind::Opus, "maxaveragebitrate") => amount("at most", value, "bit/s on average"),
        (CodecKind::Vp8 | CodecKind::Vp9, "max-fs") => {
            amount("frames of at most", value, "macroblocks")
        }
        (CodecKind::Vp8 | CodecKind::Vp9, "max-fr") => amount("at most", value, "frames/s"),
        (_, "minptime") => millis("packets of at least", value),
        (_, "ptime") => millis("packets of", value),
        (_, "maxptime") => millis("packets of at most", value),
        (CodecKind::Rtx, "apt") => value.parse::<u8>().ok().map(|pt| Meaning::Retransmits {
            payload_type: pt,
            codec: name_of(pt, all),
        }),
        (CodecKind::Rtx, "rtx-time") => millis("keeps packets for", value),
        (CodecKind::Red, "") => {
            let pts: Option<Vec<u8>> = value.split('/').map(|p| p.parse().ok()).collect();
            pts.map(|pts| {
                Meaning::Redundancy(pts.into_iter().map(|pt| (pt, name_of(pt, all))).collect())
            })
        }
        (CodecKind::TelephoneEvent, "") => Some(Meaning::Events(value.to_owned())),
        _ => None,
    }
}
