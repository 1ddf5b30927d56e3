//! Serving: sockets for each listening address, the STUN or TURN machine, the mio driver,
//! and SIGINT/SIGTERM for a clean stop.
//!
//! Without TURN credentials configured (`lt-cred-mech` or `use-auth-secret`) the relay is a
//! STUN server ([`BindingServer`]); with them it is a TURN server ([`TurnServer`], which
//! answers Binding requests too). Either runs on wren-mio's batched driver, which also binds
//! the relayed-address sockets the TURN machine asks for. With a certificate configured,
//! each listening address also gets a TLS listener (`turns:`, [`crate::tls`]).
//!
//! Before anything is bound the soft descriptor limit is raised to the hard one. The
//! driver gets the connection bounds of the configuration (`Config::conn_limits`: caps,
//! deadlines, buffered bytes, the descriptor reserve), listeners with a deep backlog, and
//! never opens a TCP connection (`tcp_connect(false)`): a relay does not dial its clients.
//! Its counters join the machine's on `/metrics` at each refresh.

use std::convert::Infallible;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use tracing::{debug, info, warn};
use wren_core::{Datagram, Machine, SocketRequest, SocketResult, Transmit};
use wren_stun::server::Server as BindingServer;
use wren_turn::server::{Event as TurnEvent, Server as TurnServer};

use crate::config::{Config, ConfigError};
use crate::metrics::{self, Metrics};

/// The receive and send buffers of every UDP socket (listening and relayed), as coturn's
/// (the default 208 KiB overflows under load: the kernel drops at the listening socket).
const UDP_SOCKET_BUFFER: usize = 4 * 1024 * 1024;

/// How often the Prometheus snapshot is refreshed from the machine's counters.
const METRICS_INTERVAL: Duration = Duration::from_millis(250);

/// Why the relay could not serve.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ServeError {
    /// A listening socket could not be bound.
    #[error("cannot listen on {transport} {addr}: {source}")]
    Bind {
        /// "UDP", "TCP" or "TLS".
        transport: &'static str,
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The STUN configuration was refused (a credential OpaqueString refuses).
    #[error("STUN configuration: {0}")]
    Stun(#[from] wren_stun::PrepError),
    /// The TURN configuration was refused.
    #[error("TURN configuration: {0}")]
    Turn(#[from] wren_turn::server::ConfigError),
    /// The relay's configuration cannot make a TURN server.
    #[error("{0}")]
    Config(#[from] ConfigError),
    /// The TLS certificate or key cannot be used.
    #[error("TLS: {0}")]
    Tls(#[from] crate::tls::TlsError),
    /// Signal handlers could not be installed, or the driver thread failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The driver stopped on a socket error.
    #[error("driver: {0}")]
    Driver(#[from] wren_mio::DriverError),
}

/// The machine the relay runs: STUN only, or TURN.
#[derive(Debug)]
enum Kind {
    Stun(BindingServer),
    Turn(Box<TurnServer>),
}

/// The relay's machine and its Prometheus snapshot, refreshed every [`METRICS_INTERVAL`].
#[derive(Debug)]
struct Relay {
    kind: Kind,
    metrics: Option<Arc<Metrics>>,
    next_metrics: Option<Instant>,
    /// The driver's counters, for the snapshot (set once the driver is built).
    driver_stats: Option<Arc<OnceLock<wren_mio::Handle<Infallible>>>>,
}

impl Relay {
    /// Refreshes the snapshot when it is due (and arms the first refresh).
    fn refresh_metrics(&mut self, now: Instant) {
        let Some(metrics) = &self.metrics else { return };
        if self.next_metrics.is_some_and(|t| t > now) {
            return;
        }
        match &self.kind {
            Kind::Stun(s) => metrics.update_stun(&s.stats()),
            Kind::Turn(t) => {
                metrics.update(&t.stats());
                metrics.update_stun(&t.binding_stats());
            }
        }
        if let Some(handle) = self.driver_stats.as_ref().and_then(|h| h.get()) {
            metrics.update_driver(&handle.stats());
        }
        self.next_metrics = Some(now + METRICS_INTERVAL);
    }
}

impl Machine for Relay {
    type Event = TurnEvent;
    type Command = Infallible;
    type Error = Infallible;

    fn handle_datagram(&mut self, now: Instant, d: Datagram<'_>) {
        match &mut self.kind {
            Kind::Stun(s) => s.handle_datagram(now, d),
            Kind::Turn(t) => t.handle_datagram(now, d),
        }
        if self.next_metrics.is_none() {
            self.refresh_metrics(now);
        }
    }

    fn handle_command(&mut self, _now: Instant, cmd: Infallible) -> Result<(), Infallible> {
        match cmd {}
    }

    fn handle_timeout(&mut self, now: Instant) {
        if let Kind::Turn(t) = &mut self.kind {
            t.handle_timeout(now);
        }
        self.refresh_metrics(now);
    }

    fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        let t = match &mut self.kind {
            Kind::Stun(s) => s.poll_transmit(now, buf),
            Kind::Turn(t) => t.poll_transmit(now, buf),
        }?;
        // Per-packet lines only for STUN (answers) or at trace level (relayed data).
        if matches!(self.kind, Kind::Stun(_)) || tracing::enabled!(tracing::Level::TRACE) {
            debug!(client = %t.destination, transport = ?t.proto, bytes = buf.len(), "STUN response");
        }
        Some(t)
    }

    fn poll_event(&mut self) -> Option<TurnEvent> {
        match &mut self.kind {
            Kind::Stun(_) => None,
            Kind::Turn(t) => t.poll_event(),
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        let machine = match &self.kind {
            Kind::Stun(_) => None,
            Kind::Turn(t) => t.poll_timeout(),
        };
        [machine, self.next_metrics].into_iter().flatten().min()
    }

    /// The TURN server's timer when it is the next one, else the metrics refresh.
    fn describe_timer(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            Kind::Turn(t)
                if t.poll_timeout()
                    .is_some_and(|at| self.next_metrics.is_none_or(|m| at <= m)) =>
            {
                t.describe_timer(f)
            }
            _ if self.next_metrics.is_some() => f.write_str("metrics refresh"),
            _ => Ok(()),
        }
    }

    fn poll_socket_request(&mut self) -> Option<SocketRequest> {
        match &mut self.kind {
            Kind::Stun(_) => None,
            Kind::Turn(t) => t.poll_socket_request(),
        }
    }

    fn handle_socket_result(&mut self, now: Instant, result: SocketResult) {
        if let Kind::Turn(t) = &mut self.kind {
            t.handle_socket_result(now, result);
        }
    }
}

/// Logs what the TURN server reports.
fn log_event(e: TurnEvent) {
    match e {
        TurnEvent::Allocated {
            five,
            user,
            relayed,
        } => {
            info!(client = %five.client, transport = ?five.transport, %user, ?relayed, "allocation created");
        }
        TurnEvent::Closed { five, reason } => {
            info!(client = %five.client, transport = ?five.transport, ?reason, "allocation closed");
        }
        // Aggregated per source and interval: a flood of bad requests is not a flood of lines.
        TurnEvent::AuthFailed { client, reason } => crate::logging::auth_failed(client, reason),
        other => debug!(?other, "TURN event"),
    }
}

/// Builds the machine the configuration asks for.
fn machine(config: &Config, metrics: Option<Arc<Metrics>>) -> Result<Relay, ServeError> {
    #[allow(clippy::disallowed_methods)] // apps own the clock: read once, as the anchor
    let (now, wall) = (Instant::now(), SystemTime::now());
    let kind = if config.turn_enabled() {
        let turn_config = config.turn_server_config(wall)?;
        info!(relay = ?turn_config.relay_ips, realm = %turn_config.realm, "TURN enabled");
        Kind::Turn(Box::new(TurnServer::new(now, turn_config)?))
    } else {
        Kind::Stun(BindingServer::new(config.stun_server_config())?)
    };
    // With metrics, the first refresh is due at once: the driver's series are there from
    // the start, before any client speaks.
    let next_metrics = metrics.is_some().then_some(now);
    Ok(Relay {
        kind,
        metrics,
        next_metrics,
        driver_stats: None,
    })
}

/// The backlog asked for every TCP and TLS listener (the kernel caps it at
/// `net.core.somaxconn`): std's 128 fills in a moment under a burst of clients, whose SYNs
/// are then dropped and retried a second later.
const LISTEN_BACKLOG: u32 = 4096;

/// Deepens a listener's backlog to [`LISTEN_BACKLOG`]; a refusal is logged, not fatal.
fn deepen_backlog(listener: &TcpListener) {
    if let Err(e) = wren_mio::sockopt::set_listen_backlog(listener, LISTEN_BACKLOG) {
        warn!(error = %e, "cannot deepen the listen backlog");
    }
}

/// Raises the soft descriptor limit to the hard one, as coturn does, and logs the limit
/// in force: every TCP or TLS connection and every relayed address holds a descriptor.
fn raise_descriptor_limit() {
    match wren_mio::sockopt::raise_nofile_limit() {
        Ok((soft, hard)) => info!(soft, hard, "descriptor limit (RLIMIT_NOFILE)"),
        Err(e) => warn!(error = %e, "cannot raise the descriptor limit"),
    }
}

/// Binds every listening address and serves until SIGINT or SIGTERM.
pub(crate) fn run(config: &Config) -> Result<(), ServeError> {
    let tls = crate::tls::server_config(config)?;
    let stop_http = Arc::new(AtomicBool::new(false));
    let metrics = match config.prometheus_addr() {
        Some(addr) => {
            let listener = TcpListener::bind(addr).map_err(|source| ServeError::Bind {
                transport: "TCP (Prometheus)",
                addr,
                source,
            })?;
            info!(addr = %listener.local_addr()?, "Prometheus metrics on /metrics");
            let metrics = Arc::new(Metrics::new());
            metrics::spawn_http(listener, Arc::clone(&metrics), Arc::clone(&stop_http))?;
            Some(metrics)
        }
        None => None,
    };
    raise_descriptor_limit();
    let driver_stats = Arc::new(OnceLock::new());
    let mut relay = machine(config, metrics)?;
    relay.driver_stats = Some(Arc::clone(&driver_stats));
    // A relay never dials its clients: a reply to a client whose connection is gone is
    // dropped and counted (RFC 8656 section 3.1 ties a TCP or TLS allocation to its
    // connection), never sent on a connection it would open.
    let mut driver = wren_mio::Driver::new(relay)?
        .udp_recv_buffer(Some(UDP_SOCKET_BUFFER))
        .udp_send_buffer(Some(UDP_SOCKET_BUFFER))
        .tcp_connect(false)
        .tcp_buffer_limit(config.connection_buffer_limit())
        .conn_limits(config.conn_limits());
    for addr in config.listen_addrs() {
        if config.udp() {
            let sock = UdpSocket::bind(addr).map_err(|source| ServeError::Bind {
                transport: "UDP",
                addr,
                source,
            })?;
            info!(addr = %sock.local_addr()?, "listening on UDP");
            driver = driver.udp(sock)?;
        }
        if config.tcp() {
            let listener = TcpListener::bind(addr).map_err(|source| ServeError::Bind {
                transport: "TCP",
                addr,
                source,
            })?;
            deepen_backlog(&listener);
            info!(addr = %listener.local_addr()?, "listening on TCP");
            driver = driver.tcp_listener(listener)?;
        }
        if let Some(tls) = &tls {
            let addr = crate::tls::listen_addr(config, addr);
            let listener = TcpListener::bind(addr).map_err(|source| ServeError::Bind {
                transport: "TLS",
                addr,
                source,
            })?;
            deepen_backlog(&listener);
            info!(addr = %listener.local_addr()?, "listening on TLS");
            driver = driver.tls_listener(listener, Arc::clone(tls))?;
        }
    }
    let handle = driver.handle();
    let _ = driver_stats.set(handle.clone());
    let mut signals = Signals::new([SIGINT, SIGTERM])?;
    let signal_handle = handle.clone();
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                info!(signal, "stopping");
                signal_handle.shutdown();
            }
        })?;
    let result = driver.run(log_event);
    stop_http.store(true, Ordering::Relaxed);
    let stats = handle.stats();
    match result.map(|relay| relay.kind) {
        Ok(Kind::Stun(server)) => {
            info!(?stats, stun = ?server.stats(), "stopped");
            Ok(())
        }
        Ok(Kind::Turn(server)) => {
            info!(?stats, turn = ?server.stats(), "stopped");
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}
