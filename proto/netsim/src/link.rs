//! A host's access link: delay, jitter, loss, duplication, reordering, MTU, and an optional
//! bottleneck (a serialization rate and a drop-tail queue), applied to every packet that
//! leaves or enters the host.

use std::num::NonZeroU64;
use std::time::Duration;

use wren_core::Rng;

use crate::trace::DropReason;

/// IPv4 + UDP header bytes counted against [`LinkConfig::mtu`].
pub const V4_HEADER: usize = 28;
/// IPv6 + UDP header bytes counted against [`LinkConfig::mtu`].
pub const V6_HEADER: usize = 48;

/// The behaviour of a host's access link, applied once when a packet leaves the host and
/// once when one enters it (so a path between two hosts crosses two links).
///
/// The default is a clean link: 5 ms of delay, nothing else, MTU 1500, no rate limit.
///
/// # The bottleneck
///
/// With [`LinkConfig::rate_bps`] set, each direction of the link (out of the host, into the
/// host) is a FIFO served at that rate, in this order: the MTU check, random
/// [`LinkConfig::loss`] (and [`LinkConfig::duplicate`], whose copy queues too), the queue,
/// serialization, then the propagation delay ([`LinkConfig::delay`], jitter, reordering,
/// drawn as the packet leaves the queue). A packet takes `(payload + IP/UDP header) * 8 /
/// rate_bps` seconds to serialize and waits for every packet ahead of it. The queue holds
/// at most [`LinkConfig::queue_packets`] packets, counting the one being serialized; a UDP
/// packet that arrives to a full queue is dropped with [`crate::DropReason::QueueFull`]
/// (counted apart from [`crate::DropReason::Loss`]). TCP messages bypass the queue.
/// [`crate::Sim::link_queue`] reads a queue's state and [`crate::Sim::record_queue_delays`]
/// records the wait of each packet.
///
/// ```
/// use std::time::{Duration, Instant};
/// use wren_netsim::{Direction, HostConfig, LinkConfig, Sim};
///
/// let mut sim = Sim::new(1, Instant::now());
/// // 1 Mbit/s each way, at most 50 packets queued, 25 ms of propagation.
/// let link = LinkConfig::ideal()
///     .with_delay(Duration::from_millis(25))
///     .with_bottleneck(1_000_000, 50);
/// let host = sim.add_host(HostConfig::public("192.0.2.1".parse().unwrap()).with_link(link));
/// assert_eq!(sim.link_queue(host, Direction::Egress).packets, 0);
/// // Later, while it runs: the link drops to 300 kbit/s.
/// sim.set_link(host, link.with_rate(300_000)).unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct LinkConfig {
    /// Fixed one-way delay of the link.
    pub delay: Duration,
    /// Extra delay drawn uniformly from `0..=jitter` per packet; packets overtake each
    /// other when it exceeds their spacing.
    pub jitter: Duration,
    /// Probability that a UDP packet is lost on the link.
    pub loss: f64,
    /// Probability that a UDP packet is duplicated (the copy draws its own delay).
    pub duplicate: f64,
    /// Probability that a UDP packet is held back by [`LinkConfig::reorder_delay`], so
    /// later ones overtake it.
    pub reorder: f64,
    /// The extra delay of a reordered packet.
    pub reorder_delay: Duration,
    /// The largest IP packet: UDP payload plus 28 (IPv4) or 48 (IPv6) header bytes.
    /// Larger UDP packets are dropped. TCP messages are segmented and never dropped.
    pub mtu: usize,
    /// The serialization rate of each direction in bit/s; `None` for no limit (packets
    /// never wait for each other). See "The bottleneck" above.
    pub rate_bps: Option<NonZeroU64>,
    /// The drop-tail bound of each direction's queue in packets (the one being serialized
    /// included) when [`LinkConfig::rate_bps`] is set; `None` for no bound.
    pub queue_packets: Option<usize>,
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig {
            delay: Duration::from_millis(5),
            jitter: Duration::ZERO,
            loss: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            reorder_delay: Duration::from_millis(20),
            mtu: 1500,
            rate_bps: None,
            queue_packets: None,
        }
    }
}

impl LinkConfig {
    /// A link with no delay and no impairment.
    #[must_use]
    pub fn ideal() -> Self {
        LinkConfig {
            delay: Duration::ZERO,
            ..LinkConfig::default()
        }
    }

    /// Sets [`LinkConfig::delay`].
    #[must_use]
    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Sets [`LinkConfig::jitter`].
    #[must_use]
    pub fn with_jitter(mut self, jitter: Duration) -> Self {
        self.jitter = jitter;
        self
    }

    /// Sets [`LinkConfig::loss`].
    #[must_use]
    pub fn with_loss(mut self, loss: f64) -> Self {
        self.loss = loss;
        self
    }

    /// Sets [`LinkConfig::duplicate`].
    #[must_use]
    pub fn with_duplicate(mut self, duplicate: f64) -> Self {
        self.duplicate = duplicate;
        self
    }

    /// Sets [`LinkConfig::reorder`] and [`LinkConfig::reorder_delay`].
    #[must_use]
    pub fn with_reorder(mut self, reorder: f64, extra: Duration) -> Self {
        self.reorder = reorder;
        self.reorder_delay = extra;
        self
    }

    /// Sets [`LinkConfig::mtu`].
    #[must_use]
    pub fn with_mtu(mut self, mtu: usize) -> Self {
        self.mtu = mtu;
        self
    }

    /// Sets [`LinkConfig::rate_bps`]; 0 removes the limit.
    #[must_use]
    pub fn with_rate(mut self, bits_per_second: u64) -> Self {
        self.rate_bps = NonZeroU64::new(bits_per_second);
        self
    }

    /// Sets [`LinkConfig::queue_packets`].
    #[must_use]
    pub fn with_queue(mut self, packets: usize) -> Self {
        self.queue_packets = Some(packets);
        self
    }

    /// A bottleneck: [`LinkConfig::with_rate`] and [`LinkConfig::with_queue`] together
    /// (for example 1 Mbit/s and 50 packets).
    #[must_use]
    pub fn with_bottleneck(self, bits_per_second: u64, queue_packets: usize) -> Self {
        self.with_rate(bits_per_second).with_queue(queue_packets)
    }

    /// What the link does to one UDP packet of `len` payload bytes: its delay and, when it
    /// is duplicated, the copy's delay; or why it is dropped.
    pub(crate) fn pass_udp(
        &self,
        rng: &mut Rng,
        len: usize,
        v4: bool,
    ) -> Result<(Duration, Option<Duration>), DropReason> {
        if len.saturating_add(header(v4)) > self.mtu {
            return Err(DropReason::Mtu);
        }
        if chance(rng, self.loss) {
            return Err(DropReason::Loss);
        }
        let delay = self.sample(rng);
        let copy = chance(rng, self.duplicate).then(|| self.sample(rng));
        Ok((delay, copy))
    }

    /// The checks made before a UDP packet of `len` payload bytes enters a rate-limited
    /// link's queue: MTU, loss, duplication. `Ok(true)` when it is duplicated.
    pub(crate) fn admit_udp(
        &self,
        rng: &mut Rng,
        len: usize,
        v4: bool,
    ) -> Result<bool, DropReason> {
        if len.saturating_add(header(v4)) > self.mtu {
            return Err(DropReason::Mtu);
        }
        if chance(rng, self.loss) {
            return Err(DropReason::Loss);
        }
        Ok(chance(rng, self.duplicate))
    }

    /// The propagation delay of one UDP packet leaving a rate-limited link's queue:
    /// delay, jitter and reordering.
    pub(crate) fn propagation(&self, rng: &mut Rng) -> Duration {
        self.sample(rng)
    }

    /// The delay of one message of a reliable, ordered stream: delay and jitter only.
    pub(crate) fn pass_stream(&self, rng: &mut Rng) -> Duration {
        self.delay + jitter(rng, self.jitter)
    }

    fn sample(&self, rng: &mut Rng) -> Duration {
        let mut d = self.delay + jitter(rng, self.jitter);
        if chance(rng, self.reorder) {
            d += self.reorder_delay;
        }
        d
    }
}

/// The IP and UDP header bytes of the family.
pub(crate) fn header(v4: bool) -> usize {
    if v4 { V4_HEADER } else { V6_HEADER }
}

/// Uniform in `0..=max`, drawing nothing when `max` is zero.
fn jitter(rng: &mut Rng, max: Duration) -> Duration {
    if max.is_zero() {
        return Duration::ZERO;
    }
    let nanos = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(rng.below(nanos.saturating_add(1)))
}

/// True with probability `p`, drawing nothing when `p` is 0 or less.
pub(crate) fn chance(rng: &mut Rng, p: f64) -> bool {
    if p <= 0.0 {
        return false;
    }
    if p >= 1.0 {
        return true;
    }
    // 53 random bits: a uniform f64 in [0, 1).
    let unit = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    unit < p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mtu_counts_the_headers_of_the_family() {
        let link = LinkConfig::ideal().with_mtu(1500);
        let mut rng = Rng::from_seed([0; 32]);
        assert!(link.pass_udp(&mut rng, 1472, true).is_ok());
        assert_eq!(link.pass_udp(&mut rng, 1473, true), Err(DropReason::Mtu));
        assert!(link.pass_udp(&mut rng, 1452, false).is_ok());
        assert_eq!(link.pass_udp(&mut rng, 1453, false), Err(DropReason::Mtu));
    }

    #[test]
    fn jitter_stays_within_its_bound() {
        let link = LinkConfig::ideal()
            .with_delay(Duration::from_millis(10))
            .with_jitter(Duration::from_millis(5));
        let mut rng = Rng::from_seed([3; 32]);
        for _ in 0..1000 {
            let (d, _) = link.pass_udp(&mut rng, 100, true).unwrap_or_default();
            assert!(d >= Duration::from_millis(10) && d <= Duration::from_millis(15));
        }
    }
}
