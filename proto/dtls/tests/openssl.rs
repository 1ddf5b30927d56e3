//! wren-dtls against OpenSSL's DTLS 1.2, both ways, for each SRTP profile OpenSSL has:
//! `openssl s_client` completes a handshake with our server, our client with `openssl
//! s_server` (which always does the cookie exchange), application data flows both ways, and
//! the SRTP keying material each side exports is the one OpenSSL prints
//! (`-keymatexport EXTRACTOR-dtls_srtp`). Also with a 500-byte MTU, so both sides fragment.
//! Everything on 127.0.0.1; the OpenSSL processes are started and stopped here.
#![allow(clippy::disallowed_methods)] // a real socket, so the real clock

use std::io::Write;
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wren_core::{Datagram, Machine};
use wren_dtls::codes::SrtpProfileId;
use wren_dtls::endpoint::{Config, Endpoint, Event, Role};
use wren_dtls::fingerprint::{Fingerprint, HashFunction};
use wren_dtls::identity::Identity;
use wren_dtls::suite::{SRTP_PROFILES, openssl_name};

/// Each SRTP profile with OpenSSL's name for it (a wrong name would make OpenSSL refuse the
/// option or negotiate another profile, which the tests would see).
fn profiles() -> impl Iterator<Item = (&'static str, SrtpProfileId)> {
    SRTP_PROFILES.into_iter().map(|p| {
        (
            openssl_name(p).expect("every profile has an OpenSSL name"),
            p,
        )
    })
}

fn material_len(p: SrtpProfileId) -> usize {
    match p {
        SrtpProfileId::SRTP_AEAD_AES_128_GCM => 56,
        SrtpProfileId::SRTP_AEAD_AES_256_GCM => 88,
        _ => 60,
    }
}

fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .expect("openssl runs (INTEROP.md: it is on these machines)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A temporary directory of this test.
fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("wren-dtls-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// An OpenSSL ECDSA P-256 certificate and key (PEM) and the certificate's fingerprint.
fn openssl_cert(dir: &Path, name: &str) -> (PathBuf, PathBuf, Fingerprint) {
    openssl_cert_of(
        dir,
        name,
        &["ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
    )
}

/// An OpenSSL certificate and key (PEM) for `-newkey KEY...`, and its fingerprint.
fn openssl_cert_of(dir: &Path, name: &str, newkey: &[&str]) -> (PathBuf, PathBuf, Fingerprint) {
    let (crt, key, der) = (
        dir.join(format!("{name}.crt")),
        dir.join(format!("{name}.key")),
        dir.join(format!("{name}.der")),
    );
    run(Command::new("openssl")
        .args(["req", "-x509", "-newkey"])
        .args(newkey)
        .args(["-nodes", "-days", "2", "-subj", &format!("/CN={name}")])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&crt));
    run(Command::new("openssl")
        .args(["x509", "-outform", "DER", "-in"])
        .arg(&crt)
        .arg("-out")
        .arg(&der));
    let fp = Fingerprint::of(HashFunction::Sha256, &std::fs::read(&der).unwrap());
    (crt, key, fp)
}

/// The hex after `Keying material:` in OpenSSL's output.
fn keying_material(output: &str) -> Vec<u8> {
    let line = output
        .lines()
        .find_map(|l| l.trim().strip_prefix("Keying material:"))
        .unwrap_or_else(|| panic!("no keying material in:\n{output}"));
    let hex = line.trim();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// Drives `ep` over `sock` until `done` says so (or panics after 20 s); returns events.
fn drive(
    ep: &mut Endpoint,
    sock: &UdpSocket,
    mut on_event: impl FnMut(&mut Endpoint, &Event) -> bool,
) -> Vec<Event> {
    let local = sock.local_addr().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let (mut rx, mut tx) = (vec![0u8; 2048], Vec::new());
    let mut events = Vec::new();
    loop {
        let now = Instant::now();
        assert!(now < deadline, "no end after 20 s: {events:?}");
        while let Some(t) = ep.poll_transmit(now, &mut tx) {
            sock.send_to(&tx, t.destination).unwrap();
        }
        while let Some(e) = ep.poll_event() {
            let stop = on_event(ep, &e);
            events.push(e);
            if stop {
                while let Some(t) = ep.poll_transmit(now, &mut tx) {
                    sock.send_to(&tx, t.destination).unwrap();
                }
                return events;
            }
        }
        let wait = ep
            .poll_timeout()
            .map_or(Duration::from_millis(50), |t| {
                t.saturating_duration_since(now)
            })
            .clamp(Duration::from_millis(1), Duration::from_millis(50));
        sock.set_read_timeout(Some(wait)).unwrap();
        match sock.recv_from(&mut rx) {
            Ok((n, from)) => {
                ep.handle_datagram(Instant::now(), Datagram::udp(from, local, &rx[..n]))
            }
            Err(_) => ep.handle_timeout(Instant::now()),
        }
    }
}

fn srtp_material(events: &[Event]) -> (SrtpProfileId, Vec<u8>) {
    events
        .iter()
        .find_map(|e| match e {
            Event::Connected { srtp: Some(k), .. } => Some((k.profile, k.material.clone())),
            _ => None,
        })
        .unwrap_or_else(|| panic!("not connected with SRTP: {events:?}"))
}

fn stop(mut child: Child) -> String {
    let deadline = Instant::now() + Duration::from_secs(5);
    while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

fn openssl_client_to_our_server(name: &str, profile: SrtpProfileId, mtu: usize) {
    let d = dir(&format!("s-{name}-{mtu}"));
    let (crt, key, client_fp) = openssl_cert(&d, "client");
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sock.local_addr().unwrap().port();
    let mut config = Config::new(Role::Server, Arc::new(Identity::generate().unwrap()));
    config.peer_fingerprints = Some(vec![client_fp.clone()]);
    config.mtu = mtu;
    let mut ep = Endpoint::new(Instant::now(), config);
    let len = material_len(profile);
    let mut client = Command::new("openssl")
        .args([
            "s_client",
            "-dtls1_2",
            "-connect",
            &format!("127.0.0.1:{port}"),
        ])
        .arg("-cert")
        .arg(&crt)
        .arg("-key")
        .arg(&key)
        .args(["-use_srtp", name, "-keymatexport", "EXTRACTOR-dtls_srtp"])
        .args([
            "-keymatexportlen",
            &len.to_string(),
            "-mtu",
            &mtu.to_string(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl runs");
    let mut stdin = client.stdin.take().unwrap();
    let mut got_data = false;
    let events = drive(&mut ep, &sock, |ep, e| match e {
        Event::Connected { .. } => {
            stdin.write_all(b"hello from openssl\n").unwrap();
            stdin.flush().unwrap();
            false
        }
        Event::Data(d) => {
            assert_eq!(d, b"hello from openssl\n");
            got_data = true;
            ep.send(Instant::now(), b"hello from wren\n").unwrap();
            true
        }
        other => panic!("{other:?}"),
    });
    assert!(got_data);
    // Let the echo reach s_client, then end it (EOF on stdin).
    std::thread::sleep(Duration::from_millis(300));
    drop(stdin);
    let out = stop(client);
    let (p, ours) = srtp_material(&events);
    assert_eq!(p, profile);
    assert!(out.contains("hello from wren"), "{out}");
    assert_eq!(ours, keying_material(&out), "{name}: {out}");
    assert!(
        matches!(events.first(), Some(Event::Connected { peer_fingerprint, .. }) if *peer_fingerprint == client_fp)
    );
    std::fs::remove_dir_all(&d).unwrap();
}

fn our_client_to_openssl_server(name: &str, profile: SrtpProfileId, mtu: usize) {
    let out = our_client_to_openssl_server_with(name, profile, mtu, None);
    assert!(
        out.suite_is_ecdsa,
        "an ECDSA certificate: an ECDHE_ECDSA suite"
    );
}

/// What a handshake with s_server gave.
struct ServerRun {
    /// s_server's output.
    output: String,
    /// Whether the suite we report connected with is ECDHE_ECDSA.
    suite_is_ecdsa: bool,
}

/// Our client against `openssl s_server`, whose certificate is P-256 ECDSA or, with `newkey`,
/// what `openssl req -newkey NEWKEY...` makes.
fn our_client_to_openssl_server_with(
    name: &str,
    profile: SrtpProfileId,
    mtu: usize,
    newkey: Option<&[&str]>,
) -> ServerRun {
    let d = dir(&format!("c-{name}-{mtu}-{}", newkey.map_or("ec", |k| k[0])));
    let (crt, key, server_fp) = match newkey {
        Some(k) => openssl_cert_of(&d, "server", k),
        None => openssl_cert(&d, "server"),
    };
    // A free port for s_server: ours to bind and give back.
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let len = material_len(profile);
    let mut server = Command::new("openssl")
        .args([
            "s_server",
            "-dtls1_2",
            "-accept",
            &format!("127.0.0.1:{port}"),
        ])
        .arg("-cert")
        .arg(&crt)
        .arg("-key")
        .arg(&key)
        .args([
            "-Verify",
            "1",
            "-use_srtp",
            name,
            "-keymatexport",
            "EXTRACTOR-dtls_srtp",
        ])
        .args([
            "-keymatexportlen",
            &len.to_string(),
            "-naccept",
            "1",
            "-mtu",
            &mtu.to_string(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl runs");
    let mut stdin = server.stdin.take().unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let peer: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut config = Config::new(
        Role::Client { peer },
        Arc::new(Identity::generate().unwrap()),
    );
    config.peer_fingerprints = Some(vec![server_fp.clone()]);
    config.srtp_profiles = vec![profile];
    config.mtu = mtu;
    // s_server may not be listening yet: the ClientHello goes again after 100 ms.
    config.retransmit_initial = Duration::from_millis(100);
    let mut ep = Endpoint::new(Instant::now(), config);
    let events = drive(&mut ep, &sock, |ep, e| match e {
        Event::Connected { .. } => {
            // At once: the first record after the handshake.
            ep.send(Instant::now(), b"hello from wren\n").unwrap();
            stdin.write_all(b"hello from openssl\n").unwrap();
            stdin.flush().unwrap();
            false
        }
        Event::Data(d) => {
            assert_eq!(d, b"hello from openssl\n");
            true
        }
        other => panic!("{other:?}"),
    });
    // Let the data reach s_server before close_notify ends it.
    std::thread::sleep(Duration::from_millis(300));
    ep.close(Instant::now());
    let mut tx = Vec::new();
    while let Some(t) = ep.poll_transmit(Instant::now(), &mut tx) {
        sock.send_to(&tx, t.destination).unwrap();
    }
    drop(stdin);
    let out = stop(server);
    let (p, ours) = srtp_material(&events);
    assert_eq!(p, profile);
    assert!(out.contains("hello from wren"), "{out}");
    assert_eq!(ours, keying_material(&out), "{name}: {out}");
    std::fs::remove_dir_all(&d).unwrap();
    let suite_is_ecdsa = events.iter().any(
        |e| matches!(e, Event::Connected { suite, .. } if format!("{suite:?}").contains("ECDSA")),
    );
    ServerRun {
        output: out,
        suite_is_ecdsa,
    }
}

/// A server with an RSA certificate: our client offers ECDHE_RSA with AES-GCM too, checks the
/// RSA signature of the server's key exchange, and the handshake completes with the keying
/// material OpenSSL prints.
#[test]
fn our_client_connects_to_an_openssl_server_with_an_rsa_certificate() {
    let run = our_client_to_openssl_server_with(
        "SRTP_AEAD_AES_128_GCM",
        SrtpProfileId::SRTP_AEAD_AES_128_GCM,
        1200,
        Some(&["rsa:2048"]),
    );
    assert!(
        !run.suite_is_ecdsa,
        "an RSA certificate: an ECDHE_RSA suite"
    );
    assert!(
        run.output.contains("ECDHE-RSA-AES128-GCM-SHA256")
            || run.output.contains("ECDHE-RSA-AES256-GCM-SHA384"),
        "{}",
        run.output
    );
}

#[test]
fn openssl_s_client_connects_to_our_server_for_each_srtp_profile() {
    for (name, profile) in profiles() {
        openssl_client_to_our_server(name, profile, 1200);
    }
    openssl_client_to_our_server(
        "SRTP_AES128_CM_SHA1_80",
        SrtpProfileId::SRTP_AES128_CM_HMAC_SHA1_80,
        500,
    );
}

#[test]
fn our_client_connects_to_openssl_s_server_for_each_srtp_profile() {
    for (name, profile) in profiles() {
        our_client_to_openssl_server(name, profile, 1200);
    }
    our_client_to_openssl_server(
        "SRTP_AEAD_AES_128_GCM",
        SrtpProfileId::SRTP_AEAD_AES_128_GCM,
        500,
    );
}
