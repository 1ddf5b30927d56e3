//! Real browsers' RTP through our depacketizers: headless Chromium and Firefox ESR send
//! their fake camera in one codec each (`setCodecPreferences`: VP8, VP9, H.264, AV1) and
//! their fake microphone in Opus to a wren-rtc peer that answers their offer; the SRTP is
//! unprotected with our keys, the packets go through our jitter buffer and depacketizer,
//! and what comes out is written to IVF, Annex B or Ogg and decoded by ffmpeg without an
//! error. With `WREN_CAPTURE_FIXTURES=DIR` the packets are also written there, as the
//! fixtures of tests/fixtures/ were (see its README).
//!
//! Firefox runs in a network namespace the test makes (as wren-rtc's tests/browsers.rs
//! explains); that needs root.
#![allow(clippy::disallowed_methods)] // a real socket and a real browser: the real clock

mod common;

use std::net::UdpSocket;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wren_browser::{Kind, Netns, Page};
use wren_core::{Datagram, Machine, SocketRequest, SocketResult, Transport};
use wren_dtls::identity::Identity;
use wren_rtc::{Config, DtlsRole, Event, Peer, Received, SdpType, SessionDescription};

use common::capture::{Capture, decode_capture};

fn page(mime: &str) -> String {
    format!(
        r#"<!doctype html><meta charset="utf-8"><script>
async function main() {{
  const report = (o) => fetch('/result', {{method: 'POST', body: JSON.stringify(o)}});
  try {{
    const pc = new RTCPeerConnection();
    const stream = await navigator.mediaDevices.getUserMedia({{audio: true, video: {{width: 320, height: 240}}}});
    for (const t of stream.getTracks()) {{
      const tr = pc.addTransceiver(t, {{direction: 'sendonly', streams: [stream]}});
      if (t.kind === 'video') {{
        const codecs = RTCRtpSender.getCapabilities('video').codecs
          .filter((c) => c.mimeType.toLowerCase() === '{mime}'.toLowerCase());
        if (codecs.length === 0) {{ report({{error: 'no {mime} encoder'}}); return; }}
        tr.setCodecPreferences(codecs);
      }}
    }}
    pc.onconnectionstatechange = () => report({{state: pc.connectionState}});
    await pc.setLocalDescription(await pc.createOffer());
    const r = await fetch('/offer', {{method: 'POST', body: pc.localDescription.sdp}});
    await pc.setRemoteDescription({{type: 'answer', sdp: await r.text()}});
  }} catch (e) {{ report({{error: String(e)}}); }}
}}
main();
</script>"#
    )
}

/// Runs one call: the browser sends `mime` video and Opus audio for `seconds`; returns
/// what arrived.
fn capture(kind: Kind, mime: &str, seconds: u64) -> Capture {
    let ns = (kind == Kind::Firefox).then(Netns::new);
    let html = page(mime);
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
    let config = Config::new(
        wren_ice::Role::Controlled,
        DtlsRole::Client,
        vec![interface],
        identity,
    );
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
    let mut cap = Capture::new(kind.name(), &peer);
    assert!(
        cap.video_codec
            .eq_ignore_ascii_case(mime.trim_start_matches("video/")),
        "negotiated {} for {mime}\n{answer}",
        cap.video_codec
    );
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
                cap.push(&media);
            }
        }
        let now = Instant::now();
        if peer.poll_timeout().is_some_and(|t| t <= now) {
            peer.handle_timeout(now);
        }
    }
    assert_eq!(peer.stats().srtp_dropped, 0, "{:?}", peer.stats());
    cap
}

fn check(kind: Kind, mime: &str) {
    let cap = capture(kind, mime, 4);
    if let Ok(dir) = std::env::var("WREN_CAPTURE_FIXTURES") {
        cap.save(std::path::Path::new(&dir), &kind.version());
    }
    let d = common::dir(&format!("browser-{}-{}", kind.name(), cap.video_codec));
    let decoded = decode_capture(&cap, &d);
    println!(
        "{} ({}) {}: {} video packets -> {} frames decoded by ffmpeg; {} Opus packets -> {} decoded",
        kind.name(),
        kind.version().trim(),
        cap.video_codec,
        cap.video.len(),
        decoded.video_frames,
        cap.audio.len(),
        decoded.audio_frames
    );
    // Four seconds at the fake camera's 30 fps (a browser may start lower): at least 30.
    assert!(decoded.video_frames >= 30, "{decoded:?}");
    assert!(decoded.audio_frames >= 100, "{decoded:?}");
}

#[test]
fn chromium_vp8_vp9_h264_av1_and_opus_depacketize_and_decode() {
    for mime in ["video/VP8", "video/VP9", "video/H264", "video/AV1"] {
        check(Kind::Chromium, mime);
    }
}

/// Firefox encodes H.264 only with Cisco's OpenH264 plugin, which it downloads at run
/// time; without a network it offers an H.264 section with no format at all (an m= line
/// of three fields, which our parser refuses naming the line).
#[test]
fn firefox_vp8_vp9_av1_and_opus_depacketize_and_decode() {
    for mime in ["video/VP8", "video/VP9", "video/AV1"] {
        check(Kind::Firefox, mime);
    }
}
