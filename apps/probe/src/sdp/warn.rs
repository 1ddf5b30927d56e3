//! Where calls usually break, each a typed [`Warning`]: a rejected section and why, missing
//! DTLS fingerprints (RFC 8122 s5) or ICE credentials (RFC 8839 s5.4), credentials with
//! characters outside ice-char (what a signalling layer that URL- or HTML-escapes leaves),
//! short ones, private-only addresses, no candidates without trickle (RFC 8840), a bundled
//! RTP section without `a=rtcp-mux` (RFC 9143 s9), `a=setup:actpass` in an answer (RFC 8842
//! s5.3), a group naming a mid no section has (RFC 5888 s5, RFC 9143 s7).

use std::fmt;

use wren_sdp::attribute::Setup;
use wren_sdp::{Media, Session};

use super::address::Reach;
use super::codec::CodecFacts;
use super::explain::{
    CandidateFacts, DescriptionKind, SectionFacts, SectionState, SessionFacts, TransportFacts,
};

/// A section, as a warning names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionRef {
    /// Its index, from 0.
    pub index: usize,
    /// `audio`, `video`, `application`, ...
    pub kind: String,
    /// Its mid.
    pub mid: Option<String>,
}

impl SectionRef {
    fn of(s: &SectionFacts) -> SectionRef {
        SectionRef {
            index: s.index,
            kind: s.kind.clone(),
            mid: s.mid.clone(),
        }
    }
}

impl fmt::Display for SectionRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "section {} ({}", self.index, self.kind)?;
        if let Some(mid) = &self.mid {
            write!(f, ", mid {mid}")?;
        }
        f.write_str(")")
    }
}

/// Where a value is written: the session section or a media section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// The session section.
    Session,
    /// A media section.
    Section(SectionRef),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Session => f.write_str("session level"),
            Place::Section(s) => s.fmt(f),
        }
    }
}

/// Which ICE credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IceField {
    /// `a=ice-ufrag`.
    Ufrag,
    /// `a=ice-pwd`.
    Pwd,
}

impl IceField {
    /// The attribute's name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            IceField::Ufrag => "a=ice-ufrag",
            IceField::Pwd => "a=ice-pwd",
        }
    }

    /// The lengths RFC 8839 s5.4 allows.
    #[must_use]
    pub fn lengths(self) -> (usize, usize) {
        match self {
            IceField::Ufrag => (4, 256),
            IceField::Pwd => (22, 256),
        }
    }
}

/// The escaping a value seems to have been through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escaping {
    /// URL (percent) encoding: `%2B` for `+`, `%2F` for `/`.
    Url,
    /// HTML entities: `&#43;`, `&amp;`.
    Html,
}

/// Why a section has port 0, as far as can be told.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RejectReason {
    /// In an offer: the offerer stopped it (RFC 9429 s5.2.2), or keeps a stopped mid.
    StoppedByOfferer,
    /// The offer this answers had stopped it already.
    StoppedInOffer,
    /// The offer and the answer have no codec in common (RFC 3264 s6).
    NoCommonCodec {
        /// The offer's media codecs.
        offered: Vec<String>,
        /// The media codecs the answer lists.
        answered: Vec<String>,
    },
    /// The offer and the answer share codecs: the answerer had another reason.
    OtherThanCodecs {
        /// The codecs both list.
        common: Vec<String>,
    },
    /// An answer rejected it; without the offer, only what the answer lists is known.
    ByAnswerer {
        /// The media codecs the answer lists.
        answered: Vec<String>,
    },
    /// Not known to be an offer or an answer.
    Unknown,
}

/// Where a call may break.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// A section with port 0 (RFC 3264 s6, RFC 9429 s5.3.1).
    Rejected {
        /// The section.
        section: SectionRef,
        /// Why, as far as can be told.
        reason: RejectReason,
    },
    /// Sections with no `a=fingerprint` of their own, their session's or their BUNDLE
    /// group's (RFC 8122 s5, RFC 8842 s5).
    NoFingerprint {
        /// The sections.
        sections: Vec<SectionRef>,
    },
    /// Sections without an ICE credential of their own, their session's or their BUNDLE
    /// group's (RFC 8839 s5.4).
    NoIceCredential {
        /// Which credential.
        field: IceField,
        /// The sections.
        sections: Vec<SectionRef>,
    },
    /// An ICE credential with characters outside ice-char (RFC 8839 s5.4: letters, digits,
    /// `+` and `/`).
    IceChars {
        /// Which credential.
        field: IceField,
        /// The value, for a ufrag (a password is not shown).
        value: Option<String>,
        /// The characters outside ice-char, each once.
        bad: Vec<char>,
        /// The escaping it seems to have been through.
        escaping: Option<Escaping>,
        /// Where it is written.
        places: Vec<Place>,
    },
    /// An ICE credential shorter or longer than RFC 8839 s5.4 allows.
    IceLength {
        /// Which credential.
        field: IceField,
        /// Its length in characters.
        len: usize,
        /// Where it is written.
        places: Vec<Place>,
    },
    /// Every address (`c=` and candidates) is private, loopback, link-local or mDNS.
    PrivateOnly {
        /// The addresses, each once, and how far they reach.
        addresses: Vec<(String, Reach)>,
    },
    /// No candidate in any section, and none to come (no `a=ice-options:trickle`, or
    /// `a=end-of-candidates` said gathering is over) (RFC 8839 s5.1, RFC 8840 s8).
    NoCandidates {
        /// Whether `a=end-of-candidates` is written.
        end_of_candidates: bool,
    },
    /// A bundled RTP section without `a=rtcp-mux` (RFC 9143 s9, RFC 8834 s5.1.1).
    NoRtcpMux {
        /// The section.
        section: SectionRef,
    },
    /// `a=setup:actpass` in an answer, which must choose `active` or `passive` (RFC 8842
    /// s5.3).
    ActPassInAnswer {
        /// Where it is written.
        places: Vec<Place>,
    },
    /// An `a=group` naming mids no section has (RFC 5888 s5, RFC 9143 s7).
    GroupMidMissing {
        /// The group's semantics (`BUNDLE`).
        semantics: String,
        /// The mids, in the group's order.
        mids: Vec<String>,
    },
    /// A candidate wren-ice cannot read (RFC 8839 s5.1).
    UnreadableCandidate {
        /// The section.
        section: SectionRef,
        /// The value after `a=candidate:`.
        text: String,
        /// Why.
        error: String,
    },
}

fn list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T]) -> fmt::Result {
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        x.fmt(f)?;
    }
    Ok(())
}

fn codecs(f: &mut fmt::Formatter<'_>, items: &[String]) -> fmt::Result {
    if items.is_empty() {
        f.write_str("no codec")
    } else {
        list(f, items)
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RejectReason::StoppedByOfferer => {
                f.write_str("the offerer stopped it (RFC 9429 s5.2.2); nothing flows in it")
            }
            RejectReason::StoppedInOffer => f.write_str("the offer had stopped it already"),
            RejectReason::NoCommonCodec { offered, answered } => {
                f.write_str("no codec in common: the offer has ")?;
                codecs(f, offered)?;
                f.write_str("; the answer lists ")?;
                codecs(f, answered)
            }
            RejectReason::OtherThanCodecs { common } => {
                f.write_str("the answerer refused it for another reason than codecs (both list ")?;
                codecs(f, common)?;
                f.write_str(")")
            }
            RejectReason::ByAnswerer { answered } if answered.is_empty() => {
                f.write_str("the answerer refused it")
            }
            RejectReason::ByAnswerer { answered } => {
                f.write_str("the answerer refused it, listing ")?;
                codecs(f, answered)?;
                f.write_str(
                    "; an answer that lists codecs the offer lacks (as Kurento's does) had no \
                     codec in common with it: compare with the offer's (--offer FILE)",
                )
            }
            RejectReason::Unknown => {
                f.write_str("rejected by an answer or stopped by an offer (neither can be told)")
            }
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::Rejected { section, reason } => {
                write!(f, "{section} has port 0: {reason}")
            }
            Warning::NoFingerprint { sections } => {
                f.write_str("no a=fingerprint for ")?;
                list(f, sections)?;
                f.write_str(
                    ": DTLS cannot check the peer's certificate, and browsers refuse the \
                     description (RFC 8122 s5, RFC 8842 s5)",
                )
            }
            Warning::NoIceCredential { field, sections } => {
                write!(f, "no {} for ", field.name())?;
                list(f, sections)?;
                f.write_str(": ICE checks cannot be authenticated (RFC 8839 s5.4)")
            }
            Warning::IceChars {
                field,
                value,
                bad,
                escaping,
                places,
            } => {
                f.write_str(field.name())?;
                if let Some(v) = value {
                    write!(f, " {v:?}")?;
                }
                f.write_str(" (")?;
                list(f, places)?;
                f.write_str(
                    ") has characters outside ice-char (RFC 8839 s5.4: letters, digits, + and /): ",
                )?;
                let bad: Vec<String> = bad.iter().map(|c| format!("{c:?}")).collect();
                list(f, &bad)?;
                match escaping {
                    Some(Escaping::Url) => f.write_str(
                        "; it looks URL-escaped (%2B is +, %2F is /): the signalling layer \
                         changed it, and the peer's checks will fail",
                    ),
                    Some(Escaping::Html) => f.write_str(
                        "; it looks HTML-escaped (&#43; is +): the signalling layer changed \
                         it, and the peer's checks will fail",
                    ),
                    None => f.write_str(
                        "; a signalling layer may have changed it (a + read as a space in a \
                         URL-decoded form), and the peer's checks will fail",
                    ),
                }
            }
            Warning::IceLength { field, len, places } => {
                let (min, max) = field.lengths();
                write!(f, "{} of {len} characters (", field.name())?;
                list(f, places)?;
                write!(
                    f,
                    "): RFC 8839 s5.4 allows {min} to {max}; browsers refuse the description"
                )
            }
            Warning::PrivateOnly { addresses } => {
                f.write_str("every address is private or local: ")?;
                let shown: Vec<String> = addresses
                    .iter()
                    .map(|(a, reach)| format!("{a} ({reach})"))
                    .collect();
                list(f, &shown)?;
                f.write_str(
                    "; a peer on another network cannot reach them: it needs a srflx or relay \
                     candidate (a STUN or TURN server)",
                )
            }
            Warning::NoCandidates {
                end_of_candidates: true,
            } => f.write_str(
                "no candidates, and a=end-of-candidates says none will follow: the peer has no \
                 address to send ICE checks to (RFC 8840 s8.2)",
            ),
            Warning::NoCandidates {
                end_of_candidates: false,
            } => f.write_str(
                "no candidates and no a=ice-options:trickle: none will follow, so the peer has \
                 no address to send ICE checks to (RFC 8839 s5.1, RFC 8840 s4.1.1)",
            ),
            Warning::NoRtcpMux { section } => write!(
                f,
                "{section} is bundled without a=rtcp-mux: bundled sections share one transport, \
                 RTP and RTCP on one port (RFC 9143 s9), and WebRTC requires it (RFC 8834 s5.1.1)"
            ),
            Warning::ActPassInAnswer { places } => {
                f.write_str("a=setup:actpass in an answer (")?;
                list(f, places)?;
                f.write_str(
                    "): the answerer must choose active or passive (RFC 8842 s5.3); no DTLS \
                     role is agreed",
                )
            }
            Warning::GroupMidMissing { semantics, mids } => {
                let (noun, verb) = if mids.len() == 1 {
                    ("mid", "no section has")
                } else {
                    ("mids", "no sections have")
                };
                write!(
                    f,
                    "a=group:{semantics} names {noun} {}, which {verb} (RFC 5888 s5, RFC 9143 s7)",
                    mids.join(" ")
                )
            }
            Warning::UnreadableCandidate {
                section,
                text,
                error,
            } => write!(f, "{section}: candidate {text:?} cannot be read: {error}"),
        }
    }
}

/// The media codecs of `codecs` (not RTX, RED or FEC).
fn media_codecs(codecs: &[CodecFacts]) -> Vec<&CodecFacts> {
    codecs
        .iter()
        .filter(|c| wren_sdp::jsep::CodecKind::from_name(&c.name).is_primary())
        .collect()
}

fn labels(codecs: &[&CodecFacts]) -> Vec<String> {
    codecs.iter().map(|c| c.label.clone()).collect()
}

/// The same codec by name, clock rate and channels (RFC 3264 s6.1: a match beyond that
/// depends on the codec, and is the answerer's to judge).
fn same_codec(a: &CodecFacts, b: &CodecFacts) -> bool {
    a.rtpmap().eq_ignore_ascii_case(&b.rtpmap())
}

/// The warnings of `session`, explained as `facts` and `sections`; `offer` is the offer it
/// answers, if known.
#[must_use]
pub fn check(
    session: &Session<'_>,
    facts: &SessionFacts,
    sections: &[SectionFacts],
    offer: Option<&Session<'_>>,
) -> Vec<Warning> {
    let mut out = groups_missing(facts, sections);
    for s in sections
        .iter()
        .filter(|s| s.state == SectionState::Rejected)
    {
        out.push(Warning::Rejected {
            section: SectionRef::of(s),
            reason: reject_reason(facts.kind, s, offer),
        });
    }
    let active: Vec<(&SectionFacts, &Media<'_>)> = sections
        .iter()
        .zip(session.media())
        .filter(|(s, _)| s.state != SectionState::Rejected)
        .collect();
    transport_warnings(session, facts, sections, &active, &mut out);
    address_warnings(facts, &active, &mut out);
    for (s, _) in &active {
        if s.bundled && s.data.is_none() && !s.rtcp_mux {
            out.push(Warning::NoRtcpMux {
                section: SectionRef::of(s),
            });
        }
    }
    if facts.kind == DescriptionKind::Answer {
        let mut places = Vec::new();
        if facts.transport.setup == Some(Setup::ActPass) {
            places.push(Place::Session);
        }
        places.extend(
            active
                .iter()
                .filter(|(s, _)| s.transport.setup == Some(Setup::ActPass))
                .map(|(s, _)| Place::Section(SectionRef::of(s))),
        );
        if !places.is_empty() {
            out.push(Warning::ActPassInAnswer { places });
        }
    }
    out
}

fn groups_missing(facts: &SessionFacts, sections: &[SectionFacts]) -> Vec<Warning> {
    let mut out = Vec::new();
    for g in &facts.groups {
        let mids: Vec<String> = g
            .mids
            .iter()
            .filter(|mid| {
                !sections
                    .iter()
                    .any(|s| s.mid.as_deref() == Some(mid.as_str()))
            })
            .cloned()
            .collect();
        if !mids.is_empty() {
            out.push(Warning::GroupMidMissing {
                semantics: g.semantics.clone(),
                mids,
            });
        }
    }
    out
}

fn reject_reason(
    kind: DescriptionKind,
    s: &SectionFacts,
    offer: Option<&Session<'_>>,
) -> RejectReason {
    let answer_codecs = media_codecs(&s.codecs);
    let answered = labels(&answer_codecs);
    match (kind, offer) {
        (DescriptionKind::Offer, _) => RejectReason::StoppedByOfferer,
        (DescriptionKind::Answer, Some(offer)) => {
            let Some(o) = offer.media().get(s.index) else {
                return RejectReason::ByAnswerer { answered };
            };
            if o.media_line().port == 0 && !o.bundle_only() {
                return RejectReason::StoppedInOffer;
            }
            let offer_facts = super::codec::codecs(o);
            let offer_codecs = media_codecs(&offer_facts);
            let common: Vec<&CodecFacts> = offer_codecs
                .iter()
                .filter(|c| answer_codecs.iter().any(|a| same_codec(a, c)))
                .copied()
                .collect();
            if common.is_empty() && !(offer_codecs.is_empty() && answer_codecs.is_empty()) {
                RejectReason::NoCommonCodec {
                    offered: labels(&offer_codecs),
                    answered,
                }
            } else {
                RejectReason::OtherThanCodecs {
                    common: labels(&common),
                }
            }
        }
        (DescriptionKind::Answer, None) => RejectReason::ByAnswerer { answered },
        (DescriptionKind::Unknown, _) => RejectReason::Unknown,
    }
}

/// The first BUNDLE group's first section (its transport serves the group), by index.
fn bundle_tag(facts: &SessionFacts, sections: &[SectionFacts]) -> Option<usize> {
    let g = facts
        .groups
        .iter()
        .find(|g| g.semantics.eq_ignore_ascii_case("BUNDLE"))?;
    let first = g.mids.first()?;
    sections
        .iter()
        .position(|s| s.mid.as_deref() == Some(first.as_str()))
}

fn transport_warnings(
    session: &Session<'_>,
    facts: &SessionFacts,
    sections: &[SectionFacts],
    active: &[(&SectionFacts, &Media<'_>)],
    out: &mut Vec<Warning>,
) {
    let tag = bundle_tag(facts, sections).map(|i| &sections[i]);
    let inherits = |s: &SectionFacts, has: &dyn Fn(&TransportFacts) -> bool| {
        has(&s.transport)
            || has(&facts.transport)
            || (s.bundled && tag.is_some_and(|t| has(&t.transport)))
    };
    let missing = |has: &dyn Fn(&TransportFacts) -> bool| -> Vec<SectionRef> {
        active
            .iter()
            .filter(|(s, _)| !inherits(s, has))
            .map(|(s, _)| SectionRef::of(s))
            .collect()
    };
    let fp = missing(&|t| !t.fingerprints.is_empty());
    if !fp.is_empty() {
        out.push(Warning::NoFingerprint { sections: fp });
    }
    let ufrag = missing(&|t| t.ufrag.is_some());
    if !ufrag.is_empty() {
        out.push(Warning::NoIceCredential {
            field: IceField::Ufrag,
            sections: ufrag,
        });
    }
    let pwd = missing(&|t| t.pwd_len.is_some());
    if !pwd.is_empty() {
        out.push(Warning::NoIceCredential {
            field: IceField::Pwd,
            sections: pwd,
        });
    }
    // Each distinct value once, with every place it is written.
    let mut values: Vec<(IceField, String, Vec<Place>)> = Vec::new();
    let mut add = |field, value: Option<&str>, place: Place| {
        if let Some(v) = value {
            match values.iter_mut().find(|(f, x, _)| *f == field && x == v) {
                Some((_, _, places)) => places.push(place),
                None => values.push((field, v.to_owned(), vec![place])),
            }
        }
    };
    add(IceField::Ufrag, session.ice_ufrag(), Place::Session);
    add(IceField::Pwd, session.ice_pwd(), Place::Session);
    for (s, m) in active {
        add(
            IceField::Ufrag,
            m.ice_ufrag(),
            Place::Section(SectionRef::of(s)),
        );
        add(
            IceField::Pwd,
            m.ice_pwd(),
            Place::Section(SectionRef::of(s)),
        );
    }
    for (field, value, places) in values {
        let bad = outside_ice_char(&value);
        if !bad.is_empty() {
            out.push(Warning::IceChars {
                field,
                value: (field == IceField::Ufrag).then(|| value.clone()),
                bad,
                escaping: escaping(&value),
                places: places.clone(),
            });
        }
        let (min, max) = field.lengths();
        let len = value.chars().count();
        if len < min || len > max {
            out.push(Warning::IceLength { field, len, places });
        }
    }
}

/// RFC 8839 s5.4: `ice-char = ALPHA / DIGIT / "+" / "/"`.
fn is_ice_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '+' || c == '/'
}

/// The characters of `value` outside ice-char, each once, in order.
#[must_use]
pub fn outside_ice_char(value: &str) -> Vec<char> {
    let mut bad: Vec<char> = Vec::new();
    for c in value.chars().filter(|&c| !is_ice_char(c)) {
        if !bad.contains(&c) {
            bad.push(c);
        }
    }
    bad
}

/// The escaping `value` seems to have been through: `%` and two hex digits (URL), or `&`
/// then a name or number and `;` (HTML).
#[must_use]
pub fn escaping(value: &str) -> Option<Escaping> {
    let b = value.as_bytes();
    let url = b
        .windows(3)
        .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit());
    if url {
        return Some(Escaping::Url);
    }
    let html = value.split('&').skip(1).any(|rest| {
        rest.split_once(';').is_some_and(|(entity, _)| {
            !entity.is_empty()
                && entity.len() <= 8
                && entity
                    .trim_start_matches('#')
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric())
        })
    });
    html.then_some(Escaping::Html)
}

fn address_warnings(
    facts: &SessionFacts,
    active: &[(&SectionFacts, &Media<'_>)],
    out: &mut Vec<Warning>,
) {
    let mut addresses: Vec<(String, Reach)> = Vec::new();
    let mut push = |a: String, r: Reach| {
        if r.is_address() && !addresses.iter().any(|(x, _)| *x == a) {
            addresses.push((a, r));
        }
    };
    if let Some(c) = &facts.connection {
        push(c.address.clone(), c.reach);
    }
    let mut candidates = 0;
    for (s, _) in active {
        if let Some(c) = &s.connection {
            push(c.address.clone(), c.reach);
        }
        for c in &s.candidates {
            candidates += 1;
            if let (Some(a), Some(r)) = (c.address(), c.reach()) {
                push(a, r);
            }
            if let CandidateFacts::Unreadable { text, error } = c {
                out.push(Warning::UnreadableCandidate {
                    section: SectionRef::of(s),
                    text: text.clone(),
                    error: error.clone(),
                });
            }
        }
    }
    if !addresses.is_empty() && addresses.iter().all(|(_, r)| !r.is_public()) {
        out.push(Warning::PrivateOnly { addresses });
    }
    if candidates == 0 && !active.is_empty() {
        let trickle = facts.transport.ice_options.iter().any(|o| o == "trickle")
            || active
                .iter()
                .any(|(s, _)| s.transport.ice_options.iter().any(|o| o == "trickle"));
        let end = active.iter().any(|(s, _)| s.end_of_candidates);
        if !trickle || end {
            out.push(Warning::NoCandidates {
                end_of_candidates: end,
            });
        }
    }
}
