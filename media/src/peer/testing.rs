//! Two peers in frame mode on wren-netsim, negotiated with SDP as browsers would (A
//! offers Opus and VP8 both ways, B answers) and connected: for the crate's tests and the
//! fuzz target (only with the `fuzzing` feature; not a public API).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wren_netsim::{HostConfig, LinkConfig, NodeId, Sim};
use wren_rtc::{Config, DtlsRole, Peer, SdpType, SessionDescription};
use wren_sdp::Direction;
use wren_sdp::jsep::{MediaKind, Transceiver};

use super::{Event, MediaConfig, MediaPeer};

/// A host at `ip` with `link` running a peer in frame mode with an audio and a video
/// transceiver (JSEP decides the roles); `None` if no certificate could be made.
pub fn peer(sim: &mut Sim, ip: IpAddr, link: LinkConfig, config: MediaConfig) -> Option<NodeId> {
    let host = sim.add_host(HostConfig::public(ip).with_link(link));
    let identity = Arc::new(wren_dtls::identity::Identity::generate().ok()?);
    let mut rtc_config = Config::new(
        wren_ice::Role::Controlled,
        DtlsRole::Server,
        vec![ip],
        identity,
    );
    rtc_config.rng_seed = Some(sim.fork_seed());
    let seed = u64::from_le_bytes(sim.fork_seed()[..8].try_into().ok()?);
    let now = sim.now();
    let mut rtc = Peer::new(now, rtc_config);
    rtc.add_transceiver(Transceiver::new(MediaKind::Audio, Direction::SendRecv));
    rtc.add_transceiver(Transceiver::new(MediaKind::Video, Direction::SendRecv));
    Some(sim.add_machine(host, MediaPeer::new(now, rtc, config, seed)))
}

/// A sim at `seed` with peers at 10.0.0.1 and 10.0.0.2 on `links`, negotiated (the first
/// offers) and run until both are connected (at most 30 s of virtual time); with the
/// events each gave until then. `None` if they were not.
#[allow(clippy::type_complexity)]
pub fn call(
    seed: u64,
    links: [LinkConfig; 2],
    config: MediaConfig,
) -> Option<(Sim, [NodeId; 2], [Vec<Event>; 2])> {
    #[allow(clippy::disallowed_methods)] // the anchor of the virtual clock
    let mut sim = Sim::new(seed, Instant::now());
    sim.set_event_capacity(1_000_000);
    let nodes = [
        peer(
            &mut sim,
            IpAddr::from([10, 0, 0, 1]),
            links[0],
            config.clone(),
        )?,
        peer(&mut sim, IpAddr::from([10, 0, 0, 2]), links[1], config)?,
    ];
    let offer = sim.with(nodes[0], |p: &mut MediaPeer, now| {
        p.rtc_mut().create_offer(now).ok()
    })?;
    let answer = sim.with(nodes[1], |p: &mut MediaPeer, now| {
        let offer = SessionDescription {
            kind: SdpType::Offer,
            sdp: offer,
        };
        p.rtc_mut().set_remote_description(now, &offer).ok()?;
        p.rtc_mut().create_answer(now).ok()
    })?;
    sim.with(nodes[0], |p: &mut MediaPeer, now| {
        let answer = SessionDescription {
            kind: SdpType::Answer,
            sdp: answer,
        };
        p.rtc_mut().set_remote_description(now, &answer).ok()
    })?;
    let mut seen: [Vec<Event>; 2] = [Vec::new(), Vec::new()];
    let connected = |seen: &[Event]| {
        seen.iter()
            .any(|e| matches!(e, Event::Rtc(wren_rtc::Event::Connected { .. })))
    };
    let end = sim.now() + Duration::from_secs(30);
    while !(connected(&seen[0]) && connected(&seen[1])) {
        if sim.now() >= end {
            return None;
        }
        sim.run_for(Duration::from_millis(5));
        for (i, &n) in nodes.iter().enumerate() {
            seen[i].extend(sim.events::<MediaPeer>(n));
        }
    }
    Some((sim, nodes, seen))
}
