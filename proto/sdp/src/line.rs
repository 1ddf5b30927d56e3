//! One line of a description as kept by the model: its typed meaning, the text it was
//! parsed from (written back as it was), and its ending (RFC 8866 s5: CRLF, LF accepted).

use std::borrow::Cow;

use crate::Attribute;
use crate::fields::{Bandwidth, Connection, Origin, Timing};

/// How a line ended in the text it was parsed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ending {
    /// `\r\n`, what RFC 8866 s5 prescribes, and what the writer writes for new lines.
    #[default]
    CrLf,
    /// `\n` alone, which RFC 8866 s5 asks parsers to accept.
    Lf,
    /// The last line of a text that did not end with a line ending.
    None,
}

impl Ending {
    /// The bytes of this ending.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Ending::CrLf => "\r\n",
            Ending::Lf => "\n",
            Ending::None => "",
        }
    }
}

/// The typed meaning of one line other than `m=` (RFC 8866 s5).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Line<'a> {
    /// `v=0` (s5.1): the only version there is.
    Version,
    /// `o=` (s5.2).
    Origin(Box<Origin<'a>>),
    /// `s=` (s5.3); WebRTC writes `-`.
    SessionName(Cow<'a, str>),
    /// `c=` (s5.7).
    Connection(Connection<'a>),
    /// `b=` (s5.8).
    Bandwidth(Bandwidth<'a>),
    /// `t=` (s5.9).
    Timing(Timing),
    /// `a=` (s5.13), typed where this crate knows the attribute.
    Attribute(Attribute<'a>),
    /// Any other line (`i=`, `u=`, `e=`, `p=`, `r=`, `z=`, `k=`, or a letter RFC 8866 does
    /// not define), kept as text.
    Other {
        /// The line's type letter.
        kind: char,
        /// Everything after `=`.
        value: Cow<'a, str>,
    },
}

/// A line of the model: its meaning and, if it was parsed, its text and ending.
///
/// Parsed lines are written back as they were read; a line made with [`Entry::new`] is
/// written from its meaning, ending with CRLF. Equality compares meanings only.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    line: Line<'a>,
    raw: Option<Cow<'a, str>>,
    ending: Ending,
}

impl<'a> Entry<'a> {
    /// A new line, written from `line` with a CRLF ending.
    #[must_use]
    pub fn new(line: Line<'a>) -> Self {
        Entry {
            line,
            raw: None,
            ending: Ending::CrLf,
        }
    }

    pub(crate) fn parsed(line: Line<'a>, raw: &'a str, ending: Ending) -> Self {
        Entry {
            line,
            raw: Some(Cow::Borrowed(raw)),
            ending,
        }
    }

    /// What the line says.
    #[must_use]
    pub fn line(&self) -> &Line<'a> {
        &self.line
    }

    /// The attribute, if this is an `a=` line.
    #[must_use]
    pub fn attribute(&self) -> Option<&Attribute<'a>> {
        match &self.line {
            Line::Attribute(a) => Some(a),
            _ => None,
        }
    }

    /// The text the line was parsed from (without its ending), `None` for a new line.
    #[must_use]
    pub fn raw(&self) -> Option<&str> {
        self.raw.as_deref()
    }

    /// The same line with everything it borrows copied (its text too, so it is still
    /// written as it was read).
    #[must_use]
    pub fn into_owned(self) -> Entry<'static> {
        Entry {
            line: self.line.into_owned(),
            raw: self.raw.map(crate::owned::own),
            ending: self.ending,
        }
    }

    /// How the line ends when written.
    #[must_use]
    pub fn ending(&self) -> Ending {
        self.ending
    }
}

impl PartialEq for Entry<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.line == other.line
    }
}

impl Eq for Entry<'_> {}

impl<'a> From<Line<'a>> for Entry<'a> {
    fn from(line: Line<'a>) -> Self {
        Entry::new(line)
    }
}

impl<'a> From<Attribute<'a>> for Entry<'a> {
    fn from(a: Attribute<'a>) -> Self {
        Entry::new(Line::Attribute(a))
    }
}
