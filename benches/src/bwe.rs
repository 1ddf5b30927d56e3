//! The str0m 0.25 run of issue 14's bandwidth-estimation scenarios (`wren-bwe-scenario`):
//! two [`Str0mPeer`]s on wren-netsim, the sender on the host whose link is the bottleneck,
//! the receiver on an ideal link. `tests/bwe_str0m.rs` runs it; a test of another stack
//! can call [`str0m_run`] to plot itself beside it (`report::write_png(.., &[&ours,
//! &str0m.recording])`).
//!
//! The peers negotiate (offer and answer handed over directly) and connect over a link of
//! [`ONE_WAY`] delay without a bottleneck; the scenario starts with media (time 0), when
//! its first phase is applied to the sender's link.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use wren_bwe_scenario::{MAX_BPS, ONE_WAY, Reading, Recording, START_BPS, Scenario, drive};
use wren_core::Transport;
use wren_netsim::{DropReason, HostConfig, LinkConfig, Sim};

use crate::str0m_peer::{PeerStats, Role, Str0mPeer};

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
    let connected = sim.run_until_cond(start + CONNECT_WITHIN, |sim| {
        sim.machine::<Str0mPeer>(s).connected() && sim.machine::<Str0mPeer>(r).connected()
    });
    if !connected {
        return Err("the str0m peers did not connect".into());
    }
    let connect_time = sim.now() - start;
    let before = sim.stats();
    let start_media = |sim: &mut Sim| sim.with(s, |p: &mut Str0mPeer, now| p.start_media(now));
    let recording = drive(scenario, "str0m", &mut sim, hs, start_media, |sim| {
        let p = sim.machine::<Str0mPeer>(s);
        Reading {
            estimate_bps: p.estimate_bps(),
            bytes_sent: p.stats().bytes_sent,
        }
    })
    .map_err(|e| format!("scenario: {e}"))?;
    let after = sim.stats();
    let dropped = |reason| after.dropped(reason) - before.dropped(reason);
    Ok(Str0mRun {
        recording,
        connect_time,
        sender: sim.machine::<Str0mPeer>(s).stats(),
        receiver: sim.machine::<Str0mPeer>(r).stats(),
        queue_full: dropped(DropReason::QueueFull),
        lost: dropped(DropReason::Loss),
    })
}
