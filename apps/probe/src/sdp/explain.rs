//! What a description says, as data: the session (origin, offer or answer, groups, ICE and
//! DTLS parameters), then each media section (RFC 8866 s5.14) with its codecs, header
//! extensions, candidates (RFC 8839 s5.1, read with wren-ice's grammar), simulcast layers
//! (RFC 8853), sources (RFC 5576) and data channel (RFC 8841); and the [`Warning`]s.

use wren_ice::{Candidate, CandidateTransport, CandidateType, TcpType};
use wren_sdp::attribute::{HashFunction, RidDirection, Setup, SimulcastStreams};
use wren_sdp::{Direction, Media, Session};

use super::address::{self, Reach};
use super::checks;
use super::codec::{self, CodecFacts};
use super::warn::Warning;
use super::words;

/// Everything `sdp explain` prints, as data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The session section.
    pub session: SessionFacts,
    /// The media sections, in order.
    pub sections: Vec<SectionFacts>,
    /// Where the call may break.
    pub warnings: Vec<Warning>,
}

/// Whether a description is an offer or an answer (RFC 3264, RFC 9429 s5.2, s5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DescriptionKind {
    /// An offer.
    Offer,
    /// An answer.
    Answer,
    /// It cannot tell.
    Unknown,
}

/// How the kind was told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindEvidence {
    /// The caller said so (`--type`, or `--offer` for an answer).
    Stated,
    /// `a=setup:actpass`, which only an offer may say (RFC 8842 s5.2).
    ActPass,
    /// `a=setup:active` or `passive` and no `actpass`: what an answer says (RFC 8842 s5.3).
    ActiveOrPassive,
    /// Both `actpass` and `active` or `passive`.
    Mixed,
    /// No `a=setup` at all.
    NoSetup,
}

/// What the caller knows beyond the text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'s, 'a> {
    /// The kind, when the caller states it.
    pub stated: Option<DescriptionKind>,
    /// The offer this description answers (it is then an answer).
    pub offer: Option<&'s Session<'a>>,
}

/// The `o=` line (RFC 8866 s5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginFacts {
    /// The user name (`-` for browsers).
    pub username: String,
    /// The session id.
    pub session_id: u64,
    /// The version: one more for each new description of the session.
    pub version: u64,
    /// The address (browsers write `127.0.0.1`: it means nothing).
    pub address: String,
}

/// An `a=group` line (RFC 5888 s5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupFacts {
    /// `BUNDLE`, `LS`, ...
    pub semantics: String,
    /// The mids it names.
    pub mids: Vec<String>,
}

/// ICE and DTLS parameters written at one level (session or section).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TransportFacts {
    /// `a=ice-ufrag`.
    pub ufrag: Option<String>,
    /// The length of `a=ice-pwd` (the password itself is not shown).
    pub pwd_len: Option<usize>,
    /// `a=ice-options` tags.
    pub ice_options: Vec<String>,
    /// The hash function of each `a=fingerprint`.
    pub fingerprints: Vec<HashFunction>,
    /// `a=setup`.
    pub setup: Option<Setup>,
}

impl TransportFacts {
    fn of<'a>(attrs: impl Iterator<Item = &'a wren_sdp::Attribute<'a>>) -> TransportFacts {
        use wren_sdp::Attribute as A;
        let mut t = TransportFacts::default();
        for a in attrs {
            match a {
                A::IceUfrag(u) if t.ufrag.is_none() => t.ufrag = Some(u.to_string()),
                A::IcePwd(p) if t.pwd_len.is_none() => t.pwd_len = Some(p.chars().count()),
                A::IceOptions(o) => {
                    t.ice_options
                        .extend(o.iter().map(|o| o.as_str().to_owned()));
                }
                A::Fingerprint(f) => t.fingerprints.push(f.hash()),
                A::Setup(s) if t.setup.is_none() => t.setup = Some(*s),
                _ => {}
            }
        }
        t
    }

    /// Whether nothing is written at this level.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == TransportFacts::default()
    }
}

/// A `c=` address and how far it reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressFacts {
    /// The address as written.
    pub address: String,
    /// How far it reaches.
    pub reach: Reach,
}

/// The session section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFacts {
    /// `o=`.
    pub origin: Option<OriginFacts>,
    /// Offer, answer, or unknown.
    pub kind: DescriptionKind,
    /// How that was told.
    pub evidence: KindEvidence,
    /// `a=group` lines (BUNDLE, RFC 9143).
    pub groups: Vec<GroupFacts>,
    /// `a=ice-lite` (RFC 8839 s5.3): the writer only answers checks.
    pub ice_lite: bool,
    /// Session-level ICE and DTLS parameters (sections inherit them).
    pub transport: TransportFacts,
    /// The session-level `c=`.
    pub connection: Option<AddressFacts>,
    /// `a=extmap-allow-mixed` (RFC 8285 s6).
    pub extmap_allow_mixed: bool,
    /// `a=msid-semantic`, as written.
    pub msid_semantic: Option<String>,
}

/// Whether a section is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionState {
    /// A port other than 0.
    Active,
    /// Port 0: rejected (in an answer) or stopped (RFC 9429 s5.2.2, s5.3.1).
    Rejected,
    /// Port 0 with `a=bundle-only` (RFC 9143 s6): it rides on the BUNDLE transport.
    BundleOnly,
}

/// An `a=extmap` line (RFC 8285 s8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionFacts {
    /// The id in packets.
    pub id: u16,
    /// The URI.
    pub uri: String,
    /// The direction, if the line gives one.
    pub direction: Option<Direction>,
    /// What the extension carries, when known.
    pub meaning: Option<&'static str>,
}

/// An `a=candidate` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CandidateFacts {
    /// Read with wren-ice's grammar (RFC 8839 s5.1).
    Read(Box<Candidate>),
    /// Not a candidate wren-ice reads: the text and why.
    Unreadable {
        /// The value after `a=candidate:`.
        text: String,
        /// wren-ice's error.
        error: String,
    },
}

impl CandidateFacts {
    /// How far the candidate's address reaches, `None` for an unreadable one.
    #[must_use]
    pub fn reach(&self) -> Option<Reach> {
        match self {
            CandidateFacts::Read(c) => Some(match &c.address {
                wren_ice::candidate::Address::Ip(ip) => address::of_ip(*ip),
                wren_ice::candidate::Address::Name(n) => address::of_text(n),
            }),
            CandidateFacts::Unreadable { .. } => None,
        }
    }

    /// The candidate's address as written, `None` for an unreadable one.
    #[must_use]
    pub fn address(&self) -> Option<String> {
        match self {
            CandidateFacts::Read(c) => Some(c.address.to_string()),
            CandidateFacts::Unreadable { .. } => None,
        }
    }
}

/// The words for a candidate type (RFC 8445 s5.1.1).
#[must_use]
pub fn candidate_type(kind: CandidateType) -> &'static str {
    match kind {
        CandidateType::Host => "host",
        CandidateType::ServerReflexive => "srflx (server-reflexive: the address a STUN server saw)",
        CandidateType::PeerReflexive => "prflx (peer-reflexive)",
        CandidateType::Relayed => "relay (a TURN server's address)",
    }
}

/// The transport of a candidate as a word.
#[must_use]
pub fn candidate_transport(c: &Candidate) -> String {
    match (&c.transport, c.tcp_type) {
        (CandidateTransport::Udp, _) => "udp".to_owned(),
        (CandidateTransport::Tcp, Some(t)) => format!(
            "tcp {}",
            match t {
                TcpType::Active => "active",
                TcpType::Passive => "passive",
                TcpType::SimultaneousOpen => "so",
            }
        ),
        (CandidateTransport::Tcp, None) => "tcp".to_owned(),
        (CandidateTransport::Other(t), _) => t.clone(),
    }
}

/// An `a=rid` line (RFC 8851 s10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RidFacts {
    /// The rid.
    pub id: String,
    /// Whether the writer sends or receives the stream.
    pub direction: RidDirection,
    /// The restrictions, as written (may be empty).
    pub params: String,
}

/// One layer of a simulcast list (RFC 8853 s5.1): its rids (alternatives), each paused or
/// not.
pub type Layer = Vec<(String, bool)>;

/// `a=simulcast` (RFC 8853 s5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulcastFacts {
    /// The layers the writer sends.
    pub send: Vec<Layer>,
    /// The layers the writer receives.
    pub recv: Vec<Layer>,
}

fn layers(streams: &SimulcastStreams<'_>) -> Vec<Layer> {
    streams
        .iter()
        .map(|alts| alts.iter().map(|r| (r.id.to_string(), r.paused)).collect())
        .collect()
}

/// An `a=ssrc-group` (RFC 5576 s4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsrcGroupFacts {
    /// `FID` (a source and its retransmissions), `SIM` (simulcast layers), `FEC-FR`, ...
    pub semantics: String,
    /// The sources.
    pub ssrcs: Vec<u32>,
}

/// One source of `a=ssrc` lines (RFC 5576 s4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFacts {
    /// The SSRC.
    pub ssrc: u32,
    /// Its `cname`, if written.
    pub cname: Option<String>,
}

/// The data channel parameters (RFC 8841).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataFacts {
    /// `a=sctp-port`.
    pub sctp_port: Option<u16>,
    /// `a=max-message-size` (absent: 64 KiB, RFC 8841 s6.1).
    pub max_message_size: Option<u64>,
}

/// `a=sctpmap` (draft-ietf-mmusic-sctp-sdp-05, before RFC 8841), as written.
fn sctpmap(m: &Media<'_>) -> Option<String> {
    m.attributes().find_map(|a| match a {
        wren_sdp::Attribute::Other {
            name,
            value: Some(v),
        } if name == "sctpmap" => Some(v.to_string()),
        _ => None,
    })
}

/// One media section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionFacts {
    /// Its index, from 0.
    pub index: usize,
    /// `audio`, `video`, `application`, ...
    pub kind: String,
    /// `a=mid`.
    pub mid: Option<String>,
    /// The `m=` port (9 is JSEP's placeholder, 0 rejects or stops).
    pub port: u16,
    /// The `m=` protocol.
    pub proto: String,
    /// In use, rejected, or bundle-only.
    pub state: SectionState,
    /// The direction (`sendrecv` when none is written).
    pub direction: Direction,
    /// Whether a BUNDLE group names its mid.
    pub bundled: bool,
    /// The section's `c=`.
    pub connection: Option<AddressFacts>,
    /// ICE and DTLS parameters written in the section.
    pub transport: TransportFacts,
    /// `a=rtcp-mux` (RFC 5761).
    pub rtcp_mux: bool,
    /// `a=rtcp-mux-only` (RFC 8858).
    pub rtcp_mux_only: bool,
    /// `a=rtcp-rsize` (RFC 5506).
    pub rtcp_rsize: bool,
    /// The codecs, in the `m=` line's order.
    pub codecs: Vec<CodecFacts>,
    /// Header extensions.
    pub extensions: Vec<ExtensionFacts>,
    /// Candidates.
    pub candidates: Vec<CandidateFacts>,
    /// `a=end-of-candidates` (RFC 8840).
    pub end_of_candidates: bool,
    /// `a=rid` lines.
    pub rids: Vec<RidFacts>,
    /// `a=simulcast`.
    pub simulcast: Option<SimulcastFacts>,
    /// `a=msid` lines, as written.
    pub msids: Vec<String>,
    /// Sources of `a=ssrc` lines, each once.
    pub sources: Vec<SourceFacts>,
    /// `a=ssrc-group` lines.
    pub ssrc_groups: Vec<SsrcGroupFacts>,
    /// The data channel, for an SCTP section.
    pub data: Option<DataFacts>,
    /// `a=sctpmap`, the data channel format of the drafts before RFC 8841, as written.
    pub sctpmap: Option<String>,
}

/// Explains `session`, with what the caller knows in `context`.
#[must_use]
pub fn explain(session: &Session<'_>, context: Context<'_, '_>) -> Explanation {
    let groups: Vec<GroupFacts> = session
        .groups()
        .map(|g| GroupFacts {
            semantics: g.semantics.to_string(),
            mids: g.mids.iter().map(ToString::to_string).collect(),
        })
        .collect();
    let bundled = |mid: Option<&str>| {
        mid.is_some_and(|mid| {
            groups.iter().any(|g| {
                g.semantics.eq_ignore_ascii_case("BUNDLE") && g.mids.iter().any(|m| m == mid)
            })
        })
    };
    let sections: Vec<SectionFacts> = session
        .media()
        .iter()
        .enumerate()
        .map(|(i, m)| section(i, m, bundled(m.mid())))
        .collect();
    let (kind, evidence) = kind_of(session, context);
    let facts = SessionFacts {
        origin: session.origin().map(|o| OriginFacts {
            username: o.username.to_string(),
            session_id: o.session_id,
            version: o.session_version,
            address: o.address.to_string(),
        }),
        kind,
        evidence,
        groups,
        ice_lite: session.ice_lite(),
        transport: TransportFacts::of(session.attributes()),
        connection: session.connection().map(|c| AddressFacts {
            address: c.address.to_string(),
            reach: address::of_text(&c.address),
        }),
        extmap_allow_mixed: session.extmap_allow_mixed(),
        msid_semantic: session.msid_semantic().map(ToString::to_string),
    };
    let warnings = checks::check(session, &facts, &sections, context.offer);
    Explanation {
        session: facts,
        sections,
        warnings,
    }
}

fn kind_of(session: &Session<'_>, context: Context<'_, '_>) -> (DescriptionKind, KindEvidence) {
    if let Some(k) = context.stated {
        return (k, KindEvidence::Stated);
    }
    if context.offer.is_some() {
        return (DescriptionKind::Answer, KindEvidence::Stated);
    }
    let setups: Vec<Setup> = session
        .setup()
        .into_iter()
        .chain(session.media().iter().filter_map(Media::setup))
        .collect();
    let actpass = setups.contains(&Setup::ActPass);
    let chosen = setups
        .iter()
        .any(|s| matches!(s, Setup::Active | Setup::Passive));
    match (actpass, chosen) {
        (true, false) => (DescriptionKind::Offer, KindEvidence::ActPass),
        (false, true) => (DescriptionKind::Answer, KindEvidence::ActiveOrPassive),
        (true, true) => (DescriptionKind::Unknown, KindEvidence::Mixed),
        (false, false) => (DescriptionKind::Unknown, KindEvidence::NoSetup),
    }
}

fn section(index: usize, m: &Media<'_>, bundled: bool) -> SectionFacts {
    let line = m.media_line();
    let state = match (line.port, m.bundle_only()) {
        (0, true) => SectionState::BundleOnly,
        (0, false) => SectionState::Rejected,
        _ => SectionState::Active,
    };
    let mut sources: Vec<SourceFacts> = Vec::new();
    for s in m.ssrcs() {
        let cname = (s.attribute == "cname")
            .then(|| s.value.as_deref().map(str::to_owned))
            .flatten();
        match sources.iter_mut().find(|x| x.ssrc == s.id) {
            Some(x) => {
                if x.cname.is_none() {
                    x.cname = cname;
                }
            }
            None => sources.push(SourceFacts { ssrc: s.id, cname }),
        }
    }
    let sctp = line.proto.to_ascii_uppercase().contains("SCTP");
    SectionFacts {
        index,
        kind: line.kind.to_string(),
        mid: m.mid().map(str::to_owned),
        port: line.port,
        proto: line.proto.to_string(),
        state,
        direction: m.direction(),
        bundled,
        connection: m.connection().map(|c| AddressFacts {
            address: c.address.to_string(),
            reach: address::of_text(&c.address),
        }),
        transport: TransportFacts::of(m.attributes()),
        rtcp_mux: m.rtcp_mux(),
        rtcp_mux_only: m.rtcp_mux_only(),
        rtcp_rsize: m.rtcp_rsize(),
        codecs: if sctp { Vec::new() } else { codec::codecs(m) },
        extensions: m
            .extmaps()
            .map(|e| ExtensionFacts {
                id: e.id,
                uri: e.uri.to_string(),
                direction: e.direction,
                meaning: words::extension(&e.uri),
            })
            .collect(),
        candidates: m
            .candidates()
            .map(
                |c| match format!("candidate:{}", c.as_str()).parse::<Candidate>() {
                    Ok(parsed) => CandidateFacts::Read(Box::new(parsed)),
                    Err(e) => CandidateFacts::Unreadable {
                        text: c.as_str().to_owned(),
                        error: e.to_string(),
                    },
                },
            )
            .collect(),
        end_of_candidates: m.end_of_candidates(),
        rids: m
            .rids()
            .map(|r| RidFacts {
                id: r.id.to_string(),
                direction: r.direction,
                params: r.params.to_string(),
            })
            .collect(),
        simulcast: m.simulcast().map(|s| SimulcastFacts {
            send: layers(&s.send),
            recv: layers(&s.recv),
        }),
        msids: m.msids().map(ToString::to_string).collect(),
        sources,
        ssrc_groups: m
            .ssrc_groups()
            .map(|g| SsrcGroupFacts {
                semantics: g.semantics.to_string(),
                ssrcs: g.ssrcs.clone(),
            })
            .collect(),
        data: sctp.then(|| DataFacts {
            sctp_port: m.sctp_port(),
            max_message_size: m.max_message_size(),
        }),
        sctpmap: sctpmap(m),
    }
}
