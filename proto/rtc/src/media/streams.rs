//! The state of each stream: what was sent (counts for the sender report, the history for
//! retransmission, what the peer's reports say about it) and what was received (RFC 3550
//! statistics, the peer's last sender report for LSR/DLSR, losses to NACK), and whether
//! packets flow in each direction.

use std::time::{Duration, Instant};

use super::config::{ReceiveStream, SendStream};
use super::nack_requests::NackRequests;
use super::receive_stats::ReceiveStats;
use super::send_history::SendHistory;

/// Whether packets are flowing in one direction of one stream (Kurento's MediaFlowIn and
/// MediaFlowOut): they start with the first packet and stop after a quiet interval.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Flow {
    last: Option<Instant>,
    flowing: bool,
}

impl Flow {
    /// A packet at `now`; `true` when that starts the flow.
    pub(crate) fn packet(&mut self, now: Instant) -> bool {
        self.last = Some(now);
        !std::mem::replace(&mut self.flowing, true)
    }

    /// `true` when the flow stopped by `now` (it was flowing and is quiet for `timeout`).
    pub(crate) fn check(&mut self, now: Instant, timeout: Duration) -> bool {
        if self.flowing && self.deadline(timeout).is_some_and(|t| t <= now) {
            self.flowing = false;
            return true;
        }
        false
    }

    /// When the flow stops unless a packet comes.
    pub(crate) fn deadline(&self, timeout: Duration) -> Option<Instant> {
        if self.flowing {
            self.last.map(|t| t + timeout)
        } else {
            None
        }
    }
}

/// What the peer's reception reports say about one of our streams (getStats'
/// remote-inbound-rtp).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct RemoteView {
    pub(crate) rtt: Option<Duration>,
    pub(crate) fraction_lost: u8,
    pub(crate) cumulative_lost: i32,
    pub(crate) jitter: u32,
    pub(crate) reports: u64,
}

/// A stream we send.
#[derive(Debug)]
pub(crate) struct SendState {
    pub(crate) config: SendStream,
    pub(crate) history: SendHistory,
    pub(crate) packets: u64,
    /// Payload octets (the sender report's octet count, RFC 3550 section 6.4.1).
    pub(crate) payload_bytes: u64,
    /// Bytes on the wire before SRTP (getStats' bytesSent counts payload bytes; this is
    /// the header-included total for the link).
    pub(crate) bytes: u64,
    pub(crate) retransmitted_packets: u64,
    pub(crate) retransmitted_bytes: u64,
    pub(crate) nacks_received: u64,
    pub(crate) plis_received: u64,
    pub(crate) firs_received: u64,
    /// The last FIR command sequence number taken (RFC 5104 section 4.3.1.2).
    pub(crate) last_fir_seq: Option<u8>,
    /// NACKed packets no longer kept (or with no RTX payload type for them).
    pub(crate) nack_unanswered: u64,
    /// The last RTP timestamp sent and when, to place "now" on the RTP clock for SR.
    pub(crate) last_rtp: Option<(u32, Instant)>,
    /// The next RTX sequence number.
    pub(crate) rtx_seq: u16,
    pub(crate) flow: Flow,
    pub(crate) remote: RemoteView,
}

impl SendState {
    pub(crate) fn new(config: SendStream, history: SendHistory, rtx_seq: u16) -> SendState {
        SendState {
            config,
            history,
            packets: 0,
            payload_bytes: 0,
            bytes: 0,
            retransmitted_packets: 0,
            retransmitted_bytes: 0,
            nacks_received: 0,
            plis_received: 0,
            firs_received: 0,
            last_fir_seq: None,
            nack_unanswered: 0,
            last_rtp: None,
            rtx_seq,
            flow: Flow::default(),
            remote: RemoteView::default(),
        }
    }

    /// The RTP timestamp of `now` (RFC 3550 section 6.4.1: "the same time as the NTP
    /// timestamp"), extrapolated from the last packet sent.
    pub(crate) fn rtp_time_at(&self, now: Instant) -> u32 {
        let Some((ts, at)) = self.last_rtp else {
            return 0;
        };
        let elapsed = now.saturating_duration_since(at);
        let ticks = elapsed.as_micros() * u128::from(self.config.clock_rate) / 1_000_000;
        ts.wrapping_add(ticks as u32)
    }
}

/// A stream we receive.
#[derive(Debug)]
pub(crate) struct ReceiveState {
    pub(crate) config: ReceiveStream,
    pub(crate) stats: ReceiveStats,
    /// The middle 32 bits of the NTP time of the peer's last SR and when it came
    /// (RFC 3550 section 6.4.1: LSR and DLSR).
    pub(crate) last_sr: Option<(u32, Instant)>,
    pub(crate) nack: NackRequests,
    pub(crate) payload_bytes: u64,
    pub(crate) bytes: u64,
    /// RTX packets received for it.
    pub(crate) retransmitted_packets: u64,
    /// Losses an RTX packet filled.
    pub(crate) recovered: u64,
    pub(crate) nacks_sent: u64,
    pub(crate) plis_sent: u64,
    pub(crate) firs_sent: u64,
    /// The FIR command sequence number (RFC 5104 section 4.3.1.1).
    pub(crate) fir_seq: u8,
    pub(crate) flow: Flow,
}

impl ReceiveState {
    pub(crate) fn new(config: ReceiveStream, nack: NackRequests) -> ReceiveState {
        ReceiveState {
            config,
            stats: ReceiveStats::default(),
            last_sr: None,
            nack,
            payload_bytes: 0,
            bytes: 0,
            retransmitted_packets: 0,
            recovered: 0,
            nacks_sent: 0,
            plis_sent: 0,
            firs_sent: 0,
            fir_seq: 0,
            flow: Flow::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flow_starts_with_a_packet_and_stops_after_the_quiet_interval() {
        #[allow(clippy::disallowed_methods)] // an anchor for virtual time
        let t = Instant::now();
        let timeout = Duration::from_secs(2);
        let mut f = Flow::default();
        assert_eq!(f.deadline(timeout), None);
        assert!(f.packet(t));
        assert!(!f.packet(t + Duration::from_secs(1)));
        assert_eq!(f.deadline(timeout), Some(t + Duration::from_secs(3)));
        assert!(!f.check(t + Duration::from_millis(2999), timeout));
        assert!(f.check(t + Duration::from_secs(3), timeout));
        assert!(!f.check(t + Duration::from_secs(4), timeout), "once");
        assert!(f.packet(t + Duration::from_secs(5)), "starts again");
    }
}
