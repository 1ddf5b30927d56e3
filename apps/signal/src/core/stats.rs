//! Counters of the signaling machine, for `/metrics`.

use super::Refusal;
use crate::message::inbound::InboundError;

/// What the machine has done since it started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Connections accepted.
    pub connections_accepted: u64,
    /// Connections refused (no channel, full, draining).
    pub connections_refused: u64,
    /// Connections replaced by a newer one of the same role and id.
    pub replaced: u64,
    /// Connections closed for silence.
    pub idle_closed: u64,
    /// Connections closed at their maximum age.
    pub aged_closed: u64,
    /// Messages delivered.
    pub delivered: u64,
    /// Messages refused as malformed (bad JSON, action, base64, ids).
    pub malformed: u64,
    /// Payloads over the size limit.
    pub oversize: u64,
    /// Messages from a viewer to a viewer, or from the master to no one.
    pub misaddressed: u64,
    /// Messages whose recipient was not connected.
    pub undeliverable: u64,
    /// Messages above the rate limits.
    pub rate_limited: u64,
    /// Messages for connections the machine does not know.
    pub from_unknown: u64,
    /// Messages handed to another node (clustered: the recipient is not connected here).
    pub forwarded: u64,
    /// Messages from other nodes delivered here (also counted in `delivered`).
    pub remote_delivered: u64,
    /// Messages from other nodes whose recipient had left this node.
    pub remote_undeliverable: u64,
    /// Messages refused because the other nodes could not be reached.
    pub cluster_unavailable: u64,
}

impl Stats {
    pub(super) fn count_refusal(&mut self, why: &Refusal) {
        let counter = match why {
            Refusal::Malformed(InboundError::PayloadTooLarge(_)) => &mut self.oversize,
            Refusal::Malformed(_) => &mut self.malformed,
            Refusal::ViewerToViewer | Refusal::NoRecipient => &mut self.misaddressed,
            Refusal::NotConnected(_) => &mut self.undeliverable,
            Refusal::RateExceeded(_) => &mut self.rate_limited,
            Refusal::ClusterUnavailable => &mut self.cluster_unavailable,
        };
        *counter += 1;
    }
}
