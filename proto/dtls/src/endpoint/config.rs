//! The configuration of an [`super::Endpoint`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::codes::SrtpProfileId;
use crate::fingerprint::Fingerprint;
use crate::identity::Identity;
use crate::suite::SRTP_PROFILES;

/// Which side of the handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Sends the ClientHello to `peer` (SDP `a=setup:active`).
    Client {
        /// The server's address.
        peer: SocketAddr,
    },
    /// Answers the first ClientHello that arrives (SDP `a=setup:passive`).
    Server,
}

/// How an endpoint runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Client or server.
    pub role: Role,
    /// Our certificate and key.
    pub identity: Arc<Identity>,
    /// The fingerprints the peer announced: its certificate must match one (RFC 8122).
    /// `None` accepts any certificate: only for tools and tests, never for WebRTC.
    pub peer_fingerprints: Option<Vec<Fingerprint>>,
    /// The SRTP profiles offered (client) or accepted (server), preferred first; empty: no
    /// use_srtp (a plain DTLS connection).
    pub srtp_profiles: Vec<SrtpProfileId>,
    /// The largest datagram we send (our flights are cut to it).
    pub mtu: usize,
    /// The first retransmission timeout (RFC 6347 section 4.2.4.1: 1 s).
    pub retransmit_initial: Duration,
    /// The longest retransmission timeout (RFC 6347: 60 s).
    pub retransmit_max: Duration,
    /// The handshake fails if not done this long after it started.
    pub handshake_timeout: Duration,
    /// Whether a server sends a HelloVerifyRequest before anything else (RFC 6347 section
    /// 4.2.1). Over ICE the path is already verified; browsers' servers skip it.
    pub cookie: bool,
    /// Most bytes of handshake messages held while reassembling.
    pub max_handshake_bytes: usize,
    /// Most received application data messages queued as events; more are dropped.
    pub max_data_events: usize,
    /// Seed of the hello randoms and the cookie secret; `None` seeds from the OS.
    pub rng_seed: Option<[u8; 32]>,
}

impl Config {
    /// A configuration with defaults: every SRTP profile, MTU 1200, 1 s to 60 s
    /// retransmissions, a 30 s handshake deadline, cookies on.
    #[must_use]
    pub fn new(role: Role, identity: Arc<Identity>) -> Config {
        Config {
            role,
            identity,
            peer_fingerprints: None,
            srtp_profiles: SRTP_PROFILES.to_vec(),
            mtu: 1200,
            retransmit_initial: Duration::from_secs(1),
            retransmit_max: Duration::from_secs(60),
            handshake_timeout: Duration::from_secs(30),
            cookie: true,
            max_handshake_bytes: 1 << 17,
            max_data_events: 1024,
            rng_seed: None,
        }
    }
}
