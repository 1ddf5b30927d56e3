//! Candidate lines: browsers' own, every error, and round trips.

use proptest::prelude::*;

use super::*;

/// Lines Chromium 156 wrote on this workplace (shared/corpus/sdp).
const CHROMIUM: &[&str] = &[
    "candidate:2572979085 1 udp 2122260223 127.0.0.1 42505 typ host generation 0 network-id 1 network-cost 50",
    "candidate:1267646038 1 udp 58662911 127.0.0.1 49275 typ relay raddr 0.0.0.0 rport 0 generation 0 network-id 1 network-cost 50",
];

/// aiortc 1.16's host candidate (shared/corpus/sdp).
const AIORTC: &str =
    "candidate:16572de626da4e5384a0ce2d0d93678a 1 udp 2130706431 127.0.0.1 32981 typ host";

/// Lines in the forms Chrome, Firefox and Safari write them (addresses from documentation
/// ranges and made-up mDNS names): mDNS host names, TCP candidates, srflx with raddr/rport.
const BROWSER_FORMS: &[&str] = &[
    // Chrome: mDNS host, TCP active, srflx.
    "candidate:3098175849 1 udp 2113937151 d4f1e0c2-7a8b-4c3d-9e5f-0a1b2c3d4e5f.local 54400 typ host generation 0 ufrag EsAw network-cost 999",
    "candidate:1998075848 1 tcp 1518280447 192.0.2.10 9 typ host tcptype active generation 0 network-id 1",
    "candidate:842163049 1 udp 1677729535 203.0.113.7 61842 typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag EsAw network-cost 999",
    // Firefox: upper-case transport, srflx with a private raddr, TCP passive.
    "candidate:0 1 UDP 2122252543 192.0.2.10 49203 typ host",
    "candidate:1 1 UDP 1686052863 203.0.113.7 49203 typ srflx raddr 192.0.2.10 rport 49203",
    "candidate:2 1 TCP 2105524479 192.0.2.10 9 typ host tcptype active",
    "candidate:3 1 TCP 2105458943 192.0.2.10 49204 typ host tcptype passive",
    // Safari: mDNS host and IPv6.
    "candidate:2871453418 1 udp 2113937151 7b3a8f1e-1c2d-4e5f-8a9b-0c1d2e3f4a5b.local 59316 typ host generation 0 ufrag kV8w network-cost 999",
    "candidate:4233069003 1 udp 2122262783 2001:db8::1234 52045 typ host generation 0 ufrag kV8w network-id 2",
];

#[test]
fn chromium_and_aiortc_lines_round_trip_byte_for_byte() {
    for line in CHROMIUM.iter().chain([&AIORTC]) {
        let c: Candidate = line.parse().unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(c.to_string(), *line);
        let with_a = format!("a={line}");
        assert_eq!(
            with_a.parse::<Candidate>().unwrap(),
            c,
            "a= prefix accepted"
        );
    }
}

#[test]
fn browser_forms_parse_and_round_trip() {
    for line in BROWSER_FORMS {
        let c: Candidate = line.parse().unwrap_or_else(|e| panic!("{line}: {e}"));
        let again: Candidate = c.to_string().parse().unwrap();
        assert_eq!(again, c, "{line}");
        // Byte for byte except the transport's case, which Firefox writes in upper case.
        assert_eq!(c.to_string().to_lowercase(), line.to_lowercase());
    }
}

#[test]
fn fields_are_typed() {
    let c: Candidate = BROWSER_FORMS[0].parse().unwrap();
    assert!(c.address.is_mdns());
    assert_eq!(c.ufrag.as_deref(), Some("EsAw"));
    assert_eq!(c.network_cost, Some(999));
    let tcp: Candidate = BROWSER_FORMS[1].parse().unwrap();
    assert_eq!(
        (tcp.transport.clone(), tcp.tcp_type, tcp.port),
        (CandidateTransport::Tcp, Some(TcpType::Active), 9)
    );
    let srflx: Candidate = BROWSER_FORMS[4].parse().unwrap();
    assert_eq!(srflx.kind, CandidateType::ServerReflexive);
    assert_eq!(
        srflx.related,
        Some((Address::Ip("192.0.2.10".parse().unwrap()), 49203))
    );
    let relay: Candidate = CHROMIUM[1].parse().unwrap();
    assert_eq!(relay.kind, CandidateType::Relayed);
    assert_eq!(relay.priority, 58662911);
    let v6: Candidate = BROWSER_FORMS[8].parse().unwrap();
    assert_eq!(v6.address, Address::Ip("2001:db8::1234".parse().unwrap()));
    assert!(!v6.address.is_mdns());
    let unknown: Candidate = "candidate:1 1 udp 1 192.0.2.1 1 typ host foo bar"
        .parse()
        .unwrap();
    assert_eq!(unknown.extensions, vec![("foo".into(), "bar".into())]);
}

#[test]
fn every_malformed_field_is_a_typed_error() {
    let m = |field, value: &str| {
        Err(CandidateError::Malformed {
            field,
            value: value.into(),
        })
    };
    let p = |s: &str| s.parse::<Candidate>();
    assert_eq!(
        p("andidate:1 1 udp 1 192.0.2.1 1 typ host"),
        m(Field::Prefix, "andidate:1")
    );
    assert_eq!(
        p("candidate:"),
        Err(CandidateError::Missing(Field::Foundation))
    );
    // Found by the ice_candidate fuzz target: a line break inside an extension value was
    // kept, and written back the value moved to the line's end, where parsing trimmed it.
    assert_eq!(
        p("candidate:1 1 udp 1 1.2.3.4 5 typ host x a\n generation 0"),
        m(Field::Extension, "a\n")
    );
    assert_eq!(
        p("candidate:1 1 udp 1 1.2.3.4 5 typ host x\ty 1"),
        m(Field::Extension, "x\ty")
    );
    assert_eq!(
        p("candidate:a_b 1 udp 1 192.0.2.1 1 typ host"),
        m(Field::Foundation, "a_b")
    );
    assert_eq!(
        p("candidate:1 0 udp 1 192.0.2.1 1 typ host"),
        m(Field::Component, "0")
    );
    assert_eq!(
        p("candidate:1 x udp 1 192.0.2.1 1 typ host"),
        m(Field::Component, "x")
    );
    assert_eq!(
        p("candidate:1 1 u!p 1 192.0.2.1 1 typ host"),
        m(Field::Transport, "u!p")
    );
    assert_eq!(
        p("candidate:1 1 udp 99999999999 192.0.2.1 1 typ host"),
        m(Field::Priority, "99999999999")
    );
    assert_eq!(
        p("candidate:1 1 udp 1 bad/addr 1 typ host"),
        m(Field::Address, "bad/addr")
    );
    assert_eq!(
        p("candidate:1 1 udp 1 192.0.2.1 70000 typ host"),
        m(Field::Port, "70000")
    );
    assert_eq!(
        p("candidate:1 1 udp 1 192.0.2.1 1 type host"),
        m(Field::Type, "type")
    );
    assert_eq!(
        p("candidate:1 1 udp 1 192.0.2.1 1 typ nat"),
        m(Field::Type, "nat")
    );
    assert_eq!(
        p("candidate:1 1 udp 1 192.0.2.1 1"),
        Err(CandidateError::Missing(Field::Type))
    );
    assert_eq!(
        p("candidate:1 1 udp 1 192.0.2.1 1 typ host raddr"),
        Err(CandidateError::Missing(Field::Extension))
    );
    assert_eq!(
        p("candidate:1 1 udp 1 192.0.2.1 1 typ srflx raddr 192.0.2.2"),
        Err(CandidateError::Missing(Field::RelatedPort))
    );
    assert_eq!(
        p("candidate:1 1 udp 1 192.0.2.1 1 typ srflx rport 5"),
        Err(CandidateError::Missing(Field::RelatedAddress))
    );
    assert_eq!(
        p("candidate:1 1 udp 1 192.0.2.1 1 typ host tcptype sideways"),
        m(Field::Extension, "sideways")
    );
    assert_eq!(
        p("candidate:1 1 udp 1 192.0.2.1 1 typ host generation -1"),
        m(Field::Extension, "-1")
    );
}

fn address() -> impl Strategy<Value = Address> {
    prop_oneof![
        any::<std::net::IpAddr>().prop_map(Address::Ip),
        "[a-z0-9]{1,12}(-[a-z0-9]{1,8}){0,3}\\.local".prop_map(Address::Name),
    ]
}

fn candidate() -> impl Strategy<Value = Candidate> {
    let kind = prop_oneof![
        Just(CandidateType::Host),
        Just(CandidateType::ServerReflexive),
        Just(CandidateType::PeerReflexive),
        Just(CandidateType::Relayed),
    ];
    let transport = prop_oneof![Just(CandidateTransport::Udp), Just(CandidateTransport::Tcp)];
    let tcp = prop::option::of(prop_oneof![
        Just(TcpType::Active),
        Just(TcpType::Passive),
        Just(TcpType::SimultaneousOpen)
    ]);
    (
        (
            "[A-Za-z0-9+/]{1,32}",
            1u16..=256,
            transport,
            any::<u32>(),
            address(),
            any::<u16>(),
            kind,
        ),
        (
            prop::option::of((address(), any::<u16>())),
            tcp,
            prop::option::of(any::<u32>()),
            prop::option::of("[A-Za-z0-9+/]{4,8}"),
        ),
        (
            prop::option::of(any::<u32>()),
            prop::option::of(any::<u32>()),
        ),
    )
        .prop_map(
            |(
                (foundation, component, transport, priority, address, port, kind),
                (related, tcp_type, generation, ufrag),
                (network_id, network_cost),
            )| Candidate {
                foundation,
                component,
                transport,
                priority,
                address,
                port,
                kind,
                related,
                tcp_type,
                generation,
                ufrag,
                network_id,
                network_cost,
                extensions: Vec::new(),
            },
        )
}

proptest! {
    #[test]
    fn written_candidates_parse_back(c in candidate()) {
        let line = c.to_string();
        prop_assert_eq!(line.parse::<Candidate>(), Ok(c));
    }

    #[test]
    fn arbitrary_text_never_panics(s in ".{0,120}") {
        let _ = s.parse::<Candidate>();
        let _ = format!("candidate:{s}").parse::<Candidate>();
    }

    #[test]
    fn mangled_browser_lines_never_panic(i in 0usize..9, cut in 0usize..200, b in any::<u8>()) {
        let line = BROWSER_FORMS[i];
        let mut bytes = line.as_bytes().to_vec();
        let at = cut % bytes.len();
        bytes[at] = b;
        if let Ok(s) = String::from_utf8(bytes) {
            let _ = s.parse::<Candidate>();
        }
        let _ = line[..line.floor_char_boundary(at)].parse::<Candidate>();
    }
}
