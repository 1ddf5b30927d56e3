//! Renegotiation (RFC 9429 s5.2.2, s5.3.2, s4.1.8) through `Negotiation`: re-offers that
//! add and stop sections, a stopped section reused, ICE restarts both ways, payload types
//! kept across a re-offer, and the state errors.

#[path = "jsep/common.rs"]
mod common;

use common::*;
use wren_sdp::Session;
use wren_sdp::jsep::{
    Capabilities, MediaKind, Negotiation, Reason, StateError, Transceiver, answer,
};
use wren_sdp::{Direction, jsep::Local};

fn negotiation() -> Negotiation {
    Negotiation::new(Capabilities::default(), transport(), 77)
}

/// Answers `offer` as a peer with the default capabilities would.
fn peer_answer(offer: &Session<'_>) -> String {
    let caps = Capabilities::default();
    let t = transport();
    answer(offer, &Local::new(&caps, &t, 1)).to_sdp()
}

fn mids(s: &Session<'_>) -> Vec<String> {
    s.media()
        .iter()
        .map(|m| m.mid().unwrap_or("").to_owned())
        .collect()
}

fn ports(s: &Session<'_>) -> Vec<u16> {
    s.media().iter().map(|m| m.media_line().port).collect()
}

/// Offers, has the peer answer, and takes the answer; returns the offer's text.
fn round(n: &mut Negotiation) -> String {
    let offer = n.create_offer().unwrap();
    check_round_trip(&offer);
    let text = offer.to_string();
    let answer = peer_answer(&Session::parse(&text).unwrap());
    n.handle_answer(&Session::parse(&answer).unwrap()).unwrap();
    text
}

#[test]
fn a_re_offer_keeps_mids_adds_sections_at_the_end_and_increments_the_version() {
    let mut n = negotiation();
    n.add_transceiver(Transceiver::new(MediaKind::Audio, Direction::SendRecv));
    n.enable_data_channel();
    let first = round(&mut n);
    let first = Session::parse(&first).unwrap();
    assert_eq!(mids(&first), ["0", "1"]);
    assert_eq!(first.origin().unwrap().session_version, 1);
    n.add_transceiver(Transceiver::new(MediaKind::Video, Direction::SendRecv));
    let second = round(&mut n);
    let second = Session::parse(&second).unwrap();
    assert_eq!(mids(&second), ["0", "1", "2"]);
    assert_eq!(second.media()[2].kind(), "video");
    assert_eq!(second.bundle_mids().collect::<Vec<_>>(), ["0", "1", "2"]);
    let o = second.origin().unwrap();
    assert_eq!((o.session_id, o.session_version), (77, 2));
    assert!(n.local_description().unwrap().contains("a=mid:2"));
    assert!(n.remote_description().is_some());
}

#[test]
fn a_re_offer_that_stops_a_section_writes_it_with_port_0_in_place() {
    let mut n = negotiation();
    n.add_transceiver(Transceiver::new(MediaKind::Audio, Direction::SendRecv));
    let video = n.add_transceiver(Transceiver::new(MediaKind::Video, Direction::SendRecv));
    n.add_transceiver(Transceiver::new(MediaKind::Audio, Direction::SendRecv));
    round(&mut n);
    n.stop_transceiver(video);
    let text = round(&mut n);
    let offer = Session::parse(&text).unwrap();
    assert_eq!(mids(&offer), ["0", "1", "2"]);
    assert_eq!(ports(&offer), [9, 0, 9]);
    assert_eq!(offer.media()[1].direction(), Direction::Inactive);
    assert_eq!(offer.bundle_mids().collect::<Vec<_>>(), ["0", "2"]);
    // The peer's answer keeps it stopped.
    let answer_text = peer_answer(&offer);
    let answer = Session::parse(&answer_text).unwrap();
    assert_eq!(ports(&answer), [9, 0, 9]);
    // A new transceiver takes the stopped section's place, with a new mid.
    n.add_transceiver(Transceiver::new(MediaKind::Video, Direction::RecvOnly));
    let text = round(&mut n);
    let offer = Session::parse(&text).unwrap();
    assert_eq!(mids(&offer), ["0", "3", "2"]);
    assert_eq!(ports(&offer), [9, 9, 9]);
    assert_eq!(n.transceivers()[3].mid.as_deref(), Some("3"));
}

#[test]
fn a_section_the_peer_rejects_stops_its_transceiver() {
    let mut n = Negotiation::new(Capabilities::default(), transport(), 77);
    n.add_transceiver(Transceiver::new(MediaKind::Audio, Direction::SendRecv));
    n.enable_data_channel();
    let offer = n.create_offer().unwrap();
    let caps = Capabilities {
        data: None,
        ..Capabilities::default()
    };
    let t = transport();
    let a = answer(&offer, &Local::new(&caps, &t, 1));
    assert_eq!(a.rejected[0].reason, Reason::DataChannelsDisabled);
    n.handle_answer(&a.session).unwrap();
    let again = n.create_offer().unwrap();
    assert_eq!(ports(&again), [9, 0]);
}

#[test]
fn a_remote_re_offer_that_stops_a_section_is_answered_with_port_0() {
    let mut n = negotiation();
    let first = offer_text("0 1", "abcd", &[&audio("0", ""), &video("1", "96", VP8)]);
    let a = n.handle_offer(&Session::parse(&first).unwrap()).unwrap();
    assert_eq!(ports(&a.session), [9, 9]);
    let stopped = video("1", "96", VP8).replace("m=video 9", "m=video 0");
    let second =
        offer_text("0", "abcd", &[&audio("0", ""), &stopped]).replace("o=- 99 1", "o=- 99 2");
    let a = n.handle_offer(&Session::parse(&second).unwrap()).unwrap();
    assert_eq!(ports(&a.session), [9, 0]);
    assert_eq!(a.rejected[0].reason, Reason::Stopped);
    assert_eq!(a.session.origin().unwrap().session_version, 2);
    assert_eq!(a.session.bundle_mids().collect::<Vec<_>>(), ["0"]);
}

#[test]
fn an_ice_restart_offer_is_answered_with_new_credentials() {
    let mut n = negotiation();
    let sections = [audio("0", "")];
    let refs: Vec<&str> = sections.iter().map(String::as_str).collect();
    let a = n
        .handle_offer(&Session::parse(&offer_text("0", "abcd", &refs)).unwrap())
        .unwrap();
    assert_eq!(a.session.media()[0].ice_ufrag(), Some("wren"));
    assert!(!n.ice_restarted());
    // The same credentials again: no restart, the same ufrag.
    let a = n
        .handle_offer(&Session::parse(&offer_text("0", "abcd", &refs)).unwrap())
        .unwrap();
    assert_eq!(a.session.media()[0].ice_ufrag(), Some("wren"));
    assert!(!n.ice_restarted());
    // New credentials: a restart, which needs new ones of ours.
    let restart = offer_text("0", "efgh", &refs);
    assert_eq!(
        n.handle_offer(&Session::parse(&restart).unwrap())
            .unwrap_err(),
        StateError::NoIceCredentials
    );
    n.set_next_ice_credentials(ice("next"));
    let a = n.handle_offer(&Session::parse(&restart).unwrap()).unwrap();
    assert!(n.ice_restarted());
    assert_eq!(a.session.media()[0].ice_ufrag(), Some("next"));
    assert_eq!(
        a.session.media()[0].ice_pwd(),
        Some("next-password-0123456789")
    );
    assert_eq!(n.transport().ice.ufrag, "next");
}

#[test]
fn our_ice_restart_offer_has_new_credentials() {
    let mut n = negotiation();
    n.add_transceiver(Transceiver::new(MediaKind::Audio, Direction::SendRecv));
    round(&mut n);
    n.restart_ice();
    assert_eq!(n.create_offer().unwrap_err(), StateError::NoIceCredentials);
    n.set_next_ice_credentials(ice("next"));
    n.restart_ice();
    let offer = n.create_offer().unwrap();
    assert_eq!(offer.media()[0].ice_ufrag(), Some("next"));
}

#[test]
fn the_answer_to_a_re_offer_keeps_payload_types() {
    let mut n = negotiation();
    let lines = format!("{VP8}a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n");
    let first = offer_text("0", "abcd", &[&video("0", "96 97", &lines)]);
    let a1 = n.handle_offer(&Session::parse(&first).unwrap()).unwrap();
    // The re-offer adds H.264 in front and a section after.
    let h264 = "a=rtpmap:120 H264/90000\r\n\
                a=fmtp:120 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n";
    let second = offer_text(
        "0 1",
        "abcd",
        &[
            &video("0", "120 96 97", &format!("{h264}{lines}")),
            &audio("1", ""),
        ],
    );
    let a2 = n.handle_offer(&Session::parse(&second).unwrap()).unwrap();
    assert_eq!(pts(&a1.session, 0), [96, 97]);
    assert_eq!(pts(&a2.session, 0), [120, 96, 97]);
    assert_eq!(rtpmaps(&a1.session, 0)[..], rtpmaps(&a2.session, 0)[1..]);
    assert_eq!(a2.session.media()[1].mid(), Some("1"));
}

#[test]
fn a_re_offer_that_moves_a_mid_is_refused() {
    let mut n = negotiation();
    let first = offer_text("0 1", "abcd", &[&audio("0", ""), &audio("1", "")]);
    n.handle_offer(&Session::parse(&first).unwrap()).unwrap();
    let swapped = offer_text("0 1", "abcd", &[&audio("1", ""), &audio("0", "")]);
    assert_eq!(
        n.handle_offer(&Session::parse(&swapped).unwrap())
            .unwrap_err(),
        StateError::MidMoved {
            index: 0,
            expected: "0".into()
        }
    );
}

#[test]
fn glare_and_unexpected_answers_are_errors() {
    let mut n = negotiation();
    n.add_transceiver(Transceiver::new(MediaKind::Audio, Direction::SendRecv));
    let other_text = offer_text("0", "abcd", &[&audio("0", "")]);
    let other = Session::parse(&other_text).unwrap();
    assert_eq!(n.handle_answer(&other).unwrap_err(), StateError::NoOfferOut);
    let offer = n.create_offer().unwrap();
    assert_eq!(n.handle_offer(&other).unwrap_err(), StateError::Glare);
    // An answer with a section more than our offer.
    let wrong_text = offer_text("0 1", "abcd", &[&audio("0", ""), &audio("1", "")]);
    let wrong = Session::parse(&wrong_text).unwrap();
    assert_eq!(
        n.handle_answer(&wrong).unwrap_err(),
        StateError::AnswerMismatch { index: 1 }
    );
    let answer_text = peer_answer(&offer);
    n.handle_answer(&Session::parse(&answer_text).unwrap())
        .unwrap();
}

#[test]
fn a_remote_offer_binds_our_transceivers_by_kind_then_by_mid() {
    let mut n = negotiation();
    let v = n.add_transceiver(Transceiver::new(MediaKind::Video, Direction::SendRecv));
    let a = n.add_transceiver(Transceiver::new(MediaKind::Audio, Direction::SendRecv));
    let text = offer_text("x y", "abcd", &[&audio("x", ""), &video("y", "96", VP8)]);
    let ans = n.handle_offer(&Session::parse(&text).unwrap()).unwrap();
    assert_eq!(ans.bound, [(0, a), (1, v)]);
    assert_eq!(n.transceivers()[v].mid.as_deref(), Some("y"));
    assert_eq!(n.transceivers()[a].mid.as_deref(), Some("x"));
    // Our own re-offer keeps their mids and order.
    let offer = n.create_offer().unwrap();
    assert_eq!(mids(&offer), ["x", "y"]);
    assert_eq!(offer.origin().unwrap().session_version, 2);
}

#[test]
fn after_answering_our_re_offer_keeps_the_negotiated_payload_types_and_extension_ids() {
    let mut n = negotiation();
    let t = n.add_transceiver(Transceiver::new(MediaKind::Video, Direction::SendRecv));
    // The peer numbers VP8 120 and its RTX 124, and the mid extension 3.
    let lines = "a=rtpmap:120 VP8/90000\r\na=rtcp-fb:120 nack\r\n\
                 a=rtpmap:124 rtx/90000\r\na=fmtp:124 apt=120\r\n\
                 a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid\r\n";
    let text = offer_text("0", "abcd", &[&video("0", "120 124", lines)]);
    n.handle_offer(&Session::parse(&text).unwrap()).unwrap();
    assert_eq!(n.transceivers()[t].mid.as_deref(), Some("0"));
    // Our re-offer (roles switched) offers what was negotiated, not our own numbering.
    n.add_transceiver(Transceiver::new(MediaKind::Audio, Direction::SendRecv));
    let offer = n.create_offer().unwrap();
    check_round_trip(&offer);
    assert_eq!(mids(&offer), ["0", "1"]);
    assert_eq!(pts(&offer, 0), [120, 124]);
    assert_eq!(
        extmaps(&offer, 0),
        [(3, "urn:ietf:params:rtp-hdrext:sdes:mid".to_owned())]
    );
    // The new audio section offers all of ours.
    assert_eq!(pts(&offer, 1), [111, 0, 8, 110, 126]);
    assert_eq!(offer.origin().unwrap().session_version, 2);
}

#[test]
fn a_remote_re_offer_may_reuse_a_stopped_section_with_a_new_mid() {
    let mut n = negotiation();
    let first = offer_text("0 1", "abcd", &[&audio("0", ""), &video("1", "96", VP8)]);
    n.handle_offer(&Session::parse(&first).unwrap()).unwrap();
    let stopped = video("1", "96", VP8).replace("m=video 9", "m=video 0");
    let second = offer_text("0", "abcd", &[&audio("0", ""), &stopped]);
    n.handle_offer(&Session::parse(&second).unwrap()).unwrap();
    // Mid 1's place taken by mid 2.
    let third = offer_text("0 2", "abcd", &[&audio("0", ""), &video("2", "96", VP8)]);
    let a = n.handle_offer(&Session::parse(&third).unwrap()).unwrap();
    assert!(a.rejected.is_empty(), "{:?}", a.rejected);
    assert_eq!(mids(&a.session), ["0", "2"]);
    assert_eq!(a.session.bundle_mids().collect::<Vec<_>>(), ["0", "2"]);
    // But a live section may not change its mid.
    let moved = offer_text("5 2", "abcd", &[&audio("5", ""), &video("2", "96", VP8)]);
    assert!(matches!(
        n.handle_offer(&Session::parse(&moved).unwrap()),
        Err(StateError::MidMoved { index: 0, .. })
    ));
}

#[test]
fn sections_we_answered_without_a_transceiver_are_re_offered_receive_only() {
    let mut n = negotiation();
    let first = offer_text("0", "abcd", &[&audio("0", "")]);
    n.handle_offer(&Session::parse(&first).unwrap()).unwrap();
    assert_eq!(n.transceivers().len(), 1);
    assert_eq!(n.transceivers()[0].mid.as_deref(), Some("0"));
    let offer = n.create_offer().unwrap();
    assert_eq!(mids(&offer), ["0"]);
    assert_eq!(offer.media()[0].direction(), Direction::RecvOnly);
    assert_eq!(pts(&offer, 0), [111, 0]);
}

#[test]
fn a_re_offer_whose_first_section_is_stopped_is_not_an_ice_restart() {
    // Browsers write the ICE credentials in each section, and none in a stopped one
    // (port 0): the first live section says whether the credentials changed.
    let ice = "a=ice-ufrag:abcd\r\na=ice-pwd:abcd-offer-password-0123\r\n";
    let media_level = |text: String| {
        // The session-level lines come first.
        text.replacen(
            "a=ice-ufrag:abcd\r\na=ice-pwd:abcd-offer-password-0123\r\n",
            "",
            1,
        )
    };
    let mut n = negotiation();
    let first = media_level(offer_text(
        "0 1",
        "abcd",
        &[&audio("0", ice), &video("1", "96", &format!("{VP8}{ice}"))],
    ));
    assert!(Session::parse(&first).unwrap().ice_ufrag().is_none());
    n.handle_offer(&Session::parse(&first).unwrap()).unwrap();
    let stopped = "m=audio 0 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n";
    let second = media_level(offer_text(
        "1",
        "abcd",
        &[stopped, &video("1", "96", &format!("{VP8}{ice}"))],
    ))
    .replace("o=- 99 1", "o=- 99 2");
    // No new credentials were given: a restart would be refused.
    let a = n.handle_offer(&Session::parse(&second).unwrap()).unwrap();
    assert!(!n.ice_restarted());
    assert_eq!(ports(&a.session), [0, 9], "{:?}", a.rejected);
}
