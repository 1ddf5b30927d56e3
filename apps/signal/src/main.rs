//! `wren-signal`: serves signaling channels on 127.0.0.1 by default.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use clap::{CommandFactory, Parser};
use wren_signal::ice_servers::Relays;
use wren_signal::server::{self, Config};

/// A signaling server with the Kinesis Video Streams channel model.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// A configuration file: these same keys, one per line (`key = value`); the command
    /// line wins.
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

/// The command line, after the keys of `--config FILE` if one is given.
fn parse_cli() -> Result<Cli, Box<dyn std::error::Error>> {
    let argv: Vec<String> = std::env::args().collect();
    let first = Cli::parse_from(&argv);
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

/// SIGINT (Ctrl-C) or SIGTERM (service managers, `kill`): both drain.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
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
    let cli = parse_cli()?;
    let mut config = Config::default();
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
    if let Some(secret) = cli.static_auth_secret {
        if cli.turn_uris.is_empty() {
            return Err("--static-auth-secret needs at least one --turn-uri".into());
        }
        config.relays = Some(Relays {
            secret,
            turn_uris: cli.turn_uris,
            stun_uris: cli.stun_uris,
            ttl: Duration::from_secs(cli.ice_ttl),
        });
    } else if !cli.turn_uris.is_empty() {
        return Err("--turn-uri needs --static-auth-secret".into());
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
        server::serve(listener, config, shutdown_signal()).await
    })?;
    Ok(())
}
