//! Configuration of the TURN server machine.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use super::policy::PeerPolicy;

/// A user's secret: a password, or a precomputed key (coturn's `user=name:0x<hex key>`).
#[derive(Clone, PartialEq, Eq)]
pub enum UserSecret {
    /// The password; the key is `MD5(user ":" realm ":" password)`.
    Password(String),
    /// The 16-byte long-term key itself.
    Key(Vec<u8>),
}

impl std::fmt::Debug for UserSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UserSecret::Password(_) => "Password(..)",
            UserSecret::Key(_) => "Key(..)",
        })
    }
}

/// A public address the relay is reached at, for a server behind a 1:1 NAT (coturn's
/// `external-ip=public[/private]`): relayed addresses on `private` (or on any relay address of
/// the family, when `private` is `None`) are advertised with `public` in XOR-RELAYED-ADDRESS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExternalIp {
    /// The address peers reach.
    pub public: IpAddr,
    /// The local relay address it stands for.
    pub private: Option<IpAddr>,
}

/// Configuration of a [`super::Server`]. Defaults follow RFC 8656 and coturn.
#[derive(Debug, Clone)]
pub struct Config {
    /// The realm of the long-term credential mechanism.
    pub realm: String,
    /// Static users.
    pub users: HashMap<String, UserSecret>,
    /// The TURN REST API shared secret (`use-auth-secret` + `static-auth-secret`).
    pub rest_secret: Option<String>,
    /// Addresses relayed addresses are taken on: one IPv4 and/or one IPv6.
    pub relay_ips: Vec<IpAddr>,
    /// Public addresses to advertise instead of the relay addresses (behind a 1:1 NAT).
    pub external_ips: Vec<ExternalIp>,
    /// The lowest relay port (coturn's `min-port`, default 49152).
    pub min_port: u16,
    /// The highest relay port (`max-port`, default 65535).
    pub max_port: u16,
    /// Allocation lifetime when the client asks for none or less (600 s).
    pub default_lifetime: Duration,
    /// The longest allocation lifetime granted (3600 s).
    pub max_lifetime: Duration,
    /// How long a nonce stays valid (600 s).
    pub nonce_lifetime: Duration,
    /// How long an EVEN-PORT reservation is kept (30 s, RFC 8656 section 14.9).
    pub reservation_lifetime: Duration,
    /// Which peers may be relayed to.
    pub peer_policy: PeerPolicy,
    /// Most allocations one user may hold (`user-quota`; 0 = no limit).
    pub user_quota: u32,
    /// Most allocations in total (`total-quota`; 0 = no limit).
    pub total_quota: u32,
    /// Most bytes per second one allocation relays each way (`max-bps`; 0 = no limit).
    pub max_bps: u64,
    /// SOFTWARE in responses; `None` leaves it out.
    pub software: Option<String>,
    /// Add FINGERPRINT to every message (`fingerprint`); otherwise only to responses whose
    /// request carried one.
    pub fingerprint: bool,
    /// How long a TCP or TLS connection may go without an allocation before the server
    /// asks its driver to close it (coturn's `max-allocate-timeout`, 60 s); the clock starts
    /// at its first message, and again when its allocation ends. Zero: never.
    pub max_allocate_timeout: Duration,
    /// Most outgoing datagrams queued before the driver drains them; more are dropped.
    pub queue_capacity: usize,
    /// Seed of the generator of nonce secrets, ports and tokens; `None` seeds from the OS.
    pub rng_seed: Option<[u8; 32]>,
    /// Wall-clock time at the `now` given to [`super::Server::new`] (for REST API
    /// username expiry). The machine never reads the system clock itself.
    pub wall_clock: SystemTime,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            realm: "wren".into(),
            users: HashMap::new(),
            rest_secret: None,
            relay_ips: Vec::new(),
            external_ips: Vec::new(),
            min_port: 49152,
            max_port: 65535,
            default_lifetime: Duration::from_secs(600),
            max_lifetime: Duration::from_secs(3600),
            nonce_lifetime: Duration::from_secs(600),
            reservation_lifetime: Duration::from_secs(30),
            peer_policy: PeerPolicy::default(),
            user_quota: 0,
            total_quota: 0,
            max_bps: 0,
            software: None,
            fingerprint: false,
            max_allocate_timeout: Duration::from_secs(60),
            queue_capacity: 4096,
            rng_seed: None,
            wall_clock: SystemTime::UNIX_EPOCH,
        }
    }
}

/// A configuration the server cannot run with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No relay address: nothing to allocate on.
    #[error("no relay address configured")]
    NoRelayIp,
    /// min-port above max-port.
    #[error("min-port {0} is above max-port {1}")]
    PortRange(u16, u16),
    /// A user's password was refused by OpaqueString.
    #[error("user '{0}': password refused by OpaqueString (RFC 8265)")]
    Password(String),
    /// An empty realm.
    #[error("the realm is empty")]
    EmptyRealm,
}

impl Config {
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        if self.relay_ips.is_empty() {
            return Err(ConfigError::NoRelayIp);
        }
        if self.min_port > self.max_port {
            return Err(ConfigError::PortRange(self.min_port, self.max_port));
        }
        if self.realm.is_empty() {
            return Err(ConfigError::EmptyRealm);
        }
        Ok(())
    }
}
