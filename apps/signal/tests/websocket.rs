//! wren-signal over real sockets on 127.0.0.1: the HTTP API in the KVS shapes, a master and
//! viewers trading offers, answers and candidates over WebSockets, credentials checked
//! before the upgrade, and a reader that stops reading dropped without hurting others.
#![allow(clippy::disallowed_methods)] // real sockets: the real clock

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use wren_signal::auth::sigv4::uri_encode;
use wren_signal::server::{self, Config};

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

async fn start(config: Config) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (router, _handle) = server::router(config);
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

/// One HTTP/1.1 POST with a JSON body; the status and the JSON answer.
async fn post(addr: &str, path: &str, body: &Value) -> (u16, Value) {
    post_as(addr, path, body, None).await
}

/// [`post`], signed with `key` (access key id, secret) when given.
async fn post_as(addr: &str, path: &str, body: &Value, key: Option<(&str, &str)>) -> (u16, Value) {
    common::parse_response(&raw_post(addr, path, body, key).await)
}

async fn channel(addr: &str, name: &str) -> String {
    let (status, v) = post(
        addr,
        "/createSignalingChannel",
        &json!({"ChannelName": name}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    v["ChannelARN"].as_str().unwrap().to_owned()
}

async fn connect(addr: &str, arn: &str, client: Option<&str>) -> Ws {
    let mut url = format!("ws://{addr}/?X-Amz-ChannelARN={}", uri_encode(arn));
    if let Some(c) = client {
        url.push_str(&format!("&X-Amz-ClientId={c}"));
    }
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

async fn next_json(ws: &mut Ws) -> Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a message within 10 s")
            .expect("the socket stays open")
            .unwrap();
        if let Message::Text(t) = m {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

fn msg(action: &str, to: Option<&str>, payload: &str) -> Message {
    let mut v = json!({"action": action, "messagePayload": payload});
    if let Some(t) = to {
        v["recipientClientId"] = Value::String(t.to_owned());
    }
    Message::Text(v.to_string().into())
}

#[tokio::test]
async fn a_master_and_a_viewer_trade_an_offer_an_answer_and_candidates() {
    let addr = start(Config::default()).await;
    let arn = channel(&addr, "door").await;
    let mut master = connect(&addr, &arn, None).await;
    let mut viewer = connect(&addr, &arn, Some("viewer-1")).await;
    viewer
        .send(msg("SDP_OFFER", None, "b2ZmZXI="))
        .await
        .unwrap();
    let got = next_json(&mut master).await;
    assert_eq!(got["messageType"], "SDP_OFFER");
    assert_eq!(got["senderClientId"], "viewer-1");
    assert_eq!(got["messagePayload"], "b2ZmZXI=");
    master
        .send(msg("SDP_ANSWER", Some("viewer-1"), "YW5zd2Vy"))
        .await
        .unwrap();
    let got = next_json(&mut viewer).await;
    assert_eq!(got["messageType"], "SDP_ANSWER");
    assert_eq!(got["messagePayload"], "YW5zd2Vy");
    for i in 0..5 {
        let payload = format!("Y2FuZGlkYXRl{i}A==");
        viewer
            .send(msg("ICE_CANDIDATE", None, &payload))
            .await
            .unwrap();
        let got = next_json(&mut master).await;
        assert_eq!(got["messageType"], "ICE_CANDIDATE");
        assert_eq!(got["messagePayload"], payload, "in order");
    }
}

#[tokio::test]
async fn the_control_plane_answers_in_the_kvs_shapes() {
    let addr = start(Config::default()).await;
    let arn = channel(&addr, "door").await;
    assert!(arn.starts_with("arn:aws:kinesisvideo:us-west-2:000000000000:channel/door/"));
    let (status, v) = post(
        &addr,
        "/createSignalingChannel",
        &json!({"ChannelName": "door"}),
    )
    .await;
    assert_eq!((status, v["Message"].is_string()), (400, true));
    let (status, v) = post(
        &addr,
        "/describeSignalingChannel",
        &json!({"ChannelName": "door"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(v["ChannelInfo"]["ChannelARN"], arn.as_str());
    assert_eq!(v["ChannelInfo"]["ChannelStatus"], "ACTIVE");
    channel(&addr, "gate").await;
    let (_, v) = post(&addr, "/listSignalingChannels", &json!({"MaxResults": 1})).await;
    assert_eq!(v["ChannelInfoList"][0]["ChannelName"], "door");
    let token = v["NextToken"].as_str().unwrap().to_owned();
    let (_, v) = post(
        &addr,
        "/listSignalingChannels",
        &json!({"MaxResults": 1, "NextToken": token}),
    )
    .await;
    assert_eq!(v["ChannelInfoList"][0]["ChannelName"], "gate");
    assert!(v.get("NextToken").is_none());
    let (status, v) = post(
        &addr,
        "/getSignalingChannelEndpoint",
        &json!({"ChannelARN": arn, "SingleMasterChannelEndpointConfiguration": {"Protocols": ["WSS", "HTTPS"], "Role": "MASTER"}}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(v["ResourceEndpointList"][0]["Protocol"], "WSS");
    assert_eq!(
        v["ResourceEndpointList"][0]["ResourceEndpoint"],
        format!("ws://{addr}")
    );
    let (status, _) = post(
        &addr,
        "/deleteSignalingChannel",
        &json!({"ChannelARN": arn}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = post(
        &addr,
        "/describeSignalingChannel",
        &json!({"ChannelARN": arn}),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn ice_servers_carry_turn_rest_credentials() {
    let config = Config {
        relays: Some(wren_signal::ice_servers::Relays {
            secret: "s3cret".into(),
            turn_uris: vec!["turn:127.0.0.1:3478".into()],
            stun_uris: vec![],
            ttl: Duration::from_secs(300),
        }),
        ..Config::default()
    };
    let addr = start(config).await;
    let arn = channel(&addr, "door").await;
    let (status, v) = post(
        &addr,
        "/v1/get-ice-server-config",
        &json!({"ChannelARN": arn, "ClientId": "viewer-1", "Service": "TURN"}),
    )
    .await;
    assert_eq!(status, 200);
    let server = &v["IceServerList"][0];
    let username = server["Username"].as_str().unwrap();
    let (expiry, client) = username.split_once(':').unwrap();
    assert_eq!(client, "viewer-1");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let expiry: u64 = expiry.parse().unwrap();
    assert!(
        (now + 290..=now + 310).contains(&expiry),
        "{expiry} vs {now}"
    );
    assert_eq!(
        server["Password"],
        wren_turn::server::rest_password("s3cret", username)
    );
}

#[tokio::test]
async fn without_credentials_the_upgrade_is_refused_before_it_happens() {
    let mut config = Config::default();
    config.policy.access_keys = [("AKID".to_owned(), "secret".to_owned())].into();
    let addr = start(config).await;
    let key = Some(("AKID", "secret"));
    let (status, v) = post_as(
        &addr,
        "/createSignalingChannel",
        &json!({"ChannelName": "door"}),
        key,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let arn = v["ChannelARN"].as_str().unwrap().to_owned();
    let url = format!("ws://{addr}/?X-Amz-ChannelARN={}", uri_encode(&arn));
    let err = tokio_tungstenite::connect_async(url).await.unwrap_err();
    match err {
        tokio_tungstenite::tungstenite::Error::Http(r) => assert_eq!(r.status().as_u16(), 401),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_reader_that_stops_reading_is_dropped_and_others_are_not() {
    let mut config = Config {
        send_queue: 8,
        send_timeout: Duration::from_secs(1),
        ..Config::default()
    };
    config.machine.sdp_per_second = 1_000_000;
    config.machine.candidates_per_second = 1_000_000;
    let addr = start(config).await;
    let arn = channel(&addr, "door").await;
    let mut master = connect(&addr, &arn, None).await;
    // The stuck viewer never reads; its socket buffers fill, then its queue.
    let _stuck = connect(&addr, &arn, Some("stuck")).await;
    let mut live = connect(&addr, &arn, Some("live")).await;
    let payload = "A".repeat(8 * 1024);
    for _ in 0..2000 {
        master
            .send(msg("ICE_CANDIDATE", Some("stuck"), &payload))
            .await
            .unwrap();
    }
    // The live viewer still gets its message promptly.
    master
        .send(msg("SDP_ANSWER", Some("live"), "bGl2ZQ=="))
        .await
        .unwrap();
    let got = next_json(&mut live).await;
    assert_eq!(got["messagePayload"], "bGl2ZQ==");
    // And the stuck one was dropped and counted.
    let metrics = http_get(&addr, "/metrics").await;
    let closed: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("wren_signal_slow_readers_closed_total "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(closed >= 1, "{metrics}");
}

async fn http_get(addr: &str, path: &str) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).await.unwrap();
    resp
}

#[tokio::test]
async fn with_access_keys_the_api_wants_a_sigv4_authorization_header() {
    let mut config = Config::default();
    config.policy.access_keys = [("AKID".to_owned(), "secret".to_owned())].into();
    config.relays = Some(wren_signal::ice_servers::Relays {
        secret: "relay-secret".into(),
        turn_uris: vec!["turn:127.0.0.1:3478".into()],
        stun_uris: Vec::new(),
        ttl: Duration::from_secs(300),
    });
    let addr = start(config).await;
    let create = json!({"ChannelName": "door"});
    // Unsigned, signed with the wrong secret, by a key nobody configured: refused with the
    // exception AWS names, and nothing created.
    for (key, status, exception) in [
        (None, 403, "MissingAuthenticationTokenException"),
        (Some(("AKID", "guess")), 403, "InvalidSignatureException"),
        (
            Some(("NOBODY", "secret")),
            403,
            "UnrecognizedClientException",
        ),
    ] {
        let raw = raw_post(&addr, "/createSignalingChannel", &create, key).await;
        assert_eq!(common::parse_response(&raw).0, status, "{key:?}: {raw}");
        assert!(
            raw.contains(&format!("x-amzn-errortype: {exception}\r\n")),
            "{raw}"
        );
    }
    let key = Some(("AKID", "secret"));
    let (status, v) = post_as(&addr, "/listSignalingChannels", &json!({}), key).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["ChannelInfoList"].as_array().unwrap().len(), 0, "{v}");
    let (status, v) = post_as(&addr, "/createSignalingChannel", &create, key).await;
    assert_eq!(status, 200, "{v}");
    let arn = v["ChannelARN"].as_str().unwrap().to_owned();
    // TURN credentials only for a signed call.
    let ice = json!({"ChannelARN": arn, "ClientId": "viewer-1"});
    let (status, _) = post(&addr, "/v1/get-ice-server-config", &ice).await;
    assert_eq!(status, 403);
    let (status, v) = post_as(&addr, "/v1/get-ice-server-config", &ice, key).await;
    assert_eq!(status, 200, "{v}");
    assert!(v["IceServerList"][0]["Password"].is_string(), "{v}");
    // What needs no signature: the metrics.
    let mut s = TcpStream::connect(&addr).await.unwrap();
    s.write_all(
        format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).await.unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
}

/// The whole response to a POST (hyper writes header names in lowercase).
async fn raw_post(addr: &str, path: &str, body: &Value, key: Option<(&str, &str)>) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(common::post_request(addr, path, body, key).as_bytes())
        .await
        .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).await.unwrap();
    resp
}
