//! Offer/answer edge cases (issue 11): each its own test, the expected results taken from
//! RFC 9429, RFC 3264 and the payload formats' matching rules.

#[path = "jsep/common.rs"]
mod common;

use common::*;
use wren_sdp::Session;
use wren_sdp::attribute::Setup;
use wren_sdp::jsep::h264::Profile;
use wren_sdp::jsep::{
    self, Capabilities, Local, MediaKind, Reason, Refusal, SetupPreference, Track, Transceiver,
};
use wren_sdp::{Direction, attribute::HashFunction};

fn answer_with(text: &str, caps: &Capabilities, transceivers: &[Transceiver]) -> jsep::Answer {
    let offer = Session::parse(text).expect("offer parses");
    let transport = transport();
    let mut local = Local::new(caps, &transport, 7);
    local.transceivers = transceivers;
    let a = jsep::answer(&offer, &local);
    check_round_trip(&a.session);
    a
}

#[test]
fn no_common_video_codec_rejects_with_port_0_naming_codecs_on_each_side() {
    let text = offer_text(
        "0 1",
        "abcd",
        &[
            &audio("0", ""),
            &video(
                "1",
                "49 50",
                "a=rtpmap:49 H265/90000\r\na=fmtp:49 level-id=93\r\n\
                 a=rtpmap:50 rtx/90000\r\na=fmtp:50 apt=49\r\n",
            ),
        ],
    );
    let a = answer_text(&text);
    assert_eq!(a.session.media()[1].media_line().port, 0);
    assert_eq!(a.session.media()[1].media_line().formats, "49 50");
    assert_eq!(a.session.media()[1].mid(), Some("1"));
    assert_eq!(a.session.bundle_mids().collect::<Vec<_>>(), ["0"]);
    assert_eq!(a.rejected.len(), 1);
    let r = &a.rejected[0];
    assert_eq!((r.index, r.mid.as_deref()), (1, Some("1")));
    let Reason::NoCommonCodec(e) = &r.reason else {
        panic!("{r}");
    };
    assert_eq!(e.offered[0].codec.name, "H265");
    assert_eq!(e.offered[0].why, Refusal::Unsupported);
    assert_eq!(
        e.offered[1].why,
        Refusal::RepairWithoutCodec { apt: Some(49) }
    );
    assert_eq!(e.supported, Capabilities::default().video);
    let text = r.to_string();
    assert!(
        text.starts_with("section 1 (mid 1) rejected: no common codec: offered H265/90000; we support VP8/90000, VP9/90000 (profile-id=0),"),
        "{text}"
    );
    assert!(text.contains("AV1/90000 (profile=0)"), "{text}");
}

#[test]
fn h264_profile_mismatch_is_refused_naming_both_profiles() {
    let h264 = "a=rtpmap:102 H264/90000\r\n\
                a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f\r\n";
    // Alone: the section is rejected.
    let a = answer_text(&offer_text("0", "abcd", &[&video("0", "102", h264)]));
    let Reason::NoCommonCodec(e) = &a.rejected[0].reason else {
        panic!("{}", a.rejected[0]);
    };
    assert_eq!(
        e.offered[0].why,
        Refusal::H264Profile {
            offered: Some(Profile::Main),
            supported: vec![
                Profile::ConstrainedBaseline,
                Profile::Baseline,
                Profile::High
            ],
        }
    );
    assert_eq!(
        e.offered[0].why.to_string(),
        "H.264 Main offered, we support Constrained Baseline, Baseline, High"
    );
    // Beside VP8: VP8 is kept, H.264 reported among the refused codecs.
    let a = answer_text(&offer_text(
        "0",
        "abcd",
        &[&video("0", "96 102", &format!("{VP8}{h264}"))],
    ));
    assert!(a.rejected.is_empty());
    assert_eq!(pts(&a.session, 0), [96]);
    let (i, refused) = &a.refused_codecs[0];
    assert_eq!((*i, refused[0].codec.payload_type), (0, 102));
    assert!(matches!(refused[0].why, Refusal::H264Profile { .. }));
}

/// Baseline 3.1 (`42001f`), which Chromium offers beside Constrained Baseline and some
/// clients offer alone, is accepted as libwebrtc accepts it, in both packetization modes,
/// with its RTX.
#[test]
fn h264_baseline_42001f_alone_is_accepted() {
    let lines = "a=rtpmap:100 H264/90000\r\n\
                 a=fmtp:100 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n\
                 a=rtpmap:101 rtx/90000\r\na=fmtp:101 apt=100\r\n\
                 a=rtpmap:102 H264/90000\r\n\
                 a=fmtp:102 packetization-mode=0;profile-level-id=42001f\r\n";
    let a = answer_text(&offer_text(
        "0",
        "abcd",
        &[&video("0", "100 101 102", lines)],
    ));
    assert!(a.rejected.is_empty(), "{:?}", a.rejected);
    assert!(a.refused_codecs.is_empty(), "{:?}", a.refused_codecs);
    assert_eq!(pts(&a.session, 0), [100, 101, 102]);
    let v = &a.session.media()[0];
    assert_eq!(v.fmtp(100).unwrap().get("profile-level-id"), Some("42001f"));
    assert_eq!(v.fmtp(100).unwrap().get("packetization-mode"), Some("1"));
    assert_eq!(v.fmtp(101).unwrap().params, "apt=100");
    // No level asymmetry offered for 102: the lower level of the two, the same 3.1.
    assert_eq!(v.fmtp(102).unwrap().get("profile-level-id"), Some("42001f"));
    assert_eq!(v.fmtp(102).unwrap().get("packetization-mode"), Some("0"));
    // Our own offer states it too.
    let caps = Capabilities::default();
    let baseline: Vec<(u8, Option<&str>)> = caps
        .video
        .iter()
        .filter(|c| c.param("profile-level-id") == Some("42001f"))
        .map(|c| (c.payload_type, c.param("packetization-mode")))
        .collect();
    assert_eq!(baseline, [(112, Some("1")), (114, Some("0"))]);
}

#[test]
fn h264_packetization_mode_and_level_follow_rfc_6184() {
    let lines = "a=rtpmap:102 H264/90000\r\n\
                 a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e034\r\n\
                 a=rtpmap:104 H264/90000\r\n\
                 a=fmtp:104 packetization-mode=2;profile-level-id=42e01f\r\n";
    let a = answer_text(&offer_text("0", "abcd", &[&video("0", "102 104", lines)]));
    assert_eq!(pts(&a.session, 0), [102]);
    // Both allow level asymmetry: our level (3.1) is stated.
    let fmtp = a.session.media()[0].fmtp(102).unwrap();
    assert_eq!(fmtp.get("profile-level-id"), Some("42e01f"));
    assert_eq!(fmtp.get("packetization-mode"), Some("1"));
    assert!(matches!(
        a.refused_codecs[0].1[0].why,
        Refusal::H264PacketizationMode { .. }
    ));
}

#[test]
fn rtx_without_its_codec_is_left_out_and_the_rest_kept() {
    let lines = format!(
        "{VP8}a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n\
         a=rtpmap:99 rtx/90000\r\na=fmtp:99 apt=98\r\na=rtpmap:101 rtx/90000\r\n"
    );
    let a = answer_text(&offer_text(
        "0",
        "abcd",
        &[&video("0", "96 97 99 101", &lines)],
    ));
    assert!(a.rejected.is_empty());
    assert_eq!(pts(&a.session, 0), [96, 97]);
    assert_eq!(a.session.media()[0].fmtp(97).unwrap().params, "apt=96");
    let whys: Vec<&Refusal> = a.refused_codecs[0].1.iter().map(|r| &r.why).collect();
    assert_eq!(
        whys,
        [
            &Refusal::RepairWithoutCodec { apt: Some(98) },
            &Refusal::RepairWithoutCodec { apt: None }
        ]
    );
}

#[test]
fn rejected_data_channel_gets_port_0_and_leaves_the_bundle() {
    let caps = Capabilities {
        data: None,
        ..Capabilities::default()
    };
    let text = offer_text("0 1", "abcd", &[&audio("0", ""), &data("1")]);
    let a = answer_with(&text, &caps, &[]);
    let d = &a.session.media()[1];
    assert_eq!(
        d.media_line().to_string(),
        "application 0 UDP/DTLS/SCTP webrtc-datachannel"
    );
    assert_eq!(d.mid(), Some("1"));
    assert_eq!(a.rejected[0].reason, Reason::DataChannelsDisabled);
    assert_eq!(
        a.rejected[0].to_string(),
        "section 1 (mid 1) rejected: data channels are disabled"
    );
    assert_eq!(a.session.bundle_mids().collect::<Vec<_>>(), ["0"]);
    // With data enabled, a second data section is refused.
    let text = offer_text("0 1", "abcd", &[&data("0"), &data("1")]);
    let a = answer_text(&text);
    assert_eq!(a.rejected[0].reason, Reason::SecondDataChannel);
}

#[test]
fn a_section_without_rtcp_mux_is_rejected_with_the_reason() {
    let no_mux = audio("0", "").replace("a=rtcp-mux\r\n", "");
    let a = answer_text(&offer_text("0 1", "abcd", &[&no_mux, &data("1")]));
    assert_eq!(a.rejected[0].reason, Reason::NoRtcpMux);
    assert_eq!(a.session.media()[0].media_line().port, 0);
    // The bundle's first accepted section takes the candidates.
    assert_eq!(a.session.bundle_mids().collect::<Vec<_>>(), ["1"]);
    assert_eq!(a.session.media()[1].candidates().count(), 1);
}

#[test]
fn unknown_media_and_wrong_protocols_are_rejected() {
    let text_section = "m=text 9 UDP/TLS/RTP/SAVPF 98\r\na=mid:0\r\na=rtcp-mux\r\n";
    let plain_rtp = audio("1", "").replace("UDP/TLS/RTP/SAVPF", "RTP/AVP");
    let a = answer_text(&offer_text("0 1", "abcd", &[text_section, &plain_rtp]));
    assert_eq!(
        a.rejected[0].reason,
        Reason::UnknownMedia {
            kind: "text".into()
        }
    );
    assert_eq!(
        a.rejected[1].reason,
        Reason::WrongProtocol {
            kind: "audio".into(),
            proto: "RTP/AVP".into()
        }
    );
    assert!(a.session.bundle_mids().next().is_none());
    assert_eq!(
        a.session.media()[0].media_line().to_string(),
        "text 0 UDP/TLS/RTP/SAVPF 98"
    );
}

#[test]
fn directions_are_answered_per_rfc_3264() {
    let sections = [
        audio("0", "a=sendonly\r\n"),
        audio("1", "a=recvonly\r\n"),
        audio("2", "a=inactive\r\n"),
        audio("3", "a=sendrecv\r\n"),
    ];
    let refs: Vec<&str> = sections.iter().map(String::as_str).collect();
    let text = offer_text("0 1 2 3", "abcd", &refs);
    // Without transceivers we wish to receive only.
    let a = answer_text(&text);
    let dirs: Vec<Direction> = a.session.media().iter().map(|m| m.direction()).collect();
    use Direction::*;
    assert_eq!(dirs, [RecvOnly, Inactive, Inactive, RecvOnly]);
    // Four sendrecv transceivers of ours.
    let ts = vec![Transceiver::new(MediaKind::Audio, SendRecv); 4];
    let a = answer_with(&text, &Capabilities::default(), &ts);
    let dirs: Vec<Direction> = a.session.media().iter().map(|m| m.direction()).collect();
    assert_eq!(dirs, [RecvOnly, SendOnly, Inactive, SendRecv]);
    assert_eq!(a.bound, [(0, 0), (1, 1), (2, 2), (3, 3)]);
}

#[test]
fn our_sending_track_gets_msid_and_ssrcs_with_the_rtx_group() {
    let track = Track {
        stream_id: "stream".into(),
        track_id: "track".into(),
        cname: "cname".into(),
        ssrc: 1111,
        rtx_ssrc: Some(2222),
    };
    let ts = [
        Transceiver::new(MediaKind::Audio, Direction::RecvOnly),
        Transceiver::new(MediaKind::Video, Direction::SendRecv).with_track(track),
    ];
    let lines = format!("{VP8}a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n");
    let text = offer_text(
        "0 1",
        "abcd",
        &[&audio("0", ""), &video("1", "96 97", &lines)],
    );
    let a = answer_with(&text, &Capabilities::default(), &ts);
    let v = &a.session.media()[1];
    assert_eq!(v.direction(), Direction::SendRecv);
    assert_eq!(v.msids().next().unwrap().to_string(), "stream track");
    let group = v.ssrc_groups().next().unwrap();
    assert_eq!(
        (&*group.semantics, group.ssrcs.as_slice()),
        ("FID", &[1111, 2222][..])
    );
    let ssrcs: Vec<String> = v.ssrcs().map(|s| s.to_string()).collect();
    assert_eq!(
        ssrcs,
        [
            "1111 cname:cname",
            "1111 msid:stream track",
            "2222 cname:cname",
            "2222 msid:stream track"
        ]
    );
    assert_eq!(
        a.session.msid_semantic().unwrap().to_string(),
        " WMS stream"
    );
    // The audio transceiver sends nothing: no msid there.
    assert_eq!(a.session.media()[0].msids().count(), 0);
}

#[test]
fn dtls_setup_is_answered_per_rfc_8842() {
    let with_setup = |s: &str| audio("0", "").replace("a=setup:actpass", &format!("a=setup:{s}"));
    let setup_of = |text: &str, pref| {
        let caps = Capabilities::default();
        let mut t = transport();
        t.setup = pref;
        let offer = Session::parse(text).unwrap();
        let a = jsep::answer(&offer, &Local::new(&caps, &t, 1));
        (a.session.media()[0].setup(), a.rejected)
    };
    let active = SetupPreference::Active;
    for (offered, pref, answered) in [
        ("actpass", active, Setup::Active),
        ("actpass", SetupPreference::Passive, Setup::Passive),
        ("active", active, Setup::Passive),
        ("passive", active, Setup::Active),
    ] {
        let text = offer_text("0", "abcd", &[&with_setup(offered)]);
        assert_eq!(setup_of(&text, pref), (Some(answered), vec![]), "{offered}");
    }
    let text = offer_text("0", "abcd", &[&with_setup("holdconn")]);
    let (setup, rejected) = setup_of(&text, active);
    assert_eq!(setup, None);
    assert!(matches!(rejected[0].reason, Reason::HoldConn(_)));
}

#[test]
fn a_bundle_only_section_is_accepted_into_the_bundle() {
    let bundled = audio("1", "a=bundle-only\r\n").replace("m=audio 9", "m=audio 0");
    let a = answer_text(&offer_text("0 1", "abcd", &[&audio("0", ""), &bundled]));
    assert!(a.rejected.is_empty(), "{:?}", a.rejected);
    assert_eq!(a.session.media()[1].media_line().port, 9);
    assert_eq!(a.session.bundle_mids().collect::<Vec<_>>(), ["0", "1"]);
    // Outside the group it has no transport.
    let a = answer_text(&offer_text("0", "abcd", &[&audio("0", ""), &bundled]));
    assert_eq!(a.rejected[0].reason, Reason::BundleOnlyOutsideBundle);
}

#[test]
fn missing_or_duplicate_mids_and_missing_transport_are_rejected() {
    let no_mid = audio("0", "").replace("a=mid:0\r\n", "");
    let a = answer_text(&offer_text(
        "0",
        "abcd",
        &[&no_mid, &audio("0", ""), &audio("0", "")],
    ));
    let reasons: Vec<&Reason> = a.rejected.iter().map(|r| &r.reason).collect();
    assert_eq!(reasons, [&Reason::NoMid, &Reason::DuplicateMid]);
    assert_eq!(a.session.media()[1].media_line().port, 9);
    let no_fp = offer_text("0", "abcd", &[&audio("0", "")])
        .replace(&format!("a=fingerprint:{FINGERPRINT}\r\n"), "");
    assert_eq!(
        answer_text(&no_fp).rejected[0].reason,
        Reason::NoFingerprint
    );
    let no_ice = offer_text("0", "abcd", &[&audio("0", "")]).replace("a=ice-ufrag:abcd\r\n", "");
    assert_eq!(
        answer_text(&no_ice).rejected[0].reason,
        Reason::NoIceCredentials
    );
}

#[test]
fn the_answer_carries_our_transport_and_o_line() {
    let a = answer_text(&offer_text("0", "abcd", &[&audio("0", "")]));
    let s = &a.session;
    let m = &s.media()[0];
    assert_eq!(s.origin().unwrap().to_string(), "- 7 1 IN IP4 127.0.0.1");
    assert_eq!(s.name(), Some("-"));
    assert_eq!(s.timing().map(|t| (t.start, t.stop)), Some((0, 0)));
    assert_eq!(m.ice_ufrag(), Some("wren"));
    assert_eq!(m.ice_pwd(), Some("wren-password-0123456789"));
    assert!(m.ice_options().unwrap().trickle());
    assert_eq!(
        m.fingerprints().next().unwrap().hash(),
        HashFunction::Sha256
    );
    assert_eq!(
        m.candidates().next().unwrap().as_str(),
        "1 1 udp 2122260223 192.0.2.1 40000 typ host"
    );
    assert!(m.end_of_candidates());
}

#[test]
fn a_section_outside_the_bundle_gets_its_own_candidates() {
    let a = answer_text(&offer_text(
        "0",
        "abcd",
        &[&audio("0", ""), &audio("1", "")],
    ));
    assert!(a.rejected.is_empty());
    assert_eq!(a.session.bundle_mids().collect::<Vec<_>>(), ["0"]);
    assert_eq!(a.session.media()[0].candidates().count(), 1);
    assert_eq!(a.session.media()[1].candidates().count(), 1);
}
