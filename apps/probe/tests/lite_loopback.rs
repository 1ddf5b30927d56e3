//! The shared-socket ICE-lite server (`wren_ice::lite::Server`) on a real UDP socket: one
//! socket bound by its owner and given to wren-tokio's driver, two sessions on it, and two
//! full ICE agents (each on its own driver, binding its own socket on 127.0.0.1) that each
//! connect to their own session through real checks over loopback.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use wren_ice::agent::{Agent, Config, Credentials, Event, Role};
use wren_ice::lite;
use wren_tokio::Driver;

/// How long the whole exchange may take before the test gives up (a hang, not a timing
/// assertion: on loopback it takes milliseconds).
const GIVE_UP: Duration = Duration::from_secs(20);

fn creds(ufrag: &str, pwd: &str) -> Credentials {
    Credentials {
        ufrag: ufrag.into(),
        pwd: pwd.into(),
    }
}

/// Runs one full agent on its own driver until it selects a pair; returns the pair's local
/// and remote addresses.
async fn connect_agent(
    seed: u8,
    own: Credentials,
    server_creds: Credentials,
    server: &[wren_ice::Candidate],
) -> (SocketAddr, SocketAddr) {
    #[allow(clippy::disallowed_methods)] // a real driver on a real clock
    let now = Instant::now();
    let config = Config {
        rng_seed: Some([seed; 32]),
        credentials: Some(own),
        ..Config::new(Role::Controlling, vec!["127.0.0.1".parse().unwrap()])
    };
    let mut agent = Agent::new(now, config);
    agent.set_remote_credentials(now, server_creds).unwrap();
    for c in server {
        agent.add_remote_candidate(now, c.clone()).unwrap();
    }
    agent.end_of_remote_candidates(now);
    let driver = Driver::new(agent);
    let (_commands, commands_rx) = mpsc::channel(8);
    let (events, mut events_rx) = mpsc::channel(256);
    let (stop, stopped) = oneshot::channel::<()>();
    let app = async move {
        let mut selected = None;
        while let Some(e) = events_rx.recv().await {
            match e {
                Event::SelectedPair(p) => {
                    selected = Some((p.local.addr, p.remote.addr));
                    break;
                }
                Event::Failed(report) => panic!("agent {seed} failed: {report}"),
                _ => {}
            }
        }
        drop(stop);
        selected
    };
    let shutdown = async move {
        let _ = stopped.await;
    };
    let (agent, selected) = tokio::join!(driver.run(commands_rx, events, shutdown), app);
    agent.expect("the agent's driver");
    selected.expect("the agent selected a pair")
}

#[tokio::test(flavor = "current_thread")]
async fn two_lite_sessions_on_one_udp_socket_each_connect_their_own_agent() {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    #[allow(clippy::disallowed_methods)] // a real driver on a real clock
    let now = Instant::now();
    let mut server = lite::Server::new(
        now,
        lite::Config {
            rng_seed: Some([9; 32]),
            ..lite::Config::new(vec![lite::LocalSocket::udp(addr)])
        },
    )
    .unwrap();
    let (a_local, a_remote) = (
        creds("liteA", "liteSessionApassword0123"),
        creds("peerA", "peerApasswordLongEnough0"),
    );
    let (b_local, b_remote) = (
        creds("liteB", "liteSessionBpassword0123"),
        creds("peerB", "peerBpasswordLongEnough0"),
    );
    let a = server.add_session(now, &a_local, Some(&a_remote)).unwrap();
    let b = server.add_session(now, &b_local, Some(&b_remote)).unwrap();
    let candidates = server.local_candidates(a).unwrap().to_vec();
    assert_eq!(candidates.len(), 1);
    assert_eq!(candidates[0].address.to_string(), addr.ip().to_string());

    let driver = Driver::new(server).udp(socket).unwrap();
    let (_commands, commands_rx) = mpsc::channel(8);
    let (events, mut events_rx) = mpsc::channel(256);
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async move {
        let _ = stopped.await;
    };
    let watch = async move {
        let mut connected = Vec::new();
        while let Some(e) = events_rx.recv().await {
            match e {
                lite::Event::Connected { session, path } => {
                    connected.push((session, path));
                    if connected.len() == 2 {
                        break;
                    }
                }
                other => panic!("unexpected lite event {other:?}"),
            }
        }
        connected
    };
    let peers = async {
        let (pa, pb) = tokio::join!(
            connect_agent(1, a_remote.clone(), a_local.clone(), &candidates),
            connect_agent(2, b_remote.clone(), b_local.clone(), &candidates),
        );
        (pa, pb)
    };
    let run = async {
        let (server, (connected, peers)) =
            tokio::join!(driver.run(commands_rx, events, shutdown), async {
                let both = tokio::join!(watch, peers);
                drop(stop);
                both
            });
        (server, connected, peers)
    };
    let (server, connected, ((a_agent_local, a_agent_remote), (b_agent_local, b_agent_remote))) =
        tokio::time::timeout(GIVE_UP, run)
            .await
            .expect("both sessions connect over loopback");
    let server = server.expect("the lite server's driver");

    // Each agent selected the server's one socket...
    assert_eq!(a_agent_remote, addr);
    assert_eq!(b_agent_remote, addr);
    assert_ne!(a_agent_local, b_agent_local);
    // ... and each session selected the path of its own agent, not the other's.
    let path_of = |s| {
        connected
            .iter()
            .find(|(id, _)| *id == s)
            .map(|(_, p)| *p)
            .expect("the session connected")
    };
    assert_eq!(path_of(a).remote, a_agent_local);
    assert_eq!(path_of(b).remote, b_agent_local);
    assert_eq!(path_of(a).local, addr);
    let stats = server.stats();
    assert!(stats.checks_answered >= 2, "{stats:?}");
    assert_eq!(stats.unknown_ufrag, 0, "{stats:?}");
    assert_eq!(stats.bad_integrity, 0, "{stats:?}");
    assert_eq!(stats.wrong_remote_ufrag, 0, "{stats:?}");
}
