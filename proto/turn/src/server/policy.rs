//! Which peer addresses a relay may send to (RFC 8656 section 21.1, "Relaying to unintended
//! destinations"): by default nothing on the server's own network, overridable with allow
//! and deny lists as coturn's `allowed-peer-ip` / `denied-peer-ip` are.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// An inclusive range of addresses of one family (`10.0.0.1-10.0.0.255`, one address, or a
/// CIDR prefix such as `192.168.0.0/16`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpRange {
    first: IpAddr,
    last: IpAddr,
}

/// Why an address range did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an address, a range 'a-b' of one family, or a prefix 'a/n'")]
pub struct IpRangeError(pub String);

impl IpRange {
    /// The range from `first` to `last` (both included), if they are of one family and in order.
    #[must_use]
    pub fn new(first: IpAddr, last: IpAddr) -> Option<IpRange> {
        let ordered = match (first, last) {
            (IpAddr::V4(a), IpAddr::V4(b)) => a <= b,
            (IpAddr::V6(a), IpAddr::V6(b)) => a <= b,
            _ => false,
        };
        ordered.then_some(IpRange { first, last })
    }

    /// One address.
    #[must_use]
    pub fn single(ip: IpAddr) -> IpRange {
        IpRange {
            first: ip,
            last: ip,
        }
    }

    /// A CIDR prefix.
    #[must_use]
    pub fn prefix(ip: IpAddr, len: u8) -> Option<IpRange> {
        match ip {
            IpAddr::V4(a) if len <= 32 => {
                let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
                let base = u32::from(a) & mask;
                Some(IpRange {
                    first: IpAddr::V4(Ipv4Addr::from(base)),
                    last: IpAddr::V4(Ipv4Addr::from(base | !mask)),
                })
            }
            IpAddr::V6(a) if len <= 128 => {
                let mask = if len == 0 {
                    0
                } else {
                    u128::MAX << (128 - len)
                };
                let base = u128::from(a) & mask;
                Some(IpRange {
                    first: IpAddr::V6(Ipv6Addr::from(base)),
                    last: IpAddr::V6(Ipv6Addr::from(base | !mask)),
                })
            }
            _ => None,
        }
    }

    /// Whether `ip` lies in the range (an IPv4-mapped IPv6 address counts as IPv4).
    #[must_use]
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.first, self.last, ip) {
            (IpAddr::V4(a), IpAddr::V4(b), IpAddr::V4(x)) => a <= x && x <= b,
            (IpAddr::V6(a), IpAddr::V6(b), IpAddr::V6(x)) => a <= x && x <= b,
            _ => false,
        }
    }
}

impl FromStr for IpRange {
    type Err = IpRangeError;

    fn from_str(s: &str) -> Result<IpRange, IpRangeError> {
        let err = || IpRangeError(s.to_owned());
        let s = s.trim();
        if let Some((a, b)) = s.split_once('-') {
            let a = a.trim().parse().map_err(|_| err())?;
            let b = b.trim().parse().map_err(|_| err())?;
            return IpRange::new(a, b).ok_or_else(err);
        }
        if let Some((a, n)) = s.split_once('/') {
            let a = a.trim().parse().map_err(|_| err())?;
            let n = n.trim().parse().map_err(|_| err())?;
            return IpRange::prefix(a, n).ok_or_else(err);
        }
        s.parse().map(IpRange::single).map_err(|_| err())
    }
}

/// An IPv4-mapped IPv6 address as IPv4; anything else unchanged.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// What kind of address a refused peer is, for the log and the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Refusal {
    /// 127.0.0.0/8 or ::1 (allowed with `allow_loopback`).
    Loopback,
    /// 0.0.0.0, :: and 0.0.0.0/8.
    Unspecified,
    /// Multicast and broadcast (allowed with `allow_multicast`).
    Multicast,
    /// 169.254.0.0/16, fe80::/10.
    LinkLocal,
    /// 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7.
    Private,
    /// Other special-purpose ranges (documentation, benchmarking, reserved).
    Reserved,
    /// A `denied-peer-ip` range.
    Denied,
}

/// The relay's peer address policy.
///
/// Order of decision: an address in a deny range is refused; an address in an allow range is
/// allowed; otherwise the defaults refuse the special-purpose classes of [`Refusal`] (unless
/// switched on with `allow_loopback` / `allow_multicast`) and allow the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerPolicy {
    /// Ranges always allowed (coturn's `allowed-peer-ip`).
    pub allow: Vec<IpRange>,
    /// Ranges always refused (coturn's `denied-peer-ip`), stronger than `allow`.
    pub deny: Vec<IpRange>,
    /// Allow loopback peers (coturn's `allow-loopback-peers`; tests on one host need it).
    pub allow_loopback: bool,
    /// Allow multicast peers (coturn allows them unless `no-multicast-peers`).
    pub allow_multicast: bool,
}

impl PeerPolicy {
    /// `Ok` when the relay may send to `ip`, or why not.
    pub fn check(&self, ip: IpAddr) -> Result<(), Refusal> {
        let ip = canonical(ip);
        if self.deny.iter().any(|r| r.contains(ip)) {
            return Err(Refusal::Denied);
        }
        if self.allow.iter().any(|r| r.contains(ip)) {
            return Ok(());
        }
        match classify(ip) {
            None => Ok(()),
            Some(Refusal::Loopback) if self.allow_loopback => Ok(()),
            Some(Refusal::Multicast) if self.allow_multicast => Ok(()),
            Some(refusal) => Err(refusal),
        }
    }
}

/// The special-purpose class of `ip`, if any.
fn classify(ip: IpAddr) -> Option<Refusal> {
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            if a.is_loopback() {
                Some(Refusal::Loopback)
            } else if a.is_unspecified() || o[0] == 0 {
                Some(Refusal::Unspecified)
            } else if a.is_multicast() || a.is_broadcast() {
                Some(Refusal::Multicast)
            } else if a.is_link_local() {
                Some(Refusal::LinkLocal)
            } else if a.is_private() || (o[0] == 100 && (o[1] & 0xC0) == 64) {
                Some(Refusal::Private)
            } else if a.is_documentation()
                || (o[0] == 198 && (o[1] & 0xFE) == 18)
                || o[0] >= 240
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
            {
                Some(Refusal::Reserved)
            } else {
                None
            }
        }
        IpAddr::V6(a) => {
            let s = a.segments();
            if a.is_loopback() {
                Some(Refusal::Loopback)
            } else if a.is_unspecified() {
                Some(Refusal::Unspecified)
            } else if a.is_multicast() {
                Some(Refusal::Multicast)
            } else if (s[0] & 0xFFC0) == 0xFE80 {
                Some(Refusal::LinkLocal)
            } else if (s[0] & 0xFE00) == 0xFC00 {
                Some(Refusal::Private)
            } else if s[0] == 0x2001 && s[1] == 0x0DB8 {
                Some(Refusal::Reserved)
            } else {
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn defaults_refuse_the_local_network_and_allow_the_internet() {
        let p = PeerPolicy::default();
        for (addr, why) in [
            ("127.0.0.1", Refusal::Loopback),
            ("::1", Refusal::Loopback),
            ("::ffff:127.0.0.1", Refusal::Loopback),
            ("0.0.0.0", Refusal::Unspecified),
            ("::", Refusal::Unspecified),
            ("224.0.0.1", Refusal::Multicast),
            ("255.255.255.255", Refusal::Multicast),
            ("ff02::1", Refusal::Multicast),
            ("169.254.1.1", Refusal::LinkLocal),
            ("fe80::1", Refusal::LinkLocal),
            ("10.1.2.3", Refusal::Private),
            ("172.16.0.1", Refusal::Private),
            ("172.31.255.255", Refusal::Private),
            ("192.168.1.1", Refusal::Private),
            ("100.64.0.1", Refusal::Private),
            ("fd00::1", Refusal::Private),
            ("192.0.2.1", Refusal::Reserved),
            ("2001:db8::1", Refusal::Reserved),
        ] {
            assert_eq!(p.check(ip(addr)), Err(why), "{addr}");
        }
        for addr in ["8.8.8.8", "172.32.0.1", "100.128.0.1", "2a00:1450::1"] {
            assert_eq!(p.check(ip(addr)), Ok(()), "{addr}");
        }
    }

    #[test]
    fn switches_and_lists() {
        let p = PeerPolicy {
            allow: vec![
                "10.0.0.1-10.0.0.255".parse().unwrap(),
                "fd00::/8".parse().unwrap(),
            ],
            deny: vec!["10.0.0.7".parse().unwrap(), "8.8.0.0/16".parse().unwrap()],
            allow_loopback: true,
            allow_multicast: true,
        };
        assert_eq!(p.check(ip("127.0.0.1")), Ok(()));
        assert_eq!(p.check(ip("224.0.0.1")), Ok(()));
        assert_eq!(p.check(ip("10.0.0.5")), Ok(()));
        assert_eq!(p.check(ip("10.0.1.5")), Err(Refusal::Private));
        assert_eq!(
            p.check(ip("10.0.0.7")),
            Err(Refusal::Denied),
            "deny beats allow"
        );
        assert_eq!(p.check(ip("8.8.8.8")), Err(Refusal::Denied));
        assert_eq!(p.check(ip("fd12::1")), Ok(()));
    }

    #[test]
    fn range_syntax() {
        assert!(
            "10.0.0.9-10.0.0.1".parse::<IpRange>().is_err(),
            "out of order"
        );
        assert!("10.0.0.1-::1".parse::<IpRange>().is_err(), "mixed families");
        assert!("10.0.0.0/33".parse::<IpRange>().is_err());
        assert!("nonsense".parse::<IpRange>().is_err());
        let r: IpRange = "192.168.0.0/16".parse().unwrap();
        assert!(r.contains(ip("192.168.255.255")) && !r.contains(ip("192.169.0.0")));
        let all: IpRange = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("1.2.3.4")) && !all.contains(ip("::2")));
    }
}
