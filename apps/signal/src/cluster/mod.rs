//! Several wren-signal nodes on one Redis: the adapter between the signaling machine
//! ([`crate::core::Signaling`], which stays sans-IO) and Redis. The machine's task
//! (`server::actor`) drives it: it hands the machine's [`ClusterOutput`]s to [`Cluster::send`]
//! and feeds the [`Event`]s that come back to the machine.
//!
//! # What lives in Redis
//!
//! The keys are listed in `keys.rs`. In short: the channels (a hash, so create, describe,
//! list and delete agree on every node: the control plane reads and writes Redis), who
//! holds each role (`member:{arn}:master` → `node/conn`, with a TTL a few seconds long that
//! each node's heartbeat refreshes, so a SIGKILLed node's registrations vanish by
//! themselves), which nodes are alive (`node:{id}`, same TTL), and one inbox per node.
//!
//! A new connection's registration replaces an older one for the same role and id at once,
//! wherever it is: the registering script tells the older holder's node (an `evict` entry
//! in its inbox), which sends its connection GO_AWAY and closes it. A registration left by
//! a killed node is replaced the same way (its node key has expired, or its eviction lands
//! in an inbox no one reads), so a client that reconnects elsewhere is accepted at once.
//!
//! # Delivery: Redis Streams, one per node
//!
//! A message for a recipient not connected here goes, in one atomic script, to the inbox of
//! the node that holds the recipient's role (`XADD`), or is answered as today (a
//! STATUS_RESPONSE, 404 `RecipientNotConnected`) when no live node holds it. Streams rather
//! than pub/sub, because:
//!
//! - an entry waits in the stream while its reader reconnects; a pub/sub message published
//!   while a subscriber is reconnecting is lost without a trace;
//! - each entry has an id that only grows, and the reader keeps the last one it took
//!   ([`entry::Cursor`]): after any reconnect it reads on after that id, and an id not past
//!   it is dropped, so no entry is handed to the machine twice. The sender never retries an
//!   `XADD` whose outcome it does not know (it answers the sender's correlation id with a
//!   503 instead), so each message is appended at most once. Together: nothing is
//!   delivered twice;
//! - one link task per node sends in the order the machine forwarded, and one stream keeps
//!   its order, so each sender's messages arrive in the order sent.
//!
//! Each inbox is capped (`MAXLEN ~`, [`Settings::inbox_len`]): a node that stops reading
//! loses old entries rather than filling Redis.
//!
//! # When Redis goes away
//!
//! The link logs one clear line (`redis unreachable: ...`), counts the error (`/metrics`:
//! `wren_signal_cluster_redis_errors_total`, `wren_signal_cluster_up 0`) and reconnects
//! with backoff (100 ms doubling to 2 s). Meanwhile local delivery goes on (the machine
//! routes between connections of one node without Redis), connections to channels this
//! node knows are accepted, a message for another node is answered with a 503
//! STATUS_RESPONSE, and the control plane answers 503. When Redis is back, the heartbeat
//! writes this node's registrations again and the channels it knows are put back if Redis
//! lost them (a restart without persistence), so cross-node delivery comes back by itself.
//!
//! # The client crate
//!
//! redis-rs (`redis`), the Rust client the Redis project itself lists first, maintained and
//! released often, on tokio, with Lua scripts sent as `EVALSHA` (and re-sent on `NOSCRIPT`
//! after a restart). Its multiplexed connection pipelines the link's commands on one
//! socket; reconnection is ours (`link.rs`), so the machine's task sees one typed
//! [`ClusterError`] and the logs say when Redis went and came back. fred was the other
//! candidate: as good, but larger, with its own reconnect policy and its own pool, neither
//! of which we need. The scripts need a standalone Redis (or one primary), not Redis Cluster:
//! they name other nodes' keys.

mod backoff;
pub mod entry;
mod error;
mod inbox;
pub mod keys;
mod link;
mod scripts;
mod stats;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

pub use backoff::Backoff;
pub use entry::Entry;
pub use error::ClusterError;
pub use keys::{NodeId, NodeIdError};
pub use stats::{ClusterSnapshot, ClusterStats};

use crate::channel_arn::ChannelArn;
use crate::core::{ChannelInfo, ClusterOutput, ConnId, ForwardFailure, RegistryError, Role};
use link::{Command, Link};

/// How a node joins the cluster.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The Redis URL (`redis://127.0.0.1:6379`, `redis+unix:///run/redis.sock`).
    pub url: String,
    /// This node's id (`--node-id`; random by default).
    pub node: NodeId,
    /// How long registrations and the node's liveness last without a heartbeat (the
    /// heartbeat runs every third of it).
    pub ttl: Duration,
    /// Entries at most in a node's inbox stream (`MAXLEN ~`).
    pub inbox_len: usize,
    /// The region written into channel ARNs.
    pub region: String,
    /// The account written into channel ARNs.
    pub account: String,
    /// Channels at most, across the cluster.
    pub max_channels: usize,
}

impl Settings {
    /// Settings for `url` with a random node id, a 5-second TTL and 10,000-entry inboxes;
    /// the server sets the region, account and channel limit to its own.
    ///
    /// # Errors
    ///
    /// When `url` is not a Redis URL.
    pub fn new(url: &str) -> Result<Settings, ClusterError> {
        redis::Client::open(url).map_err(|e| ClusterError::BadUrl {
            url: url.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(Settings {
            url: url.to_owned(),
            node: NodeId::random(),
            ttl: Duration::from_secs(5),
            inbox_len: 10_000,
            region: "us-west-2".to_owned(),
            account: "000000000000".to_owned(),
            max_channels: 10_000,
        })
    }
}

/// What the cluster tells the machine's task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// An entry of this node's inbox (a message, an eviction, a deleted channel).
    Entry(Entry),
    /// A forwarded message was not delivered.
    ForwardFailed {
        /// Its sender here.
        from: ConnId,
        /// Its recipient's role.
        to: Role,
        /// The sender's correlation id.
        correlation: Option<String>,
        /// Why.
        why: ForwardFailure,
    },
}

/// A running cluster adapter: the link and the inbox reader.
#[derive(Debug, Clone)]
pub struct Cluster {
    cmds: mpsc::Sender<Command>,
    stats: Arc<ClusterStats>,
    node: NodeId,
}

/// Commands queued for the link before the machine's task drops new ones (counted).
const QUEUE: usize = 16_384;

impl Cluster {
    /// Starts the link and the inbox reader on the current tokio runtime; what they learn
    /// comes out of `events`. Connecting happens in the background (with backoff): a Redis
    /// that is down now is not an error here.
    ///
    /// # Errors
    ///
    /// When the URL is not a Redis URL.
    pub fn start(settings: Settings, events: mpsc::Sender<Event>) -> Result<Cluster, ClusterError> {
        let client =
            redis::Client::open(settings.url.as_str()).map_err(|e| ClusterError::BadUrl {
                url: settings.url.clone(),
                reason: e.to_string(),
            })?;
        let stats = Arc::new(ClusterStats::default());
        let (cmds, rx) = mpsc::channel(QUEUE);
        let node = settings.node.clone();
        tracing::info!(%node, url = %settings.url, "joining the cluster through redis");
        tokio::spawn(inbox::run(
            client.clone(),
            node.clone(),
            stats.clone(),
            events.clone(),
        ));
        tokio::spawn(Link::new(settings, client, stats.clone(), events).run(rx));
        Ok(Cluster { cmds, stats, node })
    }

    /// This node's id.
    #[must_use]
    pub fn node(&self) -> &NodeId {
        &self.node
    }

    /// The counters.
    #[must_use]
    pub fn stats(&self) -> ClusterSnapshot {
        self.stats.snapshot()
    }

    /// Hands the link one of the machine's outputs, without waiting; `false` (and counted)
    /// when its queue is full or it has stopped.
    pub fn send(&self, out: ClusterOutput) -> bool {
        let ok = self.cmds.try_send(Command::Machine(out)).is_ok();
        if !ok {
            ClusterStats::add(&self.stats.dropped);
        }
        ok
    }

    async fn ask<T>(
        &self,
        make: impl FnOnce(link::Reply<T>) -> Command,
    ) -> Result<T, ClusterError> {
        let (reply, rx) = oneshot::channel();
        self.cmds
            .send(make(reply))
            .await
            .map_err(|_| ClusterError::Stopped)?;
        rx.await.map_err(|_| ClusterError::Stopped)?
    }

    /// CreateSignalingChannel, in Redis.
    ///
    /// # Errors
    ///
    /// When Redis cannot be asked; the inner error is the registry's answer.
    pub async fn create(
        &self,
        name: String,
    ) -> Result<Result<ChannelInfo, RegistryError>, ClusterError> {
        self.ask(|reply| Command::Create { name, reply }).await
    }

    /// The channel with ARN `arn`, or named `name`.
    ///
    /// # Errors
    ///
    /// When Redis cannot be asked.
    pub async fn find(
        &self,
        arn: Option<ChannelArn>,
        name: Option<String>,
    ) -> Result<Option<ChannelInfo>, ClusterError> {
        self.ask(|reply| Command::Find { arn, name, reply }).await
    }

    /// Every channel, in name order.
    ///
    /// # Errors
    ///
    /// When Redis cannot be asked.
    pub async fn list(&self) -> Result<Vec<ChannelInfo>, ClusterError> {
        self.ask(|reply| Command::List { reply }).await
    }

    /// DeleteSignalingChannel, in Redis; every node is told.
    ///
    /// # Errors
    ///
    /// When Redis cannot be asked; the inner error is the registry's answer.
    pub async fn delete(
        &self,
        arn: ChannelArn,
    ) -> Result<Result<ChannelInfo, RegistryError>, ClusterError> {
        self.ask(|reply| Command::Delete { arn, reply }).await
    }
}
