//! The wren-signal binary: its configuration file (the command line's keys), its refusal
//! of a file it cannot use, and SIGHUP reloading the relay set.
#![allow(clippy::disallowed_methods)] // a real process and socket: the real clock

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn file(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{name}-{}.conf", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_configuration_file_sets_the_listening_address() {
    let conf = file("signal", "# test\nlisten = 127.0.0.1:0\nmax-viewers 3\n");
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_wren-signal"))
            .arg("--config")
            .arg(&conf)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    // "wren-signal: http://127.0.0.1:PORT/"
    let addr = line
        .trim()
        .strip_prefix("wren-signal: http://")
        .and_then(|s| s.strip_suffix('/'))
        .unwrap_or_else(|| panic!("{line:?}"))
        .to_owned();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    let mut s = TcpStream::connect(&addr).unwrap();
    s.write_all(
        format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(resp.contains("wren_signal_connections 0"), "{resp}");
}

#[test]
fn an_unknown_key_stops_the_binary_naming_its_line() {
    let conf = file("bad", "listen = 127.0.0.1:0\nlistening-port 3478\n");
    let out = Command::new(env!("CARGO_BIN_EXE_wren-signal"))
        .arg("--config")
        .arg(&conf)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(":2: unknown key \"listening-port\""), "{err}");
}

/// The binary with `--config conf`, its address, and its stdout (the log) line by line.
fn start(conf: &std::path::Path) -> (Child, String, std::sync::mpsc::Receiver<String>) {
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_wren-signal"))
            .arg("--config")
            .arg(conf)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let (tx, rx) = std::sync::mpsc::channel();
    let out = BufReader::new(child.0.stdout.take().unwrap());
    std::thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let first = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    let addr = first
        .trim()
        .strip_prefix("wren-signal: http://")
        .and_then(|s| s.strip_suffix('/'))
        .unwrap_or_else(|| panic!("{first:?}"))
        .to_owned();
    (child, addr, rx)
}

/// Waits for a log line containing `what`.
fn wait_log(log: &std::sync::mpsc::Receiver<String>, what: &str) {
    loop {
        let line = log
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("no log line with {what:?} within 10 s"));
        if line.contains(what) {
            return;
        }
    }
}

fn post(addr: &str, path: &str, body: &serde_json::Value) -> serde_json::Value {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(common::post_request(addr, path, body, None).as_bytes())
        .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let (status, json) = common::parse_response(&resp);
    assert_eq!(status, 200, "{resp}");
    json
}

fn hangup(child: &Child) {
    let status = Command::new("kill")
        .args(["-HUP", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn relay_conf(secret: &str) -> String {
    format!(
        "listen = 127.0.0.1:0\nstatic-auth-secret = {secret}\nturn-uri = turn:127.0.0.1:3478\nice-ttl = 600\n"
    )
}

#[test]
fn sighup_with_a_new_relay_secret_tells_clients_to_reconnect_ice_servers() {
    use futures_util::{SinkExt, StreamExt};
    use serde_json::json;
    use tokio_tungstenite::tungstenite::Message;

    let conf = file("reload", &relay_conf("first-secret"));
    let (child, addr, log) = start(&conf);
    let arn = post(
        &addr,
        "/createSignalingChannel",
        &json!({"ChannelName": "reload"}),
    )["ChannelARN"]
        .as_str()
        .unwrap()
        .to_owned();
    let ice = |addr: &str| {
        let v = post(
            addr,
            "/v1/get-ice-server-config",
            &json!({"ChannelARN": arn, "ClientId": "master"}),
        );
        let s = &v["IceServerList"][0];
        let username = s["Username"].as_str().unwrap().to_owned();
        (username, s["Password"].as_str().unwrap().to_owned())
    };
    let (user, pass) = ice(&addr);
    assert_eq!(
        pass,
        wren_turn::server::rest_password("first-secret", &user)
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = format!(
        "ws://{addr}/?X-Amz-ChannelARN={}",
        wren_signal::auth::sigv4::uri_encode(&arn)
    );
    let mut master = rt
        .block_on(tokio_tungstenite::connect_async(url))
        .unwrap()
        .0;
    let next = |ws: &mut tokio_tungstenite::WebSocketStream<_>| -> serde_json::Value {
        rt.block_on(async {
            loop {
                let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
                    .await
                    .expect("a message within 10 s")
                    .expect("open")
                    .unwrap();
                if let Message::Text(t) = m {
                    return serde_json::from_str(&t).unwrap();
                }
            }
        })
    };

    // The same file again: nothing changed, nobody is told.
    hangup(&child);
    wait_log(&log, "relay set unchanged");
    // A message to nobody is answered by the machine after anything the reload queued:
    // the first thing the master hears is that answer, not RECONNECT_ICE_SERVER.
    let undeliverable = json!({"action": "SDP_ANSWER", "recipientClientId": "nobody",
        "messagePayload": "eA==", "correlationId": "c1"});
    rt.block_on(master.send(Message::Text(undeliverable.to_string().into())))
        .unwrap();
    let got = next(&mut master);
    assert_eq!(got["statusResponse"]["correlationId"], "c1", "{got}");

    // A new secret: the master is told, and the credentials are the new secret's.
    std::fs::write(&conf, relay_conf("second-secret")).unwrap();
    hangup(&child);
    let got = next(&mut master);
    assert_eq!(got["messageType"], "RECONNECT_ICE_SERVER", "{got}");
    wait_log(&log, "relay set changed");
    let (user, pass) = ice(&addr);
    assert_eq!(
        pass,
        wren_turn::server::rest_password("second-secret", &user)
    );

    // A file that no longer reads keeps the running set, and says why.
    std::fs::write(
        &conf,
        "listen = 127.0.0.1:0\nturn-uri = turn:127.0.0.1:3478\n",
    )
    .unwrap();
    hangup(&child);
    wait_log(&log, "--turn-uri needs --static-auth-secret");
    let (user, pass) = ice(&addr);
    assert_eq!(
        pass,
        wren_turn::server::rest_password("second-secret", &user)
    );
}
