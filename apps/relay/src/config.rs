//! Configuration of `wren-relay`, in coturn's words.
//!
//! `wren-relay` is meant to stand where coturn's `turnserver` stood, so it takes coturn's
//! option names on the command line (`-c FILE`, `-p/--listening-port`, `-L/--listening-ip`,
//! `-v/--verbose`, ...) and reads the same keys from a `turnserver.conf`, in coturn's file
//! syntax:
//!
//! ```text
//! # a comment (only at the start of a line, as in coturn)
//! listening-port=3478        # `key=value`
//! listening-ip 127.0.0.1     # `key value` (runs of ' ', '\t' and '=' separate them)
//! pidfile="/run/wren.pid"    # one pair of double quotes around a value is removed
//! verbose                    # a bare flag means "on"
//! no-tcp=off                 # a flag may carry a boolean: on/off, yes/no, true/false, 1/0
//! ```
//!
//! The command line overrides the file: a scalar given on the command line replaces the
//! file's value, and a list (`-L`, `--relay-ip`, `--external-ip`, `--user`) given on the
//! command line replaces the file's list. Inside one source, repeating a list key adds to the
//! list. (coturn itself appends command-line addresses to the file's; wren-relay lets the
//! command line win, so `-L 127.0.0.1` really means "only loopback".)
//!
//! Every key wren-relay knows is parsed and stored. Keys it stores but does not act on yet
//! (most of them belong to TURN, which a later issue brings) are listed by
//! [`Config::unimplemented`], and the binary logs one warning for each, so nothing silently
//! pretends. A key coturn knows but wren-relay does not is an error of its own
//! ([`ConfigError::UnsupportedOption`]), distinct from a misspelt key
//! ([`ConfigError::UnknownOption`], which suggests the closest known key).

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use clap::{ArgAction, Parser};

/// The port coturn and wren-relay listen on for STUN/TURN over UDP and TCP (RFC 8489).
pub(crate) const DEFAULT_LISTENING_PORT: u16 = 3478;
/// The SOFTWARE attribute wren-relay sends unless `no-software-attribute` is given.
pub(crate) const SOFTWARE: &str = concat!("wren-relay ", env!("CARGO_PKG_VERSION"));
/// Lowest relay port when `min-port` is not given (coturn's default).
pub(crate) const DEFAULT_MIN_PORT: u16 = 49152;
/// Highest relay port when `max-port` is not given (coturn's default).
pub(crate) const DEFAULT_MAX_PORT: u16 = 65535;

// ---------------------------------------------------------------------------------------------
// The keys
// ---------------------------------------------------------------------------------------------

/// Whether a key is a flag (bare, or with a boolean) or needs a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Flag,
    Value,
}

/// One key wren-relay understands, in the file and (under the same long name) on the
/// command line.
#[derive(Debug)]
struct Spec {
    name: &'static str,
    kind: Kind,
    /// `None`: acted on (or honoured trivially, e.g. `no-cli` when there is no CLI).
    /// `Some(why)`: parsed and stored, but not acted on yet; the binary warns with `why`.
    not_yet: Option<&'static str>,
}

const TURN_NOT_YET: &str =
    "kept for TURN, which wren-relay does not serve yet (STUN Binding only for now)";

/// Every key wren-relay accepts. The single source of truth for names, kinds and what is
/// not acted on yet; `apply` below must handle each of them (a test checks it).
const SPECS: &[Spec] = &[
    // Acted on by the STUN server.
    spec("listening-port", Kind::Value, None),
    spec("listening-ip", Kind::Value, None),
    spec("no-udp", Kind::Flag, None),
    spec("no-tcp", Kind::Flag, None),
    spec("verbose", Kind::Flag, None),
    spec("Verbose", Kind::Flag, None),
    // Acted on through `Config::stun_server_config`.
    spec("fingerprint", Kind::Flag, None),
    spec("no-software-attribute", Kind::Flag, None),
    // No RFC 5780 here, so "only with RFC 5780" means never.
    spec("response-origin-only-with-rfc5780", Kind::Flag, None),
    // Honoured trivially: wren-relay has no TLS/DTLS listener, no telnet CLI, never rotates
    // its log, and serves STUN only.
    spec("no-tls", Kind::Flag, None),
    spec("no-dtls", Kind::Flag, None),
    spec("no-cli", Kind::Flag, None),
    spec("simple-log", Kind::Flag, None),
    spec("stun-only", Kind::Flag, None),
    // Honoured trivially: no RFC 5780 NAT behaviour discovery (a CHANGE-REQUEST for another
    // address or port is refused with 420), so there is nothing to turn off.
    spec("no-rfc5780", Kind::Flag, None),
    // Parsed and stored, not acted on yet.
    spec(
        "tls-listening-port",
        Kind::Value,
        Some("wren-relay has no TLS/DTLS listener yet; nothing listens on this port"),
    ),
    spec(
        "log-file",
        Kind::Value,
        Some("logs still go to standard output (only `log-file=stdout` is honoured)"),
    ),
    spec(
        "no-stdout-log",
        Kind::Flag,
        Some("logs still go to standard output"),
    ),
    spec("pidfile", Kind::Value, Some("no pid file is written yet")),
    spec(
        "syslog",
        Kind::Flag,
        Some("logs still go to standard output, not syslog"),
    ),
    spec(
        "no-stun-backward-compatibility",
        Kind::Flag,
        Some("the STUN server does not apply this setting yet"),
    ),
    spec(
        "prometheus",
        Kind::Flag,
        Some("there is no metrics endpoint yet"),
    ),
    spec("realm", Kind::Value, Some(TURN_NOT_YET)),
    spec("relay-ip", Kind::Value, Some(TURN_NOT_YET)),
    spec("external-ip", Kind::Value, Some(TURN_NOT_YET)),
    spec("min-port", Kind::Value, Some(TURN_NOT_YET)),
    spec("max-port", Kind::Value, Some(TURN_NOT_YET)),
    spec("lt-cred-mech", Kind::Flag, Some(TURN_NOT_YET)),
    spec("user", Kind::Value, Some(TURN_NOT_YET)),
    spec("userdb", Kind::Value, Some(TURN_NOT_YET)),
    spec("use-auth-secret", Kind::Flag, Some(TURN_NOT_YET)),
    spec("static-auth-secret", Kind::Value, Some(TURN_NOT_YET)),
    spec("server-name", Kind::Value, Some(TURN_NOT_YET)),
    spec("allow-loopback-peers", Kind::Flag, Some(TURN_NOT_YET)),
    spec("no-multicast-peers", Kind::Flag, Some(TURN_NOT_YET)),
];

const fn spec(name: &'static str, kind: Kind, not_yet: Option<&'static str>) -> Spec {
    Spec {
        name,
        kind,
        not_yet,
    }
}

fn find_spec(name: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.name == name)
}

/// Keys coturn 4.6 knows (its `--help` and Debian's sample turnserver.conf) that wren-relay
/// does not: rejected with [`ConfigError::UnsupportedOption`] rather than "unknown".
const COTURN_ONLY: &[&str] = &[
    "CA-file",
    "acme-redirect",
    "allocation-default-address-family",
    "allowed-peer-ip",
    "alt-listening-port",
    "alt-tls-listening-port",
    "alternate-server",
    "aux-server",
    "bps-capacity",
    "cert",
    "channel-lifetime",
    "check-origin-consistency",
    "cipher-list",
    "cli-ip",
    "cli-max-output-sessions",
    "cli-password",
    "cli-port",
    "daemon",
    "db",
    "denied-peer-ip",
    "dh-file",
    "dh1066",
    "dh566",
    "ec-curve-name",
    "keep-address-family",
    "listening-device",
    "log-binding",
    "max-allocate-lifetime",
    "max-allocate-timeout",
    "max-bps",
    "mobility",
    "mongo-userdb",
    "mysql-userdb",
    "ne",
    "new-log-timestamp",
    "new-log-timestamp-format",
    "no-auth",
    "no-auth-pings",
    "no-dynamic-ip-list",
    "no-dynamic-realms",
    "no-stun",
    "no-tcp-relay",
    "no-tlsv1",
    "no-tlsv1_1",
    "no-tlsv1_2",
    "no-udp-relay",
    "oauth",
    "permission-lifetime",
    "pkey",
    "pkey-pwd",
    "proc-group",
    "proc-user",
    "prod",
    "prometheus-port",
    "psql-userdb",
    "redis-statsdb",
    "redis-userdb",
    "relay-device",
    "relay-threads",
    "rest-api-separator",
    "secret-key-file",
    "secure-stun",
    "server-relay",
    "sql-userdb",
    "stale-nonce",
    "syslog-facility",
    "tcp-proxy-port",
    "tls-alternate-server",
    "total-quota",
    "udp-self-balance",
    "user-quota",
    "web-admin",
    "web-admin-ip",
    "web-admin-listen-on-workers",
    "web-admin-port",
];

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

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
#[derive(Debug)]
enum ValueError {
    Missing,
    OnFlag,
    Invalid(&'static str),
}

impl ValueError {
    fn at(self, at: Location, key: &'static str, value: &str) -> ConfigError {
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

// ---------------------------------------------------------------------------------------------
// Value types
// ---------------------------------------------------------------------------------------------

/// How much to log: coturn's `-v` (moderate) and `-V` (extra verbose).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) enum Verbosity {
    /// Neither flag: the usual information and warnings.
    #[default]
    Normal,
    /// `-v`/`--verbose`/`verbose`: coturn's moderate verbose mode (debug level).
    Verbose,
    /// `-V`/`--Verbose`/`Verbose`: coturn's extra verbose mode (trace level).
    Extra,
}

/// A secret (password, shared secret) that `Debug` and the printed configuration never show.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    /// The secret itself, for the code that checks credentials.
    #[allow(
        dead_code,
        reason = "read by the TURN credential code of a later issue"
    )]
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// `user=name:password` (coturn's long-term credential account; a password written
/// `0x<hex>` is coturn's precomputed key, kept as written for the TURN code to interpret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UserAccount {
    /// The user name.
    pub(crate) name: String,
    /// The password, or `0x`-prefixed key, as written.
    pub(crate) password: Secret,
}

/// `external-ip=public[/private]`: the address clients see when the relay is behind NAT,
/// optionally tied to the private address it maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ExternalIp {
    /// The public address.
    pub(crate) public: IpAddr,
    /// The private (local) address it stands for, when given.
    pub(crate) private: Option<IpAddr>,
}

impl fmt::Display for ExternalIp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.private {
            Some(private) => write!(f, "{}/{private}", self.public),
            None => write!(f, "{}", self.public),
        }
    }
}

fn parse_bool(value: &str) -> Result<bool, ValueError> {
    // coturn's get_bool_value: a missing value means true.
    match value.to_ascii_lowercase().as_str() {
        "" | "1" | "yes" | "y" | "true" | "t" | "on" => Ok(true),
        "0" | "no" | "n" | "false" | "f" | "off" => Ok(false),
        _ => Err(ValueError::OnFlag),
    }
}

const EXPECT_PORT: &str = "a port number (0-65535)";
const EXPECT_RELAY_PORT: &str = "a port number (1-65535)";
const EXPECT_IP: &str = "an IPv4 or IPv6 address";
const EXPECT_EXTERNAL_IP: &str = "an IP address, or public-ip/private-ip";
const EXPECT_USER: &str = "name:password";

fn parse_port(value: &str) -> Result<u16, &'static str> {
    // Digits only: Rust's u16 parser would also take a leading '+'.
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(EXPECT_PORT);
    }
    value.parse().map_err(|_| EXPECT_PORT)
}

fn parse_relay_port(value: &str) -> Result<u16, &'static str> {
    match parse_port(value) {
        Ok(0) | Err(_) => Err(EXPECT_RELAY_PORT),
        Ok(port) => Ok(port),
    }
}

fn parse_ip(value: &str) -> Result<IpAddr, &'static str> {
    let bare = value
        .strip_prefix('[')
        .and_then(|v| v.strip_suffix(']'))
        .unwrap_or(value);
    bare.parse().map_err(|_| EXPECT_IP)
}

fn parse_external_ip(value: &str) -> Result<ExternalIp, &'static str> {
    let (public, private) = match value.split_once('/') {
        Some((public, private)) => (public, Some(private)),
        None => (value, None),
    };
    let public = parse_ip(public).map_err(|_| EXPECT_EXTERNAL_IP)?;
    let private = match private {
        Some(p) => Some(parse_ip(p).map_err(|_| EXPECT_EXTERNAL_IP)?),
        None => None,
    };
    Ok(ExternalIp { public, private })
}

fn parse_user(value: &str) -> Result<UserAccount, &'static str> {
    match value.split_once(':') {
        Some((name, password)) if !name.is_empty() => Ok(UserAccount {
            name: name.to_owned(),
            password: Secret(password.to_owned()),
        }),
        _ => Err(EXPECT_USER),
    }
}

// clap value parsers: the same rules as the file, with clap's error reporting.
fn cli_port(v: &str) -> Result<u16, String> {
    parse_port(v).map_err(|e| format!("expected {e}"))
}
fn cli_relay_port(v: &str) -> Result<u16, String> {
    parse_relay_port(v).map_err(|e| format!("expected {e}"))
}
fn cli_ip(v: &str) -> Result<IpAddr, String> {
    parse_ip(v).map_err(|e| format!("expected {e}"))
}
fn cli_external_ip(v: &str) -> Result<ExternalIp, String> {
    parse_external_ip(v).map_err(|e| format!("expected {e}"))
}
fn cli_user(v: &str) -> Result<UserAccount, String> {
    parse_user(v).map_err(|e| format!("expected {e}"))
}

// ---------------------------------------------------------------------------------------------
// One source of settings (the file, or the command line)
// ---------------------------------------------------------------------------------------------

/// What one source said: `None`/empty means "not given here".
#[derive(Debug, Default, Clone)]
struct Layer {
    listening_port: Option<u16>,
    listening_ips: Vec<IpAddr>,
    no_udp: Option<bool>,
    no_tcp: Option<bool>,
    verbose: Option<bool>,
    extra_verbose: Option<bool>,
    fingerprint: Option<bool>,
    no_tls: Option<bool>,
    no_dtls: Option<bool>,
    no_cli: Option<bool>,
    simple_log: Option<bool>,
    stun_only: Option<bool>,
    no_rfc5780: Option<bool>,
    response_origin_only_with_rfc5780: Option<bool>,
    syslog: Option<bool>,
    no_stun_backward_compatibility: Option<bool>,
    tls_listening_port: Option<u16>,
    log_file: Option<String>,
    no_stdout_log: Option<bool>,
    pidfile: Option<PathBuf>,
    no_software_attribute: Option<bool>,
    prometheus: Option<bool>,
    realm: Option<String>,
    relay_ips: Vec<IpAddr>,
    external_ips: Vec<ExternalIp>,
    min_port: Option<u16>,
    max_port: Option<u16>,
    lt_cred_mech: Option<bool>,
    users: Vec<UserAccount>,
    userdb: Option<PathBuf>,
    use_auth_secret: Option<bool>,
    static_auth_secret: Option<Secret>,
    server_name: Option<String>,
    allow_loopback_peers: Option<bool>,
    no_multicast_peers: Option<bool>,
}

impl Layer {
    /// Apply one `key value` (value already unquoted and trimmed; empty when absent).
    fn apply(&mut self, spec: &'static Spec, value: &str) -> Result<(), ValueError> {
        if spec.kind == Kind::Flag {
            let on = parse_bool(value)?;
            let slot = match spec.name {
                "no-udp" => &mut self.no_udp,
                "no-tcp" => &mut self.no_tcp,
                "verbose" => &mut self.verbose,
                "Verbose" => &mut self.extra_verbose,
                "fingerprint" => &mut self.fingerprint,
                "no-tls" => &mut self.no_tls,
                "no-dtls" => &mut self.no_dtls,
                "no-cli" => &mut self.no_cli,
                "simple-log" => &mut self.simple_log,
                "stun-only" => &mut self.stun_only,
                "no-rfc5780" => &mut self.no_rfc5780,
                "response-origin-only-with-rfc5780" => &mut self.response_origin_only_with_rfc5780,
                "syslog" => &mut self.syslog,
                "no-stun-backward-compatibility" => &mut self.no_stun_backward_compatibility,
                "no-stdout-log" => &mut self.no_stdout_log,
                "no-software-attribute" => &mut self.no_software_attribute,
                "prometheus" => &mut self.prometheus,
                "lt-cred-mech" => &mut self.lt_cred_mech,
                "use-auth-secret" => &mut self.use_auth_secret,
                "allow-loopback-peers" => &mut self.allow_loopback_peers,
                "no-multicast-peers" => &mut self.no_multicast_peers,
                other => unreachable!("flag '{other}' in SPECS has no slot"),
            };
            *slot = Some(on);
            return Ok(());
        }
        if value.is_empty() {
            return Err(ValueError::Missing);
        }
        match spec.name {
            "listening-port" => self.listening_port = Some(parse_port(value).map_err(bad)?),
            "tls-listening-port" => {
                self.tls_listening_port = Some(parse_port(value).map_err(bad)?);
            }
            "min-port" => self.min_port = Some(parse_relay_port(value).map_err(bad)?),
            "max-port" => self.max_port = Some(parse_relay_port(value).map_err(bad)?),
            "listening-ip" => self.listening_ips.push(parse_ip(value).map_err(bad)?),
            "relay-ip" => self.relay_ips.push(parse_ip(value).map_err(bad)?),
            "external-ip" => self
                .external_ips
                .push(parse_external_ip(value).map_err(bad)?),
            "user" => self.users.push(parse_user(value).map_err(bad)?),
            "log-file" => self.log_file = Some(value.to_owned()),
            "pidfile" => self.pidfile = Some(PathBuf::from(value)),
            "userdb" => self.userdb = Some(PathBuf::from(value)),
            "realm" => self.realm = Some(value.to_owned()),
            "server-name" => self.server_name = Some(value.to_owned()),
            "static-auth-secret" => self.static_auth_secret = Some(Secret(value.to_owned())),
            other => unreachable!("valued key '{other}' in SPECS has no slot"),
        }
        Ok(())
    }

    /// Parse coturn turnserver.conf text. `path` is only used in error messages.
    fn parse_file(text: &str, path: &Path) -> Result<Layer, ConfigError> {
        let mut layer = Layer::default();
        for (index, raw) in text.lines().enumerate() {
            let at = || Location::File {
                path: path.to_owned(),
                line: index + 1,
            };
            let Some((key, value)) = split_line(raw) else {
                continue;
            };
            let spec = lookup(key, at)?;
            layer
                .apply(spec, value)
                .map_err(|e| e.at(at(), spec.name, value))?;
        }
        Ok(layer)
    }

    /// Keys given in this layer, by canonical name.
    fn given(&self) -> BTreeSet<&'static str> {
        let mut keys = BTreeSet::new();
        let mut mark = |name: &'static str, given: bool| {
            if given {
                keys.insert(name);
            }
        };
        mark("listening-port", self.listening_port.is_some());
        mark("listening-ip", !self.listening_ips.is_empty());
        mark("tls-listening-port", self.tls_listening_port.is_some());
        mark("log-file", self.log_file.is_some());
        mark("pidfile", self.pidfile.is_some());
        mark("realm", self.realm.is_some());
        mark("relay-ip", !self.relay_ips.is_empty());
        mark("external-ip", !self.external_ips.is_empty());
        mark("min-port", self.min_port.is_some());
        mark("max-port", self.max_port.is_some());
        mark("user", !self.users.is_empty());
        mark("userdb", self.userdb.is_some());
        mark("static-auth-secret", self.static_auth_secret.is_some());
        mark("server-name", self.server_name.is_some());
        keys
    }

    /// Combine: what the command line (`self`) gives wins over the file.
    fn over(self, file: Layer) -> Layer {
        fn list<T>(cli: Vec<T>, file: Vec<T>) -> Vec<T> {
            if cli.is_empty() { file } else { cli }
        }
        Layer {
            listening_port: self.listening_port.or(file.listening_port),
            listening_ips: list(self.listening_ips, file.listening_ips),
            no_udp: self.no_udp.or(file.no_udp),
            no_tcp: self.no_tcp.or(file.no_tcp),
            verbose: self.verbose.or(file.verbose),
            extra_verbose: self.extra_verbose.or(file.extra_verbose),
            fingerprint: self.fingerprint.or(file.fingerprint),
            no_tls: self.no_tls.or(file.no_tls),
            no_dtls: self.no_dtls.or(file.no_dtls),
            no_cli: self.no_cli.or(file.no_cli),
            simple_log: self.simple_log.or(file.simple_log),
            stun_only: self.stun_only.or(file.stun_only),
            no_rfc5780: self.no_rfc5780.or(file.no_rfc5780),
            response_origin_only_with_rfc5780: self
                .response_origin_only_with_rfc5780
                .or(file.response_origin_only_with_rfc5780),
            syslog: self.syslog.or(file.syslog),
            no_stun_backward_compatibility: self
                .no_stun_backward_compatibility
                .or(file.no_stun_backward_compatibility),
            tls_listening_port: self.tls_listening_port.or(file.tls_listening_port),
            log_file: self.log_file.or(file.log_file),
            no_stdout_log: self.no_stdout_log.or(file.no_stdout_log),
            pidfile: self.pidfile.or(file.pidfile),
            no_software_attribute: self.no_software_attribute.or(file.no_software_attribute),
            prometheus: self.prometheus.or(file.prometheus),
            realm: self.realm.or(file.realm),
            relay_ips: list(self.relay_ips, file.relay_ips),
            external_ips: list(self.external_ips, file.external_ips),
            min_port: self.min_port.or(file.min_port),
            max_port: self.max_port.or(file.max_port),
            lt_cred_mech: self.lt_cred_mech.or(file.lt_cred_mech),
            users: list(self.users, file.users),
            userdb: self.userdb.or(file.userdb),
            use_auth_secret: self.use_auth_secret.or(file.use_auth_secret),
            static_auth_secret: self.static_auth_secret.or(file.static_auth_secret),
            server_name: self.server_name.or(file.server_name),
            allow_loopback_peers: self.allow_loopback_peers.or(file.allow_loopback_peers),
            no_multicast_peers: self.no_multicast_peers.or(file.no_multicast_peers),
        }
    }
}

fn bad(expected: &'static str) -> ValueError {
    ValueError::Invalid(expected)
}

/// Split one file line the way coturn does: skip leading blanks, skip `#` comments and blank
/// lines, cut the key at the first ' ', '\t' or '=', skip the run of those that follows, and
/// remove one pair of double quotes around the value. Unlike coturn, trailing blanks of an
/// unquoted value are dropped too.
fn split_line(raw: &str) -> Option<(&str, &str)> {
    let line = raw.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let is_sep = |c: char| c == ' ' || c == '\t' || c == '=';
    let (key, rest) = match line.find(is_sep) {
        Some(i) => (&line[..i], line[i..].trim_start_matches(is_sep)),
        None => (line, ""),
    };
    let value = match rest.strip_prefix('"') {
        Some(inner) => {
            let inner = inner.trim_end();
            inner.strip_suffix('"').unwrap_or(inner)
        }
        None => rest,
    };
    Some((key, value))
}

/// Find the spec for a key, or say precisely why there is none.
fn lookup(key: &str, at: impl Fn() -> Location) -> Result<&'static Spec, ConfigError> {
    if let Some(spec) = find_spec(key) {
        return Ok(spec);
    }
    if COTURN_ONLY.contains(&key) {
        return Err(ConfigError::UnsupportedOption {
            at: at(),
            key: key.to_owned(),
        });
    }
    Err(ConfigError::UnknownOption {
        at: at(),
        key: key.to_owned(),
        suggestion: suggest(key),
    })
}

/// The known key closest to a misspelt one, if one is close enough to be a likely typo.
fn suggest(key: &str) -> Option<&'static str> {
    // `--verbose` written in a file: the key without its dashes.
    let bare = key.trim_start_matches('-');
    if bare != key {
        if let Some(spec) = find_spec(bare) {
            return Some(spec.name);
        }
    }
    let bare = bare.to_ascii_lowercase();
    let limit = (bare.chars().count() / 3).clamp(1, 3);
    SPECS
        .iter()
        .map(|s| s.name)
        .chain(COTURN_ONLY.iter().copied())
        .map(|name| (edit_distance(&bare, &name.to_ascii_lowercase()), name))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, name)| name)
}

/// Optimal string alignment distance: Levenshtein plus adjacent transpositions
/// (`listening-prot` is one edit from `listening-port`).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rolling rows: i-2, i-1, i.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            cur[j] = d;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

// ---------------------------------------------------------------------------------------------
// The command line
// ---------------------------------------------------------------------------------------------

/// wren-relay: a STUN (and soon TURN) server that takes coturn's options.
///
/// Options may also be given in a coturn turnserver.conf with `-c FILE`; the command line
/// overrides the file.
#[derive(Debug, Parser)]
#[command(name = "wren-relay", version, disable_version_flag = true)]
struct Cli {
    /// Read options from this coturn-style turnserver.conf.
    #[arg(short = 'c', value_name = "FILE")]
    config_file: Option<PathBuf>,
    /// Do not read a configuration file, even if -c is given (as coturn's -n).
    #[arg(short = 'n')]
    no_config_file: bool,
    /// Print the effective configuration in turnserver.conf syntax and exit.
    #[arg(long = "print-config")]
    print_config: bool,
    /// Print the version and exit.
    #[arg(long = "version", action = ArgAction::Version)]
    version: Option<bool>,

    /// Port for STUN over UDP and TCP [default: 3478; 0 lets the OS choose].
    #[arg(short = 'p', long = "listening-port", value_name = "PORT", value_parser = cli_port)]
    listening_port: Option<u16>,
    /// Address to listen on; repeat for several [default: 0.0.0.0].
    #[arg(short = 'L', long = "listening-ip", value_name = "IP", value_parser = cli_ip)]
    listening_ips: Vec<IpAddr>,
    /// Do not listen on UDP.
    #[arg(long = "no-udp")]
    no_udp: bool,
    /// Do not listen on TCP.
    #[arg(long = "no-tcp")]
    no_tcp: bool,
    /// Moderate verbose logging (debug level).
    #[arg(short = 'v', long = "verbose")]
    verbose: bool,
    /// Extra verbose logging (trace level).
    #[arg(short = 'V', long = "Verbose")]
    extra_verbose: bool,
    /// Add FINGERPRINT to every STUN response (otherwise: when the request had one).
    #[arg(short = 'f', long = "fingerprint")]
    fingerprint: bool,
    /// Do not start TLS listeners (wren-relay has none).
    #[arg(long = "no-tls")]
    no_tls: bool,
    /// Do not start DTLS listeners (wren-relay has none).
    #[arg(long = "no-dtls")]
    no_dtls: bool,
    /// Turn off coturn's telnet CLI (wren-relay has none).
    #[arg(long = "no-cli")]
    no_cli: bool,
    /// No log file rollover (wren-relay never rotates its log).
    #[arg(long = "simple-log")]
    simple_log: bool,
    /// STUN only: ignore TURN requests.
    #[arg(short = 'S', long = "stun-only")]
    stun_only: bool,
    /// Turn off RFC 5780 NAT behaviour discovery (wren-relay has none).
    #[arg(long = "no-rfc5780")]
    no_rfc5780: bool,
    /// Send RESPONSE-ORIGIN only with RFC 5780, which wren-relay lacks: so never.
    #[arg(long = "response-origin-only-with-rfc5780")]
    response_origin_only_with_rfc5780: bool,
    /// Log to syslog (not implemented yet).
    #[arg(long = "syslog")]
    syslog: bool,
    /// Refuse classic RFC 3489 Binding requests (not implemented yet).
    #[arg(long = "no-stun-backward-compatibility")]
    no_stun_backward_compatibility: bool,
    /// Port for TLS and DTLS listeners (not implemented yet).
    #[arg(long = "tls-listening-port", value_name = "PORT", value_parser = cli_port)]
    tls_listening_port: Option<u16>,
    /// Log file path, or `stdout` (only `stdout` is honoured yet).
    #[arg(short = 'l', long = "log-file", value_name = "FILE")]
    log_file: Option<String>,
    /// Do not log to standard output (not implemented yet).
    #[arg(long = "no-stdout-log")]
    no_stdout_log: bool,
    /// Write the process id to this file (not implemented yet).
    #[arg(long = "pidfile", value_name = "FILE")]
    pidfile: Option<PathBuf>,
    /// Do not send the SOFTWARE attribute.
    #[arg(long = "no-software-attribute")]
    no_software_attribute: bool,
    /// Serve Prometheus metrics (not implemented yet).
    #[arg(long = "prometheus")]
    prometheus: bool,
    /// Default realm for long-term credentials (TURN; not implemented yet).
    #[arg(short = 'r', long = "realm", value_name = "REALM")]
    realm: Option<String>,
    /// Relay address; repeat for several (TURN; not implemented yet).
    #[arg(short = 'E', long = "relay-ip", value_name = "IP", value_parser = cli_ip)]
    relay_ips: Vec<IpAddr>,
    /// Public address, or public/private mapping, behind NAT (TURN; not implemented yet).
    #[arg(short = 'X', long = "external-ip", value_name = "PUBLIC[/PRIVATE]", value_parser = cli_external_ip)]
    external_ips: Vec<ExternalIp>,
    /// Lowest relay port [default: 49152] (TURN; not implemented yet).
    #[arg(long = "min-port", value_name = "PORT", value_parser = cli_relay_port)]
    min_port: Option<u16>,
    /// Highest relay port [default: 65535] (TURN; not implemented yet).
    #[arg(long = "max-port", value_name = "PORT", value_parser = cli_relay_port)]
    max_port: Option<u16>,
    /// Use the long-term credential mechanism (TURN; not implemented yet).
    #[arg(short = 'a', long = "lt-cred-mech")]
    lt_cred_mech: bool,
    /// User account name:password; repeat for several (TURN; not implemented yet).
    #[arg(short = 'u', long = "user", value_name = "NAME:PASSWORD", value_parser = cli_user)]
    users: Vec<UserAccount>,
    /// coturn user database file (TURN; not implemented yet).
    #[arg(short = 'b', long = "userdb", value_name = "FILE")]
    userdb: Option<PathBuf>,
    /// TURN REST API credentials (TURN; not implemented yet).
    #[arg(long = "use-auth-secret")]
    use_auth_secret: bool,
    /// TURN REST API shared secret (TURN; not implemented yet).
    #[arg(long = "static-auth-secret", value_name = "SECRET")]
    static_auth_secret: Option<String>,
    /// Server name for the ORIGIN mechanism (TURN; not implemented yet).
    #[arg(long = "server-name", value_name = "NAME")]
    server_name: Option<String>,
    /// Allow peers on loopback addresses (TURN; not implemented yet).
    #[arg(long = "allow-loopback-peers")]
    allow_loopback_peers: bool,
    /// Refuse multicast peers (TURN; not implemented yet).
    #[arg(long = "no-multicast-peers")]
    no_multicast_peers: bool,
}

impl Cli {
    fn into_layer(self) -> Layer {
        let flag = |on: bool| on.then_some(true);
        Layer {
            listening_port: self.listening_port,
            listening_ips: self.listening_ips,
            no_udp: flag(self.no_udp),
            no_tcp: flag(self.no_tcp),
            verbose: flag(self.verbose),
            extra_verbose: flag(self.extra_verbose),
            fingerprint: flag(self.fingerprint),
            no_tls: flag(self.no_tls),
            no_dtls: flag(self.no_dtls),
            no_cli: flag(self.no_cli),
            simple_log: flag(self.simple_log),
            stun_only: flag(self.stun_only),
            no_rfc5780: flag(self.no_rfc5780),
            response_origin_only_with_rfc5780: flag(self.response_origin_only_with_rfc5780),
            syslog: flag(self.syslog),
            no_stun_backward_compatibility: flag(self.no_stun_backward_compatibility),
            tls_listening_port: self.tls_listening_port,
            log_file: self.log_file,
            no_stdout_log: flag(self.no_stdout_log),
            pidfile: self.pidfile,
            no_software_attribute: flag(self.no_software_attribute),
            prometheus: flag(self.prometheus),
            realm: self.realm,
            relay_ips: self.relay_ips,
            external_ips: self.external_ips,
            min_port: self.min_port,
            max_port: self.max_port,
            lt_cred_mech: flag(self.lt_cred_mech),
            users: self.users,
            userdb: self.userdb,
            use_auth_secret: flag(self.use_auth_secret),
            static_auth_secret: self.static_auth_secret.map(Secret),
            server_name: self.server_name,
            allow_loopback_peers: flag(self.allow_loopback_peers),
            no_multicast_peers: flag(self.no_multicast_peers),
        }
    }
}

/// Report a coturn long option that wren-relay lacks as "unsupported", before clap calls it
/// merely unexpected.
fn check_coturn_only(args: &[OsString]) -> Result<(), ConfigError> {
    for arg in args.iter().skip(1) {
        let Some(arg) = arg.to_str() else { continue };
        if arg == "--" {
            break;
        }
        let Some(long) = arg.strip_prefix("--") else {
            continue;
        };
        let name = long.split_once('=').map_or(long, |(name, _)| name);
        if COTURN_ONLY.contains(&name) {
            return Err(ConfigError::UnsupportedOption {
                at: Location::CommandLine,
                key: name.to_owned(),
            });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The effective configuration
// ---------------------------------------------------------------------------------------------

/// A key wren-relay parsed and stored but does not act on yet; the binary logs each one as a
/// warning at start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unimplemented {
    /// The key, as in turnserver.conf (and `--key` on the command line).
    pub(crate) key: &'static str,
    /// What is missing.
    pub(crate) why: &'static str,
}

impl fmt::Display for Unimplemented {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "option '{}' is accepted but not acted on yet: {}",
            self.key, self.why
        )
    }
}

/// The effective configuration of wren-relay: defaults, then the `-c` file, then the command
/// line.
///
/// Fields the STUN server acts on hold effective values (defaults applied). Fields it does not
/// act on yet hold what was given (`None`/empty/false when absent), for the TURN code to come;
/// [`Config::unimplemented`] lists those that were set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Config {
    /// The `-c` file that was read, if any.
    pub(crate) config_file: Option<PathBuf>,
    /// `--print-config` was given: print this configuration and exit.
    pub(crate) print_config: bool,

    // -- acted on --
    /// `listening-ip`: addresses to listen on, never empty (default `0.0.0.0`), no duplicates.
    pub(crate) listening_ips: Vec<IpAddr>,
    /// `listening-port`: the STUN port on UDP and TCP (default 3478; 0 lets the OS choose).
    pub(crate) listening_port: u16,
    /// Serve UDP (false with `no-udp`).
    pub(crate) udp: bool,
    /// Serve TCP (false with `no-tcp`).
    pub(crate) tcp: bool,
    /// `verbose` / `Verbose`.
    pub(crate) verbosity: Verbosity,
    /// `fingerprint`: add FINGERPRINT to STUN messages.
    pub(crate) fingerprint: bool,
    /// `no-tls` (honoured trivially: there is no TLS listener).
    pub(crate) no_tls: bool,
    /// `no-dtls` (honoured trivially: there is no DTLS listener).
    pub(crate) no_dtls: bool,
    /// `no-cli` (honoured trivially: there is no telnet CLI).
    pub(crate) no_cli: bool,
    /// `simple-log` (honoured trivially: logs are never rotated).
    pub(crate) simple_log: bool,
    /// `stun-only` (honoured trivially while there is no TURN).
    pub(crate) stun_only: bool,
    /// `no-rfc5780` (honoured trivially: there is no RFC 5780 support).
    pub(crate) no_rfc5780: bool,
    /// `response-origin-only-with-rfc5780`: no RESPONSE-ORIGIN (there is no RFC 5780 here).
    pub(crate) response_origin_only_with_rfc5780: bool,
    /// `no-software-attribute`: no SOFTWARE attribute in responses.
    pub(crate) no_software_attribute: bool,

    // -- parsed and stored, not acted on yet --
    /// `tls-listening-port` (coturn's default is 5349).
    pub(crate) tls_listening_port: Option<u16>,
    /// `log-file`: a path, or coturn's `stdout`/`syslog`.
    pub(crate) log_file: Option<String>,
    /// `no-stdout-log`.
    pub(crate) no_stdout_log: bool,
    /// `syslog`.
    pub(crate) syslog: bool,
    /// `no-stun-backward-compatibility`: refuse classic RFC 3489 requests.
    pub(crate) no_stun_backward_compatibility: bool,
    /// `pidfile`.
    pub(crate) pidfile: Option<PathBuf>,
    /// `prometheus`.
    pub(crate) prometheus: bool,
    /// `realm`.
    pub(crate) realm: Option<String>,
    /// `relay-ip`, in order given.
    pub(crate) relay_ips: Vec<IpAddr>,
    /// `external-ip`, in order given.
    pub(crate) external_ips: Vec<ExternalIp>,
    /// `min-port` (default [`DEFAULT_MIN_PORT`]); `min_port <= max_port` is checked.
    pub(crate) min_port: Option<u16>,
    /// `max-port` (default [`DEFAULT_MAX_PORT`]).
    pub(crate) max_port: Option<u16>,
    /// `lt-cred-mech`.
    pub(crate) lt_cred_mech: bool,
    /// `user`, in order given.
    pub(crate) users: Vec<UserAccount>,
    /// `userdb`.
    pub(crate) userdb: Option<PathBuf>,
    /// `use-auth-secret`.
    pub(crate) use_auth_secret: bool,
    /// `static-auth-secret`.
    pub(crate) static_auth_secret: Option<Secret>,
    /// `server-name`.
    pub(crate) server_name: Option<String>,
    /// `allow-loopback-peers`.
    pub(crate) allow_loopback_peers: bool,
    /// `no-multicast-peers`.
    pub(crate) no_multicast_peers: bool,
}

impl Default for Config {
    /// The configuration with nothing given: STUN on 0.0.0.0:3478, UDP and TCP.
    fn default() -> Config {
        Config::from_layer(Layer::default(), None, false)
    }
}

impl Config {
    /// Parse a command line (the first item is the program name, as in
    /// `std::env::args_os()`), read the `-c` file if one is named (unless `-n`), and combine:
    /// the command line overrides the file.
    pub(crate) fn from_args<I, T>(args: I) -> Result<Config, ConfigError>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString>,
    {
        let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
        check_coturn_only(&args)?;
        let cli = Cli::try_parse_from(&args)?;
        let file_path = if cli.no_config_file {
            None
        } else {
            cli.config_file.clone()
        };
        let print_config = cli.print_config;
        let file = match &file_path {
            Some(path) => {
                let bytes = std::fs::read(path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                let text = utf8(&bytes, path)?;
                Layer::parse_file(text, path)?
            }
            None => Layer::default(),
        };
        Config::build(cli.into_layer().over(file), file_path, print_config)
    }

    /// Parse the text of a coturn turnserver.conf on its own (defaults for what it does not
    /// say). `path` names the file in error messages and in [`Config::config_file`].
    #[allow(
        dead_code,
        reason = "API for tests and tools; the binary reads files via from_args"
    )]
    pub(crate) fn parse_file(text: &str, path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let layer = Layer::parse_file(text, path)?;
        Config::build(layer, Some(path.to_owned()), false)
    }

    fn build(
        layer: Layer,
        config_file: Option<PathBuf>,
        print_config: bool,
    ) -> Result<Config, ConfigError> {
        let config = Config::from_layer(layer, config_file, print_config);
        let (min, max) = config.relay_port_range();
        if min > max {
            return Err(ConfigError::PortRange { min, max });
        }
        if !config.udp && !config.tcp {
            return Err(ConfigError::NoListeners);
        }
        Ok(config)
    }

    fn from_layer(layer: Layer, config_file: Option<PathBuf>, print_config: bool) -> Config {
        let on = |v: Option<bool>| v.unwrap_or(false);
        let mut listening_ips: Vec<IpAddr> = Vec::with_capacity(layer.listening_ips.len());
        for ip in layer.listening_ips {
            if !listening_ips.contains(&ip) {
                listening_ips.push(ip);
            }
        }
        if listening_ips.is_empty() {
            listening_ips.push(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        }
        let verbosity = if on(layer.extra_verbose) {
            Verbosity::Extra
        } else if on(layer.verbose) {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        };
        Config {
            config_file,
            print_config,
            listening_ips,
            listening_port: layer.listening_port.unwrap_or(DEFAULT_LISTENING_PORT),
            udp: !on(layer.no_udp),
            tcp: !on(layer.no_tcp),
            verbosity,
            fingerprint: on(layer.fingerprint),
            no_tls: on(layer.no_tls),
            no_dtls: on(layer.no_dtls),
            no_cli: on(layer.no_cli),
            simple_log: on(layer.simple_log),
            stun_only: on(layer.stun_only),
            no_rfc5780: on(layer.no_rfc5780),
            response_origin_only_with_rfc5780: on(layer.response_origin_only_with_rfc5780),
            tls_listening_port: layer.tls_listening_port,
            log_file: layer.log_file,
            no_stdout_log: on(layer.no_stdout_log),
            syslog: on(layer.syslog),
            no_stun_backward_compatibility: on(layer.no_stun_backward_compatibility),
            pidfile: layer.pidfile,
            no_software_attribute: on(layer.no_software_attribute),
            prometheus: on(layer.prometheus),
            realm: layer.realm,
            relay_ips: layer.relay_ips,
            external_ips: layer.external_ips,
            min_port: layer.min_port,
            max_port: layer.max_port,
            lt_cred_mech: on(layer.lt_cred_mech),
            users: layer.users,
            userdb: layer.userdb,
            use_auth_secret: on(layer.use_auth_secret),
            static_auth_secret: layer.static_auth_secret,
            server_name: layer.server_name,
            allow_loopback_peers: on(layer.allow_loopback_peers),
            no_multicast_peers: on(layer.no_multicast_peers),
        }
    }

    /// Every address the STUN server listens on: each listening IP with the listening port
    /// (the same list for UDP and TCP).
    #[allow(dead_code, reason = "for serve.rs, written beside this module")]
    pub(crate) fn listen_addrs(&self) -> Vec<SocketAddr> {
        self.listening_ips
            .iter()
            .map(|ip| SocketAddr::new(*ip, self.listening_port))
            .collect()
    }

    /// The STUN Binding server's configuration from `fingerprint`, `no-software-attribute` and
    /// `response-origin-only-with-rfc5780`; build the server from this so those keys take
    /// effect.
    #[allow(dead_code, reason = "for serve.rs, written beside this module")]
    pub(crate) fn stun_server_config(&self) -> wren_stun::server::ServerConfig {
        wren_stun::server::ServerConfig {
            software: (!self.no_software_attribute).then(|| SOFTWARE.to_owned()),
            fingerprint: if self.fingerprint {
                wren_stun::server::FingerprintPolicy::Always
            } else {
                wren_stun::server::FingerprintPolicy::Mirror
            },
            response_origin: !self.response_origin_only_with_rfc5780,
            ..wren_stun::server::ServerConfig::default()
        }
    }

    /// The relay port range with coturn's defaults applied, `(min, max)`, `min <= max`.
    pub(crate) fn relay_port_range(&self) -> (u16, u16) {
        (
            self.min_port.unwrap_or(DEFAULT_MIN_PORT),
            self.max_port.unwrap_or(DEFAULT_MAX_PORT),
        )
    }

    /// The keys that were set but are not acted on yet, in the order of the key table; the
    /// binary logs each as a warning. A flag counts as set when it is on; `log-file=stdout`
    /// is honoured and not listed.
    pub(crate) fn unimplemented(&self) -> Vec<Unimplemented> {
        let set: BTreeSet<&'static str> = self.set_keys();
        SPECS
            .iter()
            .filter_map(|spec| {
                let why = spec.not_yet?;
                set.contains(spec.name).then_some(Unimplemented {
                    key: spec.name,
                    why,
                })
            })
            .collect()
    }

    /// Canonical names of the not-yet-acted-on keys that hold a value or are on.
    fn set_keys(&self) -> BTreeSet<&'static str> {
        let mut keys = self.stored_layer().given();
        let mut flag = |name: &'static str, on: bool| {
            if on {
                keys.insert(name);
            }
        };
        flag("no-stdout-log", self.no_stdout_log);
        flag("syslog", self.syslog);
        flag(
            "no-stun-backward-compatibility",
            self.no_stun_backward_compatibility,
        );
        flag("prometheus", self.prometheus);
        flag("lt-cred-mech", self.lt_cred_mech);
        flag("use-auth-secret", self.use_auth_secret);
        flag("allow-loopback-peers", self.allow_loopback_peers);
        flag("no-multicast-peers", self.no_multicast_peers);
        if self.log_file.as_deref() == Some("stdout") {
            keys.remove("log-file");
        }
        keys
    }

    /// The stored (not acted on) values as a layer, to reuse `Layer::given`.
    fn stored_layer(&self) -> Layer {
        Layer {
            tls_listening_port: self.tls_listening_port,
            log_file: self.log_file.clone(),
            pidfile: self.pidfile.clone(),
            realm: self.realm.clone(),
            relay_ips: self.relay_ips.clone(),
            external_ips: self.external_ips.clone(),
            min_port: self.min_port,
            max_port: self.max_port,
            users: self.users.clone(),
            userdb: self.userdb.clone(),
            static_auth_secret: self.static_auth_secret.clone(),
            server_name: self.server_name.clone(),
            ..Layer::default()
        }
    }
}

/// UTF-8 text of a file, or the line of its first bad byte.
fn utf8<'a>(bytes: &'a [u8], path: &Path) -> Result<&'a str, ConfigError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        ConfigError::NotUtf8 {
            at: Location::File {
                path: path.to_owned(),
                line,
            },
        }
    })
}

/// The configuration in turnserver.conf syntax (what `--print-config` prints). Secrets are
/// replaced by `<redacted>`; everything else reads back to an equal `Config`.
impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "# wren-relay effective configuration (turnserver.conf syntax)"
        )?;
        if let Some(path) = &self.config_file {
            writeln!(f, "# read from {}", path.display())?;
        }
        writeln!(f, "listening-port={}", self.listening_port)?;
        for ip in &self.listening_ips {
            writeln!(f, "listening-ip={ip}")?;
        }
        let flags = [
            ("no-udp", !self.udp),
            ("no-tcp", !self.tcp),
            ("verbose", self.verbosity == Verbosity::Verbose),
            ("Verbose", self.verbosity == Verbosity::Extra),
            ("fingerprint", self.fingerprint),
            ("no-tls", self.no_tls),
            ("no-dtls", self.no_dtls),
            ("no-cli", self.no_cli),
            ("simple-log", self.simple_log),
            ("stun-only", self.stun_only),
            ("no-rfc5780", self.no_rfc5780),
            (
                "response-origin-only-with-rfc5780",
                self.response_origin_only_with_rfc5780,
            ),
            ("syslog", self.syslog),
            (
                "no-stun-backward-compatibility",
                self.no_stun_backward_compatibility,
            ),
            ("no-stdout-log", self.no_stdout_log),
            ("no-software-attribute", self.no_software_attribute),
            ("prometheus", self.prometheus),
            ("lt-cred-mech", self.lt_cred_mech),
            ("use-auth-secret", self.use_auth_secret),
            ("allow-loopback-peers", self.allow_loopback_peers),
            ("no-multicast-peers", self.no_multicast_peers),
        ];
        for (name, on) in flags {
            if on {
                writeln!(f, "{name}")?;
            }
        }
        if let Some(port) = self.tls_listening_port {
            writeln!(f, "tls-listening-port={port}")?;
        }
        if let Some(log_file) = &self.log_file {
            writeln!(f, "log-file=\"{log_file}\"")?;
        }
        if let Some(pidfile) = &self.pidfile {
            writeln!(f, "pidfile=\"{}\"", pidfile.display())?;
        }
        if let Some(realm) = &self.realm {
            writeln!(f, "realm=\"{realm}\"")?;
        }
        for ip in &self.relay_ips {
            writeln!(f, "relay-ip={ip}")?;
        }
        for ip in &self.external_ips {
            writeln!(f, "external-ip={ip}")?;
        }
        if let Some(port) = self.min_port {
            writeln!(f, "min-port={port}")?;
        }
        if let Some(port) = self.max_port {
            writeln!(f, "max-port={port}")?;
        }
        for user in &self.users {
            writeln!(f, "user={}:<redacted>", user.name)?;
        }
        if let Some(userdb) = &self.userdb {
            writeln!(f, "userdb=\"{}\"", userdb.display())?;
        }
        if self.static_auth_secret.is_some() {
            writeln!(f, "static-auth-secret=<redacted>")?;
        }
        if let Some(name) = &self.server_name {
            writeln!(f, "server-name=\"{name}\"")?;
        }
        for warning in self.unimplemented() {
            writeln!(f, "# warning: {warning}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use proptest::prelude::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address")
    }

    fn args(line: &str) -> Vec<String> {
        std::iter::once("wren-relay")
            .chain(line.split_whitespace())
            .map(str::to_owned)
            .collect()
    }

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse_file(text, "turnserver.conf")
    }

    /// A file in a fresh temporary directory, removed on drop.
    struct TempConf {
        dir: PathBuf,
        path: PathBuf,
    }

    impl TempConf {
        fn new(text: &[u8]) -> TempConf {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "wren-relay-config-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&dir).expect("temp dir");
            let path = dir.join("turnserver.conf");
            std::fs::write(&path, text).expect("temp file");
            TempConf { dir, path }
        }

        fn arg(&self) -> String {
            self.path.display().to_string()
        }
    }

    impl Drop for TempConf {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    /// A turnserver.conf as operators write them: coturn's sample comments, both separators,
    /// quotes, tabs, CRLF line ends, booleans on flags, repeated list keys.
    const REALISTIC: &str = "\
# Coturn TURN SERVER configuration file
#
# Boolean values note: where a boolean value is supposed to be used,
# you can use '0', 'off', 'no', 'false', or 'f' as 'false,
# and you can use '1', 'on', 'yes', 'true', or 't' as 'true'
# If the value is missing, then it means 'true' by default.

# TURN listener port for UDP and TCP (Default: 3478).
listening-port=3479
tls-listening-port=5349

# Listener IP address of relay server. Multiple listeners can be specified.
listening-ip=127.0.0.1
listening-ip ::1
  listening-ip\t=\t127.0.0.2\r
relay-ip=127.0.0.1
external-ip=60.70.80.91/172.17.19.101
external-ip=60.70.80.92

min-port=49200
max-port=49300
verbose
fingerprint
lt-cred-mech
user=username1:key1
user=ninefingers:0xbc807ee29df3c9ffa736523fb2c4e8ee
static-auth-secret=north
realm=mycompany.org
server-name=blackdow.carleon.gov
no-tls
no-dtls=yes
no-cli
no-tcp=off
log-file=/var/tmp/turn.log
simple-log
pidfile=\"/var/run/turnserver.pid\"
no-software-attribute
prometheus=0
allow-loopback-peers
no-multicast-peers
";

    #[test]
    fn defaults() {
        let c = Config::from_args(["wren-relay"]).expect("no arguments");
        assert_eq!(c, Config::default());
        assert_eq!(c.listening_ips, vec![ip("0.0.0.0")]);
        assert_eq!(c.listening_port, 3478);
        assert!(c.udp && c.tcp);
        assert_eq!(c.verbosity, Verbosity::Normal);
        assert_eq!(
            c.listen_addrs(),
            vec!["0.0.0.0:3478".parse().expect("addr")]
        );
        assert_eq!(c.relay_port_range(), (49152, 65535));
        assert!(c.unimplemented().is_empty());
        assert_eq!(c.config_file, None);
    }

    #[test]
    fn realistic_file_parses() {
        let c = parse(REALISTIC).expect("realistic turnserver.conf");
        assert_eq!(c.listening_port, 3479);
        assert_eq!(
            c.listening_ips,
            vec![ip("127.0.0.1"), ip("::1"), ip("127.0.0.2")]
        );
        assert_eq!(c.tls_listening_port, Some(5349));
        assert_eq!(c.relay_ips, vec![ip("127.0.0.1")]);
        assert_eq!(
            c.external_ips,
            vec![
                ExternalIp {
                    public: ip("60.70.80.91"),
                    private: Some(ip("172.17.19.101"))
                },
                ExternalIp {
                    public: ip("60.70.80.92"),
                    private: None
                },
            ]
        );
        assert_eq!(c.relay_port_range(), (49200, 49300));
        assert_eq!(c.verbosity, Verbosity::Verbose);
        assert!(c.fingerprint && c.lt_cred_mech && c.no_tls && c.no_dtls && c.no_cli);
        assert!(c.udp && c.tcp, "no-tcp=off keeps TCP");
        assert_eq!(c.users.len(), 2);
        assert_eq!(c.users[0].name, "username1");
        assert_eq!(c.users[0].password.expose(), "key1");
        assert_eq!(
            c.users[1].password.expose(),
            "0xbc807ee29df3c9ffa736523fb2c4e8ee"
        );
        assert_eq!(
            c.static_auth_secret.as_ref().map(Secret::expose),
            Some("north")
        );
        assert_eq!(c.realm.as_deref(), Some("mycompany.org"));
        assert_eq!(c.server_name.as_deref(), Some("blackdow.carleon.gov"));
        assert_eq!(c.log_file.as_deref(), Some("/var/tmp/turn.log"));
        assert!(c.simple_log);
        assert_eq!(
            c.pidfile.as_deref(),
            Some(Path::new("/var/run/turnserver.pid"))
        );
        assert!(c.no_software_attribute);
        assert!(!c.prometheus, "prometheus=0 is off");
        assert!(c.allow_loopback_peers && c.no_multicast_peers);
        assert_eq!(c.config_file.as_deref(), Some(Path::new("turnserver.conf")));

        let warned: Vec<&str> = c.unimplemented().iter().map(|u| u.key).collect();
        assert_eq!(
            warned,
            vec![
                "tls-listening-port",
                "log-file",
                "pidfile",
                "realm",
                "relay-ip",
                "external-ip",
                "min-port",
                "max-port",
                "lt-cred-mech",
                "user",
                "static-auth-secret",
                "server-name",
                "allow-loopback-peers",
                "no-multicast-peers",
            ]
        );
    }

    /// Debian's /etc/turnserver.conf (from `apt-get install coturn`, which
    /// scripts/install-deps.sh does) is commented out but for four lines (`syslog`,
    /// `no-rfc5780`, `no-stun-backward-compatibility`, `response-origin-only-with-rfc5780`):
    /// it parses, with warnings for the two not applied yet. Uncommenting each of its example lines gives either a valid setting or, for coturn
    /// options wren-relay lacks, `UnsupportedOption` -- never "unknown", which checks our list
    /// of coturn's keys against coturn's own sample.
    #[test]
    fn debian_sample_turnserver_conf() {
        let Ok(text) = std::fs::read_to_string("/etc/turnserver.conf") else {
            eprintln!("skipped: /etc/turnserver.conf not installed (scripts/install-deps.sh)");
            return;
        };
        let c = parse(&text).expect("Debian's sample parses");
        assert_eq!(c.listen_addrs(), Config::default().listen_addrs());
        for warned in c.unimplemented() {
            assert!(
                ["syslog", "no-stun-backward-compatibility"].contains(&warned.key),
                "{warned}"
            );
        }

        let mut supported = 0;
        let mut unsupported = 0;
        for line in text.lines() {
            // Examples are written `#key...`; prose has a blank after the `#`.
            let Some(example) = line.strip_prefix('#') else {
                continue;
            };
            if example.starts_with([' ', '\t']) {
                continue;
            }
            let Some((key, _)) = split_line(example) else {
                continue;
            };
            let known = find_spec(key).is_some() || COTURN_ONLY.contains(&key);
            // Prose lines ("#Local system IP address ...") are not examples.
            if !known {
                continue;
            }
            match parse(example) {
                Ok(_) => supported += 1,
                Err(ConfigError::UnsupportedOption { key: k, .. }) => {
                    assert_eq!(k, key);
                    unsupported += 1;
                }
                Err(e) => panic!("example line {example:?}: {e}"),
            }
        }
        assert!(supported >= 20, "only {supported} supported examples");
        assert!(unsupported >= 20, "only {unsupported} unsupported examples");
    }

    #[test]
    fn command_line_overrides_file() {
        let conf = TempConf::new(
            b"listening-port=4000\nlistening-ip=127.0.0.2\nrealm=file.example\nno-tcp=false\nverbose=no\nmin-port=50000\n",
        );
        let c = Config::from_args(args(&format!(
            "-c {} -p 4001 -L 127.0.0.1 -L ::1 --realm cli.example --no-tcp -v --max-port 60000",
            conf.arg()
        )))
        .expect("file and command line");
        assert_eq!(c.listening_port, 4001);
        assert_eq!(c.listening_ips, vec![ip("127.0.0.1"), ip("::1")]);
        assert_eq!(c.realm.as_deref(), Some("cli.example"));
        assert!(!c.tcp);
        assert_eq!(c.verbosity, Verbosity::Verbose);
        assert_eq!(c.relay_port_range(), (50000, 60000), "file min, cli max");
        assert_eq!(c.config_file.as_deref(), Some(conf.path.as_path()));
        assert_eq!(
            c.listen_addrs(),
            vec![
                SocketAddr::new(ip("127.0.0.1"), 4001),
                SocketAddr::new(ip("::1"), 4001)
            ]
        );

        // What the command line does not say comes from the file.
        let c = Config::from_args(args(&format!("-c {} -v", conf.arg()))).expect("file");
        assert_eq!(c.listening_port, 4000);
        assert_eq!(c.listening_ips, vec![ip("127.0.0.2")]);
        assert_eq!(c.realm.as_deref(), Some("file.example"));

        // -n: no file at all, as coturn's.
        let c = Config::from_args(args(&format!("-n -c {}", conf.arg()))).expect("-n");
        assert_eq!(c.listening_port, 3478);
        assert_eq!(c.config_file, None);
    }

    #[test]
    fn long_and_short_forms() {
        let long = Config::from_args([
            "wren-relay",
            "--listening-port=3480",
            "--listening-ip=127.0.0.1",
            "--listening-ip",
            "[::1]",
            "--Verbose",
        ])
        .expect("long forms");
        let short = Config::from_args(args("-p3480 -L 127.0.0.1 -L ::1 -V")).expect("short");
        assert_eq!(long, short);
        assert_eq!(long.verbosity, Verbosity::Extra);
        assert_eq!(long.listening_ips[1], IpAddr::V6(Ipv6Addr::LOCALHOST));
    }

    /// The coturn command line from shared/INTEROP.md works unchanged.
    #[test]
    fn interop_coturn_command_line() {
        let c = Config::from_args(args(
            "-n --listening-ip=127.0.0.1 --listening-port=34780 --relay-ip=127.0.0.1 \
             --min-port=49200 --max-port=49300 --lt-cred-mech --user=test:secret \
             --realm=example.org --fingerprint --no-tls --no-dtls --no-cli \
             --allow-loopback-peers --log-file=stdout --simple-log \
             --userdb=/tmp/x/turndb --pidfile=/tmp/x/turnserver.pid",
        ))
        .expect("INTEROP.md's turnserver command line");
        assert_eq!(
            c.listen_addrs(),
            vec![SocketAddr::new(ip("127.0.0.1"), 34780)]
        );
        assert_eq!(c.users[0].name, "test");
        assert_eq!(c.users[0].password.expose(), "secret");
        let warned: Vec<&str> = c.unimplemented().iter().map(|u| u.key).collect();
        assert!(!warned.contains(&"log-file"), "log-file=stdout is honoured");
        assert!(warned.contains(&"pidfile") && warned.contains(&"user"));
    }

    #[test]
    fn stun_server_settings() {
        use wren_stun::server::FingerprintPolicy;
        let plain = Config::default().stun_server_config();
        assert_eq!(plain.software.as_deref(), Some(SOFTWARE));
        assert_eq!(plain.fingerprint, FingerprintPolicy::Mirror);
        assert!(plain.response_origin);
        let c = parse("fingerprint\nno-software-attribute\nresponse-origin-only-with-rfc5780\n")
            .expect("stun settings");
        assert!(c.unimplemented().is_empty());
        let s = c.stun_server_config();
        assert_eq!(s.software, None);
        assert_eq!(s.fingerprint, FingerprintPolicy::Always);
        assert!(!s.response_origin);
    }

    #[test]
    fn duplicate_listening_ips_collapse() {
        let c = parse("listening-ip=127.0.0.1\nlistening-ip=127.0.0.1\n").expect("dups");
        assert_eq!(c.listening_ips, vec![ip("127.0.0.1")]);
    }

    fn err(text: &str) -> ConfigError {
        match parse(text) {
            Ok(c) => panic!("expected an error for {text:?}, got {c:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn unknown_option_with_line_and_suggestion() {
        let text = "# comment\n\nlistening-port=3478\n".repeat(3) + "\n\nlistening-prot=3478\n";
        let e = err(&text);
        assert_eq!(e.line(), Some(12));
        assert_eq!(
            e.to_string(),
            "turnserver.conf:12: unknown option 'listening-prot' (did you mean 'listening-port'?)"
        );
        assert!(matches!(
            &e,
            ConfigError::UnknownOption { key, suggestion: Some("listening-port"), .. }
                if key == "listening-prot"
        ));

        // Dashes from the command-line habit, and case slips.
        let e = err("--verbose\n");
        assert!(e.to_string().ends_with("(did you mean 'verbose'?)"), "{e}");
        let e = err("Listening-IP=127.0.0.1\n");
        assert!(
            e.to_string().ends_with("(did you mean 'listening-ip'?)"),
            "{e}"
        );
        // Nothing near: no suggestion.
        let e = err("verbose\nfrobnicate=1\n");
        assert_eq!(
            e.to_string(),
            "turnserver.conf:2: unknown option 'frobnicate'"
        );
    }

    #[test]
    fn unsupported_coturn_option() {
        let e = err("verbose\ncert=/etc/ssl/turn.pem\n");
        assert_eq!(e.line(), Some(2));
        assert_eq!(
            e.to_string(),
            "turnserver.conf:2: 'cert' is a coturn option that wren-relay does not support"
        );
        let e = Config::from_args(args("--cipher-list=DEFAULT")).expect_err("cli");
        assert_eq!(
            e.to_string(),
            "command line: 'cipher-list' is a coturn option that wren-relay does not support"
        );
    }

    #[test]
    fn bad_values() {
        let cases: &[(&str, usize, &str)] = &[
            (
                "listening-port=70000",
                1,
                "turnserver.conf:1: bad value '70000' for 'listening-port': expected a port number (0-65535)",
            ),
            (
                "verbose\nlistening-port=-1",
                2,
                "turnserver.conf:2: bad value '-1' for 'listening-port': expected a port number (0-65535)",
            ),
            (
                "\n\nlistening-ip=127.0.0.256",
                3,
                "turnserver.conf:3: bad value '127.0.0.256' for 'listening-ip': expected an IPv4 or IPv6 address",
            ),
            (
                "relay-ip=localhost",
                1,
                "turnserver.conf:1: bad value 'localhost' for 'relay-ip': expected an IPv4 or IPv6 address",
            ),
            (
                "external-ip=1.2.3.4/",
                1,
                "turnserver.conf:1: bad value '1.2.3.4/' for 'external-ip': expected an IP address, or public-ip/private-ip",
            ),
            (
                "min-port=0",
                1,
                "turnserver.conf:1: bad value '0' for 'min-port': expected a port number (1-65535)",
            ),
            (
                "user=alice",
                1,
                "turnserver.conf:1: bad value 'alice' for 'user': expected name:password",
            ),
        ];
        for (text, line, message) in cases {
            let e = err(text);
            assert!(matches!(e, ConfigError::InvalidValue { .. }), "{e:?}");
            assert_eq!(e.line(), Some(*line), "{text}");
            assert_eq!(e.to_string(), *message);
        }
    }

    #[test]
    fn value_on_flag_and_missing_value() {
        let e = err("verbose\nno-udp=maybe\n");
        assert!(matches!(e, ConfigError::ValueOnFlag { key: "no-udp", .. }));
        assert_eq!(e.line(), Some(2));
        assert_eq!(
            e.to_string(),
            "turnserver.conf:2: 'no-udp' is a flag: it takes no value, or one of on/off, yes/no, true/false, 1/0; got 'maybe'"
        );
        // coturn's booleans are fine.
        for v in [
            "1", "0", "on", "OFF", "yes", "no", "true", "False", "t", "f", "y", "n",
        ] {
            parse(&format!("fingerprint={v}")).expect(v);
        }

        let e = err("listening-port\n");
        assert!(matches!(
            e,
            ConfigError::MissingValue {
                key: "listening-port",
                ..
            }
        ));
        assert_eq!(
            e.to_string(),
            "turnserver.conf:1: 'listening-port' needs a value"
        );
        let e = err("\n\nrealm = \"\"\n");
        assert_eq!(e.line(), Some(3));
        assert!(matches!(e, ConfigError::MissingValue { key: "realm", .. }));
    }

    #[test]
    fn whole_config_errors() {
        let e = err("min-port=50000\nmax-port=40000\n");
        assert!(matches!(
            e,
            ConfigError::PortRange {
                min: 50000,
                max: 40000
            }
        ));
        assert_eq!(e.to_string(), "min-port (50000) is above max-port (40000)");
        let e = Config::from_args(args("--no-udp --no-tcp")).expect_err("nothing to serve");
        assert!(matches!(e, ConfigError::NoListeners));
    }

    #[test]
    fn file_errors() {
        let e = Config::from_args(args("-c /nonexistent/wren/turnserver.conf")).expect_err("io");
        assert!(matches!(e, ConfigError::Read { .. }));
        assert!(
            e.to_string()
                .starts_with("cannot read configuration file /nonexistent/wren/turnserver.conf: ")
        );

        let conf = TempConf::new(b"verbose\n# caf\xe9\nlistening-port=3478\n");
        let e = Config::from_args(args(&format!("-c {}", conf.arg()))).expect_err("utf-8");
        assert!(matches!(e, ConfigError::NotUtf8 { .. }));
        assert_eq!(e.line(), Some(2));
        assert_eq!(e.to_string(), format!("{}:2: not valid UTF-8", conf.arg()));

        // Errors inside a -c file name that file.
        let conf = TempConf::new(b"\nlistening-port=x\n");
        let e = Config::from_args(args(&format!("-c {}", conf.arg()))).expect_err("bad port");
        assert!(
            e.to_string().starts_with(&format!("{}:2: ", conf.arg())),
            "{e}"
        );
    }

    #[test]
    fn command_line_errors() {
        for line in [
            "-p 70000",
            "-L nonsense",
            "--frobnicate",
            "--min-port 0",
            "--user alice",
            "-c",
        ] {
            let e = Config::from_args(args(line)).expect_err(line);
            assert!(matches!(e, ConfigError::Cli(_)), "{line}: {e:?}");
            assert_eq!(e.line(), None);
        }
        let e = Config::from_args(args("--help")).expect_err("help");
        let ConfigError::Cli(e) = e else {
            panic!("help is clap's")
        };
        assert_eq!(e.kind(), clap::error::ErrorKind::DisplayHelp);
        assert!(e.to_string().contains("--listening-ip"));
        let e = Config::from_args(args("--version")).expect_err("version");
        assert!(
            matches!(e, ConfigError::Cli(e) if e.kind() == clap::error::ErrorKind::DisplayVersion)
        );
    }

    #[test]
    fn print_config_flag() {
        let c = Config::from_args(args("--print-config -L 127.0.0.1")).expect("print");
        assert!(c.print_config);
        let text = c.to_string();
        assert!(text.contains("listening-ip=127.0.0.1\n"), "{text}");
    }

    #[test]
    fn secrets_never_shown() {
        let c = parse("user=alice:hunter2\nstatic-auth-secret=s3cr3t\n").expect("secrets");
        for shown in [format!("{c:?}"), c.to_string()] {
            assert!(
                !shown.contains("hunter2") && !shown.contains("s3cr3t"),
                "{shown}"
            );
        }
        assert!(c.to_string().contains("user=alice:<redacted>"));
    }

    #[test]
    fn every_spec_is_handled() {
        // `apply` has a slot for every key of the table (its fallbacks are unreachable!).
        for spec in SPECS {
            let value = match spec.name {
                _ if spec.kind == Kind::Flag => "",
                "listening-ip" | "relay-ip" | "external-ip" => "127.0.0.1",
                "user" => "a:b",
                n if n.ends_with("port") => "4000",
                _ => "x",
            };
            Layer::default().apply(spec, value).expect(spec.name);
            assert!(
                !COTURN_ONLY.contains(&spec.name),
                "{} in both lists",
                spec.name
            );
        }
    }

    #[test]
    fn edit_distance_cases() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("listening-prot", "listening-port"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    // -- property tests --

    fn key() -> impl Strategy<Value = &'static str> {
        prop::sample::select(SPECS.iter().map(|s| s.name).collect::<Vec<_>>())
    }

    /// Lines of valid settings in any of coturn's spellings.
    fn valid_line() -> impl Strategy<Value = String> {
        let sep = prop::sample::select(vec!["=", " ", "\t", " = ", "=="]);
        let lead = prop::sample::select(vec!["", " ", "\t"]);
        let end = prop::sample::select(vec!["", " ", "\r"]);
        let ip = prop_oneof![
            any::<[u8; 4]>().prop_map(|o| IpAddr::from(o).to_string()),
            any::<[u16; 8]>().prop_map(|s| IpAddr::from(s).to_string()),
        ];
        let word = "[a-z][a-z0-9.:/_-]{0,20}";
        (key(), sep, lead, end, ip, 1u16.., any::<bool>(), word).prop_map(
            |(key, sep, lead, end, ip, port, quoted, word)| {
                let spec = find_spec(key).expect("key from SPECS");
                let value = match key {
                    _ if spec.kind == Kind::Flag => {
                        if quoted {
                            String::new()
                        } else {
                            "on".to_owned()
                        }
                    }
                    "listening-ip" | "relay-ip" => ip,
                    "external-ip" => format!("{ip}/{ip}"),
                    "user" => format!("u{word}:{word}"),
                    // Within the default range's ends, so either alone stays valid.
                    "min-port" => "1000".to_owned(),
                    "max-port" => "60000".to_owned(),
                    k if k.ends_with("port") => port.to_string(),
                    _ if quoted => format!("\"{word}\""),
                    _ => word,
                };
                if value.is_empty() {
                    format!("{lead}{key}{end}")
                } else {
                    format!("{lead}{key}{sep}{value}{end}")
                }
            },
        )
    }

    fn valid_file() -> impl Strategy<Value = String> {
        let line = prop_oneof![
            4 => valid_line(),
            1 => Just(String::new()),
            1 => "#[^\n]{0,30}",
        ];
        prop::collection::vec(line, 0..30).prop_map(|lines| {
            // no-udp and no-tcp together are refused; keep the generated files valid.
            let mut lines = lines;
            if lines.iter().any(|l| l.contains("no-udp")) {
                lines.retain(|l| !l.contains("no-tcp"));
            }
            lines.join("\n")
        })
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in any::<String>()) {
            let _ = parse(&text);
        }

        #[test]
        fn arbitrary_lines_never_panic(lines in prop::collection::vec(
            prop_oneof![
                "[ \t]*[a-zA-Z-]{0,25}[ \t=]*[^\n]{0,30}",
                key().prop_map(str::to_owned),
                (key(), "[ =\t]{1,3}", "[^\n]{0,20}").prop_map(|(k, s, v)| format!("{k}{s}{v}")),
            ],
            0..20,
        )) {
            if let Err(e) = parse(&lines.join("\n")) {
                // Every error renders, and points inside the file when it points at a line.
                let _ = e.to_string();
                if let Some(line) = e.line() {
                    prop_assert!(line >= 1 && line <= lines.len().max(1));
                }
            }
        }

        #[test]
        fn valid_files_parse_and_print_back(text in valid_file()) {
            let config = parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            // Printing redacts secrets; compare everything else.
            let printed = config.to_string();
            let back = parse(&printed).map_err(|e| TestCaseError::fail(format!("{e}\n{printed}")))?;
            let strip = |c: Config| Config {
                users: c.users.iter().map(|u| UserAccount {
                    name: u.name.clone(),
                    password: Secret(String::new()),
                }).collect(),
                static_auth_secret: c.static_auth_secret.map(|_| Secret(String::new())),
                ..c
            };
            prop_assert_eq!(strip(back), strip(config));
        }

        #[test]
        fn arbitrary_command_lines_never_panic(words in prop::collection::vec(
            prop_oneof![
                key().prop_map(|k| format!("--{k}")),
                "-[a-zA-Z]",
                "[^\u{0}]{0,12}",
            ],
            0..8,
        )) {
            // No `-c`: random words must not name files to read.
            let words = words.into_iter().filter(|w| !w.starts_with("-c"));
            let _ = Config::from_args(std::iter::once("wren-relay".to_owned()).chain(words));
        }
    }
}
