//! The candidate attribute of RFC 8839 section 5.1:
//!
//! ```text
//! candidate-attribute = "candidate" ":" foundation SP component-id SP transport SP
//!                       priority SP connection-address SP port SP cand-type
//!                       [SP rel-addr] [SP rel-port] *(SP cand-extension)
//! ```
//!
//! Parsing accepts the line with or without `a=` and `candidate:`, keeps a host name (an
//! mDNS `.local` name, which the agent must resolve or ask the application about) as a name,
//! and keeps extensions it does not know in order, so [`Candidate`]'s `Display` writes back
//! what it read. Every malformed field is a typed [`CandidateError`], never a panic.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

/// The transport of a candidate.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CandidateTransport {
    /// UDP.
    Udp,
    /// TCP (RFC 6544).
    Tcp,
    /// Another transport extension token, as written.
    Other(String),
}

/// The candidate type (RFC 8445 section 5.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CandidateType {
    /// `host`.
    Host,
    /// `srflx`, server-reflexive.
    ServerReflexive,
    /// `prflx`, peer-reflexive.
    PeerReflexive,
    /// `relay`.
    Relayed,
}

impl CandidateType {
    /// The recommended type preference of RFC 8445 section 5.1.2.2: host 126,
    /// peer-reflexive 110, server-reflexive 100, relayed 0.
    #[must_use]
    pub fn type_preference(self) -> u32 {
        match self {
            CandidateType::Host => 126,
            CandidateType::PeerReflexive => 110,
            CandidateType::ServerReflexive => 100,
            CandidateType::Relayed => 0,
        }
    }

    /// The `typ` token of the candidate line (`host`, `srflx`, `prflx`, `relay`).
    #[must_use]
    pub fn token(self) -> &'static str {
        match self {
            CandidateType::Host => "host",
            CandidateType::ServerReflexive => "srflx",
            CandidateType::PeerReflexive => "prflx",
            CandidateType::Relayed => "relay",
        }
    }
}

/// The TCP candidate type (RFC 6544 section 4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TcpType {
    /// Opens connections.
    Active,
    /// Accepts connections.
    Passive,
    /// Simultaneous open.
    SimultaneousOpen,
}

impl TcpType {
    /// The `tcptype` token (`active`, `passive`, `so`).
    #[must_use]
    pub fn token(self) -> &'static str {
        match self {
            TcpType::Active => "active",
            TcpType::Passive => "passive",
            TcpType::SimultaneousOpen => "so",
        }
    }
}

/// A connection address: an IP address, or a host name such as an mDNS `.local` name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Address {
    /// An IPv4 or IPv6 address.
    Ip(IpAddr),
    /// A fully qualified domain name (for browsers, an mDNS `.local` name).
    Name(String),
}

impl Address {
    /// Whether this is an mDNS name (RFC 6762 `.local`), which only the local network resolves.
    #[must_use]
    pub fn is_mdns(&self) -> bool {
        matches!(self, Address::Name(n) if n.to_ascii_lowercase().ends_with(".local"))
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Ip(ip) => write!(f, "{ip}"),
            Address::Name(n) => f.write_str(n),
        }
    }
}

/// A parsed candidate line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The foundation (1 to 32 ice-chars).
    pub foundation: String,
    /// The component ID (1 to 256; 1 is RTP).
    pub component: u16,
    /// The transport.
    pub transport: CandidateTransport,
    /// The priority.
    pub priority: u32,
    /// The connection address.
    pub address: Address,
    /// The port.
    pub port: u16,
    /// The candidate type.
    pub kind: CandidateType,
    /// `raddr` and `rport`, the related address (base or mapped address).
    pub related: Option<(Address, u16)>,
    /// `tcptype` (RFC 6544).
    pub tcp_type: Option<TcpType>,
    /// `generation` (browsers; ICE restarts count up).
    pub generation: Option<u32>,
    /// `ufrag`, the username fragment this candidate belongs to.
    pub ufrag: Option<String>,
    /// `network-id` (browsers).
    pub network_id: Option<u32>,
    /// `network-cost` (browsers; higher is costlier).
    pub network_cost: Option<u32>,
    /// Other extensions, name and value, in order.
    pub extensions: Vec<(String, String)>,
}

impl Candidate {
    /// A candidate of `kind` at `address` and `port` over `transport` with `priority`, for
    /// component 1, with an empty foundation and no related address or extension.
    #[must_use]
    pub fn new(
        kind: CandidateType,
        transport: CandidateTransport,
        address: Address,
        port: u16,
        priority: u32,
    ) -> Candidate {
        Candidate {
            foundation: String::new(),
            component: 1,
            transport,
            priority,
            address,
            port,
            kind,
            related: None,
            tcp_type: None,
            generation: None,
            ufrag: None,
            network_id: None,
            network_cost: None,
            extensions: Vec::new(),
        }
    }

    /// [`Candidate::new`] at a socket address.
    #[must_use]
    pub fn at(
        kind: CandidateType,
        transport: CandidateTransport,
        addr: SocketAddr,
        priority: u32,
    ) -> Candidate {
        Candidate::new(
            kind,
            transport,
            Address::Ip(addr.ip()),
            addr.port(),
            priority,
        )
    }

    /// This candidate with `raddr`/`rport` set to `related` (the base of a reflexive
    /// candidate, the mapped address of a relayed one).
    #[must_use]
    pub fn with_related(mut self, related: SocketAddr) -> Candidate {
        self.related = Some((Address::Ip(related.ip()), related.port()));
        self
    }
}

/// A candidate's priority (RFC 8445 section 5.1.2.1):
/// `2^24 * type preference + 2^8 * local preference + (256 - component)`.
///
/// `local_preference` is 0 to 65535 (higher is preferred; RFC 8421 gives its use across
/// interfaces and address families); `component` is 1 to 256. Values outside are clamped.
///
/// ```
/// use wren_ice::candidate::{priority, CandidateType};
/// // A host candidate with the highest local preference, component 1 (RTP):
/// assert_eq!(priority(CandidateType::Host, 65535, 1), 2_130_706_431);
/// ```
#[must_use]
pub fn priority(kind: CandidateType, local_preference: u32, component: u16) -> u32 {
    let local = local_preference.min(65535);
    let component = u32::from(component.clamp(1, 256));
    (kind.type_preference() << 24) + (local << 8) + (256 - component)
}

/// Which part of a candidate line a [`CandidateError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Field {
    /// The `candidate:` prefix.
    Prefix,
    /// The foundation.
    Foundation,
    /// The component ID.
    Component,
    /// The transport.
    Transport,
    /// The priority.
    Priority,
    /// The connection address.
    Address,
    /// The port.
    Port,
    /// `typ` and the candidate type.
    Type,
    /// `raddr`.
    RelatedAddress,
    /// `rport`.
    RelatedPort,
    /// An extension (its value is missing or malformed).
    Extension,
}

/// Why a line is not a candidate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CandidateError {
    /// A required field is missing.
    #[error("candidate line ends before its {0:?}")]
    Missing(Field),
    /// A field's value is malformed.
    #[error("candidate {field:?} '{value}' is malformed")]
    Malformed {
        /// Which field.
        field: Field,
        /// What was there.
        value: String,
    },
}

fn malformed(field: Field, value: &str) -> CandidateError {
    CandidateError::Malformed {
        field,
        value: value.to_owned(),
    }
}

fn is_ice_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '+' || c == '/'
}

fn parse_address(s: &str, field: Field) -> Result<Address, CandidateError> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(Address::Ip(ip));
    }
    let name_ok = !s.is_empty()
        && s.len() <= 253
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_');
    if name_ok {
        Ok(Address::Name(s.to_owned()))
    } else {
        Err(malformed(field, s))
    }
}

fn number<T: FromStr>(s: &str, field: Field) -> Result<T, CandidateError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed(field, s));
    }
    s.parse().map_err(|_| malformed(field, s))
}

impl FromStr for Candidate {
    type Err = CandidateError;

    fn from_str(line: &str) -> Result<Candidate, CandidateError> {
        let line = line.trim();
        let line = line.strip_prefix("a=").unwrap_or(line);
        let Some(rest) = line.strip_prefix("candidate:") else {
            return Err(malformed(
                Field::Prefix,
                line.split(' ').next().unwrap_or(""),
            ));
        };
        let mut it = rest.split(' ').filter(|t| !t.is_empty());
        let mut next = |field| it.next().ok_or(CandidateError::Missing(field));

        let foundation = next(Field::Foundation)?;
        if foundation.len() > 32 || !foundation.chars().all(is_ice_char) {
            return Err(malformed(Field::Foundation, foundation));
        }
        let component: u16 = number(next(Field::Component)?, Field::Component)?;
        if !(1..=256).contains(&component) {
            return Err(malformed(Field::Component, &component.to_string()));
        }
        let transport = match next(Field::Transport)? {
            t if t.eq_ignore_ascii_case("udp") => CandidateTransport::Udp,
            t if t.eq_ignore_ascii_case("tcp") => CandidateTransport::Tcp,
            t if t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => {
                CandidateTransport::Other(t.to_owned())
            }
            t => return Err(malformed(Field::Transport, t)),
        };
        let priority = number(next(Field::Priority)?, Field::Priority)?;
        let address = parse_address(next(Field::Address)?, Field::Address)?;
        let port = number(next(Field::Port)?, Field::Port)?;
        let typ = next(Field::Type)?;
        if typ != "typ" {
            return Err(malformed(Field::Type, typ));
        }
        let kind = match next(Field::Type)? {
            "host" => CandidateType::Host,
            "srflx" => CandidateType::ServerReflexive,
            "prflx" => CandidateType::PeerReflexive,
            "relay" => CandidateType::Relayed,
            other => return Err(malformed(Field::Type, other)),
        };
        let mut c = Candidate::new(kind, transport, address, port, priority);
        c.foundation = foundation.to_owned();
        c.component = component;
        let mut raddr = None;
        while let Some(name) = it.next() {
            let value = it.next().ok_or(CandidateError::Missing(Field::Extension))?;
            // RFC 8839's extension names and values are non-whitespace strings: a tab, a
            // line break or another control inside one is not a candidate line.
            for token in [name, value] {
                if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
                    return Err(malformed(Field::Extension, token));
                }
            }
            match name {
                "raddr" => raddr = Some(parse_address(value, Field::RelatedAddress)?),
                "rport" => {
                    let rport = number(value, Field::RelatedPort)?;
                    let addr = raddr
                        .take()
                        .ok_or(CandidateError::Missing(Field::RelatedAddress))?;
                    c.related = Some((addr, rport));
                }
                "tcptype" => {
                    c.tcp_type = Some(match value {
                        "active" => TcpType::Active,
                        "passive" => TcpType::Passive,
                        "so" => TcpType::SimultaneousOpen,
                        other => return Err(malformed(Field::Extension, other)),
                    });
                }
                "generation" => c.generation = Some(number(value, Field::Extension)?),
                "network-id" => c.network_id = Some(number(value, Field::Extension)?),
                "network-cost" => c.network_cost = Some(number(value, Field::Extension)?),
                "ufrag" => c.ufrag = Some(value.to_owned()),
                other => c.extensions.push((other.to_owned(), value.to_owned())),
            }
        }
        if raddr.is_some() {
            return Err(CandidateError::Missing(Field::RelatedPort));
        }
        Ok(c)
    }
}

impl fmt::Display for Candidate {
    /// Writes the attribute value (`candidate:...`, without `a=`), extensions in a fixed
    /// order (raddr/rport, tcptype, generation, ufrag, network-id, network-cost, then the
    /// others as read), which is the order browsers use.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let transport = match &self.transport {
            CandidateTransport::Udp => "udp",
            CandidateTransport::Tcp => "tcp",
            CandidateTransport::Other(t) => t,
        };
        write!(
            f,
            "candidate:{} {} {} {} {} {} typ {}",
            self.foundation,
            self.component,
            transport,
            self.priority,
            self.address,
            self.port,
            self.kind.token()
        )?;
        if let Some((addr, port)) = &self.related {
            write!(f, " raddr {addr} rport {port}")?;
        }
        if let Some(t) = self.tcp_type {
            write!(f, " tcptype {}", t.token())?;
        }
        if let Some(g) = self.generation {
            write!(f, " generation {g}")?;
        }
        if let Some(u) = &self.ufrag {
            write!(f, " ufrag {u}")?;
        }
        if let Some(n) = self.network_id {
            write!(f, " network-id {n}")?;
        }
        if let Some(n) = self.network_cost {
            write!(f, " network-cost {n}")?;
        }
        for (name, value) in &self.extensions {
            write!(f, " {name} {value}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
