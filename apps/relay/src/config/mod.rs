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
//! (syslog, the user database, ...) are listed by [`Config::unimplemented`], and the
//! binary logs one warning for each, so nothing silently pretends. A key coturn knows but
//! wren-relay does not is an error of its own ([`ConfigError::UnsupportedOption`]), distinct
//! from a misspelt key ([`ConfigError::UnknownOption`], which suggests the closest known key).
//!
//! TURN is on when coturn would ask for credentials: `lt-cred-mech`, `use-auth-secret`,
//! `static-auth-secret` or a `user=` account ([`Config::turn_enabled`]). Unlike coturn, there
//! is no anonymous TURN: with none of those, wren-relay serves STUN only.
//! [`Config::turn_server_config`] turns the TURN keys into the machine's
//! [`wren_turn::server::ServerConfig`], refusing combinations that cannot serve (no realm, no
//! relay address, no way to authenticate).

use std::collections::{BTreeSet, HashMap};
use std::ffi::OsString;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use clap::{ArgAction, Parser};
use wren_turn::server::{
    CHANNEL_LIFETIME, IpRange, PERMISSION_LIFETIME, PeerPolicy, ServerConfig, UserSecret,
};

/// The port coturn and wren-relay listen on for STUN/TURN over UDP and TCP (RFC 8489).
pub(crate) const DEFAULT_LISTENING_PORT: u16 = 3478;
/// The SOFTWARE attribute wren-relay sends unless `no-software-attribute` is given.
pub(crate) const SOFTWARE: &str = concat!("wren-relay ", env!("CARGO_PKG_VERSION"));
/// Lowest relay port when `min-port` is not given (coturn's default).
pub(crate) const DEFAULT_MIN_PORT: u16 = 49152;
/// Highest relay port when `max-port` is not given (coturn's default).
pub(crate) const DEFAULT_MAX_PORT: u16 = 65535;
/// The port of the Prometheus endpoint when `prometheus-port` is not given (coturn's).
pub(crate) const DEFAULT_PROMETHEUS_PORT: u16 = 9641;
/// coturn's `stale-nonce` given without a value: nonces live 600 s.
pub(crate) const DEFAULT_STALE_NONCE: Duration = Duration::from_secs(600);
/// The longest allocation lifetime when `max-allocate-lifetime` is not given (coturn's and
/// RFC 8656's 3600 s).
pub(crate) const DEFAULT_MAX_ALLOCATE_LIFETIME: Duration = Duration::from_secs(3600);
/// The allocation lifetime granted when the client asks for none or less (RFC 8656: 600 s).
const DEFAULT_ALLOCATE_LIFETIME: Duration = Duration::from_secs(600);
/// What `stale-nonce=0` ("unlimited" in coturn) becomes: about 136 years, a lifetime the
/// nonce arithmetic can still add to a clock without overflow.
pub(crate) const UNLIMITED_NONCE: Duration = Duration::from_secs(u32::MAX as u64);

// ---------------------------------------------------------------------------------------------
// The keys
// ---------------------------------------------------------------------------------------------

/// Whether a key is a flag (bare, or with a boolean), needs a value, or takes one optionally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Flag,
    Value,
    /// A value, or none for a default (coturn's `stale-nonce[=<value>]`).
    OptionalValue,
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

/// Every key wren-relay accepts. The single source of truth for names, kinds and what is
/// not acted on yet; `apply` below must handle each of them (a test checks it).
const SPECS: &[Spec] = &[
    // Acted on by the STUN and TURN servers.
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
    // `no-tls` turns the TLS listeners off (tls.rs). Honoured trivially: wren-relay has no
    // DTLS listener, no telnet CLI, and never rotates its log.
    spec("no-tls", Kind::Flag, None),
    spec("no-dtls", Kind::Flag, None),
    spec("no-cli", Kind::Flag, None),
    spec("simple-log", Kind::Flag, None),
    // Turns TURN off (`Config::turn_enabled`).
    spec("stun-only", Kind::Flag, None),
    // TURN, through `Config::turn_server_config`.
    spec("realm", Kind::Value, None),
    spec("relay-ip", Kind::Value, None),
    spec("min-port", Kind::Value, None),
    spec("max-port", Kind::Value, None),
    spec("lt-cred-mech", Kind::Flag, None),
    spec("user", Kind::Value, None),
    spec("use-auth-secret", Kind::Flag, None),
    spec("static-auth-secret", Kind::Value, None),
    spec("allow-loopback-peers", Kind::Flag, None),
    spec("no-multicast-peers", Kind::Flag, None),
    spec("allowed-peer-ip", Kind::Value, None),
    spec("denied-peer-ip", Kind::Value, None),
    spec("user-quota", Kind::Value, None),
    spec("total-quota", Kind::Value, None),
    spec("max-bps", Kind::Value, None),
    spec("stale-nonce", Kind::OptionalValue, None),
    spec("max-allocate-lifetime", Kind::Value, None),
    // The metrics endpoint (`Config::prometheus_addr`, metrics.rs).
    spec("prometheus", Kind::Flag, None),
    spec("prometheus-port", Kind::Value, None),
    // Honoured trivially: no RFC 5780 NAT behaviour discovery (a CHANGE-REQUEST for another
    // address or port is refused with 420), so there is nothing to turn off.
    spec("no-rfc5780", Kind::Flag, None),
    // Parsed and stored, not acted on yet.
    spec("tls-listening-port", Kind::Value, None),
    spec("log-file", Kind::Value, None),
    spec("no-stdout-log", Kind::Flag, None),
    spec("pidfile", Kind::Value, None),
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
    spec("external-ip", Kind::Value, None),
    spec(
        "userdb",
        Kind::Value,
        Some(
            "the user database is not read; only user= accounts and static-auth-secret authenticate",
        ),
    ),
    spec(
        "server-name",
        Kind::Value,
        Some("there is no oAuth or ORIGIN support that would use it"),
    ),
    spec("cert", Kind::Value, None),
    spec("pkey", Kind::Value, None),
    // Warned only when set to something else than the RFC 8656 value.
    spec(
        "channel-lifetime",
        Kind::Value,
        Some("channel bindings keep the RFC 8656 lifetime of 600 s"),
    ),
    spec(
        "permission-lifetime",
        Kind::Value,
        Some("permissions keep the RFC 8656 lifetime of 300 s"),
    ),
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
    "alt-listening-port",
    "alt-tls-listening-port",
    "alternate-server",
    "aux-server",
    "bps-capacity",
    "check-origin-consistency",
    "cipher-list",
    "cli-ip",
    "cli-max-output-sessions",
    "cli-password",
    "cli-port",
    "daemon",
    "db",
    "dh-file",
    "dh1066",
    "dh566",
    "ec-curve-name",
    "keep-address-family",
    "listening-device",
    "log-binding",
    "max-allocate-timeout",
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
    "pkey-pwd",
    "proc-group",
    "proc-user",
    "prod",
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
    "syslog-facility",
    "tcp-proxy-port",
    "tls-alternate-server",
    "udp-self-balance",
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
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// `user=name:password`, or `user=name:0x<32 hex digits>`: coturn's long-term credential
/// account, with a password or with the key `turnadmin -k` printed
/// (MD5 of `name:realm:password`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UserAccount {
    /// The user name.
    pub(crate) name: String,
    /// The password, or the 16-byte key (`Debug` shows neither).
    pub(crate) secret: UserSecret,
}

/// `allowed-peer-ip` / `denied-peer-ip`: one address, a range `first-last`, or a prefix
/// `address/length`, as [`IpRange`] reads them; kept with its bounds, which the
/// allow-beats-deny rule of coturn needs ([`Config::peer_policy`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PeerRange {
    first: IpAddr,
    last: IpAddr,
    range: IpRange,
}

impl PeerRange {
    /// The range, for [`PeerPolicy`].
    pub(crate) fn range(&self) -> IpRange {
        self.range
    }
}

/// `first-last`, or the address alone when the range holds one: reads back to an equal range.
impl fmt::Display for PeerRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            write!(f, "{}", self.first)
        } else {
            write!(f, "{}-{}", self.first, self.last)
        }
    }
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
const EXPECT_RELAY_IP: &str = "an IPv4 or IPv6 address of this host (not 0.0.0.0 or ::)";
const EXPECT_EXTERNAL_IP: &str = "an IP address, or public-ip/private-ip";
const EXPECT_USER: &str = "name:password, or name:0x<key>";
const EXPECT_USER_KEY: &str = "name:0x followed by 32 hex digits (a key from turnadmin -k)";
const EXPECT_PEER_RANGE: &str =
    "an IP address, a range first-last of one family, or a prefix address/length";
const EXPECT_QUOTA: &str = "a whole number up to 4294967295 (0: no limit)";
const EXPECT_BPS: &str = "bytes per second, a whole number (0: no limit)";
const EXPECT_STALE_NONCE: &str =
    "seconds up to 4294967295 (0: nonces never expire), or no value for 600";
const EXPECT_LIFETIME: &str = "seconds, from 1 to 4294967295";

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

/// A relay address: a real address, since clients are told it.
fn parse_relay_ip(value: &str) -> Result<IpAddr, &'static str> {
    match parse_ip(value) {
        Ok(ip) if !ip.is_unspecified() => Ok(ip),
        _ => Err(EXPECT_RELAY_IP),
    }
}

/// A decimal number, digits only (Rust's parsers would also take a leading '+').
fn parse_digits<T: std::str::FromStr>(value: &str) -> Option<T> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

fn parse_quota(value: &str) -> Result<u32, &'static str> {
    parse_digits(value).ok_or(EXPECT_QUOTA)
}

fn parse_bps(value: &str) -> Result<u64, &'static str> {
    parse_digits(value).ok_or(EXPECT_BPS)
}

/// `stale-nonce`: no value means coturn's 600 s; 0 means nonces never expire.
fn parse_stale_nonce(value: &str) -> Result<Duration, &'static str> {
    if value.is_empty() {
        return Ok(DEFAULT_STALE_NONCE);
    }
    parse_digits::<u32>(value)
        .map(|s| Duration::from_secs(u64::from(s)))
        .ok_or(EXPECT_STALE_NONCE)
}

/// A lifetime in whole seconds, at least 1.
fn parse_lifetime(value: &str) -> Result<Duration, &'static str> {
    match parse_digits::<u32>(value) {
        Some(s) if s > 0 => Ok(Duration::from_secs(u64::from(s))),
        _ => Err(EXPECT_LIFETIME),
    }
}

fn parse_peer_range(value: &str) -> Result<PeerRange, &'static str> {
    let range: IpRange = value.parse().map_err(|_| EXPECT_PEER_RANGE)?;
    let (first, last) = range_bounds(value).ok_or(EXPECT_PEER_RANGE)?;
    // IpRange is the authority on the syntax; the bounds must describe the same range.
    if IpRange::new(first, last) != Some(range) {
        return Err(EXPECT_PEER_RANGE);
    }
    Ok(PeerRange { first, last, range })
}

/// The first and last address of `a`, `a-b` or `a/n` (what [`IpRange`] keeps but does not
/// show).
fn range_bounds(value: &str) -> Option<(IpAddr, IpAddr)> {
    let value = value.trim();
    if let Some((a, b)) = value.split_once('-') {
        return Some((a.trim().parse().ok()?, b.trim().parse().ok()?));
    }
    if let Some((a, n)) = value.split_once('/') {
        let a: IpAddr = a.trim().parse().ok()?;
        let n: u32 = n.trim().parse().ok()?;
        let bits = if a.is_ipv4() { 32 } else { 128 };
        if n > bits {
            return None;
        }
        // The host part: the low `bits - n` bits.
        let host = u128::MAX.checked_shr(128 - (bits - n)).unwrap_or(0);
        let base = to_number(a) & !host;
        return Some((from_number(base, a)?, from_number(base | host, a)?));
    }
    let ip = value.parse().ok()?;
    Some((ip, ip))
}

/// An address as a number (IPv4 in the low 32 bits).
fn to_number(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

/// The address numbered `n`, of the family of `like`.
fn from_number(n: u128, like: IpAddr) -> Option<IpAddr> {
    match like {
        IpAddr::V4(_) => u32::try_from(n).ok().map(|n| IpAddr::V4(Ipv4Addr::from(n))),
        IpAddr::V6(_) => Some(IpAddr::V6(Ipv6Addr::from(n))),
    }
}

/// The 16-byte key of `user=name:0x<32 hex digits>`.
fn parse_key(hex: &str) -> Option<Vec<u8>> {
    if hex.len() != 32 {
        return None;
    }
    let digit = |b: u8| char::from(b).to_digit(16);
    hex.as_bytes()
        .chunks_exact(2)
        .map(|pair| u8::try_from(digit(pair[0])? * 16 + digit(pair[1])?).ok())
        .collect()
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
    let Some((name, password)) = value.split_once(':') else {
        return Err(EXPECT_USER);
    };
    if name.is_empty() || password.is_empty() {
        return Err(EXPECT_USER);
    }
    // As coturn: a leading 0x makes it a key, never a password.
    let secret = match password.strip_prefix("0x") {
        Some(hex) => UserSecret::Key(parse_key(hex).ok_or(EXPECT_USER_KEY)?),
        None => UserSecret::Password(password.to_owned()),
    };
    Ok(UserAccount {
        name: name.to_owned(),
        secret,
    })
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
fn cli_relay_ip(v: &str) -> Result<IpAddr, String> {
    parse_relay_ip(v).map_err(|e| format!("expected {e}"))
}
fn cli_peer_range(v: &str) -> Result<PeerRange, String> {
    parse_peer_range(v).map_err(|e| format!("expected {e}"))
}
fn cli_quota(v: &str) -> Result<u32, String> {
    parse_quota(v).map_err(|e| format!("expected {e}"))
}
fn cli_bps(v: &str) -> Result<u64, String> {
    parse_bps(v).map_err(|e| format!("expected {e}"))
}
fn cli_stale_nonce(v: &str) -> Result<Duration, String> {
    parse_stale_nonce(v).map_err(|e| format!("expected {e}"))
}
fn cli_lifetime(v: &str) -> Result<Duration, String> {
    parse_lifetime(v).map_err(|e| format!("expected {e}"))
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
    allowed_peer_ips: Vec<PeerRange>,
    denied_peer_ips: Vec<PeerRange>,
    user_quota: Option<u32>,
    total_quota: Option<u32>,
    max_bps: Option<u64>,
    stale_nonce: Option<Duration>,
    max_allocate_lifetime: Option<Duration>,
    channel_lifetime: Option<Duration>,
    permission_lifetime: Option<Duration>,
    cert: Option<PathBuf>,
    pkey: Option<PathBuf>,
    prometheus_port: Option<u16>,
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
        if spec.kind == Kind::OptionalValue {
            match spec.name {
                "stale-nonce" => self.stale_nonce = Some(parse_stale_nonce(value).map_err(bad)?),
                other => unreachable!("optional-value key '{other}' in SPECS has no slot"),
            }
            return Ok(());
        }
        if value.is_empty() {
            return Err(ValueError::Missing);
        }
        match spec.name {
            "listening-port" => self.listening_port = Some(parse_port(value).map_err(bad)?),
            "prometheus-port" => self.prometheus_port = Some(parse_port(value).map_err(bad)?),
            "tls-listening-port" => {
                self.tls_listening_port = Some(parse_port(value).map_err(bad)?);
            }
            "min-port" => self.min_port = Some(parse_relay_port(value).map_err(bad)?),
            "max-port" => self.max_port = Some(parse_relay_port(value).map_err(bad)?),
            "listening-ip" => self.listening_ips.push(parse_ip(value).map_err(bad)?),
            "relay-ip" => self.relay_ips.push(parse_relay_ip(value).map_err(bad)?),
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
            "allowed-peer-ip" => self
                .allowed_peer_ips
                .push(parse_peer_range(value).map_err(bad)?),
            "denied-peer-ip" => self
                .denied_peer_ips
                .push(parse_peer_range(value).map_err(bad)?),
            "user-quota" => self.user_quota = Some(parse_quota(value).map_err(bad)?),
            "total-quota" => self.total_quota = Some(parse_quota(value).map_err(bad)?),
            "max-bps" => self.max_bps = Some(parse_bps(value).map_err(bad)?),
            "max-allocate-lifetime" => {
                self.max_allocate_lifetime = Some(parse_lifetime(value).map_err(bad)?);
            }
            "channel-lifetime" => self.channel_lifetime = Some(parse_lifetime(value).map_err(bad)?),
            "permission-lifetime" => {
                self.permission_lifetime = Some(parse_lifetime(value).map_err(bad)?);
            }
            "cert" => self.cert = Some(PathBuf::from(value)),
            "pkey" => self.pkey = Some(PathBuf::from(value)),
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
            allowed_peer_ips: list(self.allowed_peer_ips, file.allowed_peer_ips),
            denied_peer_ips: list(self.denied_peer_ips, file.denied_peer_ips),
            user_quota: self.user_quota.or(file.user_quota),
            total_quota: self.total_quota.or(file.total_quota),
            max_bps: self.max_bps.or(file.max_bps),
            stale_nonce: self.stale_nonce.or(file.stale_nonce),
            max_allocate_lifetime: self.max_allocate_lifetime.or(file.max_allocate_lifetime),
            channel_lifetime: self.channel_lifetime.or(file.channel_lifetime),
            permission_lifetime: self.permission_lifetime.or(file.permission_lifetime),
            cert: self.cert.or(file.cert),
            pkey: self.pkey.or(file.pkey),
            prometheus_port: self.prometheus_port.or(file.prometheus_port),
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

/// wren-relay: a STUN/TURN server that takes coturn's options.
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
    /// Do not start TLS listeners, even with --cert and --pkey.
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
    /// STUN only: no TURN, even with credentials configured.
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
    /// Port of the TLS listeners (default 5349; there are no DTLS listeners).
    #[arg(long = "tls-listening-port", value_name = "PORT", value_parser = cli_port)]
    tls_listening_port: Option<u16>,
    /// Log file path (appended to), or `stdout`.
    #[arg(short = 'l', long = "log-file", value_name = "FILE")]
    log_file: Option<String>,
    /// Do not log to standard output (with a log file).
    #[arg(long = "no-stdout-log")]
    no_stdout_log: bool,
    /// Write the process id to this file (removed at exit).
    #[arg(long = "pidfile", value_name = "FILE")]
    pidfile: Option<PathBuf>,
    /// Do not send the SOFTWARE attribute.
    #[arg(long = "no-software-attribute")]
    no_software_attribute: bool,
    /// Serve Prometheus metrics on HTTP (port 9641 unless --prometheus-port), at /metrics.
    #[arg(long = "prometheus")]
    prometheus: bool,
    /// Port of the Prometheus endpoint [default: 9641].
    #[arg(long = "prometheus-port", value_name = "PORT", value_parser = cli_port)]
    prometheus_port: Option<u16>,
    /// Realm of the long-term credentials (TURN needs one).
    #[arg(short = 'r', long = "realm", value_name = "REALM")]
    realm: Option<String>,
    /// Relay address; repeat for several [default: the listening IPs that are not 0.0.0.0/::].
    #[arg(short = 'E', long = "relay-ip", value_name = "IP", value_parser = cli_relay_ip)]
    relay_ips: Vec<IpAddr>,
    /// Public address, or public/private mapping, behind NAT (not implemented yet).
    #[arg(short = 'X', long = "external-ip", value_name = "PUBLIC[/PRIVATE]", value_parser = cli_external_ip)]
    external_ips: Vec<ExternalIp>,
    /// Lowest relay port [default: 49152].
    #[arg(long = "min-port", value_name = "PORT", value_parser = cli_relay_port)]
    min_port: Option<u16>,
    /// Highest relay port [default: 65535].
    #[arg(long = "max-port", value_name = "PORT", value_parser = cli_relay_port)]
    max_port: Option<u16>,
    /// Use the long-term credential mechanism (turns TURN on).
    #[arg(short = 'a', long = "lt-cred-mech")]
    lt_cred_mech: bool,
    /// User account name:password, or name:0x<key from turnadmin -k>; repeat for several.
    #[arg(short = 'u', long = "user", value_name = "NAME:PASSWORD", value_parser = cli_user)]
    users: Vec<UserAccount>,
    /// coturn user database file (not read yet).
    #[arg(short = 'b', long = "userdb", value_name = "FILE")]
    userdb: Option<PathBuf>,
    /// TURN REST API credentials (turns TURN on; needs --static-auth-secret).
    #[arg(long = "use-auth-secret")]
    use_auth_secret: bool,
    /// TURN REST API shared secret (implies --use-auth-secret, as in coturn).
    #[arg(long = "static-auth-secret", value_name = "SECRET")]
    static_auth_secret: Option<String>,
    /// Server name for oAuth (not used yet).
    #[arg(long = "server-name", value_name = "NAME")]
    server_name: Option<String>,
    /// Allow peers on loopback addresses.
    #[arg(long = "allow-loopback-peers")]
    allow_loopback_peers: bool,
    /// Refuse multicast and broadcast peers.
    #[arg(long = "no-multicast-peers")]
    no_multicast_peers: bool,
    /// Peer address, range first-last, or prefix a/n always allowed; repeat for several.
    #[arg(long = "allowed-peer-ip", value_name = "IP[-IP]", value_parser = cli_peer_range)]
    allowed_peer_ips: Vec<PeerRange>,
    /// Peer address, range or prefix refused (unless also allowed); repeat for several.
    #[arg(long = "denied-peer-ip", value_name = "IP[-IP]", value_parser = cli_peer_range)]
    denied_peer_ips: Vec<PeerRange>,
    /// Most allocations one user may hold at once [default: 0, no limit].
    #[arg(short = 'q', long = "user-quota", value_name = "NUMBER", value_parser = cli_quota)]
    user_quota: Option<u32>,
    /// Most allocations in total [default: 0, no limit].
    #[arg(short = 'Q', long = "total-quota", value_name = "NUMBER", value_parser = cli_quota)]
    total_quota: Option<u32>,
    /// Bytes per second one allocation may relay, each direction apart [default: 0, no limit].
    #[arg(short = 's', long = "max-bps", value_name = "BYTES", value_parser = cli_bps)]
    max_bps: Option<u64>,
    /// Nonce lifetime in seconds (600 without a value; 0: never stale) [default: 600].
    #[arg(
        long = "stale-nonce",
        value_name = "SECONDS",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "",
        value_parser = cli_stale_nonce
    )]
    stale_nonce: Option<Duration>,
    /// Longest allocation lifetime granted, in seconds [default: 3600].
    #[arg(long = "max-allocate-lifetime", value_name = "SECONDS", value_parser = cli_lifetime)]
    max_allocate_lifetime: Option<Duration>,
    /// Channel binding lifetime (only RFC 8656's 600 s is supported).
    #[arg(long = "channel-lifetime", value_name = "SECONDS", value_parser = cli_lifetime)]
    channel_lifetime: Option<Duration>,
    /// Permission lifetime (only RFC 8656's 300 s is supported).
    #[arg(long = "permission-lifetime", value_name = "SECONDS", value_parser = cli_lifetime)]
    permission_lifetime: Option<Duration>,
    /// TLS certificate chain file, PEM; with --pkey, TLS (turns:) is served.
    #[arg(long = "cert", value_name = "FILE")]
    cert: Option<PathBuf>,
    /// TLS private key file, PEM (unencrypted PKCS#8, RSA or EC).
    #[arg(long = "pkey", value_name = "FILE")]
    pkey: Option<PathBuf>,
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
            allowed_peer_ips: self.allowed_peer_ips,
            denied_peer_ips: self.denied_peer_ips,
            user_quota: self.user_quota,
            total_quota: self.total_quota,
            max_bps: self.max_bps,
            stale_nonce: self.stale_nonce,
            max_allocate_lifetime: self.max_allocate_lifetime,
            channel_lifetime: self.channel_lifetime,
            permission_lifetime: self.permission_lifetime,
            cert: self.cert,
            pkey: self.pkey,
            prometheus_port: self.prometheus_port,
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
/// Fields acted on hold effective values (defaults applied) where coturn has a plain default;
/// fields whose absence means something (`realm`, `stale-nonce`, `min-port`, ...) hold what was
/// given, and the methods (`relay_port_range`, `turn_server_config`, ...) apply the defaults.
/// [`Config::unimplemented`] lists the keys that were set but are not acted on yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Config {
    /// The `-c` file that was read, if any.
    pub(crate) config_file: Option<PathBuf>,
    /// `--print-config` was given: print this configuration and exit.
    pub(crate) print_config: bool,

    // -- listeners and STUN --
    /// `listening-ip`: addresses to listen on, never empty (default `0.0.0.0`), no duplicates.
    pub(crate) listening_ips: Vec<IpAddr>,
    /// `listening-port`: the STUN/TURN port on UDP and TCP (default 3478; 0 lets the OS choose).
    pub(crate) listening_port: u16,
    /// Serve UDP (false with `no-udp`).
    pub(crate) udp: bool,
    /// Serve TCP (false with `no-tcp`).
    pub(crate) tcp: bool,
    /// `verbose` / `Verbose`.
    pub(crate) verbosity: Verbosity,
    /// `fingerprint`: add FINGERPRINT to STUN and TURN messages.
    pub(crate) fingerprint: bool,
    /// `no-tls`: no TLS listener, even with `cert` and `pkey`.
    pub(crate) no_tls: bool,
    /// `no-dtls` (honoured trivially: there is no DTLS listener).
    pub(crate) no_dtls: bool,
    /// `no-cli` (honoured trivially: there is no telnet CLI).
    pub(crate) no_cli: bool,
    /// `simple-log` (honoured trivially: logs are never rotated).
    pub(crate) simple_log: bool,
    /// `stun-only`: no TURN.
    pub(crate) stun_only: bool,
    /// `no-rfc5780` (honoured trivially: there is no RFC 5780 support).
    pub(crate) no_rfc5780: bool,
    /// `response-origin-only-with-rfc5780`: no RESPONSE-ORIGIN (there is no RFC 5780 here).
    pub(crate) response_origin_only_with_rfc5780: bool,
    /// `no-software-attribute`: no SOFTWARE attribute in responses.
    pub(crate) no_software_attribute: bool,

    // -- TURN --
    /// `realm`: required when TURN is on.
    pub(crate) realm: Option<String>,
    /// `relay-ip`, in order given, never 0.0.0.0 or :: (see [`Config::relay_ips`]).
    pub(crate) relay_ips: Vec<IpAddr>,
    /// `min-port` (default [`DEFAULT_MIN_PORT`]); `min_port <= max_port` is checked.
    pub(crate) min_port: Option<u16>,
    /// `max-port` (default [`DEFAULT_MAX_PORT`]).
    pub(crate) max_port: Option<u16>,
    /// `lt-cred-mech`.
    pub(crate) lt_cred_mech: bool,
    /// `user`, in order given.
    pub(crate) users: Vec<UserAccount>,
    /// `use-auth-secret` as given (`static-auth-secret` implies it; see
    /// [`Config::rest_api`]).
    pub(crate) use_auth_secret: bool,
    /// `static-auth-secret`.
    pub(crate) static_auth_secret: Option<Secret>,
    /// `allow-loopback-peers`.
    pub(crate) allow_loopback_peers: bool,
    /// `no-multicast-peers`.
    pub(crate) no_multicast_peers: bool,
    /// `allowed-peer-ip`, in order given.
    pub(crate) allowed_peer_ips: Vec<PeerRange>,
    /// `denied-peer-ip`, in order given.
    pub(crate) denied_peer_ips: Vec<PeerRange>,
    /// `user-quota`: most allocations per user (0: no limit).
    pub(crate) user_quota: u32,
    /// `total-quota`: most allocations in all (0: no limit).
    pub(crate) total_quota: u32,
    /// `max-bps`: bytes per second one allocation may relay, each direction counted apart, as
    /// coturn's "bytes-per-second bandwidth a TURN session is allowed to handle (input and
    /// output network streams are treated separately)" (0: no limit).
    pub(crate) max_bps: u64,
    /// `stale-nonce`: the nonce lifetime (600 s when given bare; `0` means unlimited). When
    /// absent, nonces still expire after 600 s: coturn's unlimited default is not kept.
    pub(crate) stale_nonce: Option<Duration>,
    /// `max-allocate-lifetime` (default [`DEFAULT_MAX_ALLOCATE_LIFETIME`]).
    pub(crate) max_allocate_lifetime: Option<Duration>,

    // -- metrics --
    /// `prometheus`: serve metrics over HTTP.
    pub(crate) prometheus: bool,
    /// `prometheus-port` (default [`DEFAULT_PROMETHEUS_PORT`]; 0 lets the OS choose).
    pub(crate) prometheus_port: u16,

    // -- TLS (tls.rs) --
    /// `tls-listening-port` (default 5349, as coturn's).
    pub(crate) tls_listening_port: Option<u16>,
    /// `cert`: TLS certificate chain file, PEM; TLS is served when `pkey` is set too.
    pub(crate) cert: Option<PathBuf>,
    /// `pkey`: TLS private key file, PEM.
    pub(crate) pkey: Option<PathBuf>,

    // -- parsed and stored, not acted on yet --
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
    /// `external-ip`, in order given.
    pub(crate) external_ips: Vec<ExternalIp>,
    /// `userdb`.
    pub(crate) userdb: Option<PathBuf>,
    /// `server-name`.
    pub(crate) server_name: Option<String>,
    /// `channel-lifetime` (only RFC 8656's 600 s is served; another value warns).
    pub(crate) channel_lifetime: Option<Duration>,
    /// `permission-lifetime` (only RFC 8656's 300 s is served; another value warns).
    pub(crate) permission_lifetime: Option<Duration>,
}

impl Default for Config {
    /// The configuration with nothing given: STUN on 0.0.0.0:3478, UDP and TCP, no TURN.
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
            no_software_attribute: on(layer.no_software_attribute),
            realm: layer.realm,
            relay_ips: layer.relay_ips,
            min_port: layer.min_port,
            max_port: layer.max_port,
            lt_cred_mech: on(layer.lt_cred_mech),
            users: layer.users,
            use_auth_secret: on(layer.use_auth_secret),
            static_auth_secret: layer.static_auth_secret,
            allow_loopback_peers: on(layer.allow_loopback_peers),
            no_multicast_peers: on(layer.no_multicast_peers),
            allowed_peer_ips: layer.allowed_peer_ips,
            denied_peer_ips: layer.denied_peer_ips,
            user_quota: layer.user_quota.unwrap_or(0),
            total_quota: layer.total_quota.unwrap_or(0),
            max_bps: layer.max_bps.unwrap_or(0),
            stale_nonce: layer.stale_nonce,
            max_allocate_lifetime: layer.max_allocate_lifetime,
            prometheus: on(layer.prometheus),
            prometheus_port: layer.prometheus_port.unwrap_or(DEFAULT_PROMETHEUS_PORT),
            tls_listening_port: layer.tls_listening_port,
            cert: layer.cert,
            pkey: layer.pkey,
            log_file: layer.log_file,
            no_stdout_log: on(layer.no_stdout_log),
            syslog: on(layer.syslog),
            no_stun_backward_compatibility: on(layer.no_stun_backward_compatibility),
            pidfile: layer.pidfile,
            external_ips: layer.external_ips,
            userdb: layer.userdb,
            server_name: layer.server_name,
            channel_lifetime: layer.channel_lifetime,
            permission_lifetime: layer.permission_lifetime,
        }
    }

    /// Every address the STUN server listens on: each listening IP with the listening port
    /// (the same list for UDP and TCP).
    pub(crate) fn listen_addrs(&self) -> Vec<SocketAddr> {
        self.listening_ips
            .iter()
            .map(|ip| SocketAddr::new(*ip, self.listening_port))
            .collect()
    }

    /// The STUN Binding server's configuration from `fingerprint`, `no-software-attribute` and
    /// `response-origin-only-with-rfc5780`; build the server from this so those keys take
    /// effect.
    pub(crate) fn stun_server_config(&self) -> wren_stun::server::ServerConfig {
        wren_stun::server::ServerConfig {
            software: self.software(),
            fingerprint: if self.fingerprint {
                wren_stun::server::FingerprintPolicy::Always
            } else {
                wren_stun::server::FingerprintPolicy::Mirror
            },
            response_origin: !self.response_origin_only_with_rfc5780,
            ..wren_stun::server::ServerConfig::default()
        }
    }

    /// The SOFTWARE attribute, unless `no-software-attribute`.
    fn software(&self) -> Option<String> {
        (!self.no_software_attribute).then(|| SOFTWARE.to_owned())
    }

    /// The relay port range with coturn's defaults applied, `(min, max)`, `min <= max`.
    pub(crate) fn relay_port_range(&self) -> (u16, u16) {
        (
            self.min_port.unwrap_or(DEFAULT_MIN_PORT),
            self.max_port.unwrap_or(DEFAULT_MAX_PORT),
        )
    }

    /// Whether the TURN REST API is on: `use-auth-secret`, or `static-auth-secret`, which
    /// implies it in coturn too.
    pub(crate) fn rest_api(&self) -> bool {
        self.use_auth_secret || self.static_auth_secret.is_some()
    }

    /// Whether to serve TURN: some way to authenticate is configured (`lt-cred-mech`,
    /// `use-auth-secret`, `static-auth-secret`, or a `user=` account, which makes coturn
    /// default to `lt-cred-mech`), and not `stun-only`. Without credentials coturn would relay
    /// for anyone (`no-auth`); wren-relay serves STUN only instead.
    pub(crate) fn turn_enabled(&self) -> bool {
        !self.stun_only && (self.lt_cred_mech || self.rest_api() || !self.users.is_empty())
    }

    /// The relay addresses: the `relay-ip`s, or else the listening IPs that are not 0.0.0.0
    /// or ::, without duplicates, in order. Empty when every listening IP is unspecified and
    /// no `relay-ip` is given.
    pub(crate) fn relay_ips(&self) -> Vec<IpAddr> {
        let given = if self.relay_ips.is_empty() {
            &self.listening_ips
        } else {
            &self.relay_ips
        };
        let mut ips: Vec<IpAddr> = Vec::with_capacity(given.len());
        for ip in given {
            if !ip.is_unspecified() && !ips.contains(ip) {
                ips.push(*ip);
            }
        }
        ips
    }

    /// The peer address policy: `allowed-peer-ip`, `denied-peer-ip`, `allow-loopback-peers`
    /// and `no-multicast-peers` on top of the machine's defaults (which also refuse private,
    /// link-local and reserved peers unless allowed).
    ///
    /// coturn lets an address that is both allowed and denied through ("useful when you wish
    /// to ban a range of ip addresses, except for a few specific ips within that range"), while
    /// [`PeerPolicy`] checks `deny` first; so the allowed ranges are cut out of the denied ones
    /// here, which gives coturn's answer under either order.
    pub(crate) fn peer_policy(&self) -> PeerPolicy {
        PeerPolicy {
            allow: self.allowed_peer_ips.iter().map(PeerRange::range).collect(),
            deny: subtract(&self.denied_peer_ips, &self.allowed_peer_ips),
            allow_loopback: self.allow_loopback_peers,
            allow_multicast: !self.no_multicast_peers,
        }
    }

    /// The TURN server machine's configuration, from `realm`, `user`, `use-auth-secret` /
    /// `static-auth-secret`, `relay-ip` (or the listening IPs), `min-port`/`max-port`, the peer
    /// policy keys, `user-quota`, `total-quota`, `max-bps`, `stale-nonce`,
    /// `max-allocate-lifetime`, `no-software-attribute` and `fingerprint`. `wall_clock` is the
    /// wall time at the `Instant` the server will be created with (REST usernames carry an
    /// expiry in UNIX time).
    ///
    /// Refuses what cannot serve: TURN off ([`ConfigError::TurnOff`]), no realm
    /// ([`ConfigError::NoRealm`]), no relay address ([`ConfigError::NoRelayIp`]),
    /// `use-auth-secret` without a secret ([`ConfigError::NoAuthSecret`]), `lt-cred-mech`
    /// with nobody to authenticate ([`ConfigError::NoUsers`]).
    #[allow(
        dead_code,
        reason = "for serve.rs, which builds the TURN server from this"
    )]
    pub(crate) fn turn_server_config(
        &self,
        wall_clock: SystemTime,
    ) -> Result<ServerConfig, ConfigError> {
        if !self.turn_enabled() {
            return Err(ConfigError::TurnOff);
        }
        let realm = self.realm.clone().ok_or(ConfigError::NoRealm)?;
        let rest_secret = if self.rest_api() {
            let secret = self
                .static_auth_secret
                .as_ref()
                .ok_or(ConfigError::NoAuthSecret)?;
            Some(secret.expose().to_owned())
        } else {
            None
        };
        if self.users.is_empty() && rest_secret.is_none() {
            return Err(ConfigError::NoUsers);
        }
        let relay_ips = self.relay_ips();
        if relay_ips.is_empty() {
            return Err(ConfigError::NoRelayIp);
        }
        let users: HashMap<String, UserSecret> = self
            .users
            .iter()
            .map(|u| (u.name.clone(), u.secret.clone()))
            .collect();
        let (min_port, max_port) = self.relay_port_range();
        let max_lifetime = self
            .max_allocate_lifetime
            .unwrap_or(DEFAULT_MAX_ALLOCATE_LIFETIME);
        let defaults = ServerConfig::default();
        let nonce_lifetime = match self.stale_nonce {
            None => defaults.nonce_lifetime,
            Some(Duration::ZERO) => UNLIMITED_NONCE,
            Some(lifetime) => lifetime,
        };
        Ok(ServerConfig {
            realm,
            users,
            rest_secret,
            relay_ips,
            min_port,
            max_port,
            // coturn grants min(max(requested, 600 s), max-allocate-lifetime): a maximum below
            // 600 s lowers the default too.
            default_lifetime: DEFAULT_ALLOCATE_LIFETIME.min(max_lifetime),
            max_lifetime,
            nonce_lifetime,
            peer_policy: self.peer_policy(),
            user_quota: self.user_quota,
            total_quota: self.total_quota,
            max_bps: self.max_bps,
            software: self.software(),
            fingerprint: self.fingerprint,
            external_ips: self
                .external_ips
                .iter()
                .map(|e| wren_turn::server::ExternalIp {
                    public: e.public,
                    private: e.private,
                })
                .collect(),
            wall_clock,
            ..defaults
        })
    }

    /// Where the Prometheus endpoint listens when `prometheus` is on: every IPv4 interface
    /// (as coturn's) on `prometheus-port`.
    #[allow(
        dead_code,
        reason = "for serve.rs, which starts metrics::serve_http on it"
    )]
    pub(crate) fn prometheus_addr(&self) -> Option<SocketAddr> {
        self.prometheus
            .then(|| SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), self.prometheus_port))
    }

    /// The keys that were set but are not acted on yet, in the order of the key table; the
    /// binary logs each as a warning. A flag counts as set when it is on; `log-file=stdout`
    /// and the RFC values of `channel-lifetime`/`permission-lifetime` are honoured and not
    /// listed.
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
        let mut keys = BTreeSet::new();
        let mut mark = |name: &'static str, set: bool| {
            if set {
                keys.insert(name);
            }
        };
        mark("syslog", self.syslog);
        mark(
            "no-stun-backward-compatibility",
            self.no_stun_backward_compatibility,
        );
        mark("userdb", self.userdb.is_some());
        mark("server-name", self.server_name.is_some());
        mark(
            "channel-lifetime",
            self.channel_lifetime.is_some_and(|d| d != CHANNEL_LIFETIME),
        );
        mark(
            "permission-lifetime",
            self.permission_lifetime
                .is_some_and(|d| d != PERMISSION_LIFETIME),
        );
        keys
    }
}

/// The `deny` ranges without the addresses of the `allow` ranges (same family only), so that
/// an address in both is allowed, as coturn has it.
fn subtract(deny: &[PeerRange], allow: &[PeerRange]) -> Vec<IpRange> {
    let mut out = Vec::with_capacity(deny.len());
    for d in deny {
        let mut pieces = vec![(to_number(d.first), to_number(d.last))];
        for a in allow
            .iter()
            .filter(|a| a.first.is_ipv4() == d.first.is_ipv4())
        {
            let (cut_first, cut_last) = (to_number(a.first), to_number(a.last));
            let mut kept = Vec::with_capacity(pieces.len() + 1);
            for (first, last) in pieces {
                if cut_last < first || cut_first > last {
                    kept.push((first, last));
                    continue;
                }
                if cut_first > first {
                    kept.push((first, cut_first - 1));
                }
                if cut_last < last {
                    kept.push((cut_last + 1, last));
                }
            }
            pieces = kept;
        }
        out.extend(pieces.into_iter().filter_map(|(first, last)| {
            IpRange::new(from_number(first, d.first)?, from_number(last, d.first)?)
        }));
    }
    out
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
        if self.prometheus_port != DEFAULT_PROMETHEUS_PORT {
            writeln!(f, "prometheus-port={}", self.prometheus_port)?;
        }
        if let Some(port) = self.tls_listening_port {
            writeln!(f, "tls-listening-port={port}")?;
        }
        if let Some(cert) = &self.cert {
            writeln!(f, "cert=\"{}\"", cert.display())?;
        }
        if let Some(pkey) = &self.pkey {
            writeln!(f, "pkey=\"{}\"", pkey.display())?;
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
        for range in &self.allowed_peer_ips {
            writeln!(f, "allowed-peer-ip={range}")?;
        }
        for range in &self.denied_peer_ips {
            writeln!(f, "denied-peer-ip={range}")?;
        }
        let numbers = [
            ("user-quota", u64::from(self.user_quota)),
            ("total-quota", u64::from(self.total_quota)),
            ("max-bps", self.max_bps),
        ];
        for (name, n) in numbers {
            if n != 0 {
                writeln!(f, "{name}={n}")?;
            }
        }
        let lifetimes = [
            ("stale-nonce", self.stale_nonce),
            ("max-allocate-lifetime", self.max_allocate_lifetime),
            ("channel-lifetime", self.channel_lifetime),
            ("permission-lifetime", self.permission_lifetime),
        ];
        for (name, lifetime) in lifetimes {
            if let Some(d) = lifetime {
                writeln!(f, "{name}={}", d.as_secs())?;
            }
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
        assert_eq!(c.users[0].secret, UserSecret::Password("key1".into()));
        assert_eq!(
            c.users[1].secret,
            UserSecret::Key(vec![
                0xbc, 0x80, 0x7e, 0xe2, 0x9d, 0xf3, 0xc9, 0xff, 0xa7, 0x36, 0x52, 0x3f, 0xb2, 0xc4,
                0xe8, 0xee
            ]),
            "coturn's turnadmin -k key"
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
        assert_eq!(warned, vec!["server-name"]);
        assert!(c.turn_enabled());
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
        assert_eq!(c.users[0].secret, UserSecret::Password("secret".into()));
        let warned: Vec<&str> = c.unimplemented().iter().map(|u| u.key).collect();
        assert_eq!(
            warned,
            vec!["userdb"],
            "log-file=stdout is honoured, TURN keys are acted on"
        );
        let turn = c
            .turn_server_config(SystemTime::UNIX_EPOCH)
            .expect("the interop command line serves TURN");
        assert_eq!(turn.realm, "example.org");
        assert_eq!(turn.relay_ips, vec![ip("127.0.0.1")]);
        assert_eq!((turn.min_port, turn.max_port), (49200, 49300));
        assert!(turn.fingerprint && turn.peer_policy.allow_loopback);
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
        let e = err("verbose\nCA-file=/etc/ssl/ca.pem\n");
        assert_eq!(e.line(), Some(2));
        assert_eq!(
            e.to_string(),
            "turnserver.conf:2: 'CA-file' is a coturn option that wren-relay does not support"
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
                "turnserver.conf:1: bad value 'localhost' for 'relay-ip': expected an IPv4 or IPv6 address of this host (not 0.0.0.0 or ::)",
            ),
            (
                "verbose\nrelay-ip=0.0.0.0",
                2,
                "turnserver.conf:2: bad value '0.0.0.0' for 'relay-ip': expected an IPv4 or IPv6 address of this host (not 0.0.0.0 or ::)",
            ),
            (
                "relay-ip=::",
                1,
                "turnserver.conf:1: bad value '::' for 'relay-ip': expected an IPv4 or IPv6 address of this host (not 0.0.0.0 or ::)",
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
                "turnserver.conf:1: bad value 'alice' for 'user': expected name:password, or name:0x<key>",
            ),
            (
                "user=alice:",
                1,
                "turnserver.conf:1: bad value 'alice:' for 'user': expected name:password, or name:0x<key>",
            ),
            (
                "user=:secret",
                1,
                "turnserver.conf:1: bad value ':secret' for 'user': expected name:password, or name:0x<key>",
            ),
            (
                "\nuser=bob:0xbc807ee29df3c9ffa736523fb2c4e8e",
                2,
                "turnserver.conf:2: bad value 'bob:0xbc807ee29df3c9ffa736523fb2c4e8e' for 'user': expected name:0x followed by 32 hex digits (a key from turnadmin -k)",
            ),
            (
                "user=bob:0xbc807ee29df3c9ffa736523fb2c4e8eg",
                1,
                "turnserver.conf:1: bad value 'bob:0xbc807ee29df3c9ffa736523fb2c4e8eg' for 'user': expected name:0x followed by 32 hex digits (a key from turnadmin -k)",
            ),
            (
                "allowed-peer-ip=10.0.0.300",
                1,
                "turnserver.conf:1: bad value '10.0.0.300' for 'allowed-peer-ip': expected an IP address, a range first-last of one family, or a prefix address/length",
            ),
            (
                "verbose\n\ndenied-peer-ip=10.0.0.9-10.0.0.1",
                3,
                "turnserver.conf:3: bad value '10.0.0.9-10.0.0.1' for 'denied-peer-ip': expected an IP address, a range first-last of one family, or a prefix address/length",
            ),
            (
                "denied-peer-ip=10.0.0.1-::1",
                1,
                "turnserver.conf:1: bad value '10.0.0.1-::1' for 'denied-peer-ip': expected an IP address, a range first-last of one family, or a prefix address/length",
            ),
            (
                "allowed-peer-ip=10.0.0.0/33",
                1,
                "turnserver.conf:1: bad value '10.0.0.0/33' for 'allowed-peer-ip': expected an IP address, a range first-last of one family, or a prefix address/length",
            ),
            (
                "user-quota=-1",
                1,
                "turnserver.conf:1: bad value '-1' for 'user-quota': expected a whole number up to 4294967295 (0: no limit)",
            ),
            (
                "total-quota=4294967296",
                1,
                "turnserver.conf:1: bad value '4294967296' for 'total-quota': expected a whole number up to 4294967295 (0: no limit)",
            ),
            (
                "max-bps=1M",
                1,
                "turnserver.conf:1: bad value '1M' for 'max-bps': expected bytes per second, a whole number (0: no limit)",
            ),
            (
                "stale-nonce=on",
                1,
                "turnserver.conf:1: bad value 'on' for 'stale-nonce': expected seconds up to 4294967295 (0: nonces never expire), or no value for 600",
            ),
            (
                "max-allocate-lifetime=0",
                1,
                "turnserver.conf:1: bad value '0' for 'max-allocate-lifetime': expected seconds, from 1 to 4294967295",
            ),
            (
                "channel-lifetime=10m",
                1,
                "turnserver.conf:1: bad value '10m' for 'channel-lifetime': expected seconds, from 1 to 4294967295",
            ),
            (
                "permission-lifetime=+300",
                1,
                "turnserver.conf:1: bad value '+300' for 'permission-lifetime': expected seconds, from 1 to 4294967295",
            ),
            (
                "prometheus-port=65536",
                1,
                "turnserver.conf:1: bad value '65536' for 'prometheus-port': expected a port number (0-65535)",
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
            "--user bob:0x12",
            "-E 0.0.0.0",
            "--allowed-peer-ip 10.0.0.0/40",
            "--denied-peer-ip nonsense",
            "-q -1",
            "--total-quota x",
            "-s 1k",
            "--stale-nonce=x",
            "--stale-nonce 30",
            "--max-allocate-lifetime 0",
            "--prometheus-port 70000",
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
        let c = parse(
            "user=alice:hunter2\nstatic-auth-secret=s3cr3t\nuser=bob:0xbc807ee29df3c9ffa736523fb2c4e8ee\n",
        )
        .expect("secrets");
        let turn = c
            .turn_server_config(SystemTime::UNIX_EPOCH)
            .err()
            .map(|e| e.to_string());
        for shown in [format!("{c:?}"), c.to_string(), format!("{turn:?}")] {
            assert!(
                !shown.contains("hunter2")
                    && !shown.contains("s3cr3t")
                    && !shown.contains("bc807ee2")
                    && !shown.contains("188, 128"),
                "{shown}"
            );
        }
        assert!(c.to_string().contains("user=alice:<redacted>"));
        assert!(c.to_string().contains("user=bob:<redacted>"));
    }

    #[test]
    fn every_spec_is_handled() {
        // `apply` has a slot for every key of the table (its fallbacks are unreachable!).
        for spec in SPECS {
            let value = match spec.name {
                _ if spec.kind == Kind::Flag => "",
                "listening-ip" | "relay-ip" | "external-ip" => "127.0.0.1",
                "allowed-peer-ip" | "denied-peer-ip" => "10.0.0.0/8",
                "user" => "a:b",
                n if n.ends_with("port") => "4000",
                n if n.ends_with("quota") || n.ends_with("lifetime") || n == "max-bps" => "1",
                _ if spec.kind == Kind::OptionalValue => "",
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

    // -- TURN keys --

    fn range(s: &str) -> IpRange {
        s.parse().expect("test range")
    }

    /// Every new TURN key, in the file and on the command line, gives the same `Config`.
    #[test]
    fn turn_keys_in_file_and_on_command_line() {
        let file = parse(
            "allowed-peer-ip=10.0.0.5\n\
             allowed-peer-ip=192.168.1.10-192.168.1.20\n\
             denied-peer-ip=83.166.64.0/19\n\
             denied-peer-ip=fd00::/8\n\
             user-quota=10\n\
             total-quota 1000\n\
             max-bps=125000\n\
             stale-nonce=300\n\
             max-allocate-lifetime=1800\n\
             channel-lifetime=600\n\
             permission-lifetime=300\n\
             cert=/etc/turn/cert.pem\n\
             pkey=\"/etc/turn/pkey.pem\"\n\
             prometheus\n\
             prometheus-port=9642\n\
             user=ninefingers:0xbc807ee29df3c9ffa736523fb2c4e8ee\n",
        )
        .expect("TURN keys");
        let cli = Config::from_args(args(
            "--allowed-peer-ip=10.0.0.5 --allowed-peer-ip 192.168.1.10-192.168.1.20 \
             --denied-peer-ip=83.166.64.0/19 --denied-peer-ip fd00::/8 \
             -q 10 --total-quota=1000 -s 125000 --stale-nonce=300 \
             --max-allocate-lifetime 1800 --channel-lifetime=600 --permission-lifetime=300 \
             --cert /etc/turn/cert.pem --pkey=/etc/turn/pkey.pem \
             --prometheus --prometheus-port 9642 -u ninefingers:0xbc807ee29df3c9ffa736523fb2c4e8ee",
        ))
        .expect("TURN keys on the command line");
        assert_eq!(
            Config {
                config_file: None,
                ..file.clone()
            },
            cli
        );

        let c = file;
        let ranges = |v: &[PeerRange]| v.iter().map(PeerRange::range).collect::<Vec<_>>();
        assert_eq!(
            ranges(&c.allowed_peer_ips),
            vec![range("10.0.0.5"), range("192.168.1.10-192.168.1.20")]
        );
        assert_eq!(
            ranges(&c.denied_peer_ips),
            vec![range("83.166.64.0-83.166.95.255"), range("fd00::/8")]
        );
        assert_eq!(
            (c.user_quota, c.total_quota, c.max_bps),
            (10, 1000, 125_000)
        );
        assert_eq!(c.stale_nonce, Some(Duration::from_secs(300)));
        assert_eq!(c.max_allocate_lifetime, Some(Duration::from_secs(1800)));
        assert_eq!(c.channel_lifetime, Some(Duration::from_secs(600)));
        assert_eq!(c.permission_lifetime, Some(Duration::from_secs(300)));
        assert_eq!(c.cert.as_deref(), Some(Path::new("/etc/turn/cert.pem")));
        assert_eq!(c.pkey.as_deref(), Some(Path::new("/etc/turn/pkey.pem")));
        assert_eq!(
            c.prometheus_addr(),
            Some("0.0.0.0:9642".parse().expect("addr"))
        );
        assert!(matches!(&c.users[0].secret, UserSecret::Key(k) if k.len() == 16));

        // TLS files are acted on (tls.rs); RFC lifetimes do not warn.
        assert!(c.unimplemented().is_empty());

        // And it all prints back.
        let printed = c.to_string();
        for line in [
            "allowed-peer-ip=10.0.0.5\n",
            "allowed-peer-ip=192.168.1.10-192.168.1.20\n",
            "denied-peer-ip=83.166.64.0-83.166.95.255\n",
            "denied-peer-ip=fd00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\n",
            "user-quota=10\n",
            "total-quota=1000\n",
            "max-bps=125000\n",
            "stale-nonce=300\n",
            "max-allocate-lifetime=1800\n",
            "prometheus\n",
            "prometheus-port=9642\n",
            "cert=\"/etc/turn/cert.pem\"\n",
        ] {
            assert!(printed.contains(line), "{line:?} not in\n{printed}");
        }
    }

    /// coturn's `stale-nonce[=<value>]`: bare means 600 s, 0 means never stale.
    #[test]
    fn stale_nonce_value_is_optional() {
        let bare = parse("stale-nonce\n").expect("bare");
        assert_eq!(bare.stale_nonce, Some(Duration::from_secs(600)));
        assert_eq!(
            parse("stale-nonce=\"\"\n").expect("empty").stale_nonce,
            Some(DEFAULT_STALE_NONCE)
        );
        assert_eq!(
            parse("stale-nonce 0\n").expect("0").stale_nonce,
            Some(Duration::ZERO)
        );
        assert_eq!(Config::default().stale_nonce, None);

        let cli = Config::from_args(args("--stale-nonce")).expect("bare on the command line");
        assert_eq!(cli.stale_nonce, Some(Duration::from_secs(600)));
        let cli = Config::from_args(args("--stale-nonce -v")).expect("bare, then a flag");
        assert_eq!(cli.stale_nonce, Some(Duration::from_secs(600)));
        assert_eq!(cli.verbosity, Verbosity::Verbose);
        let cli = Config::from_args(args("--stale-nonce=45")).expect("with =");
        assert_eq!(cli.stale_nonce, Some(Duration::from_secs(45)));
        // As coturn's getopt: an optional value needs '='.
        let e = Config::from_args(args("--stale-nonce 45")).expect_err("value without '='");
        assert!(matches!(e, ConfigError::Cli(_)), "{e:?}");
    }

    #[test]
    fn lifetimes_other_than_the_rfc_warn() {
        let c = parse("channel-lifetime=60\npermission-lifetime=30\n").expect("lifetimes");
        let warned: Vec<&str> = c.unimplemented().iter().map(|u| u.key).collect();
        assert_eq!(warned, vec!["channel-lifetime", "permission-lifetime"]);
        let c = parse("channel-lifetime=600\npermission-lifetime=300\n").expect("RFC values");
        assert!(c.unimplemented().is_empty());
    }

    /// Each key that is parsed but not acted on warns when set, and only those keys do.
    #[test]
    fn every_not_yet_key_warns_when_set() {
        for spec in SPECS {
            let value = match spec.name {
                _ if spec.kind == Kind::Flag => "",
                "tls-listening-port" => "5349",
                "external-ip" => "203.0.113.1",
                "channel-lifetime" | "permission-lifetime" => "1",
                "log-file" => "/var/log/turn.log",
                _ => "/some/where",
            };
            let Ok(c) = parse(&format!("{} {value}\n", spec.name)) else {
                continue; // a value this generic table does not fit; covered elsewhere
            };
            let warned: Vec<&str> = c.unimplemented().iter().map(|u| u.key).collect();
            match spec.not_yet {
                Some(_) => assert_eq!(warned, vec![spec.name], "{} must warn", spec.name),
                None => assert!(warned.is_empty(), "{} warns: {warned:?}", spec.name),
            }
        }
        let c = parse("log-file=stdout\n").expect("stdout");
        assert!(c.unimplemented().is_empty());
    }

    #[test]
    fn user_key_or_password() {
        let c = parse(
            "user=ninefingers:0xbc807ee29df3c9ffa736523fb2c4e8ee\n\
             user=upper:0xBC807EE29DF3C9FFA736523FB2C4E8EE\n\
             user=colon:pass:word\n\
             user=zero:0X12\n",
        )
        .expect("users");
        let key = vec![
            0xbc, 0x80, 0x7e, 0xe2, 0x9d, 0xf3, 0xc9, 0xff, 0xa7, 0x36, 0x52, 0x3f, 0xb2, 0xc4,
            0xe8, 0xee,
        ];
        assert_eq!(c.users[0].secret, UserSecret::Key(key.clone()));
        assert_eq!(c.users[1].secret, UserSecret::Key(key));
        assert_eq!(c.users[2].secret, UserSecret::Password("pass:word".into()));
        // coturn looks for a lower-case "0x" only.
        assert_eq!(c.users[3].secret, UserSecret::Password("0X12".into()));
    }

    // -- turn_enabled / turn_server_config --

    /// A TURN server on loopback, as the interop tests run it.
    const TURN: &str =
        "listening-ip=127.0.0.1\nrealm=example.org\nlt-cred-mech\nuser=alice:hunter2\n";

    fn turn(text: &str) -> Result<ServerConfig, ConfigError> {
        parse(text)
            .expect("valid file")
            .turn_server_config(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000))
    }

    #[test]
    fn turn_enabled_follows_coturn() {
        let on = |text: &str| parse(text).expect(text).turn_enabled();
        assert!(!on(""), "no credentials: STUN only, never an open relay");
        assert!(!on("realm=example.org\n"));
        assert!(on("lt-cred-mech\n"));
        assert!(on("use-auth-secret\n"));
        assert!(
            on("static-auth-secret=north\n"),
            "coturn: the secret implies use-auth-secret"
        );
        assert!(
            on("user=alice:pw\n"),
            "coturn: a user makes lt-cred-mech the default"
        );
        assert!(!on("lt-cred-mech\nstun-only\n"));
    }

    #[test]
    fn turn_server_config_maps_every_key() {
        let wall = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let c = parse(
            "listening-ip=127.0.0.1\n\
             listening-ip=::1\n\
             relay-ip=192.0.2.10\n\
             relay-ip=2001:db8::10\n\
             relay-ip=192.0.2.10\n\
             min-port=50000\n\
             max-port=50999\n\
             realm=example.org\n\
             lt-cred-mech\n\
             user=alice:hunter2\n\
             user=ninefingers:0xbc807ee29df3c9ffa736523fb2c4e8ee\n\
             use-auth-secret\n\
             static-auth-secret=north\n\
             allowed-peer-ip=10.1.0.0/16\n\
             denied-peer-ip=10.0.0.0/8\n\
             no-multicast-peers\n\
             allow-loopback-peers\n\
             user-quota=3\n\
             total-quota=100\n\
             max-bps=64000\n\
             stale-nonce=120\n\
             max-allocate-lifetime=1200\n\
             external-ip=203.0.113.5/192.0.2.10\n\
             fingerprint\n",
        )
        .expect("full TURN file");
        let s = c.turn_server_config(wall).expect("serves");
        assert_eq!(
            s.external_ips,
            vec![wren_turn::server::ExternalIp {
                public: ip("203.0.113.5"),
                private: Some(ip("192.0.2.10"))
            }]
        );
        assert_eq!(s.realm, "example.org");
        assert_eq!(s.users.len(), 2);
        assert_eq!(s.users["alice"], UserSecret::Password("hunter2".into()));
        assert!(matches!(&s.users["ninefingers"], UserSecret::Key(k) if k[0] == 0xbc));
        assert_eq!(s.rest_secret.as_deref(), Some("north"));
        assert_eq!(
            s.relay_ips,
            vec![ip("192.0.2.10"), ip("2001:db8::10")],
            "relay-ip wins, no duplicates"
        );
        assert_eq!((s.min_port, s.max_port), (50000, 50999));
        assert_eq!(s.default_lifetime, Duration::from_secs(600));
        assert_eq!(s.max_lifetime, Duration::from_secs(1200));
        assert_eq!(s.nonce_lifetime, Duration::from_secs(120));
        assert_eq!((s.user_quota, s.total_quota, s.max_bps), (3, 100, 64000));
        assert_eq!(s.software.as_deref(), Some(SOFTWARE));
        assert!(s.fingerprint);
        assert_eq!(s.wall_clock, wall);
        assert_eq!(
            s.peer_policy,
            PeerPolicy {
                allow: vec![range("10.1.0.0/16")],
                deny: vec![
                    range("10.0.0.0-10.0.255.255"),
                    range("10.2.0.0-10.255.255.255")
                ],
                allow_loopback: true,
                allow_multicast: false,
            }
        );
        // The machine takes it.
        wren_turn::server::TurnServer::new(std::time::Instant::now(), s).expect("TurnServer::new");
    }

    #[test]
    fn turn_server_config_defaults() {
        let s = turn(TURN).expect("minimal TURN");
        let d = ServerConfig::default();
        assert_eq!(
            s.relay_ips,
            vec![ip("127.0.0.1")],
            "the listening IP relays"
        );
        assert_eq!((s.min_port, s.max_port), (49152, 65535));
        assert_eq!(s.default_lifetime, Duration::from_secs(600));
        assert_eq!(s.max_lifetime, Duration::from_secs(3600));
        assert_eq!(
            s.nonce_lifetime, d.nonce_lifetime,
            "nonces expire even without stale-nonce"
        );
        assert_eq!(s.rest_secret, None);
        assert_eq!((s.user_quota, s.total_quota, s.max_bps), (0, 0, 0));
        assert_eq!(s.software.as_deref(), Some(SOFTWARE));
        assert!(!s.fingerprint);
        assert_eq!(
            s.peer_policy,
            PeerPolicy {
                allow: vec![],
                deny: vec![],
                allow_loopback: false,
                allow_multicast: true,
            },
            "coturn allows multicast peers unless no-multicast-peers"
        );
        assert_eq!(s.queue_capacity, d.queue_capacity);
        assert_eq!(s.reservation_lifetime, d.reservation_lifetime);

        let s = turn(&format!("{TURN}no-software-attribute\n")).expect("no SOFTWARE");
        assert_eq!(s.software, None);
        let s = turn(&format!("{TURN}stale-nonce=0\n")).expect("unlimited nonces");
        assert_eq!(s.nonce_lifetime, UNLIMITED_NONCE);
        let s = turn(&format!("{TURN}stale-nonce\n")).expect("bare stale-nonce");
        assert_eq!(s.nonce_lifetime, Duration::from_secs(600));
        let s = turn(&format!("{TURN}max-allocate-lifetime=300\n")).expect("short max");
        assert_eq!(
            (s.default_lifetime, s.max_lifetime),
            (Duration::from_secs(300), Duration::from_secs(300)),
            "a maximum below 600 s caps the default too"
        );
        // REST only: static-auth-secret alone turns it on, no user needed.
        let s = turn("listening-ip=127.0.0.1\nrealm=r\nstatic-auth-secret=north\n").expect("REST");
        assert_eq!(s.rest_secret.as_deref(), Some("north"));
        assert!(s.users.is_empty());
    }

    #[test]
    fn relay_ips_from_listening_ips() {
        let s = turn(&format!("{TURN}listening-ip=0.0.0.0\nlistening-ip=::1\n")).expect("mixed");
        assert_eq!(
            s.relay_ips,
            vec![ip("127.0.0.1"), ip("::1")],
            "unspecified ones skipped"
        );

        for listening in [
            "",
            "listening-ip=0.0.0.0\n",
            "listening-ip=::\nlistening-ip=0.0.0.0\n",
        ] {
            let text = format!("realm=r\nuser=a:b\n{listening}");
            let e = turn(&text).expect_err("nothing to relay on");
            assert!(matches!(e, ConfigError::NoRelayIp), "{e:?}");
            assert!(
                e.to_string()
                    .starts_with("relay-ip required when listening on 0.0.0.0"),
                "{e}"
            );
            let s = turn(&format!("{text}relay-ip=192.0.2.1\n")).expect("relay-ip given");
            assert_eq!(s.relay_ips, vec![ip("192.0.2.1")]);
        }
    }

    #[test]
    fn turn_server_config_errors() {
        let cases: &[(&str, &str)] = &[
            ("listening-ip=127.0.0.1\nrealm=r\n", "TURN is off: "),
            (
                "listening-ip=127.0.0.1\nrealm=r\nlt-cred-mech\nuser=a:b\nstun-only\n",
                "TURN is off: ",
            ),
            (
                "listening-ip=127.0.0.1\nlt-cred-mech\nuser=a:b\n",
                "TURN needs a realm",
            ),
            (
                "listening-ip=127.0.0.1\nuse-auth-secret\nrealm=r\n",
                "use-auth-secret needs static-auth-secret",
            ),
            (
                "listening-ip=127.0.0.1\nlt-cred-mech\nrealm=r\n",
                "lt-cred-mech needs at least one user",
            ),
            (
                "listening-ip=127.0.0.1\nlt-cred-mech\nrealm=r\nuserdb=/var/db/turndb\n",
                "lt-cred-mech needs at least one user",
            ),
            (
                "realm=r\nuser=a:b\n",
                "relay-ip required when listening on 0.0.0.0",
            ),
        ];
        for (text, start) in cases {
            let e = turn(text).expect_err(text);
            assert!(e.to_string().starts_with(start), "{text:?}: {e}");
            assert_eq!(e.line(), None, "a whole-configuration error");
        }
        assert!(matches!(
            turn("listening-ip=127.0.0.1\nlt-cred-mech\nuser=a:b\n"),
            Err(ConfigError::NoRealm)
        ));
        assert!(matches!(
            turn("listening-ip=127.0.0.1\nrealm=r\n"),
            Err(ConfigError::TurnOff)
        ));
        assert!(matches!(
            turn("listening-ip=127.0.0.1\nrealm=r\nuse-auth-secret\n"),
            Err(ConfigError::NoAuthSecret)
        ));
        assert!(matches!(
            turn("listening-ip=127.0.0.1\nrealm=r\nlt-cred-mech\n"),
            Err(ConfigError::NoUsers)
        ));
        // lt-cred-mech with REST credentials only is fine.
        turn("listening-ip=127.0.0.1\nrealm=r\nlt-cred-mech\nstatic-auth-secret=s\n")
            .expect("REST users");
    }

    /// coturn's own example: "denied-peer-ip=83.166.64.0-83.166.95.255" with
    /// "allowed-peer-ip=83.166.68.45" bans the range except that address.
    #[test]
    fn allowed_peer_ip_beats_denied_as_in_coturn() {
        use wren_turn::server::Refusal;
        let c = parse(
            "denied-peer-ip=83.166.64.0-83.166.95.255\n\
             allowed-peer-ip=83.166.68.45\n\
             allowed-peer-ip=83.166.64.0\n\
             allowed-peer-ip=2001:db8::/32\n\
             denied-peer-ip=2a00::/16\n\
             allowed-peer-ip=2a00:1450::/32\n\
             no-multicast-peers\n",
        )
        .expect("lists");
        let p = c.peer_policy();
        for (addr, verdict) in [
            ("83.166.68.45", Ok(())),
            ("83.166.64.0", Ok(())),
            ("83.166.64.1", Err(Refusal::Denied)),
            ("83.166.68.44", Err(Refusal::Denied)),
            ("83.166.68.46", Err(Refusal::Denied)),
            ("83.166.95.255", Err(Refusal::Denied)),
            ("83.166.96.0", Ok(())),
            ("8.8.8.8", Ok(())),
            ("2a00:1450::1", Ok(())),
            ("2a00:1451::1", Err(Refusal::Denied)),
            ("2001:db8::1", Ok(())),
            ("224.0.0.1", Err(Refusal::Multicast)),
            ("127.0.0.1", Err(Refusal::Loopback)),
            ("10.0.0.1", Err(Refusal::Private)),
        ] {
            assert_eq!(p.check(ip(addr)), verdict, "{addr}");
        }
        // An allow range that covers the whole deny range leaves nothing denied.
        let c = parse("denied-peer-ip=10.0.0.0/24\nallowed-peer-ip=10.0.0.0/16\n").expect("cover");
        assert!(c.peer_policy().deny.is_empty());
        // Families do not mix.
        let c = parse("denied-peer-ip=0.0.0.0/0\nallowed-peer-ip=::/0\n").expect("families");
        assert_eq!(c.peer_policy().deny, vec![range("0.0.0.0/0")]);
        // Full-width ranges at both ends of the number line.
        let c = parse("denied-peer-ip=::/0\nallowed-peer-ip=::\nallowed-peer-ip=ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\n")
            .expect("edges");
        assert_eq!(
            c.peer_policy().deny,
            vec![range("::1-ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe")]
        );
    }

    #[test]
    fn peer_range_forms() {
        for (text, first, last) in [
            ("10.0.0.1", "10.0.0.1", "10.0.0.1"),
            ("10.0.0.1-10.0.0.255", "10.0.0.1", "10.0.0.255"),
            (" 10.0.0.1 - 10.0.0.255 ", "10.0.0.1", "10.0.0.255"),
            ("10.1.2.3/8", "10.0.0.0", "10.255.255.255"),
            ("0.0.0.0/0", "0.0.0.0", "255.255.255.255"),
            ("1.2.3.4/32", "1.2.3.4", "1.2.3.4"),
            (
                "fe80::1/10",
                "fe80::",
                "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            ),
            ("::/0", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            ("::1/128", "::1", "::1"),
        ] {
            let r = parse_peer_range(text).expect(text);
            assert_eq!((r.first, r.last), (ip(first), ip(last)), "{text}");
            assert_eq!(Some(r.range()), IpRange::new(ip(first), ip(last)), "{text}");
            assert_eq!(
                parse_peer_range(&r.to_string()),
                Ok(r),
                "{text} prints back"
            );
        }
        for bad in [
            "",
            "-",
            "10.0.0.1-",
            "/8",
            "10.0.0.0/",
            "10.0.0.0/-1",
            "::/129",
            "[::1]",
            "host.example",
        ] {
            assert!(parse_peer_range(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn prometheus_endpoint_address() {
        assert_eq!(Config::default().prometheus_addr(), None);
        let c = Config::from_args(args("--prometheus")).expect("on");
        assert_eq!(
            c.prometheus_addr(),
            Some("0.0.0.0:9641".parse().expect("addr"))
        );
        assert!(c.unimplemented().is_empty(), "prometheus is acted on");
        let c = parse("prometheus-port=9000\n").expect("port alone");
        assert_eq!(
            c.prometheus_addr(),
            None,
            "the port alone does not turn it on"
        );
        assert_eq!(c.prometheus_port, 9000);
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
            any::<[u8; 4]>().prop_map(IpAddr::from),
            any::<[u16; 8]>().prop_map(IpAddr::from),
        ];
        let word = "[a-z][a-z0-9.:/_-]{0,20}";
        let number = prop_oneof![Just(0u64), 1u64..=u64::from(u32::MAX), any::<u64>()];
        let range =
            (any::<[u8; 4]>(), any::<[u8; 4]>(), 0u8..=32, 0u8..3).prop_map(|(a, b, len, form)| {
                let (a, b) = (Ipv4Addr::from(a), Ipv4Addr::from(b));
                match form {
                    0 => a.to_string(),
                    1 => format!("{}-{}", a.min(b), a.max(b)),
                    _ => format!("{a}/{len}"),
                }
            });
        (
            (key(), sep, lead, end),
            (ip, 1u16.., any::<bool>(), word, number, range),
        )
            .prop_map(
                |((key, sep, lead, end), (ip, port, quoted, word, number, range))| {
                    let ip_text = ip.to_string();
                    let spec = find_spec(key).expect("key from SPECS");
                    let value = match key {
                        _ if spec.kind == Kind::Flag => {
                            if quoted {
                                String::new()
                            } else {
                                "on".to_owned()
                            }
                        }
                        "listening-ip" => ip_text,
                        "relay-ip" if ip.is_unspecified() => "192.0.2.1".to_owned(),
                        "relay-ip" => ip_text,
                        "external-ip" => format!("{ip}/{ip}"),
                        "allowed-peer-ip" | "denied-peer-ip" => range,
                        "user" => format!("u{word}:{word}"),
                        // Within the default range's ends, so either alone stays valid.
                        "min-port" => "1000".to_owned(),
                        "max-port" => "60000".to_owned(),
                        k if k.ends_with("port") => port.to_string(),
                        "max-bps" => number.to_string(),
                        k if k.ends_with("quota") => {
                            (number % (u64::from(u32::MAX) + 1)).to_string()
                        }
                        "stale-nonce" if quoted => String::new(),
                        "stale-nonce" => (number % (u64::from(u32::MAX) + 1)).to_string(),
                        k if k.ends_with("lifetime") => {
                            (1 + number % u64::from(u32::MAX)).to_string()
                        }
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
                    secret: UserSecret::Password(String::new()),
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
