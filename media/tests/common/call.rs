//! One call from a headless browser to a wren-rtc peer that answers its offer: the page
//! posts its offer, we answer, and every RTP packet the browser sends is handed over
//! unprotected (our DTLS exported the SRTP keys) until `seconds` after the connection.
//!
//! Firefox runs in a network namespace the call makes (as wren-rtc's tests/browsers.rs
//! explains); that needs root.
#![allow(clippy::disallowed_methods)] // a real socket and a real browser: the real clock

use std::net::UdpSocket;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wren_browser::{Kind, Netns, Page};
use wren_core::{Datagram, Machine, SocketRequest, SocketResult, Transport};
use wren_dtls::identity::Identity;
use wren_rtc::{Config, DtlsRole, Event, Peer, Received, SdpType, SessionDescription};

/// What a call hands the test.
pub(crate) enum CallEvent<'a> {
    /// The answer was made: what was negotiated.
    Negotiated { peer: &'a Peer, answer: &'a str },
    /// An unprotected RTP packet.
    Rtp(&'a [u8]),
}

/// Runs one call: `kind` loads `html`, `configure` adjusts our peer's configuration
/// before the offer is answered, `on` sees the negotiation and every RTP packet.
pub(crate) fn run(
    kind: Kind,
    html: String,
    seconds: u64,
    configure: impl FnOnce(&mut Config),
    mut on: impl FnMut(CallEvent<'_>),
) {
    let ns = (kind == Kind::Firefox).then(Netns::new);
    let page = match &ns {
        Some(ns) => Page::serve_in(ns, html),
        None => Page::serve(html),
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
    let mut config = Config::new(
        wren_ice::Role::Controlled,
        DtlsRole::Client,
        vec![interface],
        identity,
    );
    configure(&mut config);
    let mut peer = Peer::new(start, config);
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
    let desc = SessionDescription {
        kind: SdpType::Offer,
        sdp: offer.clone(),
    };
    peer.set_remote_description(start, &desc)
        .unwrap_or_else(|e| panic!("{e}\n{offer}"));
    let answer = peer.create_answer(start).unwrap();
    page.answer(answer.clone());
    on(CallEvent::Negotiated {
        peer: &peer,
        answer: &answer,
    });
    let mut rx = vec![0u8; 2048];
    let (mut tx, mut media) = (Vec::new(), Vec::new());
    let mut connected_at = None;
    let deadline = start + Duration::from_secs(60);
    loop {
        let now = Instant::now();
        if connected_at.is_some_and(|t: Instant| now > t + Duration::from_secs(seconds)) {
            break;
        }
        assert!(now < deadline, "no media within 60 s: {:?}", peer.stats());
        while let Some(t) = peer.poll_transmit(now, &mut tx) {
            let _ = socket.send_to(&tx, t.destination);
            tx.clear();
        }
        while let Some(e) = peer.poll_event() {
            if matches!(e, Event::Connected { .. }) {
                connected_at = Some(Instant::now());
            }
        }
        for r in page.reports() {
            let v: serde_json::Value = serde_json::from_str(&r).unwrap_or_default();
            assert!(v.get("error").is_none(), "the page failed: {v}\n{answer}");
        }
        let wait = peer
            .poll_timeout()
            .map_or(Duration::from_millis(20), |t| {
                t.saturating_duration_since(now)
            })
            .clamp(Duration::from_millis(1), Duration::from_millis(20));
        socket.set_read_timeout(Some(wait)).unwrap();
        if let Ok((n, from)) = socket.recv_from(&mut rx) {
            if peer.receive(
                Instant::now(),
                Datagram::udp(from, local, &rx[..n]),
                &mut media,
            ) == Received::Rtp
            {
                on(CallEvent::Rtp(&media));
            }
        }
        let now = Instant::now();
        if peer.poll_timeout().is_some_and(|t| t <= now) {
            peer.handle_timeout(now);
        }
    }
    assert_eq!(peer.stats().srtp_dropped, 0, "{:?}", peer.stats());
}
