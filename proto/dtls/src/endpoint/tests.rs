//! Two endpoints in memory: the handshake both ways, under loss, with the wrong
//! certificate, and against a silent peer.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use wren_core::{Datagram, Machine};

use super::*;
use crate::identity::Identity;

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

const CLIENT: &str = "10.0.0.1:5000";
const SERVER: &str = "10.0.0.2:6000";

/// Two identities, made once (rcgen and ring take a moment).
fn identities() -> &'static (Arc<Identity>, Arc<Identity>) {
    static IDS: OnceLock<(Arc<Identity>, Arc<Identity>)> = OnceLock::new();
    IDS.get_or_init(|| {
        (
            Arc::new(Identity::generate().unwrap()),
            Arc::new(Identity::generate().unwrap()),
        )
    })
}

#[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
fn t0() -> Instant {
    Instant::now()
}

struct Pair {
    client: Endpoint,
    server: Endpoint,
    now: Instant,
    client_events: Vec<Event>,
    server_events: Vec<Event>,
    /// Datagrams carried each way.
    carried: usize,
}

impl Pair {
    fn new(tweak: impl Fn(&mut Config, &mut Config)) -> Pair {
        let (c_id, s_id) = identities();
        let now = t0();
        let mut c = Config::new(Role::Client { peer: addr(SERVER) }, Arc::clone(c_id));
        let mut s = Config::new(Role::Server, Arc::clone(s_id));
        c.peer_fingerprints = Some(vec![s_id.fingerprint().clone()]);
        s.peer_fingerprints = Some(vec![c_id.fingerprint().clone()]);
        c.rng_seed = Some([1; 32]);
        s.rng_seed = Some([2; 32]);
        tweak(&mut c, &mut s);
        Pair {
            client: Endpoint::new(now, c),
            server: Endpoint::new(now, s),
            now,
            client_events: Vec::new(),
            server_events: Vec::new(),
            carried: 0,
        }
    }

    /// Carries datagrams both ways until quiet, `drop(n)` deciding for the n-th whether
    /// it is lost; runs timers when nothing is in flight. Stops after `limit` of time.
    fn run(&mut self, limit: Duration, mut lose: impl FnMut(usize) -> bool) {
        let end = self.now + limit;
        let mut buf = Vec::new();
        loop {
            let mut moved = false;
            while let Some(t) = self.client.poll_transmit(self.now, &mut buf) {
                assert_eq!(t.destination, addr(SERVER));
                self.carried += 1;
                moved = true;
                if !lose(self.carried) {
                    self.server
                        .handle_datagram(self.now, Datagram::udp(addr(CLIENT), addr(SERVER), &buf));
                }
            }
            while let Some(t) = self.server.poll_transmit(self.now, &mut buf) {
                assert_eq!(t.destination, addr(CLIENT));
                self.carried += 1;
                moved = true;
                if !lose(self.carried) {
                    self.client
                        .handle_datagram(self.now, Datagram::udp(addr(SERVER), addr(CLIENT), &buf));
                }
            }
            self.client_events
                .extend(std::iter::from_fn(|| self.client.poll_event()));
            self.server_events
                .extend(std::iter::from_fn(|| self.server.poll_event()));
            if moved {
                continue;
            }
            let next = [self.client.poll_timeout(), self.server.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            match next {
                Some(t) if t <= end => {
                    self.now = self.now.max(t);
                    self.client.handle_timeout(self.now);
                    self.server.handle_timeout(self.now);
                }
                _ => return,
            }
        }
    }

    fn connected(events: &[Event]) -> Option<&Event> {
        events.iter().find(|e| matches!(e, Event::Connected { .. }))
    }
}

fn srtp_of(e: Option<&Event>) -> Option<SrtpKeys> {
    match e {
        Some(Event::Connected { srtp, .. }) => srtp.clone(),
        _ => None,
    }
}

#[test]
fn client_and_server_connect_agree_on_srtp_keys_and_carry_data() {
    for cookie in [true, false] {
        let mut p = Pair::new(|_, s| s.cookie = cookie);
        p.run(Duration::from_secs(5), |_| false);
        assert!(
            p.client.is_connected() && p.server.is_connected(),
            "cookie {cookie}"
        );
        let (c, s) = (
            srtp_of(Pair::connected(&p.client_events)).unwrap(),
            srtp_of(Pair::connected(&p.server_events)).unwrap(),
        );
        assert_eq!(c, s);
        assert_eq!(c.profile, SrtpProfileId::SRTP_AEAD_AES_128_GCM);
        assert_eq!(c.material.len(), 56);
        let (ids_c, ids_s) = identities();
        assert!(matches!(
            Pair::connected(&p.client_events),
            Some(Event::Connected { peer_fingerprint, suite, .. })
                if peer_fingerprint == ids_s.fingerprint()
                    && *suite == crate::codes::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
        ));
        assert!(matches!(
            Pair::connected(&p.server_events),
            Some(Event::Connected { peer_fingerprint, .. }) if peer_fingerprint == ids_c.fingerprint()
        ));
        assert_eq!(
            p.client.export(b"EXTRACTOR-dtls_srtp", 56),
            p.server.export(b"EXTRACTOR-dtls_srtp", 56)
        );

        p.client.send(p.now, b"hello server").unwrap();
        p.server.send(p.now, b"hello client").unwrap();
        p.run(Duration::from_secs(1), |_| false);
        assert!(
            p.server_events
                .contains(&Event::Data(b"hello server".to_vec()))
        );
        assert!(
            p.client_events
                .contains(&Event::Data(b"hello client".to_vec()))
        );

        p.client.close(p.now);
        p.run(Duration::from_secs(1), |_| false);
        assert_eq!(p.server_events.last(), Some(&Event::Closed));
        assert_eq!(p.server.send(p.now, b"late"), Err(Error::Closed));
    }
}

#[test]
fn each_srtp_profile_and_the_aes_256_suite_are_negotiated_by_preference() {
    for profile in crate::suite::SRTP_PROFILES {
        let mut p = Pair::new(|c, _| c.srtp_profiles = vec![profile]);
        p.run(Duration::from_secs(5), |_| false);
        let keys = srtp_of(Pair::connected(&p.server_events)).unwrap();
        assert_eq!(keys.profile, profile);
        let (k, s) = srtp_key_salt_len(profile).unwrap();
        assert_eq!(keys.material.len(), 2 * (k + s));
        assert_eq!(Some(keys), srtp_of(Pair::connected(&p.client_events)));
    }
    // A server without use_srtp: the client, which asked for it, gives up.
    let mut p = Pair::new(|_, s| s.srtp_profiles = Vec::new());
    p.run(Duration::from_secs(5), |_| false);
    assert!(
        p.client_events
            .contains(&Event::Failed(Failure::NoCommonSrtpProfile {
                offered: Vec::new()
            }))
    );
    assert!(p.server_events.contains(&Event::Failed(Failure::PeerAlert(
        AlertDescription::HANDSHAKE_FAILURE
    ))));
    // A client offering only what the server does not accept: the server says which.
    let mut p = Pair::new(|c, s| {
        c.srtp_profiles = vec![SrtpProfileId::SRTP_AES128_CM_HMAC_SHA1_32];
        s.srtp_profiles = vec![SrtpProfileId::SRTP_AEAD_AES_128_GCM];
    });
    p.run(Duration::from_secs(5), |_| false);
    assert!(
        p.server_events
            .contains(&Event::Failed(Failure::NoCommonSrtpProfile {
                offered: vec![SrtpProfileId::SRTP_AES128_CM_HMAC_SHA1_32]
            }))
    );
    assert!(p.client_events.contains(&Event::Failed(Failure::PeerAlert(
        AlertDescription::HANDSHAKE_FAILURE
    ))));
}

#[test]
fn the_handshake_completes_under_loss_with_a_small_mtu() {
    for seed in 0..50u64 {
        let mut p = Pair::new(|c, s| {
            c.mtu = 300;
            s.mtu = 300;
            c.retransmit_initial = Duration::from_millis(100);
            s.retransmit_initial = Duration::from_millis(100);
        });
        // Lose one datagram in four, independently (splitmix64 of the seed and the
        // datagram's number).
        p.run(Duration::from_secs(29), |n| {
            let mut z = (seed << 32 | n as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            (z ^ (z >> 31)) % 4 == 0
        });
        assert!(
            p.client.is_connected() && p.server.is_connected(),
            "seed {seed}: client {:?} server {:?}",
            p.client_events,
            p.server_events
        );
        assert_eq!(
            srtp_of(Pair::connected(&p.client_events)),
            srtp_of(Pair::connected(&p.server_events))
        );
    }
}

#[test]
fn a_certificate_that_is_not_the_announced_one_is_refused_naming_both() {
    let (c_id, _) = identities();
    let mut p = Pair::new(|c, _| {
        // The client expects the server to present the client's own certificate.
        c.peer_fingerprints = Some(vec![c_id.fingerprint().clone()]);
    });
    p.run(Duration::from_secs(5), |_| false);
    let failed = p
        .client_events
        .iter()
        .find_map(|e| match e {
            Event::Failed(f) => Some(f.clone()),
            _ => None,
        })
        .unwrap();
    let (_, s_id) = identities();
    assert_eq!(
        failed,
        Failure::FingerprintMismatch {
            expected: vec![c_id.fingerprint().clone()],
            got: s_id.fingerprint().clone(),
        }
    );
    assert!(!p.client.is_connected() && !p.server.is_connected());
    assert!(
        p.server_events.contains(&Event::Failed(Failure::PeerAlert(
            AlertDescription::BAD_CERTIFICATE
        ))),
        "{:?}",
        p.server_events
    );
}

#[test]
fn a_silent_peer_fails_the_handshake_at_its_deadline_after_backed_off_retransmissions() {
    let mut p = Pair::new(|c, _| c.handshake_timeout = Duration::from_secs(30));
    let start = p.now;
    p.run(Duration::from_secs(60), |_| true);
    let failed = p.client_events.iter().find_map(|e| match e {
        Event::Failed(f) => Some(f.clone()),
        _ => None,
    });
    // 1 s doubling: sent at 0, 1, 3, 7, 15 s; the deadline at 30 s.
    assert_eq!(
        failed,
        Some(Failure::HandshakeTimeout {
            flight: 1,
            transmissions: 5
        })
    );
    assert_eq!(p.now, start + Duration::from_secs(30));
    assert_eq!(p.client.poll_timeout(), None);
}
