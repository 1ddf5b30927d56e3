//! The runs of issue 14's bandwidth-estimation scenarios (`wren-bwe-scenario`): two
//! wren-media peers in frame mode ([`wren_run`]) and, for comparison, the str0m 0.25 run
//! (`wren-bwe-scenario`):
//! two [`Str0mPeer`]s on wren-netsim, the sender on the host whose link is the bottleneck,
//! the receiver on an ideal link. `tests/bwe_str0m.rs` runs it; a test of another stack
//! can call [`str0m_run`] to plot itself beside it (`report::write_png(.., &[&ours,
//! &str0m.recording])`).
//!
//! The peers negotiate (offer and answer handed over directly) and connect over a link of
//! [`ONE_WAY`] delay without a bottleneck; the scenario starts with media (time 0), when
//! its first phase is applied to the sender's link.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wren_bwe_scenario::{MAX_BPS, ONE_WAY, Reading, Recording, START_BPS, Scenario, drive};
use wren_core::Transport;
use wren_netsim::{DropReason, HostConfig, LinkConfig, Sim};

use wren_dtls::identity::Identity;
use wren_ice::Role as IceRole;
use wren_media::peer::{MediaConfig, MediaPeer};
use wren_rtc::{Config, DtlsRole, Peer, SdpType, SessionDescription};
use wren_sdp::Direction;
use wren_sdp::jsep::{MediaKind, Transceiver};

use crate::str0m_peer::{PeerStats, Role, Str0mPeer};
use crate::wren_bwe_peer::{PeerStats as WrenStats, Role as WrenRole, WrenBwePeer};

/// The sender's address.
pub const SENDER: SocketAddr = SocketAddr::new(
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1)),
    5000,
);
/// The receiver's address.
pub const RECEIVER: SocketAddr = SocketAddr::new(
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2)),
    5000,
);
/// How long the peers may take to connect (virtual time).
const CONNECT_WITHIN: Duration = Duration::from_secs(10);

/// A harness failure, as text (only built on the error path).
pub type Failure = String;

/// What a run left.
#[derive(Debug)]
pub struct Str0mRun {
    /// The samples.
    pub recording: Recording,
    /// Virtual time from creating the peers to both reporting `Event::Connected`.
    pub connect_time: Duration,
    /// The sender's counters at the end.
    pub sender: PeerStats,
    /// The receiver's counters at the end.
    pub receiver: PeerStats,
    /// Packets the bottleneck's queue dropped during the scenario.
    pub queue_full: u64,
    /// Packets random loss dropped during the scenario.
    pub lost: u64,
}

/// Runs `scenario` with two str0m peers on a simulation seeded with `seed`, starting at
/// `start` (virtual).
///
/// # Errors
///
/// When the offer/answer fails or the peers do not connect.
pub fn str0m_run(scenario: &Scenario, seed: u64, start: Instant) -> Result<Str0mRun, Failure> {
    let mut sim = Sim::new(seed, start);
    let link = LinkConfig::ideal().with_delay(ONE_WAY);
    let hs = sim.add_host(HostConfig::public(SENDER.ip()).with_link(link));
    let hr = sim.add_host(HostConfig::public(RECEIVER.ip()).with_link(LinkConfig::ideal()));
    let role = Role::Sender {
        start_bps: START_BPS,
        max_bps: MAX_BPS,
    };
    let s = sim.add_machine(hs, Str0mPeer::new(start, role, SENDER));
    sim.listen(s, SENDER, Transport::Udp)
        .map_err(|e| format!("bind: {e}"))?;
    let r = sim.add_machine(hr, Str0mPeer::new(start, Role::Receiver, RECEIVER));
    sim.listen(r, RECEIVER, Transport::Udp)
        .map_err(|e| format!("bind: {e}"))?;
    let (offer, pending) = sim
        .with(s, |p: &mut Str0mPeer, now| p.offer(now))
        .ok_or("str0m made no offer")?;
    let answer = sim
        .with(r, |p: &mut Str0mPeer, now| p.accept_offer(now, offer))
        .map_err(|e| format!("accept_offer: {e}"))?;
    sim.with(s, |p: &mut Str0mPeer, now| {
        p.accept_answer(now, pending, answer)
    })
    .map_err(|e| format!("accept_answer: {e}"))?;
    let run = run_connected::<Str0mPeer>(&mut sim, start, scenario, "str0m", hs, [s, r])?;
    Ok(Str0mRun {
        recording: run.recording,
        connect_time: run.connect_time,
        sender: sim.machine::<Str0mPeer>(s).stats(),
        receiver: sim.machine::<Str0mPeer>(r).stats(),
        queue_full: run.queue_full,
        lost: run.lost,
    })
}

/// What a stack's peers give the scenario run.
pub trait BwePeer: wren_core::Machine + 'static {
    /// Whether the peer is connected (media may flow).
    fn connected(&self) -> bool;
    /// The sender starts its encoder now.
    fn start_media(&mut self, now: Instant);
    /// The sender's current estimate, bit/s.
    fn estimate_bps(&self) -> u64;
    /// UDP payload bytes handed out to send so far.
    fn bytes_sent(&self) -> u64;
}

impl BwePeer for Str0mPeer {
    fn connected(&self) -> bool {
        Str0mPeer::connected(self)
    }
    fn start_media(&mut self, now: Instant) {
        Str0mPeer::start_media(self, now);
    }
    fn estimate_bps(&self) -> u64 {
        Str0mPeer::estimate_bps(self)
    }
    fn bytes_sent(&self) -> u64 {
        self.stats().bytes_sent
    }
}

impl BwePeer for WrenBwePeer {
    fn connected(&self) -> bool {
        WrenBwePeer::connected(self)
    }
    fn start_media(&mut self, now: Instant) {
        WrenBwePeer::start_media(self, now);
    }
    fn estimate_bps(&self) -> u64 {
        WrenBwePeer::estimate_bps(self)
    }
    fn bytes_sent(&self) -> u64 {
        self.stats().bytes_sent
    }
}

/// What the scenario measured, whatever the stack.
struct Connected {
    recording: Recording,
    connect_time: Duration,
    queue_full: u64,
    lost: u64,
}

/// Runs the sim until both `peers` (sender, receiver) are connected, then the scenario
/// on the sender's host `hs`.
fn run_connected<P: BwePeer>(
    sim: &mut Sim,
    start: Instant,
    scenario: &Scenario,
    stack: &str,
    hs: wren_netsim::HostId,
    peers: [wren_netsim::NodeId; 2],
) -> Result<Connected, Failure> {
    let [s, r] = peers;
    let connected = sim.run_until_cond(start + CONNECT_WITHIN, |sim| {
        sim.machine::<P>(s).connected() && sim.machine::<P>(r).connected()
    });
    if !connected {
        return Err(format!("the {stack} peers did not connect"));
    }
    let connect_time = sim.now() - start;
    let before = sim.stats();
    let start_media = |sim: &mut Sim| sim.with(s, |p: &mut P, now| p.start_media(now));
    let recording = drive(scenario, stack, sim, hs, start_media, |sim| {
        let p = sim.machine::<P>(s);
        Reading {
            estimate_bps: p.estimate_bps(),
            bytes_sent: p.bytes_sent(),
        }
    })
    .map_err(|e| format!("scenario: {e}"))?;
    let after = sim.stats();
    let dropped = |reason| after.dropped(reason) - before.dropped(reason);
    Ok(Connected {
        recording,
        connect_time,
        queue_full: dropped(DropReason::QueueFull),
        lost: dropped(DropReason::Loss),
    })
}

/// What a wren-media run left.
#[derive(Debug)]
pub struct WrenRun {
    /// The samples.
    pub recording: Recording,
    /// Virtual time from creating the peers to both being connected.
    pub connect_time: Duration,
    /// The sender's counters at the end.
    pub sender: WrenStats,
    /// The receiver's counters at the end.
    pub receiver: WrenStats,
    /// The sender's frame-mode counters (its controller's and pacer's state included).
    pub media: wren_media::peer::MediaStats,
    /// Packets the bottleneck's queue dropped during the scenario.
    pub queue_full: u64,
    /// Packets random loss dropped during the scenario.
    pub lost: u64,
}

/// A frame-mode peer on `ip` with one video transceiver in `direction`.
fn wren_peer(
    sim: &mut Sim,
    ip: IpAddr,
    direction: Direction,
    role: WrenRole,
) -> Result<WrenBwePeer, Failure> {
    let identity = Arc::new(Identity::generate().map_err(|e| format!("identity: {e}"))?);
    let mut config = Config::new(IceRole::Controlled, DtlsRole::Server, vec![ip], identity);
    config.rng_seed = Some(sim.fork_seed());
    let now = sim.now();
    let mut rtc = Peer::new(now, config);
    rtc.add_transceiver(Transceiver::new(MediaKind::Video, direction));
    let mut media = MediaConfig {
        frame_events: false,
        ..MediaConfig::default()
    };
    media.gcc.start_bitrate_bps = START_BPS;
    media.gcc.max_bitrate_bps = MAX_BPS;
    let seed = u64::from_le_bytes(sim.fork_seed()[..8].try_into().map_err(|_| "seed")?);
    Ok(WrenBwePeer::new(
        MediaPeer::new(now, rtc, media, seed),
        role,
    ))
}

/// Runs `scenario` with two wren-media peers in frame mode (a send-only VP8 section
/// negotiated with SDP; JSEP decides the ICE and DTLS roles) on a simulation seeded with
/// `seed`, starting at `start` (virtual); the same topology and encoder rule as
/// [`str0m_run`].
///
/// # Errors
///
/// When the offer/answer fails or the peers do not connect.
pub fn wren_run(scenario: &Scenario, seed: u64, start: Instant) -> Result<WrenRun, Failure> {
    let mut sim = Sim::new(seed, start);
    let link = LinkConfig::ideal().with_delay(ONE_WAY);
    let hs = sim.add_host(HostConfig::public(SENDER.ip()).with_link(link));
    let hr = sim.add_host(HostConfig::public(RECEIVER.ip()).with_link(LinkConfig::ideal()));
    let sender = wren_peer(
        &mut sim,
        SENDER.ip(),
        Direction::SendOnly,
        WrenRole::Sender { max_bps: MAX_BPS },
    )?;
    let receiver = wren_peer(
        &mut sim,
        RECEIVER.ip(),
        Direction::RecvOnly,
        WrenRole::Receiver,
    )?;
    let s = sim.add_machine(hs, sender);
    let r = sim.add_machine(hr, receiver);
    let offer = sim
        .with(s, |p: &mut WrenBwePeer, now| {
            p.peer_mut().rtc_mut().create_offer(now)
        })
        .map_err(|e| format!("offer: {e}"))?;
    let answer = sim
        .with(r, |p: &mut WrenBwePeer, now| {
            let offer = SessionDescription {
                kind: SdpType::Offer,
                sdp: offer,
            };
            p.peer_mut().rtc_mut().set_remote_description(now, &offer)?;
            p.peer_mut().rtc_mut().create_answer(now)
        })
        .map_err(|e| format!("answer: {e}"))?;
    sim.with(s, |p: &mut WrenBwePeer, now| {
        let answer = SessionDescription {
            kind: SdpType::Answer,
            sdp: answer,
        };
        p.peer_mut().rtc_mut().set_remote_description(now, &answer)
    })
    .map_err(|e| format!("set answer: {e}"))?;
    let run = run_connected::<WrenBwePeer>(&mut sim, start, scenario, "wren-media", hs, [s, r])?;
    Ok(WrenRun {
        recording: run.recording,
        connect_time: run.connect_time,
        sender: sim.machine::<WrenBwePeer>(s).stats(),
        receiver: sim.machine::<WrenBwePeer>(r).stats(),
        media: sim.machine::<WrenBwePeer>(s).peer().stats(),
        queue_full: run.queue_full,
        lost: run.lost,
    })
}
