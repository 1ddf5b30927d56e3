//! ICE parameters in SDP (RFC 8839 s5): `a=ice-ufrag`, `a=ice-pwd` (s5.4), `a=ice-options`
//! (s5.6, with `trickle` from RFC 8840 and `ice2` from RFC 8445), `a=ice-lite` (s5.3),
//! `a=candidate` (s5.1) and `a=end-of-candidates` (RFC 8840 s8.2).
//!
//! Candidates stay text: this crate does not depend on wren-ice, whose grammar
//! (`wren_ice::Candidate`) is the one to use for a candidate's meaning.
//! [`Candidate::fields`] reads the six fields every candidate starts with, on demand.

use std::borrow::Cow;
use std::fmt;

use crate::parse::number;

/// One option of `a=ice-options`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IceOption<'a> {
    /// `trickle` (RFC 8840 s4.1.1): candidates may follow the description.
    Trickle,
    /// `ice2` (RFC 8445 s10): the agent follows RFC 8445.
    Ice2,
    /// Another option tag.
    Other(&'a str),
}

impl<'a> IceOption<'a> {
    /// The option's tag.
    #[must_use]
    pub fn as_str(&self) -> &'a str {
        match self {
            IceOption::Trickle => "trickle",
            IceOption::Ice2 => "ice2",
            IceOption::Other(s) => s,
        }
    }

    fn from_tag(s: &'a str) -> Self {
        match s {
            "trickle" => IceOption::Trickle,
            "ice2" => IceOption::Ice2,
            s => IceOption::Other(s),
        }
    }
}

/// `a=ice-options:<tag> <tag> ...`, kept as its text and read as [`IceOption`]s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IceOptions<'a>(Cow<'a, str>);

impl<'a> IceOptions<'a> {
    /// The options `tags`, space-separated.
    #[must_use]
    pub fn new<'b>(tags: impl IntoIterator<Item = IceOption<'b>>) -> Self {
        let mut s = String::new();
        for t in tags {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(t.as_str());
        }
        IceOptions(Cow::Owned(s))
    }

    /// The same options with their text copied.
    #[must_use]
    pub fn into_owned(self) -> IceOptions<'static> {
        IceOptions(Cow::Owned(self.0.into_owned()))
    }

    /// The options in the order written.
    pub fn iter(&self) -> impl Iterator<Item = IceOption<'_>> {
        self.0.split_ascii_whitespace().map(IceOption::from_tag)
    }

    /// Whether `trickle` is among them.
    #[must_use]
    pub fn trickle(&self) -> bool {
        self.iter().any(|o| o == IceOption::Trickle)
    }

    /// The text after `a=ice-options:`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn parse(value: &'a str) -> Result<Self, &'static str> {
        let v = value.trim();
        if v.is_empty() {
            return Err("one or more option tags");
        }
        Ok(IceOptions(Cow::Borrowed(v)))
    }
}

impl fmt::Display for IceOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `a=candidate:<value>` (RFC 8839 s5.1): the value as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate<'a>(pub Cow<'a, str>);

/// The fields every candidate starts with (RFC 8839 s5.1), read from its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CandidateFields<'a> {
    /// The foundation.
    pub foundation: &'a str,
    /// The component (1 RTP, 2 RTCP).
    pub component: u16,
    /// `udp` or `tcp` (any case).
    pub transport: &'a str,
    /// The priority.
    pub priority: u32,
    /// An IP address or an mDNS `.local` name.
    pub address: &'a str,
    /// The port.
    pub port: u16,
    /// `host`, `srflx`, `prflx` or `relay`.
    pub kind: &'a str,
    /// What follows the type (`raddr`, `rport`, `tcptype`, `generation`, ...), trimmed.
    pub rest: &'a str,
}

impl Candidate<'_> {
    /// The value (after `a=candidate:`).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The leading fields, or `None` if the text does not start as RFC 8839 s5.1 says
    /// (`<foundation> <component> <transport> <priority> <address> <port> typ <type>`).
    #[must_use]
    pub fn fields(&self) -> Option<CandidateFields<'_>> {
        let s = self.0.trim();
        let mut rest = s;
        let mut next = || {
            let t = rest.trim_start();
            let end = t.find(' ').unwrap_or(t.len());
            let (word, r) = t.split_at(end);
            rest = r;
            (!word.is_empty()).then_some(word)
        };
        let foundation = next()?;
        let component = number(next()?)?;
        let transport = next()?;
        let priority = number(next()?)?;
        let address = next()?;
        let port = number(next()?)?;
        if next()? != "typ" {
            return None;
        }
        let kind = next()?;
        Some(CandidateFields {
            foundation,
            component,
            transport,
            priority,
            address,
            port,
            kind,
            rest: rest.trim(),
        })
    }
}

impl fmt::Display for Candidate<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
