//! Headless Chromium (what `scripts/install-deps.sh` installs) calls a wren-rtc peer: the
//! page offers audio and video from its fake devices and a data channel; our peer answers
//! with JSEP (`set_remote_description`, `create_answer`), its ICE agent connects on
//! 127.0.0.1, DTLS runs with the browser's certificate checked against its offer's
//! fingerprint, and the browser's SRTP arrives and unprotects with the keys our DTLS
//! exported: the test counts RTP packets of each payload type. The page reports its
//! connection `connected`. Everything runs on this test's own UDP socket, driven by hand.
//!
//! Chromium runs on the host and everything is on 127.0.0.1. Firefox runs in a network
//! namespace this test makes (`wren_browser::Netns`, deleted when the test ends, pass or
//! fail), with the page's server and our socket inside it on 10.255.255.1: Firefox gathers
//! only on its default address and pairs no loopback candidate with it (see wren-dtls's
//! tests/browsers.rs). Making the namespace needs root: without it the test fails.
#![allow(clippy::disallowed_methods)] // a real socket and a real browser: the real clock

use std::collections::BTreeMap;
use std::net::UdpSocket;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wren_browser::{Kind, Netns, Page};
use wren_core::{Datagram, Machine, SocketRequest, SocketResult, Transport};
use wren_dtls::identity::Identity;
use wren_rtc::{Config, DtlsRole, Event, Peer, Received, SdpType, SessionDescription};

const PAGE: &str = r#"<!doctype html><meta charset="utf-8"><script>
async function main() {
  const report = (o) => fetch('/result', {method: 'POST', body: JSON.stringify(o)});
  try {
    const pc = new RTCPeerConnection();
    const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
    stream.getTracks().forEach((t) => pc.addTrack(t, stream));
    pc.createDataChannel('wren');
    pc.onconnectionstatechange = () => report({state: pc.connectionState});
    await pc.setLocalDescription(await pc.createOffer());
    const r = await fetch('/offer', {method: 'POST', body: pc.localDescription.sdp});
    await pc.setRemoteDescription({type: 'answer', sdp: await r.text()});
  } catch (e) { report({error: String(e)}); }
}
main();
</script>"#;

#[test]
fn chromium_offers_and_our_answer_connects_with_srtp_flowing() {
    call(Kind::Chromium);
}

#[test]
fn firefox_offers_and_our_answer_connects_with_srtp_flowing() {
    call(Kind::Firefox);
}

fn call(kind: Kind) {
    // `ns` is dropped after the browser and the page.
    let ns = (kind == Kind::Firefox).then(Netns::new);
    let page = match &ns {
        Some(ns) => Page::serve_in(ns, PAGE.to_owned()),
        None => Page::serve(PAGE.to_owned()),
    };
    let _browser = match &ns {
        Some(ns) => kind.start_in(ns, page.url()),
        None => kind.start_with_args(
            page.url(),
            &[
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
            ],
        ),
    };
    let interface = match &ns {
        Some(_) => std::net::IpAddr::V4(Netns::DEFAULT_ADDRESS),
        None => "127.0.0.1".parse().unwrap(),
    };
    let offer = page.offer(Duration::from_secs(60));

    let start = Instant::now();
    let identity = Arc::new(Identity::generate().unwrap());
    let config = Config::new(
        wren_ice::Role::Controlled,
        DtlsRole::Client,
        vec![interface],
        identity,
    );
    let mut peer = Peer::new(start, config);
    // Our one socket, bound when the agent asks.
    let mut socket: Option<UdpSocket> = None;
    while let Some(req) = peer.poll_socket_request() {
        if let SocketRequest::Bind {
            addr,
            transport: Transport::Udp,
            ..
        } = req
        {
            let s = match &ns {
                Some(ns) => ns.run(|| UdpSocket::bind(addr)).unwrap(),
                None => UdpSocket::bind(addr).unwrap(),
            };
            let bound = s.local_addr().unwrap();
            peer.handle_socket_result(
                start,
                SocketResult::of_bind(addr, Transport::Udp, Ok(bound)),
            );
            socket = Some(s);
        }
    }
    let socket = socket.expect("the agent asked for a UDP socket");
    let local = socket.local_addr().unwrap();
    peer.set_remote_description(
        start,
        &SessionDescription {
            kind: SdpType::Offer,
            sdp: offer.clone(),
        },
    )
    .unwrap_or_else(|e| panic!("{e}\n{offer}"));
    let answer = peer.create_answer(start).unwrap();
    assert!(
        answer.contains(&format!(" {} {} typ host", local.ip(), local.port())),
        "{answer}"
    );
    page.answer(answer.clone());

    let mut events = Vec::new();
    let mut rtp_by_pt: BTreeMap<u8, u64> = BTreeMap::new();
    let mut page_state = String::new();
    let mut rx = vec![0u8; 2048];
    let mut tx = Vec::new();
    let mut media = Vec::new();
    let deadline = start + Duration::from_secs(30);
    let done = |events: &[Event], rtp: &BTreeMap<u8, u64>, state: &str| {
        state == "connected"
            && events.iter().any(|e| matches!(e, Event::Connected { .. }))
            && rtp.values().sum::<u64>() >= 50
            && rtp.len() >= 2
    };
    while !done(&events, &rtp_by_pt, &page_state) && Instant::now() < deadline {
        let now = Instant::now();
        while let Some(t) = peer.poll_transmit(now, &mut tx) {
            let _ = socket.send_to(&tx, t.destination);
            tx.clear();
        }
        while let Some(e) = peer.poll_event() {
            events.push(e);
        }
        for r in page.reports() {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&r) {
                assert!(v.get("error").is_none(), "the page failed: {v}\n{answer}");
                // The page's reports are separate fetches: they may arrive out of order
                // ("connecting" after "connected"), so once connected it stays so here.
                if let Some(s) = v["state"].as_str()
                    && page_state != "connected"
                {
                    page_state = s.to_owned();
                }
            }
        }
        let wait = peer
            .poll_timeout()
            .map_or(Duration::from_millis(20), |t| {
                t.saturating_duration_since(now)
            })
            .clamp(Duration::from_millis(1), Duration::from_millis(20));
        socket.set_read_timeout(Some(wait)).unwrap();
        if let Ok((n, from)) = socket.recv_from(&mut rx) {
            let now = Instant::now();
            match peer.receive(now, Datagram::udp(from, local, &rx[..n]), &mut media) {
                Received::Rtp => *rtp_by_pt.entry(media[1] & 0x7f).or_default() += 1,
                Received::Rtcp | Received::Handled => {}
            }
        }
        let now = Instant::now();
        if peer.poll_timeout().is_some_and(|t| t <= now) {
            peer.handle_timeout(now);
        }
    }
    assert_eq!(page_state, "connected", "{events:#?}\n{answer}");
    assert!(
        events.iter().any(|e| matches!(e, Event::Connected { .. })),
        "{events:#?}"
    );
    // Audio and video, unprotected with our keys: two payload types at least.
    assert!(rtp_by_pt.len() >= 2, "{rtp_by_pt:?} {:?}", peer.stats());
    assert!(rtp_by_pt.values().sum::<u64>() >= 50, "{rtp_by_pt:?}");
    assert_eq!(peer.stats().srtp_dropped, 0, "{:?}", peer.stats());
}
