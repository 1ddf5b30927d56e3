//! How an [`crate::Agent`] is set up: role, credentials, servers, interfaces and timers.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use wren_core::Transport;

/// Which side of the ICE negotiation an agent is on (RFC 8445 section 6.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The controlling agent nominates the pair used (usually the offerer).
    Controlling,
    /// The controlled agent follows the controlling agent's nomination.
    Controlled,
}

impl Role {
    /// The other role.
    #[must_use]
    pub fn flipped(self) -> Role {
        match self {
            Role::Controlling => Role::Controlled,
            Role::Controlled => Role::Controlling,
        }
    }
}

/// A username fragment and password (RFC 8445 section 5.3; RFC 8839 `ice-ufrag`/`ice-pwd`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Credentials {
    /// `ice-ufrag`: 4 to 256 ice-chars.
    pub ufrag: String,
    /// `ice-pwd`: 22 to 256 ice-chars.
    pub pwd: String,
}

impl Credentials {
    /// Fresh random credentials (8-character ufrag, 24-character password: 48 and 144 bits,
    /// above RFC 8445's 24 and 128) from the agent's seeded generator.
    #[must_use]
    pub fn random(rng: &mut wren_core::Rng) -> Credentials {
        Credentials {
            ufrag: ice_chars(rng, 8),
            pwd: ice_chars(rng, 24),
        }
    }
}

fn ice_chars(rng: &mut wren_core::Rng, n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    (0..n)
        .map(|_| char::from(ALPHABET[rng.below(ALPHABET.len() as u64) as usize]))
        .collect()
}

/// A STUN server to learn server-reflexive candidates from (`stun:` URI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StunServer {
    /// Its address (already resolved: the agent does no DNS).
    pub addr: SocketAddr,
}

/// A TURN server to allocate relayed candidates on (`turn:`/`turns:` URI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnServer {
    /// Its address (already resolved).
    pub addr: SocketAddr,
    /// The transport to the server: UDP, or TCP (`?transport=tcp`) for networks that block UDP.
    pub transport: Transport,
    /// Long-term credential username.
    pub username: String,
    /// Long-term credential password.
    pub password: String,
}

/// The agent's timers. Defaults follow RFC 8445, RFC 7675 and what browsers do; each field
/// names its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timers {
    /// Ta, the pacing of new checks (RFC 8445 section 14.2: 50 ms by default).
    pub ta: Duration,
    /// The first retransmission timeout of a check (RFC 8445 section 14.3: at least 500 ms).
    pub check_rto: Duration,
    /// The largest retransmission timeout of a check: the doubling stops here (1.6 s, as
    /// libwebrtc caps its STUN pings, so that a check gives up in seconds, not RFC 8489's
    /// 39.5 s).
    pub check_rto_max: Duration,
    /// Transmissions of one check before its pair fails (RFC 8489's Rc, 7).
    pub check_transmissions: u32,
    /// How long the controlling agent waits, after the first pair succeeds, for better
    /// pairs that have shown no sign of life before nominating the best it has (regular
    /// nomination, RFC 8445 section 8.1.1; 1 s). It nominates at once when no better pair
    /// is left to check.
    pub nomination_wait: Duration,
    /// The same wait when the best valid pair is relayed and a direct one is still being
    /// checked (3 s): a relay costs the operator and the user a hop, and under loss a
    /// direct path's first checks may all be lost.
    pub relay_nomination_wait: Duration,
    /// The longest the controlling agent waits for better pairs that do show life (the
    /// peer's checks arrive on them) before nominating the best valid pair (10 s).
    pub nomination_wait_max: Duration,
    /// How long gathering may take before servers still silent are reported as
    /// unreachable (their answers are still taken later, as trickled candidates).
    pub gather_timeout: Duration,
    /// Consent freshness (RFC 7675 section 5.1): a check on the selected pair every this
    /// long, randomised to 0.8 to 1.2 of it (5 s).
    pub consent_interval: Duration,
    /// No consent response for this long: the connection reads as disconnected (libwebrtc
    /// reports disconnected after several seconds without responses; 8 s here).
    pub disconnected_after: Duration,
    /// No consent response for this long: consent is lost and ICE fails (RFC 7675: 30 s).
    pub consent_timeout: Duration,
    /// Binding indications on the selected pair when nothing else was sent for this long
    /// (RFC 8445 section 11: 15 s). A full agent's consent checks are keepalives already;
    /// an ICE-lite agent sends these.
    pub keepalive_interval: Duration,
    /// When no pair has been selected this long after checks began, ICE fails with the
    /// report of what was tried (30 s, as browsers give up on "checking").
    pub connect_timeout: Duration,
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            ta: Duration::from_millis(50),
            check_rto: Duration::from_millis(500),
            check_rto_max: Duration::from_millis(1600),
            check_transmissions: 7,
            nomination_wait: Duration::from_millis(1000),
            relay_nomination_wait: Duration::from_secs(3),
            nomination_wait_max: Duration::from_secs(10),
            gather_timeout: Duration::from_secs(10),
            consent_interval: Duration::from_secs(5),
            disconnected_after: Duration::from_secs(8),
            consent_timeout: Duration::from_secs(30),
            keepalive_interval: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(30),
        }
    }
}

/// Configuration of an [`crate::Agent`]. Build it with [`Config::new`] and change fields.
#[derive(Debug, Clone)]
pub struct Config {
    /// The starting role. A role conflict (RFC 8445 section 7.3.1.1) may change it.
    pub role: Role,
    /// ICE-lite (RFC 8445 section 2.5): host candidates only, no checks sent, always
    /// controlled; what a server with a public address (an SFU) runs.
    pub lite: bool,
    /// The local credentials; `None` draws random ones from the seed.
    pub credentials: Option<Credentials>,
    /// The local interface addresses to gather host candidates on; the agent asks its
    /// driver to bind a UDP socket (port 0) on each, and a TCP one when [`Config::tcp`].
    pub interfaces: Vec<IpAddr>,
    /// Gather ICE-TCP host candidates (RFC 6544): passive (a listening socket) and active.
    pub tcp: bool,
    /// STUN servers for server-reflexive candidates.
    pub stun_servers: Vec<StunServer>,
    /// TURN servers for relayed candidates.
    pub turn_servers: Vec<TurnServer>,
    /// Use only relayed candidates (the `relay` ICE transport policy of browsers).
    pub relay_only: bool,
    /// Timers.
    pub timers: Timers,
    /// The most candidate pairs kept (RFC 8445 section 6.1.2.5: 100 by default).
    pub max_pairs: usize,
    /// The most remote candidates kept; more are refused and counted.
    pub max_remote_candidates: usize,
    /// The most peer-reflexive remote candidates paired with one host candidate. Two NATs
    /// that map per destination and let in what the other sends make every triggered check
    /// leave from a new port, each a new peer-reflexive candidate on the other side, without
    /// end; past this bound checks from new addresses are still answered (the peer's check
    /// can succeed) but not paired. Relayed candidates have no bound: their peers are few.
    pub max_peer_reflexive: usize,
    /// Events kept before the application drains them; more are dropped and counted.
    pub max_events: usize,
    /// Of those, the most [`crate::Event::Data`] (media through the `Machine` path); more
    /// are dropped and counted in [`crate::agent::Stats::data_events_dropped`]. A flood of
    /// data never crowds out the control events. [`crate::Agent::receive`] bypasses the
    /// queue.
    pub max_data_events: usize,
    /// Datagrams kept for `poll_transmit` (checks, answers, data given to
    /// [`crate::Agent::send`]); more are dropped and counted in
    /// [`crate::agent::Stats::transmits_dropped`].
    pub max_transmits: usize,
    /// Sockets the owner already bound and gives to the agent, as (local address,
    /// transport): each is a host candidate at once, with no
    /// [`wren_core::SocketRequest::Bind`] asked and no `Close` on shutdown (the owner
    /// keeps them; a server can run many agents on its own ports). Gathered after the
    /// sockets the agent asks for on [`Config::interfaces`], which may be empty.
    pub bound_sockets: Vec<(SocketAddr, Transport)>,
    /// Seed of every random choice (credentials, tie-breaker, transaction IDs, timer
    /// jitter): one seed, one run. `None` seeds from the operating system.
    pub rng_seed: Option<[u8; 32]>,
}

impl Config {
    /// A full agent in `role`, gathering host candidates on `interfaces`, with defaults for
    /// everything else.
    #[must_use]
    pub fn new(role: Role, interfaces: Vec<IpAddr>) -> Self {
        Config {
            role,
            lite: false,
            credentials: None,
            interfaces,
            tcp: false,
            stun_servers: Vec::new(),
            turn_servers: Vec::new(),
            relay_only: false,
            timers: Timers::default(),
            max_pairs: 100,
            max_remote_candidates: 200,
            max_peer_reflexive: 8,
            max_events: 4096,
            max_data_events: 256,
            max_transmits: 1024,
            bound_sockets: Vec::new(),
            rng_seed: None,
        }
    }

    /// An ICE-lite agent (always controlled) on `interfaces`.
    #[must_use]
    pub fn lite(interfaces: Vec<IpAddr>) -> Self {
        Config {
            lite: true,
            ..Config::new(Role::Controlled, interfaces)
        }
    }
}
