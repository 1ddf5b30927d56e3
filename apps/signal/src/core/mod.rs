//! The signaling machine: channels, who is connected to each, and the routing of their
//! messages, with no socket and no clock (the server drives it, as every Wren machine is
//! driven: inputs with the time passed in, outputs polled).
//!
//! The WebSocket server calls [`Signaling::connect`] once a client's upgrade request is
//! authorised, [`Signaling::handle_message`] for each text frame, [`Signaling::handle_activity`]
//! for other frames (pongs), [`Signaling::disconnect`] when a socket closes, and
//! [`Signaling::handle_timeout`] at [`Signaling::poll_timeout`]; it sends what
//! [`Signaling::poll_output`] gives. The rules are KVS's: one master and up to
//! [`Config::max_viewers`] viewers per channel; a newer connection of the same role and id
//! replaces the older, which is told (GO_AWAY) and closed; viewers message only the master,
//! the master names its recipient; the server sets the sender's id.

mod cluster;
mod config;
mod members;
mod rate;
mod registry;
mod stats;

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use wren_core::Deadlines;

pub use cluster::{ClusterOutput, Forward, ForwardFailure};
pub use config::Config;
pub use registry::{ChannelInfo, Registry, RegistryError};
pub use stats::Stats;

use members::Members;
use rate::Bucket;

use crate::channel_arn::ChannelArn;
use crate::client_id::ClientId;
use crate::message::inbound::{self, Inbound, InboundError};
use crate::message::outbound::{self, Status};

/// A connection, numbered by the server that drives the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

/// Who a connection is on its channel.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Role {
    /// The channel's master (one at a time).
    Master,
    /// A viewer with its client id.
    Viewer(ClientId),
}

/// Why a connection was not accepted (before the WebSocket upgrade: the HTTP status says
/// it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    /// The channel does not exist.
    #[error("no channel {0}")]
    NoSuchChannel(String),
    /// The channel has its maximum of viewers.
    #[error("the channel has its {0} viewers")]
    TooManyViewers(usize),
    /// The connection id is already in use.
    #[error("connection {0:?} is already connected")]
    Duplicate(ConnId),
    /// The server is draining: it takes no new connections.
    #[error("the server is shutting down")]
    Draining,
}

impl ConnectError {
    /// The HTTP status the upgrade request is refused with.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            ConnectError::NoSuchChannel(_) => 404,
            ConnectError::TooManyViewers(_) => 403,
            ConnectError::Duplicate(_) => 409,
            ConnectError::Draining => 503,
        }
    }
}

/// Why the machine closes a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// A newer connection took its place.
    Replaced,
    /// It sent nothing for [`Config::idle_timeout`].
    Idle,
    /// It reached [`Config::max_age`].
    MaxAge,
    /// The server drained.
    Drained,
    /// Its channel was deleted.
    ChannelDeleted,
}

/// What the server must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send `text` to `to` as a text frame.
    Send {
        /// The connection.
        to: ConnId,
        /// The JSON event.
        text: String,
    },
    /// Close `conn` (after what was queued for it).
    Close {
        /// The connection.
        conn: ConnId,
        /// Why.
        reason: CloseReason,
    },
}

/// Why a message was not delivered; each is a STATUS_RESPONSE when the message carried a
/// correlation id, and a counter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The message itself is malformed.
    #[error("{0}")]
    Malformed(#[from] InboundError),
    /// A viewer named a recipient other than the master.
    #[error("a viewer can message only the master")]
    ViewerToViewer,
    /// The master named no recipient.
    #[error("the master must name a recipient")]
    NoRecipient,
    /// The recipient is not connected.
    #[error("{0} is not connected")]
    NotConnected(String),
    /// Above the rate allowed for offers and answers, or for candidates.
    #[error("more than {0} such messages per second")]
    RateExceeded(u32),
    /// The recipient may be on another node, but the nodes' shared store (Redis) cannot be
    /// reached now.
    #[error("the other nodes cannot be reached now")]
    ClusterUnavailable,
}

impl Refusal {
    fn status(&self, correlation_id: String) -> Status {
        let (error_type, status_code) = match self {
            Refusal::Malformed(e) => (e.error_type(), 400),
            Refusal::ViewerToViewer | Refusal::NoRecipient => ("InvalidArgumentException", 400),
            Refusal::NotConnected(_) => ("RecipientNotConnected", 404),
            Refusal::RateExceeded(_) => ("ClientLimitExceededException", 429),
            Refusal::ClusterUnavailable => ("ServiceUnavailableException", 503),
        };
        Status {
            correlation_id,
            error_type,
            status_code,
            description: self.to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Timer {
    Idle,
    GoAway,
    MaxAge,
    Drain,
}

#[derive(Debug)]
struct Conn {
    channel: ChannelArn,
    role: Role,
    sdp: Bucket,
    candidates: Bucket,
}

/// The signaling machine.
#[derive(Debug)]
pub struct Signaling {
    config: Config,
    registry: Registry,
    members: HashMap<ChannelArn, Members>,
    conns: HashMap<ConnId, Conn>,
    timers: Deadlines<(ConnId, Timer)>,
    out: VecDeque<Output>,
    cluster_out: VecDeque<ClusterOutput>,
    draining: bool,
    stats: Stats,
}

impl Signaling {
    /// A machine with `config` over the channels of `registry`.
    #[must_use]
    pub fn new(config: Config, registry: Registry) -> Signaling {
        Signaling {
            config,
            registry,
            members: HashMap::new(),
            conns: HashMap::new(),
            timers: Deadlines::new(),
            out: VecDeque::new(),
            cluster_out: VecDeque::new(),
            draining: false,
            stats: Stats::default(),
        }
    }

    /// The channels.
    #[must_use]
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Creates a channel (CreateSignalingChannel) at wall-clock `now_ms`.
    ///
    /// # Errors
    ///
    /// As [`Registry::create`].
    pub fn create_channel(
        &mut self,
        name: &str,
        now_ms: u64,
    ) -> Result<ChannelInfo, RegistryError> {
        self.registry.create(name, now_ms).cloned()
    }

    /// Deletes a channel (DeleteSignalingChannel); its connections are told and closed.
    ///
    /// # Errors
    ///
    /// When there is no such channel.
    pub fn delete_channel(&mut self, arn: &ChannelArn) -> Result<ChannelInfo, RegistryError> {
        let info = self.registry.delete(arn)?;
        if let Some(m) = self.members.remove(arn) {
            for conn in m.all().collect::<Vec<_>>() {
                self.end(conn, CloseReason::ChannelDeleted);
            }
        }
        Ok(info)
    }

    /// Accepts connection `conn` to `channel` as `role`. A connection holding the same
    /// role and id is replaced: it gets GO_AWAY and is closed.
    ///
    /// # Errors
    ///
    /// When the channel does not exist, is full, the id is in use, or the server drains.
    pub fn connect(
        &mut self,
        now: Instant,
        conn: ConnId,
        channel: &ChannelArn,
        role: Role,
    ) -> Result<(), ConnectError> {
        let refused = |s: &mut Stats, e: ConnectError| {
            s.connections_refused += 1;
            Err(e)
        };
        if self.draining {
            return refused(&mut self.stats, ConnectError::Draining);
        }
        if self.conns.contains_key(&conn) {
            return refused(&mut self.stats, ConnectError::Duplicate(conn));
        }
        if self.registry.by_arn(channel).is_none() {
            return refused(
                &mut self.stats,
                ConnectError::NoSuchChannel(channel.to_string()),
            );
        }
        let members = self.members.entry(channel.clone()).or_default();
        let replaced = match &role {
            Role::Master => members.master.replace(conn),
            Role::Viewer(id) => {
                if !members.viewers.contains_key(id)
                    && members.viewers.len() >= self.config.max_viewers
                {
                    if members.is_empty() {
                        self.members.remove(channel);
                    }
                    return refused(
                        &mut self.stats,
                        ConnectError::TooManyViewers(self.config.max_viewers),
                    );
                }
                members.viewers.insert(id.clone(), conn)
            }
        };
        if let Some(old) = replaced {
            // Its membership is already the newcomer's: end only the connection.
            self.stats.replaced += 1;
            self.close_conn(old, CloseReason::Replaced);
        }
        self.joined(conn, channel, &role);
        self.conns.insert(
            conn,
            Conn {
                channel: channel.clone(),
                role,
                sdp: Bucket::new(self.config.sdp_per_second, now),
                candidates: Bucket::new(self.config.candidates_per_second, now),
            },
        );
        self.stats.connections_accepted += 1;
        self.timers
            .set((conn, Timer::Idle), now + self.config.idle_timeout);
        let age = self.config.max_age;
        self.timers.set(
            (conn, Timer::GoAway),
            now + age.saturating_sub(self.config.go_away_lead),
        );
        self.timers.set((conn, Timer::MaxAge), now + age);
        Ok(())
    }

    /// A text frame from `conn`: delivered, or refused (with a STATUS_RESPONSE when it
    /// carried a correlation id).
    pub fn handle_message(&mut self, now: Instant, conn: ConnId, text: &str) {
        if !self.conns.contains_key(&conn) {
            self.stats.from_unknown += 1;
            return;
        }
        self.handle_activity(now, conn);
        match Inbound::parse(text) {
            Ok(m) => {
                let correlation = m.correlation_id.clone();
                if let Err(r) = self.route(now, conn, &m) {
                    self.refuse(conn, &r, correlation);
                }
            }
            Err(e) => self.refuse(
                conn,
                &Refusal::Malformed(e),
                inbound::correlation_id_of(text),
            ),
        }
    }

    /// Any frame from `conn` (a pong, a ping): it is alive.
    pub fn handle_activity(&mut self, now: Instant, conn: ConnId) {
        if self.conns.contains_key(&conn) {
            self.timers
                .set((conn, Timer::Idle), now + self.config.idle_timeout);
        }
    }

    fn route(&mut self, now: Instant, from: ConnId, m: &Inbound) -> Result<(), Refusal> {
        let Some(c) = self.conns.get_mut(&from) else {
            return Ok(());
        };
        let (bucket, rate) = if m.action.is_sdp() {
            (&mut c.sdp, self.config.sdp_per_second)
        } else {
            (&mut c.candidates, self.config.candidates_per_second)
        };
        if !bucket.take(now) {
            return Err(Refusal::RateExceeded(rate));
        }
        let members = self.members.get(&c.channel);
        // Where it goes: a connection here, or (clustered) the holder of a role elsewhere.
        let (to, sender) = match &c.role {
            Role::Viewer(id) => {
                // Viewers address the master only: naming a viewer of the channel is
                // refused rather than redirected (any other name means the master).
                if m.recipient
                    .as_ref()
                    .is_some_and(|r| members.is_some_and(|mm| mm.viewers.contains_key(r)))
                {
                    return Err(Refusal::ViewerToViewer);
                }
                match members.and_then(|mm| mm.master) {
                    Some(to) => (Ok(to), Some(id)),
                    None if self.config.clustered => (Err(Role::Master), Some(id)),
                    None => return Err(Refusal::NotConnected("the master".into())),
                }
            }
            Role::Master => {
                let r = m.recipient.as_ref().ok_or(Refusal::NoRecipient)?;
                match members.and_then(|mm| mm.viewers.get(r).copied()) {
                    Some(to) => (Ok(to), None),
                    None if self.config.clustered => (Err(Role::Viewer(r.clone())), None),
                    None => return Err(Refusal::NotConnected(r.to_string())),
                }
            }
        };
        let text = outbound::delivery(sender, m);
        match to {
            Ok(to) => {
                self.out.push_back(Output::Send { to, text });
                self.stats.delivered += 1;
            }
            Err(role) => {
                let channel = c.channel.clone();
                self.forward(from, channel, role, text, m.correlation_id.clone());
            }
        }
        Ok(())
    }

    fn refuse(&mut self, conn: ConnId, why: &Refusal, correlation: Option<String>) {
        self.stats.count_refusal(why);
        if let Some(c) = correlation {
            self.out.push_back(Output::Send {
                to: conn,
                text: outbound::status_response(&why.status(c)),
            });
        }
    }

    /// `conn`'s socket closed.
    pub fn disconnect(&mut self, conn: ConnId) {
        let Some(c) = self.conns.remove(&conn) else {
            return;
        };
        self.stop_timers(conn);
        if let Some(m) = self.members.get_mut(&c.channel) {
            let held = match &c.role {
                Role::Master if m.master == Some(conn) => m.master.take().is_some(),
                Role::Viewer(id) if m.viewers.get(id) == Some(&conn) => {
                    m.viewers.remove(id).is_some()
                }
                _ => false,
            };
            if m.is_empty() {
                self.members.remove(&c.channel);
            }
            if held {
                self.left(conn, c.channel, c.role);
            }
        }
    }

    /// Starts a drain: every connection gets GO_AWAY now and is closed after
    /// [`Config::drain_grace`]; no new connection is accepted.
    pub fn drain(&mut self, now: Instant) {
        self.draining = true;
        let conns: Vec<ConnId> = self.conns.keys().copied().collect();
        for conn in conns {
            self.out.push_back(Output::Send {
                to: conn,
                text: outbound::go_away(),
            });
            self.timers
                .set((conn, Timer::Drain), now + self.config.drain_grace);
        }
    }

    /// Tells every connection to fetch its ICE servers again (the relay set or secret
    /// changed).
    pub fn reconnect_ice_servers(&mut self) {
        let conns: Vec<ConnId> = self.conns.keys().copied().collect();
        for conn in conns {
            self.out.push_back(Output::Send {
                to: conn,
                text: outbound::reconnect_ice_server(),
            });
        }
    }

    /// The time has come: idle and aged connections are told and closed.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some((_, (conn, timer))) = self.timers.pop_expired(now) {
            match timer {
                Timer::Idle => {
                    self.stats.idle_closed += 1;
                    self.end(conn, CloseReason::Idle);
                }
                Timer::GoAway => self.out.push_back(Output::Send {
                    to: conn,
                    text: outbound::go_away(),
                }),
                Timer::MaxAge => {
                    self.stats.aged_closed += 1;
                    self.end(conn, CloseReason::MaxAge);
                }
                Timer::Drain => self.end(conn, CloseReason::Drained),
            }
        }
    }

    /// When to call [`Signaling::handle_timeout`] next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_deadline()
    }

    /// The next thing to do.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// The counters.
    #[must_use]
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Connections now.
    #[must_use]
    pub fn connections(&self) -> usize {
        self.conns.len()
    }

    /// GO_AWAY then close, leaving the channel's membership.
    fn end(&mut self, conn: ConnId, reason: CloseReason) {
        if !self.conns.contains_key(&conn) {
            return;
        }
        if reason != CloseReason::Drained {
            self.out.push_back(Output::Send {
                to: conn,
                text: outbound::go_away(),
            });
        }
        self.disconnect(conn);
        self.out.push_back(Output::Close { conn, reason });
    }

    /// Closes a connection whose membership is already someone else's.
    fn close_conn(&mut self, conn: ConnId, reason: CloseReason) {
        if self.conns.remove(&conn).is_some() {
            self.stop_timers(conn);
            self.out.push_back(Output::Send {
                to: conn,
                text: outbound::go_away(),
            });
            self.out.push_back(Output::Close { conn, reason });
        }
    }

    fn stop_timers(&mut self, conn: ConnId) {
        for t in [Timer::Idle, Timer::GoAway, Timer::MaxAge, Timer::Drain] {
            self.timers.stop(&(conn, t));
        }
    }
}

#[cfg(test)]
mod tests;
