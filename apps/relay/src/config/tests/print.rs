//! `--print-config`.

use super::*;

#[test]
fn secrets_never_shown() {
    let c = parse(
        "user=alice:hunter2\nstatic-auth-secret=s3cr3t\nuser=bob:0xbc807ee29df3c9ffa736523fb2c4e8ee\n",
    )
    .expect("secrets");
    let turn = c
        .turn_server_config(SystemTime::UNIX_EPOCH)
        .err()
        .map(|e| e.to_string());
    for shown in [format!("{c:?}"), c.to_string(), format!("{turn:?}")] {
        assert!(
            !shown.contains("hunter2")
                && !shown.contains("s3cr3t")
                && !shown.contains("bc807ee2")
                && !shown.contains("188, 128"),
            "{shown}"
        );
    }
    assert!(c.to_string().contains("user=alice:<redacted>"));
    assert!(c.to_string().contains("user=bob:<redacted>"));
}

/// The configuration without its secrets, which print as `<redacted>`.
fn without_secrets(c: &Config) -> Values {
    Values {
        users: c
            .values
            .users
            .iter()
            .map(|u| UserAccount {
                name: u.name.clone(),
                secret: UserSecret::Password(String::new()),
            })
            .collect(),
        static_auth_secret: c
            .values
            .static_auth_secret
            .as_ref()
            .map(|_| Secret(String::new())),
        ..c.values.clone()
    }
}

/// Each key alone, and all of them together, print in turnserver.conf syntax that the file
/// parser reads back to the same values.
#[test]
fn print_config_reads_back_for_every_key() {
    let mut all = String::new();
    for key in KEYS {
        let value = super::keys::sample(key);
        let line = if value.is_empty() {
            format!("{}\n", key.name)
        } else {
            format!("{}={value}\n", key.name)
        };
        if key.name != "no-tcp" {
            all.push_str(&line); // no-udp with no-tcp would leave nothing to serve
        }
        let c = parse(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
        let printed = c.to_string();
        let back = parse(&printed).unwrap_or_else(|e| panic!("{e}\n{printed}"));
        assert_eq!(without_secrets(&back), without_secrets(&c), "{printed}");
    }
    let c = parse(&all).expect("every key at once");
    let printed = c.to_string();
    let back = parse(&printed).unwrap_or_else(|e| panic!("{e}\n{printed}"));
    assert_eq!(without_secrets(&back), without_secrets(&c), "{printed}");
    // In the order of the key table, after the header and before the warnings.
    let keys: Vec<&str> = printed
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('=').next().unwrap_or(l))
        .collect();
    let order: Vec<&str> = KEYS
        .iter()
        .map(|k| k.name)
        .filter(|n| keys.contains(n))
        .collect();
    let mut deduped = keys.clone();
    deduped.dedup();
    assert_eq!(deduped, order);
}
