//! The ICE-lite server (`wren_ice::lite::Server`) with one full agent on wren-netsim:
//! a role conflict settled by the server's 487, consent lost when the peer goes silent
//! (RFC 7675) with keepalives while it is not, and ICE-TCP through the shared listener
//! when UDP is blocked.

mod lite;

use std::time::Duration;

use wren_core::{Datagram, Transport};
use wren_ice::lite::{
    self as ice_lite, Config, ConnectionState, Failure, LocalSocket, Routed, Server, SessionId,
};
use wren_ice::{Agent, Event, Role, TcpType};
use wren_netsim::{HostConfig, NatConfig, NodeId, Sim};

use lite::{MediaServer, PORT, addr, down, peer_credentials, session_credentials, t0};

const LISTENER: &str = "198.51.100.50:443";

struct World {
    sim: Sim,
    server: NodeId,
    peer: NodeId,
    session: SessionId,
}

/// A server on the UDP port (and the TCP listener when `tcp`), one agent in `role` on
/// `peer_ip` (behind a UDP-blocking firewall when `block_udp`), connected by signalling.
fn world(seed: u64, role: Role, tcp: bool, block_udp: bool) -> World {
    let start = t0();
    let mut sim = Sim::new(seed, start);
    let server_host = sim.add_host(HostConfig::public(addr(PORT).ip()));
    let mut sockets = vec![LocalSocket::udp(addr(PORT))];
    if tcp {
        sockets.push(LocalSocket::tcp(addr(LISTENER)));
    }
    let config = Config {
        rng_seed: Some(sim.fork_seed()),
        ..Config::new(sockets)
    };
    let server = sim.add_machine(
        server_host,
        MediaServer::new(Server::new(start, config).expect("valid")),
    );
    sim.listen(server, addr(PORT), Transport::Udp)
        .expect("free");
    if tcp {
        sim.listen(server, addr(LISTENER), Transport::Tcp)
            .expect("free");
    }
    let (host, ip) = if block_udp {
        let fw = sim
            .add_nat(NatConfig::full_cone("203.0.113.1".parse().expect("ip")).with_block_udp(true));
        (
            sim.add_host(HostConfig::behind(fw, "10.0.1.2".parse().expect("ip"))),
            "10.0.1.2",
        )
    } else {
        (
            sim.add_host(HostConfig::public("203.0.113.7".parse().expect("ip"))),
            "203.0.113.7",
        )
    };
    let mut config = wren_ice::agent::Config::new(role, vec![ip.parse().expect("ip")]);
    config.credentials = Some(peer_credentials(0));
    config.tcp = tcp;
    config.rng_seed = Some(sim.fork_seed());
    let agent = Agent::new(start, config);
    let peer = sim.add_machine(host, agent);
    let (session, candidates) = sim.with(server, |m: &mut MediaServer, now| {
        let id = m
            .lite
            .add_session(now, &session_credentials(0), Some(&peer_credentials(0)))
            .expect("added");
        (id, m.lite.local_candidates(id).expect("known").to_vec())
    });
    sim.with(peer, |a: &mut Agent, now| {
        a.set_remote_credentials(now, session_credentials(0))
            .expect("valid");
        for c in candidates {
            a.add_remote_candidate(now, c).expect("valid");
        }
        a.end_of_remote_candidates(now);
    });
    World {
        sim,
        server,
        peer,
        session,
    }
}

impl World {
    /// Runs until both sides are connected (at most 30 s); the server's and the agent's
    /// events.
    fn connect(&mut self) -> (Vec<ice_lite::Event>, Vec<Event>) {
        let (mut server_events, mut peer_events) = (Vec::new(), Vec::new());
        let deadline = self.sim.now() + Duration::from_secs(30);
        let (server, peer, session) = (self.server, self.peer, self.session);
        let ok = self.sim.run_until_cond(deadline, |sim| {
            server_events.extend(sim.events::<MediaServer>(server));
            peer_events.extend(sim.events::<Agent>(peer));
            sim.machine::<Agent>(peer).connection_state() == ConnectionState::Connected
                && sim.machine::<MediaServer>(server).lite.state(session)
                    == Some(ConnectionState::Connected)
        });
        assert!(ok, "{:?}\n{:?}", server_events, sim_pairs(&self.sim, peer));
        (server_events, peer_events)
    }
}

fn sim_pairs(sim: &Sim, peer: NodeId) -> Vec<wren_ice::PairReport> {
    sim.machine::<Agent>(peer).pairs()
}

#[test]
fn a_full_agent_that_starts_controlled_takes_the_servers_487_and_switches() {
    let mut w = world(11, Role::Controlled, false, false);
    let (server_events, peer_events) = w.connect();
    assert!(
        peer_events.contains(&Event::RoleChanged(Role::Controlling)),
        "{peer_events:?}"
    );
    assert_eq!(w.sim.machine::<Agent>(w.peer).role(), Role::Controlling);
    let st = w.sim.machine::<MediaServer>(w.server).lite.stats();
    assert!(st.role_conflicts >= 1, "{st:?}");
    let path = w
        .sim
        .machine::<MediaServer>(w.server)
        .lite
        .selected_path(w.session)
        .expect("selected");
    assert_eq!(
        server_events,
        [ice_lite::Event::Connected {
            session: w.session,
            path
        }]
    );
    assert_eq!(
        path.remote,
        w.sim
            .machine::<Agent>(w.peer)
            .selected_pair()
            .expect("selected")
            .local
            .addr
    );
}

#[test]
fn consent_is_kept_by_the_peers_checks_and_lost_when_they_stop() {
    let mut w = world(12, Role::Controlling, false, false);
    let _ = w.connect();
    // A minute with the agent's consent checks: still connected; the idle path got
    // keepalives (the server sends no data here but its greeting).
    w.sim.run_for(Duration::from_secs(60));
    let server = w.sim.events::<MediaServer>(w.server);
    assert!(server.is_empty(), "{server:?}");
    assert_eq!(
        w.sim.machine::<Agent>(w.peer).connection_state(),
        ConnectionState::Connected
    );
    let st = w.sim.machine::<MediaServer>(w.server).lite.stats();
    assert!(st.keepalives_sent >= 3, "{st:?}");
    let path = w
        .sim
        .machine::<MediaServer>(w.server)
        .lite
        .selected_path(w.session)
        .expect("selected");

    // The peer goes away without a word: disconnected after 8 s, failed after 30 s.
    let gone = w.sim.now();
    w.sim.with(w.peer, |a: &mut Agent, now| a.close(now));
    w.sim.run_for(Duration::from_secs(10));
    assert_eq!(
        w.sim.events::<MediaServer>(w.server),
        [ice_lite::Event::Disconnected { session: w.session }]
    );
    w.sim.run_until(gone + Duration::from_secs(31));
    assert_eq!(
        w.sim.events::<MediaServer>(w.server),
        [ice_lite::Event::Failed {
            session: w.session,
            cause: Failure::ConsentExpired
        }]
    );
    let m = w.sim.machine_mut::<MediaServer>(w.server);
    assert_eq!(m.lite.routed_paths(), 0);
    let now = w.sim.now();
    let m = w.sim.machine_mut::<MediaServer>(w.server);
    let d = Datagram::udp(path.remote, path.local, &[0x80, 96]);
    assert_eq!(m.lite.route(now, d), Routed::Dropped);
    let mut buf = Vec::new();
    assert_eq!(
        m.lite.send_into(now, w.session, b"late", &mut buf),
        Err(ice_lite::Error::NotConnected(w.session))
    );
}

#[test]
fn an_active_tcp_peer_reaches_the_shared_listener_when_udp_is_blocked() {
    let mut w = world(13, Role::Controlling, true, true);
    let (server_events, peer_events) = w.connect();
    let path = w
        .sim
        .machine::<MediaServer>(w.server)
        .lite
        .selected_path(w.session)
        .expect("selected");
    assert_eq!(
        (path.transport, path.local),
        (Transport::Tcp, addr(LISTENER))
    );
    assert_eq!(
        server_events,
        [ice_lite::Event::Connected {
            session: w.session,
            path
        }]
    );
    let sel = w
        .sim
        .machine::<Agent>(w.peer)
        .selected_pair()
        .expect("selected");
    assert_eq!(
        (sel.local.tcp_type, sel.remote.tcp_type),
        (Some(TcpType::Active), Some(TcpType::Passive))
    );
    // The greeting came down the connection, and data goes up it to the session.
    w.sim.run_for(Duration::from_millis(100));
    let got: Vec<Vec<u8>> = peer_events
        .into_iter()
        .chain(w.sim.events::<Agent>(w.peer))
        .filter_map(|e| match e {
            Event::Data { data, .. } => Some(data),
            _ => None,
        })
        .collect();
    assert_eq!(got, [down(w.session)]);
    w.sim
        .with(w.peer, |a: &mut Agent, now| a.send(now, b"\x80up tcp"))
        .expect("connected");
    w.sim.run_for(Duration::from_millis(100));
    let m = w.sim.machine::<MediaServer>(w.server);
    assert_eq!(
        m.received.get(&w.session).map(|(n, b)| (*n, b.as_slice())),
        Some((1, b"\x80up tcp".as_slice()))
    );
}
