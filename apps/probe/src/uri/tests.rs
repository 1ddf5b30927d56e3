//! The URI parser: examples of RFC 7064 section 3.2 and RFC 7065 section 3, the faults,
//! and "never panics" on any input.

use super::*;
use proptest::prelude::*;

fn uri(s: &str) -> IceUri {
    s.parse()
        .unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
}

fn err(s: &str) -> UriError {
    s.parse::<IceUri>().expect_err(s)
}

#[test]
fn rfc7064_examples() {
    // RFC 7064 section 3.2: "stun:example.org", "stuns:example.org", "stun:example.org:8000".
    let u = uri("stun:example.org");
    assert_eq!(u.scheme, Scheme::Stun);
    assert_eq!(u.host, Host::Name("example.org".into()));
    assert_eq!((u.port, u.transport), (3478, UriTransport::Udp));
    let u = uri("stuns:example.org");
    assert_eq!(
        (u.scheme, u.port, u.transport),
        (Scheme::Stuns, 5349, UriTransport::Tls)
    );
    assert_eq!(uri("stun:example.org:8000").port, 8000);
}

#[test]
fn rfc7065_examples() {
    // RFC 7065 section 3, the table of URIs and what they mean.
    let cases = [
        ("turn:example.org", Scheme::Turn, 3478, UriTransport::Udp),
        ("turns:example.org", Scheme::Turns, 5349, UriTransport::Tls),
        (
            "turn:example.org:8000",
            Scheme::Turn,
            8000,
            UriTransport::Udp,
        ),
        (
            "turn:example.org?transport=udp",
            Scheme::Turn,
            3478,
            UriTransport::Udp,
        ),
        (
            "turn:example.org?transport=tcp",
            Scheme::Turn,
            3478,
            UriTransport::Tcp,
        ),
        (
            "turns:example.org?transport=tcp",
            Scheme::Turns,
            5349,
            UriTransport::Tls,
        ),
    ];
    for (s, scheme, port, transport) in cases {
        let u = uri(s);
        assert_eq!(
            (u.scheme, u.port, u.transport),
            (scheme, port, transport),
            "{s}"
        );
        assert_eq!(u.host, Host::Name("example.org".into()), "{s}");
    }
}

#[test]
fn ip_hosts() {
    let u = uri("stun:127.0.0.1:3478");
    assert_eq!(u.host, Host::Ip("127.0.0.1".parse().unwrap()));
    let u = uri("turn:[::1]:3479?transport=tcp");
    assert_eq!(u.host, Host::Ip("::1".parse().unwrap()));
    assert_eq!((u.port, u.transport), (3479, UriTransport::Tcp));
    assert_eq!(uri("turns:[2001:db8::1]").port, 5349);
    assert_eq!(u.to_string(), "turn:[::1]:3479?transport=tcp");
}

#[test]
fn case_escapes_and_empty_port() {
    let u = uri("TURN:Example.org:?TRANSPORT=TCP");
    assert_eq!(
        (u.scheme, u.port, u.transport),
        (Scheme::Turn, 3478, UriTransport::Tcp)
    );
    assert_eq!(
        uri("stun:ex%61mple.org").host,
        Host::Name("example.org".into())
    );
    assert_eq!(uri("  stun:a.b  ").host, Host::Name("a.b".into()));
}

#[test]
fn faults_are_typed() {
    assert_eq!(err("example.org"), UriError::MissingScheme);
    assert_eq!(err(":x"), UriError::MissingScheme);
    assert_eq!(
        err("http://example.org"),
        UriError::UnknownScheme("http".into())
    );
    assert_eq!(err("stun://example.org"), UriError::Authority);
    assert_eq!(err("stun:"), UriError::EmptyHost);
    assert_eq!(err("stun::3478"), UriError::EmptyHost);
    assert_eq!(err("stun:example.org:0"), UriError::BadPort("0".into()));
    assert_eq!(
        err("stun:example.org:65536"),
        UriError::BadPort("65536".into())
    );
    assert_eq!(err("stun:example.org:+1"), UriError::BadPort("+1".into()));
    assert_eq!(
        err("stun:example.org?transport=udp"),
        UriError::StunQuery("stun")
    );
    assert_eq!(
        err("turn:example.org?transport=sctp"),
        UriError::UnknownTransport("sctp".into())
    );
    assert_eq!(
        err("turn:example.org?foo=bar"),
        UriError::BadQuery("foo=bar".into())
    );
    assert_eq!(
        err("turn:example.org?transport"),
        UriError::BadQuery("transport".into())
    );
    assert_eq!(
        err("turns:example.org?transport=udp"),
        UriError::DtlsUnsupported
    );
    assert_eq!(err("turn:[::1"), UriError::UnclosedBracket);
    assert_eq!(err("turn:[nope]:1"), UriError::BadIpv6("nope".into()));
    assert_eq!(err("turn:[::1]x"), UriError::AfterBracket("x".into()));
    assert_eq!(err("turn:::1"), UriError::BadHost(":".into()));
    assert_eq!(err("turn:a b"), UriError::BadHost("a b".into()));
    assert_eq!(err("turn:a%2"), UriError::BadEscape("a%2".into()));
    assert_eq!(err("turn:a%+1"), UriError::BadEscape("a%+1".into()));
    assert_eq!(err("turn:a%ff"), UriError::BadEscape("a%ff".into()));
    assert_eq!(err("turn:a%0a"), UriError::BadHost("a%0a".into()));
    assert_eq!(err("turn:a#f"), UriError::Fragment);
    // Every message says what is wrong.
    assert!(err("turn:a:99999").to_string().contains("1 to 65535"));
}

proptest! {
    #[test]
    fn never_panics(s in ".*") {
        let _ = s.parse::<IceUri>();
    }

    #[test]
    fn never_panics_near_valid(
        scheme in "(stun|stuns|turn|turns|TURN|x)",
        host in "[a-z0-9.:%\\[\\]-]{0,20}",
        rest in "[:?=a-z0-9#/%\\[\\]]{0,12}",
    ) {
        let _ = format!("{scheme}:{host}{rest}").parse::<IceUri>();
    }

    #[test]
    fn canonical_form_round_trips(
        scheme in prop_oneof![Just("stun"), Just("stuns"), Just("turn"), Just("turns")],
        host in prop_oneof![
            "[a-z][a-z0-9-]{0,10}(\\.[a-z]{2,5})?",
            any::<std::net::Ipv4Addr>().prop_map(|ip| ip.to_string()),
            any::<std::net::Ipv6Addr>().prop_map(|ip| format!("[{ip}]")),
        ],
        port in proptest::option::of(1u16..),
        tcp in any::<bool>(),
    ) {
        let mut s = format!("{scheme}:{host}");
        if let Some(p) = port {
            s.push_str(&format!(":{p}"));
        }
        if tcp && scheme.starts_with("turn") {
            s.push_str("?transport=tcp");
        }
        let u: IceUri = s.parse().unwrap();
        let again: IceUri = u.to_string().parse().unwrap();
        prop_assert_eq!(u, again);
    }
}
