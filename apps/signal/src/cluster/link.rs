//! The link task: one Redis connection for this node's writes and the control plane. It
//! takes the machine's [`ClusterOutput`]s in order (so each sender's messages leave in the
//! order sent), keeps this node alive in Redis with a heartbeat that refreshes its
//! registrations, and reconnects with backoff when Redis goes away: meanwhile every command
//! fails at once with [`ClusterError::Unreachable`] (local delivery does not need Redis).
//! When Redis is back, the heartbeat writes our registrations again and the channels this
//! node knows are put back if missing (a Redis restarted empty recovers).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use redis::aio::MultiplexedConnection;
use tokio::sync::{mpsc, oneshot};

use super::backoff::Backoff;
use super::error::ClusterError;
use super::keys::{self, NodeId, PREFIX};
use super::scripts::Scripts;
use super::stats::ClusterStats;
use super::{Event, Settings};
use crate::channel_arn::{ChannelArn, check_name};
use crate::core::{ChannelInfo, ClusterOutput, Forward, ForwardFailure, RegistryError};

/// A control-plane answer: Redis's, or why Redis could not be asked.
pub(crate) type Reply<T> = oneshot::Sender<Result<T, ClusterError>>;

/// What the link is asked.
#[derive(Debug)]
pub(crate) enum Command {
    /// From the machine: a join, a leave, a message for another node.
    Machine(ClusterOutput),
    /// CreateSignalingChannel.
    Create {
        name: String,
        reply: Reply<Result<ChannelInfo, RegistryError>>,
    },
    /// The channel with this ARN, or of this name.
    Find {
        arn: Option<ChannelArn>,
        name: Option<String>,
        reply: Reply<Option<ChannelInfo>>,
    },
    /// Every channel, by name.
    List { reply: Reply<Vec<ChannelInfo>> },
    /// DeleteSignalingChannel (every node is told).
    Delete {
        arn: ChannelArn,
        reply: Reply<Result<ChannelInfo, RegistryError>>,
    },
}

/// How many member keys one heartbeat script refreshes.
const HEARTBEAT_CHUNK: usize = 500;

pub(crate) struct Link {
    settings: Settings,
    client: redis::Client,
    conn: Option<MultiplexedConnection>,
    /// Whether the loss of Redis has been logged (once per outage, and at a start
    /// without it).
    down_logged: bool,
    retry_at: Instant,
    backoff: Backoff,
    next_heartbeat: Instant,
    scripts: Scripts,
    /// Member key -> our registration, for the heartbeat.
    members: HashMap<String, String>,
    /// The channels this node has seen, put back if Redis lost them.
    channels: BTreeMap<String, ChannelInfo>,
    stats: Arc<ClusterStats>,
    events: mpsc::Sender<Event>,
}

impl Link {
    pub(crate) fn new(
        settings: Settings,
        client: redis::Client,
        stats: Arc<ClusterStats>,
        events: mpsc::Sender<Event>,
    ) -> Link {
        let now = Instant::now();
        Link {
            settings,
            client,
            conn: None,
            down_logged: false,
            retry_at: now,
            backoff: Backoff::new(Duration::from_millis(100), Duration::from_secs(2)),
            next_heartbeat: now,
            scripts: Scripts::new(),
            members: HashMap::new(),
            channels: BTreeMap::new(),
            stats,
            events,
        }
    }

    fn node(&self) -> &NodeId {
        &self.settings.node
    }

    fn ttl_ms(&self) -> u64 {
        u64::try_from(self.settings.ttl.as_millis()).unwrap_or(u64::MAX)
    }

    /// Serves `cmds` until every sender is gone.
    pub(crate) async fn run(mut self, mut cmds: mpsc::Receiver<Command>) {
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                c = cmds.recv() => match c {
                    Some(c) => self.handle(c).await,
                    None => return,
                },
                _ = tick.tick() => self.handle_tick().await,
            }
        }
    }

    async fn handle_tick(&mut self) {
        let now = Instant::now();
        if self.conn.is_none() && now >= self.retry_at {
            // Reconnecting runs the heartbeat.
            let _ = self.connection().await;
        } else if self.conn.is_some() && now >= self.next_heartbeat {
            self.heartbeat().await;
        }
    }

    /// The connection, reconnecting if the backoff allows.
    async fn connection(&mut self) -> Result<MultiplexedConnection, ClusterError> {
        if let Some(c) = &self.conn {
            return Ok(c.clone());
        }
        if Instant::now() < self.retry_at {
            return Err(ClusterError::Unreachable("reconnecting".into()));
        }
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(Duration::from_secs(2)));
        match self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await
        {
            Ok(c) => {
                tracing::info!(node = %self.node(), "redis reachable: cross-node delivery on");
                self.conn = Some(c.clone());
                self.down_logged = false;
                self.backoff.reset();
                self.stats
                    .up
                    .store(true, std::sync::atomic::Ordering::Relaxed);
                self.restore_channels().await;
                self.heartbeat().await;
                Ok(c)
            }
            Err(e) => {
                let e = ClusterError::from_redis(&e);
                self.failed(&e);
                Err(e)
            }
        }
    }

    /// Counts and logs `e`; an unreachable Redis drops the connection and waits.
    fn failed(&mut self, e: &ClusterError) {
        ClusterStats::add(&self.stats.redis_errors);
        if !e.is_unreachable() {
            tracing::warn!(error = %e, "redis command failed");
            return;
        }
        let wait = self.backoff.fail();
        let now = Instant::now();
        self.retry_at = now + wait;
        let was_up = self.conn.take().is_some();
        if was_up || !self.down_logged {
            self.down_logged = true;
            self.stats
                .up
                .store(false, std::sync::atomic::Ordering::Relaxed);
            tracing::warn!(
                error = %e,
                "redis unreachable: local delivery goes on, cross-node delivery and the \
                 control plane wait; reconnecting with backoff"
            );
        } else {
            tracing::debug!(error = %e, retry_in = ?wait, "redis still unreachable");
        }
    }

    /// Runs `f` on the connection, counting and sorting its error.
    async fn call<T, F, Fut>(&mut self, f: F) -> Result<T, ClusterError>
    where
        F: FnOnce(MultiplexedConnection) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let conn = self.connection().await?;
        match f(conn).await {
            Ok(v) => Ok(v),
            Err(e) => {
                let e = ClusterError::from_redis(&e);
                self.failed(&e);
                Err(e)
            }
        }
    }

    async fn handle(&mut self, cmd: Command) {
        match cmd {
            Command::Machine(out) => self.handle_machine(out).await,
            Command::Create { name, reply } => {
                let r = self.create(&name).await;
                let _ = reply.send(r);
            }
            Command::Find { arn, name, reply } => {
                let r = self.find(arn.as_ref(), name.as_deref()).await;
                let _ = reply.send(r);
            }
            Command::List { reply } => {
                let r = self.list().await;
                let _ = reply.send(r);
            }
            Command::Delete { arn, reply } => {
                let r = self.delete(&arn).await;
                let _ = reply.send(r);
            }
        }
    }

    async fn handle_machine(&mut self, out: ClusterOutput) {
        match out {
            ClusterOutput::Joined {
                conn,
                channel,
                role,
            } => {
                let key = keys::member(&channel, &role);
                let value = keys::registration(self.node(), conn);
                self.members.insert(key.clone(), value.clone());
                let script = self.scripts.register.clone();
                let (ttl, len, node) = (
                    self.ttl_ms(),
                    self.settings.inbox_len,
                    self.node().to_string(),
                );
                let role = keys::role_text(&role);
                // Unreachable: the heartbeat registers it when Redis is back.
                let _ = self
                    .call(|mut c| async move {
                        script
                            .key(key)
                            .arg(PREFIX)
                            .arg(value)
                            .arg(ttl)
                            .arg(len)
                            .arg(node)
                            .arg(channel.as_str())
                            .arg(role)
                            .invoke_async::<Option<String>>(&mut c)
                            .await
                    })
                    .await;
            }
            ClusterOutput::Left {
                conn,
                channel,
                role,
            } => {
                let key = keys::member(&channel, &role);
                let value = keys::registration(self.node(), conn);
                if self.members.get(&key) == Some(&value) {
                    self.members.remove(&key);
                }
                let script = self.scripts.unregister.clone();
                // Unreachable: the registration expires by itself.
                let _ = self
                    .call(|mut c| async move {
                        script.key(key).arg(value).invoke_async::<i64>(&mut c).await
                    })
                    .await;
            }
            ClusterOutput::Forward(f) => self.forward(f).await,
        }
    }

    /// One `XADD` at most: a forward whose outcome is unknown is reported as failed, never
    /// sent again (so it cannot arrive twice).
    async fn forward(&mut self, f: Forward) {
        let key = keys::member(&f.channel, &f.to);
        let script = self.scripts.forward.clone();
        let len = self.settings.inbox_len;
        let (channel, role, text) = (
            f.channel.as_str().to_owned(),
            keys::role_text(&f.to),
            f.text,
        );
        let r = self
            .call(|mut c| async move {
                script
                    .key(key)
                    .arg(PREFIX)
                    .arg(len)
                    .arg(channel)
                    .arg(role)
                    .arg(text)
                    .invoke_async::<Option<String>>(&mut c)
                    .await
            })
            .await;
        let why = match r {
            Ok(Some(_)) => {
                ClusterStats::add(&self.stats.sent);
                return;
            }
            Ok(None) => {
                ClusterStats::add(&self.stats.not_connected);
                ForwardFailure::NotConnected
            }
            Err(_) => ForwardFailure::Unavailable,
        };
        let _ = self
            .events
            .send(Event::ForwardFailed {
                from: f.from,
                to: f.to,
                correlation: f.correlation,
                why,
            })
            .await;
    }

    async fn heartbeat(&mut self) {
        let now = Instant::now();
        self.next_heartbeat = now + self.settings.ttl / 3;
        let members: Vec<(String, String)> = self
            .members
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut chunks: Vec<&[(String, String)]> = members.chunks(HEARTBEAT_CHUNK).collect();
        if chunks.is_empty() {
            chunks.push(&[]);
        }
        let script = self.scripts.heartbeat.clone();
        let (node, ttl) = (self.node().to_string(), self.ttl_ms());
        for chunk in chunks {
            let mut inv = script.prepare_invoke();
            inv.arg(PREFIX).arg(node.as_str()).arg(ttl);
            for (k, v) in chunk {
                inv.key(k).arg(v);
            }
            // The connection as it is (no reconnect from here: reconnecting beats).
            let Some(mut c) = self.conn.clone() else {
                return;
            };
            if let Err(e) = inv.invoke_async::<i64>(&mut c).await {
                self.failed(&ClusterError::from_redis(&e));
                return;
            }
        }
    }

    /// Puts back the channels this node knows that Redis lost (a restart without
    /// persistence); a channel deleted while this node could not hear it comes back too.
    async fn restore_channels(&mut self) {
        if self.channels.is_empty() {
            return;
        }
        let Some(mut c) = self.conn.clone() else {
            return;
        };
        let mut pipe = redis::pipe();
        for (name, info) in &self.channels {
            pipe.hset_nx(keys::channels(), name, keys::channel_value(info))
                .ignore();
        }
        if let Err(e) = pipe.query_async::<()>(&mut c).await {
            self.failed(&ClusterError::from_redis(&e));
        }
    }

    async fn create(
        &mut self,
        name: &str,
    ) -> Result<Result<ChannelInfo, RegistryError>, ClusterError> {
        if let Err(e) = check_name(name) {
            return Ok(Err(RegistryError::Invalid(e)));
        }
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let arn = match ChannelArn::new(&self.settings.region, &self.settings.account, name, now_ms)
        {
            Ok(a) => a,
            Err(e) => return Ok(Err(RegistryError::Invalid(e))),
        };
        let script = self.scripts.create_channel.clone();
        let max = self.settings.max_channels;
        let (n, a) = (name.to_owned(), arn.as_str().to_owned());
        let answer: Vec<String> = self
            .call(|mut c| async move {
                script
                    .key(keys::channels())
                    .key(keys::channel_version())
                    .arg(n)
                    .arg(a)
                    .arg(now_ms)
                    .arg(max)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        match answer.as_slice() {
            [ok, version] if ok == "ok" => {
                let info = ChannelInfo {
                    arn,
                    created_ms: now_ms,
                    version: version.clone(),
                };
                self.channels.insert(name.to_owned(), info.clone());
                Ok(Ok(info))
            }
            [e] if e == "exists" => Ok(Err(RegistryError::Exists(name.to_owned()))),
            [e] if e == "full" => Ok(Err(RegistryError::Full(max))),
            _ => Err(ClusterError::Protocol(format!(
                "create channel answered {answer:?}"
            ))),
        }
    }

    async fn find(
        &mut self,
        arn: Option<&ChannelArn>,
        name: Option<&str>,
    ) -> Result<Option<ChannelInfo>, ClusterError> {
        let Some(name) = arn.map(ChannelArn::name).or(name).map(str::to_owned) else {
            return Ok(None);
        };
        let field = name.clone();
        let value: Option<String> = self
            .call(|mut c| async move {
                redis::cmd("HGET")
                    .arg(keys::channels())
                    .arg(field)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        let found = value
            .as_deref()
            .and_then(keys::parse_channel)
            .filter(|c| arn.is_none_or(|a| c.arn == *a));
        match &found {
            Some(info) => {
                self.channels.insert(name, info.clone());
            }
            None => {
                if self
                    .channels
                    .get(&name)
                    .is_some_and(|c| arn.is_none_or(|a| c.arn == *a))
                {
                    self.channels.remove(&name);
                }
            }
        }
        Ok(found)
    }

    async fn list(&mut self) -> Result<Vec<ChannelInfo>, ClusterError> {
        let all: BTreeMap<String, String> = self
            .call(|mut c| async move {
                redis::cmd("HGETALL")
                    .arg(keys::channels())
                    .query_async(&mut c)
                    .await
            })
            .await?;
        Ok(all
            .values()
            .filter_map(|v| keys::parse_channel(v))
            .collect())
    }

    async fn delete(
        &mut self,
        arn: &ChannelArn,
    ) -> Result<Result<ChannelInfo, RegistryError>, ClusterError> {
        let script = self.scripts.delete_channel.clone();
        let len = self.settings.inbox_len;
        let (n, a) = (arn.name().to_owned(), arn.as_str().to_owned());
        let value: Option<String> = self
            .call(|mut c| async move {
                script
                    .key(keys::channels())
                    .arg(PREFIX)
                    .arg(len)
                    .arg(n)
                    .arg(a)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        match value.as_deref().and_then(keys::parse_channel) {
            Some(info) if info.arn == *arn => {
                self.channels.remove(arn.name());
                Ok(Ok(info))
            }
            _ => Ok(Err(RegistryError::NotFound(arn.to_string()))),
        }
    }
}
