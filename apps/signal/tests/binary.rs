//! The wren-signal binary: its configuration file (the command line's keys) and its
//! refusal of a file it cannot use.
#![allow(clippy::disallowed_methods)] // a real process and socket: the real clock

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

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
