//! Two peers on wren-netsim's deterministic network: ICE connects, DTLS runs in the roles
//! given and checks each certificate against its announced fingerprint, SRTP is keyed from
//! the exporter, and RTP and RTCP go both ways protected. A fingerprint that is not the
//! certificate's fails DTLS with that reason.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wren_core::Machine;
use wren_dtls::identity::Identity;
use wren_netsim::{HostConfig, NodeId, Sim};
use wren_rtc::{Command, Config, DtlsFailure, DtlsRole, DtlsState, Event, Peer, RemoteParameters};

struct Call {
    sim: Sim,
    a: NodeId,
    b: NodeId,
    /// Everything each reported, in order.
    seen: [Vec<Event>; 2],
}

fn peer(sim: &mut Sim, ip: &str, ice: wren_ice::Role, dtls: DtlsRole) -> NodeId {
    let host = sim.add_host(HostConfig::public(ip.parse().unwrap()));
    let identity = Arc::new(Identity::generate().unwrap());
    let mut config = Config::new(ice, dtls, vec![ip.parse().unwrap()], identity);
    config.rng_seed = Some(sim.fork_seed());
    let now = sim.now();
    sim.add_machine(host, Peer::new(now, config))
}

impl Call {
    /// Two peers that told each other their parameters (`tamper` changes B's view of A's).
    fn new(seed: u64, tamper: impl FnOnce(&mut RemoteParameters)) -> Call {
        #[allow(clippy::disallowed_methods)] // the anchor of the virtual clock
        let mut sim = Sim::new(seed, Instant::now());
        let a = peer(
            &mut sim,
            "10.0.0.1",
            wren_ice::Role::Controlling,
            DtlsRole::Client,
        );
        let b = peer(
            &mut sim,
            "10.0.0.2",
            wren_ice::Role::Controlled,
            DtlsRole::Server,
        );
        let pa = sim.with(a, |p: &mut Peer, _| p.local_parameters());
        let pb = sim.with(b, |p: &mut Peer, _| p.local_parameters());
        let remote = |l: wren_rtc::LocalParameters| RemoteParameters {
            credentials: l.credentials,
            fingerprints: vec![l.fingerprint],
            dtls_role: l.dtls_role,
        };
        let mut a_for_b = remote(pa);
        tamper(&mut a_for_b);
        sim.with(a, |p: &mut Peer, now| p.set_remote(now, remote(pb)))
            .unwrap();
        sim.with(b, |p: &mut Peer, now| p.set_remote(now, a_for_b))
            .unwrap();
        Call {
            sim,
            a,
            b,
            seen: [Vec::new(), Vec::new()],
        }
    }

    /// Runs until `done` or `limit`, trickling each side's candidates to the other.
    fn run_until(&mut self, limit: Duration, done: impl Fn(&Call) -> bool) {
        let end = self.sim.now() + limit;
        while !done(self) && self.sim.now() < end {
            self.sim.run_for(Duration::from_millis(5));
            for (i, (from, to)) in [(self.a, self.b), (self.b, self.a)].into_iter().enumerate() {
                for e in self.sim.events::<Peer>(from) {
                    if let Event::LocalCandidate(c) = &e {
                        let c = c.clone();
                        self.sim
                            .with(to, |p: &mut Peer, now| p.add_remote_candidate(now, c))
                            .unwrap();
                    }
                    self.seen[i].push(e);
                }
            }
        }
    }

    fn connected(&self, i: usize) -> bool {
        self.seen[i]
            .iter()
            .any(|e| matches!(e, Event::Connected { .. }))
    }
}

fn rtp(seq: u16, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, 96];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq) * 3000).to_be_bytes());
    p.extend_from_slice(&0x1234_5678u32.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

#[test]
fn two_peers_connect_and_exchange_srtp_both_ways() {
    let mut call = Call::new(1, |_| {});
    call.run_until(Duration::from_secs(10), |c| {
        c.connected(0) && c.connected(1)
    });
    assert!(call.connected(0) && call.connected(1), "{:#?}", call.seen);
    for (node, role) in [
        (call.a, DtlsState::Connected),
        (call.b, DtlsState::Connected),
    ] {
        assert_eq!(call.sim.with(node, |p: &mut Peer, _| p.dtls_state()), role);
    }
    // The states in order on each side: ICE connected before DTLS.
    for seen in &call.seen {
        let ice = seen
            .iter()
            .position(|e| matches!(e, Event::IceState(wren_ice::ConnectionState::Connected)));
        let dtls = seen
            .iter()
            .position(|e| matches!(e, Event::Connected { .. }));
        assert!(ice.is_some() && ice < dtls, "{seen:#?}");
    }
    // RTP both ways, and RTCP: each arrives unprotected, as sent.
    let (a, b) = (call.a, call.b);
    let sent: Vec<Vec<u8>> = (1..=20).map(|i| rtp(i, &[i as u8; 100])).collect();
    for p in &sent {
        let p = p.clone();
        call.sim
            .with(a, |peer: &mut Peer, now| {
                peer.handle_command(now, Command::SendRtp(p))
            })
            .unwrap();
    }
    let back = rtp(7, b"from b");
    call.sim
        .with(b, |peer: &mut Peer, now| {
            peer.handle_command(now, Command::SendRtp(back.clone()))
        })
        .unwrap();
    // An RTCP receiver report (RFC 3550 section 6.4.2), empty.
    let rr = vec![0x80, 201, 0, 1, 0xde, 0xad, 0xbe, 0xef];
    call.sim
        .with(b, |peer: &mut Peer, now| {
            peer.handle_command(now, Command::SendRtcp(rr.clone()))
        })
        .unwrap();
    call.sim.run_for(Duration::from_millis(100));
    let got_b: Vec<Vec<u8>> = call
        .sim
        .events::<Peer>(b)
        .into_iter()
        .filter_map(|e| match e {
            Event::Rtp(p) => Some(p),
            _ => None,
        })
        .collect();
    assert_eq!(got_b, sent);
    let got_a = call.sim.events::<Peer>(a);
    assert!(got_a.contains(&Event::Rtp(back)), "{got_a:?}");
    assert!(got_a.contains(&Event::Rtcp(rr)), "{got_a:?}");
    let stats = call.sim.with(b, |p: &mut Peer, _| p.stats());
    assert_eq!(
        (stats.rtp_received, stats.rtp_sent, stats.rtcp_sent),
        (20, 1, 1)
    );
    assert_eq!(stats.srtp_dropped, 0);
}

#[test]
fn a_certificate_that_is_not_the_announced_one_fails_dtls_with_that_reason() {
    let other = Identity::generate().unwrap();
    let wrong = other.fingerprint().clone();
    let mut call = Call::new(2, |r| r.fingerprints = vec![wrong.clone()]);
    call.run_until(Duration::from_secs(10), |c| {
        c.seen[1].iter().any(|e| matches!(e, Event::DtlsFailed(_)))
    });
    let failure = call.seen[1].iter().find_map(|e| match e {
        Event::DtlsFailed(f) => Some(f.clone()),
        _ => None,
    });
    match failure {
        Some(DtlsFailure::Handshake(wren_dtls::endpoint::Failure::FingerprintMismatch {
            expected,
            ..
        })) => assert_eq!(expected, vec![wrong]),
        other => panic!("{other:?}\n{:#?}", call.seen[1]),
    }
    assert!(!call.connected(1));
    assert_eq!(
        call.sim.with(call.b, |p: &mut Peer, _| p.dtls_state()),
        DtlsState::Failed
    );
    // Media cannot be sent on it.
    let mut buf = Vec::new();
    let r = call.sim.with(call.b, |p: &mut Peer, now| {
        p.send_rtp_into(now, &rtp(1, b"x"), &mut buf)
    });
    assert_eq!(r, Err(wren_rtc::SendError::NotConnected));
}

#[test]
fn misuse_is_refused_with_its_reason() {
    #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
    let now = Instant::now();
    let identity = Arc::new(Identity::generate().unwrap());
    let config = Config::new(
        wren_ice::Role::Controlling,
        DtlsRole::Client,
        vec!["10.0.0.1".parse().unwrap()],
        identity.clone(),
    );
    let mut peer = Peer::new(now, config);
    let mut remote = RemoteParameters {
        credentials: wren_ice::Credentials {
            ufrag: "abcd".into(),
            pwd: "0123456789012345678901".into(),
        },
        fingerprints: vec![identity.fingerprint().clone()],
        dtls_role: DtlsRole::Client,
    };
    assert_eq!(
        peer.set_remote(now, remote.clone()),
        Err(wren_rtc::Error::SameDtlsRole(DtlsRole::Client))
    );
    remote.dtls_role = DtlsRole::Server;
    let none = RemoteParameters {
        fingerprints: Vec::new(),
        ..remote.clone()
    };
    assert_eq!(
        peer.set_remote(now, none),
        Err(wren_rtc::Error::NoFingerprint)
    );
    peer.set_remote(now, remote.clone()).unwrap();
    assert_eq!(
        peer.set_remote(now, remote),
        Err(wren_rtc::Error::RemoteAlreadySet)
    );
    let mut buf = Vec::new();
    assert_eq!(
        peer.send_rtp_into(now, &rtp(1, b"x"), &mut buf),
        Err(wren_rtc::SendError::NotConnected)
    );
    assert_eq!(
        peer.send_rtp_into(now, b"\x16hello", &mut buf),
        Err(wren_rtc::SendError::NotRtp)
    );
    peer.close(now);
    assert_eq!(
        peer.send_rtp_into(now, &rtp(1, b"x"), &mut buf),
        Err(wren_rtc::SendError::Closed)
    );
    assert!(buf.is_empty());
}
