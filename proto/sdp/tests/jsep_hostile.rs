//! The answerer takes hostile offers: corpus offers with lines dropped, repeated, moved or
//! given other values never make it panic, every offered section is answered once, and
//! every answer parses back to the same model.

#[path = "jsep/common.rs"]
mod common;

use common::{check_round_trip, load, transport};
use proptest::prelude::*;
use wren_sdp::Direction;
use wren_sdp::Session;
use wren_sdp::jsep::{self, Capabilities, Local, MediaKind, Negotiation, Transceiver};

const OFFERS: [&str; 5] = [
    "chromium-156-offer.sdp",
    "chromium-148-offer-simulcast.sdp",
    "firefox-esr-140-offer-simulcast.sdp",
    "aiortc-1.16-offer.sdp",
    "safari-offer-datachannel.sdp",
];

/// Values a mutated line may take (each a valid line on its own, some hostile together).
const LINES: [&str; 16] = [
    "m=video 0 UDP/TLS/RTP/SAVPF 96",
    "m=audio 9 UDP/TLS/RTP/SAVPF 0 8 127",
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
    "a=bundle-only",
    "a=setup:holdconn",
    "a=rtcp-fb:* nack",
    "a=extmap:4096 urn:ietf:params:rtp-hdrext:sdes:mid",
    "a=extmap:15 urn:ietf:params:rtp-hdrext:sdes:mid",
    "a=rid:q send pt=200",
    "a=simulcast:send q;q;~q recv q",
    "a=fmtp:96 apt=96",
    "a=rtpmap:96 rtx/90000",
    "a=fmtp:102 profile-level-id=zzzzzz;packetization-mode=9",
    "a=group:BUNDLE 0 0 9 1",
    "a=mid:0",
    "a=sendonly",
];

#[derive(Debug, Clone)]
enum Edit {
    Drop(usize),
    Repeat(usize),
    Move(usize, usize),
    Insert(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<usize>().prop_map(Edit::Drop),
        any::<usize>().prop_map(Edit::Repeat),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Move(a, b)),
        (any::<usize>(), 0..LINES.len()).prop_map(|(a, l)| Edit::Insert(a, l)),
    ]
}

fn mutate(text: &str, edits: &[Edit]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for e in edits {
        // v= stays first so that most mutants still parse.
        let n = lines.len();
        let at = |i: usize| 1 + i % (n.max(2) - 1);
        match *e {
            Edit::Drop(i) if n > 2 => {
                lines.remove(at(i));
            }
            Edit::Repeat(i) if n > 1 => {
                let l = lines[at(i)].clone();
                lines.insert(at(i), l);
            }
            Edit::Move(a, b) if n > 2 => {
                let l = lines.remove(at(a));
                let b = at(b).min(lines.len());
                lines.insert(b, l);
            }
            Edit::Insert(i, l) => lines.insert(at(i).min(lines.len()), LINES[l].to_owned()),
            _ => {}
        }
    }
    let mut out = lines.join("\r\n");
    out.push_str("\r\n");
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn mutated_offers_are_answered_section_by_section(
        which in 0..OFFERS.len(),
        edits in proptest::collection::vec(edit(), 0..24),
    ) {
        let text = mutate(&load(OFFERS[which]), &edits);
        let Ok(offer) = Session::parse(&text) else { return Ok(()) };
        let caps = Capabilities::default();
        let t = transport();
        let ts = [
            Transceiver::new(MediaKind::Audio, Direction::SendRecv),
            Transceiver::new(MediaKind::Video, Direction::SendOnly),
        ];
        let mut local = Local::new(&caps, &t, 3);
        local.transceivers = &ts;
        let a = jsep::answer(&offer, &local);
        prop_assert_eq!(a.session.media().len(), offer.media().len());
        let mut indices: Vec<usize> = a.rejected.iter().map(|r| r.index).collect();
        indices.dedup();
        prop_assert_eq!(indices.len(), a.rejected.len());
        for r in &a.rejected {
            prop_assert_eq!(a.session.media()[r.index].media_line().port, 0);
        }
        check_round_trip(&a.session);
        // And through a negotiation, twice (a re-offer of the same text).
        let mut n = Negotiation::new(caps.clone(), t.clone(), 3);
        if let Ok(first) = n.handle_offer(&offer) {
            check_round_trip(&first.session);
            let _ = n.handle_offer(&offer);
        }
    }
}
