//! The corpus's offers (tests/corpus/, sources in its README) answered with the default
//! capabilities ([`Capabilities::default`], what `wren-probe sdp answer` uses): each
//! answer checked field by field (mids, ports, directions, codecs and their payload types,
//! setup, the BUNDLE group, extmap ids, simulcast reversal), and every answer parsed back.

#[path = "jsep/common.rs"]
mod common;

use common::{answer_text, extmaps, load, pts, rtpmaps};
use wren_sdp::attribute::{RidDirection, Setup};
use wren_sdp::jsep::h264::Profile;
use wren_sdp::jsep::{Reason, Refusal, capabilities::uri};
use wren_sdp::{Direction, Session};

const TWCC: &str = uri::TRANSPORT_WIDE_CC;

fn bundle(s: &Session<'_>) -> Vec<String> {
    s.bundle_mids().map(str::to_owned).collect()
}

fn mids(s: &Session<'_>) -> Vec<Option<String>> {
    s.media()
        .iter()
        .map(|m| m.mid().map(str::to_owned))
        .collect()
}

fn ports(s: &Session<'_>) -> Vec<u16> {
    s.media().iter().map(|m| m.media_line().port).collect()
}

fn directions(s: &Session<'_>) -> Vec<Direction> {
    s.media().iter().map(wren_sdp::Media::direction).collect()
}

fn setups(s: &Session<'_>) -> Vec<Option<Setup>> {
    s.media().iter().map(wren_sdp::Media::setup).collect()
}

fn ext(list: &[(u16, &str)]) -> Vec<(u16, String)> {
    list.iter().map(|(i, u)| (*i, (*u).to_owned())).collect()
}

#[test]
fn every_offer_of_the_corpus_is_answered_and_the_answer_parses_back() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".sdp") && name.contains("offer") {
            let offer_text = load(&name);
            let offer = Session::parse(&offer_text).unwrap();
            let a = answer_text(&offer_text);
            assert_eq!(a.session.media().len(), offer.media().len(), "{name}");
            n += 1;
        }
    }
    assert!(n >= 10, "{n} offers");
}

#[test]
fn chromium_156_offer_answered_field_by_field() {
    let a = answer_text(&load("chromium-156-offer.sdp"));
    let s = &a.session;
    assert!(a.rejected.is_empty(), "{:?}", a.rejected);
    assert_eq!(
        mids(s),
        [Some("0".into()), Some("1".into()), Some("2".into())]
    );
    assert_eq!(ports(s), [9, 9, 9]);
    assert_eq!(bundle(s), ["0", "1", "2"]);
    assert_eq!(setups(s), [Some(Setup::Active); 3]);
    // sendrecv offered, nothing of ours to send: we receive.
    assert_eq!(
        directions(s)[..2],
        [Direction::RecvOnly, Direction::RecvOnly]
    );
    let origin = s.origin().unwrap();
    assert_eq!((origin.session_id, origin.session_version), (7, 1));
    assert!(s.extmap_allow_mixed());
    // Audio: the offerer's payload types and order, minus RED, G722 and CN.
    assert_eq!(pts(s, 0), [111, 0, 8, 110, 126]);
    assert_eq!(
        rtpmaps(s, 0),
        [
            "111 opus/48000",
            "0 PCMU/8000",
            "8 PCMA/8000",
            "110 telephone-event/48000",
            "126 telephone-event/8000"
        ]
    );
    assert_eq!(
        s.media()[0].fmtp(111).unwrap().params,
        "minptime=10;useinbandfec=1"
    );
    assert_eq!(
        extmaps(s, 0),
        ext(&[
            (1, uri::AUDIO_LEVEL),
            (2, uri::ABS_SEND_TIME),
            (3, TWCC),
            (4, uri::MID)
        ])
    );
    // Video: VP8, H.264 Baseline 42001f and Constrained Baseline in both modes (not Main),
    // AV1, VP9 profiles 0 and 2, each with its RTX; RED and ulpfec left out.
    assert_eq!(
        pts(s, 1),
        [
            96, 97, 102, 103, 104, 107, 108, 109, 114, 115, 45, 46, 98, 99, 100, 101
        ]
    );
    let v = &s.media()[1];
    assert_eq!(v.fmtp(97).unwrap().params, "apt=96");
    assert_eq!(v.fmtp(102).unwrap().get("profile-level-id"), Some("42001f"));
    assert_eq!(v.fmtp(107).unwrap().params, "apt=104");
    assert_eq!(v.fmtp(108).unwrap().get("profile-level-id"), Some("42e01f"));
    assert_eq!(v.fmtp(114).unwrap().get("packetization-mode"), Some("0"));
    assert_eq!(v.fmtp(100).unwrap().get("profile-id"), Some("2"));
    let fb: Vec<String> = v
        .rtcp_fbs()
        .filter(|f| f.payload_type == Some(96))
        .map(|f| f.to_string())
        .collect();
    assert_eq!(
        fb,
        [
            "96 goog-remb",
            "96 transport-cc",
            "96 ccm fir",
            "96 nack",
            "96 nack pli"
        ]
    );
    // Extensions we support keep the offer's ids; toffset, video-content-type,
    // video-timing and color-space are left out.
    assert_eq!(
        extmaps(s, 1),
        ext(&[
            (2, uri::ABS_SEND_TIME),
            (13, uri::VIDEO_ORIENTATION),
            (3, TWCC),
            (5, uri::PLAYOUT_DELAY),
            (4, uri::MID),
            (10, uri::RID),
            (11, uri::REPAIRED_RID)
        ])
    );
    assert!(v.rtcp_mux() && v.rtcp_rsize());
    // The refused codecs are reported with their reasons.
    let (index, refused) = &a.refused_codecs[1];
    assert_eq!(*index, 1);
    let names: Vec<(u8, &Refusal)> = refused
        .iter()
        .filter(|r| r.codec.kind().is_primary())
        .map(|r| (r.codec.payload_type, &r.why))
        .collect();
    // H.264 Main in both modes.
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(matches!(names[0], (116, Refusal::H264Profile { .. })));
    assert!(matches!(names[1], (39, Refusal::H264Profile { .. })));
    // Data.
    let d = &s.media()[2];
    assert_eq!(
        d.media_line().to_string(),
        "application 9 UDP/DTLS/SCTP webrtc-datachannel"
    );
    assert_eq!(
        (d.sctp_port(), d.max_message_size()),
        (Some(5000), Some(262_144))
    );
    // Transport: our credentials everywhere, candidates in the first section only.
    for m in s.media() {
        assert_eq!(m.ice_ufrag(), Some("wren"));
        assert_eq!(m.fingerprints().count(), 1);
    }
    assert_eq!(s.media()[0].candidates().count(), 1);
    assert!(s.media()[0].end_of_candidates());
    assert_eq!(s.media()[1].candidates().count(), 0);
}

#[test]
fn chromium_148_simulcast_offer_answered_with_recv_simulcast() {
    let a = answer_text(&load("chromium-148-offer-simulcast.sdp"));
    let s = &a.session;
    assert!(a.rejected.is_empty());
    assert_eq!(bundle(s), ["0", "1", "2"]);
    let v = &s.media()[1];
    assert_eq!(v.direction(), Direction::RecvOnly);
    let sim = v.simulcast().unwrap();
    assert!(sim.send.is_empty());
    let recv: Vec<&str> = sim.recv.iter().map(|alts| &*alts[0].id).collect();
    assert_eq!(recv, ["q", "h", "f"]);
    let rids: Vec<(&str, RidDirection)> = v.rids().map(|r| (&*r.id, r.direction)).collect();
    assert_eq!(
        rids,
        [
            ("q", RidDirection::Recv),
            ("h", RidDirection::Recv),
            ("f", RidDirection::Recv)
        ]
    );
    // rid and repaired-rid extensions kept with the offer's ids.
    let offer_text = load("chromium-148-offer-simulcast.sdp");
    let offer = Session::parse(&offer_text).unwrap();
    let offered_rid = offer.media()[1]
        .extmaps()
        .find(|e| e.uri == uri::RID)
        .unwrap()
        .id;
    assert!(extmaps(s, 1).contains(&(offered_rid, uri::RID.to_owned())));
}

#[test]
fn firefox_esr_140_offer_answered_field_by_field() {
    let a = answer_text(&load("firefox-esr-140-offer-simulcast.sdp"));
    let s = &a.session;
    assert!(a.rejected.is_empty(), "{:?}", a.rejected);
    assert_eq!(
        mids(s),
        [Some("0".into()), Some("1".into()), Some("2".into())]
    );
    assert_eq!(ports(s), [9, 9, 9]);
    assert_eq!(bundle(s), ["0", "1", "2"]);
    // The fingerprint was at session level in the offer; setup actpass in each section.
    assert_eq!(setups(s), [Some(Setup::Active); 3]);
    // Audio sendrecv -> recvonly; video sendonly -> recvonly.
    assert_eq!(
        directions(s)[..2],
        [Direction::RecvOnly, Direction::RecvOnly]
    );
    assert_eq!(pts(s, 0), [109, 0, 8, 101]);
    // Video: VP8 + RTX, VP9 (no profile-id: 0) + RTX, AV1 (no profile: 0) + RTX; Firefox's
    // ulpfec, RED and RED's RTX left out.
    assert_eq!(pts(s, 1), [120, 124, 121, 125, 99, 100]);
    assert_eq!(
        rtpmaps(s, 1),
        [
            "120 VP8/90000",
            "124 rtx/90000",
            "121 VP9/90000",
            "125 rtx/90000",
            "99 AV1/90000",
            "100 rtx/90000"
        ]
    );
    // Extensions: Firefox's directions reversed (rid sendonly -> recvonly), csrc-audio-level,
    // toffset and the dependency descriptor left out, extmap-allow-mixed echoed per section.
    let audio_ext: Vec<String> = s.media()[0].extmaps().map(|e| e.to_string()).collect();
    assert_eq!(
        audio_ext,
        [format!("1 {}", uri::AUDIO_LEVEL), format!("3 {}", uri::MID)]
    );
    let video_ext: Vec<String> = s.media()[1].extmaps().map(|e| e.to_string()).collect();
    assert_eq!(
        video_ext,
        [
            format!("3 {}", uri::MID),
            format!("4 {}", uri::ABS_SEND_TIME),
            format!("6/sendonly {}", uri::PLAYOUT_DELAY),
            format!("7 {TWCC}"),
            format!("9/recvonly {}", uri::RID),
            format!("10/recvonly {}", uri::REPAIRED_RID),
        ]
    );
    assert!(
        s.media()[1]
            .attributes()
            .any(|a| *a == wren_sdp::Attribute::ExtmapAllowMixed)
    );
    // Simulcast send q;h;f -> recv q;h;f.
    assert_eq!(s.media()[1].simulcast().unwrap().to_string(), "recv q;h;f");
    assert!(s.media()[1].rtcp_rsize());
    assert!(!s.media()[0].rtcp_rsize(), "not offered for audio");
    // Our max-message-size, not Firefox's.
    assert_eq!(s.media()[2].max_message_size(), Some(262_144));
}

#[test]
fn safari_data_channel_offer_answered_field_by_field() {
    let a = answer_text(&load("safari-offer-datachannel.sdp"));
    let s = &a.session;
    assert!(a.rejected.is_empty());
    assert_eq!(mids(s), [Some("0".into())]);
    assert_eq!(bundle(s), ["0"]);
    let d = &s.media()[0];
    assert_eq!(
        d.media_line().to_string(),
        "application 9 UDP/DTLS/SCTP webrtc-datachannel"
    );
    assert_eq!(d.setup(), Some(Setup::Active));
    assert_eq!(d.sctp_port(), Some(5000));
    assert_eq!(d.candidates().count(), 1);
    assert!(s.extmap_allow_mixed());
}

#[test]
fn safari_audio_video_offer_answered_field_by_field() {
    let a = answer_text(&load("safari-offer-audio-video.sdp"));
    let s = &a.session;
    assert!(a.rejected.is_empty(), "{:?}", a.rejected);
    assert_eq!(mids(s), [Some("0".into()), Some("1".into())]);
    assert_eq!(ports(s), [9, 9]);
    assert_eq!(bundle(s), ["0", "1"]);
    assert_eq!(setups(s), [Some(Setup::Active); 2]);
    // sendrecv offered, nothing of ours to send: we receive.
    assert_eq!(directions(s), [Direction::RecvOnly, Direction::RecvOnly]);
    assert!(s.extmap_allow_mixed());
    // Audio: Opus, G.711 and both telephone-events in the offer's order; RED, G722 and CN
    // left out.
    assert_eq!(pts(s, 0), [111, 0, 8, 110, 126]);
    assert_eq!(
        s.media()[0].fmtp(111).unwrap().params,
        "minptime=10;useinbandfec=1"
    );
    assert_eq!(
        extmaps(s, 0),
        ext(&[
            (1, uri::AUDIO_LEVEL),
            (2, uri::ABS_SEND_TIME),
            (3, TWCC),
            (4, uri::MID)
        ])
    );
    // Video: H.264 Constrained Baseline in both packetization modes, VP8, VP9 profiles 0
    // and 2, each with its RTX; Safari's Constrained High (640c1f, both modes) and H.265
    // are refused with their RTX, RED, its RTX and ulpfec left out.
    assert_eq!(pts(s, 1), [98, 99, 102, 103, 106, 107, 108, 109, 127, 125]);
    assert_eq!(
        rtpmaps(s, 1),
        [
            "98 H264/90000",
            "99 rtx/90000",
            "102 H264/90000",
            "103 rtx/90000",
            "106 VP8/90000",
            "107 rtx/90000",
            "108 VP9/90000",
            "109 rtx/90000",
            "127 VP9/90000",
            "125 rtx/90000"
        ]
    );
    let v = &s.media()[1];
    assert_eq!(v.fmtp(98).unwrap().get("profile-level-id"), Some("42e01f"));
    assert_eq!(v.fmtp(102).unwrap().get("packetization-mode"), Some("0"));
    assert_eq!(v.fmtp(99).unwrap().params, "apt=98");
    assert_eq!(v.fmtp(125).unwrap().params, "apt=127");
    assert_eq!(v.fmtp(127).unwrap().get("profile-id"), Some("2"));
    let fb: Vec<String> = v
        .rtcp_fbs()
        .filter(|f| f.payload_type == Some(106))
        .map(|f| f.to_string())
        .collect();
    assert_eq!(
        fb,
        [
            "106 goog-remb",
            "106 transport-cc",
            "106 ccm fir",
            "106 nack",
            "106 nack pli"
        ]
    );
    // toffset, video-content-type, video-timing and color-space left out; the rest keep
    // Safari's ids.
    assert_eq!(
        extmaps(s, 1),
        ext(&[
            (2, uri::ABS_SEND_TIME),
            (13, uri::VIDEO_ORIENTATION),
            (3, TWCC),
            (5, uri::PLAYOUT_DELAY),
            (4, uri::MID),
            (10, uri::RID),
            (11, uri::REPAIRED_RID)
        ])
    );
    assert!(v.rtcp_mux() && v.rtcp_rsize());
    assert!(v.simulcast().is_none());
    // The refused primary codecs, with their reasons.
    let (index, refused) = &a.refused_codecs[1];
    assert_eq!(*index, 1);
    let primary: Vec<(u8, &Refusal)> = refused
        .iter()
        .filter(|r| r.codec.kind().is_primary())
        .map(|r| (r.codec.payload_type, &r.why))
        .collect();
    let pts_refused: Vec<u8> = primary.iter().map(|(pt, _)| *pt).collect();
    assert_eq!(pts_refused, [96, 100, 104]);
    for (pt, why) in &primary[..2] {
        assert!(
            matches!(
                why,
                Refusal::H264Profile {
                    offered: Some(Profile::ConstrainedHigh),
                    ..
                }
            ),
            "{pt}: {why:?}"
        );
    }
    assert_eq!(*primary[2].1, Refusal::Unsupported);
    // Transport: our credentials in both sections, candidates in the first only.
    for m in s.media() {
        assert_eq!(m.ice_ufrag(), Some("wren"));
        assert_eq!(m.fingerprints().count(), 1);
    }
    assert_eq!(s.media()[0].candidates().count(), 1);
    assert_eq!(s.media()[1].candidates().count(), 0);
}

#[test]
fn aiortc_offer_answered_field_by_field() {
    let a = answer_text(&load("aiortc-1.16-offer.sdp"));
    let s = &a.session;
    assert!(a.rejected.is_empty());
    assert_eq!(bundle(s), ["0", "1", "2"]);
    assert_eq!(setups(s), [Some(Setup::Active); 3]);
    assert_eq!(pts(s, 0), [96, 0, 8]);
    // H.264 42001f (Baseline) and 42e01f (Constrained Baseline), each with its RTX.
    assert_eq!(pts(s, 1), [97, 98, 99, 100, 101, 102]);
    assert_eq!(extmaps(s, 0), ext(&[(1, uri::MID), (2, uri::AUDIO_LEVEL)]));
    assert_eq!(
        extmaps(s, 1),
        ext(&[(1, uri::MID), (3, uri::ABS_SEND_TIME)])
    );
    assert!(!s.extmap_allow_mixed(), "aiortc did not offer it");
}

#[test]
fn firefox_99_stopped_section_is_answered_stopped() {
    let a = answer_text(&load("firefox-99-offer.sdp"));
    assert_eq!(ports(&a.session), [0]);
    assert_eq!(a.rejected[0].reason, Reason::Stopped);
    assert_eq!(a.rejected[0].mid.as_deref(), Some("1"));
    assert!(a.session.bundle_mids().next().is_none());
}

#[test]
fn firefox_52_old_data_channel_protocol_is_rejected_with_its_name() {
    let a = answer_text(&load("firefox-52-datachannel-offer.sdp"));
    assert_eq!(ports(&a.session), [0]);
    assert_eq!(
        a.rejected[0].reason,
        Reason::WrongProtocol {
            kind: "application".into(),
            proto: "DTLS/SCTP".into()
        }
    );
    assert_eq!(
        a.rejected[0].to_string(),
        "section 0 (mid sdparta_0) rejected: protocol \"DTLS/SCTP\" is not supported for application"
    );
}

#[test]
fn firefox_52_audio_offer_extmap_direction_reversed() {
    let a = answer_text(&load("firefox-52-audio-offer.sdp"));
    let s = &a.session;
    assert!(a.rejected.is_empty());
    assert_eq!(mids(s), [Some("sdparta_0".into())]);
    assert_eq!(pts(s, 0), [109, 0, 8]);
    let e: Vec<String> = s.media()[0].extmaps().map(|e| e.to_string()).collect();
    assert_eq!(e, [format!("1/recvonly {}", uri::AUDIO_LEVEL)]);
}
