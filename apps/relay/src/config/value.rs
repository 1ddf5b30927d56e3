//! The values keys take: the data types ([`Secret`], [`UserAccount`], [`PeerRange`],
//! [`ExternalIp`]), their parsers (the same for the file and the command line, each error
//! saying what was expected), and one [`Value`] type per way of reading a value, which
//! `keys.rs` names in each key's declaration.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::time::Duration;

use wren_turn::server::{CHANNEL_LIFETIME, IpRange, PERMISSION_LIFETIME, UserSecret};

/// coturn's `stale-nonce` given without a value: nonces live 600 s.
pub(crate) const DEFAULT_STALE_NONCE: Duration = Duration::from_secs(600);

/// A secret (password, shared secret) that `Debug` and the printed configuration never show.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(pub(crate) String);

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
/// allow-beats-deny rule of coturn needs ([`super::Config::peer_policy`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PeerRange {
    pub(crate) first: IpAddr,
    pub(crate) last: IpAddr,
    range: IpRange,
}

impl PeerRange {
    /// The range, for [`wren_turn::server::PeerPolicy`].
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
const EXPECT_CAP: &str = "a whole number from 1 to 65535";
const EXPECT_STALE_NONCE: &str = "seconds up to 4294967295 (0 or above 3600: 3600, the longest a nonce lives), or no value for 600";
const EXPECT_LIFETIME: &str = "seconds, from 1 to 4294967295";
const EXPECT_COUNT: &str = "a whole number (0: no limit)";
const EXPECT_TIMEOUT: &str = "seconds up to 4294967295 (0: no deadline)";
const EXPECT_BYTES: &str = "bytes, a whole number (0: no limit)";
const EXPECT_RESERVE: &str = "a whole number of descriptors (0: none kept)";

pub(crate) fn parse_port(value: &str) -> Result<u16, &'static str> {
    // Digits only: Rust's u16 parser would also take a leading '+'.
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(EXPECT_PORT);
    }
    value.parse().map_err(|_| EXPECT_PORT)
}

pub(crate) fn parse_relay_port(value: &str) -> Result<u16, &'static str> {
    match parse_port(value) {
        Ok(0) | Err(_) => Err(EXPECT_RELAY_PORT),
        Ok(port) => Ok(port),
    }
}

pub(crate) fn parse_ip(value: &str) -> Result<IpAddr, &'static str> {
    let bare = value
        .strip_prefix('[')
        .and_then(|v| v.strip_suffix(']'))
        .unwrap_or(value);
    bare.parse().map_err(|_| EXPECT_IP)
}

/// A relay address: a real address, since clients are told it.
pub(crate) fn parse_relay_ip(value: &str) -> Result<IpAddr, &'static str> {
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

pub(crate) fn parse_quota(value: &str) -> Result<u32, &'static str> {
    parse_digits(value).ok_or(EXPECT_QUOTA)
}

/// A cap of entries per allocation: 1 to 65535 (a cap of 0 would refuse every permission).
pub(crate) fn parse_cap(value: &str) -> Result<usize, &'static str> {
    match parse_digits::<u16>(value) {
        Some(n) if n > 0 => Ok(usize::from(n)),
        _ => Err(EXPECT_CAP),
    }
}

pub(crate) fn parse_bps(value: &str) -> Result<u64, &'static str> {
    parse_digits(value).ok_or(EXPECT_BPS)
}

pub(crate) fn parse_count(value: &str) -> Result<u64, &'static str> {
    parse_digits(value).ok_or(EXPECT_COUNT)
}

pub(crate) fn parse_bytes(value: &str) -> Result<u64, &'static str> {
    parse_digits(value).ok_or(EXPECT_BYTES)
}

pub(crate) fn parse_reserve(value: &str) -> Result<u64, &'static str> {
    parse_digits(value).ok_or(EXPECT_RESERVE)
}

/// A deadline in whole seconds; 0 means none.
pub(crate) fn parse_timeout(value: &str) -> Result<Duration, &'static str> {
    parse_digits::<u32>(value)
        .map(|s| Duration::from_secs(u64::from(s)))
        .ok_or(EXPECT_TIMEOUT)
}

/// `stale-nonce`: no value means coturn's 600 s; 0 means coturn's "unlimited", which the
/// server caps at an hour (`wren_turn::server::MAX_NONCE_LIFETIME`).
pub(crate) fn parse_stale_nonce(value: &str) -> Result<Duration, &'static str> {
    if value.is_empty() {
        return Ok(DEFAULT_STALE_NONCE);
    }
    parse_digits::<u32>(value)
        .map(|s| Duration::from_secs(u64::from(s)))
        .ok_or(EXPECT_STALE_NONCE)
}

/// A lifetime in whole seconds, at least 1.
pub(crate) fn parse_lifetime(value: &str) -> Result<Duration, &'static str> {
    match parse_digits::<u32>(value) {
        Some(s) if s > 0 => Ok(Duration::from_secs(u64::from(s))),
        _ => Err(EXPECT_LIFETIME),
    }
}

pub(crate) fn parse_peer_range(value: &str) -> Result<PeerRange, &'static str> {
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
pub(crate) fn to_number(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

/// The address numbered `n`, of the family of `like`.
pub(crate) fn from_number(n: u128, like: IpAddr) -> Option<IpAddr> {
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

pub(crate) fn parse_external_ip(value: &str) -> Result<ExternalIp, &'static str> {
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

pub(crate) fn parse_user(value: &str) -> Result<UserAccount, &'static str> {
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

/// One way of reading a value: what it parses to, how `--help` names it, how it prints.
pub(crate) trait Value {
    /// The parsed value.
    type Out: Clone + fmt::Debug + PartialEq + Eq + Send + Sync + 'static;
    /// The placeholder in `--help` (`PORT`, `IP`, ...).
    const VALUE_NAME: &'static str;
    /// Whether no value at all means something (coturn's `stale-nonce[=<value>]`): then the
    /// key may be given bare, and `parse("")` gives the default.
    const OPTIONAL: bool = false;
    /// Read a value (unquoted and trimmed); the error says what was expected.
    fn parse(text: &str) -> Result<Self::Out, &'static str>;
    /// Write the value so that [`Value::parse`] reads it back (secrets redacted).
    fn write(value: &Self::Out, f: &mut fmt::Formatter<'_>) -> fmt::Result;
    /// Whether wren-relay does this anyway, so that a not-yet key set to it needs no
    /// warning (`channel-lifetime=600`).
    fn honoured(_value: &Self::Out) -> bool {
        false
    }
}

/// Declares a [`Value`] type: `name => Out, "VALUE_NAME", parser, writer`.
macro_rules! value {
    ($(#[doc = $doc:literal])+ $name:ident => $out:ty, $value_name:literal, $parse:expr, $write:expr) => {
        $(#[doc = $doc])+
        #[derive(Debug)]
        pub(crate) enum $name {}

        impl Value for $name {
            type Out = $out;
            const VALUE_NAME: &'static str = $value_name;

            fn parse(text: &str) -> Result<$out, &'static str> {
                $parse(text)
            }

            fn write(value: &$out, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                $write(value, f)
            }
        }
    };
}

/// Writes a value as it displays.
fn plain<T: fmt::Display>(value: &T, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(f, "{value}")
}

/// Writes text in double quotes (which the file parser removes).
fn quoted<T: fmt::Display + ?Sized>(value: &T, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(f, "\"{value}\"")
}

/// Writes a duration in whole seconds.
fn seconds(value: &Duration, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(f, "{}", value.as_secs())
}

/// Any text, as given.
fn text(value: &str) -> Result<String, &'static str> {
    Ok(value.to_owned())
}

/// Any path, as given.
fn path(value: &str) -> Result<PathBuf, &'static str> {
    Ok(PathBuf::from(value))
}

value!(
    /// A port, 0 to 65535 (0 lets the OS choose).
    Port => u16, "PORT", parse_port, plain
);
value!(
    /// A relay port, 1 to 65535.
    RelayPort => u16, "PORT", parse_relay_port, plain
);
value!(
    /// An IPv4 or IPv6 address (IPv6 optionally in brackets).
    Ip => IpAddr, "IP", parse_ip, plain
);
value!(
    /// An address of this host clients are told: not 0.0.0.0 or ::.
    RelayIp => IpAddr, "IP", parse_relay_ip, plain
);
value!(
    /// `public[/private]`.
    PublicIp => ExternalIp, "PUBLIC[/PRIVATE]", parse_external_ip, plain
);
value!(
    /// An address, a range `first-last` or a prefix `address/length`.
    PeerIp => PeerRange, "IP[-IP]", parse_peer_range, plain
);
value!(
    /// `name:password` or `name:0x<key>`; prints the name only.
    Account => UserAccount, "NAME:PASSWORD", parse_user,
    |user: &UserAccount, f: &mut fmt::Formatter<'_>| write!(f, "{}:<redacted>", user.name)
);
value!(
    /// A shared secret; never printed.
    SharedSecret => Secret, "SECRET", |v: &str| Ok(Secret(v.to_owned())),
    |_: &Secret, f: &mut fmt::Formatter<'_>| f.write_str("<redacted>")
);
value!(
    /// A count of allocations up to 4294967295 (0: no limit).
    Quota => u32, "NUMBER", parse_quota, plain
);
value!(
    /// A cap per allocation, 1 to 65535.
    Cap => usize, "NUMBER", parse_cap, plain
);
value!(
    /// Bytes per second (0: no limit).
    Bps => u64, "BYTES", parse_bps, plain
);
value!(
    /// Seconds, from 1 to 4294967295.
    Lifetime => Duration, "SECONDS", parse_lifetime, seconds
);

value!(
    /// A count of connections (0: no limit).
    Count => u64, "NUMBER", parse_count, plain
);

value!(
    /// Seconds up to 4294967295 (0: no deadline).
    Timeout => Duration, "SECONDS", parse_timeout, seconds
);

value!(
    /// Bytes (0: no limit).
    Bytes => u64, "BYTES", parse_bytes, plain
);

value!(
    /// Descriptors kept in reserve (0: none).
    Reserve => u64, "NUMBER", parse_reserve, plain
);
value!(
    /// A realm.
    Realm => String, "REALM", text, |v: &String, f: &mut fmt::Formatter<'_>| quoted(v, f)
);
value!(
    /// A server name.
    Name => String, "NAME", text, |v: &String, f: &mut fmt::Formatter<'_>| quoted(v, f)
);
value!(
    /// A log file path, or coturn's `stdout`/`syslog`.
    LogFile => String, "FILE", text, |v: &String, f: &mut fmt::Formatter<'_>| quoted(v, f)
);
value!(
    /// A file path.
    File => PathBuf, "FILE", path,
    |v: &PathBuf, f: &mut fmt::Formatter<'_>| quoted(&v.display(), f)
);

/// `stale-nonce[=<seconds>]`: no value means 600 s, 0 means the longest a nonce lives (3600 s).
#[derive(Debug)]
pub(crate) enum StaleNonce {}

impl Value for StaleNonce {
    type Out = Duration;
    const VALUE_NAME: &'static str = "SECONDS";
    const OPTIONAL: bool = true;

    fn parse(text: &str) -> Result<Duration, &'static str> {
        parse_stale_nonce(text)
    }

    fn write(value: &Duration, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        seconds(value, f)
    }
}

/// A channel binding lifetime: only RFC 8656's is served, so only another value warns.
#[derive(Debug)]
pub(crate) enum ChannelLifetime {}

impl Value for ChannelLifetime {
    type Out = Duration;
    const VALUE_NAME: &'static str = "SECONDS";

    fn parse(text: &str) -> Result<Duration, &'static str> {
        parse_lifetime(text)
    }

    fn write(value: &Duration, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        seconds(value, f)
    }

    fn honoured(value: &Duration) -> bool {
        *value == CHANNEL_LIFETIME
    }
}

/// A permission lifetime: only RFC 8656's is served, so only another value warns.
#[derive(Debug)]
pub(crate) enum PermissionLifetime {}

impl Value for PermissionLifetime {
    type Out = Duration;
    const VALUE_NAME: &'static str = "SECONDS";

    fn parse(text: &str) -> Result<Duration, &'static str> {
        parse_lifetime(text)
    }

    fn write(value: &Duration, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        seconds(value, f)
    }

    fn honoured(value: &Duration) -> bool {
        *value == PERMISSION_LIFETIME
    }
}
