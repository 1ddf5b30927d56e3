//! wren-signal over TLS (wss/https) on 127.0.0.1, with a self-signed certificate: the API
//! and the WebSocket work through it, and a client that connects and never finishes its
//! handshake holds up no one.
#![allow(clippy::disallowed_methods)] // real sockets: the real clock

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsConnector;
use tokio_tungstenite::tungstenite::Message;
use wren_signal::server::{self, Config};

struct Tls {
    addr: String,
    connector: TlsConnector,
}

async fn start() -> Tls {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = CertificateDer::from(certified.cert.der().to_vec());
    let key =
        rustls::pki_types::PrivateKeyDer::try_from(certified.signing_key.serialize_der()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server_config = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let client_config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let config = Config {
        tls_config: Some(Arc::new(server_config)),
        tls_handshake_timeout: Duration::from_secs(2),
        ..Config::default()
    };
    tokio::spawn(server::serve(listener, config, std::future::pending()));
    Tls {
        addr,
        connector: TlsConnector::from(Arc::new(client_config)),
    }
}

impl Tls {
    async fn stream(&self) -> tokio_rustls::client::TlsStream<TcpStream> {
        let tcp = TcpStream::connect(&self.addr).await.unwrap();
        self.connector
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .unwrap()
    }

    async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let mut s = self.stream().await;
        let body = body.to_string();
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).await.unwrap();
        let mut resp = Vec::new();
        let _ = s.read_to_end(&mut resp).await;
        let resp = String::from_utf8(resp).unwrap();
        let status = resp[9..12].parse().unwrap();
        let json = resp
            .split_once("\r\n\r\n")
            .map(|(_, b)| serde_json::from_str(b).unwrap_or(Value::Null))
            .unwrap_or(Value::Null);
        (status, json)
    }
}

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
