//! Real browsers accept our answers.
//!
//! Headless Chromium: a page offers audio, simulcast video, a receive-only video and a data
//! channel; `Negotiation` (default capabilities) answers, and `setRemoteDescription`
//! resolves with the directions our answer gave. Then the page re-offers with one more
//! transceiver and the simulcast video stopped, and then restarts ICE; each answer is
//! accepted too. Everything on 127.0.0.1; the browser is started and killed here.
//!
//! Headless Firefox ESR: a page sends fake camera and microphone tracks (the prefs
//! `wren_browser` writes) and a data channel, then, from a second connection, the camera
//! with three simulcast encodings (`sendEncodings` with rids); each offer is answered with
//! the default capabilities and Firefox's `setRemoteDescription` resolves. Firefox runs in a
//! network namespace of the test's own (`wren_browser::Netns`, deleted when the test ends,
//! pass or fail), with the page's server inside it: it needs a default route to gather, and
//! nothing it sends can leave the namespace. Only SDP is exchanged; no ICE or DTLS. Making
//! the namespace needs root: without it (or without firefox-esr) the test fails, it never
//! skips. Each live offer and our answer are written to `target/tmp/jsep-browsers/`.
#![allow(clippy::disallowed_methods)] // a real browser: the real clock

#[path = "jsep/common.rs"]
mod common;

use std::time::Duration;

use common::{check_round_trip, ice, transport};
use wren_browser::{Kind, Netns, Page};
use wren_sdp::jsep::{Capabilities, Negotiation, Reason};
use wren_sdp::{Media, Session};

const PAGE: &str = r#"<!doctype html><meta charset="utf-8"><script>
const report = (o) => fetch('/result', {method: 'POST', body: JSON.stringify(o)});
async function exchange(pc) {
  await pc.setLocalDescription(await pc.createOffer());
  const r = await fetch('/offer', {method: 'POST', body: pc.localDescription.sdp});
  await pc.setRemoteDescription({type: 'answer', sdp: await r.text()});
  return pc.getTransceivers().map(t => t.currentDirection || 'none').join(' ');
}
async function main() {
  try {
    const pc = new RTCPeerConnection();
    pc.addTransceiver('audio', {direction: 'sendrecv'});
    const sim = pc.addTransceiver('video', {direction: 'sendonly', sendEncodings: [
      {rid: 'q', scaleResolutionDownBy: 4}, {rid: 'h', scaleResolutionDownBy: 2}, {rid: 'f'}]});
    pc.addTransceiver('video', {direction: 'recvonly'});
    pc.createDataChannel('wren');
    await report({round: 1, directions: await exchange(pc)});
    pc.addTransceiver('audio', {direction: 'sendrecv'});
    sim.stop();
    await report({round: 2, directions: await exchange(pc)});
    pc.restartIce();
    await report({round: 3, directions: await exchange(pc)});
  } catch (e) { report({error: String(e)}); }
}
main();
</script>"#;

/// Answers the page's next offer with `n`, checks the answer parses back, and returns
/// the page's report of that round.
fn round(page: &Page, n: &mut Negotiation) -> (String, wren_sdp::jsep::Answer) {
    let offer_text = page.offer(Duration::from_secs(60));
    let offer = Session::parse(&offer_text).unwrap_or_else(|e| panic!("{e}\n{offer_text}"));
    let answer = n.handle_offer(&offer).expect("the offer is answered");
    check_round_trip(&answer.session);
    page.answer(answer.to_sdp());
    let report = page
        .report(Duration::from_secs(60))
        .expect("the page reports");
    assert!(
        !report.contains("error"),
        "Chromium refused our answer: {report}\n{}",
        answer.to_sdp()
    );
    (report, answer)
}

#[test]
fn chromium_accepts_our_answers_to_its_offer_re_offer_and_ice_restart() {
    let page = Page::serve(PAGE.to_owned());
    let _browser = Kind::Chromium.start(page.url());
    let mut n = Negotiation::new(Capabilities::default(), transport(), 4242);

    let (report, answer) = round(&page, &mut n);
    assert!(answer.rejected.is_empty(), "{:?}", answer.rejected);
    let media = answer.session.media();
    assert_eq!(media[1].simulcast().unwrap().to_string(), "recv q;h;f");
    // We receive the audio and the simulcast video; the receive-only video gets nothing.
    assert!(
        report.contains(r#""directions":"sendonly sendonly inactive""#),
        "{report}"
    );

    let (report, answer) = round(&page, &mut n);
    let stopped: Vec<usize> = answer
        .rejected
        .iter()
        .filter(|r| r.reason == Reason::Stopped)
        .map(|r| r.index)
        .collect();
    assert_eq!(stopped, [1]);
    assert_eq!(answer.session.media().len(), 5);
    assert_eq!(answer.session.origin().unwrap().session_version, 2);
    // The stopped transceiver is gone from the page's list once the stop is negotiated.
    assert!(
        report.contains(r#""directions":"sendonly inactive sendonly""#),
        "{report}"
    );

    n.set_next_ice_credentials(ice("again"));
    let (_, answer) = round(&page, &mut n);
    assert!(n.ice_restarted());
    assert_eq!(answer.session.media()[0].ice_ufrag(), Some("again"));
}

const FIREFOX_PAGE: &str = r#"<!doctype html><meta charset="utf-8"><script>
const report = (o) => fetch('/result', {method: 'POST', body: JSON.stringify(o)});
async function exchange(pc) {
  await pc.setLocalDescription(await pc.createOffer());
  const r = await fetch('/offer', {method: 'POST', body: pc.localDescription.sdp});
  const sdp = await r.text();
  try {
    await pc.setRemoteDescription({type: 'answer', sdp});
  } catch (e) {
    return {resolved: false, error: String(e)};
  }
  return {resolved: true, state: pc.signalingState,
          directions: pc.getTransceivers().map(t => t.currentDirection || 'none').join(' ')};
}
async function main() {
  try {
    const media = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
    const pc = new RTCPeerConnection();
    pc.addTrack(media.getAudioTracks()[0], media);
    pc.addTrack(media.getVideoTracks()[0], media);
    pc.createDataChannel('wren');
    await report({round: 1, ...await exchange(pc)});
    const sim = new RTCPeerConnection();
    sim.addTransceiver(media.getVideoTracks()[0], {direction: 'sendonly', sendEncodings: [
      {rid: 'q', scaleResolutionDownBy: 4}, {rid: 'h', scaleResolutionDownBy: 2}, {rid: 'f'}]});
    await report({round: 2, ...await exchange(sim)});
  } catch (e) { report({error: String(e)}); }
}
main();
</script>"#;

/// Where a live offer and our answer to it are written, for inspection.
fn keep(name: &str, text: &str) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("jsep-browsers");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join(name), text);
}

/// The offer's section with the answer section's mid.
fn offered<'s, 'a>(offer: &'s Session<'a>, answered: &Media<'_>) -> &'s Media<'a> {
    let mid = answered
        .mid()
        .expect("the answer gives each section its mid");
    offer
        .media_by_mid(mid)
        .expect("the answer's mid was offered")
}

/// Checks that `answer` accepts the offer's section of `kind` (port non-zero), and that each
/// codec it names is one the offer gave under that payload type; returns the codec names.
fn accepted_codecs(offer: &Session<'_>, answer: &Session<'_>, kind: &str) -> Vec<String> {
    let m = answer
        .media()
        .iter()
        .find(|m| m.kind() == kind)
        .unwrap_or_else(|| panic!("no {kind} section in our answer:\n{answer}"));
    assert_ne!(m.media_line().port, 0, "{kind} rejected:\n{answer}");
    let o = offered(offer, m);
    let mut names = Vec::new();
    for pt in m.media_line().payload_types() {
        let ours = m.rtpmaps().find(|r| r.payload_type == pt).unwrap();
        let theirs = o
            .rtpmaps()
            .find(|r| r.payload_type == pt)
            .unwrap_or_else(|| panic!("{kind}: payload type {pt} was not offered"));
        assert!(
            ours.encoding.eq_ignore_ascii_case(&theirs.encoding)
                && ours.clock_rate == theirs.clock_rate,
            "{kind}: {pt} answered as {}/{}, offered as {}/{}",
            ours.encoding,
            ours.clock_rate,
            theirs.encoding,
            theirs.clock_rate
        );
        names.push(ours.encoding.to_ascii_lowercase());
    }
    names
}

/// Answers the page's next offer with a fresh `Negotiation` (default capabilities), keeps
/// both under `name`, and returns the offer, the answer and the page's report.
fn firefox_round(page: &Page, name: &str) -> (Session<'static>, wren_sdp::jsep::Answer, String) {
    let offer_text = page.offer(Duration::from_secs(90));
    keep(&format!("{name}-offer.sdp"), &offer_text);
    let offer = Session::parse(&offer_text)
        .unwrap_or_else(|e| panic!("{e}\n{offer_text}"))
        .into_owned();
    let mut n = Negotiation::new(Capabilities::default(), transport(), 4343);
    let answer = n.handle_offer(&offer).expect("the offer is answered");
    check_round_trip(&answer.session);
    keep(&format!("{name}-answer.sdp"), &answer.to_sdp());
    page.answer(answer.to_sdp());
    let report = page
        .report(Duration::from_secs(60))
        .expect("the page reports");
    assert!(
        report.contains(r#""resolved":true"#),
        "Firefox refused our answer: {report}\noffer:\n{offer_text}\nanswer:\n{}",
        answer.to_sdp()
    );
    (offer, answer, report)
}

#[test]
fn firefox_esr_accepts_our_answers_to_its_offer_and_simulcast_offer() {
    // Fails here, before a namespace is made, when firefox-esr is not installed.
    let major = Kind::Firefox.major_version();
    // Dropped in reverse order: the browser before its namespace.
    let ns = Netns::new();
    let page = Page::serve_in(&ns, FIREFOX_PAGE.to_owned());
    let _browser = Kind::Firefox.start_in(&ns, page.url());

    let (offer, answer, report) = firefox_round(&page, &format!("firefox-{major}"));
    assert!(answer.rejected.is_empty(), "{:?}", answer.rejected);
    let audio = accepted_codecs(&offer, &answer.session, "audio");
    assert_eq!(audio.first().map(String::as_str), Some("opus"), "{audio:?}");
    let video = accepted_codecs(&offer, &answer.session, "video");
    assert!(video.iter().any(|c| c == "vp8"), "{video:?}");
    let data = answer
        .session
        .media()
        .iter()
        .find(|m| m.kind() == "application")
        .expect("a data section");
    assert_ne!(data.media_line().port, 0);
    assert_eq!(data.sctp_port(), Some(5000));
    // Firefox sends its tracks; we have nothing to send, so we receive them.
    assert!(
        report.contains(r#""state":"stable""#)
            && report.contains(r#""directions":"sendonly sendonly""#),
        "{report}"
    );

    let (offer, answer, report) = firefox_round(&page, &format!("firefox-{major}-simulcast"));
    assert!(answer.rejected.is_empty(), "{:?}", answer.rejected);
    let video = accepted_codecs(&offer, &answer.session, "video");
    assert!(video.iter().any(|c| c == "vp8"), "{video:?}");
    let sim = answer.session.media()[0]
        .simulcast()
        .expect("simulcast answered");
    assert_eq!(sim.to_string(), "recv q;h;f");
    assert!(report.contains(r#""directions":"sendonly""#), "{report}");
}
