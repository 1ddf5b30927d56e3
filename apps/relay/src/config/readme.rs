//! The README's table of coturn keys ("wren-relay in place of coturn"), rendered from the key
//! declarations: each key declared with `readme: Row` appears in that row, with its short
//! flag, "repeatable" for a list, and its note. `tests/readme.rs` checks that README.md holds
//! exactly this table (and rewrites it with `WREN_UPDATE_README=1`).

use super::key::{Key, Kind};
use super::keys::KEYS;

/// A row of the README table: what a group of keys is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Row {
    /// Where STUN and TURN listen.
    Listening,
    /// Relayed addresses and ports.
    Relaying,
    /// RFC 8489 long-term credentials.
    LongTermCredentials,
    /// Time-limited credentials from a shared secret.
    RestApi,
    /// Which peers may be relayed to.
    PeerPolicy,
    /// Limits on allocations and bandwidth.
    Quotas,
    /// Limits and deadlines of TCP and TLS connections.
    Connections,
    /// TURN over TLS.
    Tls,
    /// What STUN and TURN messages carry.
    Messages,
    /// Serving behind NAT.
    Nat,
    /// Logs and the pid file.
    Logging,
    /// The Prometheus endpoint.
    Metrics,
}

#[allow(
    dead_code,
    reason = "the README table is rendered by a test (tests/readme.rs), not by the binary"
)]
impl Row {
    /// Every row, in the README's order.
    pub(crate) const ALL: [Row; 12] = [
        Row::Listening,
        Row::Relaying,
        Row::LongTermCredentials,
        Row::RestApi,
        Row::PeerPolicy,
        Row::Quotas,
        Row::Connections,
        Row::Tls,
        Row::Messages,
        Row::Nat,
        Row::Logging,
        Row::Metrics,
    ];

    /// The "what" column.
    fn what(self) -> &'static str {
        match self {
            Row::Listening => "listening",
            Row::Relaying => "relaying",
            Row::LongTermCredentials => "long-term credentials",
            Row::RestApi => "TURN REST API",
            Row::PeerPolicy => "peer policy",
            Row::Quotas => "quotas",
            Row::Connections => "connections",
            Row::Tls => "TLS (`turns:`)",
            Row::Messages => "messages",
            Row::Nat => "NAT",
            Row::Logging => "logging",
            Row::Metrics => "metrics",
        }
    }

    /// Said before the keys (may be empty).
    fn intro(self) -> &'static str {
        match self {
            Row::PeerPolicy => {
                "by default no relaying to loopback, private, link-local, unspecified or \
                 reserved addresses in any IPv6 spelling, to broadcast and link-local multicast, \
                 or to the relay's own listening addresses (403, see Security);"
            }
            Row::Tls => "rustls, TLS 1.3 and 1.2:",
            _ => "",
        }
    }

    /// Said after the keys (may be empty).
    fn outro(self) -> &'static str {
        match self {
            Row::RestApi => "(usernames `expiry:user`, expired ones refused)",
            Row::Quotas => {
                ": 486 when a quota is reached (`user-quota` counts REST users without the \
                 timestamp, and EVEN-PORT reservations while held), 508 at a cap per allocation"
            }
            Row::Connections => {
                ": a connection refused is accepted and closed at once; each refusal and \
                 close is counted on `/metrics`"
            }
            Row::Metrics => ": `/metrics` in Prometheus text format",
            _ => "",
        }
    }
}

/// One key as the README shows it: `` `name` (`-s`, repeatable, note) ``.
#[allow(dead_code, reason = "used by table()")]
fn cell(key: &Key) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(short) = key.short {
        parts.push(format!("`-{short}`"));
    }
    if key.kind == Kind::List {
        parts.push("repeatable".to_owned());
    }
    if let Some(note) = key.readme.map(|r| r.note).filter(|n| !n.is_empty()) {
        parts.push(note.to_owned());
    }
    if parts.is_empty() {
        format!("`{}`", key.name)
    } else {
        format!("`{}` ({})", key.name, parts.join(", "))
    }
}

/// The whole table in Markdown, header included, each line ending in `\n`.
#[allow(
    dead_code,
    reason = "the README table is rendered by a test (tests/readme.rs), not by the binary"
)]
pub(crate) fn table() -> String {
    let mut out = String::from("| what | keys |\n|---|---|\n");
    for row in Row::ALL {
        let keys: Vec<String> = KEYS
            .iter()
            .filter(|k| k.readme.is_some_and(|r| r.row == row))
            .map(cell)
            .collect();
        let mut text = keys.join(", ");
        if !row.intro().is_empty() {
            text = format!("{} {text}", row.intro());
        }
        match row.outro() {
            "" => {}
            outro if outro.starts_with(':') => text.push_str(outro),
            outro => {
                text.push(' ');
                text.push_str(outro);
            }
        }
        out.push_str(&format!("| {} | {text} |\n", row.what()));
    }
    out
}
