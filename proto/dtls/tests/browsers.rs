//! Real browsers against wren-dtls: headless Chromium and headless Firefox ESR (what
//! `scripts/install-deps.sh` installs) offer a data channel to a page served here; the
//! answer is an ICE-lite peer on a UDP socket of this test (wren-ice's lite server answers
//! the checks) whose DTLS server is ours. The browser's ClientHello is captured as it
//! arrives, kept as a fixture (`target/tmp/fixtures/<browser>-<major>-client-hello-N.bin`,
//! one file per datagram), reassembled and read; and the handshake completes: we report
//! Connected with a suite and an SRTP profile the browser offered, and the page reports its
//! connection `connected`. Each browser is started and killed here.
//!
//! Chromium runs on the host, everything on 127.0.0.1. Firefox runs in a network namespace
//! this test makes (`wren_browser::Netns`: `lo`, and a veth pair whose ends both stay inside
//! with 10.255.255.1 and the default route, deleted when the test ends, pass or fail), with
//! the page's server and our UDP socket made inside it too. Firefox needs the default route
//! to gather at all, gathers host candidates only on its default address (nICEr logs "use
//! only default local addresses: yes", even with `media.peerconnection.ice.loopback`), and
//! pairs no loopback remote candidate with that one, so our candidate there is 10.255.255.1.
//! Making the namespace needs root: without it the test fails, it never skips.
#![allow(clippy::disallowed_methods)] // real sockets and a real browser: the real clock

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wren_browser::{Kind, Netns, Page};
use wren_core::{Datagram, Machine};
use wren_dtls::client_hello::ClientHello;
use wren_dtls::codes::{ContentType, HandshakeType, ProtocolVersion};
use wren_dtls::endpoint::{Config, Endpoint, Event, Role};
use wren_dtls::fingerprint::Fingerprint;
use wren_dtls::identity::Identity;
use wren_dtls::reassembly::Reassembler;
use wren_dtls::{handshake, record};
use wren_ice::Credentials;
use wren_ice::lite::{self, LocalSocket, Routed};

const PAGE: &str = r#"<!doctype html><meta charset="utf-8"><script>
async function main() {
  const report = (o) => fetch('/result', {method: 'POST', body: JSON.stringify(o)});
  try {
    const pc = new RTCPeerConnection();
    pc.createDataChannel('wren');
    pc.onconnectionstatechange = () => report({state: pc.connectionState});
    await pc.setLocalDescription(await pc.createOffer());
    const r = await fetch('/offer', {method: 'POST', body: pc.localDescription.sdp});
    await pc.setRemoteDescription({type: 'answer', sdp: await r.text()});
  } catch (e) { report({error: String(e)}); }
}
main();
</script>"#;

/// An `a=` attribute's value in `sdp`.
fn attr<'a>(sdp: &'a str, name: &str) -> &'a str {
    sdp.lines()
        .find_map(|l| l.trim_end().strip_prefix(&format!("a={name}:")))
        .unwrap_or_else(|| panic!("no a={name} in the offer:\n{sdp}"))
}

#[test]
fn chromium_completes_a_dtls_handshake_with_our_server() {
    handshake_with(Kind::Chromium);
}

#[test]
fn firefox_completes_a_dtls_handshake_with_our_server() {
    handshake_with(Kind::Firefox);
}

fn handshake_with(kind: Kind) {
    // Firefox in a namespace of its own (see the module doc), Chromium on the host. `ns` is
    // dropped after the browser.
    let ns = (kind == Kind::Firefox).then(Netns::new);
    let (udp, page) = match &ns {
        Some(ns) => (
            ns.run(|| UdpSocket::bind((Netns::DEFAULT_ADDRESS, 0)))
                .unwrap(),
            Page::serve_in(ns, PAGE.to_owned()),
        ),
        None => (
            UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap(),
            Page::serve(PAGE.to_owned()),
        ),
    };
    let local = udp.local_addr().unwrap();
    let host: IpAddr = local.ip();
    let _browser = match &ns {
        Some(ns) => kind.start_in(ns, page.url()),
        None => kind.start(page.url()),
    };
    let offer = page.offer(Duration::from_secs(60));
    let remote = Credentials {
        ufrag: attr(&offer, "ice-ufrag").to_owned(),
        pwd: attr(&offer, "ice-pwd").to_owned(),
    };
    let peer_fp = Fingerprint::parse(attr(&offer, "fingerprint")).unwrap();
    let mid = attr(&offer, "mid").to_owned();

    let start = Instant::now();
    let mut ice =
        lite::Server::new(start, lite::Config::new(vec![LocalSocket::udp(local)])).unwrap();
    let ours = Credentials {
        ufrag: "wrenlite".into(),
        pwd: "wrenlitepasswordof24char".into(),
    };
    let session = ice.add_session(start, &ours, Some(&remote)).unwrap();
    let identity = Arc::new(Identity::generate().unwrap());
    let answer = format!(
        "v=0\r\no=- 1 2 IN IP4 {host}\r\ns=-\r\nt=0 0\r\na=group:BUNDLE {mid}\r\na=ice-lite\r\n\
         m=application {port} UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 {host}\r\n\
         a=mid:{mid}\r\na=ice-ufrag:{ufrag}\r\na=ice-pwd:{pwd}\r\na=fingerprint:{fp}\r\n\
         a=setup:passive\r\na=sctp-port:5000\r\n\
         a=candidate:1 1 udp 2130706431 {host} {port} typ host\r\na=end-of-candidates\r\n",
        port = local.port(),
        ufrag = ours.ufrag,
        pwd = ours.pwd,
        fp = identity.fingerprint(),
    );
    page.answer(answer);

    let mut config = Config::new(Role::Server, Arc::clone(&identity));
    config.peer_fingerprints = Some(vec![peer_fp.clone()]);
    config.cookie = false;
    let mut dtls = Endpoint::new(start, config);

    let deadline = start + Duration::from_secs(60);
    let (mut rx, mut tx) = (vec![0u8; 65536], Vec::new());
    let mut captured: Vec<Vec<u8>> = Vec::new();
    let mut events = Vec::new();
    let mut reports = Vec::new();
    let mut peer: Option<SocketAddr> = None;
    while !(dtls.is_connected() && reports.iter().any(|r: &String| r.contains("connected"))) {
        let now = Instant::now();
        assert!(
            now < deadline,
            "no handshake: {events:?} {reports:?} ICE {:?}",
            ice.stats()
        );
        udp.set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        if let Ok((n, from)) = udp.recv_from(&mut rx) {
            let now = Instant::now();
            match ice.route(now, Datagram::udp(from, local, &rx[..n])) {
                Routed::Data {
                    session: s,
                    payload,
                } => {
                    assert_eq!(s, session);
                    // A datagram whose first record holds a ClientHello fragment (the
                    // handshake type after the 13-byte record header).
                    if payload.first() == Some(&ContentType::HANDSHAKE.0)
                        && payload.get(13) == Some(&HandshakeType::CLIENT_HELLO.0)
                        && captured.len() < 8
                    {
                        captured.push(payload.to_vec());
                    }
                    peer = Some(from);
                    dtls.handle_datagram(now, Datagram::udp(from, local, payload));
                }
                Routed::Stun | Routed::Dropped => {}
            }
        }
        let now = Instant::now();
        ice.handle_timeout(now);
        dtls.handle_timeout(now);
        while let Some(t) = ice.poll_transmit(now, &mut tx) {
            udp.send_to(&tx, t.destination).unwrap();
        }
        while let Some(t) = dtls.poll_transmit(now, &mut tx) {
            udp.send_to(&tx, peer.unwrap_or(t.destination)).unwrap();
        }
        while ice.poll_event().is_some() {}
        events.extend(std::iter::from_fn(|| dtls.poll_event()));
        reports.extend(page.reports());
    }

    // What we negotiated: a profile the browser offered, with the certificate it announced.
    let Some(Event::Connected {
        srtp: Some(keys),
        peer_fingerprint,
        suite,
    }) = events.first()
    else {
        panic!("{events:?}");
    };
    assert_eq!(*peer_fingerprint, peer_fp);

    // The ClientHello as it came, kept as fixtures, and read back.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fixtures");
    std::fs::create_dir_all(&dir).unwrap();
    let version = kind.version();
    let major = kind.major_version();
    let mut hs = Reassembler::new(0, 1 << 16);
    for (i, d) in captured.iter().enumerate() {
        let name = format!("{}-{major}-client-hello-{i}.bin", kind.name());
        std::fs::write(dir.join(name), d).unwrap();
        for r in record::records(d).flatten() {
            for f in handshake::fragments(r.body).flatten() {
                hs.insert(&f).unwrap();
            }
        }
    }
    let m = hs.pop().expect("a whole ClientHello");
    assert_eq!(m.msg_type, HandshakeType::CLIENT_HELLO);
    let hello = ClientHello::parse(&m.body).unwrap();
    let offered: Vec<_> = hello
        .extensions
        .use_srtp()
        .unwrap()
        .unwrap()
        .profile_ids()
        .collect();
    assert!(offered.contains(&keys.profile), "{offered:?}");
    assert!(hello.suites().any(|s| s == *suite));
    let versions: Vec<u16> = hello
        .extensions
        .supported_versions()
        .unwrap()
        .map(|v| v.iter().collect())
        .unwrap_or_default();
    std::fs::write(dir.join(format!("{}-version.txt", kind.name())), &version).unwrap();
    eprintln!(
        "{version}'s ClientHello: {} bytes in {} datagram(s), supported_versions {:04x?} (1.3 is {:04x}), \
         suite {suite}, profile {:?}; fixtures in {}",
        m.body.len(),
        captured.len(),
        versions,
        ProtocolVersion::DTLS1_3.0,
        keys.profile,
        dir.display()
    );
}
