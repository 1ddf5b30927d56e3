//! RTP payload and feedback attributes: `a=rtpmap` (RFC 8866 s6.6), `a=fmtp` (s6.15),
//! `a=rtcp-fb` (RFC 4585 s4.2) and `a=extmap` (RFC 8285 s8).

use std::borrow::Cow;
use std::fmt;

use crate::Direction;
use crate::parse::number;

/// Splits `s` at its first run of spaces: (first word, the rest with leading spaces gone).
pub(crate) fn word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find(' ') {
        Some(i) => (&s[..i], s[i..].trim_start()),
        None => (s, ""),
    }
}

/// An RTP payload type, 0-127 (RFC 3550 s5.1).
fn payload_type(s: &str) -> Option<u8> {
    number::<u8>(s).filter(|&pt| pt < 128)
}

/// `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap<'a> {
    /// The payload type this maps, 0-127.
    pub payload_type: u8,
    /// `opus`, `VP8`, `H264`, `rtx`, ... (compare without regard to case).
    pub encoding: Cow<'a, str>,
    /// The RTP clock rate in Hz.
    pub clock_rate: u32,
    /// The encoding parameters: audio channels (`opus/48000/2`).
    pub channels: Option<u16>,
}

impl<'a> RtpMap<'a> {
    pub(crate) fn parse(value: &'a str) -> Result<Self, &'static str> {
        let (pt, rest) = word(value);
        let payload_type = payload_type(pt).ok_or("a payload type 0-127")?;
        let mut f = rest.trim_end().split('/');
        let encoding = f
            .next()
            .filter(|e| !e.is_empty())
            .ok_or("<encoding name>")?;
        let clock_rate = f
            .next()
            .and_then(number)
            .ok_or("<encoding name>/<clock rate>")?;
        let channels = match f.next() {
            None => None,
            Some(c) => Some(number(c).ok_or("a number of channels")?),
        };
        if f.next().is_some() || encoding.contains(' ') {
            return Err("<encoding name>/<clock rate>[/<channels>]");
        }
        Ok(RtpMap {
            payload_type,
            encoding: encoding.into(),
            clock_rate,
            channels,
        })
    }
}

impl fmt::Display for RtpMap<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}/{}",
            self.payload_type, self.encoding, self.clock_rate
        )?;
        if let Some(c) = self.channels {
            write!(f, "/{c}")?;
        }
        Ok(())
    }
}

/// One parameter of an `a=fmtp` line: `key=value`, or a bare value (`0-15` for
/// telephone-event, `111/111` for RED) with no key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FmtpParam<'a> {
    /// The name before `=`, `None` for a bare value.
    pub key: Option<&'a str>,
    /// The value.
    pub value: &'a str,
}

/// `a=fmtp:<payload type> <parameters>`: the parameters kept as their text, read as
/// [`FmtpParam`]s in the order written (`;`-separated, RFC 8866 s6.15 leaves the format to
/// each codec; every WebRTC codec uses `key=value;...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fmtp<'a> {
    /// The payload type the parameters are for.
    pub payload_type: u8,
    /// The text after the payload type.
    pub params: Cow<'a, str>,
}

impl<'a> Fmtp<'a> {
    /// Parameters `key=value` joined with `;` for `payload_type`.
    #[must_use]
    pub fn new<'b>(payload_type: u8, params: impl IntoIterator<Item = FmtpParam<'b>>) -> Self {
        let mut s = String::new();
        for p in params {
            if !s.is_empty() {
                s.push(';');
            }
            if let Some(k) = p.key {
                s.push_str(k);
                s.push('=');
            }
            s.push_str(p.value);
        }
        Fmtp {
            payload_type,
            params: Cow::Owned(s),
        }
    }

    /// The parameters in the order written.
    pub fn params(&self) -> impl Iterator<Item = FmtpParam<'_>> {
        self.params
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => FmtpParam {
                    key: Some(k.trim()),
                    value: v.trim(),
                },
                None => FmtpParam {
                    key: None,
                    value: p,
                },
            })
    }

    /// The value of parameter `key` (compared without regard to case), if present.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.params()
            .find(|p| p.key.is_some_and(|k| k.eq_ignore_ascii_case(key)))
            .map(|p| p.value)
    }

    pub(crate) fn parse(value: &'a str) -> Result<Self, &'static str> {
        let (pt, rest) = word(value);
        Ok(Fmtp {
            payload_type: payload_type(pt).ok_or("a payload type 0-127")?,
            params: rest.trim_end().into(),
        })
    }
}

impl fmt::Display for Fmtp<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.payload_type, self.params)
    }
}

/// `a=rtcp-fb:<payload type or *> <type> [<parameters>]` (RFC 4585 s4.2): `nack`,
/// `nack pli`, `ccm fir`, `goog-remb`, `transport-cc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtcpFb<'a> {
    /// The payload type, `None` for `*` (every payload type of the section).
    pub payload_type: Option<u8>,
    /// The feedback type: `nack`, `ccm`, `transport-cc`, ...
    pub kind: Cow<'a, str>,
    /// What follows the type (`pli`, `fir`), if anything.
    pub param: Option<Cow<'a, str>>,
}

impl<'a> RtcpFb<'a> {
    pub(crate) fn parse(value: &'a str) -> Result<Self, &'static str> {
        let (pt, rest) = word(value);
        let payload_type = match pt {
            "*" => None,
            pt => Some(payload_type(pt).ok_or("a payload type 0-127 or *")?),
        };
        let (kind, param) = word(rest);
        if kind.is_empty() {
            return Err("a feedback type");
        }
        let param = param.trim_end();
        Ok(RtcpFb {
            payload_type,
            kind: kind.into(),
            param: (!param.is_empty()).then(|| param.into()),
        })
    }
}

impl fmt::Display for RtcpFb<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.payload_type {
            Some(pt) => write!(f, "{pt} {}", self.kind)?,
            None => write!(f, "* {}", self.kind)?,
        }
        if let Some(p) = &self.param {
            write!(f, " {p}")?;
        }
        Ok(())
    }
}

/// `a=extmap:<id>[/<direction>] <URI> [<extension attributes>]` (RFC 8285 s8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtMap<'a> {
    /// The extension's id in packets: 1-14 for one-byte headers, up to 255 for two-byte
    /// (4096-4351 are for negotiation only).
    pub id: u16,
    /// The direction, if the line gives one.
    pub direction: Option<Direction>,
    /// The extension's URI.
    pub uri: Cow<'a, str>,
    /// What follows the URI, if anything.
    pub attributes: Option<Cow<'a, str>>,
}

impl<'a> ExtMap<'a> {
    pub(crate) fn parse(value: &'a str) -> Result<Self, &'static str> {
        let (head, rest) = word(value);
        let (id, direction) = match head.split_once('/') {
            Some((id, d)) => (
                id,
                Some(Direction::from_name(d).ok_or("sendrecv, sendonly, recvonly or inactive")?),
            ),
            None => (head, None),
        };
        let id = number::<u16>(id)
            .filter(|&id| id != 0)
            .ok_or("an id 1-65535")?;
        let (uri, attrs) = word(rest);
        if uri.is_empty() {
            return Err("<id> <URI>");
        }
        let attrs = attrs.trim_end();
        Ok(ExtMap {
            id,
            direction,
            uri: uri.into(),
            attributes: (!attrs.is_empty()).then(|| attrs.into()),
        })
    }
}

impl fmt::Display for ExtMap<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.id)?;
        if let Some(d) = self.direction {
            write!(f, "/{d}")?;
        }
        write!(f, " {}", self.uri)?;
        if let Some(a) = &self.attributes {
            write!(f, " {a}")?;
        }
        Ok(())
    }
}
