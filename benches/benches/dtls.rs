//! Full DTLS 1.2 handshakes per second, client and server in memory (each datagram handed
//! from one to the other as it comes out: no socket, no loss): wren-dtls beside
//! `webrtc-dtls` 0.17 (webrtc-rs's async crate, over an in-memory `Conn` pipe on a
//! current-thread tokio runtime), `dimpl` 0.9 (str0m's sans-IO DTLS, RustCrypto backend)
//! and `rtc-dtls` 0.21 (webrtc-rs's sans-IO crate).
//!
//! Every handshake is what a WebRTC call does: ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
//! ECDHE on X25519 (but see below), ECDSA P-256 certificates on both sides (the server
//! asks for the client's), extended_master_secret, the server's HelloVerifyRequest cookie
//! (webrtc-rs always sends one), use_srtp offered and chosen (SRTP_AEAD_AES_256_GCM: the one profile dimpl's
//! server picks when all are offered, so every row negotiates the same), and each side
//! checking the other's certificate against its announced SHA-256 fingerprint (RFC 8122;
//! wren-dtls through `Config::peer_fingerprints`, the peers in the callback or on the
//! event they give, with `Fingerprint::matches` for all). The certificates are made once
//! outside the timed part, as an endpoint does at start; each timed handshake creates both
//! endpoints, runs the flights to the end on both sides and takes the SRTP keying material.
//!
//! The group: wren-dtls offers X25519 first and dimpl is set to it; the webrtc-rs clients
//! offer P-256 first in a list no setting changes (webrtc-dtls `flight1.rs`, rtc-dtls's
//! config), and their servers take the client's first, so those two rows run ECDHE on P-256
//! (webrtc-dtls with RustCrypto's `p256`, rtc-dtls with ring), as they ship.
//!
//! After criterion's rows a paired run takes one handshake of each in turn (skipped with
//! `--profile-time`, so that `perf record` of one row sees only that row).
//!
//! `cargo bench -p wren-benches --bench dtls` prints handshakes per second and the ratios
//! (wren-dtls / each peer) and writes them to `<target>/dtls.md`.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::Criterion;
use wren_benches::criterion_report::{median, publish};
use wren_core::{Datagram, Machine};
use wren_dtls::codes::{CipherSuite, SrtpProfileId};
use wren_dtls::endpoint::{Config, Endpoint, Event, Role};
use wren_dtls::fingerprint::{Fingerprint, HashFunction};
use wren_dtls::identity::Identity;

const GROUP: &str = "dtls_handshake";

/// The client's and the server's addresses.
const ADDRS: [SocketAddr; 2] = [
    SocketAddr::new(
        std::net::IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1)),
        5000,
    ),
    SocketAddr::new(
        std::net::IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2)),
        6000,
    ),
];

/// The rows, in the report's order.
const ROWS: [&str; 4] = ["wren-dtls", "webrtc-dtls", "dimpl", "rtc-dtls"];

/// A self-signed ECDSA P-256 certificate and its PKCS#8 key (DER), made with rcgen.
struct Cert {
    der: Vec<u8>,
    pkcs8: Vec<u8>,
    fingerprint: Fingerprint,
}

impl Cert {
    fn generate() -> Cert {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let params = rcgen::CertificateParams::new(vec!["wren-bench".to_owned()]).unwrap();
        let der = params.self_signed(&key).unwrap().der().to_vec();
        let fingerprint = Fingerprint::of(HashFunction::Sha256, &der);
        Cert {
            der,
            pkcs8: key.serialize_der(),
            fingerprint,
        }
    }
}

/// wren-dtls: two endpoints, every transmit handed to the other side at once.
mod wren {
    use super::*;

    pub(crate) struct Side {
        pub(crate) identity: Arc<Identity>,
        pub(crate) fingerprint: Fingerprint,
    }

    pub(crate) fn side(cert: &Cert) -> Side {
        let identity = Identity::from_der(cert.der.clone(), &cert.pkcs8).unwrap();
        Side {
            identity: Arc::new(identity),
            fingerprint: cert.fingerprint.clone(),
        }
    }

    fn config(role: Role, ours: &Side, peer: &Side) -> Config {
        let mut c = Config::new(role, Arc::clone(&ours.identity));
        c.peer_fingerprints = Some(vec![peer.fingerprint.clone()]);
        c.srtp_profiles = vec![SrtpProfileId::SRTP_AEAD_AES_256_GCM];
        c.cookie = true;
        c
    }

    /// One handshake; returns both sides' SRTP keying material.
    pub(crate) fn handshake(client: &Side, server: &Side, buf: &mut Vec<u8>) -> [Vec<u8>; 2] {
        let addrs = ADDRS;
        let now = Instant::now();
        let mut eps = [
            Endpoint::new(now, config(Role::Client { peer: addrs[1] }, client, server)),
            Endpoint::new(now, config(Role::Server, server, client)),
        ];
        let mut keys: [Option<Vec<u8>>; 2] = [None, None];
        for _ in 0..16 {
            for i in 0..2 {
                while eps[i].poll_transmit(now, buf).is_some() {
                    let d = Datagram::udp(addrs[i], addrs[1 - i], buf);
                    eps[1 - i].handle_datagram(now, d);
                }
            }
            for i in 0..2 {
                while let Some(e) = eps[i].poll_event() {
                    match e {
                        Event::Connected { suite, srtp, .. } => {
                            assert_eq!(suite, CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
                            let srtp = srtp.expect("use_srtp negotiated");
                            assert_eq!(srtp.profile, SrtpProfileId::SRTP_AEAD_AES_256_GCM);
                            keys[i] = Some(srtp.material);
                        }
                        e => panic!("wren-dtls: {e:?}"),
                    }
                }
            }
            if let [Some(a), Some(b)] = &keys {
                return [a.clone(), b.clone()];
            }
        }
        panic!("wren-dtls: no handshake");
    }
}

/// webrtc-dtls: `DTLSConn::new` on each end of webrtc-util's in-memory pipe (what its own
/// tests use), the server spawned, the client awaited, on a current-thread runtime.
mod webrtc {
    use super::*;
    use ring::signature::EcdsaKeyPair;
    use webrtc_dtls::cipher_suite::CipherSuiteId;
    use webrtc_dtls::config::{ClientAuthType, Config, ExtendedMasterSecretType};
    use webrtc_dtls::conn::DTLSConn;
    use webrtc_dtls::crypto::{Certificate, CryptoPrivateKey, CryptoPrivateKeyKind};
    use webrtc_dtls::extension::extension_use_srtp::SrtpProtectionProfile;
    use webrtc_dtls::signature_hash_algorithm::SignatureScheme;
    use webrtc_util::KeyingMaterialExporter;

    pub(crate) fn certificate(cert: &Cert) -> Certificate {
        let alg = &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING;
        let rng = ring::rand::SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(alg, &cert.pkcs8, &rng).unwrap();
        Certificate {
            certificate: vec![cert.der.clone().into()],
            private_key: CryptoPrivateKey {
                kind: CryptoPrivateKeyKind::Ecdsa256(key),
                serialized_der: cert.pkcs8.clone(),
            },
        }
    }

    /// A config of one side (made outside the timed part: it holds the certificate by
    /// value, and cloning one re-parses its key).
    pub(crate) fn config(ours: &Certificate, peer: &Fingerprint) -> Config {
        let peer = peer.clone();
        Config {
            certificates: vec![ours.clone()],
            cipher_suites: vec![CipherSuiteId::Tls_Ecdhe_Ecdsa_With_Aes_128_Gcm_Sha256],
            signature_schemes: vec![SignatureScheme::EcdsaWithP256AndSha256],
            srtp_protection_profiles: vec![SrtpProtectionProfile::Srtp_Aead_Aes_256_Gcm],
            client_auth: ClientAuthType::RequireAnyClientCert,
            extended_master_secret: ExtendedMasterSecretType::Require,
            // No CA chain in WebRTC: the fingerprint is the check.
            insecure_skip_verify: true,
            verify_peer_certificate: Some(Arc::new(move |certs, _| match certs.first() {
                Some(der) if peer.matches(der) => Ok(()),
                _ => Err(webrtc_dtls::Error::ErrNoCertificates),
            })),
            ..Default::default()
        }
    }

    /// One handshake from two configs; returns the two connections (to close outside the
    /// timed part) and both sides' SRTP keying material.
    pub(crate) async fn handshake(client: Config, server: Config) -> ([DTLSConn; 2], [Vec<u8>; 2]) {
        let (a, b) = webrtc_util::conn::conn_pipe::pipe();
        let server = tokio::spawn(DTLSConn::new(Arc::new(b), server, false, None));
        let client = DTLSConn::new(Arc::new(a), client, true, None)
            .await
            .unwrap();
        let server = server.await.unwrap().unwrap();
        let mut keys = [Vec::new(), Vec::new()];
        for (conn, key) in [&client, &server].into_iter().zip(&mut keys) {
            assert_eq!(
                conn.selected_srtpprotection_profile(),
                SrtpProtectionProfile::Srtp_Aead_Aes_256_Gcm
            );
            let state = conn.connection_state().await;
            *key = KeyingMaterialExporter::export_keying_material(
                &state,
                "EXTRACTOR-dtls_srtp",
                &[],
                88,
            )
            .await
            .unwrap();
        }
        ([client, server], keys)
    }
}

/// dimpl: two `Dtls` (DTLS 1.2), each `poll_output` drained and its packets handed to the
/// other; the peer certificate it reports is checked against the fingerprint.
mod dimpl_peer {
    use super::*;
    use dimpl::{Config, Dtls, DtlsCertificate, NamedGroup, Output, SrtpProfile};

    pub(crate) fn config() -> Arc<Config> {
        Arc::new(
            Config::builder()
                .dtls12_cipher_suites(&[
                    dimpl::crypto::Dtls12CipherSuite::ECDHE_ECDSA_AES128_GCM_SHA256,
                ])
                .kx_groups(&[NamedGroup::X25519])
                .require_client_certificate(true)
                .use_server_cookie(true)
                .build()
                .unwrap(),
        )
    }

    pub(crate) fn certificate(cert: &Cert) -> DtlsCertificate {
        DtlsCertificate {
            certificate: cert.der.clone(),
            private_key: cert.pkcs8.clone(),
        }
    }

    /// One handshake; returns both sides' SRTP keying material.
    pub(crate) fn handshake(
        config: &Arc<Config>,
        certs: [&DtlsCertificate; 2],
        fingerprints: [&Fingerprint; 2],
        buf: &mut [u8],
    ) -> [Vec<u8>; 2] {
        let now = Instant::now();
        let mut eps = [
            Dtls::new_12(Arc::clone(config), certs[0].clone(), now),
            Dtls::new_12(Arc::clone(config), certs[1].clone(), now),
        ];
        eps[0].set_active(true);
        // dimpl draws its randoms and arms its first flight on the first timeout.
        for ep in &mut eps {
            ep.handle_timeout(now).unwrap();
        }
        let mut keys: [Option<Vec<u8>>; 2] = [None, None];
        let mut connected = [false; 2];
        let mut packets: Vec<Vec<u8>> = Vec::new();
        for _ in 0..16 {
            for i in 0..2 {
                loop {
                    match eps[i].poll_output(buf) {
                        Output::Packet(p) => packets.push(p.to_vec()),
                        Output::Timeout(_) => break,
                        Output::Connected => connected[i] = true,
                        // The peer's fingerprint was announced by it.
                        Output::PeerCert(der) => assert!(fingerprints[1 - i].matches(der)),
                        Output::KeyingMaterial(km, profile) => {
                            assert_eq!(profile, SrtpProfile::AEAD_AES_256_GCM);
                            keys[i] = Some(km.to_vec());
                        }
                        o => panic!("dimpl: {o:?}"),
                    }
                }
                for p in packets.drain(..) {
                    eps[1 - i].handle_packet(&p).unwrap();
                }
            }
            if let ([true, true], [Some(a), Some(b)]) = (connected, &keys) {
                return [a.clone(), b.clone()];
            }
        }
        panic!("dimpl: no handshake");
    }
}

/// rtc-dtls: two `Endpoint`s (a client that connects, a server that accepts), every
/// transmit read by the other side at once; the certificate checked in the callback.
mod rtc {
    use super::*;
    use rtc_dtls::cipher_suite::CipherSuiteId;
    use rtc_dtls::config::{
        ClientAuthType, ConfigBuilder, ExtendedMasterSecretType, HandshakeConfig,
    };
    use rtc_dtls::crypto::{Certificate, CryptoPrivateKey};
    use rtc_dtls::crypto_provider::{RTCCryptoProvider, SignatureScheme as KeyScheme};
    use rtc_dtls::endpoint::{Endpoint, EndpointEvent};
    use rtc_dtls::extension::extension_use_srtp::SrtpProtectionProfile;
    use rtc_dtls::signature_hash_algorithm::SignatureScheme;
    use rtc_shared::TransportProtocol;

    pub(crate) fn provider() -> Arc<dyn RTCCryptoProvider> {
        rtc_dtls::crypto_provider::default_provider().unwrap()
    }

    pub(crate) fn certificate(cert: &Cert, provider: &Arc<dyn RTCCryptoProvider>) -> Certificate {
        let key = provider
            .crypto()
            .import_signing_key(KeyScheme::EcdsaP256Sha256, &cert.pkcs8)
            .unwrap();
        Certificate {
            certificate: vec![cert.der.clone().into()],
            private_key: CryptoPrivateKey::from_signing_key(key),
        }
    }

    /// A config of one side (made outside the timed part, as webrtc-dtls's).
    pub(crate) fn config(
        provider: &Arc<dyn RTCCryptoProvider>,
        ours: &Certificate,
        peer: &Fingerprint,
        client: bool,
    ) -> Arc<HandshakeConfig> {
        let peer = peer.clone();
        let c = ConfigBuilder::default()
            .with_crypto_provider(Arc::clone(provider))
            .with_certificates(vec![ours.clone()])
            .with_cipher_suites(vec![CipherSuiteId::Tls_Ecdhe_Ecdsa_With_Aes_128_Gcm_Sha256])
            .with_signature_schemes(vec![SignatureScheme::EcdsaWithP256AndSha256])
            .with_srtp_protection_profiles(vec![SrtpProtectionProfile::Srtp_Aead_Aes_256_Gcm])
            .with_client_auth(ClientAuthType::RequireAnyClientCert)
            .with_extended_master_secret(ExtendedMasterSecretType::Require)
            .with_insecure_skip_verify(true)
            .with_verify_peer_certificate(Some(Arc::new(move |certs, _| match certs.first() {
                Some(der) if peer.matches(der) => Ok(()),
                _ => Err(rtc_shared::error::Error::ErrNoCertificates),
            })));
        let remote = if client { Some(ADDRS[1]) } else { None };
        Arc::new(c.build(client, remote).unwrap())
    }

    /// One handshake; returns both sides' SRTP keying material.
    pub(crate) fn handshake(
        client: Arc<HandshakeConfig>,
        server: Arc<HandshakeConfig>,
    ) -> [Vec<u8>; 2] {
        let now = Instant::now();
        let mut eps = [
            Endpoint::new(ADDRS[0], TransportProtocol::UDP, None),
            Endpoint::new(ADDRS[1], TransportProtocol::UDP, Some(server)),
        ];
        eps[0].connect(now, ADDRS[1], client, None).unwrap();
        let mut done = [false; 2];
        for _ in 0..16 {
            for i in 0..2 {
                while let Some(t) = eps[i].poll_transmit() {
                    for e in eps[1 - i].read(now, ADDRS[i], None, t.message).unwrap() {
                        match e {
                            EndpointEvent::HandshakeComplete => done[1 - i] = true,
                            _ => panic!("rtc-dtls: an event other than HandshakeComplete"),
                        }
                    }
                }
            }
            if done == [true, true] {
                return [0, 1].map(|i| {
                    let state = eps[i].get_connection_state(ADDRS[1 - i]).unwrap();
                    assert_eq!(
                        state.srtp_protection_profile(),
                        SrtpProtectionProfile::Srtp_Aead_Aes_256_Gcm
                    );
                    state
                        .export_keying_material("EXTRACTOR-dtls_srtp", &[], 88)
                        .unwrap()
                        .into_bytes()
                });
            }
        }
        panic!("rtc-dtls: no handshake");
    }
}

/// Both ends of one handshake agree on 88 bytes of SRTP keying material (two 32-byte keys
/// and two 12-byte salts of SRTP_AEAD_AES_256_GCM).
fn agreed(keys: [Vec<u8>; 2]) {
    assert_eq!(keys[0].len(), 88);
    assert_eq!(keys[0], keys[1], "the two sides' SRTP keys differ");
}

/// Every implementation, ready to run handshakes: certificates (and webrtc-rs's crypto
/// provider and runtime) made once.
struct Peers {
    certs: [Cert; 2],
    wren: [wren::Side; 2],
    buf: Vec<u8>,
    rt: tokio::runtime::Runtime,
    webrtc: [webrtc_dtls::crypto::Certificate; 2],
    dimpl_config: Arc<dimpl::Config>,
    dimpl: [dimpl::DtlsCertificate; 2],
    dimpl_buf: Vec<u8>,
    rtc_provider: Arc<dyn rtc_dtls::crypto_provider::RTCCryptoProvider>,
    rtc: [rtc_dtls::crypto::Certificate; 2],
}

impl Peers {
    fn new() -> Peers {
        let certs = [Cert::generate(), Cert::generate()];
        let rtc_provider = rtc::provider();
        Peers {
            wren: [wren::side(&certs[0]), wren::side(&certs[1])],
            buf: Vec::with_capacity(1500),
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            webrtc: [
                webrtc::certificate(&certs[0]),
                webrtc::certificate(&certs[1]),
            ],
            dimpl_config: dimpl_peer::config(),
            dimpl: [
                dimpl_peer::certificate(&certs[0]),
                dimpl_peer::certificate(&certs[1]),
            ],
            dimpl_buf: vec![0u8; 2048],
            rtc: [
                rtc::certificate(&certs[0], &rtc_provider),
                rtc::certificate(&certs[1], &rtc_provider),
            ],
            rtc_provider,
            certs,
        }
    }

    /// One handshake of `ROWS[row]`: the time it took (what each needs made per connection
    /// beforehand, and webrtc-dtls's closing afterwards, are not timed).
    fn once(&mut self, row: usize) -> Duration {
        let fp = [&self.certs[0].fingerprint, &self.certs[1].fingerprint];
        match row {
            0 => {
                let t = Instant::now();
                let keys = wren::handshake(&self.wren[0], &self.wren[1], &mut self.buf);
                let d = t.elapsed();
                agreed(keys);
                d
            }
            1 => {
                let client = webrtc::config(&self.webrtc[0], fp[1]);
                let server = webrtc::config(&self.webrtc[1], fp[0]);
                self.rt.block_on(async {
                    let t = Instant::now();
                    let (conns, keys) = webrtc::handshake(client, server).await;
                    let d = t.elapsed();
                    agreed(keys);
                    for conn in conns {
                        // The second to close finds the pipe closed already.
                        let _ = conn.close().await;
                    }
                    d
                })
            }
            2 => {
                let t = Instant::now();
                let keys = dimpl_peer::handshake(
                    &self.dimpl_config,
                    [&self.dimpl[0], &self.dimpl[1]],
                    fp,
                    &mut self.dimpl_buf,
                );
                let d = t.elapsed();
                agreed(keys);
                d
            }
            _ => {
                let client = rtc::config(&self.rtc_provider, &self.rtc[0], fp[1], true);
                let server = rtc::config(&self.rtc_provider, &self.rtc[1], fp[0], false);
                let t = Instant::now();
                let keys = rtc::handshake(client, server);
                let d = t.elapsed();
                agreed(keys);
                d
            }
        }
    }
}

fn handshakes(c: &mut Criterion, peers: &mut Peers) {
    let mut g = c.benchmark_group(GROUP);
    g.sample_size(20);
    for (row, name) in ROWS.iter().enumerate() {
        g.bench_function(*name, |b| {
            b.iter_custom(|iters| (0..iters).map(|_| peers.once(row)).sum())
        });
    }
    g.finish();
}

/// Rounds of [`paired`].
const ROUNDS: usize = 200;

/// One handshake of each implementation in turn per round, `ROUNDS` rounds: the fastest
/// and the median handshake of each (us). On a loaded machine the fastest is the figure
/// least disturbed by other processes, and taking turns exposes every row to the same
/// machine state.
fn paired(peers: &mut Peers) -> Vec<(f64, f64)> {
    let mut times: Vec<Vec<f64>> = vec![Vec::with_capacity(ROUNDS); ROWS.len()];
    for _ in 0..ROUNDS {
        for (row, t) in times.iter_mut().enumerate() {
            t.push(peers.once(row).as_secs_f64() * 1e6);
        }
    }
    times
        .into_iter()
        .map(|mut t| {
            t.sort_by(f64::total_cmp);
            (t[0], t[t.len() / 2])
        })
        .collect()
}

/// Handshakes per second from a time in us.
fn per_second(us: f64) -> f64 {
    1e6 / us
}

fn report(target: &Path, paired: &[(f64, f64)]) -> String {
    let m: Vec<Option<f64>> = ROWS
        .iter()
        .map(|r| median(target, GROUP, r).map(|ns| ns / 1e3))
        .collect();
    let mut out = String::from(
        "# DTLS 1.2: full handshakes, client and server in memory\n\n\
         ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, ECDSA P-256 certificates both ways, extended \
         master secret, HelloVerifyRequest, use_srtp (SRTP_AEAD_AES_256_GCM), each side \
         checking the other's SHA-256 fingerprint. ECDHE on X25519 for wren-dtls and dimpl; \
         on P-256 for webrtc-dtls and rtc-dtls, whose clients offer it first with no \
         setting to change that. Ratio: wren-dtls handshakes/s over the \
         row's (goals: at least 2x webrtc-dtls, ahead of dimpl).\n\n\
         Criterion medians of this run:\n\n\
         | implementation | us per handshake | handshakes/s | wren-dtls / it |\n\
         | --- | --- | --- | --- |\n",
    );
    let ratio =
        |ours: Option<f64>, it: f64| ours.map_or_else(|| "-".into(), |w| format!("{:.2}x", it / w));
    for (row, us) in ROWS.iter().zip(&m) {
        match us {
            Some(us) => out.push_str(&format!(
                "| {row} | {us:.0} | {:.0} | {} |\n",
                per_second(*us),
                ratio(m[0], *us)
            )),
            None => out.push_str(&format!("| {row} | - | - | - |\n")),
        }
    }
    if paired.len() == ROWS.len() {
        out.push_str(&format!(
            "\nPaired: one handshake of each in turn, {ROUNDS} rounds; the fastest (the least \
             disturbed on a shared machine) and the median.\n\n\
             | implementation | fastest, us | handshakes/s | wren-dtls / it | median, us | \
             handshakes/s | wren-dtls / it |\n\
             | --- | --- | --- | --- | --- | --- | --- |\n"
        ));
        for (row, (min, med)) in ROWS.iter().zip(paired) {
            out.push_str(&format!(
                "| {row} | {min:.0} | {:.0} | {} | {med:.0} | {:.0} | {} |\n",
                per_second(*min),
                ratio(Some(paired[0].0), *min),
                per_second(*med),
                ratio(Some(paired[0].1), *med),
            ));
        }
    }
    out
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    let mut peers = Peers::new();
    handshakes(&mut c, &mut peers);
    c.final_summary();
    // `--test` (criterion's run-once check) measures nothing; `--profile-time` is for
    // `perf record` of the rows it selects.
    let args: Vec<String> = std::env::args().collect();
    let bench = args.iter().any(|a| a == "--bench")
        && !args.iter().any(|a| a == "--test" || a == "--profile-time");
    let paired = if bench {
        paired(&mut peers)
    } else {
        Vec::new()
    };
    publish("dtls.md", |target| report(target, &paired));
}
