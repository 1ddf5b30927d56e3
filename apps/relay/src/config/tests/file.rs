//! turnserver.conf syntax: what parses, what is refused and with which message.

use super::*;

/// A turnserver.conf as operators write them: coturn's sample comments, both separators,
/// quotes, tabs, CRLF line ends, booleans on flags, repeated list keys.
const REALISTIC: &str = "\
# Coturn TURN SERVER configuration file
#
# Boolean values note: where a boolean value is supposed to be used,
# you can use '0', 'off', 'no', 'false', or 'f' as 'false,
# and you can use '1', 'on', 'yes', 'true', or 't' as 'true'
# If the value is missing, then it means 'true' by default.

# TURN listener port for UDP and TCP (Default: 3478).
listening-port=3479
tls-listening-port=5349

# Listener IP address of relay server. Multiple listeners can be specified.
listening-ip=127.0.0.1
listening-ip ::1
  listening-ip\t=\t127.0.0.2\r
relay-ip=127.0.0.1
external-ip=60.70.80.91/172.17.19.101
external-ip=60.70.80.92

min-port=49200
max-port=49300
verbose
fingerprint
lt-cred-mech
user=username1:key1
user=ninefingers:0xbc807ee29df3c9ffa736523fb2c4e8ee
static-auth-secret=north
realm=mycompany.org
server-name=blackdow.carleon.gov
no-tls
no-dtls=yes
no-cli
no-tcp=off
log-file=/var/tmp/turn.log
simple-log
pidfile=\"/var/run/turnserver.pid\"
no-software-attribute
prometheus=0
allow-loopback-peers
no-multicast-peers
";

#[test]
fn realistic_file_parses() {
    let c = parse(REALISTIC).expect("realistic turnserver.conf");
    assert_eq!(c.listening_port(), 3479);
    assert_eq!(
        c.listening_ips(),
        vec![ip("127.0.0.1"), ip("::1"), ip("127.0.0.2")]
    );
    assert_eq!(c.values.tls_listening_port, Some(5349));
    assert_eq!(c.values.relay_ips, vec![ip("127.0.0.1")]);
    assert_eq!(
        c.values.external_ips,
        vec![
            ExternalIp {
                public: ip("60.70.80.91"),
                private: Some(ip("172.17.19.101"))
            },
            ExternalIp {
                public: ip("60.70.80.92"),
                private: None
            },
        ]
    );
    assert_eq!(c.relay_port_range(), (49200, 49300));
    assert_eq!(c.verbosity(), Verbosity::Verbose);
    assert!(
        c.values.fingerprint
            && c.values.lt_cred_mech
            && c.values.no_tls
            && c.values.no_dtls
            && c.values.no_cli
    );
    assert!(c.udp() && c.tcp(), "no-tcp=off keeps TCP");
    assert_eq!(c.values.users.len(), 2);
    assert_eq!(c.values.users[0].name, "username1");
    assert_eq!(
        c.values.users[0].secret,
        UserSecret::Password("key1".into())
    );
    assert_eq!(
        c.values.users[1].secret,
        UserSecret::Key(vec![
            0xbc, 0x80, 0x7e, 0xe2, 0x9d, 0xf3, 0xc9, 0xff, 0xa7, 0x36, 0x52, 0x3f, 0xb2, 0xc4,
            0xe8, 0xee
        ]),
        "coturn's turnadmin -k key"
    );
    assert_eq!(
        c.values.static_auth_secret.as_ref().map(Secret::expose),
        Some("north")
    );
    assert_eq!(c.values.realm.as_deref(), Some("mycompany.org"));
    assert_eq!(
        c.values.server_name.as_deref(),
        Some("blackdow.carleon.gov")
    );
    assert_eq!(c.values.log_file.as_deref(), Some("/var/tmp/turn.log"));
    assert!(c.values.simple_log);
    assert_eq!(
        c.values.pidfile.as_deref(),
        Some(Path::new("/var/run/turnserver.pid"))
    );
    assert!(c.values.no_software_attribute);
    assert!(!c.values.prometheus, "prometheus=0 is off");
    assert!(c.values.allow_loopback_peers && c.values.no_multicast_peers);
    assert_eq!(c.config_file.as_deref(), Some(Path::new("turnserver.conf")));

    let warned: Vec<&str> = c.unimplemented().iter().map(|u| u.key).collect();
    assert_eq!(warned, vec!["server-name"]);
    assert!(c.turn_enabled());
}

/// Debian's /etc/turnserver.conf (from `apt-get install coturn`, which
/// scripts/install-deps.sh does) is commented out but for four lines (`syslog`,
/// `no-rfc5780`, `no-stun-backward-compatibility`, `response-origin-only-with-rfc5780`):
/// it parses, with warnings for the two not applied yet. Uncommenting each of its example lines gives either a valid setting or, for coturn
/// options wren-relay lacks, `UnsupportedOption` -- never "unknown", which checks our list
/// of coturn's keys against coturn's own sample.
#[test]
fn debian_sample_turnserver_conf() {
    let Ok(text) = std::fs::read_to_string("/etc/turnserver.conf") else {
        eprintln!("skipped: /etc/turnserver.conf not installed (scripts/install-deps.sh)");
        return;
    };
    let c = parse(&text).expect("Debian's sample parses");
    assert_eq!(c.listen_addrs(), Config::default().listen_addrs());
    for warned in c.unimplemented() {
        assert!(
            ["syslog", "no-stun-backward-compatibility"].contains(&warned.key),
            "{warned}"
        );
    }

    let mut supported = 0;
    let mut unsupported = 0;
    for line in text.lines() {
        // Examples are written `#key...`; prose has a blank after the `#`.
        let Some(example) = line.strip_prefix('#') else {
            continue;
        };
        if example.starts_with([' ', '\t']) {
            continue;
        }
        let Some((key, _)) = split_line(example) else {
            continue;
        };
        let known = find(key).is_some() || COTURN_ONLY.contains(&key);
        // Prose lines ("#Local system IP address ...") are not examples.
        if !known {
            continue;
        }
        match parse(example) {
            Ok(_) => supported += 1,
            Err(ConfigError::UnsupportedOption { key: k, .. }) => {
                assert_eq!(k, key);
                unsupported += 1;
            }
            Err(e) => panic!("example line {example:?}: {e}"),
        }
    }
    assert!(supported >= 20, "only {supported} supported examples");
    assert!(unsupported >= 20, "only {unsupported} unsupported examples");
}

#[test]
fn duplicate_listening_ips_collapse() {
    let c = parse("listening-ip=127.0.0.1\nlistening-ip=127.0.0.1\n").expect("dups");
    assert_eq!(c.listening_ips(), vec![ip("127.0.0.1")]);
}

#[test]
fn unknown_option_with_line_and_suggestion() {
    let text = "# comment\n\nlistening-port=3478\n".repeat(3) + "\n\nlistening-prot=3478\n";
    let e = err(&text);
    assert_eq!(e.line(), Some(12));
    assert_eq!(
        e.to_string(),
        "turnserver.conf:12: unknown option 'listening-prot' (did you mean 'listening-port'?)"
    );
    assert!(matches!(
        &e,
        ConfigError::UnknownOption { key, suggestion: Some("listening-port"), .. }
            if key == "listening-prot"
    ));

    // Dashes from the command-line habit, and case slips.
    let e = err("--verbose\n");
    assert!(e.to_string().ends_with("(did you mean 'verbose'?)"), "{e}");
    let e = err("Listening-IP=127.0.0.1\n");
    assert!(
        e.to_string().ends_with("(did you mean 'listening-ip'?)"),
        "{e}"
    );
    // Nothing near: no suggestion.
    let e = err("verbose\nfrobnicate=1\n");
    assert_eq!(
        e.to_string(),
        "turnserver.conf:2: unknown option 'frobnicate'"
    );
}

#[test]
fn unsupported_coturn_option() {
    let e = err("verbose\nCA-file=/etc/ssl/ca.pem\n");
    assert_eq!(e.line(), Some(2));
    assert_eq!(
        e.to_string(),
        "turnserver.conf:2: 'CA-file' is a coturn option that wren-relay does not support"
    );
    let e = Config::from_args(args("--cipher-list=DEFAULT")).expect_err("cli");
    assert_eq!(
        e.to_string(),
        "command line: 'cipher-list' is a coturn option that wren-relay does not support"
    );
}

#[test]
fn bad_values() {
    let cases: &[(&str, usize, &str)] = &[
        (
            "listening-port=70000",
            1,
            "turnserver.conf:1: bad value '70000' for 'listening-port': expected a port number (0-65535)",
        ),
        (
            "verbose\nlistening-port=-1",
            2,
            "turnserver.conf:2: bad value '-1' for 'listening-port': expected a port number (0-65535)",
        ),
        (
            "\n\nlistening-ip=127.0.0.256",
            3,
            "turnserver.conf:3: bad value '127.0.0.256' for 'listening-ip': expected an IPv4 or IPv6 address",
        ),
        (
            "relay-ip=localhost",
            1,
            "turnserver.conf:1: bad value 'localhost' for 'relay-ip': expected an IPv4 or IPv6 address of this host (not 0.0.0.0 or ::)",
        ),
        (
            "verbose\nrelay-ip=0.0.0.0",
            2,
            "turnserver.conf:2: bad value '0.0.0.0' for 'relay-ip': expected an IPv4 or IPv6 address of this host (not 0.0.0.0 or ::)",
        ),
        (
            "relay-ip=::",
            1,
            "turnserver.conf:1: bad value '::' for 'relay-ip': expected an IPv4 or IPv6 address of this host (not 0.0.0.0 or ::)",
        ),
        (
            "external-ip=1.2.3.4/",
            1,
            "turnserver.conf:1: bad value '1.2.3.4/' for 'external-ip': expected an IP address, or public-ip/private-ip",
        ),
        (
            "min-port=0",
            1,
            "turnserver.conf:1: bad value '0' for 'min-port': expected a port number (1-65535)",
        ),
        (
            "user=alice",
            1,
            "turnserver.conf:1: bad value 'alice' for 'user': expected name:password, or name:0x<key>",
        ),
        (
            "user=alice:",
            1,
            "turnserver.conf:1: bad value 'alice:' for 'user': expected name:password, or name:0x<key>",
        ),
        (
            "user=:secret",
            1,
            "turnserver.conf:1: bad value ':secret' for 'user': expected name:password, or name:0x<key>",
        ),
        (
            "\nuser=bob:0xbc807ee29df3c9ffa736523fb2c4e8e",
            2,
            "turnserver.conf:2: bad value 'bob:0xbc807ee29df3c9ffa736523fb2c4e8e' for 'user': expected name:0x followed by 32 hex digits (a key from turnadmin -k)",
        ),
        (
            "user=bob:0xbc807ee29df3c9ffa736523fb2c4e8eg",
            1,
            "turnserver.conf:1: bad value 'bob:0xbc807ee29df3c9ffa736523fb2c4e8eg' for 'user': expected name:0x followed by 32 hex digits (a key from turnadmin -k)",
        ),
        (
            "allowed-peer-ip=10.0.0.300",
            1,
            "turnserver.conf:1: bad value '10.0.0.300' for 'allowed-peer-ip': expected an IP address, a range first-last of one family, or a prefix address/length",
        ),
        (
            "verbose\n\ndenied-peer-ip=10.0.0.9-10.0.0.1",
            3,
            "turnserver.conf:3: bad value '10.0.0.9-10.0.0.1' for 'denied-peer-ip': expected an IP address, a range first-last of one family, or a prefix address/length",
        ),
        (
            "denied-peer-ip=10.0.0.1-::1",
            1,
            "turnserver.conf:1: bad value '10.0.0.1-::1' for 'denied-peer-ip': expected an IP address, a range first-last of one family, or a prefix address/length",
        ),
        (
            "allowed-peer-ip=10.0.0.0/33",
            1,
            "turnserver.conf:1: bad value '10.0.0.0/33' for 'allowed-peer-ip': expected an IP address, a range first-last of one family, or a prefix address/length",
        ),
        (
            "user-quota=-1",
            1,
            "turnserver.conf:1: bad value '-1' for 'user-quota': expected a whole number up to 4294967295 (0: no limit)",
        ),
        (
            "total-quota=4294967296",
            1,
            "turnserver.conf:1: bad value '4294967296' for 'total-quota': expected a whole number up to 4294967295 (0: no limit)",
        ),
        (
            "max-bps=1M",
            1,
            "turnserver.conf:1: bad value '1M' for 'max-bps': expected bytes per second, a whole number (0: no limit)",
        ),
        (
            "stale-nonce=on",
            1,
            "turnserver.conf:1: bad value 'on' for 'stale-nonce': expected seconds up to 4294967295 (0 or above 3600: 3600, the longest a nonce lives), or no value for 600",
        ),
        (
            "max-allocate-lifetime=0",
            1,
            "turnserver.conf:1: bad value '0' for 'max-allocate-lifetime': expected seconds, from 1 to 4294967295",
        ),
        (
            "channel-lifetime=10m",
            1,
            "turnserver.conf:1: bad value '10m' for 'channel-lifetime': expected seconds, from 1 to 4294967295",
        ),
        (
            "permission-lifetime=+300",
            1,
            "turnserver.conf:1: bad value '+300' for 'permission-lifetime': expected seconds, from 1 to 4294967295",
        ),
        (
            "prometheus-port=65536",
            1,
            "turnserver.conf:1: bad value '65536' for 'prometheus-port': expected a port number (0-65535)",
        ),
    ];
    for (text, line, message) in cases {
        let e = err(text);
        assert!(matches!(e, ConfigError::InvalidValue { .. }), "{e:?}");
        assert_eq!(e.line(), Some(*line), "{text}");
        assert_eq!(e.to_string(), *message);
    }
}

#[test]
fn value_on_flag_and_missing_value() {
    let e = err("verbose\nno-udp=maybe\n");
    assert!(matches!(e, ConfigError::ValueOnFlag { key: "no-udp", .. }));
    assert_eq!(e.line(), Some(2));
    assert_eq!(
        e.to_string(),
        "turnserver.conf:2: 'no-udp' is a flag: it takes no value, or one of on/off, yes/no, true/false, 1/0; got 'maybe'"
    );
    // coturn's booleans are fine.
    for v in [
        "1", "0", "on", "OFF", "yes", "no", "true", "False", "t", "f", "y", "n",
    ] {
        parse(&format!("fingerprint={v}")).expect(v);
    }

    let e = err("listening-port\n");
    assert!(matches!(
        e,
        ConfigError::MissingValue {
            key: "listening-port",
            ..
        }
    ));
    assert_eq!(
        e.to_string(),
        "turnserver.conf:1: 'listening-port' needs a value"
    );
    let e = err("\n\nrealm = \"\"\n");
    assert_eq!(e.line(), Some(3));
    assert!(matches!(e, ConfigError::MissingValue { key: "realm", .. }));
}

#[test]
fn whole_config_errors() {
    let e = err("min-port=50000\nmax-port=40000\n");
    assert!(matches!(
        e,
        ConfigError::PortRange {
            min: 50000,
            max: 40000
        }
    ));
    assert_eq!(e.to_string(), "min-port (50000) is above max-port (40000)");
    let e = Config::from_args(args("--no-udp --no-tcp")).expect_err("nothing to serve");
    assert!(matches!(e, ConfigError::NoListeners));
}

#[test]
fn file_errors() {
    let e = Config::from_args(args("-c /nonexistent/wren/turnserver.conf")).expect_err("io");
    assert!(matches!(e, ConfigError::Read { .. }));
    assert!(
        e.to_string()
            .starts_with("cannot read configuration file /nonexistent/wren/turnserver.conf: ")
    );

    let conf = TempConf::new(b"verbose\n# caf\xe9\nlistening-port=3478\n");
    let e = Config::from_args(args(&format!("-c {}", conf.arg()))).expect_err("utf-8");
    assert!(matches!(e, ConfigError::NotUtf8 { .. }));
    assert_eq!(e.line(), Some(2));
    assert_eq!(e.to_string(), format!("{}:2: not valid UTF-8", conf.arg()));

    // Errors inside a -c file name that file.
    let conf = TempConf::new(b"\nlistening-port=x\n");
    let e = Config::from_args(args(&format!("-c {}", conf.arg()))).expect_err("bad port");
    assert!(
        e.to_string().starts_with(&format!("{}:2: ", conf.arg())),
        "{e}"
    );
}

#[test]
fn edit_distance_cases() {
    assert_eq!(edit_distance("", ""), 0);
    assert_eq!(edit_distance("abc", ""), 3);
    assert_eq!(edit_distance("listening-prot", "listening-port"), 1);
    assert_eq!(edit_distance("kitten", "sitting"), 3);
}

#[test]
fn user_key_or_password() {
    let c = parse(
        "user=ninefingers:0xbc807ee29df3c9ffa736523fb2c4e8ee\n\
         user=upper:0xBC807EE29DF3C9FFA736523FB2C4E8EE\n\
         user=colon:pass:word\n\
         user=zero:0X12\n",
    )
    .expect("users");
    let key = vec![
        0xbc, 0x80, 0x7e, 0xe2, 0x9d, 0xf3, 0xc9, 0xff, 0xa7, 0x36, 0x52, 0x3f, 0xb2, 0xc4, 0xe8,
        0xee,
    ];
    assert_eq!(c.values.users[0].secret, UserSecret::Key(key.clone()));
    assert_eq!(c.values.users[1].secret, UserSecret::Key(key));
    assert_eq!(
        c.values.users[2].secret,
        UserSecret::Password("pass:word".into())
    );
    // coturn looks for a lower-case "0x" only.
    assert_eq!(
        c.values.users[3].secret,
        UserSecret::Password("0X12".into())
    );
}

#[test]
fn peer_range_forms() {
    for (text, first, last) in [
        ("10.0.0.1", "10.0.0.1", "10.0.0.1"),
        ("10.0.0.1-10.0.0.255", "10.0.0.1", "10.0.0.255"),
        (" 10.0.0.1 - 10.0.0.255 ", "10.0.0.1", "10.0.0.255"),
        ("10.1.2.3/8", "10.0.0.0", "10.255.255.255"),
        ("0.0.0.0/0", "0.0.0.0", "255.255.255.255"),
        ("1.2.3.4/32", "1.2.3.4", "1.2.3.4"),
        (
            "fe80::1/10",
            "fe80::",
            "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        ),
        ("::/0", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
        ("::1/128", "::1", "::1"),
    ] {
        let r = parse_peer_range(text).expect(text);
        assert_eq!((r.first, r.last), (ip(first), ip(last)), "{text}");
        assert_eq!(Some(r.range()), IpRange::new(ip(first), ip(last)), "{text}");
        assert_eq!(
            parse_peer_range(&r.to_string()),
            Ok(r),
            "{text} prints back"
        );
    }
    for bad in [
        "",
        "-",
        "10.0.0.1-",
        "/8",
        "10.0.0.0/",
        "10.0.0.0/-1",
        "::/129",
        "[::1]",
        "host.example",
    ] {
        assert!(parse_peer_range(bad).is_err(), "{bad:?}");
    }
}
