//! A media section (RFC 8866 s5.14): its `m=` line and the lines after it, with typed
//! access to what WebRTC reads in a section.

use std::borrow::Cow;
use std::fmt;

use crate::attribute::{
    Candidate, Direction, ExtMap, Fingerprint, Fmtp, IceOptions, Msid, Rid, RtcpFb, RtpMap, Setup,
    Simulcast, Ssrc, SsrcGroup,
};
use crate::line::{Ending, Entry, Line};
use crate::{Attribute, Connection};

/// `m=<media> <port>[/<number of ports>] <proto> <fmt> ...` (RFC 8866 s5.14).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaLine<'a> {
    /// `audio`, `video`, `application`, ...
    pub kind: Cow<'a, str>,
    /// The port; 0 rejects or stops the section (RFC 9429 s5.3.1), 9 is JSEP's placeholder.
    pub port: u16,
    /// The number of ports after `/`, if written.
    pub port_count: Option<u16>,
    /// `UDP/TLS/RTP/SAVPF`, `UDP/DTLS/SCTP`, ...
    pub proto: Cow<'a, str>,
    /// The formats, space-separated: payload types for RTP, `webrtc-datachannel` for SCTP.
    pub formats: Cow<'a, str>,
}

impl MediaLine<'_> {
    /// The formats in the order written (the order of preference).
    pub fn formats(&self) -> impl Iterator<Item = &str> {
        self.formats.split_ascii_whitespace()
    }

    /// The formats that are payload types (0-127).
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + '_ {
        self.formats()
            .filter_map(crate::parse::number::<u8>)
            .filter(|&pt| pt < 128)
    }
}

impl fmt::Display for MediaLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.port)?;
        if let Some(n) = self.port_count {
            write!(f, "/{n}")?;
        }
        write!(f, " {} {}", self.proto, self.formats)
    }
}

/// A media section: the `m=` line, then its lines in order.
#[derive(Debug, Clone)]
pub struct Media<'a> {
    pub(crate) line: MediaLine<'a>,
    pub(crate) raw: Option<Cow<'a, str>>,
    pub(crate) ending: Ending,
    pub(crate) entries: Vec<Entry<'a>>,
}

impl PartialEq for Media<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.line == other.line && self.entries == other.entries
    }
}

impl Eq for Media<'_> {}

macro_rules! find_attr {
    ($self:ident, $pat:pat => $out:expr) => {
        $self.attributes().find_map(|a| match a {
            $pat => Some($out),
            _ => None,
        })
    };
}

macro_rules! all_attrs {
    ($self:ident, $pat:pat => $out:expr) => {
        $self.attributes().filter_map(|a| match a {
            $pat => Some($out),
            _ => None,
        })
    };
}
pub(crate) use {all_attrs, find_attr};

impl<'a> Media<'a> {
    /// A new section with no lines after `line`.
    #[must_use]
    pub fn new(line: MediaLine<'a>) -> Self {
        Media {
            line,
            raw: None,
            ending: Ending::CrLf,
            entries: Vec::new(),
        }
    }

    /// The `m=` line.
    #[must_use]
    pub fn media_line(&self) -> &MediaLine<'a> {
        &self.line
    }

    /// Replaces the `m=` line (written from `line` from now on).
    pub fn set_media_line(&mut self, line: MediaLine<'a>) {
        self.line = line;
        self.raw = None;
    }

    /// The text the `m=` line was parsed from, if it was.
    #[must_use]
    pub fn raw_media_line(&self) -> Option<&str> {
        self.raw.as_deref()
    }

    /// The same section with everything it borrows copied.
    #[must_use]
    pub fn into_owned(self) -> Media<'static> {
        Media {
            line: self.line.into_owned(),
            raw: self.raw.map(crate::owned::own),
            ending: self.ending,
            entries: self.entries.into_iter().map(Entry::into_owned).collect(),
        }
    }

    /// `audio`, `video`, `application`, ...
    #[must_use]
    pub fn kind(&self) -> &str {
        &self.line.kind
    }

    /// The lines after `m=`, in order.
    #[must_use]
    pub fn entries(&self) -> &[Entry<'a>] {
        &self.entries
    }

    /// The lines after `m=`, to add, remove or reorder (an [`Entry`] cannot change in
    /// place, so a parsed line is still written as it was read).
    pub fn entries_mut(&mut self) -> &mut Vec<Entry<'a>> {
        &mut self.entries
    }

    /// Appends a line.
    pub fn push(&mut self, entry: impl Into<Entry<'a>>) {
        self.entries.push(entry.into());
    }

    /// The attributes, in order.
    pub fn attributes(&self) -> impl Iterator<Item = &Attribute<'a>> {
        self.entries.iter().filter_map(Entry::attribute)
    }

    /// The section's `c=` line, if any.
    #[must_use]
    pub fn connection(&self) -> Option<&Connection<'a>> {
        self.entries.iter().find_map(|e| match e.line() {
            Line::Connection(c) => Some(c),
            _ => None,
        })
    }

    /// `a=mid`.
    #[must_use]
    pub fn mid(&self) -> Option<&str> {
        find_attr!(self, Attribute::Mid(m) => &**m)
    }

    /// The direction attribute; `sendrecv` if there is none (RFC 8866 s6.7.1).
    #[must_use]
    pub fn direction(&self) -> Direction {
        find_attr!(self, Attribute::Direction(d) => *d).unwrap_or_default()
    }

    /// `a=ice-ufrag` of this section.
    #[must_use]
    pub fn ice_ufrag(&self) -> Option<&str> {
        find_attr!(self, Attribute::IceUfrag(u) => &**u)
    }

    /// `a=ice-pwd` of this section.
    #[must_use]
    pub fn ice_pwd(&self) -> Option<&str> {
        find_attr!(self, Attribute::IcePwd(p) => &**p)
    }

    /// `a=ice-options` of this section.
    #[must_use]
    pub fn ice_options(&self) -> Option<&IceOptions<'a>> {
        find_attr!(self, Attribute::IceOptions(o) => o)
    }

    /// `a=fingerprint` lines of this section.
    pub fn fingerprints(&self) -> impl Iterator<Item = &Fingerprint> {
        all_attrs!(self, Attribute::Fingerprint(f) => f)
    }

    /// `a=setup` of this section.
    #[must_use]
    pub fn setup(&self) -> Option<Setup> {
        find_attr!(self, Attribute::Setup(s) => *s)
    }

    /// `a=candidate` lines.
    pub fn candidates(&self) -> impl Iterator<Item = &Candidate<'a>> {
        all_attrs!(self, Attribute::Candidate(c) => c)
    }

    /// Whether `a=end-of-candidates` is present.
    #[must_use]
    pub fn end_of_candidates(&self) -> bool {
        self.has(&Attribute::EndOfCandidates)
    }

    /// Whether `a=rtcp-mux` is present.
    #[must_use]
    pub fn rtcp_mux(&self) -> bool {
        self.has(&Attribute::RtcpMux)
    }

    /// Whether `a=rtcp-mux-only` is present.
    #[must_use]
    pub fn rtcp_mux_only(&self) -> bool {
        self.has(&Attribute::RtcpMuxOnly)
    }

    /// Whether `a=rtcp-rsize` is present.
    #[must_use]
    pub fn rtcp_rsize(&self) -> bool {
        self.has(&Attribute::RtcpRsize)
    }

    /// Whether `a=bundle-only` is present.
    #[must_use]
    pub fn bundle_only(&self) -> bool {
        self.has(&Attribute::BundleOnly)
    }

    fn has(&self, a: &Attribute<'_>) -> bool {
        self.attributes().any(|x| x == a)
    }

    /// `a=msid` lines.
    pub fn msids(&self) -> impl Iterator<Item = &Msid<'a>> {
        all_attrs!(self, Attribute::Msid(m) => m)
    }

    /// `a=rtpmap` lines.
    pub fn rtpmaps(&self) -> impl Iterator<Item = &RtpMap<'a>> {
        all_attrs!(self, Attribute::RtpMap(r) => r)
    }

    /// The `a=rtpmap` of payload type `pt`.
    #[must_use]
    pub fn rtpmap(&self, pt: u8) -> Option<&RtpMap<'a>> {
        self.rtpmaps().find(|r| r.payload_type == pt)
    }

    /// `a=fmtp` lines.
    pub fn fmtps(&self) -> impl Iterator<Item = &Fmtp<'a>> {
        all_attrs!(self, Attribute::Fmtp(f) => f)
    }

    /// The `a=fmtp` of payload type `pt`.
    #[must_use]
    pub fn fmtp(&self, pt: u8) -> Option<&Fmtp<'a>> {
        self.fmtps().find(|f| f.payload_type == pt)
    }

    /// `a=rtcp-fb` lines.
    pub fn rtcp_fbs(&self) -> impl Iterator<Item = &RtcpFb<'a>> {
        all_attrs!(self, Attribute::RtcpFb(f) => f)
    }

    /// `a=extmap` lines.
    pub fn extmaps(&self) -> impl Iterator<Item = &ExtMap<'a>> {
        all_attrs!(self, Attribute::ExtMap(e) => e)
    }

    /// `a=ssrc` lines.
    pub fn ssrcs(&self) -> impl Iterator<Item = &Ssrc<'a>> {
        all_attrs!(self, Attribute::Ssrc(s) => s)
    }

    /// `a=ssrc-group` lines.
    pub fn ssrc_groups(&self) -> impl Iterator<Item = &SsrcGroup<'a>> {
        all_attrs!(self, Attribute::SsrcGroup(g) => g)
    }

    /// `a=rid` lines.
    pub fn rids(&self) -> impl Iterator<Item = &Rid<'a>> {
        all_attrs!(self, Attribute::Rid(r) => r)
    }

    /// `a=simulcast`.
    #[must_use]
    pub fn simulcast(&self) -> Option<&Simulcast<'a>> {
        find_attr!(self, Attribute::Simulcast(s) => s)
    }

    /// `a=sctp-port`.
    #[must_use]
    pub fn sctp_port(&self) -> Option<u16> {
        find_attr!(self, Attribute::SctpPort(p) => *p)
    }

    /// `a=max-message-size`.
    #[must_use]
    pub fn max_message_size(&self) -> Option<u64> {
        find_attr!(self, Attribute::MaxMessageSize(m) => *m)
    }
}
