//! A session description (RFC 8866 s5): the session section's lines, then the media
//! sections, each line kept in order with its original text.

use std::borrow::Cow;

use crate::attribute::{Fingerprint, Group, IceOptions, MsidSemantic, Setup};
use crate::line::{Entry, Line};
use crate::media::{Media, all_attrs, find_attr};
use crate::{Attribute, Connection, Limits, Origin, ParseError, Timing};

/// A session description: parse one with [`Session::parse`], build one with
/// [`Session::new`], write either with [`Session::write`] (or `to_string`).
///
/// Text fields borrow from the parsed text (`'a`); a session built from scratch can use
/// owned strings (`Session<'static>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session<'a> {
    pub(crate) entries: Vec<Entry<'a>>,
    pub(crate) media: Vec<Media<'a>>,
}

impl<'a> Session<'a> {
    /// Parses `text` under the default [`Limits`].
    ///
    /// # Errors
    /// A [`ParseError`] naming the line and what was expected there.
    pub fn parse(text: &'a str) -> Result<Self, ParseError> {
        crate::parse::session(text, &Limits::default())
    }

    /// Parses `text` under `limits`.
    ///
    /// # Errors
    /// A [`ParseError`] naming the line and what was expected there.
    pub fn parse_with(text: &'a str, limits: &Limits) -> Result<Self, ParseError> {
        crate::parse::session(text, limits)
    }

    /// A session section of `v=0`, `o=` with `origin`, `s=-` and `t=0 0`, as JSEP writes it
    /// (RFC 9429 s5.2.1), and no media sections yet.
    #[must_use]
    pub fn new(origin: Origin<'a>) -> Self {
        Session {
            entries: vec![
                Line::Version.into(),
                Line::Origin(Box::new(origin)).into(),
                Line::SessionName(Cow::Borrowed("-")).into(),
                Line::Timing(Timing::default()).into(),
            ],
            media: Vec::new(),
        }
    }

    /// The same session with everything it borrows from the parsed text copied, to keep
    /// beyond the text's lifetime (still written back byte for byte).
    #[must_use]
    pub fn into_owned(self) -> Session<'static> {
        Session {
            entries: self.entries.into_iter().map(Entry::into_owned).collect(),
            media: self.media.into_iter().map(Media::into_owned).collect(),
        }
    }

    /// The session section's lines, in order.
    #[must_use]
    pub fn entries(&self) -> &[Entry<'a>] {
        &self.entries
    }

    /// The session section's lines, to add, remove or reorder.
    pub fn entries_mut(&mut self) -> &mut Vec<Entry<'a>> {
        &mut self.entries
    }

    /// Appends a line to the session section.
    pub fn push(&mut self, entry: impl Into<Entry<'a>>) {
        self.entries.push(entry.into());
    }

    /// The media sections, in order.
    #[must_use]
    pub fn media(&self) -> &[Media<'a>] {
        &self.media
    }

    /// The media sections, to add, remove or change.
    pub fn media_mut(&mut self) -> &mut Vec<Media<'a>> {
        &mut self.media
    }

    /// The media section whose `a=mid` is `mid`.
    #[must_use]
    pub fn media_by_mid(&self, mid: &str) -> Option<&Media<'a>> {
        self.media.iter().find(|m| m.mid() == Some(mid))
    }

    /// The session-level attributes, in order.
    pub fn attributes(&self) -> impl Iterator<Item = &Attribute<'a>> {
        self.entries.iter().filter_map(Entry::attribute)
    }

    /// `o=` (always present in a parsed session).
    #[must_use]
    pub fn origin(&self) -> Option<&Origin<'a>> {
        self.entries.iter().find_map(|e| match e.line() {
            Line::Origin(o) => Some(&**o),
            _ => None,
        })
    }

    /// `s=` (always present in a parsed session).
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        self.entries.iter().find_map(|e| match e.line() {
            Line::SessionName(s) => Some(&**s),
            _ => None,
        })
    }

    /// The first `t=`.
    #[must_use]
    pub fn timing(&self) -> Option<Timing> {
        self.entries.iter().find_map(|e| match e.line() {
            Line::Timing(t) => Some(*t),
            _ => None,
        })
    }

    /// The session-level `c=`.
    #[must_use]
    pub fn connection(&self) -> Option<&Connection<'a>> {
        self.entries.iter().find_map(|e| match e.line() {
            Line::Connection(c) => Some(c),
            _ => None,
        })
    }

    /// `a=group` lines.
    pub fn groups(&self) -> impl Iterator<Item = &Group<'a>> {
        all_attrs!(self, Attribute::Group(g) => g)
    }

    /// The mids of the first `a=group:BUNDLE`, empty if there is none.
    pub fn bundle_mids(&self) -> impl Iterator<Item = &str> {
        self.groups()
            .find(|g| g.is_bundle())
            .into_iter()
            .flat_map(|g| g.mids.iter().map(|m| &**m))
    }

    /// Whether the session says `a=ice-lite`.
    #[must_use]
    pub fn ice_lite(&self) -> bool {
        self.attributes().any(|a| *a == Attribute::IceLite)
    }

    /// Whether the session says `a=extmap-allow-mixed`.
    #[must_use]
    pub fn extmap_allow_mixed(&self) -> bool {
        self.attributes().any(|a| *a == Attribute::ExtmapAllowMixed)
    }

    /// `a=msid-semantic`.
    #[must_use]
    pub fn msid_semantic(&self) -> Option<&MsidSemantic<'a>> {
        find_attr!(self, Attribute::MsidSemantic(m) => m)
    }

    /// Session-level `a=ice-ufrag` (a section's own wins, RFC 8839 s5.4).
    #[must_use]
    pub fn ice_ufrag(&self) -> Option<&str> {
        find_attr!(self, Attribute::IceUfrag(u) => &**u)
    }

    /// Session-level `a=ice-pwd`.
    #[must_use]
    pub fn ice_pwd(&self) -> Option<&str> {
        find_attr!(self, Attribute::IcePwd(p) => &**p)
    }

    /// Session-level `a=ice-options`.
    #[must_use]
    pub fn ice_options(&self) -> Option<&IceOptions<'a>> {
        find_attr!(self, Attribute::IceOptions(o) => o)
    }

    /// Session-level `a=fingerprint` lines (Firefox writes them here).
    pub fn fingerprints(&self) -> impl Iterator<Item = &Fingerprint> {
        all_attrs!(self, Attribute::Fingerprint(f) => f)
    }

    /// Session-level `a=setup`.
    #[must_use]
    pub fn setup(&self) -> Option<Setup> {
        find_attr!(self, Attribute::Setup(s) => *s)
    }

    /// The ufrag that applies to `media`: its own, else the session's.
    #[must_use]
    pub fn ice_ufrag_of<'s>(&'s self, media: &'s Media<'a>) -> Option<&'s str> {
        media.ice_ufrag().or_else(|| self.ice_ufrag())
    }

    /// The password that applies to `media`: its own, else the session's.
    #[must_use]
    pub fn ice_pwd_of<'s>(&'s self, media: &'s Media<'a>) -> Option<&'s str> {
        media.ice_pwd().or_else(|| self.ice_pwd())
    }

    /// The fingerprints that apply to `media`: its own if it has any, else the session's
    /// (RFC 8122 s5).
    pub fn fingerprints_of<'s>(
        &'s self,
        media: &'s Media<'a>,
    ) -> impl Iterator<Item = &'s Fingerprint> {
        let own = media.fingerprints().next().is_some();
        media
            .fingerprints()
            .chain(self.fingerprints().filter(move |_| !own))
    }

    /// The setup role that applies to `media`: its own, else the session's.
    #[must_use]
    pub fn setup_of(&self, media: &Media<'a>) -> Option<Setup> {
        media.setup().or_else(|| self.setup())
    }
}
