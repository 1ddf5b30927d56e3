//! `a=group:<semantics> <mid> ...` (RFC 5888 s5), with BUNDLE (RFC 9143 s7.1) the one
//! WebRTC uses, and `LS` (lip sync) or `FID` seen in older descriptions.

use std::borrow::Cow;
use std::fmt;

/// A group of media sections named by their `a=mid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group<'a> {
    /// `BUNDLE`, `LS`, `FID`, ...
    pub semantics: Cow<'a, str>,
    /// The mids in the order written; the first of a BUNDLE group is the offerer's tagged
    /// section (RFC 9143 s7.2.1).
    pub mids: Vec<Cow<'a, str>>,
}

impl<'a> Group<'a> {
    /// Whether the semantics are `BUNDLE`.
    #[must_use]
    pub fn is_bundle(&self) -> bool {
        self.semantics.eq_ignore_ascii_case("BUNDLE")
    }

    pub(crate) fn parse(value: &'a str) -> Result<Self, &'static str> {
        let mut f = value.split_ascii_whitespace();
        let semantics = f.next().ok_or("<semantics> [<mid> ...]")?;
        Ok(Group {
            semantics: semantics.into(),
            mids: f.map(Cow::Borrowed).collect(),
        })
    }
}

impl fmt::Display for Group<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.semantics)?;
        for m in &self.mids {
            write!(f, " {m}")?;
        }
        Ok(())
    }
}
