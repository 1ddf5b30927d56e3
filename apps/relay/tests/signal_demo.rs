//! wren-signal's demo page makes calls: two headless Chromium instances open it on a
//! wren-signal served here on 127.0.0.1, one as the channel's master and one as a viewer;
//! they trade offer, answer and trickled candidates through wren-signal and send each other
//! (fake camera) video. Then again with `iceTransportPolicy: "relay"` through this crate's
//! wren-relay, with the TURN REST credentials wren-signal's GetIceServerConfig hands out:
//! both ends' selected candidates must be relayed. The page reports its state (as JSON) to a
//! collector of the test.
#![allow(clippy::disallowed_methods)] // real browsers, servers and sockets: the real clock

mod common;

use std::time::{Duration, Instant};

use common::{free_port, relay};
use serde_json::Value;
use wren_browser::{Kind, Page};
use wren_signal::ice_servers::Relays;
use wren_signal::server::{self, Config};

/// wren-signal on 127.0.0.1 (plain HTTP: a loopback page is a secure context), on a thread
/// of its own; its address.
fn signal(config: Config) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            server::serve(listener, config, std::future::pending()).await
        })
    });
    addr
}

const MEDIA: [&str; 2] = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
];

/// Both pages' last reported states once each decodes video (and, with `relay`, has relayed
/// candidates on both sides of its selected pair).
fn call(addr: &str, channel: &str, relay_only: bool) -> (Value, Value) {
    call_with(addr, channel, relay_only, None)
}

/// As [`call`]; with `viewer_first`, the viewer's browser starts that long before the
/// master's (its first offers find no master).
fn call_with(
    addr: &str,
    channel: &str,
    relay_only: bool,
    viewer_first: Option<Duration>,
) -> (Value, Value) {
    let collector = Page::serve("<!doctype html>".to_owned());
    let report = format!("{}result", collector.url());
    let relay = if relay_only { "&relay=1" } else { "" };
    let url = |role: &str| {
        format!(
            "http://{addr}/?channel={channel}&role={role}&clientId=viewer-1{relay}&report={report}"
        )
    };
    let (_viewer, _master) = match viewer_first {
        Some(lead) => {
            let viewer = Kind::Chromium.start_with_args(&url("viewer"), &MEDIA);
            std::thread::sleep(lead);
            (
                viewer,
                Kind::Chromium.start_with_args(&url("master"), &MEDIA),
            )
        }
        None => {
            let master = Kind::Chromium.start_with_args(&url("master"), &MEDIA);
            (
                Kind::Chromium.start_with_args(&url("viewer"), &MEDIA),
                master,
            )
        }
    };
    let (mut master, mut viewer) = (Value::Null, Value::Null);
    let done = |s: &Value| {
        s["framesDecoded"].as_u64().unwrap_or(0) > 10
            && (!relay_only || s["selectedPair"]["local"]["candidateType"] == "relay")
    };
    let end = Instant::now() + Duration::from_secs(90);
    while Instant::now() < end && !(done(&master) && done(&viewer)) {
        let Some(r) = collector.report(Duration::from_secs(1)) else {
            continue;
        };
        let Ok(state) = serde_json::from_str::<Value>(&r) else {
            continue;
        };
        assert!(state["error"].is_null(), "the page failed: {state}");
        match state["role"].as_str() {
            Some("master") => master = state,
            Some("viewer") => viewer = state,
            _ => {}
        }
    }
    assert!(done(&master), "master: {master}");
    assert!(done(&viewer), "viewer: {viewer}");
    (master, viewer)
}

#[test]
fn two_chromium_pages_make_a_call_through_the_demo_page() {
    let addr = signal(Config::default());
    let (master, viewer) = call(&addr, "demo", false);
    assert_eq!(master["connection"], "connected", "{master}");
    assert_eq!(viewer["connection"], "connected", "{viewer}");
    assert_eq!(viewer["signaling"], "open");
}

/// A viewer that arrives first offers into nothing (the server answers it: recipient not
/// connected) and offers again until the master is there.
#[test]
fn a_viewer_that_joins_before_the_master_still_gets_its_call() {
    let addr = signal(Config::default());
    let (_, viewer) = call_with(&addr, "early", false, Some(Duration::from_secs(4)));
    let events = viewer["events"].as_array().expect("events");
    assert!(
        events
            .iter()
            .any(|e| e.as_str().is_some_and(|e| e.contains("not connected yet"))),
        "{viewer}"
    );
}

#[test]
fn the_demo_page_calls_through_wren_relay_with_credentials_from_get_ice_server_config() {
    let port = free_port();
    let _relay = relay(
        port,
        &[
            "--relay-ip",
            "127.0.0.1",
            "--min-port",
            "51000",
            "--max-port",
            "51099",
            "--realm",
            "example.org",
            "--allow-loopback-peers",
            "--use-auth-secret",
            "--static-auth-secret",
            "north",
        ],
    );
    let config = Config {
        relays: Some(Relays {
            secret: "north".to_owned(),
            turn_uris: vec![format!("turn:127.0.0.1:{port}?transport=udp")],
            stun_uris: Vec::new(),
            ttl: Duration::from_secs(300),
        }),
        ..Config::default()
    };
    let addr = signal(config);
    let (master, viewer) = call(&addr, "relayed", true);
    for s in [&master, &viewer] {
        assert_eq!(s["selectedPair"]["local"]["candidateType"], "relay", "{s}");
        assert_eq!(s["selectedPair"]["remote"]["candidateType"], "relay", "{s}");
    }
}
