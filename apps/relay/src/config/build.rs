//! The servers' configurations built from the keys: the STUN Binding server's
//! (`fingerprint`, `no-software-attribute`, `response-origin-only-with-rfc5780`) and the
//! TURN server machine's (credentials, relay addresses and ports, peer policy, quotas,
//! lifetimes), with coturn's defaults and the refusals of what cannot serve.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, SystemTime};

use wren_stun::server::Config as StunConfig;
pub(crate) use wren_turn::server::Config as TurnConfig;
use wren_turn::server::{ExternalIp, IpRange, PeerPolicy, UserSecret};

use super::error::ConfigError;
use super::value::{PeerRange, from_number, to_number};
use super::{Config, SOFTWARE};

/// The longest allocation lifetime when `max-allocate-lifetime` is not given (coturn's and
/// RFC 8656's 3600 s).
pub(crate) const DEFAULT_MAX_ALLOCATE_LIFETIME: Duration = Duration::from_secs(3600);
/// The allocation lifetime granted when the client asks for none or less (RFC 8656: 600 s).
const DEFAULT_ALLOCATE_LIFETIME: Duration = Duration::from_secs(600);
/// What `stale-nonce=0` ("unlimited" in coturn) becomes: about 136 years, which the TURN
/// machine caps at its longest nonce lifetime, an hour (`wren_turn::server::MAX_NONCE_LIFETIME`):
/// a nonce captured on the wire is worth an hour at most.
pub(crate) const UNLIMITED_NONCE: Duration = Duration::from_secs(u32::MAX as u64);
/// Lowest relay port when `min-port` is not given (coturn's default).
pub(crate) const DEFAULT_MIN_PORT: u16 = 49152;
/// Highest relay port when `max-port` is not given (coturn's default).
pub(crate) const DEFAULT_MAX_PORT: u16 = 65535;

impl Config {
    /// The STUN Binding server's configuration from `fingerprint`, `no-software-attribute` and
    /// `response-origin-only-with-rfc5780`; build the server from this so those keys take
    /// effect.
    pub(crate) fn stun_server_config(&self) -> StunConfig {
        StunConfig {
            software: self.software(),
            fingerprint: if self.values.fingerprint {
                wren_stun::server::FingerprintPolicy::Always
            } else {
                wren_stun::server::FingerprintPolicy::Mirror
            },
            response_origin: !self.values.response_origin_only_with_rfc5780,
            ..StunConfig::default()
        }
    }

    /// The SOFTWARE attribute, unless `no-software-attribute`.
    fn software(&self) -> Option<String> {
        (!self.values.no_software_attribute).then(|| SOFTWARE.to_owned())
    }

    /// The relay port range with coturn's defaults applied, `(min, max)`, `min <= max`.
    pub(crate) fn relay_port_range(&self) -> (u16, u16) {
        (
            self.values.min_port.unwrap_or(DEFAULT_MIN_PORT),
            self.values.max_port.unwrap_or(DEFAULT_MAX_PORT),
        )
    }

    /// Whether the TURN REST API is on: `use-auth-secret`, or `static-auth-secret`, which
    /// implies it in coturn too.
    pub(crate) fn rest_api(&self) -> bool {
        self.values.use_auth_secret || self.values.static_auth_secret.is_some()
    }

    /// Whether to serve TURN: some way to authenticate is configured (`lt-cred-mech`,
    /// `use-auth-secret`, `static-auth-secret`, or a `user=` account, which makes coturn
    /// default to `lt-cred-mech`), and not `stun-only`. Without credentials coturn would relay
    /// for anyone (`no-auth`); wren-relay serves STUN only instead.
    pub(crate) fn turn_enabled(&self) -> bool {
        let v = &self.values;
        !v.stun_only && (v.lt_cred_mech || self.rest_api() || !v.users.is_empty())
    }

    /// The relay addresses: the `relay-ip`s, or else the listening IPs that are not 0.0.0.0
    /// or ::, without duplicates, in order. Empty when every listening IP is unspecified and
    /// no `relay-ip` is given.
    pub(crate) fn relay_ips(&self) -> Vec<IpAddr> {
        let given = if self.values.relay_ips.is_empty() {
            self.listening_ips()
        } else {
            &self.values.relay_ips
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
        let v = &self.values;
        PeerPolicy {
            allow: v.allowed_peer_ips.iter().map(PeerRange::range).collect(),
            deny: subtract(&v.denied_peer_ips, &v.allowed_peer_ips),
            allow_loopback: v.allow_loopback_peers,
            allow_multicast: !v.no_multicast_peers,
        }
    }

    /// The relay's own addresses, refused as peers by the TURN machine
    /// ([`TurnConfig::listening`]): each listening address with the listening port and, with
    /// TLS, the TLS port; a wildcard listening IP (0.0.0.0, ::) stands for every relay IP
    /// and external IP of its family and the loopback address, each with those ports. With
    /// `listening-port=0` (the OS chooses) the port is not known here and is left out.
    pub(crate) fn own_addresses(&self) -> Vec<SocketAddr> {
        let mut ports = vec![self.listening_port()];
        if self.values.cert.is_some() && self.values.pkey.is_some() && !self.values.no_tls {
            ports.push(
                self.values
                    .tls_listening_port
                    .unwrap_or(crate::tls::DEFAULT_TLS_LISTENING_PORT),
            );
        }
        ports.retain(|p| *p != 0);
        let mut ips: Vec<IpAddr> = Vec::new();
        for ip in self.listening_ips() {
            if ip.is_unspecified() {
                let v4 = ip.is_ipv4();
                let loopback = if v4 {
                    IpAddr::V4(Ipv4Addr::LOCALHOST)
                } else {
                    IpAddr::V6(Ipv6Addr::LOCALHOST)
                };
                let more = self
                    .values
                    .relay_ips
                    .iter()
                    .copied()
                    .chain(self.values.external_ips.iter().map(|e| e.public))
                    .filter(|a| a.is_ipv4() == v4)
                    .chain(std::iter::once(loopback));
                ips.extend(more);
            } else {
                ips.push(*ip);
            }
        }
        let mut out: Vec<SocketAddr> = Vec::with_capacity(ips.len() * ports.len());
        for ip in ips {
            for port in &ports {
                let a = SocketAddr::new(ip, *port);
                if !out.contains(&a) {
                    out.push(a);
                }
            }
        }
        out
    }

    /// The TURN server machine's configuration, from `realm`, `user`, `use-auth-secret` /
    /// `static-auth-secret`, `relay-ip` (or the listening IPs), `min-port`/`max-port`, the peer
    /// policy keys, `user-quota`, `total-quota`, `max-bps`, `stale-nonce`,
    /// `max-allocate-lifetime`, `external-ip`, `no-software-attribute` and `fingerprint`.
    /// `wall_clock` is the wall time at the `Instant` the server will be created with (REST
    /// usernames carry an expiry in UNIX time).
    ///
    /// Refuses what cannot serve: TURN off ([`ConfigError::TurnOff`]), no realm
    /// ([`ConfigError::NoRealm`]), no relay address ([`ConfigError::NoRelayIp`]),
    /// `use-auth-secret` without a secret ([`ConfigError::NoAuthSecret`]), `lt-cred-mech`
    /// with nobody to authenticate ([`ConfigError::NoUsers`]).
    pub(crate) fn turn_server_config(
        &self,
        wall_clock: SystemTime,
    ) -> Result<TurnConfig, ConfigError> {
        if !self.turn_enabled() {
            return Err(ConfigError::TurnOff);
        }
        let v = &self.values;
        let realm = v.realm.clone().ok_or(ConfigError::NoRealm)?;
        let rest_secret = if self.rest_api() {
            let secret = v
                .static_auth_secret
                .as_ref()
                .ok_or(ConfigError::NoAuthSecret)?;
            Some(secret.expose().to_owned())
        } else {
            None
        };
        if v.users.is_empty() && rest_secret.is_none() {
            return Err(ConfigError::NoUsers);
        }
        let relay_ips = self.relay_ips();
        if relay_ips.is_empty() {
            return Err(ConfigError::NoRelayIp);
        }
        let users: HashMap<String, UserSecret> = v
            .users
            .iter()
            .map(|u| (u.name.clone(), u.secret.clone()))
            .collect();
        let (min_port, max_port) = self.relay_port_range();
        let max_lifetime = v
            .max_allocate_lifetime
            .unwrap_or(DEFAULT_MAX_ALLOCATE_LIFETIME);
        let defaults = TurnConfig::default();
        let nonce_lifetime = match v.stale_nonce {
            None => defaults.nonce_lifetime,
            Some(Duration::ZERO) => UNLIMITED_NONCE,
            Some(lifetime) => lifetime,
        };
        Ok(TurnConfig {
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
            user_quota: v.user_quota.unwrap_or(0),
            total_quota: v.total_quota.unwrap_or(0),
            max_permissions: v.max_permissions.unwrap_or(defaults.max_permissions),
            max_channels: v.max_channels.unwrap_or(defaults.max_channels),
            listening: self.own_addresses(),
            max_bps: v.max_bps.unwrap_or(0),
            // Zero (never) means the same to the server as to the key.
            max_allocate_timeout: v
                .max_allocate_timeout
                .unwrap_or(defaults.max_allocate_timeout),
            software: self.software(),
            fingerprint: v.fingerprint,
            external_ips: v
                .external_ips
                .iter()
                .map(|e| ExternalIp {
                    public: e.public,
                    private: e.private,
                })
                .collect(),
            wall_clock,
            ..defaults
        })
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
