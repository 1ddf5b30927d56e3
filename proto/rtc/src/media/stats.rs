//! Media statistics shaped like WebRTC's getStats (W3C webrtc-stats): one
//! [`InboundRtpStats`] per received stream (`inbound-rtp`), one [`OutboundRtpStats`] per
//! sent stream (`outbound-rtp`) and what the peer's reports say about it
//! ([`RemoteInboundRtpStats`], `remote-inbound-rtp`). Counts are since the stream was
//! added.

use std::time::Duration;

use super::Media;
use super::config::MediaKind;

/// A received stream (`inbound-rtp`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct InboundRtpStats {
    /// Its SSRC.
    pub ssrc: u32,
    /// Audio or video.
    pub kind: MediaKind,
    /// `packetsReceived`: RTP packets, recovered retransmissions and duplicates included
    /// (RFC 3550 appendix A.3).
    pub packets_received: u64,
    /// `packetsLost`: expected minus received (RFC 3550 appendix A.3; negative with
    /// duplicates).
    pub packets_lost: i64,
    /// `jitter`: interarrival jitter (RFC 3550 appendix A.8).
    pub jitter: Duration,
    /// `bytesReceived`: payload bytes.
    pub bytes_received: u64,
    /// `headerBytesReceived` plus `bytesReceived`: whole RTP packets.
    pub packet_bytes_received: u64,
    /// `nackCount`: NACK packets sent.
    pub nack_count: u64,
    /// `pliCount`: PLIs sent.
    pub pli_count: u64,
    /// `firCount`: FIRs sent.
    pub fir_count: u64,
    /// `retransmittedPacketsReceived`: RTX packets received.
    pub retransmitted_packets_received: u64,
    /// Losses a retransmission filled.
    pub packets_recovered: u64,
    /// Losses no longer asked for (asked too often, or too many missing at once).
    pub nack_given_up: u64,
    /// Losses being asked for now.
    pub packets_missing: usize,
}

/// A sent stream (`outbound-rtp`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OutboundRtpStats {
    /// Its SSRC.
    pub ssrc: u32,
    /// Audio or video.
    pub kind: MediaKind,
    /// `packetsSent`: original packets (retransmissions not included).
    pub packets_sent: u64,
    /// `bytesSent`: payload bytes of those.
    pub bytes_sent: u64,
    /// `headerBytesSent` plus `bytesSent`: whole RTP packets before SRTP.
    pub packet_bytes_sent: u64,
    /// `retransmittedPacketsSent`.
    pub retransmitted_packets_sent: u64,
    /// `retransmittedBytesSent` (whole packets).
    pub retransmitted_bytes_sent: u64,
    /// `nackCount`: NACK packets received.
    pub nack_count: u64,
    /// `pliCount`: PLIs received.
    pub pli_count: u64,
    /// `firCount`: FIRs received (repeats not counted).
    pub fir_count: u64,
    /// NACKed packets not retransmitted (no longer kept, no RTX payload type, or sent
    /// again less than an RTT ago).
    pub nack_unanswered: u64,
    /// Packets too large for the history (never retransmittable).
    pub history_too_large: u64,
}

/// What the peer's reception reports say about one of our streams
/// (`remote-inbound-rtp`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RemoteInboundRtpStats {
    /// The SSRC of our stream.
    pub ssrc: u32,
    /// Audio or video.
    pub kind: MediaKind,
    /// `roundTripTime`, from LSR and DLSR (RFC 3550 section 6.4.1).
    pub round_trip_time: Option<Duration>,
    /// `fractionLost` in the last report, 0 to 1.
    pub fraction_lost: f64,
    /// `packetsLost`, cumulative.
    pub packets_lost: i64,
    /// `jitter` as the peer measured it.
    pub jitter: Duration,
    /// `reportsReceived`.
    pub reports_received: u64,
}

/// Every media statistic of a peer ([`crate::Peer::media_stats`]).
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct MediaStats {
    /// Received streams.
    pub inbound: Vec<InboundRtpStats>,
    /// Sent streams.
    pub outbound: Vec<OutboundRtpStats>,
    /// The peer's view of our sent streams (those it reported on).
    pub remote_inbound: Vec<RemoteInboundRtpStats>,
    /// The latest round-trip time from any report (reception reports on our streams, or
    /// XR DLRR when we only receive).
    pub rtt: Option<Duration>,
    /// Transport-wide CC feedback packets sent.
    pub twcc_feedback_sent: u64,
    /// RTCP packets that did not parse.
    pub rtcp_malformed: u64,
    /// RTP packets (or NACKs) of an SSRC no stream has.
    pub unknown_ssrc: u64,
    /// Media events dropped because the queue was full.
    pub events_dropped: u64,
    /// Retransmissions and keyframe requests dropped because the queue was full.
    pub pending_dropped: u64,
    /// RTX packets without an original (padding), not delivered.
    pub rtx_padding: u64,
    /// RTP packets sent without the transport-wide sequence number element while its id
    /// is configured: the peer writes the number into the element the application put
    /// in the packet (two bytes, any value) and adds none itself.
    pub twcc_unstamped: u64,
}

/// Timestamp units to a duration.
fn ticks(units: u32, clock_rate: u32) -> Duration {
    Duration::from_micros(u64::from(units) * 1_000_000 / u64::from(clock_rate.max(1)))
}

impl Media {
    /// The statistics now.
    pub(crate) fn stats(&self) -> MediaStats {
        let inbound = self
            .recv
            .iter()
            .map(|r| InboundRtpStats {
                ssrc: r.config.ssrc,
                kind: r.config.kind,
                packets_received: r.stats.received(),
                packets_lost: r.stats.lost(),
                jitter: ticks(r.stats.jitter(), r.config.clock_rate),
                bytes_received: r.payload_bytes,
                packet_bytes_received: r.bytes,
                nack_count: r.nacks_sent,
                pli_count: r.plis_sent,
                fir_count: r.firs_sent,
                retransmitted_packets_received: r.retransmitted_packets,
                packets_recovered: r.recovered,
                nack_given_up: r.nack.given_up,
                packets_missing: r.nack.len(),
            })
            .collect();
        let outbound = self
            .send
            .iter()
            .map(|s| OutboundRtpStats {
                ssrc: s.config.ssrc,
                kind: s.config.kind,
                packets_sent: s.packets,
                bytes_sent: s.payload_bytes,
                packet_bytes_sent: s.bytes,
                retransmitted_packets_sent: s.retransmitted_packets,
                retransmitted_bytes_sent: s.retransmitted_bytes,
                nack_count: s.nacks_received,
                pli_count: s.plis_received,
                fir_count: s.firs_received,
                nack_unanswered: s.nack_unanswered,
                history_too_large: s.history.too_large,
            })
            .collect();
        let remote_inbound = self
            .send
            .iter()
            .filter(|s| s.remote.reports > 0)
            .map(|s| RemoteInboundRtpStats {
                ssrc: s.config.ssrc,
                kind: s.config.kind,
                round_trip_time: s.remote.rtt,
                fraction_lost: f64::from(s.remote.fraction_lost) / 256.0,
                packets_lost: i64::from(s.remote.cumulative_lost),
                jitter: ticks(s.remote.jitter, s.config.clock_rate),
                reports_received: s.remote.reports,
            })
            .collect();
        MediaStats {
            inbound,
            outbound,
            remote_inbound,
            rtt: self.rtt,
            twcc_feedback_sent: self.twcc_recv.sent,
            rtcp_malformed: self.counters.rtcp_malformed,
            unknown_ssrc: self.counters.unknown_ssrc,
            events_dropped: self.counters.events_dropped,
            pending_dropped: self.counters.pending_dropped,
            rtx_padding: self.counters.rtx_padding,
            twcc_unstamped: self.counters.twcc_unstamped,
        }
    }
}
