//! `wren-probe agent`: one ICE agent ([`wren_ice::Agent`]) on real sockets, driven by
//! [`wren_tokio::Driver`], with its signalling as lines of text.
//!
//! The agent prints its side of the signalling and reads the peer's, one line each
//! ([`Signal`]):
//!
//! ```text
//! ufrag 8Xa2/kQp
//! pwd Fh3k...(22 or more characters)
//! candidate:1234 1 udp 2130706431 10.0.1.2 40000 typ host
//! candidate:5678 1 udp 1694498815 203.0.113.10 40000 typ srflx raddr 10.0.1.2 rport 40000
//! end-of-candidates
//! ```
//!
//! Lines that are none of these are ignored, so two agents' outputs can be joined pipe to
//! pipe, or pasted by hand between two machines, whole. SDP spellings are taken too
//! (`a=ice-ufrag:`, `a=ice-pwd:`, `a=candidate:`, `a=end-of-candidates`).
//!
//! When a pair is selected the agent prints `connected LOCAL -> REMOTE (rtt N ms)` (each
//! side as `TYPE udp ADDRESS`), then sends `ping N` data on the pair and answers the
//! peer's pings with `pong N`, printing `data N bytes from ADDRESS: TEXT` for each that
//! arrives. It is done once its data went both ways (a ping of the peer's arrived, and a
//! pong answered one of its own); it lingers a moment, answering, so that the peer can
//! finish too, then closes (releasing its TURN allocations). ICE failing prints `failed`
//! and the [`wren_ice::FailureReport`].

use std::fmt;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use wren_ice::{
    Agent, Candidate, CandidateError, ConnectionState, Credentials, Event, FailureReport,
    GatheringState, Role, SelectedPair, StunServer, TurnServer, agent::Command as AgentCommand,
    agent::Config as AgentConfig,
};
use wren_tokio::{Driver, DriverError};

/// How often pings go on the selected pair.
const PING_INTERVAL: Duration = Duration::from_millis(200);
/// How long the agent stays after its data went both ways, still answering the peer.
const LINGER: Duration = Duration::from_secs(1);
/// How long a close may take to send the TURN deallocations.
const CLOSE_WAIT: Duration = Duration::from_millis(300);

/// What `wren-probe agent` was asked to do.
#[derive(Debug, Clone)]
pub struct AgentSettings {
    /// The starting ICE role.
    pub role: Role,
    /// The addresses to gather host candidates on.
    pub interfaces: Vec<IpAddr>,
    /// STUN servers (resolved).
    pub stun: Vec<SocketAddr>,
    /// TURN servers (resolved), with their credentials.
    pub turn: Vec<TurnServer>,
    /// Use only relayed candidates.
    pub relay_only: bool,
    /// Pings to send on the selected pair; 0 stops at `connected` (after the linger).
    pub pings: u32,
    /// How long the whole run may take.
    pub timeout: Duration,
}

/// How a run ended.
#[derive(Debug)]
pub enum Outcome {
    /// A pair was selected (and the data went both ways, when pings were asked for).
    Connected(SelectedPair),
    /// ICE failed.
    Failed(Box<FailureReport>),
    /// The time ran out; the selected pair, if one was.
    TimedOut(Option<SelectedPair>),
    /// A socket failed for good.
    Driver(DriverError),
}

/// One line of signalling.
#[derive(Debug, Clone, PartialEq)]
pub enum Signal {
    /// The peer's ufrag (`ufrag U`, or `a=ice-ufrag:U`).
    Ufrag(String),
    /// The peer's password (`pwd P`, or `a=ice-pwd:P`).
    Pwd(String),
    /// A candidate (`candidate:...`, or `a=candidate:...`).
    Candidate(Candidate),
    /// No more candidates (`end-of-candidates`, or `a=end-of-candidates`).
    EndOfCandidates,
}

impl Signal {
    /// The signal on `line`, `Ok(None)` when the line is not signalling (other output of
    /// the peer, blank lines, indented lines such as the candidates a failure report
    /// lists), or why a candidate line does not parse.
    ///
    /// # Errors
    ///
    /// A line that starts as a candidate but is not one.
    pub fn parse(line: &str) -> Result<Option<Signal>, CandidateError> {
        let line = line.trim_end();
        let bare = line.strip_prefix("a=").unwrap_or(line);
        if bare.starts_with("candidate:") {
            return bare.parse().map(|c| Some(Signal::Candidate(c)));
        }
        if bare == "end-of-candidates" {
            return Ok(Some(Signal::EndOfCandidates));
        }
        let value = |short: &str, sdp: &str| {
            line.strip_prefix(short)
                .or_else(|| line.strip_prefix(sdp))
                .map(|v| v.trim().to_owned())
        };
        Ok(value("ufrag ", "a=ice-ufrag:")
            .map(Signal::Ufrag)
            .or_else(|| value("pwd ", "a=ice-pwd:").map(Signal::Pwd)))
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Signal::Ufrag(u) => write!(f, "ufrag {u}"),
            Signal::Pwd(p) => write!(f, "pwd {p}"),
            Signal::Candidate(c) => write!(f, "{c}"),
            Signal::EndOfCandidates => f.write_str("end-of-candidates"),
        }
    }
}

/// Prints one line on standard output at once; a closed output (the peer went away) is
/// not an error worth stopping for.
pub fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Runs one agent: prints its signalling and results with `out`, reads the peer's lines
/// from `input` (a closed `input` is fine: the peer may have said all it had to).
pub async fn run(
    settings: AgentSettings,
    input: mpsc::UnboundedReceiver<String>,
    mut out: impl FnMut(&str),
) -> Outcome {
    let mut config = AgentConfig::new(settings.role, settings.interfaces.clone());
    config.stun_servers = settings
        .stun
        .iter()
        .map(|&addr| StunServer { addr })
        .collect();
    config.turn_servers.clone_from(&settings.turn);
    config.relay_only = settings.relay_only;
    let agent = Agent::new(Instant::now(), config);
    let creds = agent.local_credentials().clone();
    out(&Signal::Ufrag(creds.ufrag).to_string());
    out(&Signal::Pwd(creds.pwd).to_string());

    let (commands, commands_rx) = mpsc::channel(64);
    let (events_tx, events) = mpsc::channel(256);
    let (stop, stopped) = oneshot::channel::<()>();
    let drive = Driver::new(agent).run(commands_rx, events_tx, async move {
        let _ = stopped.await;
    });
    let mut drive = std::pin::pin!(drive);
    let app = App {
        settings: &settings,
        commands,
        events,
        input,
        peer: Peer::default(),
        selected: None,
        pings_sent: 0,
        ping_arrived: false,
        pong_arrived: false,
    };
    let outcome = tokio::select! {
        r = &mut drive => return match r {
            Err(e) => Outcome::Driver(e),
            // The driver stops only when told to, which comes after the app's outcome.
            Ok(_) => Outcome::TimedOut(None),
        },
        outcome = app.run(&mut out) => outcome,
    };
    let _ = stop.send(());
    let _ = drive.await;
    outcome
}

/// What the peer has said so far.
#[derive(Debug, Default)]
struct Peer {
    ufrag: Option<String>,
    pwd: Option<String>,
    /// The credentials were given to the agent.
    started: bool,
    /// Candidates that came before the credentials.
    early: Vec<Candidate>,
    end: bool,
}

/// The application side of the run: signalling in and out, the data exchange.
struct App<'a> {
    settings: &'a AgentSettings,
    commands: mpsc::Sender<AgentCommand>,
    events: mpsc::Receiver<Event>,
    input: mpsc::UnboundedReceiver<String>,
    peer: Peer,
    selected: Option<SelectedPair>,
    pings_sent: u32,
    ping_arrived: bool,
    pong_arrived: bool,
}

impl App<'_> {
    async fn run(mut self, out: &mut impl FnMut(&str)) -> Outcome {
        let deadline = tokio::time::Instant::now() + self.settings.timeout;
        let mut input_open = true;
        let mut next_ping: Option<tokio::time::Instant> = None;
        let mut done_at: Option<tokio::time::Instant> = None;
        let outcome = loop {
            let ping_at = next_ping.unwrap_or(deadline);
            let linger_end = done_at.unwrap_or(deadline);
            tokio::select! {
                biased;
                event = self.events.recv() => {
                    let Some(event) = event else {
                        break Outcome::TimedOut(self.selected);
                    };
                    match self.event(event, out).await {
                        Some(Step::Selected) if self.settings.pings > 0 => {
                            next_ping = Some(tokio::time::Instant::now());
                        }
                        Some(Step::Selected) => done_at = Some(tokio::time::Instant::now() + LINGER),
                        Some(Step::Failed(report)) => break Outcome::Failed(report),
                        None => {}
                    }
                    if done_at.is_none() && self.ping_arrived && self.pong_arrived {
                        done_at = Some(tokio::time::Instant::now() + LINGER);
                    }
                }
                line = self.input.recv(), if input_open => match line {
                    Some(line) => self.line(&line).await,
                    None => input_open = false,
                },
                () = tokio::time::sleep_until(ping_at), if next_ping.is_some() => {
                    self.pings_sent += 1;
                    let ping = format!("ping {}", self.pings_sent);
                    self.command(AgentCommand::Send(ping.into_bytes())).await;
                    next_ping = (self.pings_sent < self.settings.pings || !self.pong_arrived)
                        .then(|| tokio::time::Instant::now() + PING_INTERVAL);
                }
                () = tokio::time::sleep_until(linger_end), if done_at.is_some() => {
                    break match self.selected {
                        Some(p) => Outcome::Connected(p),
                        None => Outcome::TimedOut(None),
                    };
                }
                () = tokio::time::sleep_until(deadline) => break Outcome::TimedOut(self.selected),
            }
        };
        self.close().await;
        outcome
    }

    /// Closes the agent and gives the driver a moment to send what that asks (TURN
    /// deallocations).
    async fn close(&mut self) {
        self.command(AgentCommand::Close).await;
        let _ = tokio::time::timeout(CLOSE_WAIT, async {
            while let Some(event) = self.events.recv().await {
                if event == Event::ConnectionState(ConnectionState::Closed) {
                    break;
                }
            }
        })
        .await;
    }

    async fn command(&self, cmd: AgentCommand) {
        // The driver outlives the app: a send fails only if it stopped on an error, which
        // the caller sees from the driver itself.
        let _ = self.commands.send(cmd).await;
    }

    /// One line from the peer.
    async fn line(&mut self, line: &str) {
        let signal = match Signal::parse(line) {
            Ok(Some(s)) => s,
            Ok(None) => return,
            Err(e) => {
                eprintln!("wren-probe: ignored {line:?}: {e}");
                return;
            }
        };
        match signal {
            Signal::Ufrag(u) => self.peer.ufrag = Some(u),
            Signal::Pwd(p) => self.peer.pwd = Some(p),
            Signal::Candidate(c) if self.peer.started => {
                self.command(AgentCommand::AddRemoteCandidate(c)).await;
            }
            Signal::Candidate(c) => self.peer.early.push(c),
            Signal::EndOfCandidates if self.peer.started => {
                self.command(AgentCommand::EndOfRemoteCandidates).await;
            }
            Signal::EndOfCandidates => self.peer.end = true,
        }
        if self.peer.started {
            return;
        }
        let (Some(ufrag), Some(pwd)) = (&self.peer.ufrag, &self.peer.pwd) else {
            return;
        };
        let creds = Credentials {
            ufrag: ufrag.clone(),
            pwd: pwd.clone(),
        };
        self.peer.started = true;
        self.command(AgentCommand::SetRemoteCredentials(creds))
            .await;
        for c in std::mem::take(&mut self.peer.early) {
            self.command(AgentCommand::AddRemoteCandidate(c)).await;
        }
        if self.peer.end {
            self.command(AgentCommand::EndOfRemoteCandidates).await;
        }
    }

    /// One event of the agent.
    async fn event(&mut self, event: Event, out: &mut impl FnMut(&str)) -> Option<Step> {
        match event {
            Event::LocalCandidate(c) => out(&Signal::Candidate(c).to_string()),
            Event::GatheringState(GatheringState::Complete) => {
                out(&Signal::EndOfCandidates.to_string());
            }
            Event::GatherFailed(why) => eprintln!("wren-probe: gathering: {why}"),
            Event::ResolveName(name) => {
                // No mDNS here: the candidate stays unpaired.
                eprintln!("wren-probe: cannot resolve {name} (no mDNS)");
                let cmd = AgentCommand::Resolved { name, ip: None };
                self.command(cmd).await;
            }
            Event::SelectedPair(pair) => {
                out(&format!("connected {pair}"));
                let first = self.selected.is_none();
                self.selected = Some(pair);
                if first {
                    return Some(Step::Selected);
                }
            }
            Event::ConnectionState(state) => eprintln!("wren-probe: ICE {state:?}"),
            Event::RoleChanged(role) => eprintln!("wren-probe: role changed to {role:?}"),
            Event::Failed(report) => {
                out("failed");
                for line in report.to_string().lines() {
                    out(line);
                }
                return Some(Step::Failed(report));
            }
            Event::Data { remote, data, .. } => {
                out(&format!(
                    "data {} bytes from {remote}: {}",
                    data.len(),
                    data.escape_ascii()
                ));
                if let Some(n) = data.strip_prefix(b"ping ") {
                    self.ping_arrived = true;
                    let pong = [b"pong ".as_slice(), n].concat();
                    self.command(AgentCommand::Send(pong)).await;
                } else if data.starts_with(b"pong ") {
                    self.pong_arrived = true;
                }
            }
            _ => {}
        }
        None
    }
}

/// What an event means for the run.
enum Step {
    /// The first pair was selected.
    Selected,
    /// ICE failed.
    Failed(Box<FailureReport>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_read_back_what_they_write() {
        let line = "candidate:1 1 udp 2130706431 10.0.1.2 40000 typ host generation 0 ufrag abcd";
        let signals = [
            Signal::Ufrag("abcd".into()),
            Signal::Pwd("0123456789012345678901".into()),
            Signal::Candidate(line.parse().expect("a candidate")),
            Signal::EndOfCandidates,
        ];
        for s in signals {
            assert_eq!(Signal::parse(&s.to_string()), Ok(Some(s.clone())), "{s}");
        }
    }

    #[test]
    fn sdp_spellings_are_taken() {
        let parse = |l: &str| Signal::parse(l).expect("parses").expect("a signal");
        assert_eq!(parse("a=ice-ufrag:abcd"), Signal::Ufrag("abcd".into()));
        assert_eq!(parse("a=ice-pwd:xyz \r"), Signal::Pwd("xyz".into()));
        assert_eq!(parse("a=end-of-candidates"), Signal::EndOfCandidates);
        let c = parse("a=candidate:1 1 UDP 2130706431 192.0.2.1 5000 typ host");
        assert!(matches!(c, Signal::Candidate(c) if c.port == 5000));
    }

    #[test]
    fn other_lines_are_not_signals_and_bad_candidates_are_errors() {
        for line in [
            "",
            "connected host udp 10.0.1.2:1 -> srflx udp 203.0.113.20:2 (rtt 1 ms)",
            "data 6 bytes from 203.0.113.20:2: ping 1",
            "failed",
            "ICE failed after 1s: every candidate pair failed",
            // The failure report lists candidates, indented: not the peer's to add.
            "    candidate:1 1 udp 2130706431 10.0.0.1 1 typ host",
        ] {
            assert_eq!(Signal::parse(line), Ok(None), "{line:?}");
        }
        assert!(Signal::parse("candidate:1 1 udp").is_err());
    }
}
