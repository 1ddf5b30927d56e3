//! The command line, alone and over a file.

use super::*;

#[test]
fn defaults() {
    let c = Config::from_args(["wren-relay"]).expect("no arguments");
    assert_eq!(c, Config::default());
    assert_eq!(c.listening_ips(), vec![ip("0.0.0.0")]);
    assert_eq!(c.listening_port(), 3478);
    assert!(c.udp() && c.tcp());
    assert_eq!(c.verbosity(), Verbosity::Normal);
    assert_eq!(
        c.listen_addrs(),
        vec!["0.0.0.0:3478".parse().expect("addr")]
    );
    assert_eq!(c.relay_port_range(), (49152, 65535));
    assert!(c.unimplemented().is_empty());
    assert_eq!(c.config_file, None);
}

#[test]
fn command_line_overrides_file() {
    let conf = TempConf::new(
        b"listening-port=4000\nlistening-ip=127.0.0.2\nrealm=file.example\nno-tcp=false\nverbose=no\nmin-port=50000\n",
    );
    let c = Config::from_args(args(&format!(
        "-c {} -p 4001 -L 127.0.0.1 -L ::1 --realm cli.example --no-tcp -v --max-port 60000",
        conf.arg()
    )))
    .expect("file and command line");
    assert_eq!(c.listening_port(), 4001);
    assert_eq!(c.listening_ips(), vec![ip("127.0.0.1"), ip("::1")]);
    assert_eq!(c.values.realm.as_deref(), Some("cli.example"));
    assert!(!c.tcp());
    assert_eq!(c.verbosity(), Verbosity::Verbose);
    assert_eq!(c.relay_port_range(), (50000, 60000), "file min, cli max");
    assert_eq!(c.config_file.as_deref(), Some(conf.path.as_path()));
    assert_eq!(
        c.listen_addrs(),
        vec![
            SocketAddr::new(ip("127.0.0.1"), 4001),
            SocketAddr::new(ip("::1"), 4001)
        ]
    );

    // What the command line does not say comes from the file.
    let c = Config::from_args(args(&format!("-c {} -v", conf.arg()))).expect("file");
    assert_eq!(c.listening_port(), 4000);
    assert_eq!(c.listening_ips(), vec![ip("127.0.0.2")]);
    assert_eq!(c.values.realm.as_deref(), Some("file.example"));

    // -n: no file at all, as coturn's.
    let c = Config::from_args(args(&format!("-n -c {}", conf.arg()))).expect("-n");
    assert_eq!(c.listening_port(), 3478);
    assert_eq!(c.config_file, None);
}

#[test]
fn long_and_short_forms() {
    let long = Config::from_args([
        "wren-relay",
        "--listening-port=3480",
        "--listening-ip=127.0.0.1",
        "--listening-ip",
        "[::1]",
        "--Verbose",
    ])
    .expect("long forms");
    let short = Config::from_args(args("-p3480 -L 127.0.0.1 -L ::1 -V")).expect("short");
    assert_eq!(long, short);
    assert_eq!(long.verbosity(), Verbosity::Extra);
    assert_eq!(long.listening_ips()[1], IpAddr::V6(Ipv6Addr::LOCALHOST));
}

/// The coturn command line from shared/INTEROP.md works unchanged.
#[test]
fn interop_coturn_command_line() {
    let c = Config::from_args(args(
        "-n --listening-ip=127.0.0.1 --listening-port=34780 --relay-ip=127.0.0.1 \
         --min-port=49200 --max-port=49300 --lt-cred-mech --user=test:secret \
         --realm=example.org --fingerprint --no-tls --no-dtls --no-cli \
         --allow-loopback-peers --log-file=stdout --simple-log \
         --userdb=/tmp/x/turndb --pidfile=/tmp/x/turnserver.pid",
    ))
    .expect("INTEROP.md's turnserver command line");
    assert_eq!(
        c.listen_addrs(),
        vec![SocketAddr::new(ip("127.0.0.1"), 34780)]
    );
    assert_eq!(c.values.users[0].name, "test");
    assert_eq!(
        c.values.users[0].secret,
        UserSecret::Password("secret".into())
    );
    let warned: Vec<&str> = c.unimplemented().iter().map(|u| u.key).collect();
    assert_eq!(
        warned,
        vec!["userdb"],
        "log-file=stdout is honoured, TURN keys are acted on"
    );
    let turn = c
        .turn_server_config(SystemTime::UNIX_EPOCH)
        .expect("the interop command line serves TURN");
    assert_eq!(turn.realm, "example.org");
    assert_eq!(turn.relay_ips, vec![ip("127.0.0.1")]);
    assert_eq!((turn.min_port, turn.max_port), (49200, 49300));
    assert!(turn.fingerprint && turn.peer_policy.allow_loopback);
}

#[test]
fn command_line_errors() {
    for line in [
        "-p 70000",
        "-L nonsense",
        "--frobnicate",
        "--min-port 0",
        "--user alice",
        "--user bob:0x12",
        "-E 0.0.0.0",
        "--allowed-peer-ip 10.0.0.0/40",
        "--denied-peer-ip nonsense",
        "-q -1",
        "--total-quota x",
        "-s 1k",
        "--stale-nonce=x",
        "--stale-nonce 30",
        "--max-allocate-lifetime 0",
        "--prometheus-port 70000",
        "-c",
    ] {
        let e = Config::from_args(args(line)).expect_err(line);
        assert!(matches!(e, ConfigError::Cli(_)), "{line}: {e:?}");
        assert_eq!(e.line(), None);
    }
    let e = Config::from_args(args("--help")).expect_err("help");
    let ConfigError::Cli(e) = e else {
        panic!("help is clap's")
    };
    assert_eq!(e.kind(), clap::error::ErrorKind::DisplayHelp);
    assert!(e.to_string().contains("--listening-ip"));
    let e = Config::from_args(args("--version")).expect_err("version");
    assert!(matches!(e, ConfigError::Cli(e) if e.kind() == clap::error::ErrorKind::DisplayVersion));
}

#[test]
fn print_config_flag() {
    let c = Config::from_args(args("--print-config -L 127.0.0.1")).expect("print");
    assert!(c.print_config);
    let text = c.to_string();
    assert!(text.contains("listening-ip=127.0.0.1\n"), "{text}");
}

/// Every new TURN key, in the file and on the command line, gives the same `Config`.
#[test]
fn turn_keys_in_file_and_on_command_line() {
    let file = parse(
        "allowed-peer-ip=10.0.0.5\n\
         allowed-peer-ip=192.168.1.10-192.168.1.20\n\
         denied-peer-ip=83.166.64.0/19\n\
         denied-peer-ip=fd00::/8\n\
         user-quota=10\n\
         total-quota 1000\n\
         max-bps=125000\n\
         stale-nonce=300\n\
         max-allocate-lifetime=1800\n\
         channel-lifetime=600\n\
         permission-lifetime=300\n\
         cert=/etc/turn/cert.pem\n\
         pkey=\"/etc/turn/pkey.pem\"\n\
         prometheus\n\
         prometheus-port=9642\n\
         user=ninefingers:0xbc807ee29df3c9ffa736523fb2c4e8ee\n",
    )
    .expect("TURN keys");
    let cli = Config::from_args(args(
        "--allowed-peer-ip=10.0.0.5 --allowed-peer-ip 192.168.1.10-192.168.1.20 \
         --denied-peer-ip=83.166.64.0/19 --denied-peer-ip fd00::/8 \
         -q 10 --total-quota=1000 -s 125000 --stale-nonce=300 \
         --max-allocate-lifetime 1800 --channel-lifetime=600 --permission-lifetime=300 \
         --cert /etc/turn/cert.pem --pkey=/etc/turn/pkey.pem \
         --prometheus --prometheus-port 9642 -u ninefingers:0xbc807ee29df3c9ffa736523fb2c4e8ee",
    ))
    .expect("TURN keys on the command line");
    assert_eq!(
        Config {
            config_file: None,
            ..file.clone()
        },
        cli
    );

    let c = file;
    let ranges = |v: &[PeerRange]| v.iter().map(PeerRange::range).collect::<Vec<_>>();
    assert_eq!(
        ranges(&c.values.allowed_peer_ips),
        vec![range("10.0.0.5"), range("192.168.1.10-192.168.1.20")]
    );
    assert_eq!(
        ranges(&c.values.denied_peer_ips),
        vec![range("83.166.64.0-83.166.95.255"), range("fd00::/8")]
    );
    assert_eq!(
        (c.values.user_quota, c.values.total_quota, c.values.max_bps),
        (Some(10), Some(1000), Some(125_000))
    );
    assert_eq!(c.values.stale_nonce, Some(Duration::from_secs(300)));
    assert_eq!(
        c.values.max_allocate_lifetime,
        Some(Duration::from_secs(1800))
    );
    assert_eq!(c.values.channel_lifetime, Some(Duration::from_secs(600)));
    assert_eq!(c.values.permission_lifetime, Some(Duration::from_secs(300)));
    assert_eq!(
        c.values.cert.as_deref(),
        Some(Path::new("/etc/turn/cert.pem"))
    );
    assert_eq!(
        c.values.pkey.as_deref(),
        Some(Path::new("/etc/turn/pkey.pem"))
    );
    assert_eq!(
        c.prometheus_addr(),
        Some("0.0.0.0:9642".parse().expect("addr"))
    );
    assert!(matches!(&c.values.users[0].secret, UserSecret::Key(k) if k.len() == 16));

    // TLS files are acted on (tls.rs); RFC lifetimes do not warn.
    assert!(c.unimplemented().is_empty());

    // And it all prints back.
    let printed = c.to_string();
    for line in [
        "allowed-peer-ip=10.0.0.5\n",
        "allowed-peer-ip=192.168.1.10-192.168.1.20\n",
        "denied-peer-ip=83.166.64.0-83.166.95.255\n",
        "denied-peer-ip=fd00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\n",
        "user-quota=10\n",
        "total-quota=1000\n",
        "max-bps=125000\n",
        "stale-nonce=300\n",
        "max-allocate-lifetime=1800\n",
        "prometheus\n",
        "prometheus-port=9642\n",
        "cert=\"/etc/turn/cert.pem\"\n",
    ] {
        assert!(printed.contains(line), "{line:?} not in\n{printed}");
    }
}

/// coturn's `stale-nonce[=<value>]`: bare means 600 s, 0 means never stale.
#[test]
fn stale_nonce_value_is_optional() {
    let bare = parse("stale-nonce\n").expect("bare");
    assert_eq!(bare.values.stale_nonce, Some(Duration::from_secs(600)));
    assert_eq!(
        parse("stale-nonce=\"\"\n")
            .expect("empty")
            .values
            .stale_nonce,
        Some(DEFAULT_STALE_NONCE)
    );
    assert_eq!(
        parse("stale-nonce 0\n").expect("0").values.stale_nonce,
        Some(Duration::ZERO)
    );
    assert_eq!(Config::default().values.stale_nonce, None);

    let cli = Config::from_args(args("--stale-nonce")).expect("bare on the command line");
    assert_eq!(cli.values.stale_nonce, Some(Duration::from_secs(600)));
    let cli = Config::from_args(args("--stale-nonce -v")).expect("bare, then a flag");
    assert_eq!(cli.values.stale_nonce, Some(Duration::from_secs(600)));
    assert_eq!(cli.verbosity(), Verbosity::Verbose);
    let cli = Config::from_args(args("--stale-nonce=45")).expect("with =");
    assert_eq!(cli.values.stale_nonce, Some(Duration::from_secs(45)));
    // As coturn's getopt: an optional value needs '='.
    let e = Config::from_args(args("--stale-nonce 45")).expect_err("value without '='");
    assert!(matches!(e, ConfigError::Cli(_)), "{e:?}");
}
