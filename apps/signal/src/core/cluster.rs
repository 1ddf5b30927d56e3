//! The machine as one node of several ([`Config::clustered`](super::Config::clustered)):
//! what it tells the shared registry (who holds which role here), what it hands the other
//! nodes (messages whose recipient is not connected here), and what it takes from them
//! (their messages for our connections, evictions by a newer registration elsewhere, a
//! deleted channel). The transport is not here: `crate::cluster` carries these through
//! Redis. Everything stays sans-IO: inputs with the time passed in, outputs polled.
//!
//! Clustered, the rules are the same as on one node, with one difference: a viewer that
//! names another viewer is refused only when that viewer is connected to this node (the
//! machine knows only its own members); a name it does not know means the master, as on
//! one node.

use super::{ChannelInfo, CloseReason, ConnId, Output, Refusal, Role, Signaling};
use crate::channel_arn::ChannelArn;

/// A message for a recipient who is not connected to this node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forward {
    /// The sender's connection here (told with a STATUS_RESPONSE if it cannot be delivered).
    pub from: ConnId,
    /// The channel.
    pub channel: ChannelArn,
    /// The recipient's role on it.
    pub to: Role,
    /// The event to deliver, written here (the sender's id is set by this node).
    pub text: String,
    /// The sender's correlation id, for the STATUS_RESPONSE of a failure.
    pub correlation: Option<String>,
}

/// What the shared registry and the other nodes must learn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterOutput {
    /// `conn` now holds `role` on `channel` here; it replaces any older holder, on any
    /// node (which must be told: [`Signaling::handle_evict`] there).
    Joined {
        /// The connection.
        conn: ConnId,
        /// The channel.
        channel: ChannelArn,
        /// The role it holds.
        role: Role,
    },
    /// `conn` no longer holds `role` on `channel`.
    Left {
        /// The connection.
        conn: ConnId,
        /// The channel.
        channel: ChannelArn,
        /// The role it held.
        role: Role,
    },
    /// Deliver this on the node that holds the recipient's role.
    Forward(Forward),
}

/// Why a forwarded message was not delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForwardFailure {
    /// No node holds the recipient's role (KVS: the recipient is not connected).
    NotConnected,
    /// The shared store could not be asked.
    Unavailable,
}

impl Signaling {
    /// The next thing the shared registry or another node must learn (only when
    /// clustered). Call after every `handle_*`, `connect` and `disconnect`, as
    /// [`Signaling::poll_output`].
    pub fn poll_cluster(&mut self) -> Option<ClusterOutput> {
        self.cluster_out.pop_front()
    }

    /// A message from another node for the holder of `to` on `channel` here. Delivered
    /// when someone here holds that role; counted and dropped otherwise (it moved on).
    pub fn handle_remote_message(&mut self, channel: &ChannelArn, to: &Role, text: String) {
        let holder = self.members.get(channel).and_then(|m| match to {
            Role::Master => m.master,
            Role::Viewer(id) => m.viewers.get(id).copied(),
        });
        match holder {
            Some(conn) => {
                self.out.push_back(Output::Send { to: conn, text });
                self.stats.delivered += 1;
                self.stats.remote_delivered += 1;
            }
            None => self.stats.remote_undeliverable += 1,
        }
    }

    /// A message `conn` sent, forwarded as [`ClusterOutput::Forward`], was not delivered:
    /// the sender gets the STATUS_RESPONSE a message for a recipient connected nowhere
    /// gets (or, when the store could not be asked, a 503 one) if it gave a correlation id.
    pub fn handle_forward_failed(
        &mut self,
        conn: ConnId,
        to: &Role,
        correlation: Option<String>,
        why: ForwardFailure,
    ) {
        let refusal = match (why, to) {
            (ForwardFailure::Unavailable, _) => Refusal::ClusterUnavailable,
            (ForwardFailure::NotConnected, Role::Master) => {
                Refusal::NotConnected("the master".into())
            }
            (ForwardFailure::NotConnected, Role::Viewer(id)) => {
                Refusal::NotConnected(id.to_string())
            }
        };
        if self.conns.contains_key(&conn) {
            self.refuse(conn, &refusal, correlation);
        } else {
            self.stats.count_refusal(&refusal);
        }
    }

    /// A newer connection on another node took `role` on `channel` from `conn` here:
    /// `conn` gets GO_AWAY and is closed, if it still holds that role.
    pub fn handle_evict(&mut self, channel: &ChannelArn, role: &Role, conn: ConnId) {
        let holds = self.members.get(channel).is_some_and(|m| match role {
            Role::Master => m.master == Some(conn),
            Role::Viewer(id) => m.viewers.get(id) == Some(&conn),
        });
        if holds {
            self.stats.replaced += 1;
            if let Some(m) = self.members.get_mut(channel) {
                match role {
                    Role::Master => m.master = None,
                    Role::Viewer(id) => {
                        m.viewers.remove(id);
                    }
                }
                if m.is_empty() {
                    self.members.remove(channel);
                }
            }
            self.close_conn(conn, CloseReason::Replaced);
            // Told as a leave, so the registry adapter forgets it (its compare-and-delete
            // leaves the newer registration alone).
            self.left(conn, channel.clone(), role.clone());
        }
    }

    /// A channel known to the shared registry: kept here so connections to it are
    /// accepted (a channel of the same name with another ARN is replaced).
    pub fn adopt_channel(&mut self, info: ChannelInfo) {
        self.registry.insert(info);
    }

    pub(super) fn joined(&mut self, conn: ConnId, channel: &ChannelArn, role: &Role) {
        if self.config.clustered {
            self.cluster_out.push_back(ClusterOutput::Joined {
                conn,
                channel: channel.clone(),
                role: role.clone(),
            });
        }
    }

    pub(super) fn left(&mut self, conn: ConnId, channel: ChannelArn, role: Role) {
        if self.config.clustered {
            self.cluster_out.push_back(ClusterOutput::Left {
                conn,
                channel,
                role,
            });
        }
    }

    pub(super) fn forward(
        &mut self,
        from: ConnId,
        channel: ChannelArn,
        to: Role,
        text: String,
        correlation: Option<String>,
    ) {
        self.stats.forwarded += 1;
        self.cluster_out.push_back(ClusterOutput::Forward(Forward {
            from,
            channel,
            to,
            text,
            correlation,
        }));
    }
}
