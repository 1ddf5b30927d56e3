//! Finding the [`Warning`]s of a description from its [`SessionFacts`] and
//! [`SectionFacts`]: transport parameters inherited from the session and the BUNDLE group's
//! first section (RFC 9143 s7), ice-char (RFC 8839 s5.4), private addresses, candidates and
//! trickle (RFC 8840), rtcp-mux (RFC 9143 s9), setup roles (RFC 8842 s5.3), groups
//! (RFC 5888 s5), and why a section has port 0 (RFC 3264 s6).

use wren_sdp::attribute::Setup;
use wren_sdp::{Media, Session};

use super::address::Reach;
use super::codec::CodecFacts;
use super::explain::{
    CandidateFacts, DescriptionKind, SectionFacts, SectionState, SessionFacts, TransportFacts,
};
use super::warn::{Escaping, IceField, Place, RejectReason, SectionRef, Warning};

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
