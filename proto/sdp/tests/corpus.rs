//! The corpus (tests/corpus/, sources in tests/corpus/README.md): every file parses and
//! writes back byte for byte; a few are checked field by field.

use std::path::PathBuf;

use wren_sdp::attribute::{HashFunction, IceOption, RidDirection, Setup};
use wren_sdp::{Attribute, Direction, Entry, Line, Session};

fn corpus() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/corpus")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sdp"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).expect("UTF-8 text"))
        })
        .collect();
    files.sort();
    files
}

fn load(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(name);
    std::fs::read_to_string(p).expect("corpus file")
}

#[test]
fn every_file_parses_and_round_trips() {
    let files = corpus();
    assert!(files.len() >= 15, "corpus has {} files", files.len());
    for (name, text) in &files {
        let session = Session::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut out = String::new();
        session.write(&mut out);
        assert_eq!(&out, text, "{name}: written text differs");
        assert!(!session.media().is_empty(), "{name}: no media section");
    }
}

#[test]
fn every_file_written_from_its_meaning_parses_back_equal() {
    // Rebuild each session from its meanings only (no original text), write it, parse it
    // again: the typed model is the same.
    for (name, text) in &corpus() {
        let session = Session::parse(text).unwrap();
        let mut fresh = session.clone();
        let renew = |v: &mut Vec<Entry<'_>>| {
            for e in v.iter_mut() {
                *e = Entry::new(e.line().clone());
            }
        };
        renew(fresh.entries_mut());
        for m in fresh.media_mut() {
            let line = m.media_line().clone();
            m.set_media_line(line);
            renew(m.entries_mut());
        }
        let written = fresh.to_string();
        let again = Session::parse(&written).unwrap_or_else(|e| panic!("{name}: {e}\n{written}"));
        assert_eq!(again, session, "{name}: canonical text parses differently");
    }
}

#[test]
fn chromium_156_offer_field_by_field() {
    let text = load("chromium-156-offer.sdp");
    let s = Session::parse(&text).unwrap();
    let o = s.origin().unwrap();
    assert_eq!(o.session_id, 4961278466701402534);
    assert_eq!(o.session_version, 2);
    assert_eq!(s.bundle_mids().collect::<Vec<_>>(), ["0", "1", "2"]);
    assert!(s.extmap_allow_mixed());
    let mids: Vec<_> = s.media().iter().map(|m| m.mid().unwrap()).collect();
    assert_eq!(mids, ["0", "1", "2"]);
    let kinds: Vec<_> = s.media().iter().map(|m| m.kind()).collect();
    assert_eq!(kinds, ["audio", "video", "application"]);

    let audio = &s.media()[0];
    assert_eq!(audio.media_line().port, 42505);
    assert_eq!(&*audio.media_line().proto, "UDP/TLS/RTP/SAVPF");
    assert_eq!(
        audio.media_line().payload_types().collect::<Vec<_>>(),
        [111, 63, 9, 0, 8, 13, 110, 126]
    );
    assert_eq!(audio.ice_ufrag(), Some("D3dH"));
    assert_eq!(audio.ice_pwd(), Some("zXRwp00geZWm6uKrxX/BHED0"));
    assert!(audio.ice_options().unwrap().trickle());
    assert_eq!(audio.setup(), Some(Setup::ActPass));
    assert_eq!(audio.direction(), Direction::SendRecv);
    assert!(audio.rtcp_mux() && audio.rtcp_rsize());
    let fp: Vec<_> = audio.fingerprints().collect();
    assert_eq!(fp.len(), 1);
    assert_eq!(fp[0].hash(), HashFunction::Sha256);
    assert_eq!(fp[0].bytes()[..4], [0x1F, 0x35, 0xF2, 0xFE]);
    assert_eq!(fp[0].bytes()[31], 0xB2);
    let opus = audio.rtpmap(111).unwrap();
    assert_eq!(
        (&*opus.encoding, opus.clock_rate, opus.channels),
        ("opus", 48000, Some(2))
    );
    assert_eq!(audio.fmtp(111).unwrap().get("useinbandfec"), Some("1"));
    assert_eq!(
        audio.fmtp(63).unwrap().params().next().unwrap().value,
        "111/111"
    );
    let exts: Vec<_> = audio.extmaps().map(|e| (e.id, &*e.uri)).collect();
    assert_eq!(exts[0], (1, "urn:ietf:params:rtp-hdrext:ssrc-audio-level"));
    assert_eq!(exts[3], (4, "urn:ietf:params:rtp-hdrext:sdes:mid"));
    let c: Vec<_> = audio.candidates().collect();
    assert_eq!(c.len(), 1);
    let f = c[0].fields().unwrap();
    assert_eq!(
        (f.foundation, f.component, f.transport, f.priority),
        ("2572979085", 1, "udp", 2122260223)
    );
    assert_eq!((f.address, f.port, f.kind), ("127.0.0.1", 42505, "host"));
    assert!(f.rest.starts_with("generation 0"));
    // The unknown a=rtcp-xr stays as text.
    assert!(audio.attributes().any(|a| matches!(a,
        Attribute::Other { name, value: Some(v) } if name == "rtcp-xr" && v == "rcvr-rtt=all")));

    let video = &s.media()[1];
    let codecs: Vec<_> = video.rtpmaps().map(|r| &*r.encoding).collect();
    assert!(codecs.starts_with(&["VP8", "rtx"]));
    for c in ["VP9", "H264", "AV1", "red", "ulpfec"] {
        assert!(codecs.contains(&c), "no {c}");
    }
    // Every rtx is bound to a payload type of the section.
    let pts: Vec<u8> = video.media_line().payload_types().collect();
    for r in video.rtpmaps().filter(|r| r.encoding == "rtx") {
        let apt: u8 = video
            .fmtp(r.payload_type)
            .unwrap()
            .get("apt")
            .unwrap()
            .parse()
            .unwrap();
        assert!(pts.contains(&apt));
    }
    let fid: Vec<_> = video.ssrc_groups().collect();
    assert_eq!(fid.len(), 1);
    assert_eq!(&*fid[0].semantics, "FID");
    assert_eq!(fid[0].ssrcs.len(), 2);
    assert!(
        video
            .ssrcs()
            .any(|s| s.id == fid[0].ssrcs[1] && s.attribute == "cname")
    );

    let data = &s.media()[2];
    assert_eq!(&*data.media_line().proto, "UDP/DTLS/SCTP");
    assert_eq!(
        data.media_line().formats().collect::<Vec<_>>(),
        ["webrtc-datachannel"]
    );
    assert_eq!(data.sctp_port(), Some(5000));
    assert_eq!(data.max_message_size(), Some(262144));
}

#[test]
fn firefox_esr_140_simulcast_offer_field_by_field() {
    let text = load("firefox-esr-140-offer-simulcast.sdp");
    let s = Session::parse(&text).unwrap();
    assert_eq!(
        s.origin().unwrap().username,
        "mozilla...THIS_IS_SDPARTA-99.0"
    );
    // Firefox puts the fingerprint and ice-options at session level.
    let fp: Vec<_> = s.fingerprints().collect();
    assert_eq!(fp.len(), 1);
    assert_eq!(fp[0].bytes()[0], 0xD6);
    assert!(
        s.ice_options()
            .unwrap()
            .iter()
            .any(|o| o == IceOption::Trickle)
    );
    assert_eq!(s.msid_semantic().unwrap().iter().collect::<Vec<_>>(), ["*"]);
    assert_eq!(s.bundle_mids().collect::<Vec<_>>(), ["0", "1", "2"]);
    let video = s.media_by_mid("1").unwrap();
    assert_eq!(s.fingerprints_of(video).count(), 1);
    assert_eq!(video.direction(), Direction::SendOnly);
    let rids: Vec<_> = video.rids().map(|r| (&*r.id, r.direction)).collect();
    assert_eq!(
        rids,
        [
            ("q", RidDirection::Send),
            ("h", RidDirection::Send),
            ("f", RidDirection::Send)
        ]
    );
    let sim = video.simulcast().unwrap();
    let send: Vec<Vec<&str>> = sim
        .send
        .iter()
        .map(|alts| alts.iter().map(|a| &*a.id).collect())
        .collect();
    assert_eq!(send, [["q"], ["h"], ["f"]]);
    assert!(sim.recv.is_empty());
    assert!(
        video
            .extmaps()
            .any(|e| e.uri == "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id")
    );
    // Host candidates for RTP only (rtcp-mux), UDP and TCP.
    let audio = s.media_by_mid("0").unwrap();
    assert!(audio.candidates().count() >= 2);
    assert!(audio.candidates().all(|c| c.fields().is_some()));
    assert!(audio.end_of_candidates());
    let data = s.media_by_mid("2").unwrap();
    assert_eq!(data.sctp_port(), Some(5000));
}

#[test]
fn chromium_148_simulcast_offer_field_by_field() {
    let text = load("chromium-148-offer-simulcast.sdp");
    let s = Session::parse(&text).unwrap();
    let video = &s.media()[1];
    assert_eq!(video.rids().count(), 3);
    let sim = video.simulcast().unwrap();
    assert_eq!(sim.send.len(), 3);
    let cands: Vec<_> = video.candidates().map(|c| c.fields().unwrap()).collect();
    assert_eq!(cands.len(), 8);
    assert_eq!(cands.iter().filter(|f| f.transport == "tcp").count(), 4);
    assert!(cands.iter().all(|f| f.kind == "host"));
}

#[test]
fn aiortc_answer_field_by_field() {
    let text = load("aiortc-1.16-answer.sdp");
    let s = Session::parse(&text).unwrap();
    for m in s.media() {
        assert_eq!(s.setup_of(m), Some(Setup::Active));
        assert!(m.end_of_candidates());
    }
}

#[test]
fn firefox_99_offer_with_a_stopped_section() {
    let text = load("firefox-99-offer.sdp");
    let s = Session::parse(&text).unwrap();
    let m = &s.media()[0];
    assert_eq!(m.media_line().port, 0);
    assert_eq!(m.direction(), Direction::Inactive);
    assert_eq!(s.bundle_mids().count(), 10);
    assert!(matches!(s.entries()[0].line(), Line::Version));
}

#[test]
fn safari_audio_video_offer_field_by_field() {
    let text = load("safari-offer-audio-video.sdp");
    // Kept as its source has it: lines end in LF alone, and they are written back so.
    assert!(!text.contains('\r'));
    let s = Session::parse(&text).unwrap();
    let o = s.origin().unwrap();
    assert_eq!((o.session_id, o.session_version), (4417393722931175454, 2));
    assert_eq!(s.bundle_mids().collect::<Vec<_>>(), ["0", "1"]);
    assert!(s.extmap_allow_mixed());
    let wms = s.msid_semantic().unwrap();
    assert_eq!(&*wms.semantic, "WMS");
    assert_eq!(
        wms.iter().collect::<Vec<_>>(),
        ["0088aafd-7cec-4a6b-b165-f9599cdc1434"]
    );
    let kinds: Vec<_> = s.media().iter().map(|m| m.kind()).collect();
    assert_eq!(kinds, ["audio", "video"]);
    for m in s.media() {
        assert_eq!(m.media_line().port, 9);
        assert_eq!(m.ice_ufrag(), Some("lGjA"));
        assert_eq!(m.ice_pwd(), Some("KVh9jwWy5bgHIdeSRKf4yy3O"));
        assert!(m.ice_options().unwrap().trickle());
        assert_eq!(m.setup(), Some(Setup::ActPass));
        assert_eq!(m.direction(), Direction::SendRecv);
        assert!(m.rtcp_mux() && m.rtcp_rsize());
        assert_eq!(m.candidates().count(), 0, "no candidate: trickled");
        let fp: Vec<_> = m.fingerprints().collect();
        assert_eq!(fp.len(), 1);
        assert_eq!(fp[0].hash(), HashFunction::Sha256);
        assert_eq!(fp[0].bytes()[..4], [0xDF, 0x7D, 0x1E, 0x2D]);
        assert_eq!(fp[0].bytes()[31], 0xF3);
        let msid: Vec<_> = m.msids().collect();
        assert_eq!(msid.len(), 1);
        assert_eq!(&*msid[0].stream, "0088aafd-7cec-4a6b-b165-f9599cdc1434");
    }

    let audio = &s.media()[0];
    assert_eq!(
        audio.media_line().payload_types().collect::<Vec<_>>(),
        [111, 63, 9, 0, 8, 13, 110, 126]
    );
    assert_eq!(audio.fmtp(111).unwrap().get("useinbandfec"), Some("1"));
    let red = audio.rtpmap(63).unwrap();
    assert_eq!(
        (&*red.encoding, red.clock_rate, red.channels),
        ("red", 48000, Some(2))
    );
    assert_eq!(audio.ssrcs().filter(|s| s.id == 616985218).count(), 2);

    // Safari's video: H.264 first, Constrained High (640c1f) before Constrained Baseline
    // (42e01f), each in packetization modes 1 and 0, then H.265, VP8 and VP9 profiles 0
    // and 2, each with its RTX; then RED, its RTX, and ulpfec.
    let video = &s.media()[1];
    let codecs: Vec<_> = video
        .rtpmaps()
        .map(|r| (r.payload_type, &*r.encoding))
        .collect();
    assert_eq!(
        codecs,
        [
            (96, "H264"),
            (97, "rtx"),
            (98, "H264"),
            (99, "rtx"),
            (100, "H264"),
            (101, "rtx"),
            (102, "H264"),
            (103, "rtx"),
            (104, "H265"),
            (105, "rtx"),
            (106, "VP8"),
            (107, "rtx"),
            (108, "VP9"),
            (109, "rtx"),
            (127, "VP9"),
            (125, "rtx"),
            (112, "red"),
            (113, "rtx"),
            (114, "ulpfec")
        ]
    );
    let h264: Vec<_> = [96, 98, 100, 102]
        .iter()
        .map(|&pt| {
            let f = video.fmtp(pt).unwrap();
            (
                f.get("profile-level-id").unwrap(),
                f.get("packetization-mode").unwrap(),
                f.get("level-asymmetry-allowed").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        h264,
        [
            ("640c1f", "1", "1"),
            ("42e01f", "1", "1"),
            ("640c1f", "0", "1"),
            ("42e01f", "0", "1")
        ]
    );
    assert_eq!(video.fmtp(127).unwrap().get("profile-id"), Some("2"));
    assert_eq!(video.fmtp(125).unwrap().get("apt"), Some("127"));
    assert!(video.fmtp(104).is_none(), "H.265 without parameters");
    assert_eq!(
        video
            .rtcp_fbs()
            .filter(|f| f.payload_type == Some(96))
            .count(),
        5
    );
    let exts: Vec<_> = video.extmaps().map(|e| e.id).collect();
    assert_eq!(exts, [14, 2, 13, 3, 5, 6, 7, 8, 4, 10, 11]);
    let fid: Vec<_> = video.ssrc_groups().collect();
    assert_eq!(fid.len(), 1);
    assert_eq!(&*fid[0].semantics, "FID");
    assert_eq!(fid[0].ssrcs, [3201680545, 2693598584]);
}
