//! Prometheus metrics of the relay: the counters of the TURN machine, and those of the
//! driver under it ([`driver`]: accept errors, connections refused and closed by limit,
//! TLS handshake failures, truncated datagrams, bind failures, GSO), exported live over
//! HTTP in the text exposition format, version 0.0.4.
//!
//! coturn's `prometheus` option starts the endpoint, on port 9641 unless `prometheus-port`
//! says otherwise ([`crate::config::Config::prometheus_addr`]); scrape `GET /metrics`.
//!
//! Two threads share one [`Metrics`] through an `Arc`: the data thread stores a snapshot of
//! the machine's [`Stats`] every few hundred milliseconds ([`Metrics::update`], never per
//! packet), and the HTTP thread ([`serve_http`]) renders the latest snapshot for each scrape.
//! The registry is a fixed array of atomics, so neither side ever waits for the other.
//!
//! The HTTP side is a few dozen lines of `std`: one request per connection, `Connection:
//! close`, GET/HEAD only. A crate (tiny_http, hyper) would bring a parser, keep-alive and
//! chunking that a scrape endpoint does not need, and its own threads or runtime; what it
//! does need is bounds, which are easier to see here: each connection is served on its own
//! short-lived thread (at most [`HttpLimits::max_connections`] at once), its request head
//! must arrive whole within [`HttpLimits::request_timeout`] and fit in
//! [`HttpLimits::max_request`] bytes, and writes time out too. A slow or hostile client holds
//! one slot for a bounded time and never delays another scrape.

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use tracing::{debug, warn};
use wren_turn::server::Stats;

mod driver;

use driver::DriverMetrics;

/// The Content-Type of the text exposition format, version 0.0.4.
pub(crate) const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Whether a family goes up and down or only up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Gauge,
    Counter,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
        }
    }
}

/// Where a series' value comes from.
#[derive(Clone, Copy)]
enum Source {
    /// The TURN machine's counters ([`Metrics::update`]).
    Turn(fn(&Stats) -> u64),
    /// The STUN Binding server's counters ([`Metrics::update_stun`]).
    Stun(fn(&wren_stun::server::Stats) -> u64),
}

/// One time series: its family (name, help, type), its one label if any, and its source.
/// Series of one family are consecutive in [`SERIES`].
struct Series {
    name: &'static str,
    help: &'static str,
    kind: Kind,
    label: Option<(&'static str, &'static str)>,
    source: Source,
}

const fn gauge(name: &'static str, help: &'static str, get: fn(&Stats) -> u64) -> Series {
    Series {
        name,
        help,
        kind: Kind::Gauge,
        label: None,
        source: Source::Turn(get),
    }
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
        source: Source::Turn(get),
    }
}

const PACKETS: &str = "wren_relay_packets_relayed_total";
const PACKETS_HELP: &str = "Datagrams relayed, by direction.";
const BYTES: &str = "wren_relay_bytes_relayed_total";
const BYTES_HELP: &str = "Application bytes relayed (without TURN framing), by direction.";
const DROPPED: &str = "wren_relay_dropped_total";
const DROPPED_HELP: &str = "Datagrams dropped, by reason.";
const NONCES: &str = "wren_relay_nonce_refusals_total";
const NONCES_HELP: &str = "Signed requests answered 438, by reason: stale (expired), foreign (issued to another 5-tuple or realm: a replay, or forged).";
const PEERS: &str = "wren_relay_peers_refused_total";
const PEERS_HELP: &str = "Peer addresses refused (403 to CreatePermission and ChannelBind; Send indications dropped), by reason.";
const CAPS: &str = "wren_relay_cap_hits_total";
const CAPS_HELP: &str = "Requests refused with 508 at the cap per allocation, by table.";
const QUOTAS: &str = "wren_relay_quota_refusals_total";
const QUOTAS_HELP: &str = "Allocate requests refused with 486, by quota.";

/// A peer refusal's series (`Refusal::ALL[i]`).
const fn peers_refused(reason: &'static str, get: fn(&Stats) -> u64) -> Series {
    counter(PEERS, PEERS_HELP, Some(("reason", reason)), get)
}

/// Every series, in the order they are exported.
const SERIES: &[Series] = &[
    gauge("wren_relay_allocations", "TURN allocations now.", |s| {
        s.allocations
    }),
    gauge(
        "wren_relay_permissions",
        "TURN permissions now, over all allocations.",
        |s| s.permissions,
    ),
    gauge(
        "wren_relay_channels",
        "TURN channel bindings now, over all allocations.",
        |s| s.channels,
    ),
    counter(
        "wren_relay_allocations_created_total",
        "TURN allocations created.",
        None,
        |s| s.allocations_created,
    ),
    counter(
        "wren_relay_allocations_expired_total",
        "TURN allocations that ran out of lifetime.",
        None,
        |s| s.allocations_expired,
    ),
    counter(
        "wren_relay_auth_failures_total",
        "Signed requests refused: unknown user, wrong password or realm, expired REST username.",
        None,
        |s| s.auth_failures,
    ),
    counter(PACKETS, PACKETS_HELP, Some(("direction", "to_peer")), |s| {
        s.packets_to_peers
    }),
    counter(
        PACKETS,
        PACKETS_HELP,
        Some(("direction", "to_client")),
        |s| s.packets_to_clients,
    ),
    counter(BYTES, BYTES_HELP, Some(("direction", "to_peer")), |s| {
        s.bytes_to_peers
    }),
    counter(BYTES, BYTES_HELP, Some(("direction", "to_client")), |s| {
        s.bytes_to_clients
    }),
    counter(DROPPED, DROPPED_HELP, Some(("reason", "malformed")), |s| {
        s.dropped_malformed
    }),
    counter(
        DROPPED,
        DROPPED_HELP,
        Some(("reason", "no_allocation")),
        |s| s.dropped_no_allocation,
    ),
    counter(
        DROPPED,
        DROPPED_HELP,
        Some(("reason", "no_permission")),
        |s| s.dropped_no_permission,
    ),
    counter(
        DROPPED,
        DROPPED_HELP,
        Some(("reason", "unknown_channel")),
        |s| s.dropped_unknown_channel,
    ),
    counter(DROPPED, DROPPED_HELP, Some(("reason", "bandwidth")), |s| {
        s.dropped_bandwidth
    }),
    counter(DROPPED, DROPPED_HELP, Some(("reason", "queue_full")), |s| {
        s.dropped_queue_full
    }),
    counter(
        DROPPED,
        DROPPED_HELP,
        Some(("reason", "own_address")),
        |s| s.dropped_own_address,
    ),
    counter(NONCES, NONCES_HELP, Some(("reason", "stale")), |s| {
        s.nonces_stale
    }),
    counter(NONCES, NONCES_HELP, Some(("reason", "foreign")), |s| {
        s.nonces_foreign
    }),
    // In the order of `Refusal::ALL` (a test checks the names).
    peers_refused("loopback", |s| s.peers_refused[0]),
    peers_refused("unspecified", |s| s.peers_refused[1]),
    peers_refused("multicast", |s| s.peers_refused[2]),
    peers_refused("link_local", |s| s.peers_refused[3]),
    peers_refused("private", |s| s.peers_refused[4]),
    peers_refused("reserved", |s| s.peers_refused[5]),
    peers_refused("denied", |s| s.peers_refused[6]),
    peers_refused("own_address", |s| s.peers_refused[7]),
    counter(CAPS, CAPS_HELP, Some(("table", "permissions")), |s| {
        s.permission_cap_hits
    }),
    counter(CAPS, CAPS_HELP, Some(("table", "channels")), |s| {
        s.channel_cap_hits
    }),
    counter(QUOTAS, QUOTAS_HELP, Some(("quota", "user")), |s| {
        s.user_quota_refusals
    }),
    counter(QUOTAS, QUOTAS_HELP, Some(("quota", "total")), |s| {
        s.total_quota_refusals
    }),
    counter(
        "wren_relay_unknown_methods_total",
        "Requests of a method the relay does not serve, answered 400.",
        None,
        |s| s.unknown_methods,
    ),
    Series {
        name: "wren_relay_stun_binding_responses_total",
        help: "STUN Binding responses sent, success and error.",
        kind: Kind::Counter,
        label: None,
        source: Source::Stun(|s| s.success + s.errors),
    },
];

/// The registry: the latest value of every series, shared between the data thread (writer)
/// and the HTTP thread (reader).
#[derive(Debug)]
pub(crate) struct Metrics {
    values: Vec<AtomicU64>,
    /// The driver's series ([`driver`]), after the machine's.
    driver: DriverMetrics,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Every series at 0.
    pub(crate) fn new() -> Metrics {
        Metrics {
            values: SERIES.iter().map(|_| AtomicU64::new(0)).collect(),
            driver: DriverMetrics::default(),
        }
    }

    /// Stores a snapshot of the TURN machine's counters (`TurnServer::stats()`). Call it on
    /// the data thread every few hundred milliseconds, not per packet.
    pub(crate) fn update(&self, stats: &Stats) {
        for (series, value) in SERIES.iter().zip(&self.values) {
            if let Source::Turn(get) = series.source {
                value.store(get(stats), Ordering::Relaxed);
            }
        }
    }

    /// Stores a snapshot of the STUN Binding server's counters (the STUN-only relay).
    pub(crate) fn update_stun(&self, stats: &wren_stun::server::Stats) {
        for (series, value) in SERIES.iter().zip(&self.values) {
            if let Source::Stun(get) = series.source {
                value.store(get(stats), Ordering::Relaxed);
            }
        }
    }

    /// Stores a snapshot of the driver's counters (wren-mio's [`wren_mio::Stats`]); its
    /// families are exported from then on, after the machine's.
    pub(crate) fn update_driver(&self, stats: &wren_mio::Stats) {
        self.driver.update(stats);
    }

    /// The exposition text: for each family a `# HELP` and a `# TYPE` line, then its series.
    pub(crate) fn render(&self) -> String {
        let mut out = String::with_capacity(2048);
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
        self.driver.render_into(&mut out);
        out
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

/// The bounds of the HTTP endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HttpLimits {
    /// Longest a client may take to send its whole request head (2 s).
    pub(crate) request_timeout: Duration,
    /// Longest one write of the response may block (2 s).
    pub(crate) write_timeout: Duration,
    /// Largest request head accepted (8 KiB); a longer one is answered 431.
    pub(crate) max_request: usize,
    /// Most connections served at once (16); more are closed on arrival.
    pub(crate) max_connections: usize,
    /// How often the accept loop looks at the stop flag (50 ms).
    pub(crate) poll_interval: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            request_timeout: Duration::from_secs(2),
            write_timeout: Duration::from_secs(2),
            max_request: 8 * 1024,
            max_connections: 16,
            poll_interval: Duration::from_millis(50),
        }
    }
}

/// Serves `GET /metrics` on `listener` until `stop` is set, with the default
/// [`HttpLimits`]. Runs on the calling thread; see [`spawn_http`] for a thread of its own.
pub(crate) fn serve_http(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    stop: Arc<AtomicBool>,
) -> io::Result<()> {
    serve_http_with(listener, metrics, stop, HttpLimits::default())
}

/// [`serve_http`] on a thread named `metrics-http`.
pub(crate) fn spawn_http(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    stop: Arc<AtomicBool>,
) -> io::Result<JoinHandle<io::Result<()>>> {
    thread::Builder::new()
        .name("metrics-http".into())
        .spawn(move || serve_http(listener, metrics, stop))
}

/// Releases a connection slot when the connection's thread ends (or never starts).
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// [`serve_http`] with explicit limits. The listener is switched to non-blocking so the loop
/// sees `stop` within [`HttpLimits::poll_interval`]; it returns once `stop` is set (threads
/// still answering finish within their own time bounds).
pub(crate) fn serve_http_with(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    stop: Arc<AtomicBool>,
    limits: HttpLimits,
) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let active = Arc::new(AtomicUsize::new(0));
    while !stop.load(Ordering::Acquire) {
        let (stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                thread::sleep(limits.poll_interval);
                continue;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                // Aborted handshakes, or no file descriptor left: keep serving, gently.
                debug!(error = %e, "metrics: accept failed");
                thread::sleep(limits.poll_interval);
                continue;
            }
        };
        if active.fetch_add(1, Ordering::AcqRel) >= limits.max_connections {
            active.fetch_sub(1, Ordering::AcqRel);
            debug!(%peer, "metrics: too many connections, closing");
            continue; // dropping the stream closes it
        }
        let slot = Slot(Arc::clone(&active));
        let metrics = Arc::clone(&metrics);
        let spawned = thread::Builder::new()
            .name("metrics-conn".into())
            .spawn(move || {
                let _slot = slot;
                if let Err(e) = answer(stream, &metrics, &limits) {
                    debug!(%peer, error = %e, "metrics: connection failed");
                }
            });
        if let Err(e) = spawned {
            // The closure, its slot and its stream are dropped with the error.
            warn!(error = %e, "metrics: cannot start a connection thread");
        }
    }
    Ok(())
}

/// A response: status line, extra headers, body.
struct Response {
    status: &'static str,
    headers: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
}

impl Response {
    fn text(status: &'static str, body: &str) -> Response {
        Response {
            status,
            headers: "",
            content_type: "text/plain; charset=utf-8",
            body: body.as_bytes().to_vec(),
        }
    }
}

/// Reads one request head within the limits, answers it, and closes.
fn answer(mut stream: TcpStream, metrics: &Metrics, limits: &HttpLimits) -> io::Result<()> {
    // Accepted sockets may inherit the listener's non-blocking mode on some systems.
    stream.set_nonblocking(false)?;
    stream.set_write_timeout(Some(limits.write_timeout))?;
    let deadline = Instant::now() + limits.request_timeout;
    let mut buf = vec![0u8; limits.max_request];
    let mut len = 0;
    let (response, head_only) = loop {
        if let Some(end) = head_end(&buf[..len]) {
            break route(&buf[..end], metrics);
        }
        // Refuse a broken request line as soon as it is complete.
        if let Some(line_end) = buf[..len].iter().position(|&b| b == b'\n')
            && parse_request_line(&buf[..line_end]).is_none()
        {
            break (Response::text("400 Bad Request", "bad request\n"), false);
        }
        if len == buf.len() {
            break (
                Response::text("431 Request Header Fields Too Large", "request too large\n"),
                false,
            );
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(()); // too slow: close without an answer
        }
        stream.set_read_timeout(Some(left))?;
        match stream.read(&mut buf[len..]) {
            Ok(0) => return Ok(()), // closed before a whole request
            Ok(n) => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(());
            }
            Err(e) => return Err(e),
        }
    };
    write_response(&mut stream, &response, head_only)?;
    // Let the client read the answer before the socket goes: half-close, then drain what it
    // may still send for a moment, so the close does not turn into a reset.
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
    let mut sink = [0u8; 1024];
    let mut drained = 0;
    while drained < 64 * 1024 {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
    Ok(())
}

/// Where the request head ends (after its blank line; bare `\n` line ends are taken too).
fn head_end(bytes: &[u8]) -> Option<usize> {
    let crlf = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4);
    let lf = bytes.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// `METHOD SP target SP HTTP/1.x` (RFC 9112 section 3), as `(method, target)`.
fn parse_request_line(line: &[u8]) -> Option<(&str, &str)> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split(' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    let token = !method.is_empty() && method.bytes().all(|b| b.is_ascii_uppercase());
    let http = version.starts_with("HTTP/1.") && version.len() == 8;
    (parts.next().is_none() && token && !target.is_empty() && http).then_some((method, target))
}

/// The answer to a request head, and whether to leave the body out (HEAD).
fn route(head: &[u8], metrics: &Metrics) -> (Response, bool) {
    let line = head.split(|&b| b == b'\n').next().unwrap_or(head);
    let Some((method, target)) = parse_request_line(line) else {
        return (Response::text("400 Bad Request", "bad request\n"), false);
    };
    let path = target.split_once('?').map_or(target, |(path, _)| path);
    match (method, path) {
        ("GET" | "HEAD", "/metrics") => (
            Response {
                status: "200 OK",
                headers: "",
                content_type: CONTENT_TYPE,
                body: metrics.render().into_bytes(),
            },
            method == "HEAD",
        ),
        (_, "/metrics") => (
            Response {
                headers: "Allow: GET, HEAD\r\n",
                ..Response::text("405 Method Not Allowed", "use GET\n")
            },
            false,
        ),
        _ => (
            Response::text("404 Not Found", "metrics are at /metrics\n"),
            method == "HEAD",
        ),
    }
}

fn write_response(stream: &mut TcpStream, r: &Response, head_only: bool) -> io::Result<()> {
    let mut out = format!(
        "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n{}\r\n",
        r.status,
        r.content_type,
        r.body.len(),
        r.headers
    )
    .into_bytes();
    if !head_only {
        out.extend_from_slice(&r.body);
    }
    stream.write_all(&out)?;
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;

    fn stats() -> Stats {
        let mut s = Stats::default();
        s.allocations = 3;
        s.permissions = 5;
        s.channels = 2;
        s.allocations_created = 40;
        s.allocations_expired = 37;
        s.auth_failures = 7;
        s.packets_to_peers = 1000;
        s.bytes_to_peers = 1_200_000;
        s.packets_to_clients = 990;
        s.bytes_to_clients = 1_188_000;
        s.dropped_malformed = 11;
        s.dropped_no_allocation = 12;
        s.dropped_no_permission = 13;
        s.dropped_unknown_channel = 14;
        s.dropped_bandwidth = 15;
        s.dropped_queue_full = 16;
        s.dropped_own_address = 17;
        s.nonces_stale = 18;
        s.nonces_foreign = 19;
        s.peers_refused = [20, 21, 22, 23, 24, 25, 26, 27];
        s.permission_cap_hits = 28;
        s.channel_cap_hits = 29;
        s.user_quota_refusals = 30;
        s.total_quota_refusals = 31;
        s.unknown_methods = 32;
        s.error_responses = 99;
        s
    }

    const EXPECTED: &str = "\
# HELP wren_relay_allocations TURN allocations now.
# TYPE wren_relay_allocations gauge
wren_relay_allocations 3
# HELP wren_relay_permissions TURN permissions now, over all allocations.
# TYPE wren_relay_permissions gauge
wren_relay_permissions 5
# HELP wren_relay_channels TURN channel bindings now, over all allocations.
# TYPE wren_relay_channels gauge
wren_relay_channels 2
# HELP wren_relay_allocations_created_total TURN allocations created.
# TYPE wren_relay_allocations_created_total counter
wren_relay_allocations_created_total 40
# HELP wren_relay_allocations_expired_total TURN allocations that ran out of lifetime.
# TYPE wren_relay_allocations_expired_total counter
wren_relay_allocations_expired_total 37
# HELP wren_relay_auth_failures_total Signed requests refused: unknown user, wrong password or realm, expired REST username.
# TYPE wren_relay_auth_failures_total counter
wren_relay_auth_failures_total 7
# HELP wren_relay_packets_relayed_total Datagrams relayed, by direction.
# TYPE wren_relay_packets_relayed_total counter
wren_relay_packets_relayed_total{direction=\"to_peer\"} 1000
wren_relay_packets_relayed_total{direction=\"to_client\"} 990
# HELP wren_relay_bytes_relayed_total Application bytes relayed (without TURN framing), by direction.
# TYPE wren_relay_bytes_relayed_total counter
wren_relay_bytes_relayed_total{direction=\"to_peer\"} 1200000
wren_relay_bytes_relayed_total{direction=\"to_client\"} 1188000
# HELP wren_relay_dropped_total Datagrams dropped, by reason.
# TYPE wren_relay_dropped_total counter
wren_relay_dropped_total{reason=\"malformed\"} 11
wren_relay_dropped_total{reason=\"no_allocation\"} 12
wren_relay_dropped_total{reason=\"no_permission\"} 13
wren_relay_dropped_total{reason=\"unknown_channel\"} 14
wren_relay_dropped_total{reason=\"bandwidth\"} 15
wren_relay_dropped_total{reason=\"queue_full\"} 16
wren_relay_dropped_total{reason=\"own_address\"} 17
# HELP wren_relay_nonce_refusals_total Signed requests answered 438, by reason: stale (expired), foreign (issued to another 5-tuple or realm: a replay, or forged).
# TYPE wren_relay_nonce_refusals_total counter
wren_relay_nonce_refusals_total{reason=\"stale\"} 18
wren_relay_nonce_refusals_total{reason=\"foreign\"} 19
# HELP wren_relay_peers_refused_total Peer addresses refused (403 to CreatePermission and ChannelBind; Send indications dropped), by reason.
# TYPE wren_relay_peers_refused_total counter
wren_relay_peers_refused_total{reason=\"loopback\"} 20
wren_relay_peers_refused_total{reason=\"unspecified\"} 21
wren_relay_peers_refused_total{reason=\"multicast\"} 22
wren_relay_peers_refused_total{reason=\"link_local\"} 23
wren_relay_peers_refused_total{reason=\"private\"} 24
wren_relay_peers_refused_total{reason=\"reserved\"} 25
wren_relay_peers_refused_total{reason=\"denied\"} 26
wren_relay_peers_refused_total{reason=\"own_address\"} 27
# HELP wren_relay_cap_hits_total Requests refused with 508 at the cap per allocation, by table.
# TYPE wren_relay_cap_hits_total counter
wren_relay_cap_hits_total{table=\"permissions\"} 28
wren_relay_cap_hits_total{table=\"channels\"} 29
# HELP wren_relay_quota_refusals_total Allocate requests refused with 486, by quota.
# TYPE wren_relay_quota_refusals_total counter
wren_relay_quota_refusals_total{quota=\"user\"} 30
wren_relay_quota_refusals_total{quota=\"total\"} 31
# HELP wren_relay_unknown_methods_total Requests of a method the relay does not serve, answered 400.
# TYPE wren_relay_unknown_methods_total counter
wren_relay_unknown_methods_total 32
# HELP wren_relay_stun_binding_responses_total STUN Binding responses sent, success and error.
# TYPE wren_relay_stun_binding_responses_total counter
wren_relay_stun_binding_responses_total 8
";

    #[test]
    fn exposition_text() {
        let m = Metrics::new();
        m.update(&stats());
        let stun = wren_stun::server::Stats {
            success: 6,
            errors: 2,
            malformed: 50,
            ..Default::default()
        };
        m.update_stun(&stun);
        assert_eq!(m.render(), EXPECTED);
    }

    #[test]
    fn fresh_registry_exports_every_series_at_zero() {
        let text = Metrics::new().render();
        let samples: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(samples.len(), SERIES.len());
        assert!(samples.iter().all(|l| l.ends_with(" 0")), "{text}");
        // Each family has one HELP and one TYPE line, before its samples.
        let families: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .collect();
        assert_eq!(families.len(), 15);
        for name in SERIES.iter().map(|s| s.name) {
            assert_eq!(
                text.matches(&format!("# HELP {name} ")).count(),
                1,
                "{name}"
            );
        }
    }

    /// The peer refusal series follow `Refusal::ALL`, name for name.
    #[test]
    fn peer_refusal_series_follow_the_refusals() {
        let labels: Vec<&str> = SERIES
            .iter()
            .filter(|s| s.name == PEERS)
            .filter_map(|s| s.label.map(|(_, l)| l))
            .collect();
        let names: Vec<&str> = wren_turn::server::Refusal::ALL
            .iter()
            .map(|r| r.name())
            .collect();
        assert_eq!(labels, names);
        let m = Metrics::new();
        let mut s = Stats::default();
        s.peers_refused[wren_turn::server::Refusal::OwnAddress.index()] = 5;
        m.update(&s);
        assert!(
            m.render()
                .contains("\nwren_relay_peers_refused_total{reason=\"own_address\"} 5\n")
        );
    }

    /// Updates replace the snapshot (the machine's counters are cumulative already).
    #[test]
    fn update_stores_the_latest_snapshot() {
        let m = Metrics::new();
        m.update(&stats());
        let mut later = stats();
        later.allocations = 0;
        later.packets_to_peers = 2000;
        m.update(&later);
        let text = m.render();
        assert!(text.contains("\nwren_relay_allocations 0\n"), "{text}");
        assert!(
            text.contains("\nwren_relay_packets_relayed_total{direction=\"to_peer\"} 2000\n"),
            "{text}"
        );
        // The STUN series is not touched by a TURN update.
        assert!(text.ends_with("wren_relay_stun_binding_responses_total 0\n"));
    }

    // -- HTTP --

    /// Limits short enough for tests.
    fn quick() -> HttpLimits {
        HttpLimits {
            request_timeout: Duration::from_millis(400),
            write_timeout: Duration::from_secs(2),
            max_request: 1024,
            max_connections: 4,
            poll_interval: Duration::from_millis(10),
        }
    }

    /// A server on 127.0.0.1:0, stopped and joined on drop.
    struct Server {
        addr: SocketAddr,
        metrics: Arc<Metrics>,
        stop: Arc<AtomicBool>,
        thread: Option<JoinHandle<io::Result<()>>>,
    }

    impl Server {
        fn start(limits: HttpLimits) -> Server {
            let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
            let addr = listener.local_addr().expect("addr");
            let metrics = Arc::new(Metrics::new());
            let stop = Arc::new(AtomicBool::new(false));
            let (m, s) = (Arc::clone(&metrics), Arc::clone(&stop));
            let thread = thread::spawn(move || serve_http_with(listener, m, s, limits));
            Server {
                addr,
                metrics,
                stop,
                thread: Some(thread),
            }
        }

        fn connect(&self) -> TcpStream {
            let s =
                TcpStream::connect_timeout(&self.addr, Duration::from_secs(2)).expect("connect");
            s.set_read_timeout(Some(Duration::from_secs(5)))
                .expect("timeout");
            s
        }

        /// Sends `request` and reads the whole answer (the server closes after it).
        fn exchange(&self, request: &[u8]) -> String {
            let mut s = self.connect();
            // A refused connection may be gone before the request is written: the answer is
            // then empty, which the caller checks.
            let _ = s.write_all(request);
            read_all(&mut s)
        }

        fn stop(&mut self) -> io::Result<()> {
            self.stop.store(true, Ordering::Release);
            match self.thread.take() {
                Some(t) => t.join().expect("server thread"),
                None => Ok(()),
            }
        }
    }

    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.stop();
        }
    }

    fn read_all(s: &mut TcpStream) -> String {
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    fn split(response: &str) -> (&str, &str) {
        response.split_once("\r\n\r\n").unwrap_or((response, ""))
    }

    #[test]
    fn get_metrics_round_trip() {
        let server = Server::start(quick());
        server.metrics.update(&stats());
        let response =
            server.exchange(b"GET /metrics HTTP/1.1\r\nHost: relay\r\nAccept: */*\r\n\r\n");
        let (head, body) = split(&response);
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        assert!(
            head.contains("\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8"),
            "{head}"
        );
        assert!(
            head.contains(&format!("\r\nContent-Length: {}", body.len())),
            "{head}"
        );
        assert!(head.contains("\r\nConnection: close"), "{head}");
        assert_eq!(body, server.metrics.render());
        assert!(body.contains("\nwren_relay_allocations 3\n"));

        // Live: the next scrape sees the next snapshot.
        let mut later = stats();
        later.allocations = 4;
        server.metrics.update(&later);
        let response = server.exchange(b"GET /metrics?x=1 HTTP/1.0\n\n");
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        assert!(split(&response).1.contains("\nwren_relay_allocations 4\n"));

        // HEAD: the headers alone.
        let response = server.exchange(b"HEAD /metrics HTTP/1.1\r\n\r\n");
        let (head, body) = split(&response);
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        assert_eq!(body, "");
    }

    #[test]
    fn other_paths_methods_and_garbage() {
        let server = Server::start(quick());
        for (request, status) in [
            (&b"GET / HTTP/1.1\r\n\r\n"[..], "HTTP/1.1 404 Not Found\r\n"),
            (
                b"GET /metrics/ HTTP/1.1\r\n\r\n",
                "HTTP/1.1 404 Not Found\r\n",
            ),
            (
                b"GET /favicon.ico HTTP/1.1\r\n\r\n",
                "HTTP/1.1 404 Not Found\r\n",
            ),
            (
                b"POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
                "HTTP/1.1 405 Method Not Allowed\r\n",
            ),
            (b"garbage\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n"),
            (b"GET /metrics\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n"),
            (
                b"GET /metrics HTTP/2.0 extra\r\n\r\n",
                "HTTP/1.1 400 Bad Request\r\n",
            ),
            (
                b"get /metrics HTTP/1.1\r\n\r\n",
                "HTTP/1.1 400 Bad Request\r\n",
            ),
            // A TLS ClientHello on the plain port: refused at its first line end.
            (
                b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\n",
                "HTTP/1.1 400 Bad Request\r\n",
            ),
        ] {
            let response = server.exchange(request);
            assert!(
                response.starts_with(status),
                "{:?} -> {response:?}",
                String::from_utf8_lossy(request)
            );
        }
        let response = server.exchange(b"PUT /metrics HTTP/1.1\r\n\r\n");
        assert!(response.contains("\r\nAllow: GET, HEAD\r\n"), "{response}");
    }

    #[test]
    fn oversized_request_is_refused() {
        let server = Server::start(quick());
        let mut request = b"GET /metrics HTTP/1.1\r\n".to_vec();
        while request.len() < 4096 {
            request.extend_from_slice(b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
        }
        let mut s = server.connect();
        // The server may answer (and stop reading) before all of it is sent.
        let _ = s.write_all(&request);
        let response = read_all(&mut s);
        assert!(
            response.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
            "{response:?}"
        );
    }

    /// A client that never finishes its request is cut off after the request timeout, and
    /// meanwhile does not delay anyone else.
    #[test]
    fn slow_client_does_not_block_a_second_request() {
        let limits = HttpLimits {
            request_timeout: Duration::from_millis(1500),
            ..quick()
        };
        let server = Server::start(limits);
        let mut slow = server.connect();
        slow.write_all(b"GET /metr").expect("partial request");

        let started = Instant::now();
        let response = server.exchange(b"GET /metrics HTTP/1.1\r\n\r\n");
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "the second request waited {:?} (behind the slow one it would wait 1.5 s)",
            started.elapsed()
        );

        // The slow one is closed without an answer, within its bound.
        let started = Instant::now();
        assert_eq!(read_all(&mut slow), "");
        let waited = started.elapsed();
        assert!(
            waited < limits.request_timeout + Duration::from_secs(2),
            "held for {waited:?}"
        );

        // A client that sends nothing at all is cut off too.
        let mut silent = server.connect();
        assert_eq!(read_all(&mut silent), "");
    }

    /// At most `max_connections` at once: the next is closed on arrival, and once the slow
    /// ones time out, scrapes work again.
    #[test]
    fn connections_are_capped() {
        let limits = HttpLimits {
            request_timeout: Duration::from_secs(3),
            ..quick()
        };
        let server = Server::start(limits);
        let holders: Vec<TcpStream> = (0..limits.max_connections)
            .map(|_| {
                let mut s = server.connect();
                s.write_all(b"GET").expect("partial");
                s
            })
            .collect();
        // Let the server accept all of them.
        thread::sleep(Duration::from_millis(100));
        let started = Instant::now();
        let refused = server.exchange(b"GET /metrics HTTP/1.1\r\n\r\n");
        assert_eq!(refused, "", "over the cap: closed without an answer");
        assert!(started.elapsed() < Duration::from_secs(2), "closed at once");

        drop(holders);
        // The slots come back (the holders' threads see EOF, or time out).
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let response = server.exchange(b"GET /metrics HTTP/1.1\r\n\r\n");
            if response.starts_with("HTTP/1.1 200 OK\r\n") {
                break;
            }
            assert!(Instant::now() < deadline, "slots never came back");
            thread::sleep(Duration::from_millis(50));
        }
    }

    #[test]
    fn stops_on_the_flag() {
        let limits = quick();
        let mut server = Server::start(limits);
        assert!(
            server
                .exchange(b"GET /metrics HTTP/1.1\r\n\r\n")
                .starts_with("HTTP/1.1 200 OK\r\n")
        );
        let started = Instant::now();
        server.stop().expect("clean stop");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        // The listener is gone with the server's thread.
        assert!(TcpStream::connect_timeout(&server.addr, Duration::from_millis(500)).is_err());
    }

    #[test]
    fn spawn_http_with_defaults() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let metrics = Arc::new(Metrics::new());
        let stop = Arc::new(AtomicBool::new(false));
        let handle = spawn_http(listener, Arc::clone(&metrics), Arc::clone(&stop)).expect("spawn");
        let mut s = TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        s.write_all(b"GET /metrics HTTP/1.1\r\n\r\n").expect("send");
        assert!(read_all(&mut s).starts_with("HTTP/1.1 200 OK\r\n"));
        stop.store(true, Ordering::Release);
        handle.join().expect("thread").expect("served");
    }

    #[test]
    fn request_line_and_head_parsing() {
        assert_eq!(
            parse_request_line(b"GET /metrics HTTP/1.1\r"),
            Some(("GET", "/metrics"))
        );
        assert_eq!(parse_request_line(b"HEAD / HTTP/1.0"), Some(("HEAD", "/")));
        for bad in [
            &b""[..],
            b"GET",
            b"GET /metrics",
            b"GET  /metrics HTTP/1.1",
            b"GET /metrics HTTP/1.1 x",
            b"GET /metrics HTTP/1.10",
            b"GET /metrics SPDY/3.1",
            b"G\xc3\xa9T /metrics HTTP/1.1",
        ] {
            assert_eq!(
                parse_request_line(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(head_end(b"GET / HTTP/1.1\r\n\r\nrest"), Some(18));
        assert_eq!(head_end(b"GET / HTTP/1.1\n\nrest"), Some(16));
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nHost: x\r\n"), None);
    }
}
