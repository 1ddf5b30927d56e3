//! Answering an offer (RFC 9429 s5.3.1): one answer section per offered section, in the
//! offer's order and with its mid, each accepted with what both sides support or
//! rejected with port 0 and a typed [`Reason`].
//!
//! Per section: the media kind and protocol (RFC 9429 s5.1.2, s5.1.3), `a=rtcp-mux`
//! (required), codecs ([`negotiate`]: the offerer's payload types),
//! header extensions ([`extmap`](super::extmap): the offerer's ids), the direction
//! ([`direction`](super::direction): RFC 3264 s6.1), the DTLS role
//! ([`setup`](super::setup): RFC 8842 s5.3), simulcast reversed
//! ([`simulcast`](super::simulcast): RFC 8853 s5.3), our sending track's `a=msid` and
//! SSRCs, and the data channel section (RFC 8841). The session's BUNDLE group lists the
//! accepted mids of the offer's group ([`bundle`](super::bundle): RFC 9143 s7.3); our
//! candidates go in its first section and in each accepted section outside the group.

use std::borrow::Cow;

use super::bundle::{answer_bundle, offered_bundle};
use super::capabilities::MediaKind;
use super::codec_lines::{codecs_of, formats, push_codecs};
use super::direction::answer_direction;
use super::extmap::answer_extmaps;
use super::local::Local;
use super::negotiate::{self, Refused};
use super::rejection::{Reason, Rejection};
use super::setup::answer_setup;
use super::simulcast::answer_simulcast;
use super::transceiver::{push_msid, push_ssrcs};
use super::transport::{insert_candidates, origin, push_connection, push_transport};
use crate::attribute::{MsidSemantic, Setup};
use crate::{Attribute, Direction, Media, MediaLine, Session};

/// An answer, the sections it rejected, and which transceiver took which section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The answer itself.
    pub session: Session<'static>,
    /// The offered sections answered with port 0, in order, each with why.
    pub rejected: Vec<Rejection>,
    /// (offered section index, index in [`Local::transceivers`]) for each section a
    /// transceiver of ours took.
    pub bound: Vec<(usize, usize)>,
    /// (offered section index, the codecs left out of an accepted section and why), for
    /// each accepted section that left some out.
    pub refused_codecs: Vec<(usize, Vec<Refused>)>,
}

impl Answer {
    /// The text of the answer.
    #[must_use]
    pub fn to_sdp(&self) -> String {
        self.session.to_string()
    }
}

/// RTP protocols JSEP answers (RFC 9429 s5.1.2): the offer's is echoed.
const RTP_PROTOS: [&str; 4] = [
    "UDP/TLS/RTP/SAVPF",
    "TCP/TLS/RTP/SAVPF",
    "UDP/TLS/RTP/SAVP",
    "RTP/SAVPF",
];
/// Data channel protocols (RFC 8841 s4.1).
const SCTP_PROTOS: [&str; 2] = ["UDP/DTLS/SCTP", "TCP/DTLS/SCTP"];

/// The offer's transport parameters for section `i`: its own, else the session's, else
/// those of the first section of its BUNDLE group.
struct OfferTransport<'s, 'a> {
    offer: &'s Session<'a>,
    tag: Option<&'s Media<'a>>,
}

impl<'a> OfferTransport<'_, 'a> {
    fn check(&self, m: &Media<'a>) -> Result<Option<Setup>, Reason> {
        let ice = |m: &Media<'a>| {
            self.offer.ice_ufrag_of(m).is_some() && self.offer.ice_pwd_of(m).is_some()
        };
        let fp = |m: &Media<'a>| self.offer.fingerprints_of(m).next().is_some();
        if !ice(m) && !self.tag.is_some_and(ice) {
            return Err(Reason::NoIceCredentials);
        }
        if !fp(m) && !self.tag.is_some_and(fp) {
            return Err(Reason::NoFingerprint);
        }
        Ok(self
            .offer
            .setup_of(m)
            .or_else(|| self.tag.and_then(|t| self.offer.setup_of(t))))
    }
}

struct Answering<'l> {
    local: Local<'l>,
    used: Vec<bool>,
    mids: Vec<String>,
    data_taken: bool,
    refused_codecs: Vec<(usize, Vec<Refused>)>,
}

/// Answers `offer` (RFC 9429 s5.3.1). Never fails and never panics, whatever the offer
/// says: a section we cannot take is answered with port 0 and listed in
/// [`Answer::rejected`] with why.
#[must_use]
pub fn answer(offer: &Session<'_>, local: &Local<'_>) -> Answer {
    let bundle = offered_bundle(offer);
    let tag = bundle.first().and_then(|m| offer.media_by_mid(m));
    let transport = OfferTransport { offer, tag };
    let mut a = Answering {
        local: *local,
        used: vec![false; local.transceivers.len()],
        mids: Vec::new(),
        data_taken: false,
        refused_codecs: Vec::new(),
    };
    let mut session = Session::new(origin(local.session_id, local.version));
    let mut rejected = Vec::new();
    let mut bound = Vec::new();
    let mut accepted: Vec<String> = Vec::new();
    for (index, m) in offer.media().iter().enumerate() {
        let mid = m.mid().map(str::to_owned);
        match a.section(index, m, &bundle, &transport) {
            Ok((media, t)) => {
                if let Some(t) = t {
                    bound.push((index, t));
                }
                accepted.extend(mid);
                session.media_mut().push(media);
            }
            Err(reason) => {
                session.media_mut().push(rejected_section(m, &reason));
                rejected.push(Rejection { index, mid, reason });
            }
        }
    }
    let group = answer_bundle(&bundle, &accepted);
    // Candidates: in the first section of the group and in accepted sections outside it.
    let tagged = group.as_ref().map(|g| g.mids[0].to_string());
    for media in session.media_mut() {
        // A section outside the group has its own transport.
        let take = match (&tagged, media.mid()) {
            (Some(t), Some(mid)) => t == mid || !bundle.iter().any(|b| b == mid),
            (None, Some(_)) => true,
            _ => false,
        } && media.media_line().port != 0;
        if take {
            insert_candidates(media, local.transport);
        }
    }
    if let Some(g) = group {
        session.push(Attribute::Group(g));
    }
    if offer.extmap_allow_mixed() {
        session.push(Attribute::ExtmapAllowMixed);
    }
    let streams: Vec<&str> = bound
        .iter()
        .filter_map(|(_, t)| local.transceivers[*t].track.as_ref())
        .map(|t| t.stream_id.as_str())
        .collect();
    session.push(Attribute::MsidSemantic(MsidSemantic {
        semantic: Cow::Borrowed("WMS"),
        ids: Cow::Owned(streams.join(" ")),
    }));
    if local.transport.ice_lite {
        session.push(Attribute::IceLite);
    }
    Answer {
        session,
        rejected,
        bound,
        refused_codecs: a.refused_codecs,
    }
}

/// The answer's section for a rejected offered one: port 0, the offer's protocol and
/// formats, `c=` and its mid (RFC 9429 s5.3.1).
fn rejected_section(m: &Media<'_>, reason: &Reason) -> Media<'static> {
    let line = m.media_line();
    let mut media = Media::new(MediaLine {
        kind: Cow::Owned(line.kind.to_string()),
        port: 0,
        port_count: None,
        proto: Cow::Owned(line.proto.to_string()),
        formats: Cow::Owned(line.formats.to_string()),
    });
    push_connection(&mut media);
    if let (Some(mid), false) = (m.mid(), *reason == Reason::DuplicateMid) {
        media.push(Attribute::Mid(Cow::Owned(mid.to_owned())));
    }
    media.push(Attribute::Direction(Direction::Inactive));
    media
}

impl Answering<'_> {
    /// The accepted answer section for offered `m`, and the transceiver that took it.
    fn section(
        &mut self,
        index: usize,
        m: &Media<'_>,
        bundle: &[String],
        transport: &OfferTransport<'_, '_>,
    ) -> Result<(Media<'static>, Option<usize>), Reason> {
        let mid = m.mid().ok_or(Reason::NoMid)?.to_owned();
        if self.mids.contains(&mid) {
            return Err(Reason::DuplicateMid);
        }
        self.mids.push(mid.clone());
        let in_bundle = bundle.contains(&mid);
        if m.media_line().port == 0 {
            if !m.bundle_only() {
                return Err(Reason::Stopped);
            }
            if !in_bundle {
                return Err(Reason::BundleOnlyOutsideBundle);
            }
        }
        let kind = MediaKind::from_name(m.kind()).ok_or_else(|| Reason::UnknownMedia {
            kind: m.kind().to_owned(),
        })?;
        let proto = &*m.media_line().proto;
        let known = match kind {
            MediaKind::Application => {
                SCTP_PROTOS.contains(&proto)
                    && m.media_line().formats().any(|f| f == "webrtc-datachannel")
            }
            _ => RTP_PROTOS.contains(&proto),
        };
        if !known {
            return Err(Reason::WrongProtocol {
                kind: m.kind().to_owned(),
                proto: proto.to_owned(),
            });
        }
        let offered_setup = transport.check(m)?;
        let setup = answer_setup(offered_setup, self.local.transport.setup)?;
        if kind == MediaKind::Application {
            return self.data(m, mid, setup).map(|d| (d, None));
        }
        self.rtp(index, m, kind, mid, setup)
    }

    fn data(&mut self, m: &Media<'_>, mid: String, setup: Setup) -> Result<Media<'static>, Reason> {
        let data = self
            .local
            .capabilities
            .data
            .ok_or(Reason::DataChannelsDisabled)?;
        if std::mem::replace(&mut self.data_taken, true) {
            return Err(Reason::SecondDataChannel);
        }
        let line = m.media_line();
        let mut media = Media::new(MediaLine {
            kind: Cow::Borrowed("application"),
            port: 9,
            port_count: None,
            proto: Cow::Owned(line.proto.to_string()),
            formats: Cow::Borrowed("webrtc-datachannel"),
        });
        push_connection(&mut media);
        push_transport(&mut media, self.local.transport, setup);
        media.push(Attribute::Mid(Cow::Owned(mid)));
        media.push(Attribute::SctpPort(data.sctp_port));
        media.push(Attribute::MaxMessageSize(data.max_message_size));
        Ok(media)
    }

    /// The transceiver for section `mid` of `kind`: the one with that mid, else the first
    /// of that kind with no mid.
    fn transceiver(&mut self, kind: MediaKind, mid: &str) -> Option<usize> {
        let ts = self.local.transceivers;
        let free = |i: usize| !self.used[i] && ts[i].kind == kind && !ts[i].stopped;
        let i = (0..ts.len())
            .find(|&i| free(i) && ts[i].mid.as_deref() == Some(mid))
            .or_else(|| (0..ts.len()).find(|&i| free(i) && ts[i].mid.is_none()))?;
        self.used[i] = true;
        Some(i)
    }

    fn rtp(
        &mut self,
        index: usize,
        m: &Media<'_>,
        kind: MediaKind,
        mid: String,
        setup: Setup,
    ) -> Result<(Media<'static>, Option<usize>), Reason> {
        if !m.rtcp_mux() {
            return Err(Reason::NoRtcpMux);
        }
        let caps = self.local.capabilities;
        let offered = codecs_of(m);
        let negotiated = negotiate::answer(&offered, caps.codecs(kind))?;
        if !negotiated.refused.is_empty() {
            self.refused_codecs
                .push((index, negotiated.refused.clone()));
        }
        let t = self.transceiver(kind, &mid);
        let transceiver = t.map(|i| &self.local.transceivers[i]);
        let wish = transceiver.map_or(Direction::RecvOnly, |t| t.direction);
        let direction = answer_direction(m.direction(), wish);
        let line = m.media_line();
        let mut media = Media::new(MediaLine {
            kind: Cow::Borrowed(kind.as_str()),
            port: 9,
            port_count: None,
            proto: Cow::Owned(line.proto.to_string()),
            formats: Cow::Owned(formats(&negotiated.codecs)),
        });
        push_connection(&mut media);
        push_transport(&mut media, self.local.transport, setup);
        media.push(Attribute::Mid(Cow::Owned(mid)));
        let offered_ext: Vec<_> = m.extmaps().collect();
        for e in answer_extmaps(&offered_ext, &caps.extensions, kind) {
            media.push(Attribute::ExtMap(e));
        }
        if m.attributes().any(|a| *a == Attribute::ExtmapAllowMixed) {
            media.push(Attribute::ExtmapAllowMixed);
        }
        media.push(Attribute::Direction(direction));
        let track = transceiver
            .and_then(|t| t.track.as_ref())
            .filter(|_| direction.sends());
        if let Some(track) = track {
            push_msid(&mut media, track);
        }
        media.push(Attribute::RtcpMux);
        if m.rtcp_rsize() && caps.rtcp_rsize {
            media.push(Attribute::RtcpRsize);
        }
        push_codecs(&mut media, &negotiated.codecs);
        let kept: Vec<u8> = negotiated.codecs.iter().map(|c| c.payload_type).collect();
        let receive = caps.simulcast && direction.receives();
        if let Some((rids, sim)) = answer_simulcast(m, &kept, receive) {
            for r in rids {
                media.push(Attribute::Rid(r));
            }
            media.push(Attribute::Simulcast(sim));
        }
        if let Some(track) = track {
            push_ssrcs(&mut media, track);
        }
        Ok((media, t))
    }
}
