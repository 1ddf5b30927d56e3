//! Headless Chromium relays through wren-relay: one page holds two peer connections whose
//! ICE may use relayed candidates only (`iceTransportPolicy: "relay"`), with REST-API
//! credentials for wren-relay on 127.0.0.1, over TURN/UDP and TURN/TCP. A data channel
//! carries 500 messages one way; all must arrive, and both selected candidates must be
//! relayed. Chromium is started here and killed after.
#![allow(clippy::disallowed_methods)] // a real browser and a real relay: the real clock

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{free_port, relay};
use wren_browser::{Kind, Page};
use wren_turn::server::rest_password;

const MESSAGES: usize = 500;

fn page(port: u16, transport: &str, username: &str, credential: &str) -> String {
    format!(
        r#"<!doctype html><meta charset="utf-8"><script>
const report = (o) => fetch('/result', {{method: 'POST', body: JSON.stringify(o)}});
async function main() {{
  const config = {{
    iceServers: [{{urls: ['turn:127.0.0.1:{port}?transport={transport}'],
                   username: '{username}', credential: '{credential}'}}],
    iceTransportPolicy: 'relay',
  }};
  const a = new RTCPeerConnection(config), b = new RTCPeerConnection(config);
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
  let received = 0;
  b.ondatachannel = (e) => {{
    e.channel.onmessage = async () => {{
      received += 1;
      if (received === {MESSAGES}) {{
        const stats = await a.getStats();
        let local, remote;
        stats.forEach((s) => {{
          if (s.type === 'transport' && s.selectedCandidatePairId) {{
            const pair = stats.get(s.selectedCandidatePairId);
            local = stats.get(pair.localCandidateId).candidateType;
            remote = stats.get(pair.remoteCandidateId).candidateType;
          }}
        }});
        report({{received, local, remote}});
      }}
    }};
  }};
  const ch = a.createDataChannel('wren');
  ch.onopen = () => {{ for (let i = 0; i < {MESSAGES}; i++) ch.send('message ' + i); }};
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription);
  setTimeout(() => report({{timeout: true, received, state: a.connectionState}}), 20000);
}}
main().catch((e) => report({{error: String(e)}}));
</script>"#
    )
}

/// `range`: this call's own relay ports (50000 + 100 * range, 100 of them), apart from
/// the other test files' ranges.
fn relay_call(transport: &str, range: u16) {
    let port = free_port();
    let min = 50000 + 100 * range;
    let (min_s, max_s) = (min.to_string(), (min + 99).to_string());
    let _relay = relay(
        port,
        &[
            "--relay-ip",
            "127.0.0.1",
            "--min-port",
            &min_s,
            "--max-port",
            &max_s,
            "--realm",
            "example.org",
            "--allow-loopback-peers",
            "--use-auth-secret",
            "--static-auth-secret",
            "north",
        ],
    );
    let expiry = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    let username = format!("{expiry}:chromium");
    let credential = rest_password("north", &username);
    let page = Page::serve(page(port, transport, &username, &credential));
    let _browser = Kind::Chromium.start(page.url());
    let report = page
        .report(Duration::from_secs(60))
        .expect("the page reports");
    assert_eq!(
        report,
        format!(r#"{{"received":{MESSAGES},"local":"relay","remote":"relay"}}"#),
        "over TURN/{transport}"
    );
}

#[test]
fn chromium_relays_a_data_channel_through_wren_relay_over_udp_without_loss() {
    relay_call("udp", 0);
}

#[test]
fn chromium_relays_a_data_channel_through_wren_relay_over_tcp_without_loss() {
    relay_call("tcp", 1);
}
