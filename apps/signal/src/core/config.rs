//! The limits of the signaling machine, with KVS's values as defaults.

use std::time::Duration;

/// What the machine allows and when it acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Viewers per channel besides the master (KVS: 10).
    pub max_viewers: usize,
    /// SDP offers and answers per second per connection (KVS: 5).
    pub sdp_per_second: u32,
    /// ICE candidates per second per connection (KVS: 20).
    pub candidates_per_second: u32,
    /// A connection that sends nothing this long is closed (KVS: 10 minutes).
    pub idle_timeout: Duration,
    /// A connection is closed at this age (KVS: 1 hour)...
    pub max_age: Duration,
    /// ...after a GO_AWAY this long before.
    pub go_away_lead: Duration,
    /// How long a drain waits, after its GO_AWAY, before it closes connections.
    pub drain_grace: Duration,
    /// One node of several (they share channels and members through Redis): a message whose
    /// recipient is not connected here comes out as [`super::ClusterOutput::Forward`] rather
    /// than a refusal, and joins and leaves come out for the shared registry
    /// ([`super::Signaling::poll_cluster`]). Off: one node alone, as before.
    pub clustered: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_viewers: 10,
            sdp_per_second: 5,
            candidates_per_second: 20,
            idle_timeout: Duration::from_secs(600),
            max_age: Duration::from_secs(3600),
            go_away_lead: Duration::from_secs(30),
            drain_grace: Duration::from_secs(10),
            clustered: false,
        }
    }
}
