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

use wren_browser::Kind;

use common::call::CallEvent;
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
    let mut cap = None;
    common::call::run(
        kind,
        page(mime),
        seconds,
        |_| {},
        |e| match e {
            CallEvent::Negotiated { peer, answer } => {
                let c = Capture::new(kind.name(), peer);
                assert!(
                    c.video_codec
                        .eq_ignore_ascii_case(mime.trim_start_matches("video/")),
                    "negotiated {} for {mime}\n{answer}",
                    c.video_codec
                );
                cap = Some(c);
            }
            CallEvent::Rtp(rtp) => cap
                .as_mut()
                .expect("RTP comes after the negotiation")
                .push(rtp),
        },
    );
    cap.expect("the call negotiated")
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
