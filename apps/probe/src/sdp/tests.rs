//! Unit tests of the explanation as data: the kind of a description, section states,
//! inherited transport parameters, codec meanings, simulcast layers, and each warning.

use wren_sdp::Session;
use wren_sdp::attribute::{HashFunction, RidDirection, Setup};
use wren_sdp::jsep::h264::Profile;

use super::address::Reach;
use super::checks::escaping;
use super::codec::Meaning;
use super::explain::{Context, DescriptionKind, Explanation, KindEvidence, SectionState, explain};
use super::warn::{Escaping, IceField, Place, RejectReason, SectionRef, Warning};

const FP: &str = "a=fingerprint:sha-256 1F:35:F2:FE:E7:99:2F:2D:CD:CF:55:55:32:72:69:94:B7:DB:2D:BF:B8:A0:92:CB:F4:EE:FA:D9:89:74:8B:B2\r\n";
const ICE: &str = "a=ice-ufrag:abcd\r\na=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\n";
const HOST: &str = "a=candidate:1 1 udp 2122260223 203.0.113.1 50000 typ host\r\n";

fn head(session_lines: &str) -> String {
    format!("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n{session_lines}")
}

/// An RTP audio section with mid `mid`, port `port`, and `lines` after its `m=` line.
fn audio(mid: &str, port: u16, lines: &str) -> String {
    format!(
        "m=audio {port} UDP/TLS/RTP/SAVPF 111\r\na=mid:{mid}\r\n{lines}a=rtpmap:111 opus/48000/2\r\n"
    )
}

fn run(text: &str, context: Context<'_, '_>) -> Explanation {
    let session = Session::parse(text).expect("test description parses");
    explain(&session, context)
}

fn section(index: usize, kind: &str, mid: &str) -> SectionRef {
    SectionRef {
        index,
        kind: kind.into(),
        mid: Some(mid.into()),
    }
}

#[test]
fn the_kind_is_told_from_setup_or_stated() {
    let ok = format!("{ICE}{FP}{HOST}a=rtcp-mux\r\n");
    let offer = head(&audio("0", 9, &format!("{ok}a=setup:actpass\r\n")));
    let e = run(&offer, Context::default());
    assert_eq!(
        (e.session.kind, e.session.evidence),
        (DescriptionKind::Offer, KindEvidence::ActPass)
    );
    assert!(e.warnings.is_empty(), "{:?}", e.warnings);
    let answer = head(&audio("0", 9, &format!("{ok}a=setup:passive\r\n")));
    let e = run(&answer, Context::default());
    assert_eq!(
        (e.session.kind, e.session.evidence),
        (DescriptionKind::Answer, KindEvidence::ActiveOrPassive)
    );
    let mixed = head(&format!(
        "a=group:BUNDLE 0 1\r\n{}{}",
        audio("0", 9, &format!("{ok}a=setup:actpass\r\n")),
        audio("1", 9, &format!("{ok}a=setup:active\r\n"))
    ));
    let e = run(&mixed, Context::default());
    assert_eq!(
        (e.session.kind, e.session.evidence),
        (DescriptionKind::Unknown, KindEvidence::Mixed)
    );
    // Stated as an answer, actpass is a mistake.
    let e = run(
        &offer,
        Context {
            stated: Some(DescriptionKind::Answer),
            offer: None,
        },
    );
    assert_eq!(e.session.evidence, KindEvidence::Stated);
    assert_eq!(
        e.warnings,
        [Warning::ActPassInAnswer {
            places: vec![Place::Section(section(0, "audio", "0"))]
        }]
    );
}

#[test]
fn session_level_and_bundle_tag_transport_is_inherited() {
    // Firefox writes the fingerprint at session level; a bundled section may leave its
    // ICE credentials to the group's first section.
    let text = head(&format!(
        "{FP}a=group:BUNDLE 0 1\r\n{}{}",
        audio(
            "0",
            9,
            &format!("{ICE}{HOST}a=setup:actpass\r\na=rtcp-mux\r\n")
        ),
        audio("1", 9, "a=setup:actpass\r\na=rtcp-mux\r\n"),
    ));
    let e = run(&text, Context::default());
    assert!(e.warnings.is_empty(), "{:?}", e.warnings);
    assert_eq!(e.session.transport.fingerprints, [HashFunction::Sha256]);
    let t = &e.sections[1].transport;
    assert!(t.ufrag.is_none() && t.pwd_len.is_none() && t.fingerprints.is_empty());
    assert!(e.sections.iter().all(|s| s.bundled));
    // Outside the group, the second section has no credentials of its own.
    let text = text.replace("BUNDLE 0 1", "BUNDLE 0");
    let e = run(&text, Context::default());
    assert_eq!(
        e.warnings,
        [
            Warning::NoIceCredential {
                field: IceField::Ufrag,
                sections: vec![section(1, "audio", "1")]
            },
            Warning::NoIceCredential {
                field: IceField::Pwd,
                sections: vec![section(1, "audio", "1")]
            }
        ]
    );
}

#[test]
fn port_0_is_rejected_unless_bundle_only_and_the_reason_follows_the_kind() {
    let ok = format!("{ICE}{FP}{HOST}a=rtcp-mux\r\na=setup:actpass\r\n");
    let text = head(&format!(
        "a=group:BUNDLE 0 1\r\n{}{}{}",
        audio("0", 9, &ok),
        audio("1", 0, "a=bundle-only\r\na=rtcp-mux\r\n"),
        audio("2", 0, "a=rtcp-mux\r\n"),
    ));
    let e = run(&text, Context::default());
    let states: Vec<SectionState> = e.sections.iter().map(|s| s.state).collect();
    assert_eq!(
        states,
        [
            SectionState::Active,
            SectionState::BundleOnly,
            SectionState::Rejected
        ]
    );
    assert_eq!(
        e.warnings,
        [Warning::Rejected {
            section: section(2, "audio", "2"),
            reason: RejectReason::StoppedByOfferer
        }]
    );
}

#[test]
fn an_answer_compared_with_its_offer_says_which_codecs_each_side_has() {
    let offer = head(&format!(
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=mid:0\r\n{ICE}{FP}a=setup:actpass\r\na=rtcp-mux\r\n\
         a=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"
    ));
    let offer = Session::parse(&offer).unwrap();
    let answer = head("m=video 0 UDP/TLS/RTP/SAVPF 100\r\na=mid:0\r\na=rtpmap:100 H264/90000\r\n");
    let e = run(
        &answer,
        Context {
            stated: None,
            offer: Some(&offer),
        },
    );
    assert_eq!(e.session.kind, DescriptionKind::Answer);
    assert_eq!(
        e.warnings,
        [Warning::Rejected {
            section: section(0, "video", "0"),
            reason: RejectReason::NoCommonCodec {
                offered: vec!["VP8/90000".into()],
                answered: vec!["H264/90000".into()],
            }
        }]
    );
    // The same codec on both sides: something else made the answerer refuse.
    let answer = answer.replace("H264", "VP8");
    let e = run(
        &answer,
        Context {
            stated: None,
            offer: Some(&offer),
        },
    );
    assert_eq!(
        e.warnings[0],
        Warning::Rejected {
            section: section(0, "video", "0"),
            reason: RejectReason::OtherThanCodecs {
                common: vec!["VP8/90000".into()]
            }
        }
    );
}

#[test]
fn bundle_rtcp_mux_groups_and_candidates_are_checked() {
    // No rtcp-mux in a bundled RTP section, a group naming a missing mid, no candidates
    // and no trickle, a short password.
    let text = head(&format!(
        "a=group:BUNDLE 0 7\r\n{}",
        audio(
            "0",
            9,
            &format!("a=ice-ufrag:abcd\r\na=ice-pwd:short\r\n{FP}a=setup:actpass\r\n")
        ),
    ));
    let e = run(&text, Context::default());
    assert_eq!(
        e.warnings,
        [
            Warning::GroupMidMissing {
                semantics: "BUNDLE".into(),
                mids: vec!["7".into()]
            },
            Warning::IceLength {
                field: IceField::Pwd,
                len: 5,
                places: vec![Place::Section(section(0, "audio", "0"))]
            },
            Warning::NoCandidates {
                end_of_candidates: false
            },
            Warning::NoRtcpMux {
                section: section(0, "audio", "0")
            },
        ]
    );
    assert_eq!(
        e.warnings[3].to_string(),
        "section 0 (audio, mid 0) is bundled without a=rtcp-mux: bundled sections share one \
         transport, RTP and RTCP on one port (RFC 9143 s9), and WebRTC requires it (RFC 8834 \
         s5.1.1)"
    );
    // Trickle: candidates may follow. Trickle and end-of-candidates: none will.
    let ok = format!("{ICE}{FP}a=setup:actpass\r\na=rtcp-mux\r\na=ice-options:trickle\r\n");
    let e = run(&head(&audio("0", 9, &ok)), Context::default());
    assert!(e.warnings.is_empty(), "{:?}", e.warnings);
    let e = run(
        &head(&audio("0", 9, &format!("{ok}a=end-of-candidates\r\n"))),
        Context::default(),
    );
    assert_eq!(
        e.warnings,
        [Warning::NoCandidates {
            end_of_candidates: true
        }]
    );
}

#[test]
fn a_ufrag_repeated_in_every_section_warns_once_with_every_place() {
    let bad = format!(
        "a=ice-ufrag:a;b%2Fc\r\na=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\n{FP}{HOST}a=rtcp-mux\r\na=setup:actpass\r\n"
    );
    let text = head(&format!(
        "a=group:BUNDLE 0 1\r\n{}{}",
        audio("0", 9, &bad),
        audio("1", 9, &bad)
    ));
    let e = run(&text, Context::default());
    assert_eq!(
        e.warnings,
        [Warning::IceChars {
            field: IceField::Ufrag,
            value: Some("a;b%2Fc".into()),
            bad: vec![';', '%'],
            escaping: Some(Escaping::Url),
            places: vec![
                Place::Section(section(0, "audio", "0")),
                Place::Section(section(1, "audio", "1"))
            ],
        }]
    );
}

#[test]
fn a_password_outside_ice_char_is_named_but_never_shown() {
    let text = head(&audio(
        "0",
        9,
        &format!(
            "a=ice-ufrag:abcd\r\na=ice-pwd:bP&amp;XJMM09aR8AiX1jdukzR6Y\r\n{FP}{HOST}a=rtcp-mux\r\na=setup:actpass\r\n"
        ),
    ));
    let e = run(&text, Context::default());
    let [
        Warning::IceChars {
            value, escaping, ..
        },
    ] = &e.warnings[..]
    else {
        panic!("{:?}", e.warnings);
    };
    assert_eq!((value, escaping), (&None, &Some(Escaping::Html)));
    assert!(!e.warnings[0].to_string().contains("XJMM"));
    assert_eq!(e.sections[0].transport.pwd_len, Some(28));
}

#[test]
fn escapings_are_told_apart() {
    assert_eq!(escaping("ab%2Bcd"), Some(Escaping::Url));
    assert_eq!(escaping("ab%zz"), None);
    assert_eq!(escaping("ab&#43;cd"), Some(Escaping::Html));
    assert_eq!(escaping("ab&#x2B;cd"), Some(Escaping::Html));
    assert_eq!(escaping("ab&amp;cd"), Some(Escaping::Html));
    assert_eq!(escaping("a&b;"), Some(Escaping::Html));
    assert_eq!(escaping("a&;b"), None);
    assert_eq!(escaping("a b"), None);
}

#[test]
fn codec_parameters_are_read_in_words() {
    let text = head(&format!(
        "m=video 9 UDP/TLS/RTP/SAVPF 102 103 98\r\na=mid:0\r\n{ICE}{FP}{HOST}a=setup:actpass\r\na=rtcp-mux\r\n\
         a=rtpmap:102 H264/90000\r\na=fmtp:102 packetization-mode=0;profile-level-id=42f00b\r\n\
         a=rtpmap:103 rtx/90000\r\na=fmtp:103 apt=102;rtx-time=200\r\n\
         a=rtpmap:98 VP9/90000\r\na=fmtp:98 profile-id=2\r\n\
         m=audio 9 UDP/TLS/RTP/SAVPF 111 63\r\na=mid:1\r\na=rtcp-mux\r\n\
         a=rtpmap:111 opus/48000/2\r\na=fmtp:111 stereo=1;usedtx=0;maxaveragebitrate=64000\r\n\
         a=rtpmap:63 red/48000/2\r\na=fmtp:63 111/111\r\n"
    ));
    let e = run(&text, Context::default());
    let meanings = |s: usize, c: usize| -> Vec<Option<Meaning>> {
        e.sections[s].codecs[c]
            .params
            .iter()
            .map(|p| p.meaning.clone())
            .collect()
    };
    assert_eq!(
        meanings(0, 0),
        [
            Some(Meaning::PacketizationMode("single NAL unit mode")),
            Some(Meaning::H264ProfileLevel {
                profile: Profile::ConstrainedBaseline,
                level: "1b".into()
            })
        ]
    );
    assert_eq!(
        meanings(0, 1),
        [
            Some(Meaning::Retransmits {
                payload_type: 102,
                codec: Some("H264/90000".into())
            }),
            Some(Meaning::Millis {
                what: "keeps packets for",
                ms: 200
            })
        ]
    );
    assert_eq!(
        meanings(0, 2),
        [Some(Meaning::Vp9Profile("profile 2: 10 or 12-bit 4:2:0"))]
    );
    assert_eq!(
        meanings(1, 0),
        [
            Some(Meaning::Switch {
                what: "stereo reception",
                on: true
            }),
            Some(Meaning::Switch {
                what: "discontinuous transmission (DTX)",
                on: false
            }),
            Some(Meaning::Amount {
                what: "at most",
                value: 64000,
                unit: "bit/s on average"
            })
        ]
    );
    assert_eq!(
        meanings(1, 1)[0]
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("redundant copies of PT 111 (opus/48000/2), PT 111 (opus/48000/2)")
    );
    assert_eq!(
        e.sections[0].codecs[1].role,
        Some("retransmission (RFC 4588)")
    );
}

#[test]
fn simulcast_layers_and_rids_are_kept_in_order_with_paused_ones() {
    let text = head(&format!(
        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\n{ICE}{FP}{HOST}a=setup:actpass\r\na=rtcp-mux\r\n\
         a=rtpmap:96 VP8/90000\r\na=rid:h send\r\na=rid:m send max-width=640\r\na=rid:l send\r\n\
         a=simulcast:send h;m,l;~x recv r\r\n"
    ));
    let e = run(&text, Context::default());
    let s = &e.sections[0];
    let rids: Vec<(&str, RidDirection, &str)> = s
        .rids
        .iter()
        .map(|r| (r.id.as_str(), r.direction, r.params.as_str()))
        .collect();
    assert_eq!(
        rids,
        [
            ("h", RidDirection::Send, ""),
            ("m", RidDirection::Send, "max-width=640"),
            ("l", RidDirection::Send, "")
        ]
    );
    let sim = s.simulcast.as_ref().unwrap();
    let layer = |v: &[(&str, bool)]| -> Vec<(String, bool)> {
        v.iter().map(|(id, p)| ((*id).to_owned(), *p)).collect()
    };
    assert_eq!(
        sim.send,
        [
            layer(&[("h", false)]),
            layer(&[("m", false), ("l", false)]),
            layer(&[("x", true)])
        ]
    );
    assert_eq!(sim.recv, [layer(&[("r", false)])]);
    let text = super::render::text(&e);
    assert!(
        text.contains("  simulcast: sends 3 layers: h, m or l, x (paused)\n"),
        "{text}"
    );
    assert!(
        text.contains("  simulcast: receives 1 layers: r\n"),
        "{text}"
    );
}

#[test]
fn addresses_of_c_lines_count_and_the_placeholder_does_not() {
    let text = head(&format!(
        "c=IN IP4 0.0.0.0\r\n{}",
        audio(
            "0",
            9,
            &format!(
                "c=IN IP4 10.0.0.5\r\n{ICE}{FP}a=setup:actpass\r\na=rtcp-mux\r\na=ice-options:trickle\r\n"
            )
        )
    ));
    let e = run(&text, Context::default());
    assert_eq!(
        e.warnings,
        [Warning::PrivateOnly {
            addresses: vec![("10.0.0.5".into(), Reach::Private)]
        }]
    );
    assert_eq!(e.sections[0].transport.setup, Some(Setup::ActPass));
}

#[test]
fn an_unreadable_candidate_is_kept_and_warned_about() {
    let text = head(&audio(
        "0",
        9,
        &format!(
            "{ICE}{FP}a=setup:actpass\r\na=rtcp-mux\r\na=candidate:1 1 udp 2122260223 203.0.113.1 50000 typ nonsense\r\n"
        ),
    ));
    let e = run(&text, Context::default());
    let [
        Warning::UnreadableCandidate {
            section: s, text, ..
        },
    ] = &e.warnings[..]
    else {
        panic!("{:?}", e.warnings);
    };
    assert_eq!(
        (s, text.as_str()),
        (
            &section(0, "audio", "0"),
            "1 1 udp 2122260223 203.0.113.1 50000 typ nonsense"
        )
    );
}

/// Every line of wren-sdp's corpus and of this crate's fixtures, and some hostile ones.
fn line_pool() -> Vec<String> {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut lines = Vec::new();
    for dir in [
        root.join("../../proto/sdp/tests/corpus"),
        root.join("tests/fixtures"),
    ] {
        for e in std::fs::read_dir(dir).expect("corpus") {
            let path = e.expect("entry").path();
            if path.extension().is_some_and(|x| x == "sdp") {
                let text = std::fs::read_to_string(path).expect("read");
                lines.extend(
                    text.lines()
                        .filter(|l| {
                            !l.starts_with("v=") && !l.starts_with("o=") && !l.starts_with("s=")
                        })
                        .map(str::to_owned),
                );
            }
        }
    }
    lines.extend(
        [
            "m=video 0 UDP/TLS/RTP/SAVPF 96",
            "m=application 0 UDP/DTLS/SCTP webrtc-datachannel",
            "a=group:BUNDLE 0 1 2 3 x",
            "a=group:BUNDLE",
            "a=fmtp:96 profile-level-id=zzzzzz;packetization-mode=9",
            "a=fmtp:96 apt=300",
            "a=fmtp:63 111/x/",
            "a=fmtp:45 level-idx=255;profile=7",
            "a=ice-ufrag:%",
            "a=ice-pwd:&;",
            "a=candidate:x 1 udp 1 fe80::1 1 typ relay raddr :: rport 0",
            "a=candidate:",
            "a=setup:holdconn",
            "a=bundle-only",
            "a=simulcast:send ~a;b,c recv d",
            "c=IN IP6 ::1",
            "c=IN IP4 224.2.1.1/127/3",
        ]
        .map(str::to_owned),
    );
    lines
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

    /// Whatever lines a description has, in whatever order, explaining it (alone, as an
    /// answer to itself, and stated either way), rendering it and answering it never panics.
    #[test]
    fn any_description_is_explained_and_answered_without_panic(
        picks in proptest::collection::vec(proptest::prelude::any::<proptest::sample::Index>(), 0..80),
    ) {
        let pool = line_pool();
        let mut text = head("");
        for p in &picks {
            let line: &String = p.get(&pool);
            text.push_str(line);
            text.push_str("\r\n");
        }
        if let Ok(session) = Session::parse(&text) {
            for context in [
                Context::default(),
                Context { stated: Some(DescriptionKind::Offer), offer: None },
                Context { stated: None, offer: Some(&session) },
            ] {
                let e = explain(&session, context);
                let rendered = super::render::text(&e);
                proptest::prop_assert!(rendered.starts_with("session: "));
                for w in &e.warnings {
                    proptest::prop_assert!(!w.to_string().is_empty());
                }
            }
            let answer = super::answer::answer(&session);
            proptest::prop_assert!(Session::parse(&answer.to_sdp()).is_ok());
            let _ = super::answer::left_out(&session, &answer);
        }
    }
}
