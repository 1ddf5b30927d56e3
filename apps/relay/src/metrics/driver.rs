//! The driver's own series on `/metrics`: what wren-mio counted about sockets and
//! connections ([`wren_mio::Stats`]), beside the TURN machine's.
//!
//! Its families follow the machine's in the exposition, once the driver's first snapshot
//! is stored ([`DriverMetrics::update`]; the relay stores one with every refresh of the
//! machine's): before it there is no driver to speak of, and the machine's families read
//! the same with or without it.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use wren_mio::Stats;

use super::Kind;

/// One series of the driver's: family, help, type, one optional label, its counter.
struct Series {
    name: &'static str,
    help: &'static str,
    kind: Kind,
    label: Option<(&'static str, &'static str)>,
    get: fn(&Stats) -> u64,
}

const fn counter(
    name: &'static str,
    help: &'static str,
    label: Option<(&'static str, &'static str)>,
    get: fn(&Stats) -> u64,
) -> Series {
    Series {
        name,
        help,
        kind: Kind::Counter,
        label,
        get,
    }
}

const ACCEPTED: &str = "wren_relay_connections_accepted_total";
const ACCEPTED_HELP: &str = "TCP and TLS connections accepted and admitted, by transport.";
const REFUSED: &str = "wren_relay_connections_refused_total";
const REFUSED_HELP: &str =
    "TCP and TLS connections accepted and closed at once, by the bound that refused them.";
const LIMITED: &str = "wren_relay_connections_closed_by_limit_total";
const LIMITED_HELP: &str =
    "TCP and TLS connections closed by a deadline, a buffer bound or the TURN server, by reason.";

/// Every series of the driver's, in the order they are exported.
const SERIES: &[Series] = &[
    counter(
        "wren_relay_udp_truncated_total",
        "UDP datagrams dropped because they were longer than the receive slot.",
        None,
        |s| s.dropped_truncated,
    ),
    counter(
        "wren_relay_transmits_no_route_total",
        "Datagrams dropped because no socket or connection could carry them (a reply to a client whose connection is gone: never dialled).",
        None,
        |s| s.dropped_no_route,
    ),
    counter(
        "wren_relay_bind_failures_total",
        "Relayed-address sockets the driver could not bind.",
        None,
        |s| s.bind_failures,
    ),
    Series {
        name: "wren_relay_gso_disabled",
        help: "1 if the kernel refused UDP GSO and it was turned off, else 0.",
        kind: Kind::Gauge,
        label: None,
        get: |s| s.gso_disabled,
    },
    counter(
        "wren_relay_accept_errors_total",
        "Accept calls that failed (out of descriptors or memory, aborted); the listener backs off and retries.",
        None,
        |s| s.accept_errors,
    ),
    counter(ACCEPTED, ACCEPTED_HELP, Some(("transport", "tcp")), |s| {
        s.tcp_accepted
    }),
    counter(ACCEPTED, ACCEPTED_HELP, Some(("transport", "tls")), |s| {
        s.tls_accepted
    }),
    counter(
        "wren_relay_connections_closed_total",
        "TCP and TLS connections closed, for any reason.",
        None,
        |s| s.tcp_closed,
    ),
    counter(
        "wren_relay_tls_handshake_failures_total",
        "TLS connections closed before their handshake completed, for any reason.",
        None,
        |s| s.tls_handshake_failures,
    ),
    counter(REFUSED, REFUSED_HELP, Some(("reason", "total")), |s| {
        s.conns_refused_total
    }),
    counter(REFUSED, REFUSED_HELP, Some(("reason", "per_source")), |s| {
        s.conns_refused_per_source
    }),
    counter(
        REFUSED,
        REFUSED_HELP,
        Some(("reason", "descriptors")),
        |s| s.conns_refused_descriptors,
    ),
    counter(
        LIMITED,
        LIMITED_HELP,
        Some(("reason", "first_message_deadline")),
        |s| s.deadline_first_message,
    ),
    counter(
        LIMITED,
        LIMITED_HELP,
        Some(("reason", "tls_handshake_deadline")),
        |s| s.deadline_tls_handshake,
    ),
    counter(
        LIMITED,
        LIMITED_HELP,
        Some(("reason", "buffer_limit")),
        |s| s.tcp_overflows,
    ),
    counter(
        LIMITED,
        LIMITED_HELP,
        Some(("reason", "total_buffer_limit")),
        |s| s.tcp_total_overflows,
    ),
    counter(LIMITED, LIMITED_HELP, Some(("reason", "requested")), |s| {
        s.disconnects_requested
    }),
];

/// The latest snapshot of the driver's counters, written by the data thread and read by
/// the HTTP thread.
#[derive(Debug)]
pub(crate) struct DriverMetrics {
    stored: AtomicBool,
    values: Vec<AtomicU64>,
}

impl Default for DriverMetrics {
    fn default() -> Self {
        DriverMetrics {
            stored: AtomicBool::new(false),
            values: SERIES.iter().map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

impl DriverMetrics {
    /// Stores a snapshot of the driver's counters.
    pub(crate) fn update(&self, stats: &Stats) {
        for (series, value) in SERIES.iter().zip(&self.values) {
            value.store((series.get)(stats), Ordering::Relaxed);
        }
        self.stored.store(true, Ordering::Release);
    }

    /// Appends the driver's families to `out`, once a snapshot is stored.
    pub(crate) fn render_into(&self, out: &mut String) {
        if !self.stored.load(Ordering::Acquire) {
            return;
        }
        let mut family = "";
        for (series, value) in SERIES.iter().zip(&self.values) {
            if series.name != family {
                family = series.name;
                // Writing to a String cannot fail.
                let _ = writeln!(out, "# HELP {} {}", series.name, series.help);
                let _ = writeln!(out, "# TYPE {} {}", series.name, series.kind.as_str());
            }
            let value = value.load(Ordering::Relaxed);
            let _ = match series.label {
                Some((key, label)) => writeln!(out, "{}{{{key}=\"{label}\"}} {value}", series.name),
                None => writeln!(out, "{} {value}", series.name),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_before_the_first_snapshot_then_every_counter_in_its_series() {
        let m = DriverMetrics::default();
        let mut out = String::new();
        m.render_into(&mut out);
        assert_eq!(out, "");
        let mut s = Stats::default();
        s.dropped_truncated = 1;
        s.dropped_no_route = 2;
        s.bind_failures = 3;
        s.gso_disabled = 1;
        s.accept_errors = 5;
        s.tcp_accepted = 6;
        s.tls_accepted = 7;
        s.tcp_closed = 8;
        s.tls_handshake_failures = 9;
        s.conns_refused_total = 10;
        s.conns_refused_per_source = 11;
        s.conns_refused_descriptors = 12;
        s.deadline_first_message = 13;
        s.deadline_tls_handshake = 14;
        s.tcp_overflows = 15;
        s.tcp_total_overflows = 16;
        s.disconnects_requested = 17;
        m.update(&s);
        m.render_into(&mut out);
        for line in [
            "wren_relay_udp_truncated_total 1",
            "wren_relay_transmits_no_route_total 2",
            "wren_relay_bind_failures_total 3",
            "wren_relay_gso_disabled 1",
            "wren_relay_accept_errors_total 5",
            "wren_relay_connections_accepted_total{transport=\"tcp\"} 6",
            "wren_relay_connections_accepted_total{transport=\"tls\"} 7",
            "wren_relay_connections_closed_total 8",
            "wren_relay_tls_handshake_failures_total 9",
            "wren_relay_connections_refused_total{reason=\"total\"} 10",
            "wren_relay_connections_refused_total{reason=\"per_source\"} 11",
            "wren_relay_connections_refused_total{reason=\"descriptors\"} 12",
            "wren_relay_connections_closed_by_limit_total{reason=\"first_message_deadline\"} 13",
            "wren_relay_connections_closed_by_limit_total{reason=\"tls_handshake_deadline\"} 14",
            "wren_relay_connections_closed_by_limit_total{reason=\"buffer_limit\"} 15",
            "wren_relay_connections_closed_by_limit_total{reason=\"total_buffer_limit\"} 16",
            "wren_relay_connections_closed_by_limit_total{reason=\"requested\"} 17",
            "# TYPE wren_relay_gso_disabled gauge",
            "# TYPE wren_relay_connections_refused_total counter",
        ] {
            assert!(out.lines().any(|l| l == line), "{line} missing in:\n{out}");
        }
        let families = out.lines().filter(|l| l.starts_with("# TYPE ")).count();
        assert_eq!(families, 10);
    }
}
