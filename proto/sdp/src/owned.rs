//! `into_owned`: every borrowed text of the model copied, so that a parsed description can
//! outlive the text it was parsed from (`Session<'static>`).

use std::borrow::Cow;

use crate::attribute::*;
use crate::fields::{Bandwidth, Connection, Origin};
use crate::media::MediaLine;
use crate::{Attribute, Line};

/// `c` as an owned `Cow`.
pub(crate) fn own(c: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(c.into_owned())
}

fn own_opt(c: Option<Cow<'_, str>>) -> Option<Cow<'static, str>> {
    c.map(own)
}

impl Line<'_> {
    /// This line with its borrowed text copied.
    #[must_use]
    pub fn into_owned(self) -> Line<'static> {
        match self {
            Line::Version => Line::Version,
            Line::Origin(o) => Line::Origin(Box::new(Origin {
                username: own(o.username),
                session_id: o.session_id,
                session_version: o.session_version,
                net_type: own(o.net_type),
                addr_type: own(o.addr_type),
                address: own(o.address),
            })),
            Line::SessionName(s) => Line::SessionName(own(s)),
            Line::Connection(c) => Line::Connection(Connection {
                net_type: own(c.net_type),
                addr_type: own(c.addr_type),
                address: own(c.address),
            }),
            Line::Bandwidth(b) => Line::Bandwidth(Bandwidth {
                kind: own(b.kind),
                value: b.value,
            }),
            Line::Timing(t) => Line::Timing(t),
            Line::Attribute(a) => Line::Attribute(a.into_owned()),
            Line::Other { kind, value } => Line::Other {
                kind,
                value: own(value),
            },
        }
    }
}

impl MediaLine<'_> {
    /// This `m=` line with its borrowed text copied.
    #[must_use]
    pub fn into_owned(self) -> MediaLine<'static> {
        MediaLine {
            kind: own(self.kind),
            port: self.port,
            port_count: self.port_count,
            proto: own(self.proto),
            formats: own(self.formats),
        }
    }
}

fn simulcast_list(l: SimulcastStreams<'_>) -> SimulcastStreams<'static> {
    l.into_iter()
        .map(|alts| {
            alts.into_iter()
                .map(|r| SimulcastRid {
                    id: own(r.id),
                    paused: r.paused,
                })
                .collect()
        })
        .collect()
}

impl Attribute<'_> {
    /// This attribute with its borrowed text copied.
    #[must_use]
    pub fn into_owned(self) -> Attribute<'static> {
        use Attribute as A;
        match self {
            A::IceUfrag(v) => A::IceUfrag(own(v)),
            A::IcePwd(v) => A::IcePwd(own(v)),
            A::IceOptions(o) => A::IceOptions(o.into_owned()),
            A::IceLite => A::IceLite,
            A::Candidate(c) => A::Candidate(Candidate(own(c.0))),
            A::EndOfCandidates => A::EndOfCandidates,
            A::Fingerprint(f) => A::Fingerprint(f),
            A::Setup(s) => A::Setup(s),
            A::Mid(v) => A::Mid(own(v)),
            A::Group(g) => A::Group(Group {
                semantics: own(g.semantics),
                mids: g.mids.into_iter().map(own).collect(),
            }),
            A::BundleOnly => A::BundleOnly,
            A::Msid(m) => A::Msid(Msid {
                stream: own(m.stream),
                track: own_opt(m.track),
            }),
            A::MsidSemantic(m) => A::MsidSemantic(MsidSemantic {
                semantic: own(m.semantic),
                ids: own(m.ids),
            }),
            A::RtcpMux => A::RtcpMux,
            A::RtcpMuxOnly => A::RtcpMuxOnly,
            A::RtcpRsize => A::RtcpRsize,
            A::RtpMap(r) => A::RtpMap(RtpMap {
                payload_type: r.payload_type,
                encoding: own(r.encoding),
                clock_rate: r.clock_rate,
                channels: r.channels,
            }),
            A::Fmtp(f) => A::Fmtp(Fmtp {
                payload_type: f.payload_type,
                params: own(f.params),
            }),
            A::RtcpFb(f) => A::RtcpFb(RtcpFb {
                payload_type: f.payload_type,
                kind: own(f.kind),
                param: own_opt(f.param),
            }),
            A::ExtMap(e) => A::ExtMap(ExtMap {
                id: e.id,
                direction: e.direction,
                uri: own(e.uri),
                attributes: own_opt(e.attributes),
            }),
            A::ExtmapAllowMixed => A::ExtmapAllowMixed,
            A::Ssrc(s) => A::Ssrc(Ssrc {
                id: s.id,
                attribute: own(s.attribute),
                value: own_opt(s.value),
            }),
            A::SsrcGroup(g) => A::SsrcGroup(SsrcGroup {
                semantics: own(g.semantics),
                ssrcs: g.ssrcs,
            }),
            A::Rid(r) => A::Rid(Rid {
                id: own(r.id),
                direction: r.direction,
                params: own(r.params),
            }),
            A::Simulcast(s) => A::Simulcast(Simulcast {
                send: simulcast_list(s.send),
                recv: simulcast_list(s.recv),
            }),
            A::SctpPort(p) => A::SctpPort(p),
            A::MaxMessageSize(m) => A::MaxMessageSize(m),
            A::Direction(d) => A::Direction(d),
            A::Other { name, value } => A::Other {
                name: own(name),
                value: own_opt(value),
            },
        }
    }
}
