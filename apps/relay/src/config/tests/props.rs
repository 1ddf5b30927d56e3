//! Property tests: no input panics, and valid files print back to the same configuration.

use proptest::prelude::*;

use super::*;

fn key() -> impl Strategy<Value = &'static str> {
    prop::sample::select(KEYS.iter().map(|k| k.name).collect::<Vec<_>>())
}

/// Lines of valid settings in any of coturn's spellings.
fn valid_line() -> impl Strategy<Value = String> {
    let sep = prop::sample::select(vec!["=", " ", "\t", " = ", "=="]);
    let lead = prop::sample::select(vec!["", " ", "\t"]);
    let end = prop::sample::select(vec!["", " ", "\r"]);
    let ip = prop_oneof![
        any::<[u8; 4]>().prop_map(IpAddr::from),
        any::<[u16; 8]>().prop_map(IpAddr::from),
    ];
    let word = "[a-z][a-z0-9.:/_-]{0,20}";
    let number = prop_oneof![Just(0u64), 1u64..=u64::from(u32::MAX), any::<u64>()];
    let range =
        (any::<[u8; 4]>(), any::<[u8; 4]>(), 0u8..=32, 0u8..3).prop_map(|(a, b, len, form)| {
            let (a, b) = (Ipv4Addr::from(a), Ipv4Addr::from(b));
            match form {
                0 => a.to_string(),
                1 => format!("{}-{}", a.min(b), a.max(b)),
                _ => format!("{a}/{len}"),
            }
        });
    (
        (key(), sep, lead, end),
        (ip, 1u16.., any::<bool>(), word, number, range),
    )
        .prop_map(
            |((key, sep, lead, end), (ip, port, quoted, word, number, range))| {
                let ip_text = ip.to_string();
                let spec = find(key).expect("key from KEYS");
                let value = match key {
                    _ if spec.kind == Kind::Flag => {
                        if quoted {
                            String::new()
                        } else {
                            "on".to_owned()
                        }
                    }
                    "listening-ip" => ip_text,
                    "relay-ip" if ip.is_unspecified() => "192.0.2.1".to_owned(),
                    "relay-ip" => ip_text,
                    "external-ip" => format!("{ip}/{ip}"),
                    "allowed-peer-ip" | "denied-peer-ip" => range,
                    "user" => format!("u{word}:{word}"),
                    // Within the default range's ends, so either alone stays valid.
                    "min-port" => "1000".to_owned(),
                    "max-port" => "60000".to_owned(),
                    k if k.ends_with("port") => port.to_string(),
                    "max-bps" => number.to_string(),
                    "max-permissions" | "max-channels" => (1 + number % 65535).to_string(),
                    "max-connections"
                    | "max-connections-per-ip"
                    | "connection-buffer-limit"
                    | "total-buffer-limit"
                    | "fd-reserve" => number.to_string(),
                    k if k.ends_with("timeout") => (number % (u64::from(u32::MAX) + 1)).to_string(),
                    k if k.ends_with("quota") => (number % (u64::from(u32::MAX) + 1)).to_string(),
                    "stale-nonce" if quoted => String::new(),
                    "stale-nonce" => (number % (u64::from(u32::MAX) + 1)).to_string(),
                    k if k.ends_with("lifetime") => (1 + number % u64::from(u32::MAX)).to_string(),
                    _ if quoted => format!("\"{word}\""),
                    _ => word,
                };
                if value.is_empty() {
                    format!("{lead}{key}{end}")
                } else {
                    format!("{lead}{key}{sep}{value}{end}")
                }
            },
        )
}

fn valid_file() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        4 => valid_line(),
        1 => Just(String::new()),
        1 => "#[^\n]{0,30}",
    ];
    prop::collection::vec(line, 0..30).prop_map(|lines| {
        // no-udp and no-tcp together are refused; keep the generated files valid.
        let mut lines = lines;
        if lines.iter().any(|l| l.contains("no-udp")) {
            lines.retain(|l| !l.contains("no-tcp"));
        }
        lines.join("\n")
    })
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = parse(&text);
    }

    #[test]
    fn arbitrary_lines_never_panic(lines in prop::collection::vec(
        prop_oneof![
            "[ \t]*[a-zA-Z-]{0,25}[ \t=]*[^\n]{0,30}",
            key().prop_map(str::to_owned),
            (key(), "[ =\t]{1,3}", "[^\n]{0,20}").prop_map(|(k, s, v)| format!("{k}{s}{v}")),
        ],
        0..20,
    )) {
        if let Err(e) = parse(&lines.join("\n")) {
            // Every error renders, and points inside the file when it points at a line.
            let _ = e.to_string();
            if let Some(line) = e.line() {
                prop_assert!(line >= 1 && line <= lines.len().max(1));
            }
        }
    }

    #[test]
    fn valid_files_parse_and_print_back(text in valid_file()) {
        let config = parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        // Printing redacts secrets; compare everything else.
        let printed = config.to_string();
        let back = parse(&printed).map_err(|e| TestCaseError::fail(format!("{e}\n{printed}")))?;
        let strip = |c: Config| Config {
            values: Values {
                users: c.values.users.iter().map(|u| UserAccount {
                    name: u.name.clone(),
                    secret: UserSecret::Password(String::new()),
                }).collect(),
                static_auth_secret: c.values.static_auth_secret.map(|_| Secret(String::new())),
                ..c.values
            },
            ..c
        };
        prop_assert_eq!(strip(back), strip(config));
    }

    #[test]
    fn arbitrary_command_lines_never_panic(words in prop::collection::vec(
        prop_oneof![
            key().prop_map(|k| format!("--{k}")),
            "-[a-zA-Z]",
            "[^\u{0}]{0,12}",
        ],
        0..8,
    )) {
        // No `-c`: random words must not name files to read.
        let words = words.into_iter().filter(|w| !w.starts_with("-c"));
        let _ = Config::from_args(std::iter::once("wren-relay".to_owned()).chain(words));
    }
}
