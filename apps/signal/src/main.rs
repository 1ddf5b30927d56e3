//! `wren-signal`: serves signaling channels on 127.0.0.1 by default.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use clap::{CommandFactory, Parser};
use tokio::signal::unix::{SignalKind, signal};
use wren_signal::ice_servers::Relays;
use wren_signal::server::{self, Config, Server};

/// A signaling server with the Kinesis Video Streams channel model.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// A configuration file: these same keys, one per line (`key = value`); the command
    /// line wins. SIGHUP reads it again and applies the relay keys (static-auth-secret,
    /// turn-uri, stun-uri, ice-ttl) at once; clients are told RECONNECT_ICE_SERVER.
    #[arg(long)]
    config: Option<std::path::PathBuf>,
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// The region channel ARNs and SigV4 credentials name.
    #[arg(long, default_value = "us-west-2")]
    region: String,
    /// An access key SigV4-presigned URLs are checked against (repeatable).
    #[arg(long = "access-key", value_name = "ID:SECRET")]
    access_keys: Vec<String>,
    /// The secret connection tokens are signed with.
    #[arg(long)]
    token_secret: Option<String>,
    /// The TURN REST shared secret (wren-relay's and coturn's `static-auth-secret`).
    #[arg(long)]
    static_auth_secret: Option<String>,
    /// A TURN URI handed out with credentials (repeatable).
    #[arg(long = "turn-uri")]
    turn_uris: Vec<String>,
    /// A STUN URI handed out (repeatable).
    #[arg(long = "stun-uri")]
    stun_uris: Vec<String>,
    /// Seconds TURN credentials live.
    #[arg(long, default_value_t = 300)]
    ice_ttl: u64,
    /// The certificate chain (PEM) to serve wss/https with.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<std::path::PathBuf>,
    /// The private key (PEM) of `--tls-cert`.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<std::path::PathBuf>,
    /// Viewers per channel.
    #[arg(long, default_value_t = 10)]
    max_viewers: usize,
    /// SDP offers and answers per second per connection.
    #[arg(long, default_value_t = 5)]
    sdp_per_second: u32,
    /// ICE candidates per second per connection.
    #[arg(long, default_value_t = 20)]
    candidates_per_second: u32,
    /// Seconds of silence after which a connection is closed.
    #[arg(long, default_value_t = 600)]
    idle_timeout: u64,
    /// Seconds after which a connection is closed (GO_AWAY 30 s before).
    #[arg(long, default_value_t = 3600)]
    max_age: u64,
    /// Channels at most.
    #[arg(long, default_value_t = 10_000)]
    max_channels: usize,
    /// Seconds a drain (SIGTERM, SIGINT) waits after its GO_AWAY before closing connections.
    #[arg(long, default_value_t = 10)]
    drain_grace: u64,
    /// Share channels and members with other nodes through this Redis
    /// (`redis://HOST:PORT`, `redis+unix:///PATH`); without it, channels live here only.
    #[arg(long, value_name = "URL")]
    redis: Option<String>,
    /// This node's id in Redis (1-64 of [A-Za-z0-9_.-]; random by default).
    // No `requires = "redis"`: the command line is checked before the file is read.
    #[arg(long)]
    node_id: Option<String>,
    /// Seconds a node's registrations outlive its last heartbeat (it beats every third).
    #[arg(long, default_value_t = 5)]
    redis_ttl: u64,
}

/// The command line `argv`, after the keys of `--config FILE` if one is given.
fn parse_cli(argv: &[String]) -> Result<Cli, Box<dyn std::error::Error>> {
    let first = Cli::try_parse_from(argv)?;
    let Some(path) = &first.config else {
        return Ok(first);
    };
    let known: Vec<String> = Cli::command()
        .get_arguments()
        .filter_map(|a| a.get_long().map(str::to_owned))
        .filter(|k| k != "config")
        .collect();
    let from_file = wren_signal::config_file::arguments(path, &known)?;
    let mut merged = vec![argv[0].clone()];
    merged.extend(from_file);
    merged.extend(argv[1..].iter().cloned());
    Ok(Cli::try_parse_from(merged)?)
}

/// The relay set the command line (and file) describe, if any.
fn relays_of(cli: &Cli) -> Result<Option<Relays>, Box<dyn std::error::Error>> {
    match &cli.static_auth_secret {
        Some(_) if cli.turn_uris.is_empty() => {
            Err("--static-auth-secret needs at least one --turn-uri".into())
        }
        Some(secret) => Ok(Some(Relays {
            secret: secret.clone(),
            turn_uris: cli.turn_uris.clone(),
            stun_uris: cli.stun_uris.clone(),
            ttl: Duration::from_secs(cli.ice_ttl),
        })),
        None if !cli.turn_uris.is_empty() => Err("--turn-uri needs --static-auth-secret".into()),
        None => Ok(None),
    }
}

/// SIGHUP: reads the command line and `--config FILE` again and puts the relay set they
/// now describe in place (clients are told RECONNECT_ICE_SERVER when it changed). Other
/// keys take effect at the next start. A file that no longer reads is reported and the
/// running relay set kept.
async fn reload_on_hangup(argv: Vec<String>, handle: server::Handle) -> std::io::Result<()> {
    let mut hangups = signal(SignalKind::hangup())?;
    while hangups.recv().await.is_some() {
        let relays = parse_cli(&argv)
            .and_then(|cli| relays_of(&cli))
            .map_err(|e| e.to_string());
        match relays {
            Ok(relays) => {
                if handle.set_relays(relays).await {
                    tracing::info!("reload: relay set changed; RECONNECT_ICE_SERVER sent");
                } else {
                    tracing::info!("reload: relay set unchanged");
                }
            }
            Err(e) => tracing::error!("reload failed, relay set kept: {e}"),
        }
    }
    Ok(())
}

/// Resolves at SIGINT or SIGTERM (the server then drains).
async fn stop_signal() {
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wren-signal: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let argv: Vec<String> = std::env::args().collect();
    let cli = match parse_cli(&argv) {
        Ok(cli) => cli,
        // --help, --version and usage errors as clap prints them.
        Err(e) => match e.downcast::<clap::Error>() {
            Ok(e) => e.exit(),
            Err(e) => return Err(e),
        },
    };
    let mut config = Config {
        relays: relays_of(&cli)?,
        ..Config::default()
    };
    config.policy.region = cli.region;
    config.machine.max_viewers = cli.max_viewers;
    config.machine.sdp_per_second = cli.sdp_per_second;
    config.machine.candidates_per_second = cli.candidates_per_second;
    config.machine.idle_timeout = Duration::from_secs(cli.idle_timeout);
    config.machine.max_age = Duration::from_secs(cli.max_age);
    config.max_channels = cli.max_channels;
    config.machine.drain_grace = Duration::from_secs(cli.drain_grace);
    if cli.redis.is_none() && cli.node_id.is_some() {
        return Err("--node-id needs --redis".into());
    }
    if let Some(url) = &cli.redis {
        let mut settings = wren_signal::cluster::Settings::new(url)?;
        if let Some(id) = &cli.node_id {
            settings.node = wren_signal::cluster::NodeId::new(id)?;
        }
        if cli.redis_ttl == 0 {
            return Err("--redis-ttl must be at least 1 second".into());
        }
        settings.ttl = Duration::from_secs(cli.redis_ttl);
        config.cluster = Some(settings);
    }
    let mut keys = HashMap::new();
    for k in &cli.access_keys {
        let (id, secret) = k
            .split_once(':')
            .ok_or_else(|| format!("--access-key {k:?}: expected ID:SECRET"))?;
        keys.insert(id.to_owned(), secret.to_owned());
    }
    config.policy.access_keys = keys;
    config.policy.token_secret = cli.token_secret.map(String::into_bytes);
    if config.policy.token_secret.is_some() && config.policy.access_keys.is_empty() {
        tracing::warn!(
            "tokens guard the signaling connections only: without --access-key the API \
             (channels, GetIceServerConfig's TURN credentials) is open to anyone who reaches it"
        );
    }
    config.public_host = cli.listen.to_string();
    if let (Some(cert), Some(key)) = (&cli.tls_cert, &cli.tls_key) {
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let tls = wren_io::tls::server_config_from_files(cert, key, provider)?;
        config.tls_config = Some(std::sync::Arc::new(tls));
    }
    let scheme = if config.tls_config.is_some() {
        "https"
    } else {
        "http"
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(cli.listen).await?;
        println!("wren-signal: {scheme}://{}/", listener.local_addr()?);
        let server = Server::new(config);
        tokio::spawn(reload_on_hangup(argv, server.handle()));
        server.run(listener, stop_signal()).await
    })?;
    Ok(())
}
