//! Which addresses a peer on another network can reach: private (RFC 1918, RFC 4193
//! `fc00::/7`), shared (RFC 6598 `100.64.0.0/10`), loopback, link-local (RFC 3927, RFC 4291
//! `fe80::/10`) and mDNS `.local` names (RFC 6762) are only reachable nearby.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// How far an address of a description reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// A public address (or a DNS name other than `.local`).
    Public,
    /// RFC 1918 (IPv4) or a unique local address `fc00::/7` (RFC 4193).
    Private,
    /// The shared address space of carrier-grade NAT, `100.64.0.0/10` (RFC 6598).
    Shared,
    /// `127.0.0.0/8` or `::1`: this host only.
    Loopback,
    /// `169.254.0.0/16` or `fe80::/10`: this link only.
    LinkLocal,
    /// An mDNS name (`.local`, RFC 6762), which browsers use to hide host addresses.
    Mdns,
    /// `0.0.0.0` or `::`: JSEP's placeholder in `c=` (RFC 9429 s5.2.1), no address at all.
    Unspecified,
}

impl Reach {
    /// Whether a peer on another network can send to it.
    #[must_use]
    pub fn is_public(self) -> bool {
        self == Reach::Public
    }

    /// Whether it is an address at all (not the placeholder `0.0.0.0`).
    #[must_use]
    pub fn is_address(self) -> bool {
        self != Reach::Unspecified
    }
}

impl fmt::Display for Reach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reach::Public => "public",
            Reach::Private => "private",
            Reach::Shared => "carrier-grade NAT",
            Reach::Loopback => "loopback",
            Reach::LinkLocal => "link-local",
            Reach::Mdns => "mDNS",
            Reach::Unspecified => "unspecified",
        })
    }
}

/// How far `ip` reaches.
#[must_use]
pub fn of_ip(ip: IpAddr) -> Reach {
    match ip {
        IpAddr::V4(v4) => of_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => of_v4(v4),
            None => of_v6(v6),
        },
    }
}

fn of_v4(ip: Ipv4Addr) -> Reach {
    let o = ip.octets();
    if ip.is_unspecified() {
        Reach::Unspecified
    } else if ip.is_loopback() {
        Reach::Loopback
    } else if ip.is_link_local() {
        Reach::LinkLocal
    } else if ip.is_private() {
        Reach::Private
    } else if o[0] == 100 && o[1] & 0xc0 == 64 {
        Reach::Shared
    } else {
        Reach::Public
    }
}

fn of_v6(ip: Ipv6Addr) -> Reach {
    let first = ip.segments()[0];
    if ip.is_unspecified() {
        Reach::Unspecified
    } else if ip.is_loopback() {
        Reach::Loopback
    } else if first & 0xffc0 == 0xfe80 {
        Reach::LinkLocal
    } else if first & 0xfe00 == 0xfc00 {
        Reach::Private
    } else {
        Reach::Public
    }
}

/// How far the address or name `text` reaches (a `c=` address or a candidate's).
#[must_use]
pub fn of_text(text: &str) -> Reach {
    // c= may carry a multicast TTL or count after `/`: the address is before it.
    let host = text.split('/').next().unwrap_or(text);
    match host.parse::<IpAddr>() {
        Ok(ip) => of_ip(ip),
        Err(_) if host.to_ascii_lowercase().ends_with(".local") => Reach::Mdns,
        Err(_) => Reach::Public,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_range_is_told_apart() {
        for (text, reach) in [
            ("10.1.2.3", Reach::Private),
            ("172.16.0.1", Reach::Private),
            ("172.32.0.1", Reach::Public),
            ("192.168.1.5", Reach::Private),
            ("100.64.0.1", Reach::Shared),
            ("100.128.0.1", Reach::Public),
            ("127.0.0.1", Reach::Loopback),
            ("169.254.10.1", Reach::LinkLocal),
            ("0.0.0.0", Reach::Unspecified),
            ("203.0.113.7", Reach::Public),
            ("fd00::2", Reach::Private),
            ("fc00::1", Reach::Private),
            ("fe80::1", Reach::LinkLocal),
            ("::1", Reach::Loopback),
            ("::", Reach::Unspecified),
            ("::ffff:192.168.0.1", Reach::Private),
            ("2001:db8::1", Reach::Public),
            ("3c2b2a1f-7a0e-4d5c-9f9b-0a1b2c3d4e5f.local", Reach::Mdns),
            ("ABC.LOCAL", Reach::Mdns),
            ("turn.example.org", Reach::Public),
            ("224.2.1.1/127", Reach::Public),
        ] {
            assert_eq!(of_text(text), reach, "{text}");
        }
    }
}
