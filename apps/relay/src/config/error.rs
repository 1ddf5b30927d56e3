//! Why a configuration was refused, and where: the typed errors of the file parser, the
//! command line and the whole-configuration checks.

use std::fmt;
use std::path::PathBuf;

/// Where a configuration problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    /// A line of a configuration file (1-based), shown as `path:line`.
    File {
        /// The file's path as it was given.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
    },
    /// The command line.
    CommandLine,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File { path, line } => write!(f, "{}:{line}", path.display()),
            Location::CommandLine => f.write_str("command line"),
        }
    }
}

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    /// The `-c` file could not be read.
    #[error("cannot read configuration file {}: {source}", path.display())]
    Read {
        /// The path given with `-c`.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The file holds bytes that are not UTF-8.
    #[error("{at}: not valid UTF-8")]
    NotUtf8 {
        /// The line with the first bad byte.
        at: Location,
    },
    /// A key neither wren-relay nor coturn knows; probably a typo.
    #[error("{at}: unknown option '{key}'{}", did_you_mean(*suggestion))]
    UnknownOption {
        /// Where.
        at: Location,
        /// The key as written.
        key: String,
        /// The closest known key, when one is near.
        suggestion: Option<&'static str>,
    },
    /// A key coturn knows but wren-relay does not support.
    #[error("{at}: '{key}' is a coturn option that wren-relay does not support")]
    UnsupportedOption {
        /// Where.
        at: Location,
        /// The key as written.
        key: String,
    },
    /// A key that needs a value was given none.
    #[error("{at}: '{key}' needs a value")]
    MissingValue {
        /// Where.
        at: Location,
        /// The key.
        key: &'static str,
    },
    /// A flag was given a value that is not a boolean.
    #[error(
        "{at}: '{key}' is a flag: it takes no value, or one of on/off, yes/no, true/false, 1/0; got '{value}'"
    )]
    ValueOnFlag {
        /// Where.
        at: Location,
        /// The flag.
        key: &'static str,
        /// The value found.
        value: String,
    },
    /// A value that does not parse (a bad port, a bad IP address, ...).
    #[error("{at}: bad value '{value}' for '{key}': expected {expected}")]
    InvalidValue {
        /// Where.
        at: Location,
        /// The key.
        key: &'static str,
        /// The value found.
        value: String,
        /// What was expected instead.
        expected: &'static str,
    },
    /// `min-port` is above `max-port` (after defaults are applied).
    #[error("min-port ({min}) is above max-port ({max})")]
    PortRange {
        /// The effective min-port.
        min: u16,
        /// The effective max-port.
        max: u16,
    },
    /// `no-udp` and `no-tcp` together leave nothing to serve.
    #[error("no-udp and no-tcp together leave nothing to listen on")]
    NoListeners,
    /// A TURN configuration was asked for, but nothing turns TURN on.
    #[error(
        "TURN is off: it needs lt-cred-mech with user=name:password, or use-auth-secret with static-auth-secret (and no stun-only)"
    )]
    TurnOff,
    /// TURN is on but no realm is set.
    #[error(
        "TURN needs a realm for its long-term credentials: add realm=<your domain> (coturn would fall back to the host's domain name; wren-relay asks)"
    )]
    NoRealm,
    /// TURN is on, every listening IP is unspecified, and no relay-ip is given.
    #[error(
        "relay-ip required when listening on 0.0.0.0 (or ::): relayed addresses are sent to clients, so give relay-ip=<an address of this host>"
    )]
    NoRelayIp,
    /// `use-auth-secret` without `static-auth-secret`.
    #[error(
        "use-auth-secret needs static-auth-secret=<secret> (wren-relay reads no secret from a database)"
    )]
    NoAuthSecret,
    /// `lt-cred-mech` with no user account and no REST secret: nobody could authenticate.
    #[error(
        "lt-cred-mech needs at least one user=name:password (wren-relay does not read userdb), or use-auth-secret with static-auth-secret"
    )]
    NoUsers,
    /// The command line did not parse (this also carries `--help` and `--version`).
    #[error("{0}")]
    Cli(#[from] clap::Error),
}

fn did_you_mean(suggestion: Option<&'static str>) -> String {
    match suggestion {
        Some(s) => format!(" (did you mean '{s}'?)"),
        None => String::new(),
    }
}

impl ConfigError {
    /// The file line this error points at, if it points at one.
    #[allow(
        dead_code,
        reason = "API for callers and tests; the binary prints the whole error"
    )]
    pub(crate) fn line(&self) -> Option<usize> {
        let at = match self {
            ConfigError::NotUtf8 { at }
            | ConfigError::UnknownOption { at, .. }
            | ConfigError::UnsupportedOption { at, .. }
            | ConfigError::MissingValue { at, .. }
            | ConfigError::ValueOnFlag { at, .. }
            | ConfigError::InvalidValue { at, .. } => at,
            _ => return None,
        };
        match at {
            Location::File { line, .. } => Some(*line),
            Location::CommandLine => None,
        }
    }

    /// Print the error the way a command-line tool should and end the process: `--help` and
    /// `--version` print to stdout and exit 0, a usage error exits 2 (clap's convention), a
    /// configuration error prints `wren-relay: <error>` to stderr and exits 1.
    pub(crate) fn exit(&self) -> ! {
        match self {
            ConfigError::Cli(e) => e.exit(),
            other => {
                eprintln!("wren-relay: {other}");
                std::process::exit(1)
            }
        }
    }
}

/// What can be wrong with one value, before we know where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueError {
    /// A key that needs a value was given none.
    Missing,
    /// A flag was given a value that is not a boolean.
    OnFlag,
    /// The value does not parse; what was expected instead.
    Invalid(&'static str),
}

impl ValueError {
    /// What clap says after "invalid value ... for `'--key <VALUE>'`: ".
    pub(crate) fn expected(self) -> String {
        match self {
            ValueError::Missing => "a value".to_owned(),
            ValueError::OnFlag => "no value".to_owned(),
            ValueError::Invalid(expected) => format!("expected {expected}"),
        }
    }

    /// The error with its place and key, for the operator.
    pub(crate) fn at(self, at: Location, key: &'static str, value: &str) -> ConfigError {
        match self {
            ValueError::Missing => ConfigError::MissingValue { at, key },
            ValueError::OnFlag => ConfigError::ValueOnFlag {
                at,
                key,
                value: value.to_owned(),
            },
            ValueError::Invalid(expected) => ConfigError::InvalidValue {
                at,
                key,
                value: value.to_owned(),
                expected,
            },
        }
    }
}
