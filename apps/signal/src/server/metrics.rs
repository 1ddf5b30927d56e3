//! `GET /metrics`: the machine's counters in the Prometheus text format.

use std::fmt::Write as _;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use tokio::sync::oneshot;

use super::App;
use super::actor::{Input, Snapshot};

pub(crate) async fn metrics(State(app): State<App>) -> Response {
    let (reply, rx) = oneshot::channel();
    if app.inputs.send(Input::Stats(reply)).await.is_err() {
        return super::api::error(503, "ServiceUnavailable", "the server is stopping");
    }
    match rx.await {
        Ok(s) => render(&s).into_response(),
        Err(_) => super::api::error(503, "ServiceUnavailable", "the server is stopping"),
    }
}

/// The text exposition of `s`.
#[must_use]
pub fn render(s: &Snapshot) -> String {
    let m = &s.machine;
    let mut out = String::new();
    let mut line = |name: &str, kind: &str, help: &str, value: u64| {
        let _ = writeln!(out, "# HELP wren_signal_{name} {help}");
        let _ = writeln!(out, "# TYPE wren_signal_{name} {kind}");
        let _ = writeln!(out, "wren_signal_{name} {value}");
    };
    line(
        "connections",
        "gauge",
        "WebSocket connections now.",
        s.connections as u64,
    );
    line(
        "channels",
        "gauge",
        "Signaling channels now.",
        s.channels as u64,
    );
    line(
        "connections_accepted_total",
        "counter",
        "Connections accepted.",
        m.connections_accepted,
    );
    line(
        "connections_refused_total",
        "counter",
        "Connections refused (no channel, full, draining).",
        m.connections_refused,
    );
    line(
        "connections_replaced_total",
        "counter",
        "Connections replaced by a newer one of the same role and id.",
        m.replaced,
    );
    line(
        "idle_closed_total",
        "counter",
        "Connections closed for silence.",
        m.idle_closed,
    );
    line(
        "aged_closed_total",
        "counter",
        "Connections closed at their maximum age.",
        m.aged_closed,
    );
    line(
        "slow_readers_closed_total",
        "counter",
        "Connections closed because they stopped reading.",
        s.slow_readers_closed,
    );
    line(
        "messages_delivered_total",
        "counter",
        "Messages delivered.",
        m.delivered,
    );
    line(
        "messages_malformed_total",
        "counter",
        "Messages refused as malformed.",
        m.malformed,
    );
    line(
        "messages_oversize_total",
        "counter",
        "Messages with a payload over the limit.",
        m.oversize,
    );
    line(
        "messages_misaddressed_total",
        "counter",
        "Messages from a viewer to a viewer, or from the master to no one.",
        m.misaddressed,
    );
    line(
        "messages_undeliverable_total",
        "counter",
        "Messages whose recipient was not connected.",
        m.undeliverable,
    );
    line(
        "messages_rate_limited_total",
        "counter",
        "Messages above the rate limits.",
        m.rate_limited,
    );
    if let Some(c) = &s.cluster {
        line(
            "cluster_up",
            "gauge",
            "Whether this node reaches Redis now (1) or not (0).",
            u64::from(c.up),
        );
        line(
            "cluster_messages_sent_total",
            "counter",
            "Messages handed to another node through Redis.",
            c.sent,
        );
        line(
            "cluster_messages_received_total",
            "counter",
            "Messages from other nodes taken from this node's inbox.",
            c.received,
        );
        line(
            "cluster_messages_delivered_total",
            "counter",
            "Messages from other nodes delivered to a connection here.",
            m.remote_delivered,
        );
        line(
            "cluster_messages_undeliverable_total",
            "counter",
            "Messages from other nodes whose recipient had left this node.",
            m.remote_undeliverable,
        );
        line(
            "cluster_not_connected_total",
            "counter",
            "Messages for recipients no live node holds.",
            c.not_connected,
        );
        line(
            "cluster_unavailable_total",
            "counter",
            "Messages refused because Redis could not be reached.",
            m.cluster_unavailable,
        );
        line(
            "cluster_evictions_total",
            "counter",
            "Connections here replaced by a newer registration on another node.",
            c.evictions,
        );
        line(
            "cluster_redis_errors_total",
            "counter",
            "Failed Redis commands and connection attempts.",
            c.redis_errors,
        );
        line(
            "cluster_dropped_total",
            "counter",
            "Cluster commands dropped because the link's queue was full.",
            c.dropped,
        );
    }
    out
}
