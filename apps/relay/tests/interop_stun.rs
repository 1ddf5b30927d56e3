//! STUN against real third-party peers, on loopback:
//!
//! - coturn's `turnutils_stunclient` and the classic RFC 3489 `stun` client (Debian's
//!   stun-client) ask wren-relay for their mapped address;
//! - our client transaction, driven by wren-tokio, asks wren-relay over TCP, and coturn's
//!   `turnserver` over UDP and TCP.
//!
//! Every program is started by the test on 127.0.0.1 and stopped when it ends.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{Peer, coturn, free_port, relay, run};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::{mpsc, oneshot};
use wren_core::Transport;
use wren_stun::client::{
    Client, Command as ClientCommand, Config as ClientConfig, Event as ClientEvent,
};
use wren_tokio::Driver;

const TIMEOUT: Duration = Duration::from_secs(20);

/// The address in `text` after `prefix`, up to the end of its line.
fn address_after(text: &str, prefix: &str) -> Option<SocketAddr> {
    let start = text.find(prefix)? + prefix.len();
    text[start..].lines().next()?.trim().parse().ok()
}

#[test]
fn turnutils_stunclient_gets_its_mapped_address_from_wren_relay() {
    let port = free_port();
    let relay = relay(port, &[]);
    let (code, out) = run(
        "turnutils_stunclient",
        &["-p", &port.to_string(), "127.0.0.1"],
        TIMEOUT,
    );
    assert_eq!(code, Some(0), "turnutils_stunclient failed:\n{out}");
    let mapped = address_after(&out, "UDP reflexive addr: ")
        .unwrap_or_else(|| panic!("no reflexive address in:\n{out}"));
    assert_eq!(mapped.ip().to_string(), "127.0.0.1");
    // The address it printed is the one the relay saw the request come from.
    relay.wait_for_output(
        &format!("client={mapped} transport=Udp"),
        Duration::from_secs(5),
    );
}

#[test]
fn turnutils_stunclient_over_ipv6_with_two_listening_ips() {
    let port = free_port();
    let relay = relay(port, &["-L", "::1"]);
    let (code, out) = run(
        "turnutils_stunclient",
        &["-p", &port.to_string(), "::1"],
        TIMEOUT,
    );
    assert_eq!(code, Some(0), "turnutils_stunclient failed:\n{out}");
    assert!(out.contains("IPv6. UDP reflexive addr"), "{out}");
    let text = out
        .split("UDP reflexive addr: ")
        .nth(1)
        .and_then(|l| l.lines().next())
        .unwrap_or("");
    // coturn prints an IPv6 address without brackets: "::1:PORT".
    let (ip, port_text) = text
        .trim()
        .rsplit_once(':')
        .unwrap_or_else(|| panic!("no address in:\n{out}"));
    assert_eq!(ip, "::1");
    let mapped = SocketAddr::new(ip.parse().unwrap(), port_text.parse().unwrap());
    relay.wait_for_output(
        &format!("client={mapped} transport=Udp"),
        Duration::from_secs(5),
    );
    // The IPv4 address given first is served too.
    let (code, out) = run(
        "turnutils_stunclient",
        &["-p", &port.to_string(), "127.0.0.1"],
        TIMEOUT,
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("IPv4. UDP reflexive addr: 127.0.0.1:"),
        "{out}"
    );
}

#[test]
fn classic_rfc3489_stun_client_gets_its_mapped_address_from_wren_relay() {
    let port = free_port();
    let _relay = relay(port, &[]);
    let source = free_port();
    let server = format!("127.0.0.1:{port}");
    let (code, out) = run(
        "stun",
        &[&server, "1", "-v", "-p", &source.to_string()],
        TIMEOUT,
    );
    assert_eq!(code, Some(0), "stun failed:\n{out}");
    let mapped = address_after(&out, "MappedAddress = ")
        .unwrap_or_else(|| panic!("no MappedAddress in:\n{out}"));
    assert_eq!(mapped, SocketAddr::from(([127, 0, 0, 1], source)));
    assert_eq!(
        address_after(&out, "SourceAddress = "),
        Some(server.parse().unwrap())
    );
}

/// Runs one client command through a wren-tokio driver; returns the outcome.
async fn run_one(driver: Driver<Client>, command: ClientCommand) -> ClientEvent {
    let (commands, commands_rx) = mpsc::channel(4);
    let (events_tx, mut events) = mpsc::channel(4);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(driver.run(commands_rx, events_tx, async {
        let _ = stopped.await;
    }));
    commands
        .send(command)
        .await
        .expect("the driver takes commands");
    let event = tokio::time::timeout(TIMEOUT, events.recv())
        .await
        .expect("an outcome before the timeout")
        .expect("the driver is running");
    let _ = stop.send(());
    task.await
        .expect("driver task")
        .expect("driver ran without socket errors");
    event
}

/// Runs one Binding transaction through a wren-tokio driver; returns the outcome.
async fn binding(driver: Driver<Client>, proto: Transport, server: SocketAddr) -> ClientEvent {
    run_one(
        driver,
        ClientCommand::Binding {
            proto,
            local: None,
            server,
        },
    )
    .await
}

fn client() -> Client {
    #[allow(clippy::disallowed_methods)] // adapters and tests own the clock
    let now = std::time::Instant::now();
    Client::new(
        now,
        ClientConfig {
            software: Some("wren-stun test".into()),
            ..Default::default()
        },
    )
}

fn expect_mapped(event: ClientEvent, expected: SocketAddr, server: SocketAddr) {
    match event {
        ClientEvent::Success { mapped, from, .. } => {
            assert_eq!(from, server);
            assert_eq!(mapped, Some(expected));
        }
        other => panic!("expected a success response, got {other:?}"),
    }
}

async fn over_udp(server: SocketAddr) {
    let sock = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    let local = sock.local_addr().expect("local address");
    let driver = Driver::new(client()).udp(sock).expect("udp socket");
    expect_mapped(binding(driver, Transport::Udp, server).await, local, server);
}

async fn over_tcp(server: SocketAddr) {
    let stream = TcpStream::connect(server).await.expect("connect");
    let local = stream.local_addr().expect("local address");
    let driver = Driver::new(client())
        .tcp_stream(stream)
        .expect("tcp stream");
    expect_mapped(binding(driver, Transport::Tcp, server).await, local, server);
}

#[tokio::test]
async fn our_client_over_tcp_gets_the_right_answer_from_wren_relay() {
    let port = free_port();
    let _relay = relay(port, &[]);
    over_tcp(SocketAddr::from(([127, 0, 0, 1], port))).await;
}

#[tokio::test]
async fn our_client_over_udp_gets_the_right_answer_from_wren_relay() {
    let port = free_port();
    let _relay = relay(port, &["--fingerprint"]);
    over_udp(SocketAddr::from(([127, 0, 0, 1], port))).await;
}

#[tokio::test]
async fn our_client_transaction_against_coturn_over_udp() {
    let port = free_port();
    let _coturn: Peer = coturn(port);
    over_udp(SocketAddr::from(([127, 0, 0, 1], port))).await;
}

#[tokio::test]
async fn our_client_transaction_against_coturn_over_tcp() {
    let port = free_port();
    let _coturn: Peer = coturn(port);
    over_tcp(SocketAddr::from(([127, 0, 0, 1], port))).await;
}

/// Sends one request through a wren-tokio driver over UDP; returns the outcome.
async fn request_udp(
    server: SocketAddr,
    method: wren_stun::Method,
    auth: wren_stun::client::Auth,
    attributes: Vec<(wren_stun::AttrType, Vec<u8>)>,
) -> ClientEvent {
    let sock = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    let driver = Driver::new(client()).udp(sock).expect("udp socket");
    let proto = Transport::Udp;
    run_one(
        driver,
        ClientCommand::Request {
            proto,
            local: None,
            server,
            method,
            auth,
            attributes,
        },
    )
    .await
}

/// RFC 8489 long-term credentials against coturn: an Allocate request (REQUESTED-TRANSPORT
/// UDP) draws coturn's 401 with REALM and NONCE, our client signs and repeats it, and coturn
/// allocates; with a wrong password the client reports coturn's second 401.
#[tokio::test]
async fn long_term_credentials_against_coturn() {
    use wren_stun::attr::{ErrorCodeValue, XorRelayedAddress};
    use wren_stun::client::Auth;
    use wren_stun::{AttrType, Message, Method};

    let port = free_port();
    let _coturn: Peer = coturn(port);
    let server = SocketAddr::from(([127, 0, 0, 1], port));
    let udp = vec![(AttrType::REQUESTED_TRANSPORT, vec![17, 0, 0, 0])];

    let auth = Auth::LongTerm {
        username: "test".into(),
        password: "secret".into(),
    };
    match request_udp(server, Method::ALLOCATE, auth, udp.clone()).await {
        ClientEvent::Success { response, .. } => {
            let msg = Message::parse(&response).expect("a STUN response");
            let relayed = msg
                .require::<XorRelayedAddress>()
                .expect("XOR-RELAYED-ADDRESS")
                .0;
            assert_eq!(relayed.ip().to_string(), "127.0.0.1");
            assert!(
                (49200..=49300).contains(&relayed.port()),
                "relayed port {relayed}"
            );
        }
        other => panic!("expected an allocation, got {other:?}"),
    }

    let auth = Auth::LongTerm {
        username: "test".into(),
        password: "wrong".into(),
    };
    match request_udp(server, Method::ALLOCATE, auth, udp).await {
        ClientEvent::ErrorResponse { code, .. } => {
            assert_eq!(code, ErrorCodeValue::UNAUTHENTICATED)
        }
        other => panic!("expected coturn's 401, got {other:?}"),
    }
}
