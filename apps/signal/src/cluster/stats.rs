//! The cluster adapter's counters, shared by its tasks and read by `/metrics`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

/// Counters of the link and the inbox reader.
#[derive(Debug, Default)]
pub struct ClusterStats {
    /// Messages appended to another node's inbox.
    pub sent: AtomicU64,
    /// Messages taken from this node's inbox.
    pub received: AtomicU64,
    /// Forwards no live node held the recipient of.
    pub not_connected: AtomicU64,
    /// Errors from Redis (each failed command or connection attempt).
    pub redis_errors: AtomicU64,
    /// Evictions received (a newer registration on another node).
    pub evictions: AtomicU64,
    /// Commands dropped because the link's queue was full.
    pub dropped: AtomicU64,
    /// Whether the link is connected to Redis now.
    pub up: AtomicBool,
}

/// A copy of [`ClusterStats`] at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClusterSnapshot {
    /// See [`ClusterStats::sent`].
    pub sent: u64,
    /// See [`ClusterStats::received`].
    pub received: u64,
    /// See [`ClusterStats::not_connected`].
    pub not_connected: u64,
    /// See [`ClusterStats::redis_errors`].
    pub redis_errors: u64,
    /// See [`ClusterStats::evictions`].
    pub evictions: u64,
    /// See [`ClusterStats::dropped`].
    pub dropped: u64,
    /// See [`ClusterStats::up`].
    pub up: bool,
}

impl ClusterStats {
    /// The counters now.
    #[must_use]
    pub fn snapshot(&self) -> ClusterSnapshot {
        ClusterSnapshot {
            sent: self.sent.load(Relaxed),
            received: self.received.load(Relaxed),
            not_connected: self.not_connected.load(Relaxed),
            redis_errors: self.redis_errors.load(Relaxed),
            evictions: self.evictions.load(Relaxed),
            dropped: self.dropped.load(Relaxed),
            up: self.up.load(Relaxed),
        }
    }

    pub(crate) fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Relaxed);
    }
}
