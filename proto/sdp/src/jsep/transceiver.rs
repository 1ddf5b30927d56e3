//! Our media sections' local side (RFC 9429 s4.1.1, s5.2.1): a transceiver's kind, the
//! direction we wish, the track we send in it (its `a=msid`, RFC 8830 s2, and SSRCs with
//! the RTX `FID` group, RFC 5576 s4.2 and RFC 4588 s8) and the rids we send as simulcast
//! (RFC 8853).

use std::borrow::Cow;

use super::capabilities::MediaKind;
use crate::attribute::{Msid, Ssrc, SsrcGroup};
use crate::{Attribute, Direction, Media};

/// A track we send: its stream and track ids, CNAME and SSRCs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Track {
    /// The MediaStream id (`a=msid` first field).
    pub stream_id: String,
    /// The track id (`a=msid` second field).
    pub track_id: String,
    /// The RTCP CNAME (RFC 7022).
    pub cname: String,
    /// The media SSRC.
    pub ssrc: u32,
    /// The RTX SSRC, if the track is sent with retransmission.
    pub rtx_ssrc: Option<u32>,
}

/// One m= section of ours: an RTP transceiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transceiver {
    /// Its mid once negotiated or offered; `None` until then.
    pub mid: Option<String>,
    /// Audio or video.
    pub kind: MediaKind,
    /// The direction we wish (RFC 9429 s4.2.4).
    pub direction: Direction,
    /// The track we send, if any.
    pub track: Option<Track>,
    /// The rids we send as simulcast layers, in order (empty: no simulcast).
    pub rids: Vec<String>,
    /// Whether it is stopped (RFC 9429 s4.2.1): offered with port 0 from now on.
    pub stopped: bool,
}

impl Transceiver {
    /// A transceiver of `kind` that wishes `direction`, with no track.
    #[must_use]
    pub fn new(kind: MediaKind, direction: Direction) -> Transceiver {
        Transceiver {
            mid: None,
            kind,
            direction,
            track: None,
            rids: Vec::new(),
            stopped: false,
        }
    }

    /// With a sending track (builder style).
    #[must_use]
    pub fn with_track(mut self, track: Track) -> Transceiver {
        self.track = Some(track);
        self
    }

    /// With simulcast rids (builder style).
    #[must_use]
    pub fn with_rids<S: Into<String>>(mut self, rids: impl IntoIterator<Item = S>) -> Transceiver {
        self.rids = rids.into_iter().map(Into::into).collect();
        self
    }
}

fn owned(s: &str) -> Cow<'static, str> {
    Cow::Owned(s.to_owned())
}

/// Appends `a=msid` for `track`.
pub(crate) fn push_msid(media: &mut Media<'static>, track: &Track) {
    media.push(Attribute::Msid(Msid {
        stream: owned(&track.stream_id),
        track: Some(owned(&track.track_id)),
    }));
}

/// Appends the `a=ssrc-group:FID` and `a=ssrc` lines (cname, msid) of `track`.
pub(crate) fn push_ssrcs(media: &mut Media<'static>, track: &Track) {
    let mut ssrcs = vec![track.ssrc];
    if let Some(rtx) = track.rtx_ssrc {
        ssrcs.push(rtx);
        media.push(Attribute::SsrcGroup(SsrcGroup {
            semantics: Cow::Borrowed("FID"),
            ssrcs: ssrcs.clone(),
        }));
    }
    for id in ssrcs {
        media.push(Attribute::Ssrc(Ssrc {
            id,
            attribute: Cow::Borrowed("cname"),
            value: Some(owned(&track.cname)),
        }));
        media.push(Attribute::Ssrc(Ssrc {
            id,
            attribute: Cow::Borrowed("msid"),
            value: Some(Cow::Owned(format!(
                "{} {}",
                track.stream_id, track.track_id
            ))),
        }));
    }
}
