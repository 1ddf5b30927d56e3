//! The `wren-probe` command line (clap); the work is in the library (`src/lib.rs`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use wren_probe::gather::{self, Settings};
use wren_probe::output;
use wren_probe::tls::{self, Trust};
use wren_probe::uri::{IceUri, UriTransport};

/// Checks STUN and TURN servers.
#[derive(Debug, Parser)]
#[command(name = "wren-probe", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Gathers candidates from STUN and TURN servers, as a browser would.
    ///
    /// Prints one line per candidate, "SERVER  N ms  candidate:...", and one line per server
    /// that gave nothing, "SERVER  failed after N ms: REASON". Exits with 0 only when every
    /// server answered, 1 when one did not, 2 for a bad URI or option.
    ///
    /// Examples:
    ///   wren-probe ice stun:stun.example.org
    ///   wren-probe ice -u alice -c secret turn:example.org turn:example.org?transport=tcp
    ///   wren-probe ice --ca ca.pem -u alice -c secret turns:example.org:5349
    #[command(verbatim_doc_comment)]
    Ice(IceArgs),
}

/// The options of `ice`.
#[derive(Debug, Args)]
struct IceArgs {
    /// Username for TURN servers (long-term credentials).
    #[arg(short, long, default_value = "")]
    username: String,
    /// Password for TURN servers.
    #[arg(short, long, default_value = "")]
    credential: String,
    /// Seconds to wait for each server, DNS and connection included.
    #[arg(short, long, default_value = "5", value_parser = parse_timeout, value_name = "S")]
    timeout: Duration,
    /// Accept any TLS certificate (turns:, stuns:).
    #[arg(long, conflicts_with = "ca")]
    insecure: bool,
    /// Trust the CA certificates of this PEM file instead of the built-in roots.
    #[arg(long, value_name = "FILE")]
    ca: Option<PathBuf>,
    /// Print JSON Lines instead of text.
    #[arg(long)]
    json: bool,
    /// Servers: stun:HOST[:PORT], stuns:HOST[:PORT], turn:HOST[:PORT][?transport=udp|tcp],
    /// turns:HOST[:PORT] (IPv6 in brackets; default ports 3478 and 5349).
    #[arg(required = true, value_name = "URI")]
    uris: Vec<String>,
}

/// A timeout in seconds, more than zero (fractions allowed).
fn parse_timeout(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !(secs > 0.0 && secs <= 3600.0) {
        return Err(format!("{s} s is not between 0 and 3600"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Ice(args) => ice(args),
    }
}

/// `wren-probe ice`.
fn ice(args: IceArgs) -> ExitCode {
    let mut servers = Vec::with_capacity(args.uris.len());
    let mut bad = false;
    for label in &args.uris {
        match label.parse::<IceUri>() {
            Ok(uri) => servers.push((label.trim().to_owned(), uri)),
            Err(e) => {
                eprintln!("wren-probe: bad URI {label:?}: {e}");
                bad = true;
            }
        }
    }
    if servers.iter().any(|(_, u)| u.scheme.is_turn())
        && (args.username.is_empty() || args.credential.is_empty())
    {
        // As RTCIceServer refuses a turn: URL without username and credential.
        eprintln!("wren-probe: turn: and turns: URIs need --username and --credential");
        bad = true;
    }
    if bad {
        return ExitCode::from(2);
    }
    let tls = if servers
        .iter()
        .any(|(_, u)| u.transport == UriTransport::Tls)
    {
        let trust = match (args.insecure, args.ca) {
            (true, _) => Trust::Insecure,
            (false, Some(path)) => Trust::Ca(path),
            (false, None) => Trust::WebPki,
        };
        match tls::client_config(&trust) {
            Ok(config) => Some(config),
            Err(e) => {
                eprintln!("wren-probe: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        None
    };
    let settings = Arc::new(Settings {
        username: args.username,
        credential: args.credential,
        timeout: args.timeout,
        tls,
    });
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wren-probe: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let total = servers.len();
    let answered = runtime.block_on(run(servers, settings, args.json));
    if answered == total {
        ExitCode::SUCCESS
    } else {
        eprintln!("wren-probe: {answered} of {total} servers answered");
        ExitCode::from(1)
    }
}

/// Probes every server at once and prints reports as they come; returns how many answered.
async fn run(servers: Vec<(String, IceUri)>, settings: Arc<Settings>, json: bool) -> usize {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut tasks = tokio::task::JoinSet::new();
    for (label, uri) in servers {
        tasks.spawn(gather::probe(label, uri, Arc::clone(&settings), tx.clone()));
    }
    drop(tx);
    while let Some(report) = rx.recv().await {
        let line = if json {
            output::json(&report)
        } else {
            output::text(&report)
        };
        println!("{line}");
    }
    let mut answered = 0;
    while let Some(done) = tasks.join_next().await {
        answered += usize::from(matches!(done, Ok(true)));
    }
    answered
}
