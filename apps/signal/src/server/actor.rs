//! The task that owns the signaling machine: connections and the HTTP API send it
//! [`Input`]s; it feeds them to the machine with the time, and hands the machine's
//! outputs to each connection's bounded queue. A connection whose queue is full (a reader
//! that stopped reading) is dropped from the machine and its socket closed: no one else
//! waits for it. Clustered, it also hands the machine's cluster outputs to the Redis link
//! (without waiting) and feeds the machine what the other nodes send
//! ([`crate::cluster::Event`]).

use std::collections::HashMap;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::{mpsc, oneshot};

use crate::channel_arn::ChannelArn;
use crate::cluster::{Cluster, ClusterSnapshot, Entry, Event};
use crate::core::{
    ChannelInfo, CloseReason, ClusterOutput, ConnId, ConnectError, ForwardFailure, Output,
    Registry, RegistryError, Role, Signaling, Stats,
};

/// What a connection task is told to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToConn {
    /// Send a text frame.
    Text(String),
    /// Close the socket.
    Close(CloseReason),
}

/// What the machine's task is asked.
#[derive(Debug)]
pub enum Input {
    /// A client passed authorisation: join it to its channel.
    Connect {
        /// Its connection.
        conn: ConnId,
        /// Its channel.
        channel: ChannelArn,
        /// Its role.
        role: Role,
        /// Its queue.
        queue: mpsc::Sender<ToConn>,
        /// Whether it was accepted.
        reply: oneshot::Sender<Result<(), ConnectError>>,
    },
    /// A text frame.
    Message {
        /// From.
        conn: ConnId,
        /// The frame.
        text: String,
    },
    /// Any other frame.
    Activity(ConnId),
    /// The socket closed.
    Disconnect(ConnId),
    /// CreateSignalingChannel.
    Create {
        /// Its name.
        name: String,
        /// The result.
        reply: oneshot::Sender<Result<ChannelInfo, RegistryError>>,
    },
    /// Reads the registry (describe, list).
    Read(Reader),
    /// A channel the shared registry (Redis) has: keep it, so connections to it are
    /// accepted.
    Adopt(ChannelInfo),
    /// DeleteSignalingChannel.
    Delete {
        /// Its ARN.
        arn: ChannelArn,
        /// The result.
        reply: oneshot::Sender<Result<ChannelInfo, RegistryError>>,
    },
    /// The counters, for /metrics.
    Stats(oneshot::Sender<Snapshot>),
    /// Start draining: GO_AWAY to all, close after the grace.
    Drain,
    /// RECONNECT_ICE_SERVER to all.
    ReconnectIceServers,
}

/// A read of the registry, run on the machine's task.
pub struct Reader(pub Box<dyn FnOnce(&Registry) + Send>);

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reader(..)")
    }
}

/// The machine's counters and the actor's own.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The machine's.
    pub machine: Stats,
    /// Connections now.
    pub connections: usize,
    /// Channels now.
    pub channels: usize,
    /// Connections closed because their queue was full.
    pub slow_readers_closed: u64,
    /// The cluster adapter's, when clustered.
    pub cluster: Option<ClusterSnapshot>,
}

fn wall_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Runs the machine until every sender of `inputs` is gone; clustered, with the cluster
/// adapter and the events it sends.
pub async fn run(
    mut machine: Signaling,
    mut inputs: mpsc::Receiver<Input>,
    cluster: Option<(Cluster, mpsc::Receiver<Event>)>,
) {
    let mut queues: HashMap<ConnId, mpsc::Sender<ToConn>> = HashMap::new();
    let mut slow_readers_closed = 0u64;
    let (cluster, mut events) = cluster.unzip();
    loop {
        let deadline = machine.poll_timeout();
        let input = tokio::select! {
            i = inputs.recv() => i,
            Some(e) = recv(&mut events) => {
                handle_event(&mut machine, e);
                flush(&mut machine, &mut queues, &mut slow_readers_closed, cluster.as_ref());
                continue;
            }
            () = sleep_until(deadline) => {
                machine.handle_timeout(Instant::now());
                flush(&mut machine, &mut queues, &mut slow_readers_closed, cluster.as_ref());
                continue;
            }
        };
        let Some(input) = input else { return };
        let now = Instant::now();
        match input {
            Input::Connect {
                conn,
                channel,
                role,
                queue,
                reply,
            } => {
                let r = machine.connect(now, conn, &channel, role);
                if r.is_ok() {
                    queues.insert(conn, queue);
                }
                let _ = reply.send(r);
            }
            Input::Message { conn, text } => machine.handle_message(now, conn, &text),
            Input::Activity(conn) => machine.handle_activity(now, conn),
            Input::Disconnect(conn) => {
                machine.disconnect(conn);
                queues.remove(&conn);
            }
            Input::Create { name, reply } => {
                let _ = reply.send(machine.create_channel(&name, wall_ms()));
            }
            Input::Read(Reader(f)) => f(machine.registry()),
            Input::Adopt(info) => machine.adopt_channel(info),
            Input::Delete { arn, reply } => {
                let _ = reply.send(machine.delete_channel(&arn));
            }
            Input::Stats(reply) => {
                let _ = reply.send(Snapshot {
                    machine: machine.stats().clone(),
                    connections: machine.connections(),
                    channels: machine.registry().len(),
                    slow_readers_closed,
                    cluster: cluster.as_ref().map(Cluster::stats),
                });
            }
            Input::Drain => machine.drain(now),
            Input::ReconnectIceServers => machine.reconnect_ice_servers(),
        }
        flush(
            &mut machine,
            &mut queues,
            &mut slow_readers_closed,
            cluster.as_ref(),
        );
    }
}

/// The next cluster event; never, when not clustered.
async fn recv(events: &mut Option<mpsc::Receiver<Event>>) -> Option<Event> {
    match events {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

fn handle_event(machine: &mut Signaling, event: Event) {
    match event {
        Event::Entry(Entry::Message { channel, to, text }) => {
            machine.handle_remote_message(&channel, &to, text);
        }
        Event::Entry(Entry::Evict {
            channel,
            role,
            conn,
        }) => machine.handle_evict(&channel, &role, conn),
        Event::Entry(Entry::Deleted { channel }) => {
            let _ = machine.delete_channel(&channel);
        }
        Event::ForwardFailed {
            from,
            to,
            correlation,
            why,
        } => machine.handle_forward_failed(from, &to, correlation, why),
    }
}

fn flush(
    machine: &mut Signaling,
    queues: &mut HashMap<ConnId, mpsc::Sender<ToConn>>,
    slow_readers_closed: &mut u64,
    cluster: Option<&Cluster>,
) {
    // What the other nodes must learn first: a failed hand-over comes back as output.
    if let Some(cluster) = cluster {
        while let Some(out) = machine.poll_cluster() {
            let failed = match &out {
                ClusterOutput::Forward(f) => Some((f.from, f.to.clone(), f.correlation.clone())),
                _ => None,
            };
            if !cluster.send(out)
                && let Some((from, to, correlation)) = failed
            {
                machine.handle_forward_failed(from, &to, correlation, ForwardFailure::Unavailable);
            }
        }
    }
    while let Some(out) = machine.poll_output() {
        let (conn, msg) = match out {
            Output::Send { to, text } => (to, ToConn::Text(text)),
            Output::Close { conn, reason } => (conn, ToConn::Close(reason)),
        };
        let Some(q) = queues.get(&conn) else { continue };
        let closing = matches!(msg, ToConn::Close(_));
        match q.try_send(msg) {
            Ok(()) if closing => {
                queues.remove(&conn);
            }
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                // It stopped reading: out of the machine, and dropping its queue's
                // sender ends its task, which closes the socket.
                *slow_readers_closed += 1;
                machine.disconnect(conn);
                queues.remove(&conn);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                machine.disconnect(conn);
                queues.remove(&conn);
            }
        }
    }
}
