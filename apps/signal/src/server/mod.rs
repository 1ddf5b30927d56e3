//! The server: the KVS HTTP API and the signaling WebSocket on one port (axum on tokio),
//! around the signaling machine run by one task ([`actor`]).

pub mod actor;
mod api;
mod api_auth;
pub mod authorize;
pub mod metrics;
mod page;
pub mod query;
mod relay_set;
pub mod tls;
mod ws;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::cluster::Cluster;
use crate::core::{Config as MachineConfig, Registry, Signaling};
use crate::ice_servers::Relays;
use authorize::Policy;
use relay_set::RelaySet;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The machine's limits.
    pub machine: MachineConfig,
    /// Who may connect.
    pub policy: Policy,
    /// The account id written into channel ARNs.
    pub account: String,
    /// Channels at most.
    pub max_channels: usize,
    /// The relay credentials are handed out for, if any (replaceable while running:
    /// [`Handle::set_relays`]).
    pub relays: Option<Relays>,
    /// Events queued per connection before it counts as a slow reader and is closed.
    pub send_queue: usize,
    /// The largest WebSocket message accepted.
    pub max_frame: usize,
    /// How often connections are pinged.
    pub ping_interval: Duration,
    /// How long a frame may wait to be taken by a peer before the connection is closed.
    pub send_timeout: Duration,
    /// Whether the server is behind TLS (the endpoints it hands out say wss/https).
    pub tls: bool,
    /// Serve TLS with this configuration (`--tls-cert`, `--tls-key`); sets `tls`.
    pub tls_config: Option<Arc<rustls::ServerConfig>>,
    /// How long a TLS handshake may take.
    pub tls_handshake_timeout: Duration,
    /// The host:port written into endpoints when a request has no Host header.
    pub public_host: String,
    /// One node of several on one Redis (`--redis`); `None`: channels in memory here.
    pub cluster: Option<crate::cluster::Settings>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            machine: MachineConfig::default(),
            policy: Policy {
                region: "us-west-2".to_owned(),
                ..Policy::default()
            },
            account: "000000000000".to_owned(),
            max_channels: 10_000,
            relays: None,
            send_queue: 256,
            max_frame: 64 * 1024,
            ping_interval: Duration::from_secs(30),
            send_timeout: Duration::from_secs(10),
            tls: false,
            tls_config: None,
            tls_handshake_timeout: Duration::from_secs(10),
            public_host: "127.0.0.1".to_owned(),
            cluster: None,
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub(crate) struct App {
    inputs: mpsc::Sender<actor::Input>,
    cluster: Option<Cluster>,
    next_conn: Arc<AtomicU64>,
    config: Arc<Config>,
    relays: RelaySet,
}

/// A running server's handle: drain it, replace its relay set, or tell clients to refetch
/// ICE servers.
#[derive(Debug, Clone)]
pub struct Handle {
    inputs: mpsc::Sender<actor::Input>,
    relays: RelaySet,
}

impl Handle {
    /// GO_AWAY to every connection, close them after the grace, accept no new ones.
    pub async fn drain(&self) {
        let _ = self.inputs.send(actor::Input::Drain).await;
    }

    /// RECONNECT_ICE_SERVER to every connection.
    pub async fn reconnect_ice_servers(&self) {
        let _ = self.inputs.send(actor::Input::ReconnectIceServers).await;
    }

    /// Hands out credentials for `relays` from now on (`None`: no relay). When that
    /// changes anything (URIs, TTL, the shared secret), every connection is told
    /// RECONNECT_ICE_SERVER, as KVS does when its relays change; returns whether it did.
    pub async fn set_relays(&self, relays: Option<Relays>) -> bool {
        let changed = self.relays.replace(relays);
        if changed {
            self.reconnect_ice_servers().await;
        }
        changed
    }
}

/// The router and the machine's task for `config` (spawned on the current tokio runtime).
pub fn router(config: Config) -> (Router, Handle) {
    let registry = Registry::new(&config.policy.region, &config.account, config.max_channels);
    let mut machine_config = config.machine.clone();
    let (events, cluster_rx) = mpsc::channel(4096);
    let cluster = config.cluster.clone().and_then(|mut settings| {
        settings.region.clone_from(&config.policy.region);
        settings.account.clone_from(&config.account);
        settings.max_channels = config.max_channels;
        Cluster::start(settings, events)
            .inspect_err(|e| tracing::error!(error = %e, "not clustered"))
            .ok()
    });
    machine_config.clustered = cluster.is_some();
    let machine = Signaling::new(machine_config, registry);
    let (inputs, rx) = mpsc::channel(4096);
    tokio::spawn(actor::run(
        machine,
        rx,
        cluster.clone().map(|c| (c, cluster_rx)),
    ));
    let relays = RelaySet::new(config.relays.clone());
    let app = App {
        inputs: inputs.clone(),
        cluster,
        next_conn: Arc::new(AtomicU64::new(1)),
        config: Arc::new(config),
        relays: relays.clone(),
    };
    // The API (signed when access keys are configured), then what needs no signature.
    let api = Router::new()
        .route("/createSignalingChannel", post(api::create))
        .route("/describeSignalingChannel", post(api::describe))
        .route("/listSignalingChannels", post(api::list))
        .route("/deleteSignalingChannel", post(api::delete))
        .route("/getSignalingChannelEndpoint", post(api::endpoint))
        .route("/v1/get-ice-server-config", post(api::ice_server_config))
        .route_layer(axum::middleware::from_fn_with_state(
            app.clone(),
            api_auth::require_signature,
        ));
    let router = Router::new()
        .route("/", get(ws::root))
        .route("/metrics", get(metrics::metrics))
        .merge(api)
        .with_state(app);
    (router, Handle { inputs, relays })
}

/// A server made but not yet serving: take its [`Handle`] first (to reload its relays, or
/// drain it), then [`Server::run`] it.
pub struct Server {
    router: Router,
    handle: Handle,
    tls: Option<Arc<rustls::ServerConfig>>,
    tls_handshake_timeout: Duration,
    grace: Duration,
}

impl Server {
    /// The server for `config`; its machine's task is spawned on the current tokio runtime.
    #[must_use]
    pub fn new(mut config: Config) -> Server {
        let grace = config.machine.drain_grace;
        config.tls |= config.tls_config.is_some();
        let tls = config.tls_config.clone();
        let tls_handshake_timeout = config.tls_handshake_timeout;
        let (router, handle) = router(config);
        Server {
            router,
            handle,
            tls,
            tls_handshake_timeout,
            grace,
        }
    }

    /// Its handle.
    #[must_use]
    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// Serves on `listener` (over TLS when [`Config::tls_config`] is set) until `shutdown`
    /// resolves, then drains: every connection gets GO_AWAY, and is closed after the grace
    /// (or sooner, when its client reconnects to another node of the cluster).
    ///
    /// # Errors
    ///
    /// When accepting fails for good.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let Server {
            router,
            handle,
            tls,
            tls_handshake_timeout,
            grace,
        } = self;
        let shutdown = async move {
            shutdown.await;
            handle.drain().await;
            tokio::time::sleep(grace).await;
        };
        match tls {
            Some(tls) => {
                let listener = tls::TlsListener::new(listener, tls, tls_handshake_timeout)?;
                axum::serve(listener, router)
                    .with_graceful_shutdown(shutdown)
                    .await
            }
            None => {
                axum::serve(listener, router)
                    .with_graceful_shutdown(shutdown)
                    .await
            }
        }
    }
}

/// Serves `config` on `listener` until `shutdown` resolves, then drains
/// ([`Server::new`] then [`Server::run`]).
///
/// # Errors
///
/// When accepting fails for good.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    Server::new(config).run(listener, shutdown).await
}
