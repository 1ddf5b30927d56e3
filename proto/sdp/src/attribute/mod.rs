//! `a=` lines (RFC 8866 s5.13, s6): the attributes WebRTC uses, typed, and every other
//! attribute kept as its name and value.
//!
//! A known attribute whose value breaks its grammar is a parse error
//! ([`ErrorKind::BadAttribute`]) that names the attribute and what was expected; a
//! property attribute written with a value (`a=rtcp-mux:x`) and any unknown attribute are
//! [`Attribute::Other`].

pub mod bundle;
pub mod direction;
pub mod dtls;
pub mod ice;
pub mod rtp;
pub mod sctp;
pub mod simulcast;
pub mod ssrc;

use std::borrow::Cow;
use std::fmt;

use crate::ErrorKind;
pub use bundle::Group;
pub use direction::Direction;
pub use dtls::{Fingerprint, HashFunction, Setup};
pub use ice::{Candidate, CandidateFields, IceOption, IceOptions};
pub use rtp::{ExtMap, Fmtp, FmtpParam, RtcpFb, RtpMap};
pub use simulcast::{Rid, RidDirection, Simulcast, SimulcastRid, SimulcastStreams};
pub use ssrc::{Msid, MsidSemantic, Ssrc, SsrcGroup};

/// One `a=` line's meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Attribute<'a> {
    /// `a=ice-ufrag` (RFC 8839 s5.4).
    IceUfrag(Cow<'a, str>),
    /// `a=ice-pwd` (RFC 8839 s5.4).
    IcePwd(Cow<'a, str>),
    /// `a=ice-options` (RFC 8839 s5.6).
    IceOptions(IceOptions<'a>),
    /// `a=ice-lite` (RFC 8839 s5.3).
    IceLite,
    /// `a=candidate` (RFC 8839 s5.1).
    Candidate(Candidate<'a>),
    /// `a=end-of-candidates` (RFC 8840 s8.2).
    EndOfCandidates,
    /// `a=fingerprint` (RFC 8122 s5).
    Fingerprint(Fingerprint),
    /// `a=setup` (RFC 4145 s4).
    Setup(Setup),
    /// `a=mid` (RFC 5888 s4).
    Mid(Cow<'a, str>),
    /// `a=group` (RFC 5888 s5).
    Group(Group<'a>),
    /// `a=bundle-only` (RFC 9143 s6).
    BundleOnly,
    /// `a=msid` (RFC 8830 s2).
    Msid(Msid<'a>),
    /// `a=msid-semantic`.
    MsidSemantic(MsidSemantic<'a>),
    /// `a=rtcp-mux` (RFC 5761 s5.1.1).
    RtcpMux,
    /// `a=rtcp-mux-only` (RFC 8858 s3).
    RtcpMuxOnly,
    /// `a=rtcp-rsize` (RFC 5506 s5).
    RtcpRsize,
    /// `a=rtpmap` (RFC 8866 s6.6).
    RtpMap(RtpMap<'a>),
    /// `a=fmtp` (RFC 8866 s6.15).
    Fmtp(Fmtp<'a>),
    /// `a=rtcp-fb` (RFC 4585 s4.2).
    RtcpFb(RtcpFb<'a>),
    /// `a=extmap` (RFC 8285 s8).
    ExtMap(ExtMap<'a>),
    /// `a=extmap-allow-mixed` (RFC 8285 s6).
    ExtmapAllowMixed,
    /// `a=ssrc` (RFC 5576 s4.1).
    Ssrc(Ssrc<'a>),
    /// `a=ssrc-group` (RFC 5576 s4.2).
    SsrcGroup(SsrcGroup<'a>),
    /// `a=rid` (RFC 8851 s10).
    Rid(Rid<'a>),
    /// `a=simulcast` (RFC 8853 s5.1).
    Simulcast(Simulcast<'a>),
    /// `a=sctp-port` (RFC 8841 s5.1).
    SctpPort(u16),
    /// `a=max-message-size` (RFC 8841 s6.1).
    MaxMessageSize(u64),
    /// `a=sendrecv`, `a=sendonly`, `a=recvonly`, `a=inactive` (RFC 8866 s6.7).
    Direction(Direction),
    /// Any other attribute, or a known property attribute written with a value.
    Other {
        /// The name, before `:`.
        name: Cow<'a, str>,
        /// The value after `:`, `None` for a property attribute.
        value: Option<Cow<'a, str>>,
    },
}

/// Turns a value parser's "expected" into this crate's error for attribute `name`.
fn bad(name: &'static str) -> impl FnOnce(&'static str) -> ErrorKind {
    move |expected| ErrorKind::BadAttribute { name, expected }
}

fn text<'a>(name: &'static str, v: &'a str) -> Result<Cow<'a, str>, ErrorKind> {
    let v = v.trim();
    if v.is_empty() || v.contains(' ') {
        return Err(bad(name)("a non-empty value without spaces"));
    }
    Ok(Cow::Borrowed(v))
}

impl<'a> Attribute<'a> {
    /// The meaning of `a=<name>` or `a=<name>:<value>`.
    pub(crate) fn parse(name: &'a str, value: Option<&'a str>) -> Result<Self, ErrorKind> {
        use Attribute as A;
        let Some(v) = value else {
            return Ok(match name {
                "ice-lite" => A::IceLite,
                "end-of-candidates" => A::EndOfCandidates,
                "bundle-only" => A::BundleOnly,
                "rtcp-mux" => A::RtcpMux,
                "rtcp-mux-only" => A::RtcpMuxOnly,
                "rtcp-rsize" => A::RtcpRsize,
                "extmap-allow-mixed" => A::ExtmapAllowMixed,
                "sendrecv" => A::Direction(Direction::SendRecv),
                "sendonly" => A::Direction(Direction::SendOnly),
                "recvonly" => A::Direction(Direction::RecvOnly),
                "inactive" => A::Direction(Direction::Inactive),
                _ => A::Other {
                    name: name.into(),
                    value: None,
                },
            });
        };
        Ok(match name {
            "candidate" => A::Candidate(Candidate(v.into())),
            "ice-ufrag" => A::IceUfrag(text("ice-ufrag", v)?),
            "ice-pwd" => A::IcePwd(text("ice-pwd", v)?),
            "ice-options" => A::IceOptions(IceOptions::parse(v).map_err(bad("ice-options"))?),
            "fingerprint" => A::Fingerprint(Fingerprint::parse(v).map_err(bad("fingerprint"))?),
            "setup" => A::Setup(Setup::parse(v).map_err(bad("setup"))?),
            "mid" => A::Mid(text("mid", v)?),
            "group" => A::Group(Group::parse(v).map_err(bad("group"))?),
            "msid" => A::Msid(Msid::parse(v).map_err(bad("msid"))?),
            "msid-semantic" => {
                A::MsidSemantic(MsidSemantic::parse(v).map_err(bad("msid-semantic"))?)
            }
            "rtpmap" => A::RtpMap(RtpMap::parse(v).map_err(bad("rtpmap"))?),
            "fmtp" => A::Fmtp(Fmtp::parse(v).map_err(bad("fmtp"))?),
            "rtcp-fb" => A::RtcpFb(RtcpFb::parse(v).map_err(bad("rtcp-fb"))?),
            "extmap" => A::ExtMap(ExtMap::parse(v).map_err(bad("extmap"))?),
            "ssrc" => A::Ssrc(Ssrc::parse(v).map_err(bad("ssrc"))?),
            "ssrc-group" => A::SsrcGroup(SsrcGroup::parse(v).map_err(bad("ssrc-group"))?),
            "rid" => A::Rid(Rid::parse(v).map_err(bad("rid"))?),
            "simulcast" => A::Simulcast(Simulcast::parse(v).map_err(bad("simulcast"))?),
            "sctp-port" => A::SctpPort(sctp::parse_sctp_port(v).map_err(bad("sctp-port"))?),
            "max-message-size" => {
                A::MaxMessageSize(sctp::parse_max_message_size(v).map_err(bad("max-message-size"))?)
            }
            _ => A::Other {
                name: name.into(),
                value: Some(v.into()),
            },
        })
    }

    /// The attribute's name, as written after `a=`.
    #[must_use]
    pub fn name(&self) -> &str {
        use Attribute as A;
        match self {
            A::IceUfrag(_) => "ice-ufrag",
            A::IcePwd(_) => "ice-pwd",
            A::IceOptions(_) => "ice-options",
            A::IceLite => "ice-lite",
            A::Candidate(_) => "candidate",
            A::EndOfCandidates => "end-of-candidates",
            A::Fingerprint(_) => "fingerprint",
            A::Setup(_) => "setup",
            A::Mid(_) => "mid",
            A::Group(_) => "group",
            A::BundleOnly => "bundle-only",
            A::Msid(_) => "msid",
            A::MsidSemantic(_) => "msid-semantic",
            A::RtcpMux => "rtcp-mux",
            A::RtcpMuxOnly => "rtcp-mux-only",
            A::RtcpRsize => "rtcp-rsize",
            A::RtpMap(_) => "rtpmap",
            A::Fmtp(_) => "fmtp",
            A::RtcpFb(_) => "rtcp-fb",
            A::ExtMap(_) => "extmap",
            A::ExtmapAllowMixed => "extmap-allow-mixed",
            A::Ssrc(_) => "ssrc",
            A::SsrcGroup(_) => "ssrc-group",
            A::Rid(_) => "rid",
            A::Simulcast(_) => "simulcast",
            A::SctpPort(_) => "sctp-port",
            A::MaxMessageSize(_) => "max-message-size",
            A::Direction(d) => d.as_str(),
            A::Other { name, .. } => name,
        }
    }
}

impl fmt::Display for Attribute<'_> {
    /// `<name>` or `<name>:<value>`, the line without `a=`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Attribute as A;
        f.write_str(self.name())?;
        match self {
            A::IceUfrag(v) | A::IcePwd(v) | A::Mid(v) => write!(f, ":{v}"),
            A::IceOptions(v) => write!(f, ":{v}"),
            A::Candidate(v) => write!(f, ":{v}"),
            A::Fingerprint(v) => write!(f, ":{v}"),
            A::Setup(v) => write!(f, ":{v}"),
            A::Group(v) => write!(f, ":{v}"),
            A::Msid(v) => write!(f, ":{v}"),
            A::MsidSemantic(v) => write!(f, ":{v}"),
            A::RtpMap(v) => write!(f, ":{v}"),
            A::Fmtp(v) => write!(f, ":{v}"),
            A::RtcpFb(v) => write!(f, ":{v}"),
            A::ExtMap(v) => write!(f, ":{v}"),
            A::Ssrc(v) => write!(f, ":{v}"),
            A::SsrcGroup(v) => write!(f, ":{v}"),
            A::Rid(v) => write!(f, ":{v}"),
            A::Simulcast(v) => write!(f, ":{v}"),
            A::SctpPort(v) => write!(f, ":{v}"),
            A::MaxMessageSize(v) => write!(f, ":{v}"),
            A::Other { value: Some(v), .. } => write!(f, ":{v}"),
            A::IceLite
            | A::EndOfCandidates
            | A::BundleOnly
            | A::RtcpMux
            | A::RtcpMuxOnly
            | A::RtcpRsize
            | A::ExtmapAllowMixed
            | A::Direction(_)
            | A::Other { value: None, .. } => Ok(()),
        }
    }
}
