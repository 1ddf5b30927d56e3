//! The AWS SDK for JavaScript v3 (`@aws-sdk/client-kinesis-video` and
//! `@aws-sdk/client-kinesis-video-signaling`, from the npm registry) against wren-signal
//! with an endpoint override, under Node: its own SigV4 signer (the `Authorization` header)
//! with an access key configured in wren-signal; CreateSignalingChannel,
//! DescribeSignalingChannel, ListSignalingChannels, GetSignalingChannelEndpoint,
//! GetIceServerConfig (TURN REST credentials for wren-relay's secret) and
//! DeleteSignalingChannel, and a client with the wrong secret refused with
//! InvalidSignatureException. The script is `tests/aws_sdk/kvs_api.js`.
#![allow(clippy::disallowed_methods)] // a real server and a real client: the real clock

mod common;

use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use wren_signal::ice_servers::Relays;
use wren_signal::server::{self, Config};

const PACKAGES: [&str; 2] = [
    "@aws-sdk/client-kinesis-video@3.1116.0",
    "@aws-sdk/client-kinesis-video-signaling@3.1116.0",
];
const ACCESS_KEY: &str = "AKIDWRENTEST";
const SECRET: &str = "wren/test+secret";
const RELAY_SECRET: &str = "relay-secret";

#[test]
fn the_aws_sdk_signs_the_control_plane_and_gets_ice_servers() {
    let modules = common::npm_install(
        "aws-sdk-3.1116.0",
        &PACKAGES,
        "@aws-sdk/client-kinesis-video-signaling/package.json",
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut config = Config::default();
    config
        .policy
        .access_keys
        .insert(ACCESS_KEY.to_owned(), SECRET.to_owned());
    config.relays = Some(Relays {
        secret: RELAY_SECRET.to_owned(),
        turn_uris: vec!["turn:127.0.0.1:3478?transport=udp".to_owned()],
        stun_uris: vec!["stun:127.0.0.1:3478".to_owned()],
        ttl: Duration::from_secs(300),
    });
    let addr = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(server::serve(listener, config, std::future::pending()));
        addr
    });
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/aws_sdk/kvs_api.js");
    let out = Command::new("node")
        .arg(script)
        .arg(format!("http://{addr}"))
        .args([ACCESS_KEY, SECRET])
        .env("NODE_PATH", &modules)
        .output()
        .expect("node runs (scripts/install-deps.sh installs it)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let v: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let arn = v["arn"].as_str().unwrap();
    assert!(
        arn.starts_with("arn:aws:kinesisvideo:us-west-2:000000000000:channel/aws-sdk/"),
        "{v}"
    );
    assert_eq!(v["described"], "aws-sdk", "{v}");
    assert_eq!(v["type"], "SINGLE_MASTER", "{v}");
    assert_eq!(v["listed"], serde_json::json!(["aws-sdk"]), "{v}");
    assert_eq!(v["endpoints"][0]["Protocol"], "WSS", "{v}");
    assert_eq!(
        v["endpoints"][0]["ResourceEndpoint"],
        format!("ws://{addr}"),
        "{v}"
    );
    assert_eq!(
        v["endpoints"][1]["ResourceEndpoint"],
        format!("http://{addr}"),
        "{v}"
    );
    // TURN REST credentials wren-relay checks with the same secret.
    let turn = &v["ice"][0];
    assert_eq!(turn["Uris"][0], "turn:127.0.0.1:3478?transport=udp", "{v}");
    let username = turn["Username"].as_str().unwrap();
    assert!(username.ends_with(":viewer-1"), "{v}");
    assert_eq!(
        turn["Password"].as_str().unwrap(),
        wren_turn::server::rest_password(RELAY_SECRET, username),
        "{v}"
    );
    assert_eq!(turn["Ttl"], 300, "{v}");
    assert_eq!(v["ice"][1]["Uris"][0], "stun:127.0.0.1:3478", "{v}");
    // The wrong secret: refused as AWS refuses it, and the SDK names it so.
    assert_eq!(v["wrongSecret"], "InvalidSignatureException", "{v}");
    assert_eq!(v["wrongSecretStatus"], 403, "{v}");
    assert_eq!(v["afterDelete"], 0, "{v}");
    drop(rt);
}
