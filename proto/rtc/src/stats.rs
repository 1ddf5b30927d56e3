//! One report of everything a peer counts, shaped like WebRTC's `getStats()` (W3C
//! webrtc-stats): the transport (ICE and DTLS state, the selected pair), every candidate
//! pair, the RTP streams each way (`inbound-rtp`, `outbound-rtp`, `remote-inbound-rtp`)
//! and the data channels, with the drop counters of each part beside them.

use wren_ice::{ConnectionState, PairReport, SelectedPair};

use crate::{DataStats, DtlsRole, DtlsState, MediaStats, Stats};

/// A data channel's state (W3C `RTCDataChannelState`; a closed channel leaves the report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelState {
    /// Waiting for SCTP or for the peer's DATA_CHANNEL_ACK.
    Connecting,
    /// Messages go both ways.
    Open,
    /// Its stream reset was sent.
    Closing,
}

/// One data channel (getStats' `data-channel`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataChannelStats {
    /// Its id (the SCTP stream).
    pub id: crate::ChannelId,
    /// Its label.
    pub label: String,
    /// Its subprotocol.
    pub protocol: String,
    /// Its state.
    pub state: ChannelState,
    /// Messages sent on it.
    pub messages_sent: u64,
    /// Bytes of messages sent.
    pub bytes_sent: u64,
    /// Messages received on it.
    pub messages_received: u64,
    /// Bytes of messages received.
    pub bytes_received: u64,
}

/// The transport (getStats' `transport`): one ICE transport with DTLS on it, as BUNDLE
/// and rtcp-mux make it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportStats {
    /// ICE's connection state.
    pub ice_state: ConnectionState,
    /// DTLS's state.
    pub dtls_state: DtlsState,
    /// Our DTLS role.
    pub dtls_role: DtlsRole,
    /// The pair media and data use, once there is one.
    pub selected_pair: Option<SelectedPair>,
    /// The ICE agent's counters (checks, refusals, drops).
    pub ice: wren_ice::agent::Stats,
    /// The peer's packet counters and drops (SRTP, demux, candidates).
    pub packets: Stats,
}

/// Everything at once ([`crate::Peer::get_stats`]).
#[derive(Debug, Clone, PartialEq)]
pub struct StatsReport {
    /// The transport.
    pub transport: TransportStats,
    /// Every candidate pair with its state and checks (getStats' `candidate-pair`, with
    /// its `local-candidate` and `remote-candidate`).
    pub candidate_pairs: Vec<PairReport>,
    /// The RTP streams each way.
    pub media: MediaStats,
    /// The data channels open or opening.
    pub data_channels: Vec<DataChannelStats>,
    /// SCTP and channel totals and drops.
    pub data: DataStats,
}
