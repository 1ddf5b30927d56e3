//! Real candidate lines from Chrome, Firefox and Safari, taken from public sources
//! (`tests/corpus/browser_candidates.txt`, each line with the browser and where it came from):
//! every line parses into typed fields and writes back as it was read.
//!
//! "As it was read" is byte for byte, with two normalisations the parser makes by design, both
//! checked token by token so nothing else can hide behind them:
//! - the transport token: `Display` writes `udp`/`tcp` in lower case, and Firefox writes
//!   `UDP`/`TCP`, so for that token only the comparison ignores ASCII case;
//! - an IP address: the address is kept as an `IpAddr`, so an IPv6 address is written back in
//!   its RFC 5952 form (Chrome 2017 wrote `2001::9d38:...` and `fd18:1e23:678f::c965:...`, a
//!   single zero group as `::`, which come back as `2001:0:9d38:...` and `fd18:1e23:678f:0:...`);
//!   for an address token the comparison is of the parsed addresses.
//!
//! The lines that need either normalisation are listed by test, so the set cannot grow unseen.

use std::net::IpAddr;

use wren_ice::{Address, Candidate, CandidateTransport, CandidateType, TcpType};

const CORPUS: &str = include_str!("corpus/browser_candidates.txt");

/// One corpus line: the browser named by the comment above it, and the line.
struct Sample {
    browser: &'static str,
    source: &'static str,
    line: &'static str,
}

/// Every candidate line, with the browser from the `# <browser> ...: <source>` comment directly
/// above it. A candidate line without such a comment fails the test.
fn samples() -> Vec<Sample> {
    let mut out = Vec::new();
    let mut previous: Option<&'static str> = None;
    for line in CORPUS.lines() {
        if line.starts_with("candidate:") {
            let comment = previous
                .and_then(|p| p.strip_prefix("# "))
                .unwrap_or_else(|| panic!("no source comment directly above {line}"));
            let browser = comment.split([' ', ':']).next().unwrap_or("");
            assert!(
                ["Chrome", "Firefox", "Safari"].contains(&browser),
                "unknown browser in '# {comment}'"
            );
            assert!(
                comment.contains("https://"),
                "no source address in '# {comment}'"
            );
            out.push(Sample {
                browser,
                source: comment,
                line,
            });
        } else {
            assert!(
                line.is_empty() || line.starts_with('#'),
                "corpus line is neither a comment nor a candidate: {line}"
            );
        }
        previous = Some(line);
    }
    out
}

fn parse(s: &Sample) -> Candidate {
    s.line.parse().unwrap_or_else(|e| {
        panic!(
            "{} line does not parse: {e}\n  {}\n  ({})",
            s.browser, s.line, s.source
        )
    })
}

/// Which normalisation, if any, `written` needed to equal `read` (see the module docs); panics
/// if they differ in any other way.
#[derive(Debug, Default, PartialEq, Eq)]
struct Normalised {
    transport_case: bool,
    ip_text: bool,
}

fn compare(read: &str, written: &str) -> Normalised {
    let r: Vec<&str> = read.split(' ').collect();
    let w: Vec<&str> = written.split(' ').collect();
    assert_eq!(
        r.len(),
        w.len(),
        "token count\n  read:    {read}\n  written: {written}"
    );
    let mut n = Normalised::default();
    for (i, (a, b)) in r.iter().zip(&w).enumerate() {
        if a == b {
            continue;
        }
        // Token 2 is the transport; tokens after `raddr` and token 4 are addresses.
        if i == 2 && a.eq_ignore_ascii_case(b) {
            n.transport_case = true;
            continue;
        }
        let is_address = i == 4 || (i > 0 && r[i - 1] == "raddr");
        if is_address {
            if let (Ok(x), Ok(y)) = (a.parse::<IpAddr>(), b.parse::<IpAddr>()) {
                if x == y {
                    n.ip_text = true;
                    continue;
                }
            }
        }
        panic!(
            "token {i} differs ('{a}' read, '{b}' written)\n  read:    {read}\n  written: {written}"
        );
    }
    n
}

#[test]
fn every_browser_line_parses_into_typed_fields() {
    for s in samples() {
        let c = parse(&s);
        let tokens: Vec<&str> = s.line.split(' ').collect();
        let ctx = format!("{} ({})", s.line, s.source);

        // The fixed fields are the numbers and tokens of the line.
        assert_eq!(
            Some(c.component.to_string().as_str()),
            tokens.get(1).copied(),
            "{ctx}"
        );
        assert_eq!(
            Some(c.priority.to_string().as_str()),
            tokens.get(3).copied(),
            "{ctx}"
        );
        assert_eq!(
            Some(c.port.to_string().as_str()),
            tokens.get(5).copied(),
            "{ctx}"
        );
        assert_eq!(Some(c.kind.token()), tokens.get(7).copied(), "{ctx}");

        // Transport, and tcptype exactly when the transport is TCP.
        let transport = tokens[2].to_ascii_lowercase();
        match transport.as_str() {
            "udp" => {
                assert_eq!(c.transport, CandidateTransport::Udp, "{ctx}");
                assert_eq!(c.tcp_type, None, "{ctx}");
            }
            "tcp" => {
                assert_eq!(c.transport, CandidateTransport::Tcp, "{ctx}");
                let written = tokens
                    .iter()
                    .position(|t| *t == "tcptype")
                    .map(|i| tokens[i + 1]);
                assert!(c.tcp_type.is_some(), "TCP line without tcptype: {ctx}");
                assert_eq!(c.tcp_type.map(TcpType::token), written, "{ctx}");
            }
            other => panic!("unexpected transport {other}: {ctx}"),
        }

        // An mDNS name stays a name; anything else is an IP address.
        if tokens[4].ends_with(".local") {
            assert!(matches!(c.address, Address::Name(_)), "{ctx}");
            assert!(c.address.is_mdns(), "{ctx}");
        } else {
            assert!(matches!(c.address, Address::Ip(_)), "{ctx}");
            assert!(!c.address.is_mdns(), "{ctx}");
        }

        // srflx and relay carry raddr/rport; these host candidates do not.
        match c.kind {
            CandidateType::ServerReflexive | CandidateType::Relayed => {
                assert!(c.related.is_some(), "{ctx}");
            }
            CandidateType::Host | CandidateType::PeerReflexive => {
                assert_eq!(c.related, None, "{ctx}");
            }
        }

        // The libwebrtc browsers always say which generation; Firefox never adds extensions.
        match s.browser {
            "Firefox" => {
                assert!(tokens[2] == "UDP" || tokens[2] == "TCP", "{ctx}");
                assert_eq!((c.generation, c.ufrag.as_deref()), (None, None), "{ctx}");
                assert!(c.extensions.is_empty(), "{ctx}");
            }
            _ => {
                assert!(c.generation.is_some(), "{ctx}");
                assert!(
                    c.extensions.is_empty(),
                    "no unknown extension expected: {ctx}"
                );
            }
        }
    }
}

#[test]
fn every_browser_line_writes_back_as_read() {
    let mut transport_case = Vec::new();
    let mut ip_text = Vec::new();
    for s in samples() {
        let c = parse(&s);
        let written = c.to_string();
        let n = compare(s.line, &written);
        if n.transport_case {
            transport_case.push(s.line);
        }
        if n.ip_text {
            ip_text.push(s.line);
        }
        // Whatever was normalised, the written line reads back to the same candidate.
        let again: Candidate = written.parse().unwrap_or_else(|e| panic!("{written}: {e}"));
        assert_eq!(again, c, "{}", s.line);
        // With `a=` in front, as the line sits in an SDP body.
        let in_sdp: Candidate = format!("a={}", s.line).parse().unwrap();
        assert_eq!(in_sdp, c, "{}", s.line);
    }
    // Exactly the Firefox lines differ in transport case...
    let firefox: Vec<&str> = samples()
        .iter()
        .filter(|s| s.browser == "Firefox")
        .map(|s| s.line)
        .collect();
    assert_eq!(transport_case, firefox);
    // ...and exactly the lines of IPV6_REWRITTEN in the text of an IP address.
    let expected: Vec<&str> = IPV6_REWRITTEN.iter().map(|(read, _)| *read).collect();
    assert_eq!(ip_text, expected);
}

/// The real lines whose IPv6 address is not in RFC 5952 form, and how they are written back:
/// Chrome wrote `::` for a single zero group, which RFC 5952 section 4.2.2 says not to do.
const IPV6_REWRITTEN: &[(&str, &str)] = &[
    (
        "candidate:3013905414 2 udp 2122255102 2001::9d38:90d7:4f5:347c:e0ec:7d39 56257 typ host generation 0 ufrag LTVy network-id 1 network-cost 50",
        "candidate:3013905414 2 udp 2122255102 2001:0:9d38:90d7:4f5:347c:e0ec:7d39 56257 typ host generation 0 ufrag LTVy network-id 1 network-cost 50",
    ),
    (
        "candidate:2649622271 2 udp 2122199806 fd18:1e23:678f::c965:e309:c6e0:2908 56258 typ host generation 0 ufrag LTVy network-id 3",
        "candidate:2649622271 2 udp 2122199806 fd18:1e23:678f:0:c965:e309:c6e0:2908 56258 typ host generation 0 ufrag LTVy network-id 3",
    ),
];

#[test]
fn chrome_and_safari_lines_are_byte_for_byte_apart_from_those_addresses() {
    for s in samples().iter().filter(|s| s.browser != "Firefox") {
        let written = parse(s).to_string();
        match IPV6_REWRITTEN.iter().find(|(read, _)| *read == s.line) {
            Some((_, rewritten)) => assert_eq!(written, *rewritten),
            None => assert_eq!(written, s.line, "({})", s.source),
        }
    }
}

#[test]
fn the_corpus_covers_what_browsers_send() {
    let all: Vec<(Sample, Candidate)> = samples()
        .into_iter()
        .map(|s| {
            let c = parse(&s);
            (s, c)
        })
        .collect();
    let any = |browser: &str, f: &dyn Fn(&Candidate) -> bool| {
        all.iter().any(|(s, c)| s.browser == browser && f(c))
    };
    let v6 = |c: &Candidate| matches!(c.address, Address::Ip(IpAddr::V6(_)));
    let kind = |k| move |c: &Candidate| c.kind == k;
    let tcp = |t| move |c: &Candidate| c.tcp_type == Some(t);

    // Chrome: an mDNS host name, TCP active, srflx, relay, IPv6, component 2, and every
    // libwebrtc extension.
    assert!(any("Chrome", &|c| c.address.is_mdns()));
    assert!(any("Chrome", &tcp(TcpType::Active)));
    assert!(any("Chrome", &kind(CandidateType::ServerReflexive)));
    assert!(any("Chrome", &kind(CandidateType::Relayed)));
    assert!(any("Chrome", &v6));
    assert!(any("Chrome", &|c| c.component == 2));
    assert!(any("Chrome", &|c| c.generation == Some(1)));
    assert!(any("Chrome", &|c| c.ufrag.is_some()));
    assert!(any("Chrome", &|c| c.network_id.is_some()));
    assert!(any("Chrome", &|c| c.network_cost == Some(999)));
    // Firefox: TCP active and passive, srflx with a private raddr, relay, IPv6, component 2.
    assert!(any("Firefox", &tcp(TcpType::Active)));
    assert!(any("Firefox", &tcp(TcpType::Passive)));
    assert!(any("Firefox", &kind(CandidateType::ServerReflexive)));
    assert!(any("Firefox", &kind(CandidateType::Relayed)));
    assert!(any("Firefox", &v6));
    assert!(any("Firefox", &|c| c.component == 2));
    // Safari: IPv4 and IPv6 host, srflx, network-cost.
    assert!(any("Safari", &v6));
    assert!(any("Safari", &kind(CandidateType::ServerReflexive)));
    assert!(any("Safari", &|c| c.network_cost == Some(50)));

    // A few lines field by field.
    let find = |prefix: &str| {
        &all.iter()
            .find(|(s, _)| s.line.starts_with(prefix))
            .unwrap_or_else(|| panic!("{prefix} not in the corpus"))
            .1
    };
    let mdns = find("candidate:2161638322 ");
    assert_eq!(
        mdns.address,
        Address::Name("069bb0ac-42e6-4259-92d0-3a915e127d46.local".into())
    );
    assert_eq!(
        (mdns.ufrag.as_deref(), mdns.network_cost, mdns.network_id),
        (Some("1THI"), Some(999), None)
    );
    let passive = find("candidate:2 1 TCP 2105508095 ");
    assert_eq!(
        (passive.tcp_type, passive.port),
        (Some(TcpType::Passive), 52564)
    );
    let active = find("candidate:1549677436 ");
    assert_eq!((active.tcp_type, active.port), (Some(TcpType::Active), 0));
    let relay = find("candidate:392817652 ");
    assert_eq!(
        relay.related,
        Some((Address::Ip("0.0.0.0".parse().unwrap()), 0))
    );
    let ff_srflx = find("candidate:2 1 UDP 1686052607 ");
    assert_eq!(
        ff_srflx.related,
        Some((Address::Ip("10.0.0.20".parse().unwrap()), 52510))
    );
    let safari_v6 = find("candidate:3103151263 ");
    assert_eq!(
        safari_v6.address,
        Address::Ip("2a01:e0a:151:dc10:a8cb:5e93:9627:557c".parse().unwrap())
    );
}

/// The corpus can grow but not silently shrink.
#[test]
fn lines_per_browser() {
    let all = samples();
    let count = |b: &str| all.iter().filter(|s| s.browser == b).count();
    assert!(count("Chrome") >= 11, "Chrome: {}", count("Chrome"));
    assert!(count("Firefox") >= 12, "Firefox: {}", count("Firefox"));
    assert!(count("Safari") >= 5, "Safari: {}", count("Safari"));
}
