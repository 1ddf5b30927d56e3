//! Sources and streams: `a=ssrc` and `a=ssrc-group` (RFC 5576 s4.1, s4.2: `FID` for RTX,
//! RFC 4588 s8; `SIM` for simulcast layers), `a=msid` (RFC 8830 s2) and
//! `a=msid-semantic` (the draft's session attribute, still written by browsers).

use std::borrow::Cow;
use std::fmt;

use super::rtp::word;
use crate::parse::number;

/// `a=ssrc:<ssrc> <attribute>[:<value>]`: `cname`, `msid`, ...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ssrc<'a> {
    /// The synchronization source.
    pub id: u32,
    /// The source attribute's name (`cname`).
    pub attribute: Cow<'a, str>,
    /// Its value, if it has one.
    pub value: Option<Cow<'a, str>>,
}

impl<'a> Ssrc<'a> {
    pub(crate) fn parse(value: &'a str) -> Result<Self, &'static str> {
        let (id, rest) = word(value);
        let id = number(id).ok_or("an SSRC 0-4294967295")?;
        let rest = rest.trim_end();
        let (attribute, value) = match rest.split_once(':') {
            Some((a, v)) => (a, Some(v.into())),
            None => (rest, None),
        };
        if attribute.is_empty() {
            return Err("<ssrc> <attribute>[:<value>]");
        }
        Ok(Ssrc {
            id,
            attribute: attribute.into(),
            value,
        })
    }
}

impl fmt::Display for Ssrc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.id, self.attribute)?;
        if let Some(v) = &self.value {
            write!(f, ":{v}")?;
        }
        Ok(())
    }
}

/// `a=ssrc-group:<semantics> <ssrc> ...`: `FID` (a source and its RTX), `SIM`, `FEC-FR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsrcGroup<'a> {
    /// `FID`, `SIM`, `FEC-FR`, ...
    pub semantics: Cow<'a, str>,
    /// The sources in the order written (for `FID`: the media source, then its RTX).
    pub ssrcs: Vec<u32>,
}

impl<'a> SsrcGroup<'a> {
    pub(crate) fn parse(value: &'a str) -> Result<Self, &'static str> {
        let mut f = value.split_ascii_whitespace();
        let semantics = f.next().ok_or("<semantics> <ssrc> ...")?;
        let ssrcs = f
            .map(|s| number(s).ok_or("SSRCs 0-4294967295"))
            .collect::<Result<_, _>>()?;
        Ok(SsrcGroup {
            semantics: semantics.into(),
            ssrcs,
        })
    }
}

impl fmt::Display for SsrcGroup<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.semantics)?;
        for s in &self.ssrcs {
            write!(f, " {s}")?;
        }
        Ok(())
    }
}

/// `a=msid:<stream id> [<track id>]` (RFC 8830 s2): the MediaStream the section's track
/// belongs to (`-` for none) and, in older writers, the track's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msid<'a> {
    /// The stream id.
    pub stream: Cow<'a, str>,
    /// The track id ("appdata"), if written.
    pub track: Option<Cow<'a, str>>,
}

impl<'a> Msid<'a> {
    pub(crate) fn parse(value: &'a str) -> Result<Self, &'static str> {
        let (stream, track) = word(value);
        let track = track.trim_end();
        if stream.is_empty() || track.contains(' ') {
            return Err("<stream id> [<track id>]");
        }
        Ok(Msid {
            stream: stream.into(),
            track: (!track.is_empty()).then(|| track.into()),
        })
    }
}

impl fmt::Display for Msid<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.stream)?;
        if let Some(t) = &self.track {
            write!(f, " {t}")?;
        }
        Ok(())
    }
}

/// `a=msid-semantic: WMS [<stream id> ...|*]`: which stream ids the description uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsidSemantic<'a> {
    /// `WMS`.
    pub semantic: Cow<'a, str>,
    /// The identifiers after the semantic, space-separated (may be empty).
    pub ids: Cow<'a, str>,
}

impl MsidSemantic<'_> {
    /// The identifiers in the order written.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.ids.split_ascii_whitespace()
    }

    pub(crate) fn parse(value: &str) -> Result<MsidSemantic<'_>, &'static str> {
        let (semantic, ids) = word(value);
        if semantic.is_empty() {
            return Err("<semantic> [<id> ...]");
        }
        Ok(MsidSemantic {
            semantic: semantic.into(),
            ids: ids.trim_end().into(),
        })
    }
}

impl fmt::Display for MsidSemantic<'_> {
    /// ` WMS id...`: with the space after the colon that browsers write.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, " {}", self.semantic)?;
        if !self.ids.is_empty() {
            write!(f, " {}", self.ids)?;
        }
        Ok(())
    }
}
