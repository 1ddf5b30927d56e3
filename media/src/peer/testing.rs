//! Two peers in frame mode on wren-netsim, negotiated with SDP as browsers would (A
//! offers Opus and VP8 both ways, B answers) and connected ([`call`]), or wired back to
//! back in memory ([`Wire`]): for the crate's tests, the fuzz target and the benchmarks
//! (only with the `fuzzing` feature; not a public API).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wren_core::{Datagram, Machine, SocketRequest, SocketResult};
use wren_dtls::codes::SrtpProfileId;
use wren_netsim::{HostConfig, LinkConfig, NodeId, Sim};
use wren_rtc::{Config, DtlsRole, Peer, SdpType, SessionDescription};
use wren_sdp::Direction;
use wren_sdp::jsep::{MediaKind, Transceiver};

use super::{Event, MediaConfig, MediaPeer, ReceivedFrame};

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

/// Two peers wired back to back in memory, without a simulator: every socket bind is
/// granted at once, every datagram delivered at once, candidates trickled, on a virtual
/// clock the caller moves. Frames are read with [`MediaPeer::poll_frame`] (the peers'
/// `frame_events` off) into one reused buffer, so that driving allocates nothing once
/// warm (`tests/frame_alloc.rs` counts it; the frame-mode benchmark times it).
pub struct Wire {
    /// The virtual time.
    pub now: Instant,
    /// The peers (0 offers in [`Wire::negotiate`]).
    pub peers: [MediaPeer; 2],
    owners: HashMap<SocketAddr, usize>,
    next_port: u16,
    buf: Vec<u8>,
    frame: Vec<u8>,
    /// The SRTP profile each peer reported as it connected; `None` until it did.
    pub connected: [Option<SrtpProfileId>; 2],
    /// Datagrams delivered to each peer.
    pub delivered: [u64; 2],
}

impl Wire {
    /// Wires `peers` at virtual time `now`.
    #[must_use]
    pub fn new(now: Instant, peers: [MediaPeer; 2]) -> Wire {
        Wire {
            now,
            peers,
            owners: HashMap::new(),
            next_port: 50_000,
            buf: Vec::with_capacity(2048),
            frame: Vec::with_capacity(64 * 1024),
            connected: [None; 2],
            delivered: [0; 2],
        }
    }

    /// Peer 0 offers, peer 1 answers, peer 0 takes the answer.
    ///
    /// # Errors
    ///
    /// The first JSEP refusal.
    pub fn negotiate(&mut self) -> Result<(), wren_rtc::JsepError> {
        let now = self.now;
        let offer = SessionDescription {
            kind: SdpType::Offer,
            sdp: self.peers[0].rtc_mut().create_offer(now)?,
        };
        let answerer = self.peers[1].rtc_mut();
        answerer.set_remote_description(now, &offer)?;
        let answer = SessionDescription {
            kind: SdpType::Answer,
            sdp: answerer.create_answer(now)?,
        };
        self.peers[0].rtc_mut().set_remote_description(now, &answer)
    }

    /// Runs until both peers are connected, at most `within` of virtual time; whether
    /// they are.
    pub fn connect(&mut self, within: Duration) -> bool {
        let end = self.now + within;
        while self.connected.iter().any(Option::is_none) {
            if self.now >= end {
                return false;
            }
            let until = self.now + Duration::from_millis(5);
            self.run_until(until, &mut |_, _, _| {});
        }
        true
    }

    /// `handle_timeout` for each peer whose deadline has come.
    pub fn timeouts(&mut self) {
        for p in &mut self.peers {
            if p.poll_timeout().is_some_and(|t| t <= self.now) {
                p.handle_timeout(self.now);
            }
        }
    }

    /// Runs until `until`, timer by timer; `on_frame(peer, frame, bytes)` for each frame
    /// read.
    pub fn run_until(
        &mut self,
        until: Instant,
        on_frame: &mut dyn FnMut(usize, ReceivedFrame, &[u8]),
    ) {
        loop {
            self.drain(on_frame);
            match self.peers.iter().filter_map(Machine::poll_timeout).min() {
                Some(t) if t <= until => {
                    self.now = t.max(self.now);
                    self.timeouts();
                }
                _ => {
                    self.now = until.max(self.now);
                    return;
                }
            }
        }
    }

    /// Delivers everything pending until nothing moves (binds granted, datagrams
    /// delivered, candidates trickled); `on_frame(peer, frame, bytes)` for each frame read.
    pub fn drain(&mut self, on_frame: &mut dyn FnMut(usize, ReceivedFrame, &[u8])) {
        let now = self.now;
        loop {
            let mut moved = false;
            for i in 0..2 {
                while let Some(req) = self.peers[i].poll_socket_request() {
                    moved = true;
                    if let SocketRequest::Bind {
                        addr, transport, ..
                    } = req
                    {
                        self.next_port += 1;
                        let bound = SocketAddr::new(addr.ip(), self.next_port);
                        self.owners.insert(bound, i);
                        let result = SocketResult::of_bind(addr, transport, Ok(bound));
                        self.peers[i].handle_socket_result(now, result);
                    }
                }
                self.buf.clear();
                while let Some(t) = self.peers[i].poll_transmit(now, &mut self.buf) {
                    moved = true;
                    if let (Some(&j), Some(src)) = (self.owners.get(&t.destination), t.source) {
                        self.delivered[j] += 1;
                        let d = Datagram::udp(src, t.destination, &self.buf);
                        self.peers[j].handle_datagram(now, d);
                    }
                    self.buf.clear();
                }
                while let Some(e) = self.peers[i].poll_event() {
                    moved = true;
                    match e {
                        Event::Rtc(wren_rtc::Event::LocalCandidate(c)) => {
                            let _ = self.peers[1 - i].rtc_mut().add_remote_candidate(now, c);
                        }
                        Event::Rtc(wren_rtc::Event::Connected { profile, .. }) => {
                            self.connected[i] = Some(profile);
                        }
                        _ => {}
                    }
                }
                while let Some(f) = self.peers[i].poll_frame(now, &mut self.frame) {
                    moved = true;
                    on_frame(i, f, &self.frame);
                }
            }
            if !moved {
                return;
            }
        }
    }
}
