//! STUN and TURN server URIs: `stun:`/`stuns:` (RFC 7064) and `turn:`/`turns:` (RFC 7065).
//!
//! ```text
//! stunURI = scheme ":" host [ ":" port ]                      ; scheme = "stun" / "stuns"
//! turnURI = scheme ":" host [ ":" port ] [ "?transport=" transport ]
//!                                                             ; scheme = "turn" / "turns"
//! host    = IP-literal / IPv4address / reg-name               ; RFC 3986
//! ```
//!
//! As `RTCIceServer` does, a `stun:` URI takes no query, and `?transport=` is `udp` or
//! `tcp`. Default ports are 3478 (`stun:`, `turn:`) and 5349 (`stuns:`, `turns:`). Schemes
//! and the transport are case-insensitive; `%XX` escapes of a host name are decoded.
//! Parsing never panics: every fault is a [`UriError`].

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// The default port of `stun:` and `turn:` (RFC 7064 section 3.2, RFC 7065 section 3).
pub const DEFAULT_PORT: u16 = 3478;
/// The default port of `stuns:` and `turns:`.
pub const DEFAULT_TLS_PORT: u16 = 5349;

/// The URI scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `stun:`: a Binding request over UDP.
    Stun,
    /// `stuns:`: a Binding request over TLS.
    Stuns,
    /// `turn:`: an Allocate over UDP or TCP.
    Turn,
    /// `turns:`: an Allocate over TLS.
    Turns,
}

impl Scheme {
    /// The scheme's name, as written before the colon.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Stun => "stun",
            Scheme::Stuns => "stuns",
            Scheme::Turn => "turn",
            Scheme::Turns => "turns",
        }
    }

    /// Whether this is a TURN scheme (an allocation, with credentials).
    #[must_use]
    pub fn is_turn(self) -> bool {
        matches!(self, Scheme::Turn | Scheme::Turns)
    }
}

/// How the probe reaches the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UriTransport {
    /// UDP datagrams.
    Udp,
    /// A TCP connection, messages framed as RFC 8489 section 6.2.2 says.
    Tcp,
    /// TLS over a TCP connection.
    Tls,
}

impl UriTransport {
    /// A short name (`udp`, `tcp`, `tls`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            UriTransport::Udp => "udp",
            UriTransport::Tcp => "tcp",
            UriTransport::Tls => "tls",
        }
    }
}

/// The server's host: an IP address, or a name to resolve.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// An IPv4 address or a bracketed IPv6 address.
    Ip(IpAddr),
    /// A registered name (percent-escapes decoded).
    Name(String),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
            Host::Ip(IpAddr::V4(ip)) => write!(f, "{ip}"),
            Host::Name(name) => f.write_str(name),
        }
    }
}

/// A parsed STUN or TURN URI.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IceUri {
    /// The scheme.
    pub scheme: Scheme,
    /// The host.
    pub host: Host,
    /// The port (the scheme's default when the URI gives none).
    pub port: u16,
    /// The transport to the server.
    pub transport: UriTransport,
}

impl fmt::Display for IceUri {
    /// The canonical form: scheme, host, explicit port, and `?transport=tcp` for TCP TURN.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.scheme.name(), self.host, self.port)?;
        if self.scheme == Scheme::Turn && self.transport == UriTransport::Tcp {
            f.write_str("?transport=tcp")?;
        }
        Ok(())
    }
}

/// Why a URI was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UriError {
    /// No `:` after the scheme.
    #[error("no scheme: expected stun:, stuns:, turn: or turns:")]
    MissingScheme,
    /// A scheme other than the four.
    #[error("unknown scheme {0:?}: expected stun, stuns, turn or turns")]
    UnknownScheme(String),
    /// `//` after the colon (these URIs have no authority part).
    #[error("no \"//\" after the scheme in stun:/turn: URIs (write stun:host:port)")]
    Authority,
    /// Nothing where the host should be.
    #[error("the host is missing")]
    EmptyHost,
    /// A character that may not appear in a host name.
    #[error("host {0:?} has a character not allowed in a host name")]
    BadHost(String),
    /// A `%` not followed by two hex digits, or escapes that are not UTF-8.
    #[error("host {0:?} has a bad %-escape")]
    BadEscape(String),
    /// A bracketed host that is not an IPv6 address.
    #[error("[{0}] is not an IPv6 address")]
    BadIpv6(String),
    /// A `[` without `]`.
    #[error("unclosed '[' in the host")]
    UnclosedBracket,
    /// Something other than `:port` after `]`.
    #[error("unexpected {0:?} after the IPv6 address")]
    AfterBracket(String),
    /// A port that is not a number from 1 to 65535.
    #[error("port {0:?} is not a number from 1 to 65535")]
    BadPort(String),
    /// A query on a `stun:`/`stuns:` URI (RFC 7064 has none).
    #[error("{0}: URIs take no query (RFC 7064)")]
    StunQuery(&'static str),
    /// A query other than `transport=...`.
    #[error("unknown query {0:?}: only ?transport=udp or ?transport=tcp is allowed")]
    BadQuery(String),
    /// A transport other than `udp` and `tcp`.
    #[error("unsupported transport {0:?}: use udp or tcp")]
    UnknownTransport(String),
    /// `turns:` with `?transport=udp` (DTLS), which the probe does not speak.
    #[error("turns: over udp (DTLS) is not supported; use turns: over tcp")]
    DtlsUnsupported,
    /// A `#fragment`.
    #[error("stun:/turn: URIs take no #fragment")]
    Fragment,
}

impl FromStr for IceUri {
    type Err = UriError;

    fn from_str(s: &str) -> Result<IceUri, UriError> {
        let s = s.trim();
        let (scheme, rest) = s.split_once(':').ok_or(UriError::MissingScheme)?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "stun" => Scheme::Stun,
            "stuns" => Scheme::Stuns,
            "turn" => Scheme::Turn,
            "turns" => Scheme::Turns,
            "" => return Err(UriError::MissingScheme),
            _ => return Err(UriError::UnknownScheme(scheme.to_owned())),
        };
        if rest.starts_with("//") {
            return Err(UriError::Authority);
        }
        if rest.contains('#') {
            return Err(UriError::Fragment);
        }
        let (hostport, query) = match rest.split_once('?') {
            Some((h, q)) => (h, Some(q)),
            None => (rest, None),
        };
        let transport = transport(scheme, query)?;
        let (host, port) = host_port(hostport)?;
        let port = match port {
            Some(p) => p,
            None if matches!(scheme, Scheme::Stuns | Scheme::Turns) => DEFAULT_TLS_PORT,
            None => DEFAULT_PORT,
        };
        Ok(IceUri {
            scheme,
            host,
            port,
            transport,
        })
    }
}

/// The transport the scheme and the query ask for.
fn transport(scheme: Scheme, query: Option<&str>) -> Result<UriTransport, UriError> {
    let requested = match query {
        None => None,
        Some(_) if !scheme.is_turn() => return Err(UriError::StunQuery(scheme.name())),
        Some(q) => {
            let Some((key, value)) = q.split_once('=') else {
                return Err(UriError::BadQuery(q.to_owned()));
            };
            if !key.eq_ignore_ascii_case("transport") {
                return Err(UriError::BadQuery(q.to_owned()));
            }
            Some(match value.to_ascii_lowercase().as_str() {
                "udp" => UriTransport::Udp,
                "tcp" => UriTransport::Tcp,
                _ => return Err(UriError::UnknownTransport(value.to_owned())),
            })
        }
    };
    Ok(match (scheme, requested) {
        (Scheme::Stun, _) => UriTransport::Udp,
        (Scheme::Stuns, _) => UriTransport::Tls,
        (Scheme::Turn, t) => t.unwrap_or(UriTransport::Udp),
        (Scheme::Turns, Some(UriTransport::Udp)) => return Err(UriError::DtlsUnsupported),
        (Scheme::Turns, _) => UriTransport::Tls,
    })
}

/// Splits `host [":" port]`, with IPv6 literals in brackets.
fn host_port(s: &str) -> Result<(Host, Option<u16>), UriError> {
    if let Some(inner) = s.strip_prefix('[') {
        let (addr, after) = inner.split_once(']').ok_or(UriError::UnclosedBracket)?;
        let ip: Ipv6Addr = addr
            .parse()
            .map_err(|_| UriError::BadIpv6(addr.to_owned()))?;
        let port = match after {
            "" => None,
            _ => match after.strip_prefix(':') {
                Some(p) => port(p)?,
                None => return Err(UriError::AfterBracket(after.to_owned())),
            },
        };
        return Ok((Host::Ip(IpAddr::V6(ip)), port));
    }
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) => (h, port(p)?),
        None => (s, None),
    };
    Ok((parse_host(host)?, port))
}

/// A port: empty (the default, as RFC 3986 allows) or 1 to 65535.
fn port(s: &str) -> Result<Option<u16>, UriError> {
    if s.is_empty() {
        return Ok(None);
    }
    let bad = || UriError::BadPort(s.to_owned());
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match s.parse::<u16>() {
        Ok(0) | Err(_) => Err(bad()),
        Ok(p) => Ok(Some(p)),
    }
}

/// An IPv4 address or a reg-name (RFC 3986: unreserved, pct-encoded, sub-delims).
fn parse_host(s: &str) -> Result<Host, UriError> {
    if s.is_empty() {
        return Err(UriError::EmptyHost);
    }
    if let Ok(ip) = s.parse::<Ipv4Addr>() {
        return Ok(Host::Ip(IpAddr::V4(ip)));
    }
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=%".contains(&b);
    if !s.bytes().all(allowed) {
        return Err(UriError::BadHost(s.to_owned()));
    }
    let name = percent_decode(s).ok_or_else(|| UriError::BadEscape(s.to_owned()))?;
    if name.is_empty() {
        return Err(UriError::EmptyHost);
    }
    if name.chars().any(|c| c.is_control() || c == ' ' || c == '/') {
        return Err(UriError::BadHost(s.to_owned()));
    }
    Ok(Host::Name(name))
}

/// Decodes `%XX` escapes; `None` for a broken escape or bytes that are not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests;
