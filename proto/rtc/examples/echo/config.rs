//! The wren-rtc configuration of a call's peer on one UDP socket the caller already bound:
//! that socket is its one host candidate, gathered at once (no socket request). The echo
//! examples' peers use it, and so do wren-media's `play` and `record` (by path).

use std::net::SocketAddr;
use std::sync::Arc;

use wren_core::Transport;
use wren_dtls::identity::Identity;
use wren_rtc::{Config, DtlsRole};

/// A peer's configuration on the UDP socket bound at `local`, with `identity` as its DTLS
/// certificate. The roles given here are placeholders: JSEP sets both from who offers.
#[must_use]
pub fn on_socket(local: SocketAddr, identity: Arc<Identity>) -> Config {
    let mut config = Config::new(
        wren_ice::Role::Controlled,
        DtlsRole::Client,
        Vec::new(),
        identity,
    );
    config.ice.bound_sockets = vec![(local, Transport::Udp)];
    config
}
