//! The typed session and media lines other than `a=` and `m=`: `o=` (RFC 8866 s5.2),
//! `c=` (s5.7), `b=` (s5.8), `t=` (s5.9).

use std::borrow::Cow;
use std::fmt;

use crate::ErrorKind;

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`
/// (RFC 8866 s5.2). JSEP (RFC 9429 s5.2.1) writes `-`, a random id and a version that each
/// new description of the session increments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin<'a> {
    /// The user's login, `-` in WebRTC.
    pub username: Cow<'a, str>,
    /// The session id (digits; at most 63 bits in JSEP).
    pub session_id: u64,
    /// The version of this description of the session.
    pub session_version: u64,
    /// `IN`.
    pub net_type: Cow<'a, str>,
    /// `IP4` or `IP6`.
    pub addr_type: Cow<'a, str>,
    /// The originator's address (`127.0.0.1` or `0.0.0.0` in browsers).
    pub address: Cow<'a, str>,
}

impl<'a> Origin<'a> {
    pub(crate) fn parse(value: &'a str) -> Result<Self, ErrorKind> {
        let mut f = value.split_ascii_whitespace();
        let mut next = |what| f.next().ok_or(ErrorKind::BadOrigin(what));
        let username = next("<username>")?;
        let session_id = next("<sess-id>")?
            .parse()
            .map_err(|_| ErrorKind::BadOrigin("a decimal <sess-id>"))?;
        let session_version = next("<sess-version>")?
            .parse()
            .map_err(|_| ErrorKind::BadOrigin("a decimal <sess-version>"))?;
        let net_type = next("<nettype>")?;
        let addr_type = next("<addrtype>")?;
        let address = next("<unicast-address>")?;
        Ok(Origin {
            username: username.into(),
            session_id,
            session_version,
            net_type: net_type.into(),
            addr_type: addr_type.into(),
            address: address.into(),
        })
    }
}

impl fmt::Display for Origin<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {} {}",
            self.username,
            self.session_id,
            self.session_version,
            self.net_type,
            self.addr_type,
            self.address
        )
    }
}

/// `c=<nettype> <addrtype> <connection-address>` (RFC 8866 s5.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection<'a> {
    /// `IN`.
    pub net_type: Cow<'a, str>,
    /// `IP4` or `IP6`.
    pub addr_type: Cow<'a, str>,
    /// The address, with `/ttl` or `/count` if the line had them.
    pub address: Cow<'a, str>,
}

impl<'a> Connection<'a> {
    pub(crate) fn parse(value: &'a str) -> Result<Self, ErrorKind> {
        let mut f = value.split_ascii_whitespace();
        match (f.next(), f.next(), f.next(), f.next()) {
            (Some(n), Some(a), Some(addr), None) => Ok(Connection {
                net_type: n.into(),
                addr_type: a.into(),
                address: addr.into(),
            }),
            _ => Err(ErrorKind::BadConnection),
        }
    }
}

impl fmt::Display for Connection<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.net_type, self.addr_type, self.address)
    }
}

/// `b=<bwtype>:<bandwidth>` (RFC 8866 s5.8): `AS` or `TIAS` (RFC 3890) in WebRTC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bandwidth<'a> {
    /// `AS`, `CT`, `TIAS`, ...
    pub kind: Cow<'a, str>,
    /// The value (kbit/s for AS and CT, bit/s for TIAS).
    pub value: u64,
}

impl<'a> Bandwidth<'a> {
    pub(crate) fn parse(value: &'a str) -> Result<Self, ErrorKind> {
        let (kind, v) = value.split_once(':').ok_or(ErrorKind::BadBandwidth)?;
        if kind.is_empty() || kind.contains(char::is_whitespace) {
            return Err(ErrorKind::BadBandwidth);
        }
        Ok(Bandwidth {
            kind: kind.into(),
            value: crate::parse::number(v).ok_or(ErrorKind::BadBandwidth)?,
        })
    }
}

impl fmt::Display for Bandwidth<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.value)
    }
}

/// `t=<start-time> <stop-time>` (RFC 8866 s5.9); `t=0 0` in WebRTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timing {
    /// NTP seconds, 0 for an unbounded session.
    pub start: u64,
    /// NTP seconds, 0 for an unbounded session.
    pub stop: u64,
}

impl Timing {
    pub(crate) fn parse(value: &str) -> Result<Self, ErrorKind> {
        let mut f = value.split_ascii_whitespace();
        match (f.next(), f.next(), f.next()) {
            (Some(a), Some(b), None) => Ok(Timing {
                start: crate::parse::number(a).ok_or(ErrorKind::BadTiming)?,
                stop: crate::parse::number(b).ok_or(ErrorKind::BadTiming)?,
            }),
            _ => Err(ErrorKind::BadTiming),
        }
    }
}

impl fmt::Display for Timing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.start, self.stop)
    }
}
