//! Where calls usually break, each a typed [`Warning`] with its text ([`checks`](super::checks)
//! finds them): a rejected section and why, missing
//! DTLS fingerprints (RFC 8122 s5) or ICE credentials (RFC 8839 s5.4), credentials with
//! characters outside ice-char (what a signalling layer that URL- or HTML-escapes leaves),
//! short ones, private-only addresses, no candidates without trickle (RFC 8840), a bundled
//! RTP section without `a=rtcp-mux` (RFC 9143 s9), `a=setup:actpass` in an answer (RFC 8842
//! s5.3), a group naming a mid no section has (RFC 5888 s5, RFC 9143 s7).

use std::fmt;

use super::address::Reach;
use super::explain::SectionFacts;

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
    pub(crate) fn of(s: &SectionFacts) -> SectionRef {
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
