//! 10,000 ICE-lite sessions on one UDP port of a wren-netsim network, each connected by its
//! own controlling full agent (`wren_ice::Agent`, as a browser runs ICE) through real
//! checks: 100 client hosts of 100 agents, every other host behind a port-restricted cone
//! NAT. The test shows that every session connects with its own peer (the path the server
//! selects is the peer's, data each peer sends reaches its session and the greeting each
//! session sends reaches its peer), that no check reached a session it was not for (the
//! server's drop counters stay at zero), and that deliberately misdirected checks (an
//! unknown ufrag, a right ufrag with a wrong key, a known peer address with another
//! session's ufrag and key) are each dropped and counted without disturbing the sessions.
//!
//! It prints the live bytes per session (a counting allocator, as
//! `benches/tests/ice_memory.rs` measures agents) and the time per routed packet
//! (`cargo test -p wren-ice --test lite_10k -- --nocapture`; debug builds are slow: the
//! release figure comes from `cargo bench -p wren-benches --bench ice_lite`).
//!
//! One test in this binary: live bytes are counted for the whole process.

mod lite;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use wren_core::{Datagram, Machine, Transport};
use wren_ice::lite::{Config, ConnectionState, LocalSocket, Routed, Server, SessionId};
use wren_ice::{Event, lite as ice_lite};
use wren_netsim::{HostConfig, NatConfig, NodeId, Sim};

use lite::{
    MediaServer, PORT, Peers, addr, check_bytes, down, peer_credentials, session_credentials, t0,
    up,
};

#[global_allocator]
static GLOBAL: wren_alloc_count::Counting = wren_alloc_count::Counting;

const SESSIONS: usize = 10_000;
const HOSTS: usize = 100;
const PER_HOST: usize = SESSIONS / HOSTS;

/// Live bytes one session costs a server: `SESSIONS` sessions added, each connected by a
/// nominating check (so its ufrag, key, slot, deadline and route are all held).
fn bytes_per_session(now: Instant) -> i64 {
    let config = Config {
        rng_seed: Some([5; 32]),
        ..Config::new(vec![LocalSocket::udp(addr(PORT))])
    };
    let mut server = Server::new(now, config).expect("valid");
    let work: Vec<_> = (0..SESSIONS)
        .map(|i| {
            let (s, p) = (session_credentials(i), peer_credentials(i));
            let check = check_bytes(&format!("{}:{}", s.ufrag, p.ufrag), &s.pwd, true, i as u64);
            let from = SocketAddr::new(IpAddr::from([203, 0, 113, 1]), 10_000 + i as u16);
            (s, p, check, from)
        })
        .collect();
    let mut buf = Vec::with_capacity(1500);
    let before = wren_alloc_count::live_bytes();
    for (s, p, check, from) in &work {
        server.add_session(now, s, Some(p)).expect("added");
        assert_eq!(
            server.route(now, Datagram::udp(*from, addr(PORT), check)),
            Routed::Stun
        );
        buf.clear();
        assert!(server.poll_transmit(now, &mut buf).is_some());
        assert!(matches!(
            server.poll_event(),
            Some(ice_lite::Event::Connected { .. })
        ));
    }
    let after = wren_alloc_count::live_bytes();
    assert_eq!(server.stats().checks_answered, SESSIONS as u64);
    (after - before) / SESSIONS as i64
        + i64::try_from(std::mem::size_of::<Server>()).unwrap_or(0) / SESSIONS as i64
}

/// Where peer `i` runs: its host's node and its index there.
struct Placement {
    node: NodeId,
    agent: usize,
    nat_ip: Option<IpAddr>,
}

#[test]
#[allow(clippy::disallowed_methods)] // wall-clock timing of the run, printed only
fn ten_thousand_lite_sessions_on_one_udp_port() {
    let wall = Instant::now();
    let start = t0();
    let per_session = bytes_per_session(start);

    let mut sim = Sim::new(8, start);
    let server_host = sim.add_host(HostConfig::public(addr(PORT).ip()));
    let config = Config {
        rng_seed: Some(sim.fork_seed()),
        ..Config::new(vec![LocalSocket::udp(addr(PORT))])
    };
    let lite_server = Server::new(start, config).expect("valid");
    let server = sim.add_machine(server_host, MediaServer::new(lite_server));
    sim.listen(server, addr(PORT), Transport::Udp)
        .expect("free");

    // The peers: host h is public, or behind a NAT when h is odd.
    let mut places = Vec::with_capacity(SESSIONS);
    let mut nodes = Vec::with_capacity(HOSTS);
    for h in 0..HOSTS {
        let public = IpAddr::from([203, 0, 113, u8::try_from(h + 1).expect("small")]);
        let (host, ip, nat_ip) = if h % 2 == 0 {
            (sim.add_host(HostConfig::public(public)), public, None)
        } else {
            let nat = sim.add_nat(NatConfig::port_restricted_cone(public));
            let private = IpAddr::from([10, 0, u8::try_from(h).expect("small"), 2]);
            (
                sim.add_host(HostConfig::behind(nat, private)),
                private,
                Some(public),
            )
        };
        let mut peers = Peers::default();
        let agents: Vec<usize> = (0..PER_HOST)
            .map(|j| {
                peers.add(
                    start,
                    ip,
                    peer_credentials(h * PER_HOST + j),
                    sim.fork_seed(),
                )
            })
            .collect();
        let node = sim.add_machine(host, peers);
        places.extend(agents.into_iter().map(|agent| Placement {
            node,
            agent,
            nat_ip,
        }));
        nodes.push(node);
    }

    // Signalling: a session per peer, the server's candidate and credentials to the peer.
    let mut session_of = Vec::with_capacity(SESSIONS);
    let mut peer_of = HashMap::new();
    for (i, p) in places.iter().enumerate() {
        let (id, candidate) = sim.with(server, |m: &mut MediaServer, now| {
            let id = m
                .lite
                .add_session(now, &session_credentials(i), Some(&peer_credentials(i)))
                .expect("added");
            (id, m.lite.local_candidates(id).expect("known")[0].clone())
        });
        session_of.push(id);
        peer_of.insert(id, i);
        sim.with(p.node, |peers: &mut Peers, now| {
            peers.with(p.agent, |a| {
                a.set_remote_credentials(now, session_credentials(i))
                    .expect("valid");
                a.add_remote_candidate(now, candidate).expect("valid");
                a.end_of_remote_candidates(now);
            });
        });
    }

    // Run until every session and every peer is connected (or 30 s of virtual time).
    let mut connected: HashMap<SessionId, ice_lite::Path> = HashMap::new();
    let mut peer_selected = vec![None; SESSIONS];
    let mut greeted = vec![None; SESSIONS];
    let collect = |sim: &mut Sim,
                   connected: &mut HashMap<SessionId, ice_lite::Path>,
                   peer_selected: &mut Vec<Option<wren_ice::SelectedPair>>,
                   greeted: &mut Vec<Option<Vec<u8>>>| {
        for e in sim.events::<MediaServer>(server) {
            match e {
                ice_lite::Event::Connected { session, path } => {
                    assert!(
                        connected.insert(session, path).is_none(),
                        "{session} connected twice"
                    );
                }
                other => panic!("unexpected server event {other:?}"),
            }
        }
        for (h, &node) in nodes.iter().enumerate() {
            for (j, e) in sim.events::<Peers>(node) {
                let i = h * PER_HOST + j;
                match e {
                    Event::SelectedPair(p) => peer_selected[i] = Some(p),
                    Event::Data { data, .. } => greeted[i] = Some(data),
                    Event::Failed(r) => panic!("peer {i} failed: {r:?}"),
                    _ => {}
                }
            }
        }
    };
    let deadline = start + Duration::from_secs(30);
    while sim.now() < deadline {
        sim.run_for(Duration::from_millis(10));
        collect(&mut sim, &mut connected, &mut peer_selected, &mut greeted);
        if connected.len() == SESSIONS
            && peer_selected.iter().all(Option::is_some)
            && greeted.iter().all(Option::is_some)
        {
            break;
        }
    }
    let connected_after = sim.now() - start;
    assert_eq!(connected.len(), SESSIONS, "sessions connected");

    // Each session connected with its own peer: the path it selected is where that peer's
    // checks come from (its host address, or its NAT's), to the one port.
    for (i, p) in places.iter().enumerate() {
        let id = session_of[i];
        let path = connected[&id];
        let sel = peer_selected[i].unwrap_or_else(|| panic!("peer {i} selected no pair"));
        assert_eq!(path.local, addr(PORT));
        assert_eq!(sel.remote.addr, addr(PORT), "peer {i}");
        match p.nat_ip {
            None => assert_eq!(path.remote, sel.local.addr, "peer {i}"),
            Some(nat) => assert_eq!(path.remote.ip(), nat, "peer {i}"),
        }
        assert_eq!(
            greeted[i].as_deref(),
            Some(down(id).as_slice()),
            "peer {i} got its own session's greeting"
        );
        let state = sim.with(p.node, |peers: &mut Peers, _| {
            peers.agents[p.agent].connection_state()
        });
        assert_eq!(state, ConnectionState::Connected);
    }
    let paths: std::collections::HashSet<_> = connected.values().collect();
    assert_eq!(paths.len(), SESSIONS, "every session has its own path");

    // Data each peer sends reaches its own session.
    for (i, p) in places.iter().enumerate() {
        sim.with(p.node, |peers: &mut Peers, now| {
            peers.with(p.agent, |a| a.send(now, &up(i)).expect("connected"));
        });
    }
    sim.run_for(Duration::from_millis(200));
    {
        let m = sim.machine::<MediaServer>(server);
        for (i, &id) in session_of.iter().enumerate() {
            let (n, last) = m
                .received
                .get(&id)
                .unwrap_or_else(|| panic!("no data for peer {i}"));
            assert_eq!((*n, last.as_slice()), (1, up(i).as_slice()), "peer {i}");
        }
    }

    // No check reached a session it was not for, none was dropped as another's.
    let st = sim.machine::<MediaServer>(server).lite.stats();
    assert_eq!(
        (
            st.unknown_ufrag,
            st.bad_integrity,
            st.wrong_remote_ufrag,
            st.address_conflicts,
            st.role_conflicts,
            st.data_unrouted,
            st.transmits_dropped,
            st.events_dropped,
        ),
        (0, 0, 0, 0, 0, 0, 0, 0),
        "{st:?}"
    );
    assert!(st.checks_answered >= SESSIONS as u64);
    assert_eq!(st.data_routed, SESSIONS as u64);

    // Misdirected checks, from where peer i is, for its neighbour k = i + 1: each dropped
    // and counted; nothing changes for either session.
    const WRONG: usize = 1000;
    let before = sim.machine::<MediaServer>(server).lite.stats();
    sim.with(server, |m: &mut MediaServer, now| {
        for i in 0..WRONG {
            let k = (i + 1) % SESSIONS;
            let from = connected[&session_of[i]].remote;
            let (si, sk, pk) = (
                session_credentials(i),
                session_credentials(k),
                peer_credentials(k),
            );
            let username = format!("{}:{}", sk.ufrag, pk.ufrag);
            for bytes in [
                // An unknown ufrag.
                check_bytes(&format!("zz{i:06}:{}", pk.ufrag), &sk.pwd, true, 1),
                // The right ufrag (k's) signed with the wrong key (i's).
                check_bytes(&username, &si.pwd, true, 2),
                // A known address (i's peer's) with another session's ufrag and key.
                check_bytes(&username, &sk.pwd, true, 3),
            ] {
                assert_eq!(
                    m.lite.route(now, Datagram::udp(from, addr(PORT), &bytes)),
                    Routed::Stun
                );
            }
        }
    });
    let after = sim.machine::<MediaServer>(server).lite.stats();
    assert_eq!(after.unknown_ufrag - before.unknown_ufrag, WRONG as u64);
    assert_eq!(after.bad_integrity - before.bad_integrity, WRONG as u64);
    assert_eq!(
        after.address_conflicts - before.address_conflicts,
        WRONG as u64
    );
    assert_eq!(after.checks_answered, before.checks_answered);
    assert!(sim.events::<MediaServer>(server).is_empty());
    {
        let m = sim.machine::<MediaServer>(server);
        for (i, &id) in session_of.iter().enumerate().take(WRONG + 1) {
            assert_eq!(m.lite.selected_path(id), Some(connected[&id]), "peer {i}");
            assert_eq!(m.lite.state(id), Some(ConnectionState::Connected));
        }
    }

    // Time per routed packet, over every session's path in turn.
    let packets: Vec<(SocketAddr, Vec<u8>)> = (0..SESSIONS)
        .map(|i| (connected[&session_of[i]].remote, up(i)))
        .collect();
    const ROUNDS: usize = 20;
    let now = sim.now();
    let m = sim.machine_mut::<MediaServer>(server);
    let timer = Instant::now();
    let mut routed = 0usize;
    for _ in 0..ROUNDS {
        for (from, payload) in &packets {
            if let Routed::Data { session, payload } =
                m.lite.route(now, Datagram::udp(*from, addr(PORT), payload))
            {
                routed += usize::from(peer_of.contains_key(&session)) * payload.len().min(1);
            }
        }
    }
    let ns = timer.elapsed().as_nanos() as f64 / (ROUNDS * SESSIONS) as f64;
    assert_eq!(routed, ROUNDS * SESSIONS);

    // The data path allocates nothing: a packet routed in, a packet written out.
    let mut buf = Vec::with_capacity(1500);
    let allocations = wren_alloc_count::allocations_during(|| {
        for (i, (from, payload)) in packets.iter().enumerate() {
            let d = Datagram::udp(*from, addr(PORT), payload);
            assert!(
                matches!(m.lite.route(now, d), Routed::Data { session, .. } if session == session_of[i])
            );
            buf.clear();
            let t = m
                .lite
                .send_into(now, session_of[i], payload, &mut buf)
                .expect("connected");
            assert_eq!(t.destination, *from);
        }
    });
    assert_eq!(
        allocations, 0,
        "allocations over {SESSIONS} packets each way"
    );

    println!(
        "{SESSIONS} ICE-lite sessions on one UDP port, {HOSTS} client hosts (half behind NATs):"
    );
    println!(
        "  all connected after {connected_after:?} of virtual time; {} checks answered",
        st.checks_answered
    );
    println!("  live bytes per session: {per_session}");
    println!(
        "  route() per packet: {ns:.0} ns (this build; see benches/benches/ice_lite.rs for release)"
    );
    println!("  wall time: {:?}", wall.elapsed());
    // A regression guard, with room.
    assert!(per_session < 4096, "{per_session} bytes per session");
}
