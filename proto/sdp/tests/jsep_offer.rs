//! Creating an offer (RFC 9429 s5.2.1): sections, mids, BUNDLE, actpass, every capability;
//! and our offer answered by our own answerer.

#[path = "jsep/common.rs"]
mod common;

use common::*;
use wren_sdp::attribute::{RidDirection, Setup};
use wren_sdp::jsep::{self, Capabilities, Local, MediaKind, Track, Transceiver, create_offer};
use wren_sdp::{Direction, Session};

fn track(id: &str, ssrc: u32) -> Track {
    Track {
        stream_id: "s".into(),
        track_id: id.into(),
        cname: "c".into(),
        ssrc,
        rtx_ssrc: Some(ssrc + 1),
    }
}

fn transceivers() -> Vec<Transceiver> {
    vec![
        Transceiver::new(MediaKind::Audio, Direction::SendRecv).with_track(track("a", 10)),
        Transceiver::new(MediaKind::Video, Direction::SendOnly)
            .with_track(track("v", 20))
            .with_rids(["q", "h", "f"]),
        Transceiver::new(MediaKind::Video, Direction::RecvOnly),
    ]
}

#[test]
fn a_first_offer_has_every_section_bundled_with_actpass_and_all_capabilities() {
    let caps = Capabilities::default();
    let t = transport();
    let ts = transceivers();
    let mut local = Local::new(&caps, &t, 5);
    local.transceivers = &ts;
    let (offer, bound) = create_offer(&local, true);
    check_round_trip(&offer);
    let mids: Vec<_> = offer.media().iter().map(|m| m.mid().unwrap()).collect();
    assert_eq!(mids, ["0", "1", "2", "3"]);
    assert_eq!(
        bound
            .iter()
            .map(|t| t.mid.as_deref().unwrap())
            .collect::<Vec<_>>(),
        ["0", "1", "2"]
    );
    assert_eq!(
        offer.bundle_mids().collect::<Vec<_>>(),
        ["0", "1", "2", "3"]
    );
    assert!(offer.extmap_allow_mixed());
    assert_eq!(offer.msid_semantic().unwrap().to_string(), " WMS s s");
    assert_eq!(
        offer.origin().unwrap().to_string(),
        "- 5 1 IN IP4 127.0.0.1"
    );
    for m in offer.media() {
        assert_eq!(m.setup(), Some(Setup::ActPass));
        assert!(m.ice_options().unwrap().trickle());
        assert_eq!(m.ice_ufrag(), Some("wren"));
        assert_eq!(m.media_line().port, 9);
    }
    assert_eq!(offer.media()[0].candidates().count(), 1);
    assert_eq!(offer.media()[1].candidates().count(), 0);
    // Every codec we have, with our payload types.
    let caps_pts =
        |codecs: &[jsep::Codec]| codecs.iter().map(|c| c.payload_type).collect::<Vec<_>>();
    assert_eq!(pts(&offer, 0), caps_pts(&caps.audio));
    assert_eq!(pts(&offer, 1), caps_pts(&caps.video));
    // Extensions numbered in our order, per kind.
    let audio_ids: Vec<u16> = offer.media()[0].extmaps().map(|e| e.id).collect();
    assert_eq!(audio_ids, [1, 2, 3, 4]);
    let video_ids: Vec<u16> = offer.media()[1].extmaps().map(|e| e.id).collect();
    assert_eq!(video_ids, [2, 3, 4, 5, 6, 7, 8]);
    // Audio: sendrecv with msid and the FID group.
    let a = &offer.media()[0];
    assert_eq!(a.direction(), Direction::SendRecv);
    assert!(a.rtcp_mux() && a.rtcp_rsize());
    assert_eq!(a.ssrc_groups().next().unwrap().ssrcs, [10, 11]);
    // Video with simulcast: rids and a=simulcast:send, no SSRCs.
    let v = &offer.media()[1];
    assert_eq!(v.direction(), Direction::SendOnly);
    assert_eq!(v.simulcast().unwrap().to_string(), "send q;h;f");
    assert!(v.rids().all(|r| r.direction == RidDirection::Send));
    assert_eq!(v.ssrcs().count(), 0);
    assert_eq!(v.msids().count(), 1);
    // The receive-only video sends no msid.
    assert_eq!(offer.media()[2].msids().count(), 0);
    let d = &offer.media()[3];
    assert_eq!(
        d.media_line().to_string(),
        "application 9 UDP/DTLS/SCTP webrtc-datachannel"
    );
    assert_eq!(d.sctp_port(), Some(5000));
}

#[test]
fn our_offer_answered_by_our_answerer_accepts_everything_and_reverses_simulcast() {
    let caps = Capabilities::default();
    let t = transport();
    let ts = transceivers();
    let mut local = Local::new(&caps, &t, 5);
    local.transceivers = &ts;
    let (offer, _) = create_offer(&local, true);
    let text = offer.to_string();
    let a = answer_text(&text);
    assert!(a.rejected.is_empty(), "{:?}", a.rejected);
    assert_eq!(
        a.session.bundle_mids().collect::<Vec<_>>(),
        ["0", "1", "2", "3"]
    );
    let dirs: Vec<Direction> = a.session.media()[..3]
        .iter()
        .map(|m| m.direction())
        .collect();
    assert_eq!(
        dirs,
        [
            Direction::RecvOnly,
            Direction::RecvOnly,
            Direction::Inactive
        ]
    );
    assert_eq!(
        a.session.media()[1].simulcast().unwrap().to_string(),
        "recv q;h;f"
    );
    // Same capabilities on both sides: every codec kept, with the same payload types.
    assert_eq!(pts(&a.session, 1), pts(&Session::parse(&text).unwrap(), 1));
    assert_eq!(
        extmaps(&a.session, 1),
        extmaps(&Session::parse(&text).unwrap(), 1)
    );
}

#[test]
fn mids_already_set_are_kept_and_others_fill_the_gaps() {
    let caps = Capabilities::default();
    let t = transport();
    let mut ts = transceivers();
    ts[0].mid = Some("1".into());
    let mut local = Local::new(&caps, &t, 5);
    local.transceivers = &ts;
    let (offer, _) = create_offer(&local, false);
    let mids: Vec<_> = offer.media().iter().map(|m| m.mid().unwrap()).collect();
    assert_eq!(mids, ["1", "0", "2"]);
}
