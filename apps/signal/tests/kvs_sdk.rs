//! The official KVS JavaScript SDK (`amazon-kinesis-video-streams-webrtc` 2.9.0 from the npm
//! registry) against wren-signal: in headless Chromium, a master and a viewer
//! `SignalingClient` with the SDK's own SigV4 signer and an access key configured in
//! wren-signal connect over wss, trade an offer, an answer and candidates, and make a call:
//! the viewer decodes the master's (fake camera) video. Everything on 127.0.0.1.
#![allow(clippy::disallowed_methods)] // real sockets and a real browser: the real clock

mod common;

use std::time::Duration;

use serde_json::{Value, json};
use wren_browser::{Kind, Page};
use wren_signal::server::Config;

const SDK: &str = "amazon-kinesis-video-streams-webrtc@2.9.0";
const ACCESS_KEY: &str = "AKIDWRENTEST";
const SECRET: &str = "wren/test+secret";

/// The SDK's browser bundle, installed from npm into the test's own directory once.
fn sdk_bundle() -> String {
    const BUNDLE: &str = "amazon-kinesis-video-streams-webrtc/dist/kvs-webrtc.min.js";
    let bundle = common::npm_install("kvs-sdk-2.9.0", &[SDK], BUNDLE).join(BUNDLE);
    std::fs::read_to_string(&bundle).unwrap_or_else(|e| panic!("{}: {e}", bundle.display()))
}

const SCRIPT: &str = r#"
const report = (o) => fetch('/result', {method: 'POST', body: JSON.stringify(o)});
window.onerror = (m) => report({error: String(m)});
async function main() {
  const {SignalingClient, Role} = KVSWebRTC;
  const common = {channelARN: ARN, channelEndpoint: ENDPOINT, region: 'us-west-2',
                  credentials: {accessKeyId: ACCESS_KEY, secretAccessKey: SECRET}};
  const master = new SignalingClient({...common, role: Role.MASTER});
  const viewer = new SignalingClient({...common, role: Role.VIEWER, clientId: 'viewer-1'});
  const seen = {offers: 0, answers: 0, masterCandidates: 0, viewerCandidates: 0};
  const stream = await navigator.mediaDevices.getUserMedia({video: true});
  const mpc = new RTCPeerConnection();
  stream.getTracks().forEach(t => mpc.addTrack(t, stream));
  const vpc = new RTCPeerConnection();
  vpc.addTransceiver('video', {direction: 'recvonly'});
  const pending = {m: [], v: []};
  const add = async (pc, queue, c) => {
    if (pc.remoteDescription) { await pc.addIceCandidate(c); } else { queue.push(c); }
  };
  const flush = async (pc, queue) => { for (const c of queue.splice(0)) { await pc.addIceCandidate(c); } };
  master.on('sdpOffer', async (offer, from) => {
    seen.offers++;
    await mpc.setRemoteDescription(offer);
    await flush(mpc, pending.m);
    await mpc.setLocalDescription(await mpc.createAnswer());
    master.sendSdpAnswer(mpc.localDescription, from);
  });
  mpc.onicecandidate = (e) => { if (e.candidate) master.sendIceCandidate(e.candidate, 'viewer-1'); };
  master.on('iceCandidate', (c) => { seen.masterCandidates++; add(mpc, pending.m, c); });
  viewer.on('sdpAnswer', async (answer) => {
    seen.answers++;
    await vpc.setRemoteDescription(answer);
    await flush(vpc, pending.v);
  });
  viewer.on('iceCandidate', (c) => { seen.viewerCandidates++; add(vpc, pending.v, c); });
  vpc.onicecandidate = (e) => { if (e.candidate) viewer.sendIceCandidate(e.candidate); };
  master.on('error', (e) => report({error: 'master: ' + (e.message || e.type || e)}));
  viewer.on('error', (e) => report({error: 'viewer: ' + (e.message || e.type || e)}));
  master.on('open', () => viewer.open());
  viewer.on('open', async () => {
    await vpc.setLocalDescription(await vpc.createOffer());
    viewer.sendSdpOffer(vpc.localDescription);
  });
  master.open();
  for (;;) {
    await new Promise(r => setTimeout(r, 500));
    const stats = await vpc.getStats();
    let frames = 0;
    stats.forEach(s => { if (s.type === 'inbound-rtp' && s.kind === 'video') frames = s.framesDecoded || 0; });
    if (frames > 10) {
      report({ok: true, framesDecoded: frames, state: vpc.connectionState, ...seen});
      return;
    }
  }
}
main().catch(e => report({error: String(e)}));
"#;

#[test]
fn the_kvs_javascript_sdk_signs_in_and_makes_a_call_through_wren_signal() {
    let bundle = sdk_bundle();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut config = Config::default();
    config
        .policy
        .access_keys
        .insert(ACCESS_KEY.to_owned(), SECRET.to_owned());
    let (addr, arn) = rt.block_on(async {
        let tls = common::start_with(config).await;
        let (status, v) = tls
            .post_as(
                "/createSignalingChannel",
                &json!({"ChannelName": "kvs-sdk"}),
                Some((ACCESS_KEY, SECRET)),
            )
            .await;
        assert_eq!(status, 200, "{v}");
        (
            tls.addr.clone(),
            v["ChannelARN"].as_str().unwrap().to_owned(),
        )
    });
    let consts = format!(
        "const ARN = {}; const ENDPOINT = {}; const ACCESS_KEY = {}; const SECRET = {};",
        Value::String(arn),
        Value::String(format!("wss://{addr}")),
        Value::String(ACCESS_KEY.to_owned()),
        Value::String(SECRET.to_owned()),
    );
    let html = format!(
        "<!doctype html><meta charset=\"utf-8\"><script>{bundle}</script><script>{consts}{SCRIPT}</script>"
    );
    let page = Page::serve(html);
    let _browser = Kind::Chromium.start_with_args(
        page.url(),
        &[
            "--ignore-certificate-errors",
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
        ],
    );
    let report = page
        .report(Duration::from_secs(90))
        .expect("the page reports within 90 s");
    let v: Value = serde_json::from_str(&report).unwrap();
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["offers"], 1, "{v}");
    assert_eq!(v["answers"], 1, "{v}");
    assert!(v["masterCandidates"].as_u64().unwrap() >= 1, "{v}");
    assert!(v["viewerCandidates"].as_u64().unwrap() >= 1, "{v}");
    assert!(v["framesDecoded"].as_u64().unwrap() > 10, "{v}");
    drop(rt);
}
