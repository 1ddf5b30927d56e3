//! Probing (libwebrtc's `ProbeController` and `ProbeBitrateEstimator`): the sender asks
//! the pacer to send a short cluster of packets at a rate above the estimate; from the
//! feedback, the cluster's send rate and receive rate give what the path carried, and a
//! result above the estimate raises it at once instead of over many seconds of AIMD.
//!
//! A cluster's rate is computed once at least 80% of its packets and bytes are
//! acknowledged: the send rate leaves out the last packet's bytes (it closes the send
//! interval), the receive rate the first one's (it opens the receive interval). When the
//! receiver got it much slower than it was sent (under 90%), the link is saturated and
//! the result is 95% of the receive rate; otherwise the lower of the two.

/// Identifies a probe cluster; packets sent for it carry it back through
/// `handle_packet_sent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProbeClusterId(pub u32);

/// A cluster for the pacer to send: at least `min_packets` packets and `min_bytes`
/// bytes at `bitrate_bps`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeCluster {
    /// Its id.
    pub id: ProbeClusterId,
    /// The rate to send at, bit/s.
    pub bitrate_bps: u64,
    /// Bytes to send at least.
    pub min_bytes: usize,
    /// Packets to send at least.
    pub min_packets: u32,
}

/// Clusters remembered at once.
const CLUSTERS: usize = 8;
/// A cluster's intervals longer than this are not a probe.
const MAX_INTERVAL_US: i64 = 1_000_000;
/// Receive/send ratio above which the measurement is not believed.
const MAX_VALID_RATIO: f64 = 2.0;
/// Under this receive/send ratio the link was saturated.
const MIN_RATIO_UNSATURATED: f64 = 0.9;
/// The share of the receive rate taken when saturated.
const TARGET_UTILIZATION: f64 = 0.95;

/// One cluster's measurements.
#[derive(Debug, Clone, Copy)]
struct Measured {
    spec: ProbeCluster,
    first_send: i64,
    last_send: i64,
    first_arrival: i64,
    last_arrival: i64,
    last_send_bytes: u64,
    first_arrival_bytes: u64,
    bytes: u64,
    packets: u32,
    done: bool,
}

/// The clusters asked for and what their feedback said.
#[derive(Debug, Default)]
pub(crate) struct ProbeEstimator {
    clusters: [Option<Measured>; CLUSTERS],
    next: usize,
    next_id: u32,
}

impl ProbeEstimator {
    /// A new cluster at `bitrate_bps` lasting at least `duration_us`, of `min_packets`.
    pub(crate) fn create(
        &mut self,
        bitrate_bps: u64,
        duration_us: u64,
        min_packets: u32,
    ) -> ProbeCluster {
        self.next_id = self.next_id.wrapping_add(1);
        let min_bytes = (bitrate_bps.saturating_mul(duration_us) / 8_000_000).max(1) as usize;
        let spec = ProbeCluster {
            id: ProbeClusterId(self.next_id),
            bitrate_bps,
            min_bytes,
            min_packets,
        };
        self.clusters[self.next] = Some(Measured {
            spec,
            first_send: i64::MAX,
            last_send: i64::MIN,
            first_arrival: i64::MAX,
            last_arrival: i64::MIN,
            last_send_bytes: 0,
            first_arrival_bytes: 0,
            bytes: 0,
            packets: 0,
            done: false,
        });
        self.next = (self.next + 1) % CLUSTERS;
        spec
    }

    /// Takes an acknowledged probe packet; returns the cluster's rate (bit/s) the first
    /// time enough of it is in, if the measurement holds up.
    pub(crate) fn push(
        &mut self,
        id: ProbeClusterId,
        send_us: i64,
        arrival_us: i64,
        bytes: u64,
    ) -> Option<f64> {
        let m = self
            .clusters
            .iter_mut()
            .flatten()
            .find(|m| m.spec.id == id)?;
        if m.done {
            return None;
        }
        if send_us < m.first_send {
            m.first_send = send_us;
        }
        if send_us >= m.last_send {
            m.last_send = send_us;
            m.last_send_bytes = bytes;
        }
        if arrival_us < m.first_arrival {
            m.first_arrival = arrival_us;
            m.first_arrival_bytes = bytes;
        }
        m.last_arrival = m.last_arrival.max(arrival_us);
        m.bytes += bytes;
        m.packets += 1;
        let enough_packets = f64::from(m.packets) >= 0.8 * f64::from(m.spec.min_packets);
        let enough_bytes = m.bytes as f64 >= 0.8 * m.spec.min_bytes as f64;
        if !(enough_packets && enough_bytes) {
            return None;
        }
        let send_interval = m.last_send - m.first_send;
        let arrival_interval = m.last_arrival - m.first_arrival;
        if send_interval <= 0
            || send_interval > MAX_INTERVAL_US
            || arrival_interval <= 0
            || arrival_interval > MAX_INTERVAL_US
        {
            return None;
        }
        m.done = true;
        let send_rate = (m.bytes - m.last_send_bytes) as f64 * 8e6 / send_interval as f64;
        let receive_rate = (m.bytes - m.first_arrival_bytes) as f64 * 8e6 / arrival_interval as f64;
        if receive_rate / send_rate > MAX_VALID_RATIO {
            return None;
        }
        if receive_rate < MIN_RATIO_UNSATURATED * send_rate {
            Some(TARGET_UTILIZATION * receive_rate)
        } else {
            Some(send_rate.min(receive_rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sends `n` packets of `size` bytes `gap_us` apart, received `recv_gap_us` apart.
    fn run(
        p: &mut ProbeEstimator,
        id: ProbeClusterId,
        n: i64,
        size: u64,
        gap: i64,
        recv_gap: i64,
    ) -> Option<f64> {
        let mut out = None;
        for i in 0..n {
            if let Some(r) = p.push(id, i * gap, 40_000 + i * recv_gap, size) {
                out = Some(r);
            }
        }
        out
    }

    #[test]
    fn an_unsaturated_path_gives_the_send_rate() {
        let mut p = ProbeEstimator::default();
        // 1 Mbit/s for 15 ms, 5 packets: 1875 bytes.
        let c = p.create(1_000_000, 15_000, 5);
        assert_eq!((c.min_bytes, c.min_packets), (1875, 5));
        // 5 packets of 500 bytes 4 ms apart: 4 * 500 * 8 / 16 ms = 1 Mbit/s both ways.
        let r = run(&mut p, c.id, 5, 500, 4_000, 4_000).expect("result");
        assert!((r - 1_000_000.0).abs() < 1.0, "{r}");
    }

    #[test]
    fn a_saturated_path_gives_95_percent_of_the_receive_rate() {
        let mut p = ProbeEstimator::default();
        let c = p.create(2_000_000, 15_000, 5);
        // Sent at 2 Mbit/s (500 B every 2 ms), received at 500 kbit/s (every 8 ms).
        let r = run(&mut p, c.id, 8, 500, 2_000, 8_000).expect("result");
        assert!((r - 0.95 * 500_000.0).abs() < 1.0, "{r}");
    }

    #[test]
    fn too_few_packets_or_unknown_clusters_give_nothing_and_a_result_comes_once() {
        let mut p = ProbeEstimator::default();
        let c = p.create(1_000_000, 15_000, 5);
        assert_eq!(
            run(&mut p, c.id, 3, 1000, 4_000, 4_000),
            None,
            "3 of 5 packets"
        );
        assert_eq!(p.push(ProbeClusterId(99), 0, 0, 1000), None);
        assert!(p.push(c.id, 12_000, 52_000, 1000).is_some());
        assert_eq!(p.push(c.id, 16_000, 56_000, 1000), None, "already measured");
    }

    #[test]
    fn a_receive_rate_over_twice_the_send_rate_is_not_believed() {
        let mut p = ProbeEstimator::default();
        let c = p.create(1_000_000, 15_000, 5);
        assert_eq!(run(&mut p, c.id, 6, 500, 4_000, 1_000), None);
    }
}
