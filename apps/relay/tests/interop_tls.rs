//! wren-relay serving TURN over TLS (`turns:`) to coturn's own test client:
//! `turnutils_uclient -t -S` (TLS to the server, on wren-relay's `tls-listening-port`)
//! relays through wren-relay to `turnutils_peer`, with channels and with Send indications,
//! and must lose nothing. The certificate is a fresh self-signed one from rcgen, written to a
//! temporary directory and passed as `--cert`/`--pkey`, as an operator would.
//!
//! uclient picks one of several OpenSSL contexts per connection at random, TLS 1.0 and 1.1
//! ones among them; wren-relay (rustls) refuses those handshakes ("handshake failure"
//! alert), uclient retries with another context, and TLS 1.2 and 1.3 sessions carry the
//! test. All programs run on 127.0.0.1, started and stopped by the test.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use common::{Peer, free_port, relay, run, wait_tcp};

/// Relay port ranges, one per test, apart from the other interop tests' ranges.
fn port_range() -> (u16, u16) {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let k = NEXT.fetch_add(1, Ordering::Relaxed);
    let min = 58000 + k * 200;
    (min, min + 199)
}

/// A temporary directory with a self-signed certificate for 127.0.0.1 and its key, as PEM
/// files; removed on drop.
struct Certificate {
    dir: PathBuf,
}

impl Certificate {
    fn new(tag: &str) -> Certificate {
        let dir = std::env::temp_dir().join(format!("wren-tls-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create a temporary directory");
        let certified = rcgen::generate_simple_self_signed(vec![
            "127.0.0.1".to_owned(),
            "localhost".to_owned(),
        ])
        .expect("a self-signed certificate");
        std::fs::write(dir.join("cert.pem"), certified.cert.pem()).expect("write cert.pem");
        std::fs::write(dir.join("pkey.pem"), certified.signing_key.serialize_pem())
            .expect("write pkey.pem");
        Certificate { dir }
    }

    fn path(&self, file: &str) -> String {
        self.dir.join(file).to_string_lossy().into_owned()
    }
}

impl Drop for Certificate {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Starts wren-relay with TURN and TLS, an echo peer, and runs `turnutils_uclient` over TLS
/// with `extra` flags; checks it lost nothing and that the relay's allocations were made
/// over TLS. Returns uclient's output.
fn relay_over_tls(tag: &str, extra: &[&str]) -> String {
    let cert = Certificate::new(tag);
    let (port, tls_port) = (free_port(), free_port());
    let (min, max) = port_range();
    let (min_s, max_s, tls_s) = (min.to_string(), max.to_string(), tls_port.to_string());
    let (cert_path, pkey_path) = (cert.path("cert.pem"), cert.path("pkey.pem"));
    let relay = relay(
        port,
        &[
            "--tls-listening-port",
            &tls_s,
            "--cert",
            &cert_path,
            "--pkey",
            &pkey_path,
            "--relay-ip",
            "127.0.0.1",
            "--min-port",
            &min_s,
            "--max-port",
            &max_s,
            "--realm",
            "example.org",
            "--allow-loopback-peers",
            "--lt-cred-mech",
            "--user",
            "test:secret",
        ],
    );
    wait_tcp(
        SocketAddr::from(([127, 0, 0, 1], tls_port)),
        Duration::from_secs(10),
    );
    let peer_port = free_port();
    let _peer = Peer::start(
        "turnutils_peer",
        "turnutils_peer",
        &[
            "-L".into(),
            "127.0.0.1".into(),
            "-p".into(),
            peer_port.to_string(),
        ],
    );
    std::thread::sleep(Duration::from_millis(200)); // the peer binds its socket
    let pp = peer_port.to_string();
    let mut uclient = vec![
        "-t",
        "-S",
        "-p",
        &tls_s,
        "-e",
        "127.0.0.1",
        "-r",
        &pp,
        "-m",
        "4",
        "-l",
        "170",
        "-n",
        "100",
        "-z",
        "5",
        "-c",
        "-u",
        "test",
        "-w",
        "secret",
    ];
    uclient.extend(extra);
    uclient.push("127.0.0.1");
    let (code, out) = run("turnutils_uclient", &uclient, Duration::from_secs(60));
    let log = relay.output();
    assert_eq!(
        code,
        Some(0),
        "turnutils_uclient failed:\n{out}\n--- relay:\n{log}"
    );
    assert!(
        out.contains("tls_connect: client session connected"),
        "uclient did not speak TLS:\n{out}"
    );
    assert!(
        out.contains("tot_send_msgs=400, tot_recv_msgs=400"),
        "not every message came back:\n{out}\n--- relay:\n{log}"
    );
    assert!(
        out.contains("Total lost packets 0 (0.000000%)"),
        "packets lost:\n{out}"
    );
    assert!(log.contains("listening on TLS"), "{log}");
    let over_tls = log
        .lines()
        .filter(|l| l.contains("allocation created") && l.contains("transport=Tls"))
        .count();
    assert!(over_tls >= 4, "allocations not made over TLS:\n{log}");
    assert!(
        !log.lines()
            .any(|l| l.contains("allocation created") && !l.contains("transport=Tls")),
        "an allocation over another transport:\n{log}"
    );
    out
}

#[test]
fn tls_channels() {
    relay_over_tls("channels", &[]);
}

#[test]
fn tls_send_indications() {
    relay_over_tls("send", &["-s"]);
}

/// The relay does not start on a certificate it cannot use, and says which file.
#[test]
fn a_missing_or_malformed_certificate_stops_the_relay_with_its_path() {
    let cert = Certificate::new("bad");
    let missing = cert.path("missing.pem");
    let pkey = cert.path("pkey.pem");
    let port = free_port().to_string();
    let start = |cert_file: &str, key_file: &str| {
        run(
            env!("CARGO_BIN_EXE_wren-relay"),
            &[
                "-L",
                "127.0.0.1",
                "-p",
                &port,
                "--tls-listening-port",
                "0",
                "--cert",
                cert_file,
                "--pkey",
                key_file,
            ],
            Duration::from_secs(10),
        )
    };

    let (code, out) = start(&missing, &pkey);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!("cannot read the certificate file {missing}")),
        "{out}"
    );

    // The key where the certificate should be.
    let (code, out) = start(&pkey, &pkey);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!("the certificate file {pkey} holds no PEM")),
        "{out}"
    );
    assert!(Path::new(&pkey).exists());
}
