//! Headless Chromium accepts our answers: a page offers audio, simulcast video, a
//! receive-only video and a data channel; `Negotiation` (default capabilities) answers, and
//! `setRemoteDescription` resolves with the directions our answer gave. Then the page
//! re-offers with one more transceiver and the simulcast video stopped, and then restarts
//! ICE; each answer is accepted too. Everything on 127.0.0.1; the browser is started and
//! killed here.
#![allow(clippy::disallowed_methods)] // a real browser: the real clock

#[path = "jsep/common.rs"]
mod common;

use std::time::Duration;

use common::{check_round_trip, ice, transport};
use wren_browser::{Kind, Page};
use wren_sdp::Session;
use wren_sdp::jsep::{Capabilities, Negotiation, Reason};

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
