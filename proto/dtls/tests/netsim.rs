//! DTLS handshakes in wren-netsim: under 20% loss with reordering, duplication and jitter,
//! on a path whose MTU forces both sides to fragment their flights; a certificate that is
//! not the announced one; a peer that never answers. Seeded, so each run is the same.
#![allow(clippy::disallowed_methods)] // the anchor of a virtual clock

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use wren_core::Transport;
use wren_dtls::endpoint::{Config, Endpoint, Event, Failure, Role};
use wren_dtls::identity::Identity;
use wren_netsim::{HostConfig, LinkConfig, Sim};

const CLIENT: &str = "192.0.2.1:5000";
const SERVER: &str = "198.51.100.1:6000";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn identities() -> &'static (Arc<Identity>, Arc<Identity>) {
    static IDS: OnceLock<(Arc<Identity>, Arc<Identity>)> = OnceLock::new();
    IDS.get_or_init(|| {
        (
            Arc::new(Identity::generate().unwrap()),
            Arc::new(Identity::generate().unwrap()),
        )
    })
}

struct Run {
    sim: Sim,
    client: wren_netsim::NodeId,
    server: wren_netsim::NodeId,
}

/// A client and a server on two hosts, the client's access link `link` (netsim applies a
/// host's link to what leaves and what enters it, so each direction crosses it once) and
/// the server's ideal but for the same MTU; the endpoints' MTU is what the link carries.
fn run(seed: u64, link: LinkConfig, tweak: impl Fn(&mut Config, &mut Config)) -> Run {
    let start = Instant::now();
    let mut sim = Sim::new(seed, start);
    let mtu = link.mtu - 28;
    let a = sim.add_host(HostConfig::public(addr(CLIENT).ip()).with_link(link));
    let b = sim.add_host(
        HostConfig::public(addr(SERVER).ip()).with_link(LinkConfig::ideal().with_mtu(link.mtu)),
    );
    let (c_id, s_id) = identities();
    let mut cc = Config::new(Role::Client { peer: addr(SERVER) }, Arc::clone(c_id));
    let mut sc = Config::new(Role::Server, Arc::clone(s_id));
    cc.peer_fingerprints = Some(vec![s_id.fingerprint().clone()]);
    sc.peer_fingerprints = Some(vec![c_id.fingerprint().clone()]);
    for c in [&mut cc, &mut sc] {
        c.mtu = mtu;
        c.retransmit_initial = Duration::from_millis(200);
        c.rng_seed = Some(sim.fork_seed());
    }
    tweak(&mut cc, &mut sc);
    let server = sim.add_machine(b, Endpoint::new(start, sc));
    sim.listen(server, addr(SERVER), Transport::Udp).unwrap();
    let client = sim.add_machine(a, Endpoint::new(start, cc));
    sim.listen(client, addr(CLIENT), Transport::Udp).unwrap();
    Run {
        sim,
        client,
        server,
    }
}

fn keys(events: &[Event]) -> Option<Vec<u8>> {
    events.iter().find_map(|e| match e {
        Event::Connected { srtp: Some(k), .. } => Some(k.material.clone()),
        _ => None,
    })
}

#[test]
fn handshakes_complete_under_loss_reordering_and_duplication_with_fragmented_flights() {
    // A certificate (about 400 bytes) does not fit one datagram: every flight with one is
    // cut in two or more.
    let link = LinkConfig::ideal()
        .with_delay(Duration::from_millis(20))
        .with_jitter(Duration::from_millis(10))
        .with_loss(0.2)
        .with_duplicate(0.05)
        .with_reorder(0.1, Duration::from_millis(30))
        .with_mtu(400);
    let mut dropped = 0;
    let mut slowest = Duration::ZERO;
    for seed in 0..30 {
        let mut r = run(seed, link, |_, _| {});
        let start = r.sim.now();
        let mut done = None;
        for _ in 0..300 {
            r.sim.run_for(Duration::from_millis(100));
            if r.sim.machine::<Endpoint>(r.client).is_connected()
                && r.sim.machine::<Endpoint>(r.server).is_connected()
            {
                done = Some(r.sim.now() - start);
                break;
            }
        }
        let (ce, se) = (
            r.sim.events::<Endpoint>(r.client),
            r.sim.events::<Endpoint>(r.server),
        );
        let took = done.unwrap_or_else(|| panic!("seed {seed}: client {ce:?} server {se:?}"));
        slowest = slowest.max(took);
        assert!(keys(&ce).is_some(), "seed {seed}");
        assert_eq!(keys(&ce), keys(&se), "seed {seed}");
        dropped += r.sim.stats().dropped_total();
    }
    assert!(dropped > 30, "the links lost packets: {dropped}");
    eprintln!("slowest handshake of 30 seeds: {slowest:?}, {dropped} packets lost in all");
}

#[test]
fn a_wrong_certificate_is_refused_and_a_silent_server_times_out() {
    let (c_id, s_id) = identities();
    let mut r = run(1, LinkConfig::ideal(), |c, _| {
        c.peer_fingerprints = Some(vec![c_id.fingerprint().clone()]);
    });
    r.sim.run_for(Duration::from_secs(5));
    let ce = r.sim.events::<Endpoint>(r.client);
    assert!(ce.contains(&Event::Failed(Failure::FingerprintMismatch {
        expected: vec![c_id.fingerprint().clone()],
        got: s_id.fingerprint().clone(),
    })));
    assert!(!r.sim.machine::<Endpoint>(r.server).is_connected());

    // The client calls a port where nothing listens.
    let mut r = run(2, LinkConfig::ideal(), |c, _| {
        c.role = Role::Client {
            peer: addr("198.51.100.1:6001"),
        };
    });
    r.sim.run_for(Duration::from_secs(40));
    // 200 ms doubling: sent at 0, 0.2, 0.6, 1.4, 3, 6.2, 12.6 and 25.4 s; the deadline at 30.
    assert_eq!(
        r.sim.events::<Endpoint>(r.client),
        [Event::Failed(Failure::HandshakeTimeout {
            flight: 1,
            transmissions: 8
        })]
    );
}
