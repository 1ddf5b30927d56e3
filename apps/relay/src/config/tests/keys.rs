//! The key table: every key parses, only the not-yet keys warn.

use super::*;

/// A valid value for a key, by the kind of value it takes.
pub(super) fn sample(key: &Key) -> &'static str {
    match key.value_name {
        None => "",
        Some("PORT") => "50000", // inside the default relay range, for min-port and max-port alone
        Some("IP") => "127.0.0.1",
        Some("PUBLIC[/PRIVATE]") => "203.0.113.1/10.0.0.1",
        Some("IP[-IP]") => "10.0.0.0/8",
        Some("NAME:PASSWORD") => "a:b",
        Some("NUMBER" | "BYTES" | "SECONDS") => "1",
        Some(_) => "x",
    }
}

/// Every declared key parses from the file and from the command line, to the same value,
/// and is stored (it prints); none is also in the list of coturn-only keys.
#[test]
fn every_key_parses_from_file_and_command_line() {
    for key in KEYS {
        let value = sample(key);
        let (line, arg) = if key.kind == Kind::Flag {
            (key.name.to_owned(), format!("--{}", key.name))
        } else {
            (
                format!("{}={value}", key.name),
                format!("--{}={value}", key.name),
            )
        };
        let file = parse(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
        let cli = Config::from_args(["wren-relay", &arg]).unwrap_or_else(|e| panic!("{arg}: {e}"));
        assert_eq!(file.values, cli.values, "{}", key.name);
        assert_ne!(
            file.values,
            Config::default().values,
            "{} is stored",
            key.name
        );
        assert!(
            file.to_string()
                .lines()
                .any(|l| l == key.name || l.starts_with(&format!("{}=", key.name))),
            "{} prints:\n{file}",
            key.name
        );
        if let Some(short) = key.short {
            let short = Config::from_args(if value.is_empty() {
                vec!["wren-relay".to_owned(), format!("-{short}")]
            } else {
                vec![
                    "wren-relay".to_owned(),
                    format!("-{short}"),
                    value.to_owned(),
                ]
            })
            .unwrap_or_else(|e| panic!("-{short}: {e}"));
            assert_eq!(short.values, cli.values, "-{short}");
        }
        assert!(
            !COTURN_ONLY.contains(&key.name),
            "{} in both lists",
            key.name
        );
    }
}

/// Names and short flags are unique, and clap accepts the command built from them.
#[test]
fn names_and_short_flags_are_unique() {
    for (i, key) in KEYS.iter().enumerate() {
        for other in &KEYS[i + 1..] {
            assert_ne!(key.name, other.name);
            assert!(
                key.short.is_none() || key.short != other.short,
                "{} and {}",
                key.name,
                other.name
            );
        }
        assert!(!key.help().is_empty(), "{} has help", key.name);
    }
    super::super::cli::command().debug_assert();
}

#[test]
fn lifetimes_other_than_the_rfc_warn() {
    let c = parse("channel-lifetime=60\npermission-lifetime=30\n").expect("lifetimes");
    let warned: Vec<&str> = c.unimplemented().iter().map(|u| u.key).collect();
    assert_eq!(warned, vec!["channel-lifetime", "permission-lifetime"]);
    let c = parse("channel-lifetime=600\npermission-lifetime=300\n").expect("RFC values");
    assert!(c.unimplemented().is_empty());
}

/// Each key that is parsed but not acted on warns when set, and only those keys do.
#[test]
fn every_not_yet_key_warns_when_set() {
    for key in KEYS {
        let value = match key.name {
            _ if key.kind == Kind::Flag => "",
            "tls-listening-port" => "5349",
            "external-ip" => "203.0.113.1",
            "channel-lifetime" | "permission-lifetime" => "1",
            "log-file" => "/var/log/turn.log",
            _ => "/some/where",
        };
        let Ok(c) = parse(&format!("{} {value}\n", key.name)) else {
            continue; // a value this generic table does not fit; covered elsewhere
        };
        let warned: Vec<&str> = c.unimplemented().iter().map(|u| u.key).collect();
        match key.not_yet {
            Some(_) => assert_eq!(warned, vec![key.name], "{} must warn", key.name),
            None => assert!(warned.is_empty(), "{} warns: {warned:?}", key.name),
        }
    }
    let c = parse("log-file=stdout\n").expect("stdout");
    assert!(c.unimplemented().is_empty());
}
