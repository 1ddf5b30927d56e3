//! Property tests: generated sessions written then parsed back are equal; any text either
//! fails with an error or parses and writes back byte for byte, and its canonical form
//! parses back to the same meaning; nothing panics.

use proptest::prelude::*;
use wren_sdp::attribute::*;
use wren_sdp::{Attribute, Connection, Line, Media, MediaLine, Origin, Session};

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9+/._-]{1,12}"
}

fn rid_id() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_-]{1,8}"
}

fn direction() -> impl Strategy<Value = Direction> {
    prop_oneof![
        Just(Direction::SendRecv),
        Just(Direction::SendOnly),
        Just(Direction::RecvOnly),
        Just(Direction::Inactive)
    ]
}

fn simulcast_list() -> impl Strategy<Value = SimulcastStreams<'static>> {
    prop::collection::vec(
        prop::collection::vec(
            (rid_id(), any::<bool>()).prop_map(|(id, paused)| SimulcastRid {
                id: id.into(),
                paused,
            }),
            1..3,
        ),
        1..4,
    )
}

fn attribute() -> impl Strategy<Value = Attribute<'static>> {
    let hash = prop_oneof![
        Just(HashFunction::Sha1),
        Just(HashFunction::Sha224),
        Just(HashFunction::Sha256),
        Just(HashFunction::Sha384),
        Just(HashFunction::Sha512)
    ];
    prop_oneof![
        token().prop_map(|t| Attribute::IceUfrag(t.into())),
        token().prop_map(|t| Attribute::IcePwd(t.into())),
        prop::collection::vec(
            prop_oneof![Just(IceOption::Trickle), Just(IceOption::Ice2)],
            1..3
        )
        .prop_map(|o| Attribute::IceOptions(IceOptions::new(o))),
        Just(Attribute::IceLite),
        (token(), 1u16..3, any::<u32>(), any::<u16>()).prop_map(|(f, c, p, port)| {
            Attribute::Candidate(Candidate(
                format!("{f} {c} udp {p} 192.0.2.1 {port} typ host").into(),
            ))
        }),
        Just(Attribute::EndOfCandidates),
        (hash, prop::collection::vec(any::<u8>(), 64)).prop_map(|(h, b)| {
            Attribute::Fingerprint(Fingerprint::new(h, &b[..h.digest_len()]).unwrap())
        }),
        prop_oneof![
            Just(Setup::Active),
            Just(Setup::Passive),
            Just(Setup::ActPass),
            Just(Setup::HoldConn)
        ]
        .prop_map(Attribute::Setup),
        token().prop_map(|t| Attribute::Mid(t.into())),
        (token(), prop::collection::vec(token(), 0..4)).prop_map(|(s, m)| {
            Attribute::Group(Group {
                semantics: s.into(),
                mids: m.into_iter().map(Into::into).collect(),
            })
        }),
        Just(Attribute::BundleOnly),
        (token(), prop::option::of(token())).prop_map(|(s, t)| Attribute::Msid(Msid {
            stream: s.into(),
            track: t.map(Into::into)
        })),
        (token(), prop::collection::vec(token(), 0..3)).prop_map(|(s, ids)| {
            Attribute::MsidSemantic(MsidSemantic {
                semantic: s.into(),
                ids: ids.join(" ").into(),
            })
        }),
        Just(Attribute::RtcpMux),
        Just(Attribute::RtcpMuxOnly),
        Just(Attribute::RtcpRsize),
        (
            0u8..128,
            "[A-Za-z0-9-]{1,10}",
            any::<u32>(),
            prop::option::of(any::<u16>())
        )
            .prop_map(|(pt, e, c, ch)| Attribute::RtpMap(RtpMap {
                payload_type: pt,
                encoding: e.into(),
                clock_rate: c,
                channels: ch
            })),
        (0u8..128, prop::collection::vec((token(), token()), 0..4)).prop_map(|(pt, kv)| {
            Attribute::Fmtp(Fmtp::new(
                pt,
                kv.iter().map(|(k, v)| FmtpParam {
                    key: Some(k),
                    value: v,
                }),
            ))
        }),
        (
            prop::option::of(0u8..128),
            token(),
            prop::option::of(token())
        )
            .prop_map(|(pt, k, p)| Attribute::RtcpFb(RtcpFb {
                payload_type: pt,
                kind: k.into(),
                param: p.map(Into::into)
            })),
        (
            1u16..,
            prop::option::of(direction()),
            token(),
            prop::option::of(token())
        )
            .prop_map(|(id, d, u, a)| Attribute::ExtMap(ExtMap {
                id,
                direction: d,
                uri: u.into(),
                attributes: a.map(Into::into)
            })),
        Just(Attribute::ExtmapAllowMixed),
        (any::<u32>(), "[a-z]{1,8}", prop::option::of(token())).prop_map(|(id, a, v)| {
            Attribute::Ssrc(Ssrc {
                id,
                attribute: a.into(),
                value: v.map(Into::into),
            })
        }),
        (token(), prop::collection::vec(any::<u32>(), 0..4)).prop_map(|(s, ssrcs)| {
            Attribute::SsrcGroup(SsrcGroup {
                semantics: s.into(),
                ssrcs,
            })
        }),
        (
            rid_id(),
            prop_oneof![Just(RidDirection::Send), Just(RidDirection::Recv)],
            prop::collection::vec(0u8..128, 0..3),
            prop::option::of(1u32..5000)
        )
            .prop_map(|(id, d, pts, w)| {
                let mut params = Vec::new();
                if !pts.is_empty() {
                    let pts: Vec<_> = pts.iter().map(u8::to_string).collect();
                    params.push(format!("pt={}", pts.join(",")));
                }
                if let Some(w) = w {
                    params.push(format!("max-width={w}"));
                }
                Attribute::Rid(Rid {
                    id: id.into(),
                    direction: d,
                    params: params.join(";").into(),
                })
            }),
        (simulcast_list(), simulcast_list(), 0..3u8).prop_map(|(send, recv, which)| {
            let (send, recv) = match which {
                0 => (send, Vec::new()),
                1 => (Vec::new(), recv),
                _ => (send, recv),
            };
            Attribute::Simulcast(Simulcast { send, recv })
        }),
        any::<u16>().prop_map(Attribute::SctpPort),
        any::<u64>().prop_map(Attribute::MaxMessageSize),
        direction().prop_map(Attribute::Direction),
        ("x-[a-z]{1,8}", prop::option::of("[ -~]{0,20}")).prop_map(|(n, v)| Attribute::Other {
            name: n.into(),
            value: v.map(Into::into)
        }),
    ]
}

fn media() -> impl Strategy<Value = Media<'static>> {
    (
        prop_oneof![Just("audio"), Just("video"), Just("application")],
        any::<u16>(),
        prop::collection::vec(0u8..128, 1..6),
        prop::collection::vec(attribute(), 0..12),
        any::<bool>(),
    )
        .prop_map(|(kind, port, pts, attrs, c)| {
            let formats: Vec<_> = pts.iter().map(u8::to_string).collect();
            let mut m = Media::new(MediaLine {
                kind: kind.into(),
                port,
                port_count: None,
                proto: "UDP/TLS/RTP/SAVPF".into(),
                formats: formats.join(" ").into(),
            });
            if c {
                m.push(Line::Connection(Connection {
                    net_type: "IN".into(),
                    addr_type: "IP4".into(),
                    address: "0.0.0.0".into(),
                }));
            }
            for a in attrs {
                m.push(a);
            }
            m
        })
}

fn session() -> impl Strategy<Value = Session<'static>> {
    (
        any::<u64>(),
        any::<u64>(),
        prop::collection::vec(attribute(), 0..6),
        prop::collection::vec(media(), 0..4),
    )
        .prop_map(|(id, version, attrs, media)| {
            let mut s = Session::new(Origin {
                username: "-".into(),
                session_id: id,
                session_version: version,
                net_type: "IN".into(),
                addr_type: "IP4".into(),
                address: "127.0.0.1".into(),
            });
            for a in attrs {
                s.push(a);
            }
            *s.media_mut() = media;
            s
        })
}

/// Lines that look like SDP, to reach past the first lines more often than random text.
fn sdp_like() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        "[a-z]=[ -~]{0,30}",
        "a=(rtpmap|fmtp|rtcp-fb|extmap|ssrc|rid|simulcast|fingerprint|setup|group|msid):[ -~]{0,30}",
        "m=[a-z]{1,6} [0-9/]{1,7} [A-Z/]{1,12} [0-9 ]{1,10}",
        "[ -~]{0,10}",
    ];
    (
        prop::collection::vec(line, 0..12),
        prop_oneof![Just("\r\n"), Just("\n")],
    )
        .prop_map(|(lines, end)| {
            let mut s = String::from("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n");
            for l in lines {
                s.push_str(&l);
                s.push_str(end);
            }
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn generated_sessions_write_then_parse_back_equal(s in session()) {
        let text = s.to_string();
        let parsed = Session::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&parsed, &s);
        prop_assert_eq!(parsed.to_string(), text);
    }

    #[test]
    fn any_text_never_panics(text in "(?s).{0,400}") {
        let _ = Session::parse(&text);
    }

    #[test]
    fn sdp_like_text_is_lossless_or_an_error(text in sdp_like()) {
        if let Ok(s) = Session::parse(&text) {
            prop_assert_eq!(s.to_string(), text.clone());
            let canonical = fresh(&s).to_string();
            let again = Session::parse(&canonical)
                .map_err(|e| TestCaseError::fail(format!("{e}\n{canonical}")))?;
            prop_assert_eq!(again, s);
        }
    }
}

/// Every line made anew from its meaning.
fn fresh<'a>(s: &Session<'a>) -> Session<'a> {
    let mut f = s.clone();
    for e in f.entries_mut() {
        *e = wren_sdp::Entry::new(e.line().clone());
    }
    for m in f.media_mut() {
        let l = m.media_line().clone();
        m.set_media_line(l);
        for e in m.entries_mut() {
            *e = wren_sdp::Entry::new(e.line().clone());
        }
    }
    f
}
