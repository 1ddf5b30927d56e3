//! Creating an offer (RFC 9429 s5.2.1, and s5.2.2 for the sections of a re-offer): one
//! section per transceiver and one for data channels, all bundled, each with every codec
//! and header extension we support, `a=setup:actpass`, `a=ice-options:trickle`; the
//! session with `a=group:BUNDLE`, `a=extmap-allow-mixed` and `a=msid-semantic: WMS`.

use std::borrow::Cow;

use super::capabilities::MediaKind;
use super::codec_lines::{codecs_of, formats, push_codecs};
use super::extmap::offer_extmaps;
use super::local::Local;
use super::transceiver::{Transceiver, push_msid, push_ssrcs};
use super::transport::{insert_candidates, origin, push_connection, push_transport};
use crate::attribute::{
    ExtMap, Group, MsidSemantic, Rid, RidDirection, Setup, Simulcast, SimulcastRid,
};
use crate::{Attribute, Direction, Media, MediaLine, Session};

/// One section of an offer, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferSection<'t> {
    /// An RTP transceiver (its mid must be set), and the section as last negotiated, if
    /// it was: its codecs (with their payload types) and header extension ids are offered
    /// again instead of ours (RFC 9429 s5.2.2; RFC 3264 s8.3.2 keeps a payload type's
    /// meaning for the session).
    Media(&'t Transceiver, Option<&'t Media<'t>>),
    /// The data channel section.
    Data {
        /// Its mid.
        mid: &'t str,
    },
    /// A stopped section, kept in its place with port 0 (RFC 9429 s5.2.2).
    Stopped {
        /// The kind it had.
        kind: MediaKind,
        /// The mid it had.
        mid: &'t str,
    },
}

impl OfferSection<'_> {
    fn mid(&self) -> &str {
        match self {
            OfferSection::Media(t, _) => t.mid.as_deref().unwrap_or(""),
            OfferSection::Data { mid } | OfferSection::Stopped { mid, .. } => mid,
        }
    }
}

/// The mids a first offer gives: each transceiver's own if set, else the lowest unused
/// integer ("0", "1", ...); then the data section's, if `data`.
#[must_use]
pub fn assign_mids(transceivers: &[Transceiver], data: bool) -> (Vec<String>, Option<String>) {
    let mut taken: Vec<String> = transceivers.iter().filter_map(|t| t.mid.clone()).collect();
    let mut next = 0u64;
    let mut fresh = |taken: &mut Vec<String>| loop {
        let mid = next.to_string();
        next += 1;
        if !taken.contains(&mid) {
            taken.push(mid.clone());
            return mid;
        }
    };
    let mids = transceivers
        .iter()
        .map(|t| t.mid.clone().unwrap_or_else(|| fresh(&mut taken)))
        .collect();
    let data = data.then(|| fresh(&mut taken));
    (mids, data)
}

/// A first offer of `local`'s transceivers (stopped ones left out) and, if `data`, a data
/// channel section after them; mids assigned by [`assign_mids`]. Returns the offer and
/// the transceivers with their mids set.
#[must_use]
pub fn create_offer(local: &Local<'_>, data: bool) -> (Session<'static>, Vec<Transceiver>) {
    let live: Vec<Transceiver> = local
        .transceivers
        .iter()
        .filter(|t| !t.stopped)
        .cloned()
        .collect();
    let (mids, data_mid) = assign_mids(&live, data);
    let live: Vec<Transceiver> = live
        .into_iter()
        .zip(mids)
        .map(|(mut t, mid)| {
            t.mid = Some(mid);
            t
        })
        .collect();
    let mut sections: Vec<OfferSection<'_>> =
        live.iter().map(|t| OfferSection::Media(t, None)).collect();
    if let Some(mid) = &data_mid {
        sections.push(OfferSection::Data { mid });
    }
    let offer = offer_sections(local, &sections);
    (offer, live)
}

/// An offer of `sections` in order (RFC 9429 s5.2.1, s5.2.2): every live section bundled,
/// candidates in the first.
#[must_use]
pub fn offer_sections(local: &Local<'_>, sections: &[OfferSection<'_>]) -> Session<'static> {
    let mut session = Session::new(origin(local.session_id, local.version));
    let live: Vec<Cow<'static, str>> = sections
        .iter()
        .filter(|s| !matches!(s, OfferSection::Stopped { .. }))
        .map(|s| Cow::Owned(s.mid().to_owned()))
        .collect();
    if !live.is_empty() {
        session.push(Attribute::Group(Group {
            semantics: Cow::Borrowed("BUNDLE"),
            mids: live,
        }));
    }
    session.push(Attribute::ExtmapAllowMixed);
    let streams: Vec<&str> = sections
        .iter()
        .filter_map(|s| match s {
            OfferSection::Media(t, _) if t.direction.sends() => t.track.as_ref(),
            _ => None,
        })
        .map(|t| t.stream_id.as_str())
        .collect();
    session.push(Attribute::MsidSemantic(MsidSemantic {
        semantic: Cow::Borrowed("WMS"),
        ids: Cow::Owned(streams.join(" ")),
    }));
    if local.transport.ice_lite {
        session.push(Attribute::IceLite);
    }
    let mut first = true;
    for s in sections {
        let mut media = match s {
            OfferSection::Media(t, previous) => rtp_section(local, t, *previous),
            OfferSection::Data { mid } => data_section(local, mid),
            OfferSection::Stopped { kind, mid } => stopped_section(local, *kind, mid),
        };
        if first && !matches!(s, OfferSection::Stopped { .. }) {
            insert_candidates(&mut media, local.transport);
            first = false;
        }
        session.media_mut().push(media);
    }
    session
}

fn line(kind: MediaKind, port: u16, formats: String) -> MediaLine<'static> {
    let proto = match kind {
        MediaKind::Application => "UDP/DTLS/SCTP",
        _ => "UDP/TLS/RTP/SAVPF",
    };
    MediaLine {
        kind: Cow::Borrowed(kind.as_str()),
        port,
        port_count: None,
        proto: Cow::Borrowed(proto),
        formats: Cow::Owned(formats),
    }
}

fn rtp_section(local: &Local<'_>, t: &Transceiver, previous: Option<&Media<'_>>) -> Media<'static> {
    let caps = local.capabilities;
    let negotiated = previous.map(codecs_of).filter(|c| !c.is_empty());
    let codecs = negotiated.as_deref().unwrap_or(caps.codecs(t.kind));
    let extmaps = match previous {
        Some(p) => p
            .extmaps()
            .map(|e| ExtMap {
                id: e.id,
                direction: None,
                uri: Cow::Owned(e.uri.to_string()),
                attributes: None,
            })
            .collect(),
        None => offer_extmaps(&caps.extensions, t.kind),
    };
    let mut media = Media::new(line(t.kind, 9, formats(codecs)));
    push_connection(&mut media);
    push_transport(&mut media, local.transport, Setup::ActPass);
    media.push(Attribute::Mid(Cow::Owned(
        t.mid.clone().unwrap_or_default(),
    )));
    for e in extmaps {
        media.push(Attribute::ExtMap(e));
    }
    media.push(Attribute::Direction(t.direction));
    let track = t.track.as_ref().filter(|_| t.direction.sends());
    if let Some(track) = track {
        push_msid(&mut media, track);
    }
    media.push(Attribute::RtcpMux);
    if caps.rtcp_rsize {
        media.push(Attribute::RtcpRsize);
    }
    push_codecs(&mut media, codecs);
    let simulcast = t.direction.sends() && !t.rids.is_empty();
    if simulcast {
        for id in &t.rids {
            media.push(Attribute::Rid(Rid {
                id: Cow::Owned(id.clone()),
                direction: RidDirection::Send,
                params: Cow::Borrowed(""),
            }));
        }
        let send = t
            .rids
            .iter()
            .map(|id| {
                vec![SimulcastRid {
                    id: Cow::Owned(id.clone()),
                    paused: false,
                }]
            })
            .collect();
        media.push(Attribute::Simulcast(Simulcast {
            send,
            recv: Vec::new(),
        }));
    } else if let Some(track) = track {
        push_ssrcs(&mut media, track);
    }
    media
}

fn data_section(local: &Local<'_>, mid: &str) -> Media<'static> {
    let mut media = Media::new(line(
        MediaKind::Application,
        9,
        "webrtc-datachannel".to_owned(),
    ));
    push_connection(&mut media);
    push_transport(&mut media, local.transport, Setup::ActPass);
    media.push(Attribute::Mid(Cow::Owned(mid.to_owned())));
    let data = local.capabilities.data.unwrap_or_default();
    media.push(Attribute::SctpPort(data.sctp_port));
    media.push(Attribute::MaxMessageSize(data.max_message_size));
    media
}

/// A stopped section: port 0, `a=inactive`, its mid (as Firefox writes one).
fn stopped_section(local: &Local<'_>, kind: MediaKind, mid: &str) -> Media<'static> {
    let formats = match kind {
        MediaKind::Application => "webrtc-datachannel".to_owned(),
        _ => local
            .capabilities
            .codecs(kind)
            .first()
            .map_or_else(|| "0".to_owned(), |c| c.payload_type.to_string()),
    };
    let mut media = Media::new(line(kind, 0, formats));
    push_connection(&mut media);
    media.push(Attribute::Direction(Direction::Inactive));
    media.push(Attribute::Mid(Cow::Owned(mid.to_owned())));
    media
}
