//! What an offer/answer exchange means for RTP mode (RFC 9429 s5.10 applied to the media
//! part): each accepted RTP section becomes a [`NegotiatedMedia`] with the codecs both
//! sides took, our sending track's SSRCs and the peer's, and the media part gets the
//! streams: a send stream for our track (with RTX when an `rtx` codec was negotiated, RFC
//! 4588 section 8), a receive stream per source the peer announced (`a=ssrc`, RTX paired by
//! `a=ssrc-group:FID`, RFC 5576 section 4.2), NACK where `a=rtcp-fb:* nack` was agreed
//! (RFC 4585 section 4.2), and the transport-wide sequence number's extension id.
//!
//! A peer that announces no SSRCs (simulcast by rid, RFC 8853) has each source learned
//! from its first packet: the `mid` header extension (RFC 9143 s15) names the section and
//! `rtp-stream-id` (RFC 8852) the layer; [`crate::Event::RemoteSource`] reports it.

use wren_sdp::jsep::codec_lines::codecs_of;
use wren_sdp::jsep::{Codec, CodecKind, MediaKind as SdpKind, Track, Transceiver};
use wren_sdp::{Direction, Media, Session};

use super::Peer;
use crate::{MediaKind, ReceiveStream, Rtx, SendStream};

/// Sources learned per section at most (simulcast has three layers; a peer that keeps
/// changing SSRCs cannot grow the state without bound).
const MAX_LEARNED_SOURCES: usize = 16;

/// One negotiated RTP m-section, after an offer/answer exchange completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiatedMedia {
    /// Its `a=mid`.
    pub mid: String,
    /// Audio or video.
    pub kind: SdpKind,
    /// Our direction as negotiated: we send when both our side and the peer's allow it.
    pub direction: Direction,
    /// The codecs both sides took, with the payload types on the wire (RTX, RED and FEC
    /// included).
    pub codecs: Vec<Codec>,
    /// The header extensions both took (RFC 8285 `a=extmap`): `(id, URI)`.
    pub extensions: Vec<(u8, String)>,
    /// Our track's SSRC when we send in this section.
    pub send_ssrc: Option<u32>,
    /// Our track's RTX SSRC, when RTX was negotiated.
    pub send_rtx_ssrc: Option<u32>,
    /// The peer's media sources in this section (its `a=ssrc` lines, RTX sources left out).
    pub remote_ssrcs: Vec<u32>,
    /// The peer's RTX source for each of `remote_ssrcs` that has one (`a=ssrc-group:FID`).
    pub remote_rtx_ssrcs: Vec<(u32, u32)>,
    /// The rids of sources learned from their packets (RFC 8852 `rtp-stream-id`), for
    /// simulcast layers the SDP gave no SSRC for.
    pub remote_rids: Vec<(u32, String)>,
}

impl NegotiatedMedia {
    /// The first primary codec (the one a sender uses unless told otherwise).
    #[must_use]
    pub fn primary_codec(&self) -> Option<&Codec> {
        self.codecs.iter().find(|c| c.kind().is_primary())
    }

    /// `(media payload type, RTX payload type)` pairs (RFC 4588 section 8.6: `apt`).
    #[must_use]
    pub fn rtx_payload_types(&self) -> Vec<(u8, u8)> {
        self.codecs
            .iter()
            .filter(|c| c.kind() == CodecKind::Rtx)
            .filter_map(|c| Some((c.apt()?, c.payload_type)))
            .collect()
    }

    /// The id of header extension `uri` in this section, if both took it.
    #[must_use]
    pub fn extension_id(&self, uri: &str) -> Option<u8> {
        self.extensions
            .iter()
            .find(|(_, u)| u == uri)
            .map(|&(id, _)| id)
    }

    /// Whether generic NACK (`a=rtcp-fb:<pt> nack`, no parameter) was agreed for a
    /// primary codec.
    #[must_use]
    pub fn nack(&self) -> bool {
        self.codecs.iter().any(|c| {
            c.kind().is_primary()
                && c.feedback
                    .iter()
                    .any(|f| f.kind == "nack" && f.param.is_none())
        })
    }
}

/// A direction from whether we send and whether we receive.
fn direction(send: bool, receive: bool) -> Direction {
    match (send, receive) {
        (true, true) => Direction::SendRecv,
        (true, false) => Direction::SendOnly,
        (false, true) => Direction::RecvOnly,
        (false, false) => Direction::Inactive,
    }
}

/// The media sources of a section and their RTX partners: `(media, rtx)` from FID groups,
/// then every other announced source alone.
fn sources(m: &Media<'_>) -> (Vec<u32>, Vec<(u32, u32)>) {
    let pairs: Vec<(u32, u32)> = m
        .ssrc_groups()
        .filter(|g| g.semantics == "FID")
        .filter_map(|g| Some((*g.ssrcs.first()?, *g.ssrcs.get(1)?)))
        .collect();
    let mut media = Vec::new();
    for s in m.ssrcs() {
        let is_rtx = pairs.iter().any(|&(_, r)| r == s.id);
        if !is_rtx && !media.contains(&s.id) {
            media.push(s.id);
        }
    }
    (media, pairs)
}

/// Every accepted RTP section of a completed exchange, from our description and the
/// peer's (matched by mid).
#[must_use]
pub fn negotiated_sections(local: &Session<'_>, remote: &Session<'_>) -> Vec<NegotiatedMedia> {
    let mut out = Vec::new();
    for ours in local.media() {
        let Some(kind) = SdpKind::from_name(ours.kind()) else {
            continue;
        };
        if matches!(kind, SdpKind::Application) || ours.media_line().port == 0 {
            continue;
        }
        let Some(mid) = ours.mid() else { continue };
        let Some(theirs) = remote.media_by_mid(mid) else {
            continue;
        };
        if theirs.media_line().port == 0 && !theirs.bundle_only() {
            continue;
        }
        // The answer's codecs are a subset of the offer's with the same payload types:
        // the ones in both descriptions are the negotiated ones.
        let their_pts: Vec<u8> = theirs.media_line().payload_types().collect();
        let codecs: Vec<Codec> = codecs_of(ours)
            .into_iter()
            .filter(|c| their_pts.contains(&c.payload_type))
            .collect();
        let extensions = ours
            .extmaps()
            .filter(|e| theirs.extmaps().any(|t| t.id == e.id && t.uri == e.uri))
            .filter_map(|e| Some((u8::try_from(e.id).ok()?, e.uri.to_string())))
            .collect();
        let (ours_dir, their_dir) = (ours.direction(), theirs.direction());
        let dir = direction(
            ours_dir.sends() && their_dir.receives(),
            ours_dir.receives() && their_dir.sends(),
        );
        let (our_media, our_pairs) = sources(ours);
        let send_ssrc = our_media.first().copied().filter(|_| dir.sends());
        let send_rtx_ssrc = send_ssrc
            .and_then(|s| our_pairs.iter().find(|p| p.0 == s).map(|p| p.1))
            .filter(|_| codecs.iter().any(|c| c.kind() == CodecKind::Rtx));
        let (remote_ssrcs, remote_rtx_ssrcs) = if dir.receives() {
            sources(theirs)
        } else {
            (Vec::new(), Vec::new())
        };
        out.push(NegotiatedMedia {
            mid: mid.to_owned(),
            kind,
            direction: dir,
            codecs,
            extensions,
            send_ssrc,
            send_rtx_ssrc,
            remote_ssrcs,
            remote_rtx_ssrcs,
            remote_rids: Vec::new(),
        });
    }
    out
}

/// The header extension ids that name a packet's section and layer (RFC 9143 `mid`,
/// RFC 8852 `rtp-stream-id`), as negotiated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SourceIds {
    pub(crate) mid: Option<u8>,
    pub(crate) rid: Option<u8>,
}

/// The id `uri` has in both descriptions' accepted sections.
fn agreed_id(local: &Session<'_>, remote: &Session<'_>, uri: &str) -> Option<u8> {
    local
        .media()
        .iter()
        .filter(|m| m.media_line().port != 0)
        .flat_map(Media::extmaps)
        .filter(|e| e.uri == uri)
        .find(|e| {
            remote
                .media()
                .iter()
                .flat_map(Media::extmaps)
                .any(|r| r.uri == uri && r.id == e.id)
        })
        .and_then(|e| u8::try_from(e.id).ok())
}

impl Peer {
    /// Every negotiated RTP section, as of the last completed offer/answer exchange.
    #[must_use]
    pub fn negotiated_media(&self) -> &[NegotiatedMedia] {
        &self.negotiated
    }

    /// The mid of the section a received SSRC (media or RTX) was announced in.
    #[must_use]
    pub fn mid_of_ssrc(&self, ssrc: u32) -> Option<&str> {
        self.negotiated
            .iter()
            .find(|n| {
                n.remote_ssrcs.contains(&ssrc) || n.remote_rtx_ssrcs.iter().any(|p| p.1 == ssrc)
            })
            .map(|n| n.mid.as_str())
    }

    /// A packet from a source nobody announced (simulcast layers come without `a=ssrc`):
    /// its `mid` header extension names the section, which gets a receive stream for it
    /// (with NACK as negotiated), and [`crate::Event::RemoteSource`] says so. Returns
    /// whether it was learned. Only sources the media part does not know come here.
    pub(super) fn learn_source(&mut self, packet: &[u8]) -> bool {
        let Some(mid_id) = self.source_ids.mid else {
            return false;
        };
        let Ok(p) = wren_rtp::rtp::RtpPacket::parse(packet) else {
            return false;
        };
        let Some(mid) = p
            .extension(mid_id)
            .and_then(|m| std::str::from_utf8(m).ok())
        else {
            return false;
        };
        let rid = self
            .source_ids
            .rid
            .and_then(|id| p.extension(id))
            .and_then(|r| std::str::from_utf8(r).ok())
            .map(str::to_owned);
        let ssrc = p.ssrc();
        let Some(n) = self
            .negotiated
            .iter_mut()
            .find(|n| n.mid == mid && n.direction.receives())
        else {
            return false;
        };
        // Bounded: a section has at most as many sources as simulcast layers and more.
        if n.remote_ssrcs.len() >= MAX_LEARNED_SOURCES {
            return false;
        }
        let kind = match n.kind {
            SdpKind::Audio => MediaKind::Audio,
            _ => MediaKind::Video,
        };
        let clock_rate = n.primary_codec().map_or(90_000, |c| c.clock_rate);
        let stream = ReceiveStream {
            nack: n.nack(),
            ..ReceiveStream::new(ssrc, kind, clock_rate)
        };
        if self.media.add_receive_stream(stream).is_err() {
            return false;
        }
        n.remote_ssrcs.push(ssrc);
        if let Some(rid) = &rid {
            n.remote_rids.push((ssrc, rid.clone()));
        }
        let mid = n.mid.clone();
        self.events
            .push_back(crate::Event::RemoteSource { mid, ssrc, rid });
        true
    }

    /// A transceiver that sends gets a track with fresh SSRCs (and an RTX SSRC for video)
    /// unless the application gave one.
    pub(super) fn with_track(&mut self, mut t: Transceiver) -> Transceiver {
        if t.track.is_none() && t.direction.sends() {
            let n = self.negotiated_tracks;
            self.negotiated_tracks += 1;
            let mut ssrc = || loop {
                let s = self.rng.next_u32();
                if s != 0 {
                    return s;
                }
            };
            let media = ssrc();
            let rtx = matches!(t.kind, SdpKind::Video).then(&mut ssrc);
            t.track = Some(Track {
                stream_id: self.config.media.cname.clone(),
                track_id: format!("{}{n}", t.kind.as_str()),
                cname: self.config.media.cname.clone(),
                ssrc: media,
                rtx_ssrc: rtx,
            });
        }
        t
    }

    /// Applies a completed exchange: the sections, the media part's streams, the data
    /// channel's SCTP parameters. Streams already there stay (a renegotiation adds).
    pub(super) fn bind_negotiation(&mut self) {
        let Some(n) = &self.negotiation else { return };
        let (Some(local), Some(remote)) = (n.local_description(), n.remote_description()) else {
            return;
        };
        let (Ok(local), Ok(remote)) = (Session::parse(local), Session::parse(remote)) else {
            return;
        };
        let sections = negotiated_sections(&local, &remote);
        use wren_sdp::jsep::capabilities::uri;
        if let Some(id) = agreed_id(&local, &remote, uri::TRANSPORT_WIDE_CC) {
            self.media.set_twcc(id);
        }
        self.source_ids = SourceIds {
            mid: agreed_id(&local, &remote, uri::MID),
            rid: agreed_id(&local, &remote, uri::RID),
        };
        // The data channel: the peer's SCTP port and message size limit (RFC 8841 s5,
        // s6); none when no data section was accepted.
        let data = remote.media().iter().find(|m| {
            m.kind() == "application"
                && m.media_line().port != 0
                && local
                    .media_by_mid(m.mid().unwrap_or(""))
                    .is_some_and(|l| l.media_line().port != 0)
        });
        match data {
            Some(m) => self
                .data
                .set_remote_sctp(m.sctp_port(), m.max_message_size()),
            None => self.data.disable(),
        }
        for s in &sections {
            let kind = match s.kind {
                SdpKind::Audio => MediaKind::Audio,
                _ => MediaKind::Video,
            };
            let clock_rate = s.primary_codec().map_or(90_000, |c| c.clock_rate);
            let rtx_pts = s.rtx_payload_types();
            if let Some(ssrc) = s.send_ssrc {
                let rtx = s.send_rtx_ssrc.map(|r| Rtx {
                    ssrc: r,
                    payload_types: rtx_pts.clone(),
                });
                // Already there after a renegotiation: kept as it was.
                let _ = self.media.add_send_stream(SendStream {
                    rtx,
                    ..SendStream::new(ssrc, kind, clock_rate)
                });
            }
            for &ssrc in &s.remote_ssrcs {
                let rtx = s
                    .remote_rtx_ssrcs
                    .iter()
                    .find(|p| p.0 == ssrc)
                    .map(|p| Rtx {
                        ssrc: p.1,
                        payload_types: rtx_pts.clone(),
                    });
                let _ = self.media.add_receive_stream(ReceiveStream {
                    rtx,
                    nack: s.nack(),
                    ..ReceiveStream::new(ssrc, kind, clock_rate)
                });
            }
        }
        self.negotiated = sections;
        self.events.push_back(crate::Event::Negotiated);
    }
}

#[cfg(test)]
mod tests;
