//! Logging through `tracing`: to standard error, to coturn's `log-file` (appended to), or
//! both; the `pidfile`; and failed authentications aggregated per source address
//! ([`AuthFailures`]), so that a flood of bad requests cannot flood the log.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wren_turn::server::Refused;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::config::{Config, Verbosity};

/// Where log lines go: the log file and/or standard error.
#[derive(Clone)]
struct Sinks {
    file: Option<Arc<Mutex<File>>>,
    stderr: bool,
}

/// One log line's writer.
struct SinkWriter(Sinks);

impl Write for SinkWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(file) = &self.0.file {
            // A poisoned lock only means another thread panicked mid-line; keep logging.
            let mut f = file
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            f.write_all(buf)?;
        }
        if self.0.stderr {
            io::stderr().write_all(buf)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if let Some(file) = &self.0.file {
            file.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .flush()?;
        }
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Sinks {
    type Writer = SinkWriter;

    fn make_writer(&'a self) -> SinkWriter {
        SinkWriter(self.clone())
    }
}

/// A file that could not be opened or written.
#[derive(Debug, thiserror::Error)]
#[error("{what} {path}: {source}")]
pub(crate) struct FileError {
    what: &'static str,
    path: PathBuf,
    source: io::Error,
}

/// Sets up logging: info by default, debug with `-v`, trace with `-V` (`RUST_LOG`
/// overrides); to the `log-file` when one is given (other than `stdout`), and to standard
/// error unless `no-stdout-log` is set with a log file.
pub(crate) fn init(config: &Config) -> Result<(), FileError> {
    let level = match config.verbosity() {
        Verbosity::Normal => "info",
        Verbosity::Verbose => "debug",
        Verbosity::Extra => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let path = config.values.log_file.as_deref().filter(|f| *f != "stdout");
    let file = match path {
        Some(p) => {
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .map_err(|source| FileError {
                    what: "cannot open the log file",
                    path: PathBuf::from(p),
                    source,
                })?;
            Some(Arc::new(Mutex::new(f)))
        }
        None => None,
    };
    let stderr = file.is_none() || !config.values.no_stdout_log;
    let ansi = file.is_none() && std::io::IsTerminal::is_terminal(&io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(Sinks { file, stderr })
        .init();
    Ok(())
}

/// The pid file, removed when dropped.
pub(crate) struct PidFile(PathBuf);

impl PidFile {
    /// Writes this process's id to `path`.
    pub(crate) fn create(path: &Path) -> Result<PidFile, FileError> {
        std::fs::write(path, format!("{}\n", std::process::id())).map_err(|source| FileError {
            what: "cannot write the pid file",
            path: path.to_owned(),
            source,
        })?;
        Ok(PidFile(path.to_owned()))
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

// ---------------------------------------------------------------------------------------------
// Failed authentications
// ---------------------------------------------------------------------------------------------

/// How long one summary of failed authentications covers.
pub(crate) const AUTH_LOG_INTERVAL: Duration = Duration::from_secs(10);
/// Most source addresses tallied apart in one interval; failures from more are summed in one
/// line (so a spoofed flood from many addresses costs bounded memory).
pub(crate) const AUTH_LOG_SOURCES: usize = 1024;

/// The refusals, in the order of a tally's counts.
const REASONS: [Refused; 4] = [
    Refused::UnknownUser,
    Refused::WrongRealm,
    Refused::Expired,
    Refused::BadIntegrity,
];

fn reason_index(r: Refused) -> usize {
    REASONS
        .iter()
        .position(|x| *x == r)
        .unwrap_or(REASONS.len() - 1)
}

/// One source's failures in the current interval.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    count: u64,
    by_reason: [u64; REASONS.len()],
    /// Failures already logged one by one (the first of a new source).
    logged: u64,
}

/// A log line about failed authentications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthLine {
    /// The first failure of a source not seen in the interval before: logged at once.
    First {
        /// The client.
        client: SocketAddr,
        /// Why.
        reason: Refused,
    },
    /// The failures of one source over an interval (beyond the one logged at once).
    Summary {
        /// The source address (every port).
        source: IpAddr,
        /// Failures in the interval.
        count: u64,
        /// Of which, by reason.
        by_reason: Vec<(Refused, u64)>,
        /// The interval.
        interval: Duration,
    },
    /// Failures from sources past [`AUTH_LOG_SOURCES`] in one interval.
    Others {
        /// Failures.
        count: u64,
        /// The interval.
        interval: Duration,
    },
}

impl fmt::Display for AuthLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthLine::First { client, reason } => {
                write!(
                    f,
                    "authentication failed: client={client} reason={reason:?}"
                )
            }
            AuthLine::Summary {
                source,
                count,
                by_reason,
                interval,
            } => {
                write!(
                    f,
                    "authentication failed {count} times in {}s: source={source}",
                    interval.as_secs()
                )?;
                for (r, n) in by_reason {
                    write!(f, " {r:?}={n}")?;
                }
                Ok(())
            }
            AuthLine::Others { count, interval } => write!(
                f,
                "authentication failed {count} times in {}s from sources not tallied apart",
                interval.as_secs()
            ),
        }
    }
}

/// Failed authentications aggregated per source address and interval: a source's first
/// failure (when it failed in none the interval before) is logged at once, and the rest as
/// one summary line per source when the interval ends, with the count by reason. 20,000 bad
/// requests from one address in 10 s make two lines, not 20,000.
///
/// A pure state machine: time is passed in. An interval ends at the first call at or past
/// its end, so the last summary waits for the next failure or [`AuthFailures::flush`].
#[derive(Debug)]
pub(crate) struct AuthFailures {
    interval: Duration,
    max_sources: usize,
    started: Option<Instant>,
    current: HashMap<IpAddr, Tally>,
    /// The sources of the interval before (their first failure in this one is not news).
    previous: HashSet<IpAddr>,
    others: u64,
}

impl AuthFailures {
    pub(crate) fn new(interval: Duration, max_sources: usize) -> AuthFailures {
        AuthFailures {
            interval,
            max_sources,
            started: None,
            current: HashMap::new(),
            previous: HashSet::new(),
            others: 0,
        }
    }

    /// Counts a failure of `client` at `now`; appends to `out` the lines to log now.
    pub(crate) fn record(
        &mut self,
        now: Instant,
        client: SocketAddr,
        reason: Refused,
        out: &mut Vec<AuthLine>,
    ) {
        self.flush_due(now, out);
        self.started.get_or_insert(now);
        let source = client.ip();
        let known = self.current.contains_key(&source);
        if !known && self.current.len() >= self.max_sources {
            self.others += 1;
            return;
        }
        let tally = self.current.entry(source).or_default();
        tally.count += 1;
        tally.by_reason[reason_index(reason)] += 1;
        if !known && !self.previous.contains(&source) {
            tally.logged = 1;
            out.push(AuthLine::First { client, reason });
        }
    }

    /// Ends the interval if it is over at `now`, appending its summaries to `out`.
    pub(crate) fn flush_due(&mut self, now: Instant, out: &mut Vec<AuthLine>) {
        if self
            .started
            .is_some_and(|s| now.saturating_duration_since(s) >= self.interval)
        {
            self.flush(out);
        }
    }

    /// Ends the interval now, appending its summaries to `out`.
    pub(crate) fn flush(&mut self, out: &mut Vec<AuthLine>) {
        let mut sources: Vec<(IpAddr, Tally)> = self.current.drain().collect();
        sources.sort_by_key(|(ip, _)| *ip);
        self.previous.clear();
        for (source, tally) in sources {
            self.previous.insert(source);
            if tally.count > tally.logged {
                out.push(AuthLine::Summary {
                    source,
                    count: tally.count,
                    by_reason: REASONS
                        .iter()
                        .zip(tally.by_reason)
                        .filter(|(_, n)| *n > 0)
                        .map(|(r, n)| (*r, n))
                        .collect(),
                    interval: self.interval,
                });
            }
        }
        if self.others > 0 {
            out.push(AuthLine::Others {
                count: self.others,
                interval: self.interval,
            });
        }
        self.others = 0;
        self.started = None;
    }
}

/// The relay's one aggregator of failed authentications.
static AUTH_FAILURES: Mutex<Option<AuthFailures>> = Mutex::new(None);

/// Logs a failed authentication of `client` through the relay's aggregator (a warning for a
/// new source at once, then a summary per source every [`AUTH_LOG_INTERVAL`]).
pub(crate) fn auth_failed(client: SocketAddr, reason: Refused) {
    #[allow(clippy::disallowed_methods)] // apps own the clock
    let now = Instant::now();
    let mut lines = Vec::new();
    {
        let mut guard = AUTH_FAILURES
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard
            .get_or_insert_with(|| AuthFailures::new(AUTH_LOG_INTERVAL, AUTH_LOG_SOURCES))
            .record(now, client, reason, &mut lines);
    }
    for line in lines {
        tracing::warn!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
    fn t0() -> Instant {
        Instant::now()
    }

    fn client(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_flood_from_one_source_makes_one_line_then_one_summary_per_interval() {
        let t = t0();
        let mut log = AuthFailures::new(Duration::from_secs(10), 16);
        let mut out = Vec::new();
        // 20,000 bad requests over 10 s from one address (ports vary).
        for i in 0..20_000u32 {
            let now = t + Duration::from_micros(u64::from(i) * 499);
            let c = SocketAddr::new("203.0.113.9".parse().unwrap(), 1024 + (i % 50000) as u16);
            let reason = if i % 4 == 0 {
                Refused::UnknownUser
            } else {
                Refused::BadIntegrity
            };
            log.record(now, c, reason, &mut out);
        }
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(matches!(
            out[0],
            AuthLine::First {
                reason: Refused::UnknownUser,
                ..
            }
        ));
        // The interval ends: one summary, with the count by reason.
        log.record(
            t + Duration::from_secs(10),
            client("203.0.113.9:1"),
            Refused::BadIntegrity,
            &mut out,
        );
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(
            out[1],
            AuthLine::Summary {
                source: "203.0.113.9".parse().unwrap(),
                count: 20_000,
                by_reason: vec![
                    (Refused::UnknownUser, 5000),
                    (Refused::BadIntegrity, 15_000)
                ],
                interval: Duration::from_secs(10),
            }
        );
        assert_eq!(
            out[1].to_string(),
            "authentication failed 20000 times in 10s: source=203.0.113.9 UnknownUser=5000 BadIntegrity=15000"
        );
        // Still failing in the next interval: no new "first" line, a summary at its end.
        let mut more = Vec::new();
        log.flush(&mut more);
        assert_eq!(more.len(), 1);
        assert!(matches!(more[0], AuthLine::Summary { count: 1, .. }));
    }

    #[test]
    fn one_typo_is_one_line_and_sources_are_apart() {
        let t = t0();
        let mut log = AuthFailures::new(Duration::from_secs(10), 16);
        let mut out = Vec::new();
        log.record(
            t,
            client("198.51.100.1:5000"),
            Refused::BadIntegrity,
            &mut out,
        );
        log.record(t, client("198.51.100.2:5000"), Refused::Expired, &mut out);
        log.record(t, client("198.51.100.2:5001"), Refused::Expired, &mut out);
        assert_eq!(out.len(), 2, "a first line per source");
        log.flush_due(t + Duration::from_secs(9), &mut out);
        assert_eq!(out.len(), 2, "not over yet");
        log.flush_due(t + Duration::from_secs(10), &mut out);
        assert_eq!(out.len(), 3, "no summary for the single failure: {out:?}");
        assert!(matches!(
            &out[2],
            AuthLine::Summary { count: 2, by_reason, .. } if by_reason == &[(Refused::Expired, 2)]
        ));
    }

    #[test]
    fn sources_past_the_bound_are_summed_in_one_line() {
        let t = t0();
        let mut log = AuthFailures::new(Duration::from_secs(10), 4);
        let mut out = Vec::new();
        for i in 0..100u32 {
            let ip = std::net::Ipv4Addr::from(0xC633_6400 + i);
            log.record(
                t,
                SocketAddr::new(ip.into(), 1),
                Refused::UnknownUser,
                &mut out,
            );
        }
        assert_eq!(
            out.len(),
            4,
            "first lines for the sources tallied apart only"
        );
        out.clear();
        log.flush(&mut out);
        assert_eq!(
            out,
            [AuthLine::Others {
                count: 96,
                interval: Duration::from_secs(10)
            }]
        );
    }
}
