//! wren-signal over TLS (wss/https) on 127.0.0.1, with a self-signed certificate: the API
//! and the WebSocket work through it, and a client that connects and never finishes its
//! handshake holds up no one.
#![allow(clippy::disallowed_methods)] // real sockets: the real clock

mod common;

use std::time::Duration;

use common::start;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn the_api_and_the_websocket_work_over_tls() {
    let tls = start().await;
    let (status, v) = tls
        .post("/createSignalingChannel", &json!({"ChannelName": "door"}))
        .await;
    assert_eq!(status, 200, "{v}");
    let arn = v["ChannelARN"].as_str().unwrap().to_owned();
    let (_, v) = tls
        .post("/getSignalingChannelEndpoint", &json!({"ChannelARN": arn}))
        .await;
    let endpoint = v["ResourceEndpointList"][0]["ResourceEndpoint"]
        .as_str()
        .unwrap();
    assert_eq!(endpoint, "wss://localhost");
    let url = |client: &str| {
        let arn: String = arn
            .bytes()
            .map(|b| match b {
                b':' => "%3A".to_owned(),
                b'/' => "%2F".to_owned(),
                b => char::from(b).to_string(),
            })
            .collect();
        format!("wss://localhost/?X-Amz-ChannelARN={arn}{client}")
    };
    let (mut master, _) = tokio_tungstenite::client_async(url(""), tls.stream().await)
        .await
        .unwrap();
    let (mut viewer, _) =
        tokio_tungstenite::client_async(url("&X-Amz-ClientId=v1"), tls.stream().await)
            .await
            .unwrap();
    let offer = json!({"action": "SDP_OFFER", "messagePayload": "e30="}).to_string();
    viewer.send(Message::Text(offer.into())).await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(10), master.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let got: Value = serde_json::from_str(got.to_text().unwrap()).unwrap();
    assert_eq!(got["senderClientId"], "v1");
}

#[tokio::test]
async fn silent_and_half_handshakes_hold_up_no_one_and_are_dropped() {
    let tls = start().await;
    // Ten connections that never start TLS, and one that sends half a ClientHello.
    let mut silent = Vec::new();
    for _ in 0..10 {
        silent.push(TcpStream::connect(&tls.addr).await.unwrap());
    }
    let mut half = TcpStream::connect(&tls.addr).await.unwrap();
    half.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
        .await
        .unwrap();
    // A real client is served meanwhile.
    let (status, _) = tls
        .post("/createSignalingChannel", &json!({"ChannelName": "door"}))
        .await;
    assert_eq!(status, 200);
    // After the 2 s deadline the server has closed them: reads see the end.
    for s in silent.iter_mut().chain(std::iter::once(&mut half)) {
        let mut buf = [0u8; 64];
        let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
            .await
            .expect("closed within the deadline")
            .unwrap_or(0);
        assert_eq!(n, 0);
    }
}
