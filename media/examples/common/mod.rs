//! What the `play` and `record` examples share: the `echo` example's HTTP API, calls,
//! `main` and peer configuration (wren-rtc's `examples/echo/{http,calls,server,config}.rs`,
//! included by path: one copy,
//! generic over the [`calls::Service`] that makes each call's peer), a call's peer in frame
//! mode ([`call::CallPeer`]) and the service that makes them ([`service::MediaService`]).

#![allow(dead_code, unreachable_pub)] // included by examples and tests, each using a part

#[path = "../../../proto/rtc/examples/echo/calls.rs"]
pub mod calls;
#[path = "../../../proto/rtc/examples/echo/config.rs"]
pub mod config;
#[path = "../../../proto/rtc/examples/echo/http.rs"]
pub mod http;
#[path = "../../../proto/rtc/examples/echo/server.rs"]
pub mod server;

pub mod call;
pub mod service;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use wren_core::Rng;
use wren_dtls::identity::Identity;
use wren_media::peer::{MediaConfig, MediaPeer};
use wren_rtc::Peer;
use wren_sdp::jsep::{Capabilities, CodecKind};

/// A wren-rtc peer on one UDP socket the caller already bound at `local` (its one host
/// candidate, gathered at once) that offers and accepts only `codecs` (with the RTX of
/// each video codec kept).
pub fn rtc_peer(
    now: Instant,
    local: SocketAddr,
    identity: Arc<Identity>,
    codecs: &[CodecKind],
) -> Peer {
    let mut config = config::on_socket(local, identity);
    config.capabilities = only(config.capabilities, codecs);
    Peer::new(now, config)
}

/// The media peer of a call (frame mode) around `rtc`, its tracks numbered from a seed
/// of the OS's randomness (RFC 3550 section 5.1: random first sequence numbers and
/// timestamps).
pub fn media_peer(now: Instant, rtc: Peer) -> MediaPeer {
    MediaPeer::new(now, rtc, MediaConfig::default(), Rng::from_os().next_u64())
}

/// `capabilities` with only the primary codecs of `codecs`, their RTX, and no data
/// channels (these examples carry media only).
fn only(mut capabilities: Capabilities, codecs: &[CodecKind]) -> Capabilities {
    for list in [&mut capabilities.audio, &mut capabilities.video] {
        list.retain(|c| c.kind() == CodecKind::Rtx || codecs.contains(&c.kind()));
        let kept: Vec<u8> = list
            .iter()
            .filter(|c| c.kind() != CodecKind::Rtx)
            .map(|c| c.payload_type)
            .collect();
        list.retain(|c| c.apt().is_none_or(|apt| kept.contains(&apt)));
    }
    capabilities.data = None;
    capabilities
}
