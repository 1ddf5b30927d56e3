//! How a [`crate::Peer`] runs.

use std::net::IpAddr;
use std::sync::Arc;

use wren_dtls::codes::SrtpProfileId;
use wren_dtls::identity::Identity;
use wren_dtls::suite::SRTP_PROFILES;

use crate::MediaConfig;

/// Which side of the DTLS handshake we take (RFC 5763 section 5: SDP `a=setup`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtlsRole {
    /// We send the ClientHello (`a=setup:active`).
    Client,
    /// We answer it (`a=setup:passive`).
    Server,
}

impl DtlsRole {
    /// The other side's role.
    #[must_use]
    pub fn flipped(self) -> DtlsRole {
        match self {
            DtlsRole::Client => DtlsRole::Server,
            DtlsRole::Server => DtlsRole::Client,
        }
    }
}

/// How a peer runs: its ICE agent's configuration, its DTLS role and certificate, and
/// its limits. With JSEP, the ICE role follows who offers (the offerer controls) and the
/// DTLS role follows `a=setup` (an offer says `actpass`; our answer takes `active`), so
/// the roles given here matter only to the direct API.
#[derive(Debug, Clone)]
pub struct Config {
    /// The ICE agent's (role, interfaces, STUN and TURN servers, timers).
    pub ice: wren_ice::agent::Config,
    /// Our side of DTLS.
    pub dtls_role: DtlsRole,
    /// Our certificate and key (its fingerprint goes to the peer).
    pub identity: Arc<Identity>,
    /// The SRTP profiles offered or accepted, preferred first.
    pub srtp_profiles: Vec<SrtpProfileId>,
    /// The largest datagram DTLS flights are cut to.
    pub mtu: usize,
    /// Received RTP and RTCP queued as events on the [`wren_core::Machine`] path; more
    /// are dropped and counted ([`crate::Stats::media_events_dropped`]).
    pub max_media_events: usize,
    /// Seed of the ICE agent and DTLS randomness; `None` seeds from the OS.
    pub rng_seed: Option<[u8; 32]>,
    /// What JSEP offers and accepts (codecs, header extensions, data channels).
    pub capabilities: wren_sdp::jsep::Capabilities,
    /// RTP mode's RTCP: timing, history sizes, header extension ids.
    pub media: MediaConfig,
    /// Data channels: SCTP ports and message sizes.
    pub data: crate::DataConfig,
}

impl Config {
    /// A configuration with defaults: host candidates on `interfaces`, every SRTP
    /// profile, MTU 1200.
    #[must_use]
    pub fn new(
        ice_role: wren_ice::Role,
        dtls_role: DtlsRole,
        interfaces: Vec<IpAddr>,
        identity: Arc<Identity>,
    ) -> Config {
        Config {
            ice: wren_ice::agent::Config::new(ice_role, interfaces),
            dtls_role,
            identity,
            srtp_profiles: SRTP_PROFILES.to_vec(),
            mtu: 1200,
            max_media_events: 256,
            rng_seed: None,
            capabilities: wren_sdp::jsep::Capabilities::default(),
            media: MediaConfig::default(),
            data: crate::DataConfig::default(),
        }
    }
}
