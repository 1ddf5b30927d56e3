//! ClientHellos captured from real browsers (`tests/fixtures/`, see its README: Chromium 148
//! and Firefox ESR 140) fed to our server: each is read, and answered in DTLS 1.2 with a
//! suite and an SRTP profile the browser offered, without needing the browser.
#![allow(clippy::disallowed_methods)] // the anchor of a virtual clock

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use wren_core::{Datagram, Machine};
use wren_dtls::client_hello::ClientHello;
use wren_dtls::codes::{ContentType, HandshakeType, ProtocolVersion};
use wren_dtls::endpoint::{Config, Endpoint, Role};
use wren_dtls::identity::Identity;
use wren_dtls::server_hello::ServerHello;
use wren_dtls::{handshake, record};

fn messages(datagram: &[u8]) -> Vec<(HandshakeType, Vec<u8>)> {
    let mut out = Vec::new();
    for r in record::records(datagram).flatten() {
        if r.content_type != ContentType::HANDSHAKE {
            continue;
        }
        for f in handshake::fragments(r.body).flatten() {
            assert!(f.is_whole(), "our flight fits one record per message here");
            out.push((f.msg_type, f.body.to_vec()));
        }
    }
    out
}

#[test]
fn chromiums_client_hello_is_answered_in_dtls_1_2_with_what_it_offered() {
    let datagram = include_bytes!("fixtures/chromium-148-client-hello.bin");
    let versions = answered_in_dtls_1_2(datagram);
    assert!(
        versions.contains(&ProtocolVersion::DTLS1_3.0),
        "Chromium offers DTLS 1.3 first"
    );
}

#[test]
fn firefoxs_client_hello_is_answered_in_dtls_1_2_with_what_it_offered() {
    let datagram = include_bytes!("fixtures/firefox-140-client-hello.bin");
    let versions = answered_in_dtls_1_2(datagram);
    assert_eq!(
        versions.first(),
        Some(&ProtocolVersion::DTLS1_3.0),
        "Firefox offers DTLS 1.3 first"
    );
    assert!(versions.contains(&ProtocolVersion::DTLS1_2.0));
}

/// Feeds `datagram`, a browser's whole ClientHello in one datagram, to our server and checks
/// its first flight: ServerHello (DTLS 1.2, a suite and one SRTP profile of those offered,
/// extended master secret), Certificate, ServerKeyExchange, CertificateRequest,
/// ServerHelloDone, and no failure. Returns the versions the ClientHello offered in
/// supported_versions, in its order.
fn answered_in_dtls_1_2(datagram: &[u8]) -> Vec<u16> {
    let (hello_type, hello_body) = messages(datagram).remove(0);
    assert_eq!(hello_type, HandshakeType::CLIENT_HELLO);
    let hello = ClientHello::parse(&hello_body).unwrap();
    let versions: Vec<u16> = hello
        .extensions
        .supported_versions()
        .unwrap()
        .unwrap()
        .iter()
        .collect();
    let offered_profiles: Vec<_> = hello
        .extensions
        .use_srtp()
        .unwrap()
        .unwrap()
        .profile_ids()
        .collect();

    let (browser, us): (SocketAddr, SocketAddr) = (
        "127.0.0.1:40000".parse().unwrap(),
        "127.0.0.1:5000".parse().unwrap(),
    );
    let mut config = Config::new(Role::Server, Arc::new(Identity::generate().unwrap()));
    config.cookie = false;
    config.mtu = 1400;
    let now = Instant::now();
    let mut server = Endpoint::new(now, config);
    server.handle_datagram(now, Datagram::udp(browser, us, datagram));
    let mut buf = Vec::new();
    let mut flight = Vec::new();
    while server.poll_transmit(now, &mut buf).is_some() {
        flight.extend(messages(&buf));
    }
    let types: Vec<_> = flight.iter().map(|(t, _)| *t).collect();
    assert_eq!(
        types,
        [
            HandshakeType::SERVER_HELLO,
            HandshakeType::CERTIFICATE,
            HandshakeType::SERVER_KEY_EXCHANGE,
            HandshakeType::CERTIFICATE_REQUEST,
            HandshakeType::SERVER_HELLO_DONE
        ]
    );
    let sh = ServerHello::parse(&flight[0].1).unwrap();
    assert_eq!(sh.version, ProtocolVersion::DTLS1_2);
    assert!(hello.suites().any(|s| s == sh.cipher_suite));
    let chosen: Vec<_> = sh
        .extensions
        .use_srtp()
        .unwrap()
        .unwrap()
        .profile_ids()
        .collect();
    assert_eq!(chosen.len(), 1);
    assert!(offered_profiles.contains(&chosen[0]));
    assert!(sh.extensions.extended_master_secret().unwrap());
    assert!(server.poll_event().is_none(), "no failure");
    versions
}
