//! The `wren-probe` command line (clap); the work is in the library (`src/lib.rs`).

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use wren_core::Transport;
use wren_ice::{Role, TurnServer};

use wren_probe::agent::{self, AgentSettings, Outcome};
use wren_probe::gather::{self, Settings};
use wren_probe::output;
use wren_probe::sdp;
use wren_probe::tls::{self, Trust};
use wren_probe::uri::{IceUri, UriTransport};

/// Checks STUN and TURN servers, and connectivity between two hosts.
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
    /// Runs one ICE agent and connects it to a peer, signalling over standard input and output.
    ///
    /// Prints its side of the signalling, one line each: "ufrag U", "pwd P", each
    /// "candidate:..." line as it is gathered, "end-of-candidates". Reads the peer's lines of
    /// the same kinds from standard input (any other line is ignored; SDP's "a=ice-ufrag:",
    /// "a=ice-pwd:", "a=candidate:" and "a=end-of-candidates" are taken too). When a pair is
    /// selected it prints "connected LOCAL -> REMOTE (rtt N ms)", each side as
    /// "TYPE udp ADDRESS" (TYPE: host, srflx, prflx or relay), sends "ping N" on the pair,
    /// answers the peer's pings, and prints "data N bytes from ADDRESS: TEXT" for each that
    /// arrives.
    ///
    /// Exits with 0 once connected and data went both ways, 1 when ICE failed (the failure
    /// report, with every pair tried and why it failed, is printed after "failed"), 2 when
    /// the time ran out or for a bad URI or option.
    ///
    /// Two machines can check the path between them: start one agent on each, and paste
    /// each one's output into the other's input (the whole output, at once or as it comes).
    /// Or join two agents pipe to pipe, as the network-namespace test does.
    ///
    /// Examples:
    ///   wren-probe agent --role controlling --interface 192.0.2.10 stun:stun.example.org
    ///   wren-probe agent --role controlled --interface 10.0.0.5 -u alice -c secret \
    ///       stun:example.org turn:example.org turn:example.org?transport=tcp
    #[command(verbatim_doc_comment)]
    Agent(AgentArgs),
    /// Explains a session description, or prints the answer Wren would make to it.
    #[command(subcommand)]
    Sdp(SdpCommand),
}

/// The subcommands of `sdp`.
#[derive(Debug, Subcommand)]
enum SdpCommand {
    /// Prints what an SDP says in plain words, and warns where calls usually break.
    ///
    /// The session (origin, offer or answer, BUNDLE groups, ICE lite, session-level ICE and
    /// DTLS parameters), then each section: kind, mid, port, direction, codecs with their
    /// parameters in words, RTCP feedback, header extensions, candidates, ICE and DTLS
    /// parameters (the ICE password's length, not the password), simulcast layers, sources
    /// and the data channel. Then one "warning: ..." line for each problem found: a
    /// rejected section and why, a missing fingerprint or ICE credential, credentials a
    /// signalling layer may have escaped, private or .local addresses only, no candidates
    /// without trickle, a bundled section without rtcp-mux, setup:actpass in an answer, a
    /// BUNDLE group naming a mid that no section has.
    ///
    /// Exits with 0 when the SDP was read (warnings or not), 2 when it could not be read
    /// or parsed (the line and what was expected go to standard error).
    ///
    /// Examples:
    ///   wren-probe sdp explain offer.sdp
    ///   wren-probe sdp explain --offer offer.sdp answer.sdp
    ///   pbpaste | wren-probe sdp explain -
    #[command(verbatim_doc_comment)]
    Explain(ExplainArgs),
    /// Prints the answer Wren's JSEP model makes to an offer with its default capabilities.
    ///
    /// Default capabilities: Opus, G.711 (PCMU, PCMA), telephone-event; VP8, VP9 profiles
    /// 0 and 2, H.264 (Constrained Baseline, Baseline and High, packetization modes 0 and
    /// 1), AV1, each with RTX; data channels. The answer is SDP text on standard output;
    /// each rejected section is a "warning: ..." line on standard error with why (for no
    /// common codec, the codecs on each side), and each codec left out of an accepted
    /// section a "note: ..." line. The ICE credentials and fingerprint are placeholders.
    ///
    /// Exits with 0 when the offer was read, 2 when it could not be read or parsed.
    ///
    /// Examples:
    ///   wren-probe sdp answer offer.sdp
    #[command(verbatim_doc_comment)]
    Answer(AnswerArgs),
}

/// The options of `sdp explain`.
#[derive(Debug, Args)]
struct ExplainArgs {
    /// The offer this SDP answers: rejected sections are compared with it (codecs on each
    /// side), and the SDP is read as an answer.
    #[arg(long, value_name = "FILE")]
    offer: Option<String>,
    /// Read the SDP as an offer or an answer (by default, a=setup tells).
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    kind: Option<KindArg>,
    /// The SDP file, or - for standard input.
    #[arg(value_name = "FILE")]
    file: String,
}

/// `--type`.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum KindArg {
    /// An offer.
    Offer,
    /// An answer.
    Answer,
}

/// The options of `sdp answer`.
#[derive(Debug, Args)]
struct AnswerArgs {
    /// The offer's SDP file, or - for standard input.
    #[arg(value_name = "FILE")]
    file: String,
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

/// The options of `agent`.
#[derive(Debug, Args)]
struct AgentArgs {
    /// The ICE role: the controlling agent nominates the pair (one side each).
    #[arg(long, value_enum)]
    role: RoleArg,
    /// A local address to gather host candidates on (repeat for several; the addresses of
    /// this host's interfaces, not 0.0.0.0).
    #[arg(short, long = "interface", required = true, value_name = "IP")]
    interfaces: Vec<IpAddr>,
    /// Username for TURN servers (long-term credentials).
    #[arg(short, long, default_value = "")]
    username: String,
    /// Password for TURN servers.
    #[arg(short, long, default_value = "")]
    credential: String,
    /// Use relayed candidates only (the "relay" ICE transport policy).
    #[arg(long)]
    relay_only: bool,
    /// Pings to send once connected (0: stop at "connected").
    #[arg(long, default_value = "3", value_name = "N")]
    pings: u32,
    /// Seconds the whole run may take.
    #[arg(short, long, default_value = "30", value_parser = parse_timeout, value_name = "S")]
    timeout: Duration,
    /// Servers: stun:HOST[:PORT], turn:HOST[:PORT][?transport=udp|tcp] (no TLS).
    #[arg(value_name = "URI")]
    uris: Vec<String>,
}

/// `--role`.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum RoleArg {
    /// Nominates the pair used (usually the offerer).
    Controlling,
    /// Follows the peer's nomination.
    Controlled,
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
        Command::Agent(args) => agent(args),
        Command::Sdp(SdpCommand::Explain(args)) => sdp_explain(&args),
        Command::Sdp(SdpCommand::Answer(args)) => sdp_answer(&args),
    }
}

/// Prints why a description could not be read, with the line it names; the exit status 2.
fn sdp_failed(e: &sdp::InputError) -> ExitCode {
    eprintln!("wren-probe: {e}");
    if let sdp::InputError::Parse {
        line_text: Some(text),
        ..
    } = e
    {
        eprintln!("  | {text}");
    }
    if let Some(hint) = e.hint() {
        eprintln!("  hint: {hint}");
    }
    ExitCode::from(2)
}

/// `wren-probe sdp explain`.
fn sdp_explain(args: &ExplainArgs) -> ExitCode {
    if args.offer.as_deref() == Some("-") && args.file == "-" {
        eprintln!("wren-probe: only one of the offer and the SDP can be standard input");
        return ExitCode::from(2);
    }
    let offer_text = match args.offer.as_deref().map(sdp::input::read).transpose() {
        Ok(t) => t,
        Err(e) => return sdp_failed(&e),
    };
    let offer = match (&args.offer, &offer_text) {
        (Some(name), Some(text)) => match sdp::input::parse(name, text) {
            Ok(s) => Some(s),
            Err(e) => return sdp_failed(&e),
        },
        _ => None,
    };
    let text = match sdp::input::read(&args.file) {
        Ok(t) => t,
        Err(e) => return sdp_failed(&e),
    };
    let session = match sdp::input::parse(&args.file, &text) {
        Ok(s) => s,
        Err(e) => return sdp_failed(&e),
    };
    let context = sdp::explain::Context {
        stated: args.kind.map(|k| match k {
            KindArg::Offer => sdp::explain::DescriptionKind::Offer,
            KindArg::Answer => sdp::explain::DescriptionKind::Answer,
        }),
        offer: offer.as_ref(),
    };
    let explanation = sdp::explain::explain(&session, context);
    print!("{}", sdp::render::text(&explanation));
    ExitCode::SUCCESS
}

/// `wren-probe sdp answer`.
fn sdp_answer(args: &AnswerArgs) -> ExitCode {
    let text = match sdp::input::read(&args.file) {
        Ok(t) => t,
        Err(e) => return sdp_failed(&e),
    };
    let offer = match sdp::input::parse(&args.file, &text) {
        Ok(s) => s,
        Err(e) => return sdp_failed(&e),
    };
    let answer = sdp::answer::answer(&offer);
    print!("{}", answer.to_sdp());
    for r in &answer.rejected {
        eprintln!("warning: {r}");
    }
    for l in sdp::answer::left_out(&offer, &answer) {
        eprintln!("note: {l}");
    }
    ExitCode::SUCCESS
}

/// A current-thread tokio runtime, or the exit status saying why there is none.
fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("wren-probe: cannot start the runtime: {e}");
            ExitCode::from(2)
        })
}

/// `wren-probe agent`.
fn agent(args: AgentArgs) -> ExitCode {
    if let Some(ip) = args.interfaces.iter().find(|ip| ip.is_unspecified()) {
        eprintln!("wren-probe: --interface {ip} is not an interface's address");
        return ExitCode::from(2);
    }
    let mut uris = Vec::with_capacity(args.uris.len());
    for label in &args.uris {
        match label.parse::<IceUri>() {
            Ok(uri) if uri.transport == UriTransport::Tls => {
                eprintln!("wren-probe: {label}: the agent does not speak TLS to servers");
                return ExitCode::from(2);
            }
            Ok(uri) => uris.push(uri),
            Err(e) => {
                eprintln!("wren-probe: bad URI {label:?}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if uris.iter().any(|u| u.scheme.is_turn())
        && (args.username.is_empty() || args.credential.is_empty())
    {
        eprintln!("wren-probe: turn: URIs need --username and --credential");
        return ExitCode::from(2);
    }
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let mut settings = AgentSettings {
        role: match args.role {
            RoleArg::Controlling => Role::Controlling,
            RoleArg::Controlled => Role::Controlled,
        },
        interfaces: args.interfaces,
        stun: Vec::new(),
        turn: Vec::new(),
        relay_only: args.relay_only,
        pings: args.pings,
        timeout: args.timeout,
    };
    for uri in &uris {
        let addr = match runtime.block_on(gather::resolve(&uri.host, uri.port)) {
            Ok(addr) => addr,
            Err(e) => {
                eprintln!("wren-probe: {uri}: {e}");
                return ExitCode::from(2);
            }
        };
        if uri.scheme.is_turn() {
            settings.turn.push(TurnServer {
                addr,
                transport: match uri.transport {
                    UriTransport::Tcp => Transport::Tcp,
                    _ => Transport::Udp,
                },
                username: args.username.clone(),
                password: args.credential.clone(),
            });
        } else {
            settings.stun.push(addr);
        }
    }
    // The peer's lines, read on a thread of their own (stdin blocks).
    let (lines, input) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let timeout = settings.timeout;
    match runtime.block_on(agent::run(settings, input, agent::say)) {
        Outcome::Connected(_) => ExitCode::SUCCESS,
        Outcome::Failed(_) => ExitCode::from(1),
        Outcome::TimedOut(selected) => {
            let what = if selected.is_some() {
                "connected, but no data came back"
            } else {
                "no pair selected"
            };
            eprintln!(
                "wren-probe: timed out after {} s: {what}",
                timeout.as_secs_f64()
            );
            ExitCode::from(2)
        }
        Outcome::Driver(e) => {
            eprintln!("wren-probe: {e}");
            ExitCode::from(1)
        }
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
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
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
