//! Unit tests: line endings, errors with their line numbers, limits, building from scratch,
//! and each typed attribute's grammar (RFC references in the modules).

use std::borrow::Cow;

use crate::attribute::*;
use crate::*;

const MIN: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";

fn err(text: &str) -> ParseError {
    Session::parse(text).expect_err("must not parse")
}

fn attr(line: &str) -> Attribute<'_> {
    let text: &'static str = Box::leak(format!("{MIN}{line}\r\n").into_boxed_str());
    let s = Session::parse(text).unwrap_or_else(|e| panic!("{line}: {e}"));
    s.attributes().last().cloned().expect("an attribute")
}

fn attr_err(line: &str) -> ErrorKind {
    let text = format!("{MIN}{line}\r\n");
    let e = Session::parse(&text).expect_err(line);
    assert_eq!(e.line, 5, "{line}");
    e.kind
}

/// The line written from its meaning is `line` again.
fn canonical(line: &str) {
    let a = attr(line);
    assert_eq!(format!("a={a}"), line);
}

#[test]
fn lf_crlf_mixed_and_unterminated_round_trip() {
    for text in [
        "v=0\no=- 1 2 IN IP4 127.0.0.1\ns=-\nt=0 0\nm=audio 9 RTP/AVP 0\n",
        "v=0\r\no=- 1 2 IN IP4 127.0.0.1\ns=-\r\nt=0 0\nm=audio 9 RTP/AVP 0\r\na=x",
        "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0",
    ] {
        assert_eq!(Session::parse(text).unwrap().to_string(), text);
    }
}

#[test]
fn a_line_after_an_unterminated_last_line_starts_on_a_new_line() {
    let text = "v=0\no=- 1 2 IN IP4 127.0.0.1\ns=-\nm=audio 9 RTP/AVP 0";
    let mut s = Session::parse(text).unwrap();
    s.media_mut()[0].push(Attribute::Mid("a".into()));
    let out = s.to_string();
    assert_eq!(out, format!("{text}\r\na=mid:a\r\n"));
    assert_eq!(Session::parse(&out).unwrap().media()[0].mid(), Some("a"));
}

#[test]
fn unknown_lines_and_attributes_survive() {
    let text = format!(
        "{MIN}i=session info\r\nx=future line\r\na=x-google-flag:conference\r\na=flag\r\n\
         m=video 9 UDP/TLS/RTP/SAVPF 96\r\nb=AS:300\r\nk=prompt\r\na=rtcp-mux:odd\r\n"
    );
    let s = Session::parse(&text).unwrap();
    assert_eq!(s.to_string(), text);
    assert!(s.attributes().any(|a| *a
        == Attribute::Other {
            name: "x-google-flag".into(),
            value: Some("conference".into())
        }));
    let m = &s.media()[0];
    assert!(!m.rtcp_mux(), "a=rtcp-mux with a value is not the property");
    assert!(m.entries().iter().any(|e| matches!(e.line(),
        Line::Bandwidth(b) if b.kind == "AS" && b.value == 300)));
}

#[test]
fn errors_name_the_line_and_what_was_expected() {
    assert_eq!(err("").kind, ErrorKind::Empty);
    assert_eq!(err("v=1\r\n"), ErrorKind::BadVersion.at(1));
    assert_eq!(err("o=- 1 2 IN IP4 x\r\n"), ErrorKind::BadVersion.at(1));
    assert_eq!(
        err("v=0\r\ns=-\r\nm=audio 9 RTP/AVP 0\r\n"),
        ErrorKind::Missing('o').at(3)
    );
    assert_eq!(
        err("v=0\r\no=- 1 2 IN IP4 x\r\n"),
        ErrorKind::Missing('s').at(2)
    );
    assert_eq!(
        err("v=0\r\no=- x 2 IN IP4 x\r\n").kind,
        ErrorKind::BadOrigin("a decimal <sess-id>")
    );
    assert_eq!(
        err("v=0\r\no=- 1 2 IN IP4\r\n").kind,
        ErrorKind::BadOrigin("<unicast-address>")
    );
    assert_eq!(
        err(&format!("{MIN}v=0\r\n")),
        ErrorKind::Unexpected('v').at(5)
    );
    assert_eq!(
        err(&format!("{MIN}m=audio 9 RTP/AVP 0\r\ns=x\r\n")),
        ErrorKind::Unexpected('s').at(6)
    );
    assert_eq!(err(&format!("{MIN}\r\n")), ErrorKind::BadLine.at(5));
    assert_eq!(err(&format!("{MIN}A=x\r\n")), ErrorKind::BadLine.at(5));
    assert_eq!(err(&format!("{MIN}a\r\n")), ErrorKind::BadLine.at(5));
    assert_eq!(
        err(&format!("{MIN}c=IN IP4\r\n")),
        ErrorKind::BadConnection.at(5)
    );
    assert_eq!(
        err(&format!("{MIN}b=AS\r\n")),
        ErrorKind::BadBandwidth.at(5)
    );
    assert_eq!(err(&format!("{MIN}t=0\r\n")), ErrorKind::BadTiming.at(5));
    // m= lines: too few fields, a bad port, a bad number of ports.
    assert_eq!(
        err(&format!("{MIN}m=audio 9 RTP/AVP\r\n")),
        ErrorKind::MediaFields { found: 3 }.at(5)
    );
    assert_eq!(
        err(&format!("{MIN}m=audio\r\n")),
        ErrorKind::MediaFields { found: 1 }.at(5)
    );
    assert_eq!(
        err(&format!("{MIN}m=audio 65536 RTP/AVP 0\r\n")),
        ErrorKind::BadPort.at(5)
    );
    assert_eq!(
        err(&format!("{MIN}m=audio -1 RTP/AVP 0\r\n")),
        ErrorKind::BadPort.at(5)
    );
    assert_eq!(
        err(&format!("{MIN}m=audio 9/x RTP/AVP 0\r\n")),
        ErrorKind::BadPort.at(5)
    );
    let e = err(&format!("{MIN}m=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n"));
    assert_eq!(e.line, 6);
    assert_eq!(
        e.kind,
        ErrorKind::BadAttribute {
            name: "rtpmap",
            expected: "<encoding name>/<clock rate>"
        }
    );
    assert_eq!(
        e.to_string(),
        "line 6: a=rtpmap: expected <encoding name>/<clock rate>"
    );
}

#[test]
fn bad_attribute_values() {
    let bad = |line: &str, name: &'static str| match attr_err(line) {
        ErrorKind::BadAttribute { name: n, .. } => assert_eq!(n, name, "{line}"),
        k => panic!("{line}: {k:?}"),
    };
    bad("a=rtpmap:128 x/90000", "rtpmap");
    bad("a=rtpmap:96 VP8", "rtpmap");
    bad("a=rtpmap:96 VP8/x", "rtpmap");
    bad("a=rtpmap:96 opus/48000/2/1", "rtpmap");
    bad("a=fmtp:x apt=96", "fmtp");
    bad("a=rtcp-fb:96", "rtcp-fb");
    bad("a=rtcp-fb:+1 nack", "rtcp-fb");
    bad("a=extmap:0 urn:x", "extmap");
    bad("a=extmap:1/up urn:x", "extmap");
    bad("a=extmap:1", "extmap");
    bad("a=fingerprint:sha-256 -", "fingerprint");
    bad("a=fingerprint:md5 AB", "fingerprint");
    bad("a=fingerprint:sha-1 AB:CD", "fingerprint");
    bad(
        "a=fingerprint:sha-1 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:0G",
        "fingerprint",
    );
    bad(
        "a=fingerprint:sha-1 AB-CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01",
        "fingerprint",
    );
    bad("a=setup:both", "setup");
    bad("a=ice-ufrag:", "ice-ufrag");
    bad("a=ice-pwd:a b", "ice-pwd");
    bad("a=ice-options:", "ice-options");
    bad("a=mid:", "mid");
    bad("a=group:", "group");
    bad("a=msid:", "msid");
    bad("a=msid:a b c", "msid");
    bad("a=ssrc:x cname:y", "ssrc");
    bad("a=ssrc:1", "ssrc");
    bad("a=ssrc-group:FID 1 x", "ssrc-group");
    bad("a=rid:a up", "rid");
    bad("a=rid:a.b send", "rid");
    bad("a=rid:a send pt=x", "rid");
    bad("a=simulcast:send", "simulcast");
    bad("a=simulcast:send a;;b", "simulcast");
    bad("a=simulcast:send a send b", "simulcast");
    bad("a=simulcast:both a", "simulcast");
    bad("a=sctp-port:65536", "sctp-port");
    bad("a=max-message-size:-1", "max-message-size");
}

#[test]
fn limits() {
    let text = format!("{MIN}m=audio 9 RTP/AVP 0\r\nm=video 9 RTP/AVP 96\r\n");
    let tight = |f: fn(&mut Limits)| {
        let mut l = Limits::default();
        f(&mut l);
        Session::parse_with(&text, &l)
    };
    assert!(tight(|_| {}).is_ok());
    assert_eq!(
        tight(|l| l.max_size = 10).unwrap_err(),
        ErrorKind::TooLarge {
            size: text.len(),
            max: 10
        }
        .at(0)
    );
    assert_eq!(
        tight(|l| l.max_lines = 5).unwrap_err(),
        ErrorKind::TooManyLines { max: 5 }.at(6)
    );
    assert_eq!(
        tight(|l| l.max_line_len = 23).unwrap_err(),
        ErrorKind::LineTooLong { len: 24, max: 23 }.at(2)
    );
    assert_eq!(
        tight(|l| l.max_media = 1).unwrap_err(),
        ErrorKind::TooManyMedia { max: 1 }.at(6)
    );
}

#[test]
fn typed_attributes_write_back_canonically() {
    for line in [
        "a=ice-ufrag:EsAw",
        "a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y",
        "a=ice-options:trickle ice2",
        "a=ice-lite",
        "a=candidate:1 1 udp 2130706431 192.0.2.1 50000 typ host",
        "a=end-of-candidates",
        "a=fingerprint:sha-1 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01",
        "a=setup:holdconn",
        "a=mid:audio",
        "a=group:BUNDLE 0 1 2",
        "a=group:LS a b",
        "a=bundle-only",
        "a=msid:stream track",
        "a=msid:-",
        "a=msid-semantic: WMS *",
        "a=msid-semantic: WMS",
        "a=rtcp-mux",
        "a=rtcp-mux-only",
        "a=rtcp-rsize",
        "a=rtpmap:111 opus/48000/2",
        "a=rtpmap:96 VP8/90000",
        "a=fmtp:96 profile-level-id=42e01f;level-asymmetry-allowed=1;packetization-mode=1",
        "a=rtcp-fb:96 nack pli",
        "a=rtcp-fb:* transport-cc",
        "a=extmap:3/recvonly urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
        "a=extmap:4 urn:x attr1 attr2",
        "a=extmap-allow-mixed",
        "a=ssrc:3735928559 cname:a:b",
        "a=ssrc:1 label",
        "a=ssrc-group:SIM 1 2 3",
        "a=rid:hi send pt=96,97;max-width=1280;max-fps=30",
        "a=rid:lo recv",
        "a=simulcast:send hi;~mid,low recv r1",
        "a=sctp-port:5000",
        "a=max-message-size:0",
        "a=sendrecv",
        "a=sendonly",
        "a=recvonly",
        "a=inactive",
        "a=x-unknown:value",
        "a=x-flag",
    ] {
        canonical(line);
    }
}

#[test]
fn typed_values() {
    let Attribute::Fingerprint(f) =
        attr(&format!("a=fingerprint:SHA-512 {}", ["0a"; 64].join(":")))
    else {
        panic!()
    };
    assert_eq!(
        (f.hash(), f.bytes()),
        (HashFunction::Sha512, &[0x0a; 64][..])
    );
    for (h, n) in [
        (HashFunction::Sha1, 20),
        (HashFunction::Sha224, 28),
        (HashFunction::Sha256, 32),
        (HashFunction::Sha384, 48),
        (HashFunction::Sha512, 64),
    ] {
        let f = Fingerprint::new(h, &vec![0xab; n]).unwrap();
        assert_eq!(
            attr(&format!("a=fingerprint:{f}")),
            Attribute::Fingerprint(f)
        );
        assert!(Fingerprint::new(h, &vec![0; n + 1]).is_none());
    }

    let Attribute::Rid(r) = attr("a=rid:1 send pt=96,98;max-width=640;depend=0") else {
        panic!()
    };
    assert_eq!(r.payload_types().collect::<Vec<_>>(), [96, 98]);
    assert_eq!(
        r.restrictions().collect::<Vec<_>>(),
        [("max-width", Some("640")), ("depend", Some("0"))]
    );

    let Attribute::Simulcast(s) = attr("a=simulcast:recv 1,~2;3 send 4") else {
        panic!()
    };
    assert_eq!(s.recv.len(), 2);
    assert_eq!(
        s.recv[0],
        [
            SimulcastRid {
                id: "1".into(),
                paused: false
            },
            SimulcastRid {
                id: "2".into(),
                paused: true
            }
        ]
    );
    assert_eq!(
        s.send,
        [[SimulcastRid {
            id: "4".into(),
            paused: false
        }]]
    );
    let r = s.clone().reversed();
    assert_eq!((r.send, r.recv), (s.recv, s.send));
    // Firefox's draft-era form.
    let Attribute::Simulcast(s) = attr("a=simulcast: recv rid=foo;bar") else {
        panic!()
    };
    assert_eq!(s.recv.len(), 2);

    let Attribute::ExtMap(e) =
        attr("a=extmap:1/sendonly urn:ietf:params:rtp-hdrext:ssrc-audio-level")
    else {
        panic!()
    };
    assert_eq!((e.id, e.direction), (1, Some(Direction::SendOnly)));
    let Attribute::Ssrc(s) = attr("a=ssrc:2564157021 cname:{cae1cd32-7433}") else {
        panic!()
    };
    assert_eq!(
        (s.id, &*s.attribute, s.value.as_deref()),
        (2564157021, "cname", Some("{cae1cd32-7433}"))
    );
    let Attribute::Fmtp(f) = attr("a=fmtp:101 0-15") else {
        panic!()
    };
    assert_eq!(
        f.params().collect::<Vec<_>>(),
        [FmtpParam {
            key: None,
            value: "0-15"
        }]
    );
    let Attribute::IceOptions(o) = attr("a=ice-options:trickle ice2 renomination") else {
        panic!()
    };
    assert_eq!(
        o.iter().collect::<Vec<_>>(),
        [
            IceOption::Trickle,
            IceOption::Ice2,
            IceOption::Other("renomination")
        ]
    );
    let Attribute::Candidate(c) =
        attr("a=candidate:3 1 TCP 1015022079 10.0.0.1 9 typ host tcptype active")
    else {
        panic!()
    };
    let f = c.fields().unwrap();
    assert_eq!(
        (f.transport, f.port, f.kind, f.rest),
        ("TCP", 9, "host", "tcptype active")
    );
    assert!(
        Candidate("1 1 udp x 10.0.0.1 9 typ host".into())
            .fields()
            .is_none()
    );
    assert!(
        Candidate("1 1 udp 1 10.0.0.1 9 host".into())
            .fields()
            .is_none()
    );
    assert!(Candidate("".into()).fields().is_none());
}

#[test]
fn build_from_scratch() {
    let mut s = Session::new(Origin {
        username: "-".into(),
        session_id: 42,
        session_version: 1,
        net_type: "IN".into(),
        addr_type: "IP4".into(),
        address: "127.0.0.1".into(),
    });
    s.push(Attribute::Group(Group {
        semantics: "BUNDLE".into(),
        mids: vec!["0".into()],
    }));
    let mut m = Media::new(MediaLine {
        kind: "audio".into(),
        port: 9,
        port_count: None,
        proto: "UDP/TLS/RTP/SAVPF".into(),
        formats: "111".into(),
    });
    m.push(Line::Connection(Connection {
        net_type: "IN".into(),
        addr_type: "IP4".into(),
        address: "0.0.0.0".into(),
    }));
    m.push(Attribute::Mid("0".into()));
    m.push(Attribute::Setup(Setup::Passive));
    m.push(Attribute::Direction(Direction::RecvOnly));
    m.push(Attribute::RtpMap(RtpMap {
        payload_type: 111,
        encoding: "opus".into(),
        clock_rate: 48000,
        channels: Some(2),
    }));
    m.push(Attribute::Fmtp(Fmtp::new(
        111,
        [
            FmtpParam {
                key: Some("minptime"),
                value: "10",
            },
            FmtpParam {
                key: Some("useinbandfec"),
                value: "1",
            },
        ],
    )));
    m.push(Attribute::IceOptions(IceOptions::new([IceOption::Trickle])));
    s.media_mut().push(m);
    let text = s.to_string();
    assert_eq!(
        text,
        "v=0\r\no=- 42 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n\
         m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=setup:passive\r\n\
         a=recvonly\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n\
         a=ice-options:trickle\r\n"
    );
    assert_eq!(Session::parse(&text).unwrap(), s);
}

#[test]
fn replacing_a_parsed_line_writes_its_new_meaning() {
    let text = format!("{MIN}m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=setup:actpass\r\na=sendrecv\r\n");
    let mut s = Session::parse(&text).unwrap();
    let m = &mut s.media_mut()[0];
    m.entries_mut()[0] = Attribute::Setup(Setup::Active).into();
    let mut line = m.media_line().clone();
    line.port = 0;
    m.set_media_line(line);
    assert_eq!(
        s.to_string(),
        format!("{MIN}m=audio 0 UDP/TLS/RTP/SAVPF 0\r\na=setup:active\r\na=sendrecv\r\n")
    );
}

#[test]
fn session_level_values_apply_to_sections_without_their_own() {
    let text = format!(
        "{MIN}a=ice-ufrag:sess\r\na=ice-pwd:sesspwd\r\na=setup:actpass\r\n\
         a=fingerprint:sha-1 {}\r\nm=audio 9 RTP/AVP 0\r\nm=video 9 RTP/AVP 96\r\na=ice-ufrag:own\r\n",
        ["00"; 20].join(":")
    );
    let s = Session::parse(&text).unwrap();
    let (a, v) = (&s.media()[0], &s.media()[1]);
    assert_eq!(
        (s.ice_ufrag_of(a), s.ice_ufrag_of(v)),
        (Some("sess"), Some("own"))
    );
    assert_eq!(s.ice_pwd_of(v), Some("sesspwd"));
    assert_eq!(s.setup_of(a), Some(Setup::ActPass));
    assert_eq!(s.fingerprints_of(v).count(), 1);
    assert_eq!(a.direction(), Direction::SendRecv);
    assert_eq!(s.name(), Some("-"));
    assert_eq!(s.timing(), Some(Timing { start: 0, stop: 0 }));
    assert!(s.connection().is_none());
    let _: Cow<'_, str> = s.origin().unwrap().address.clone();
}

#[test]
fn direction_helpers() {
    assert_eq!(Direction::SendOnly.reversed(), Direction::RecvOnly);
    assert_eq!(Direction::Inactive.reversed(), Direction::Inactive);
    assert!(Direction::SendRecv.sends() && Direction::SendRecv.receives());
    assert!(!Direction::RecvOnly.sends());
    assert_eq!(RidDirection::Send.reversed(), RidDirection::Recv);
}

#[test]
fn into_owned_outlives_the_text_and_still_writes_it_back() {
    let text = format!(
        "{MIN}a=group:BUNDLE 0\r\na=ice-options:trickle  ice2\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n\
         a=mid:0\r\na=rtpmap:96 VP8/90000\r\na=simulcast:send a;~b\r\na=x-odd: kept  as is\n"
    );
    let (owned, parsed): (Session<'static>, String) = {
        let copy = text.clone();
        let s = Session::parse(&copy).unwrap();
        let parsed = format!("{s:?}");
        (s.into_owned(), parsed)
    };
    assert_eq!(owned.to_string(), text);
    assert_eq!(format!("{owned:?}"), parsed);
    assert_eq!(owned, Session::parse(&text).unwrap());
}
