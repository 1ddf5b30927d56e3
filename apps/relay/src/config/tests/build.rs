//! The STUN and TURN servers' configurations built from the keys.

use super::*;

/// A TURN server on loopback, as the interop tests run it.
const TURN: &str = "listening-ip=127.0.0.1\nrealm=example.org\nlt-cred-mech\nuser=alice:hunter2\n";

fn turn(text: &str) -> Result<TurnConfig, ConfigError> {
    parse(text)
        .expect("valid file")
        .turn_server_config(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000))
}

#[test]
fn stun_server_settings() {
    use wren_stun::server::FingerprintPolicy;
    let plain = Config::default().stun_server_config();
    assert_eq!(plain.software.as_deref(), Some(SOFTWARE));
    assert_eq!(plain.fingerprint, FingerprintPolicy::Mirror);
    assert!(plain.response_origin);
    let c = parse("fingerprint\nno-software-attribute\nresponse-origin-only-with-rfc5780\n")
        .expect("stun settings");
    assert!(c.unimplemented().is_empty());
    let s = c.stun_server_config();
    assert_eq!(s.software, None);
    assert_eq!(s.fingerprint, FingerprintPolicy::Always);
    assert!(!s.response_origin);
}

#[test]
fn turn_enabled_follows_coturn() {
    let on = |text: &str| parse(text).expect(text).turn_enabled();
    assert!(!on(""), "no credentials: STUN only, never an open relay");
    assert!(!on("realm=example.org\n"));
    assert!(on("lt-cred-mech\n"));
    assert!(on("use-auth-secret\n"));
    assert!(
        on("static-auth-secret=north\n"),
        "coturn: the secret implies use-auth-secret"
    );
    assert!(
        on("user=alice:pw\n"),
        "coturn: a user makes lt-cred-mech the default"
    );
    assert!(!on("lt-cred-mech\nstun-only\n"));
}

#[test]
fn turn_server_config_maps_every_key() {
    let wall = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let c = parse(
        "listening-ip=127.0.0.1\n\
         listening-ip=::1\n\
         relay-ip=192.0.2.10\n\
         relay-ip=2001:db8::10\n\
         relay-ip=192.0.2.10\n\
         min-port=50000\n\
         max-port=50999\n\
         realm=example.org\n\
         lt-cred-mech\n\
         user=alice:hunter2\n\
         user=ninefingers:0xbc807ee29df3c9ffa736523fb2c4e8ee\n\
         use-auth-secret\n\
         static-auth-secret=north\n\
         allowed-peer-ip=10.1.0.0/16\n\
         denied-peer-ip=10.0.0.0/8\n\
         no-multicast-peers\n\
         allow-loopback-peers\n\
         user-quota=3\n\
         total-quota=100\n\
         max-bps=64000\n\
         stale-nonce=120\n\
         max-allocate-lifetime=1200\n\
         max-permissions=64\n\
         max-channels=32\n\
         external-ip=203.0.113.5/192.0.2.10\n\
         fingerprint\n",
    )
    .expect("full TURN file");
    let s = c.turn_server_config(wall).expect("serves");
    assert_eq!(
        s.external_ips,
        vec![wren_turn::server::ExternalIp {
            public: ip("203.0.113.5"),
            private: Some(ip("192.0.2.10"))
        }]
    );
    assert_eq!(s.realm, "example.org");
    assert_eq!(s.users.len(), 2);
    assert_eq!(s.users["alice"], UserSecret::Password("hunter2".into()));
    assert!(matches!(&s.users["ninefingers"], UserSecret::Key(k) if k[0] == 0xbc));
    assert_eq!(s.rest_secret.as_deref(), Some("north"));
    assert_eq!(
        s.relay_ips,
        vec![ip("192.0.2.10"), ip("2001:db8::10")],
        "relay-ip wins, no duplicates"
    );
    assert_eq!((s.min_port, s.max_port), (50000, 50999));
    assert_eq!(s.default_lifetime, Duration::from_secs(600));
    assert_eq!(s.max_lifetime, Duration::from_secs(1200));
    assert_eq!(s.nonce_lifetime, Duration::from_secs(120));
    assert_eq!((s.user_quota, s.total_quota, s.max_bps), (3, 100, 64000));
    assert_eq!((s.max_permissions, s.max_channels), (64, 32));
    assert_eq!(
        s.listening,
        vec![sock("127.0.0.1:3478"), sock("[::1]:3478")],
        "the relay's own addresses, refused as peers"
    );
    assert_eq!(s.software.as_deref(), Some(SOFTWARE));
    assert!(s.fingerprint);
    assert_eq!(s.wall_clock, wall);
    assert_eq!(
        s.peer_policy,
        PeerPolicy {
            allow: vec![range("10.1.0.0/16")],
            deny: vec![
                range("10.0.0.0-10.0.255.255"),
                range("10.2.0.0-10.255.255.255")
            ],
            allow_loopback: true,
            allow_multicast: false,
        }
    );
    // The machine takes it.
    wren_turn::server::Server::new(std::time::Instant::now(), s).expect("Server::new");
}

#[test]
fn turn_server_config_defaults() {
    let s = turn(TURN).expect("minimal TURN");
    let d = TurnConfig::default();
    assert_eq!(
        s.relay_ips,
        vec![ip("127.0.0.1")],
        "the listening IP relays"
    );
    assert_eq!((s.min_port, s.max_port), (49152, 65535));
    assert_eq!(s.default_lifetime, Duration::from_secs(600));
    assert_eq!(s.max_lifetime, Duration::from_secs(3600));
    assert_eq!(
        s.nonce_lifetime, d.nonce_lifetime,
        "nonces expire even without stale-nonce"
    );
    assert_eq!(s.rest_secret, None);
    assert_eq!((s.user_quota, s.total_quota, s.max_bps), (0, 0, 0));
    assert_eq!(
        (s.max_permissions, s.max_channels),
        (1024, 1024),
        "coturn's cap"
    );
    assert_eq!(s.listening, vec![sock("127.0.0.1:3478")]);
    assert_eq!(s.software.as_deref(), Some(SOFTWARE));
    assert!(!s.fingerprint);
    assert_eq!(
        s.peer_policy,
        PeerPolicy {
            allow: vec![],
            deny: vec![],
            allow_loopback: false,
            allow_multicast: true,
        },
        "coturn allows multicast peers unless no-multicast-peers"
    );
    assert_eq!(s.queue_capacity, d.queue_capacity);
    assert_eq!(s.reservation_lifetime, d.reservation_lifetime);

    let s = turn(&format!("{TURN}no-software-attribute\n")).expect("no SOFTWARE");
    assert_eq!(s.software, None);
    let s = turn(&format!("{TURN}stale-nonce=0\n")).expect("unlimited nonces");
    assert_eq!(s.nonce_lifetime, UNLIMITED_NONCE);
    let s = turn(&format!("{TURN}stale-nonce\n")).expect("bare stale-nonce");
    assert_eq!(s.nonce_lifetime, Duration::from_secs(600));
    let s = turn(&format!("{TURN}max-allocate-lifetime=300\n")).expect("short max");
    assert_eq!(
        (s.default_lifetime, s.max_lifetime),
        (Duration::from_secs(300), Duration::from_secs(300)),
        "a maximum below 600 s caps the default too"
    );
    // REST only: static-auth-secret alone turns it on, no user needed.
    let s = turn("listening-ip=127.0.0.1\nrealm=r\nstatic-auth-secret=north\n").expect("REST");
    assert_eq!(s.rest_secret.as_deref(), Some("north"));
    assert!(s.users.is_empty());
}

fn sock(s: &str) -> std::net::SocketAddr {
    s.parse().expect("socket address")
}

/// The listening addresses the TURN machine refuses as peers: a wildcard listener stands for
/// the relay and external IPs of its family and loopback, on the STUN and TLS ports.
#[test]
fn own_addresses_from_listeners() {
    let c = parse(
        "listening-ip=0.0.0.0\n\
         listening-ip=2001:db8::1\n\
         listening-port=3479\n\
         relay-ip=192.0.2.10\n\
         relay-ip=2001:db8::10\n\
         external-ip=203.0.113.5/192.0.2.10\n",
    )
    .expect("listeners");
    assert_eq!(
        c.own_addresses(),
        vec![
            sock("192.0.2.10:3479"),
            sock("203.0.113.5:3479"),
            sock("127.0.0.1:3479"),
            sock("[2001:db8::1]:3479"),
        ]
    );
    let dir = std::env::temp_dir();
    let tls = parse(&format!(
        "listening-ip=127.0.0.1\ncert={}\npkey={}\ntls-listening-port=5350\n",
        dir.join("c.pem").display(),
        dir.join("k.pem").display()
    ))
    .expect("tls");
    assert_eq!(
        tls.own_addresses(),
        vec![sock("127.0.0.1:3478"), sock("127.0.0.1:5350")]
    );
    // The OS picks the port: it is not known here.
    let any = parse("listening-ip=127.0.0.1\nlistening-port=0\n").expect("port 0");
    assert!(any.own_addresses().is_empty());
}

#[test]
fn max_permissions_and_channels_are_positive() {
    assert!(parse(&format!("{TURN}max-permissions=0\n")).is_err());
    assert!(parse(&format!("{TURN}max-channels=65536\n")).is_err());
    let s = turn(&format!("{TURN}max-channels=1\n")).expect("one channel");
    assert_eq!(s.max_channels, 1);
}

#[test]
fn relay_ips_from_listening_ips() {
    let s = turn(&format!("{TURN}listening-ip=0.0.0.0\nlistening-ip=::1\n")).expect("mixed");
    assert_eq!(
        s.relay_ips,
        vec![ip("127.0.0.1"), ip("::1")],
        "unspecified ones skipped"
    );

    for listening in [
        "",
        "listening-ip=0.0.0.0\n",
        "listening-ip=::\nlistening-ip=0.0.0.0\n",
    ] {
        let text = format!("realm=r\nuser=a:b\n{listening}");
        let e = turn(&text).expect_err("nothing to relay on");
        assert!(matches!(e, ConfigError::NoRelayIp), "{e:?}");
        assert!(
            e.to_string()
                .starts_with("relay-ip required when listening on 0.0.0.0"),
            "{e}"
        );
        let s = turn(&format!("{text}relay-ip=192.0.2.1\n")).expect("relay-ip given");
        assert_eq!(s.relay_ips, vec![ip("192.0.2.1")]);
    }
}

#[test]
fn turn_server_config_errors() {
    let cases: &[(&str, &str)] = &[
        ("listening-ip=127.0.0.1\nrealm=r\n", "TURN is off: "),
        (
            "listening-ip=127.0.0.1\nrealm=r\nlt-cred-mech\nuser=a:b\nstun-only\n",
            "TURN is off: ",
        ),
        (
            "listening-ip=127.0.0.1\nlt-cred-mech\nuser=a:b\n",
            "TURN needs a realm",
        ),
        (
            "listening-ip=127.0.0.1\nuse-auth-secret\nrealm=r\n",
            "use-auth-secret needs static-auth-secret",
        ),
        (
            "listening-ip=127.0.0.1\nlt-cred-mech\nrealm=r\n",
            "lt-cred-mech needs at least one user",
        ),
        (
            "listening-ip=127.0.0.1\nlt-cred-mech\nrealm=r\nuserdb=/var/db/turndb\n",
            "lt-cred-mech needs at least one user",
        ),
        (
            "realm=r\nuser=a:b\n",
            "relay-ip required when listening on 0.0.0.0",
        ),
    ];
    for (text, start) in cases {
        let e = turn(text).expect_err(text);
        assert!(e.to_string().starts_with(start), "{text:?}: {e}");
        assert_eq!(e.line(), None, "a whole-configuration error");
    }
    assert!(matches!(
        turn("listening-ip=127.0.0.1\nlt-cred-mech\nuser=a:b\n"),
        Err(ConfigError::NoRealm)
    ));
    assert!(matches!(
        turn("listening-ip=127.0.0.1\nrealm=r\n"),
        Err(ConfigError::TurnOff)
    ));
    assert!(matches!(
        turn("listening-ip=127.0.0.1\nrealm=r\nuse-auth-secret\n"),
        Err(ConfigError::NoAuthSecret)
    ));
    assert!(matches!(
        turn("listening-ip=127.0.0.1\nrealm=r\nlt-cred-mech\n"),
        Err(ConfigError::NoUsers)
    ));
    // lt-cred-mech with REST credentials only is fine.
    turn("listening-ip=127.0.0.1\nrealm=r\nlt-cred-mech\nstatic-auth-secret=s\n")
        .expect("REST users");
}

/// coturn's own example: "denied-peer-ip=83.166.64.0-83.166.95.255" with
/// "allowed-peer-ip=83.166.68.45" bans the range except that address.
#[test]
fn allowed_peer_ip_beats_denied_as_in_coturn() {
    use wren_turn::server::Refusal;
    let c = parse(
        "denied-peer-ip=83.166.64.0-83.166.95.255\n\
         allowed-peer-ip=83.166.68.45\n\
         allowed-peer-ip=83.166.64.0\n\
         allowed-peer-ip=2001:db8::/32\n\
         denied-peer-ip=2a00::/16\n\
         allowed-peer-ip=2a00:1450::/32\n\
         no-multicast-peers\n",
    )
    .expect("lists");
    let p = c.peer_policy();
    for (addr, verdict) in [
        ("83.166.68.45", Ok(())),
        ("83.166.64.0", Ok(())),
        ("83.166.64.1", Err(Refusal::Denied)),
        ("83.166.68.44", Err(Refusal::Denied)),
        ("83.166.68.46", Err(Refusal::Denied)),
        ("83.166.95.255", Err(Refusal::Denied)),
        ("83.166.96.0", Ok(())),
        ("8.8.8.8", Ok(())),
        ("2a00:1450::1", Ok(())),
        ("2a00:1451::1", Err(Refusal::Denied)),
        ("2001:db8::1", Ok(())),
        ("224.0.0.1", Err(Refusal::Multicast)),
        ("127.0.0.1", Err(Refusal::Loopback)),
        ("10.0.0.1", Err(Refusal::Private)),
    ] {
        assert_eq!(p.check(ip(addr)), verdict, "{addr}");
    }
    // An allow range that covers the whole deny range leaves nothing denied.
    let c = parse("denied-peer-ip=10.0.0.0/24\nallowed-peer-ip=10.0.0.0/16\n").expect("cover");
    assert!(c.peer_policy().deny.is_empty());
    // Families do not mix.
    let c = parse("denied-peer-ip=0.0.0.0/0\nallowed-peer-ip=::/0\n").expect("families");
    assert_eq!(c.peer_policy().deny, vec![range("0.0.0.0/0")]);
    // Full-width ranges at both ends of the number line.
    let c = parse("denied-peer-ip=::/0\nallowed-peer-ip=::\nallowed-peer-ip=ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\n")
        .expect("edges");
    assert_eq!(
        c.peer_policy().deny,
        vec![range("::1-ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe")]
    );
}

#[test]
fn prometheus_endpoint_address() {
    assert_eq!(Config::default().prometheus_addr(), None);
    let c = Config::from_args(args("--prometheus")).expect("on");
    assert_eq!(
        c.prometheus_addr(),
        Some("0.0.0.0:9641".parse().expect("addr"))
    );
    assert!(c.unimplemented().is_empty(), "prometheus is acted on");
    let c = parse("prometheus-port=9000\n").expect("port alone");
    assert_eq!(
        c.prometheus_addr(),
        None,
        "the port alone does not turn it on"
    );
    assert_eq!(c.prometheus_port(), 9000);
}

#[test]
fn max_allocate_timeout_reaches_the_turn_server() {
    let default = turn(TURN).expect("minimal TURN");
    assert_eq!(default.max_allocate_timeout, Duration::from_secs(60));
    let set = turn(&format!("{TURN}max-allocate-timeout=5\n")).unwrap();
    assert_eq!(set.max_allocate_timeout, Duration::from_secs(5));
    let never = turn(&format!("{TURN}max-allocate-timeout=0\n")).unwrap();
    assert_eq!(never.max_allocate_timeout, Duration::ZERO);
}
