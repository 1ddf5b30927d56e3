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

/// Most IPv4 addresses one IPv6 address can carry ([`Forms`]).
const MAX_EMBEDDED: usize = 2;

/// Every form an address stands for: itself (an IPv4-mapped address as its IPv4 address)
/// and the IPv4 addresses embedded in it by a translation or tunnelling scheme, which a
/// dual-stack relay reaches through that IPv6 spelling (finding 4 of issue 9). A peer is
/// allowed only when every form is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forms {
    own: IpAddr,
    embedded: [Option<Ipv4Addr>; MAX_EMBEDDED],
}

impl Forms {
    /// The forms of `ip`. The prefixes unwrapped:
    ///
    /// - IPv4-mapped `::ffff:0:0/96` (RFC 4291 section 2.5.5.2): the IPv4 address itself;
    /// - IPv4-compatible `::/96` (RFC 4291 section 2.5.5.1, deprecated), except `::` and `::1`;
    /// - SIIT `::ffff:0:0:0/96` (RFC 2765 section 2.1, `::ffff:0:a00:1`);
    /// - NAT64 well-known prefix `64:ff9b::/96` (RFC 6052 section 2.1);
    /// - NAT64 local-use prefix `64:ff9b:1::/48` (RFC 8215): with the /48 layout of RFC 6052
    ///   section 2.2 (IPv4 octets in bits 48..64 and 72..88, the u-octet, bits 64..72,
    ///   skipped) and with the /96 layout (bits 96..128), since the domain picks its prefix
    ///   length; a layout that gives `0.0.0.0` is left out unless both do;
    /// - 6to4 `2002::/16` (RFC 3056 section 2): the IPv4 address in bits 16..48;
    /// - Teredo `2001::/32` (RFC 4380 section 4): the server's IPv4 address in bits 32..64
    ///   and the client's in bits 96..128, inverted.
    #[must_use]
    pub fn of(ip: IpAddr) -> Forms {
        let v6 = match ip {
            IpAddr::V4(_) => {
                return Forms {
                    own: ip,
                    embedded: [None; MAX_EMBEDDED],
                };
            }
            IpAddr::V6(v6) => v6,
        };
        if let Some(v4) = v6.to_ipv4_mapped() {
            return Forms {
                own: IpAddr::V4(v4),
                embedded: [None; MAX_EMBEDDED],
            };
        }
        let b = v6.octets();
        let v4 = |o: [u8; 4]| Some(Ipv4Addr::from(o));
        let low = [b[12], b[13], b[14], b[15]];
        let compatible = b[..12] == [0; 12] && u32::from_be_bytes(low) > 1;
        let siit = b[..12] == [0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0];
        let nat64 = b[..12] == [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0];
        let embedded = if compatible || siit || nat64 {
            [v4(low), None]
        } else if b[..6] == [0, 0x64, 0xff, 0x9b, 0, 1] {
            let l48 = Ipv4Addr::from([b[6], b[7], b[9], b[10]]);
            let l96 = Ipv4Addr::from(low);
            match (l48.is_unspecified(), l96.is_unspecified()) {
                (false, true) => [Some(l48), None],
                (true, false) => [Some(l96), None],
                _ => [Some(l48), Some(l96)],
            }
        } else if b[..2] == [0x20, 0x02] {
            [v4([b[2], b[3], b[4], b[5]]), None]
        } else if b[..4] == [0x20, 0x01, 0, 0] {
            let client = u32::from_be_bytes(low) ^ u32::MAX;
            [v4([b[4], b[5], b[6], b[7]]), Some(Ipv4Addr::from(client))]
        } else {
            [None; MAX_EMBEDDED]
        };
        Forms { own: ip, embedded }
    }

    /// The address itself (an IPv4-mapped address as IPv4), then each embedded IPv4 address.
    pub fn iter(&self) -> impl Iterator<Item = IpAddr> + '_ {
        std::iter::once(self.own).chain(self.embedded.iter().flatten().map(|a| IpAddr::V4(*a)))
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
    /// Multicast and broadcast. `allow_multicast` lets multicast through except link-local
    /// multicast (224.0.0.0/24, ff02::/16) and the limited broadcast 255.255.255.255, which
    /// only an allow range lets through.
    Multicast,
    /// 169.254.0.0/16, fe80::/10.
    LinkLocal,
    /// 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7, and the deprecated site-local
    /// fec0::/10 (RFC 3879).
    Private,
    /// Other special-purpose ranges (documentation, benchmarking, reserved, the discard
    /// prefix 100::/64 of RFC 6666).
    Reserved,
    /// A `denied-peer-ip` range.
    Denied,
    /// One of the relay's own listening addresses (TURN through TURN would hide the real
    /// client); the server checks it, with the port ([`super::Config::listening`]).
    OwnAddress,
}

impl Refusal {
    /// Every refusal, in the order of [`Refusal::index`] (for counters by reason).
    pub const ALL: [Refusal; 8] = [
        Refusal::Loopback,
        Refusal::Unspecified,
        Refusal::Multicast,
        Refusal::LinkLocal,
        Refusal::Private,
        Refusal::Reserved,
        Refusal::Denied,
        Refusal::OwnAddress,
    ];

    /// The position of this refusal in [`Refusal::ALL`].
    #[must_use]
    pub fn index(self) -> usize {
        match self {
            Refusal::Loopback => 0,
            Refusal::Unspecified => 1,
            Refusal::Multicast => 2,
            Refusal::LinkLocal => 3,
            Refusal::Private => 4,
            Refusal::Reserved => 5,
            Refusal::Denied => 6,
            Refusal::OwnAddress => 7,
        }
    }

    /// A short name for logs and metric labels.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Refusal::Loopback => "loopback",
            Refusal::Unspecified => "unspecified",
            Refusal::Multicast => "multicast",
            Refusal::LinkLocal => "link_local",
            Refusal::Private => "private",
            Refusal::Reserved => "reserved",
            Refusal::Denied => "denied",
            Refusal::OwnAddress => "own_address",
        }
    }
}

/// The relay's peer address policy.
///
/// Every check runs on each of the address's [`Forms`]: the address itself (an IPv4-mapped
/// address as IPv4) and every IPv4 address embedded in an IPv6 spelling (NAT64, 6to4, Teredo,
/// SIIT, IPv4-compatible), so `64:ff9b::a9fe:a9fe` is refused as `169.254.169.254` is, and a
/// deny range of IPv4 addresses covers every IPv6 spelling of them.
///
/// Order of decision: an address with a form in a deny range is refused; then each form must
/// pass: a form in an allow range passes; otherwise the defaults refuse the special-purpose
/// classes of [`Refusal`] (unless switched on with `allow_loopback` / `allow_multicast`;
/// link-local multicast and the limited broadcast stay refused) and let the rest pass.
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
        let forms = Forms::of(ip);
        if forms
            .iter()
            .any(|f| self.deny.iter().any(|r| r.contains(f)))
        {
            return Err(Refusal::Denied);
        }
        forms.iter().try_for_each(|f| self.check_form(f))
    }

    /// The allow list and the classes, for one form.
    fn check_form(&self, ip: IpAddr) -> Result<(), Refusal> {
        if self.allow.iter().any(|r| r.contains(ip)) {
            return Ok(());
        }
        match classify(ip) {
            None => Ok(()),
            Some(Refusal::Loopback) if self.allow_loopback => Ok(()),
            Some(Refusal::Multicast) if self.allow_multicast && !always_refused(ip) => Ok(()),
            Some(refusal) => Err(refusal),
        }
    }
}

/// Link-local multicast (224.0.0.0/24, ff02::/16) and the limited broadcast: refused even
/// when multicast peers are allowed (nothing past the relay's own link listens there).
fn always_refused(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => a.is_broadcast() || a.octets()[..3] == [224, 0, 0],
        IpAddr::V6(a) => a.segments()[0] == 0xff02,
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
            } else if (s[0] & 0xFE00) == 0xFC00 || (s[0] & 0xFFC0) == 0xFEC0 {
                Some(Refusal::Private)
            } else if (s[0] == 0x2001 && s[1] == 0x0DB8) || s[..4] == [0x100, 0, 0, 0] {
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
        // Was 224.0.0.1 (link-local multicast), which issue 9 refuses even with multicast
        // allowed (see `link_local_multicast_and_broadcast_stay_refused`).
        assert_eq!(p.check(ip("239.255.255.250")), Ok(()));
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

    /// Every IPv6 spelling of a refused IPv4 address listed in issue 9 (finding 4), and a few
    /// more of each scheme, with the class of the address it hides.
    const SPELLINGS: &[(&str, Refusal)] = &[
        ("::ffff:127.0.0.1", Refusal::Loopback),
        ("::127.0.0.1", Refusal::Loopback),
        ("::10.0.0.1", Refusal::Private),
        ("::0.0.0.2", Refusal::Unspecified),
        ("64:ff9b::7f00:1", Refusal::Loopback),
        ("64:ff9b::a9fe:a9fe", Refusal::LinkLocal),
        ("64:ff9b::e000:1", Refusal::Multicast),
        ("64:ff9b:1::a00:1", Refusal::Private),
        // RFC 6052 /48 layout of 10.0.0.1: octets 1-2 in bits 48..64, the u-octet, 3-4.
        ("64:ff9b:1:a00:0:100::", Refusal::Private),
        ("64:ff9b:1::", Refusal::Unspecified),
        ("2002:7f00:1::1", Refusal::Loopback),
        ("2002:a00:1::1", Refusal::Private),
        ("2002:c0a8:101::1", Refusal::Private),
        ("::ffff:0:a00:1", Refusal::Private),
        ("::ffff:0:7f00:1", Refusal::Loopback),
        // Teredo: server 65.54.227.120 (public), client 127.0.0.1 (inverted: 80ff:fffe).
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", Refusal::Loopback),
        // Teredo: server 10.0.0.1, client 8.8.8.8 (public).
        ("2001:0:a00:1:8000:63bf:f7f7:f7f7", Refusal::Private),
        ("fec0::1", Refusal::Private),
        ("fefe::1", Refusal::Private),
        ("100::1", Refusal::Reserved),
        ("100::ffff:ffff:ffff:ffff", Refusal::Reserved),
    ];

    #[test]
    fn ipv6_spellings_of_refused_ipv4_addresses_are_refused() {
        let p = PeerPolicy::default();
        for (addr, why) in SPELLINGS {
            assert_eq!(p.check(ip(addr)), Err(*why), "{addr}");
        }
        // Loopback allowed lets the loopback spellings through, and nothing else.
        let p = PeerPolicy {
            allow_loopback: true,
            ..Default::default()
        };
        for (addr, why) in SPELLINGS {
            let expected = if *why == Refusal::Loopback {
                Ok(())
            } else {
                Err(*why)
            };
            assert_eq!(p.check(ip(addr)), expected, "{addr}");
        }
    }

    /// Spellings of 8.8.8.8 (a public address) in each scheme.
    const PUBLIC_SPELLINGS: &[&str] = &[
        "8.8.8.8",
        "::ffff:8.8.8.8",
        "::8.8.8.8",
        "::ffff:0:808:808",
        "64:ff9b::808:808",
        "64:ff9b:1::808:808",
        "64:ff9b:1:808:8:800::",
        "2002:808:808::1",
        // Teredo with server 8.8.8.8 (client 1.2.3.4), and with client 8.8.8.8.
        "2001:0:808:808:8000:63bf:fefd:fcfb",
        "2001:0:4136:e378:8000:63bf:f7f7:f7f7",
    ];

    #[test]
    fn a_denied_ipv4_range_covers_its_ipv6_spellings() {
        let open = PeerPolicy::default();
        let closed = PeerPolicy {
            deny: vec!["8.8.8.0/24".parse().unwrap()],
            ..Default::default()
        };
        for addr in PUBLIC_SPELLINGS {
            assert_eq!(open.check(ip(addr)), Ok(()), "{addr} is public");
            assert_eq!(closed.check(ip(addr)), Err(Refusal::Denied), "{addr}");
        }
        // An allow range does not let a denied form through.
        let both = PeerPolicy {
            allow: vec!["2002::/16".parse().unwrap()],
            ..closed
        };
        assert_eq!(both.check(ip("2002:808:808::1")), Err(Refusal::Denied));
    }

    #[test]
    fn link_local_multicast_and_broadcast_stay_refused() {
        let p = PeerPolicy {
            allow_multicast: true,
            ..Default::default()
        };
        for addr in [
            "224.0.0.1",
            "224.0.0.251",
            "255.255.255.255",
            "ff02::1",
            "ff02::fb",
        ] {
            assert_eq!(p.check(ip(addr)), Err(Refusal::Multicast), "{addr}");
        }
        for addr in ["239.255.255.250", "224.0.1.1", "ff0e::1"] {
            assert_eq!(p.check(ip(addr)), Ok(()), "{addr}");
        }
        let all = PeerPolicy::default();
        assert_eq!(all.check(ip("239.255.255.250")), Err(Refusal::Multicast));
    }

    #[test]
    fn forms_of_plain_addresses_are_themselves() {
        assert_eq!(Forms::of(ip("2a00:1450::1")).iter().count(), 1);
        assert_eq!(Forms::of(ip("::1")).iter().collect::<Vec<_>>(), [ip("::1")]);
        assert_eq!(Forms::of(ip("::")).iter().collect::<Vec<_>>(), [ip("::")]);
        assert_eq!(
            Forms::of(ip("::ffff:1.2.3.4")).iter().collect::<Vec<_>>(),
            [ip("1.2.3.4")]
        );
        assert_eq!(
            Forms::of(ip("2001:0:4136:e378:8000:63bf:f7f7:f7f7"))
                .iter()
                .collect::<Vec<_>>(),
            [
                ip("2001:0:4136:e378:8000:63bf:f7f7:f7f7"),
                ip("65.54.227.120"),
                ip("8.8.8.8")
            ]
        );
    }
}
