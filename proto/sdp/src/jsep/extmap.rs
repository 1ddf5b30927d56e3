//! Header extensions in an answer (RFC 8285 s5, s8): the offered ones whose URI we
//! support, with the offerer's ids, and the direction rules of s8.

use std::borrow::Cow;

use super::capabilities::{Extension, MediaKind};
use crate::Direction;
use crate::attribute::ExtMap;

/// The ids an answer may use (1-14 one-byte, up to 255 two-byte; RFC 8285 s4.2, s4.3);
/// 4096-4351 are for an offer only and the answer picks an id for them (s5).
const NEGOTIATION_ONLY: std::ops::RangeInclusive<u16> = 4096..=4351;

/// The answer's direction for an extension offered with `offered` (RFC 8285 s8): `sendonly`
/// is answered `recvonly`, `recvonly` `sendonly`, `inactive` `inactive`; no direction
/// (sendrecv) stays unwritten.
fn answer_direction(offered: Option<Direction>) -> Option<Direction> {
    offered.map(Direction::reversed)
}

/// The answer's `a=extmap` lines to `offered` for a section of `kind`: each offered URI we
/// support, once, with its offered id (a negotiation-only id replaced by the lowest free
/// one-byte id, then two-byte id); ids that are not valid are left out, and so is a URI
/// whose id another URI took first.
#[must_use]
pub fn answer_extmaps(
    offered: &[&ExtMap<'_>],
    ours: &[Extension],
    kind: MediaKind,
) -> Vec<ExtMap<'static>> {
    let mut out: Vec<ExtMap<'static>> = Vec::new();
    let mut pending: Vec<ExtMap<'static>> = Vec::new();
    for e in offered {
        let supported = ours.iter().any(|x| x.applies_to(kind) && x.uri == e.uri);
        if !supported || out.iter().chain(&pending).any(|x| x.uri == e.uri) {
            continue;
        }
        let line = ExtMap {
            id: e.id,
            direction: answer_direction(e.direction),
            uri: Cow::Owned(e.uri.to_string()),
            attributes: None,
        };
        if NEGOTIATION_ONLY.contains(&e.id) {
            pending.push(line);
        } else if e.id != 15 && e.id <= 255 && !out.iter().any(|x| x.id == e.id) {
            out.push(line);
        }
    }
    for mut line in pending {
        let free = (1..=255u16).find(|id| *id != 15 && !out.iter().any(|x| x.id == *id));
        if let Some(id) = free {
            line.id = id;
            out.push(line);
        }
    }
    out
}

/// The `a=extmap` lines of an offer for `kind`: each of our extensions that applies,
/// numbered from 1 in our order (so the ids are the same in every offer we make).
#[must_use]
pub fn offer_extmaps(ours: &[Extension], kind: MediaKind) -> Vec<ExtMap<'static>> {
    ours.iter()
        .enumerate()
        .filter(|(_, e)| e.applies_to(kind))
        .filter_map(|(i, e)| {
            Some(ExtMap {
                id: u16::try_from(i + 1).ok()?,
                direction: None,
                uri: Cow::Owned(e.uri.clone()),
                attributes: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsep::capabilities::{Capabilities, uri};

    fn ext(id: u16, dir: Option<Direction>, uri: &str) -> ExtMap<'static> {
        ExtMap {
            id,
            direction: dir,
            uri: Cow::Owned(uri.to_owned()),
            attributes: None,
        }
    }

    #[test]
    fn supported_uris_keep_the_offered_ids_and_directions_are_reversed() {
        let caps = Capabilities::default();
        let offered = [
            ext(3, None, uri::TRANSPORT_WIDE_CC),
            ext(14, None, "urn:ietf:params:rtp-hdrext:toffset"),
            ext(1, Some(Direction::SendOnly), uri::AUDIO_LEVEL),
            ext(4, None, uri::MID),
            ext(4, None, uri::ABS_SEND_TIME),
            ext(15, None, uri::RID),
        ];
        let refs: Vec<&ExtMap<'_>> = offered.iter().collect();
        let a = answer_extmaps(&refs, &caps.extensions, MediaKind::Audio);
        assert_eq!(
            a,
            [
                ext(3, None, uri::TRANSPORT_WIDE_CC),
                ext(1, Some(Direction::RecvOnly), uri::AUDIO_LEVEL),
                ext(4, None, uri::MID),
            ]
        );
    }

    #[test]
    fn a_negotiation_only_id_gets_a_free_one() {
        let caps = Capabilities::default();
        let offered = [ext(4096, None, uri::MID), ext(1, None, uri::ABS_SEND_TIME)];
        let refs: Vec<&ExtMap<'_>> = offered.iter().collect();
        let a = answer_extmaps(&refs, &caps.extensions, MediaKind::Video);
        assert_eq!(
            a,
            [ext(1, None, uri::ABS_SEND_TIME), ext(2, None, uri::MID)]
        );
    }
}
