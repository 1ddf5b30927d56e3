//! Simulcast in an answer (RFC 8853 s5.3) and its rids (RFC 8851 s7): the offerer's send
//! streams become our receive streams, each `a=rid` with its direction reversed.

use std::borrow::Cow;

use crate::Media;
use crate::attribute::{Rid, RidDirection, Simulcast, SimulcastRid, SimulcastStreams};

/// At most this many streams, and alternatives per stream, are answered (browsers send
/// three or four; a hostile offer could list thousands).
pub const MAX_STREAMS: usize = 16;

/// The answer's `a=rid` lines and `a=simulcast` to the offered section `offered`, when we
/// receive in it (`receive`): the offer's `send` streams as our `recv` streams. A rid with
/// no `a=rid:<id> send` line in the offer is left out (RFC 8853 s5.3), and so is a rid
/// whose `pt=` names only payload types the answer does not keep (RFC 8851 s7; the others
/// are dropped from its list); streams past [`MAX_STREAMS`] are declined. The offer's `recv` streams are declined: we send no
/// simulcast in an answer. `None` when nothing is left.
#[must_use]
pub fn answer_simulcast(
    offered: &Media<'_>,
    kept: &[u8],
    receive: bool,
) -> Option<(Vec<Rid<'static>>, Simulcast<'static>)> {
    let sim = offered.simulcast()?;
    if !receive || sim.send.is_empty() {
        return None;
    }
    let mut rids: Vec<Rid<'static>> = Vec::new();
    let mut recv: SimulcastStreams<'static> = Vec::new();
    for stream in sim.send.iter().take(MAX_STREAMS) {
        let mut alternatives = Vec::new();
        for alt in stream.iter().take(MAX_STREAMS) {
            let Some(rid) = offered
                .rids()
                .find(|r| r.id == alt.id && r.direction == RidDirection::Send)
            else {
                continue;
            };
            let Some(answered) = answer_rid(rid, kept) else {
                continue;
            };
            if !rids.iter().any(|r| r.id == answered.id) {
                rids.push(answered);
            }
            alternatives.push(SimulcastRid {
                id: Cow::Owned(alt.id.to_string()),
                paused: alt.paused,
            });
        }
        if !alternatives.is_empty() {
            recv.push(alternatives);
        }
    }
    if recv.is_empty() {
        return None;
    }
    Some((
        rids,
        Simulcast {
            send: Vec::new(),
            recv,
        },
    ))
}

/// `rid` reversed, its `pt=` list limited to `kept` (`None` if none of it is kept).
fn answer_rid(rid: &Rid<'_>, kept: &[u8]) -> Option<Rid<'static>> {
    let offered_pts: Vec<u8> = rid.payload_types().collect();
    let pts: Vec<String> = offered_pts
        .iter()
        .filter(|pt| kept.contains(pt))
        .map(ToString::to_string)
        .collect();
    if !offered_pts.is_empty() && pts.is_empty() {
        return None;
    }
    let mut params: Vec<String> = Vec::new();
    if !pts.is_empty() {
        params.push(format!("pt={}", pts.join(",")));
    }
    for (k, v) in rid.restrictions() {
        params.push(match v {
            Some(v) => format!("{k}={v}"),
            None => k.to_owned(),
        });
    }
    Some(Rid {
        id: Cow::Owned(rid.id.to_string()),
        direction: rid.direction.reversed(),
        params: Cow::Owned(params.join(";")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Session;

    fn media(lines: &str) -> String {
        format!(
            "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n\
             m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n{lines}"
        )
    }

    #[test]
    fn send_streams_become_recv_streams_with_rids_reversed() {
        let text = media(
            "a=rid:q send pt=96,97;max-width=320\r\na=rid:h send\r\na=rid:f send\r\n\
             a=simulcast:send q;h;~f recv x\r\n",
        );
        let s = Session::parse(&text).unwrap();
        let (rids, sim) = answer_simulcast(&s.media()[0], &[96], true).unwrap();
        assert_eq!(sim.to_string(), "recv q;h;~f");
        let rids: Vec<String> = rids.iter().map(ToString::to_string).collect();
        assert_eq!(rids, ["q recv pt=96;max-width=320", "h recv", "f recv"]);
        // Not receiving: no simulcast at all.
        assert!(answer_simulcast(&s.media()[0], &[96], false).is_none());
    }

    #[test]
    fn rids_without_lines_or_kept_payload_types_are_left_out() {
        let text = media("a=rid:q send pt=97\r\na=rid:h send\r\na=simulcast:send q;h,z\r\n");
        let s = Session::parse(&text).unwrap();
        let (rids, sim) = answer_simulcast(&s.media()[0], &[96], true).unwrap();
        assert_eq!(sim.to_string(), "recv h");
        assert_eq!(rids.len(), 1);
        let text = media("a=rid:q send pt=97\r\na=simulcast:send q\r\n");
        let s = Session::parse(&text).unwrap();
        assert!(answer_simulcast(&s.media()[0], &[96], true).is_none());
    }
}
