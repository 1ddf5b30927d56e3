//! Our TURN client (`wren_turn::client::TurnClient`, driven by wren-tokio) against coturn's
//! `turnserver`, on loopback:
//!
//! - it allocates over UDP and over TCP (401 challenge answered, relayed and mapped
//!   addresses reported);
//! - it relays to a peer (a tokio UDP socket on 127.0.0.1) through the allocation, with a
//!   channel (ChannelData) and with Send indications: the peer gets the bytes from the
//!   relayed address, answers to the relayed address, and the client gets `Data` events;
//! - it deallocates on close, and a wrong password ends in `Closed(Unauthorized)`.
//!
//! coturn is started by the test on 127.0.0.1 and stopped when it ends; 127.0.0.1 is the
//! only address anything is sent to.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{Peer, coturn, free_port};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use wren_core::Transport;
use wren_tokio::{Driver, DriverError};
use wren_turn::client::{
    Client as TurnClient, CloseReason, Command as TurnCommand, Config as TurnClientConfig, Event,
    TurnFailure,
};

const TIMEOUT: Duration = Duration::from_secs(20);

/// A TurnClient running in a wren-tokio driver task.
struct Running {
    commands: mpsc::Sender<TurnCommand>,
    events: mpsc::Receiver<Event>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<TurnClient, DriverError>>,
    /// The client's local address (what the server should report as mapped).
    local: SocketAddr,
    /// Events seen so far, for failure messages.
    seen: Vec<Event>,
}

impl Running {
    /// Starts a client for `server` over `transport` with `password`.
    async fn start(
        server: SocketAddr,
        transport: Transport,
        password: &str,
        auto_channel: bool,
    ) -> Running {
        #[allow(clippy::disallowed_methods)] // adapters and tests own the clock
        let now = std::time::Instant::now();
        let mut config = TurnClientConfig::new(server, transport, "test", password);
        config.auto_channel = auto_channel;
        config.software = Some("wren-turn interop test".into());
        let client = TurnClient::new(now, config);
        let (driver, local) = match transport {
            Transport::Udp => {
                let sock = UdpSocket::bind("127.0.0.1:0").await.expect("bind UDP");
                let local = sock.local_addr().expect("local address");
                (Driver::new(client).udp(sock).expect("udp socket"), local)
            }
            _ => {
                let stream = TcpStream::connect(server).await.expect("connect to coturn");
                let local = stream.local_addr().expect("local address");
                let driver = Driver::new(client)
                    .tcp_stream(stream)
                    .expect("tcp stream")
                    .tcp_connect(false);
                (driver, local)
            }
        };
        let (commands, commands_rx) = mpsc::channel(16);
        let (events_tx, events) = mpsc::channel(64);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(driver.run(commands_rx, events_tx, async {
            let _ = stopped.await;
        }));
        Running {
            commands,
            events,
            stop,
            task,
            local,
            seen: Vec::new(),
        }
    }

    async fn command(&self, cmd: TurnCommand) {
        self.commands
            .send(cmd)
            .await
            .expect("the driver takes commands");
    }

    /// The next event that `pick` maps to `Some`, skipping others; panics after TIMEOUT.
    async fn wait_for<T>(&mut self, what: &str, pick: impl Fn(&Event) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let event = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .unwrap_or_else(|_| panic!("no {what} within {TIMEOUT:?}; events: {:?}", self.seen))
                .expect("the driver is running");
            let picked = pick(&event);
            self.seen.push(event);
            if let Some(t) = picked {
                return t;
            }
        }
    }

    /// Stops the driver and returns the machine.
    async fn stop(self) -> TurnClient {
        let _ = self.stop.send(());
        self.task
            .await
            .expect("driver task")
            .expect("driver ran without socket errors")
    }
}

/// How data reaches the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `bind_channel` first: ChannelData both ways.
    Channel,
    /// `add_permission` only, no channel: Send and Data indications.
    Indications,
    /// Just `send`: the permission and the channel come by themselves.
    Automatic,
}

/// The TURN server a test runs against.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Server {
    /// coturn's turnserver (the interop claim).
    Coturn,
    /// wren-relay itself (our client against our server).
    Wren,
}

/// Starts `kind` on 127.0.0.1:`port` with user test:secret; returns it and its relay ports.
fn start_server(kind: Server, port: u16) -> (Peer, std::ops::RangeInclusive<u16>) {
    match kind {
        Server::Coturn => (coturn(port), 49200..=49300),
        Server::Wren => {
            let range = wren_port_range();
            let (min, max) = (range.start().to_string(), range.end().to_string());
            let args = [
                "--relay-ip",
                "127.0.0.1",
                "--min-port",
                &min,
                "--max-port",
                &max,
                "--realm",
                "example.org",
                "--lt-cred-mech",
                "--user",
                "test:secret",
                "--allow-loopback-peers",
            ];
            (common::relay(port, &args), range)
        }
    }
}

/// Relay port ranges for wren-relay, one per test.
fn wren_port_range() -> std::ops::RangeInclusive<u16> {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let min = 56000 + NEXT.fetch_add(1, Ordering::Relaxed) * 100;
    min..=min + 99
}

/// Allocates on the server, relays three datagrams each way between the client and a UDP
/// peer, closes; checks addresses, contents and how the data went.
async fn relay_round_trip(transport: Transport, mode: Mode) {
    relay_round_trip_on(Server::Coturn, transport, mode).await;
}

async fn relay_round_trip_on(kind: Server, transport: Transport, mode: Mode) {
    let port = free_port();
    let (_server, ports) = start_server(kind, port);
    let server = SocketAddr::from(([127, 0, 0, 1], port));
    let peer = UdpSocket::bind("127.0.0.1:0").await.expect("bind the peer");
    let peer_addr = peer.local_addr().expect("peer address");

    let mut client = Running::start(server, transport, "secret", mode == Mode::Automatic).await;
    client.command(TurnCommand::Allocate).await;
    let (relayed, mapped, lifetime) = client
        .wait_for("Allocated", |e| match e {
            Event::Allocated {
                relayed,
                mapped,
                lifetime,
            } => Some((*relayed, *mapped, *lifetime)),
            _ => None,
        })
        .await;
    assert_eq!(relayed.ip().to_string(), "127.0.0.1");
    assert!(
        ports.contains(&relayed.port()),
        "relayed port {relayed} on {kind:?}"
    );
    assert_eq!(
        mapped,
        Some(client.local),
        "coturn saw us at our local address"
    );
    assert_eq!(lifetime, Duration::from_secs(600));

    match mode {
        Mode::Channel => {
            client.command(TurnCommand::BindChannel(peer_addr)).await;
            client
                .wait_for("ChannelBound", |e| match e {
                    Event::ChannelBound { peer, .. } if *peer == peer_addr => Some(()),
                    _ => None,
                })
                .await;
        }
        Mode::Indications => {
            client
                .command(TurnCommand::AddPermission(peer_addr.ip()))
                .await;
            client
                .wait_for("PermissionCreated", |e| match e {
                    Event::PermissionCreated { peer } if *peer == peer_addr.ip() => Some(()),
                    _ => None,
                })
                .await;
        }
        Mode::Automatic => {}
    }

    let mut rx = vec![0u8; 2048];
    for i in 0..3 {
        let out = format!("to the peer #{i} over {transport:?} {mode:?}").into_bytes();
        client
            .command(TurnCommand::Send {
                peer: peer_addr,
                data: out.clone(),
            })
            .await;
        let (n, from) = tokio::time::timeout(TIMEOUT, peer.recv_from(&mut rx))
            .await
            .unwrap_or_else(|_| panic!("the peer got nothing; client events: {:?}", client.seen))
            .expect("peer receive");
        assert_eq!(&rx[..n], &out[..], "the peer got the bytes");
        assert_eq!(from, relayed, "they came from the relayed address");

        let back = format!("back to the client #{i}").into_bytes();
        peer.send_to(&back, relayed).await.expect("peer send");
        let got = client
            .wait_for("Data", |e| match e {
                Event::Data { peer, data } => Some((*peer, data.clone())),
                _ => None,
            })
            .await;
        assert_eq!(got, (peer_addr, back));
    }

    client.command(TurnCommand::Close).await;
    let reason = client
        .wait_for("Closed", |e| match e {
            Event::Closed { reason } => Some(reason.clone()),
            _ => None,
        })
        .await;
    assert_eq!(reason, CloseReason::Requested);

    let machine = client.stop().await;
    let stats = machine.stats();
    assert_eq!(stats.data_received, 3, "{stats:?}");
    match mode {
        Mode::Channel => assert_eq!((stats.channel_data_sent, stats.indications_sent), (3, 0)),
        Mode::Indications => {
            assert_eq!((stats.channel_data_sent, stats.indications_sent), (0, 3))
        }
        Mode::Automatic => assert_eq!(stats.channel_data_sent + stats.indications_sent, 3),
    }
    assert_eq!(stats.unexpected + stats.malformed, 0, "{stats:?}");
    assert_eq!(
        stats.stun.failed_checks, 0,
        "coturn's responses verify: {stats:?}"
    );
}

#[tokio::test]
async fn allocates_on_coturn_over_udp_and_relays_through_a_channel() {
    relay_round_trip(Transport::Udp, Mode::Channel).await;
}

#[tokio::test]
async fn allocates_on_coturn_over_udp_and_relays_with_send_indications() {
    relay_round_trip(Transport::Udp, Mode::Indications).await;
}

#[tokio::test]
async fn allocates_on_coturn_over_udp_and_relays_on_first_send() {
    relay_round_trip(Transport::Udp, Mode::Automatic).await;
}

#[tokio::test]
async fn allocates_on_coturn_over_tcp_and_relays_through_a_channel() {
    relay_round_trip(Transport::Tcp, Mode::Channel).await;
}

#[tokio::test]
async fn allocates_on_coturn_over_tcp_and_relays_with_send_indications() {
    relay_round_trip(Transport::Tcp, Mode::Indications).await;
}

#[tokio::test]
async fn wrong_password_on_coturn_closes_unauthorized() {
    let port = free_port();
    let _coturn: Peer = coturn(port);
    let server = SocketAddr::from(([127, 0, 0, 1], port));
    let mut client = Running::start(server, Transport::Udp, "not-the-secret", true).await;
    client.command(TurnCommand::Allocate).await;
    let reason = client
        .wait_for("Closed", |e| match e {
            Event::Closed { reason } => Some(reason.clone()),
            _ => None,
        })
        .await;
    assert_eq!(reason, CloseReason::Failed(TurnFailure::Unauthorized));
    assert!(
        !client
            .seen
            .iter()
            .any(|e| matches!(e, Event::Allocated { .. })),
        "{:?}",
        client.seen
    );
    let machine = client.stop().await;
    assert_eq!(
        machine.stats().stun.transmissions,
        2,
        "one challenge, one signed try"
    );
}

#[tokio::test]
async fn allocates_on_wren_relay_over_udp_and_relays_through_a_channel() {
    relay_round_trip_on(Server::Wren, Transport::Udp, Mode::Channel).await;
}

#[tokio::test]
async fn allocates_on_wren_relay_over_udp_and_relays_with_send_indications() {
    relay_round_trip_on(Server::Wren, Transport::Udp, Mode::Indications).await;
}

#[tokio::test]
async fn allocates_on_wren_relay_over_tcp_and_relays_through_a_channel() {
    relay_round_trip_on(Server::Wren, Transport::Tcp, Mode::Channel).await;
}
