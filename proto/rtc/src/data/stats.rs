//! Data channel counters.

/// What the data channels did, and what they dropped (nothing from the network is an
/// error: it is counted here).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DataStats {
    /// SCTP packets received (DTLS application data records).
    pub sctp_packets_received: u64,
    /// SCTP packets sent.
    pub sctp_packets_sent: u64,
    /// SCTP packets sctp-proto refused (malformed, bad checksum, no association) or that
    /// came before the association could take them.
    pub sctp_dropped: u64,
    /// DCEP messages that did not parse (RFC 8832 section 5), or an OPEN for a stream
    /// that already has a channel.
    pub dcep_dropped: u64,
    /// Messages sent on channels.
    pub messages_sent: u64,
    /// Messages received on channels.
    pub messages_received: u64,
    /// Bytes of messages sent.
    pub bytes_sent: u64,
    /// Bytes of messages received.
    pub bytes_received: u64,
    /// Messages on a stream of no channel, or of a PPID that is not WebRTC's (RFC 8831
    /// section 8).
    pub messages_dropped: u64,
}
