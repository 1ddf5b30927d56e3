//! The cluster adapter's error.

/// Why a cluster operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// Redis cannot be reached now (the link is reconnecting with backoff).
    #[error("redis is unreachable: {0}")]
    Unreachable(String),
    /// Redis answered with an error, or with something this node cannot read.
    #[error("redis answered unexpectedly: {0}")]
    Protocol(String),
    /// The link task is gone (the server is stopping).
    #[error("the cluster link has stopped")]
    Stopped,
    /// The URL given to `--redis` is not a Redis URL.
    #[error("bad redis URL {url:?}: {reason}")]
    BadUrl {
        /// The URL.
        url: String,
        /// What redis-rs said.
        reason: String,
    },
}

impl ClusterError {
    /// Sorts a redis-rs error: a lost or refused connection or a timeout means Redis is
    /// unreachable (reconnect); anything else is an answer we did not expect.
    pub(crate) fn from_redis(e: &redis::RedisError) -> ClusterError {
        if e.is_io_error()
            || e.is_timeout()
            || e.is_connection_dropped()
            || e.is_connection_refusal()
            || e.is_unrecoverable_error()
        {
            ClusterError::Unreachable(e.to_string())
        } else {
            ClusterError::Protocol(e.to_string())
        }
    }

    /// Whether the link must reconnect.
    #[must_use]
    pub fn is_unreachable(&self) -> bool {
        matches!(self, ClusterError::Unreachable(_))
    }
}
