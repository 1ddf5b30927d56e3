//! Counters of the TURN server, for logs and the Prometheus endpoint.

/// What the server did and dropped, since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Allocations now.
    pub allocations: u64,
    /// Permissions now.
    pub permissions: u64,
    /// Channel bindings now.
    pub channels: u64,
    /// TCP or TLS connections now waiting to allocate (each closed if it has not by
    /// [`super::Config::max_allocate_timeout`]).
    pub connections_waiting: u64,
    /// Allocations created.
    pub allocations_created: u64,
    /// Allocations that ran out of lifetime.
    pub allocations_expired: u64,
    /// Allocations deleted because their TCP or TLS connection closed.
    pub allocations_disconnected: u64,
    /// TCP or TLS connections closed for not allocating within
    /// [`super::Config::max_allocate_timeout`].
    pub connections_timed_out: u64,
    /// TCP or TLS connections closed at once: too many waiting to allocate.
    pub connections_refused: u64,
    /// Requests that failed authentication (401/438 after a signed request).
    pub auth_failures: u64,
    /// Packets relayed client -> peer.
    pub packets_to_peers: u64,
    /// Bytes relayed client -> peer (application data).
    pub bytes_to_peers: u64,
    /// Packets relayed peer -> client.
    pub packets_to_clients: u64,
    /// Bytes relayed peer -> client (application data).
    pub bytes_to_clients: u64,
    /// Dropped: not STUN, not ChannelData, or malformed.
    pub dropped_malformed: u64,
    /// Dropped: no allocation for the 5-tuple or relayed address.
    pub dropped_no_allocation: u64,
    /// Dropped: no permission for the peer.
    pub dropped_no_permission: u64,
    /// Dropped: ChannelData on an unbound channel.
    pub dropped_unknown_channel: u64,
    /// Dropped: over the allocation's bandwidth.
    pub dropped_bandwidth: u64,
    /// Dropped: the transmit queue was full.
    pub dropped_queue_full: u64,
    /// Error responses sent.
    pub error_responses: u64,
}
