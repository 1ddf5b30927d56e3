//! How reports are printed: one line each, stable and easy to grep, as text or JSON.
//!
//! ```text
//! stun:127.0.0.1:3478  12 ms  candidate:1 1 udp 1694498815 127.0.0.1 50001 typ srflx raddr 0.0.0.0 rport 50001
//! turn:127.0.0.1:3478  failed after 8 ms: 401 Unauthorized: credentials refused (username "u")
//! ```
//!
//! With `--json`, one object per line (JSON Lines):
//!
//! ```text
//! {"server":"stun:127.0.0.1:3478","ms":12,"type":"srflx","candidate":"candidate:1 1 udp ..."}
//! {"server":"turn:127.0.0.1:3478","ms":8,"error":"401 Unauthorized: ..."}
//! ```

use std::fmt::Write as _;

use crate::gather::Report;

/// The text line of `report`.
#[must_use]
pub fn text(report: &Report) -> String {
    match report {
        Report::Candidate {
            server,
            elapsed,
            candidate,
        } => format!("{server}  {} ms  {candidate}", elapsed.as_millis()),
        Report::Failed {
            server,
            elapsed,
            failure,
        } => format!(
            "{server}  failed after {} ms: {failure}",
            elapsed.as_millis()
        ),
    }
}

/// The JSON line of `report`.
#[must_use]
pub fn json(report: &Report) -> String {
    match report {
        Report::Candidate {
            server,
            elapsed,
            candidate,
        } => format!(
            "{{\"server\":{},\"ms\":{},\"type\":{},\"candidate\":{}}}",
            quote(server),
            elapsed.as_millis(),
            quote(candidate.kind.token()),
            quote(&candidate.to_string())
        ),
        Report::Failed {
            server,
            elapsed,
            failure,
        } => format!(
            "{{\"server\":{},\"ms\":{},\"error\":{}}}",
            quote(server),
            elapsed.as_millis(),
            quote(&failure.to_string())
        ),
    }
}

/// `s` as a JSON string (RFC 8259 section 7).
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::Failure;
    use std::time::Duration;

    #[test]
    fn lines() {
        let c: wren_ice::Candidate =
            "candidate:1 1 udp 1694498815 127.0.0.1 50001 typ srflx raddr 0.0.0.0 rport 50001"
                .parse()
                .unwrap();
        let r = Report::Candidate {
            server: "stun:127.0.0.1:3478".into(),
            elapsed: Duration::from_millis(12),
            candidate: c,
        };
        assert_eq!(
            text(&r),
            "stun:127.0.0.1:3478  12 ms  candidate:1 1 udp 1694498815 127.0.0.1 50001 typ srflx raddr 0.0.0.0 rport 50001"
        );
        assert_eq!(
            json(&r),
            "{\"server\":\"stun:127.0.0.1:3478\",\"ms\":12,\"type\":\"srflx\",\"candidate\":\"candidate:1 1 udp 1694498815 127.0.0.1 50001 typ srflx raddr 0.0.0.0 rport 50001\"}"
        );
        let r = Report::Failed {
            server: "stun:x".into(),
            elapsed: Duration::from_millis(8),
            failure: Failure::Closed,
        };
        assert_eq!(
            text(&r),
            "stun:x  failed after 8 ms: the server closed the connection"
        );
    }

    #[test]
    fn json_escapes() {
        assert_eq!(quote("a\"b\\c\n\u{1}é"), "\"a\\\"b\\\\c\\n\\u0001é\"");
    }
}
