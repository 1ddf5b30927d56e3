//! A codec as offer/answer sees it: one payload type of an m= section with its `a=rtpmap`,
//! `a=fmtp` and `a=rtcp-fb` lines (RFC 8866 s6.6, s6.15; RFC 4585 s4.2), and the kinds of
//! codec whose matching rules differ.

use std::fmt;

/// What a codec is, from its encoding name (case-insensitive, RFC 8866 s6.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodecKind {
    /// Opus (RFC 7587).
    Opus,
    /// G.711 mu-law.
    Pcmu,
    /// G.711 A-law.
    Pcma,
    /// G.722.
    G722,
    /// DTMF events (RFC 4733).
    TelephoneEvent,
    /// VP8 (RFC 7741).
    Vp8,
    /// VP9 (RFC 9628), matched by `profile-id`.
    Vp9,
    /// H.264 (RFC 6184), matched by profile and `packetization-mode`.
    H264,
    /// H.265 (RFC 7798).
    H265,
    /// AV1 (the AOM RTP payload format), matched by `profile`.
    Av1,
    /// Retransmission (RFC 4588), bound to its codec by `apt`.
    Rtx,
    /// Redundant coding (RFC 2198); audio RED names its codecs in its fmtp.
    Red,
    /// Generic FEC (RFC 5109).
    Ulpfec,
    /// Flexible FEC (RFC 8627).
    Flexfec,
    /// Comfort noise (RFC 3389).
    Cn,
    /// Anything else: matched by name, clock rate and channels.
    Other,
}

impl CodecKind {
    /// The kind an encoding name names.
    #[must_use]
    pub fn from_name(name: &str) -> CodecKind {
        const NAMES: [(&str, CodecKind); 15] = [
            ("opus", CodecKind::Opus),
            ("PCMU", CodecKind::Pcmu),
            ("PCMA", CodecKind::Pcma),
            ("G722", CodecKind::G722),
            ("telephone-event", CodecKind::TelephoneEvent),
            ("VP8", CodecKind::Vp8),
            ("VP9", CodecKind::Vp9),
            ("H264", CodecKind::H264),
            ("H265", CodecKind::H265),
            ("AV1", CodecKind::Av1),
            ("rtx", CodecKind::Rtx),
            ("red", CodecKind::Red),
            ("ulpfec", CodecKind::Ulpfec),
            ("flexfec-03", CodecKind::Flexfec),
            ("CN", CodecKind::Cn),
        ];
        NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or(CodecKind::Other, |(_, k)| *k)
    }

    /// Whether this kind carries media of its own (not a repair or redundancy format that
    /// refers to another codec).
    #[must_use]
    pub fn is_primary(self) -> bool {
        !matches!(
            self,
            CodecKind::Rtx | CodecKind::Red | CodecKind::Ulpfec | CodecKind::Flexfec
        )
    }
}

/// One `a=rtcp-fb` value (RFC 4585 s4.2): a type and an optional parameter, such as
/// `nack pli`, `ccm fir`, `transport-cc` or `goog-remb`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Feedback {
    /// The feedback type (`nack`, `ccm`, `transport-cc`, `goog-remb`, ...).
    pub kind: String,
    /// Its parameter (`pli`, `fir`, ...), if any.
    pub param: Option<String>,
}

impl Feedback {
    /// A feedback type with an optional parameter.
    #[must_use]
    pub fn new(kind: &str, param: Option<&str>) -> Feedback {
        Feedback {
            kind: kind.to_owned(),
            param: param.map(str::to_owned),
        }
    }
}

impl fmt::Display for Feedback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.param {
            Some(p) => write!(f, "{} {p}", self.kind),
            None => f.write_str(&self.kind),
        }
    }
}

/// A codec of an m= section: payload type, `a=rtpmap` fields, `a=fmtp` parameters in their
/// order, and `a=rtcp-fb` values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Codec {
    /// The RTP payload type (RFC 3550), 0-127.
    pub payload_type: u8,
    /// The encoding name as written (`opus`, `VP8`, `H264`, ...).
    pub name: String,
    /// The RTP clock rate in Hz.
    pub clock_rate: u32,
    /// Audio channels (`a=rtpmap:111 opus/48000/2`); `None` means the default, one.
    pub channels: Option<u16>,
    /// The `a=fmtp` parameters in order: `key=value` pairs, or a bare value with an empty
    /// key (audio RED's `111/111`).
    pub params: Vec<(String, String)>,
    /// The `a=rtcp-fb` values for this payload type (and those given for `*`).
    pub feedback: Vec<Feedback>,
}

impl Codec {
    /// A codec with no fmtp parameters and no feedback.
    #[must_use]
    pub fn new(payload_type: u8, name: &str, clock_rate: u32, channels: Option<u16>) -> Codec {
        Codec {
            payload_type,
            name: name.to_owned(),
            clock_rate,
            channels,
            params: Vec::new(),
            feedback: Vec::new(),
        }
    }

    /// Adds an fmtp parameter (builder style).
    #[must_use]
    pub fn with_param(mut self, key: &str, value: &str) -> Codec {
        self.params.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Adds a feedback value (builder style).
    #[must_use]
    pub fn with_feedback(mut self, kind: &str, param: Option<&str>) -> Codec {
        self.feedback.push(Feedback::new(kind, param));
        self
    }

    /// What kind of codec this is.
    #[must_use]
    pub fn kind(&self) -> CodecKind {
        CodecKind::from_name(&self.name)
    }

    /// The value of fmtp parameter `key` (parameter names are case-insensitive, RFC 8866
    /// leaves them to the payload format; every WebRTC format treats them so).
    #[must_use]
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// Sets fmtp parameter `key`, in place if present, at the end otherwise.
    pub fn set_param(&mut self, key: &str, value: &str) {
        match self
            .params
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
        {
            Some((_, v)) => value.clone_into(v),
            None => self.params.push((key.to_owned(), value.to_owned())),
        }
    }

    /// The channel count, one when the rtpmap gives none.
    #[must_use]
    pub fn channel_count(&self) -> u16 {
        self.channels.unwrap_or(1)
    }

    /// The payload type an RTX or FEC format repairs (`apt`, RFC 4588 s8.1).
    #[must_use]
    pub fn apt(&self) -> Option<u8> {
        self.param("apt")?.parse().ok()
    }

    /// The payload types audio RED carries (`a=fmtp:63 111/111`, RFC 2198 s5).
    #[must_use]
    pub fn red_payload_types(&self) -> Option<Vec<u8>> {
        let (_, v) = self
            .params
            .iter()
            .find(|(k, v)| k.is_empty() && !v.is_empty())?;
        v.split('/').map(|pt| pt.trim().parse().ok()).collect()
    }
}

impl fmt::Display for Codec {
    /// `VP9/90000 (profile-id=2)`, `opus/48000/2`: how errors and `sdp explain` name a codec.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.name, self.clock_rate)?;
        if let Some(c) = self.channels {
            write!(f, "/{c}")?;
        }
        let shown: Vec<String> = self
            .params
            .iter()
            .filter(|(k, _)| is_identifying(k))
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if !shown.is_empty() {
            write!(f, " ({})", shown.join(", "))?;
        }
        Ok(())
    }
}

/// The fmtp parameters that decide whether two codecs match (and so belong in a message
/// that explains a mismatch).
fn is_identifying(key: &str) -> bool {
    [
        "profile-level-id",
        "packetization-mode",
        "profile-id",
        "profile",
        "apt",
    ]
    .iter()
    .any(|k| k.eq_ignore_ascii_case(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_read_from_names_in_any_case() {
        assert_eq!(CodecKind::from_name("OPUS"), CodecKind::Opus);
        assert_eq!(CodecKind::from_name("h264"), CodecKind::H264);
        assert_eq!(CodecKind::from_name("RTX"), CodecKind::Rtx);
        assert_eq!(CodecKind::from_name("x-foo"), CodecKind::Other);
        assert!(!CodecKind::Rtx.is_primary());
        assert!(CodecKind::Vp8.is_primary());
    }

    #[test]
    fn params_are_found_case_insensitively_and_set_in_place() {
        let mut c = Codec::new(96, "H264", 90000, None)
            .with_param("level-asymmetry-allowed", "1")
            .with_param("Profile-Level-Id", "42e01f");
        assert_eq!(c.param("profile-level-id"), Some("42e01f"));
        c.set_param("profile-level-id", "640c1f");
        c.set_param("packetization-mode", "1");
        assert_eq!(
            c.params,
            [
                ("level-asymmetry-allowed".to_owned(), "1".to_owned()),
                ("Profile-Level-Id".to_owned(), "640c1f".to_owned()),
                ("packetization-mode".to_owned(), "1".to_owned()),
            ]
        );
    }

    #[test]
    fn apt_and_red_payload_types_are_read() {
        let rtx = Codec::new(97, "rtx", 90000, None).with_param("apt", "96");
        assert_eq!(rtx.apt(), Some(96));
        let red = Codec::new(63, "red", 48000, Some(2)).with_param("", "111/111");
        assert_eq!(red.red_payload_types(), Some(vec![111, 111]));
        let bad = Codec::new(63, "red", 48000, Some(2)).with_param("", "111/x");
        assert_eq!(bad.red_payload_types(), None);
    }

    #[test]
    fn display_names_the_identifying_parameters_only() {
        let c = Codec::new(98, "VP9", 90000, None)
            .with_param("profile-id", "2")
            .with_param("max-fr", "30");
        assert_eq!(c.to_string(), "VP9/90000 (profile-id=2)");
        assert_eq!(
            Codec::new(111, "opus", 48000, Some(2)).to_string(),
            "opus/48000/2"
        );
    }
}
