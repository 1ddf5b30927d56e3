//! The calls of the echo server: each one [`EchoPeer`] on a UDP socket of its own, driven by
//! wren-tokio's [`Driver`] in a task of its own until the call ends.
//!
//! A call made from the browser's offer starts at once. A call we offer waits for the
//! browser's answer ([`Calls::complete`]) for at most [`OFFER_TTL`]; one left waiting
//! longer is dropped when the next offer is made.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::sync::{Notify, mpsc};
use wren_dtls::identity::Identity;
use wren_rtc::{Command, JsepError};
use wren_tokio::Driver;

use super::peer::{EchoEvent, EchoPeer, EchoStats};

/// How long an offer of ours waits for the browser's answer.
pub const OFFER_TTL: Duration = Duration::from_secs(60);

/// Ended calls remembered ([`Calls::ended`]), the latest.
const MAX_ENDED: usize = 1024;

/// A call's id: the last part of its `Location`, `/calls/<id>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(pub u64);

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl FromStr for CallId {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<CallId, Self::Err> {
        u64::from_str_radix(s, 16).map(CallId)
    }
}

/// Why a call could not be made or completed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The browser's description was refused; the text says why.
    #[error(transparent)]
    Jsep(#[from] JsepError),
    /// No UDP socket could be bound for the call.
    #[error("no UDP socket for the call: {0}")]
    Bind(#[from] std::io::Error),
    /// No call (or no offer waiting for its answer) has that id.
    #[error("no call {0}")]
    Unknown(CallId),
}

/// A call that runs: how to ask it to close, and how to stop it.
#[derive(Debug)]
struct Running {
    commands: mpsc::Sender<Command>,
    stop: Arc<Notify>,
}

/// An offer of ours waiting for its answer.
#[derive(Debug)]
struct Waiting {
    peer: EchoPeer,
    socket: UdpSocket,
    made: Instant,
}

#[derive(Debug, Default)]
struct Table {
    next: u64,
    running: HashMap<CallId, Running>,
    waiting: HashMap<CallId, Waiting>,
    ended: Vec<(CallId, EchoStats)>,
}

/// The calls of one server. Cheap to share (`Arc`).
#[derive(Debug)]
pub struct Calls {
    media_ip: IpAddr,
    identity: Arc<Identity>,
    table: Mutex<Table>,
}

/// The one place this module reads the clock: once per HTTP request, to stamp the peer.
#[allow(clippy::disallowed_methods)]
fn clock() -> Instant {
    Instant::now()
}

impl Calls {
    /// Calls whose media goes through UDP sockets on `media_ip`, with `identity` as the
    /// DTLS certificate of every peer.
    #[must_use]
    pub fn new(media_ip: IpAddr, identity: Arc<Identity>) -> Arc<Calls> {
        Arc::new(Calls {
            media_ip,
            identity,
            table: Mutex::new(Table::default()),
        })
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        // A panic while holding it cannot leave the table half-changed: every change is
        // one insert or remove.
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn socket(&self) -> Result<(UdpSocket, SocketAddr), CallError> {
        let socket = UdpSocket::bind(SocketAddr::new(self.media_ip, 0)).await?;
        let local = socket.local_addr()?;
        Ok((socket, local))
    }

    /// Answers the browser's `offer` and starts the call; its id and our answer.
    ///
    /// # Errors
    ///
    /// [`CallError::Jsep`] for an offer refused, [`CallError::Bind`].
    pub async fn answer(self: &Arc<Self>, offer: &str) -> Result<(CallId, String), CallError> {
        let (socket, local) = self.socket().await?;
        let (peer, answer) = EchoPeer::answer(clock(), local, Arc::clone(&self.identity), offer)?;
        let id = self.next_id();
        self.start(id, peer, socket);
        Ok((id, answer))
    }

    /// Makes an offer that waits for the browser's answer ([`Calls::complete`]); its id
    /// and our offer.
    ///
    /// # Errors
    ///
    /// [`CallError::Bind`], or [`CallError::Jsep`] if the model refuses to offer.
    pub async fn offer(&self) -> Result<(CallId, String), CallError> {
        let (socket, local) = self.socket().await?;
        let now = clock();
        let (peer, offer) = EchoPeer::offer(now, local, Arc::clone(&self.identity))?;
        let id = self.next_id();
        let mut table = self.table();
        table
            .waiting
            .retain(|_, w| now.saturating_duration_since(w.made) < OFFER_TTL);
        table.waiting.insert(
            id,
            Waiting {
                peer,
                socket,
                made: now,
            },
        );
        Ok((id, offer))
    }

    /// Takes the browser's `answer` to our offer `id` and starts the call. A refused
    /// answer leaves the offer waiting (a corrected answer may follow).
    ///
    /// # Errors
    ///
    /// [`CallError::Unknown`] when no offer `id` waits, [`CallError::Jsep`] for an answer
    /// refused.
    pub fn complete(self: &Arc<Self>, id: CallId, answer: &str) -> Result<(), CallError> {
        let mut waiting = self
            .table()
            .waiting
            .remove(&id)
            .ok_or(CallError::Unknown(id))?;
        if let Err(e) = waiting.peer.accept_answer(clock(), answer) {
            self.table().waiting.insert(id, waiting);
            return Err(e.into());
        }
        self.start(id, waiting.peer, waiting.socket);
        Ok(())
    }

    /// Ends call `id`: a running call closes (DTLS close_notify to the browser), an offer
    /// waiting is dropped.
    ///
    /// # Errors
    ///
    /// [`CallError::Unknown`] when there is no such call.
    pub fn hang_up(&self, id: CallId) -> Result<(), CallError> {
        let mut table = self.table();
        if table.waiting.remove(&id).is_some() {
            return Ok(());
        }
        let running = table.running.get(&id).ok_or(CallError::Unknown(id))?;
        if running.commands.try_send(Command::Close).is_err() {
            running.stop.notify_one();
        }
        Ok(())
    }

    /// The calls running now.
    #[must_use]
    pub fn running(&self) -> usize {
        self.table().running.len()
    }

    /// The calls that ended (the latest 1,024), with what each echoed.
    #[must_use]
    pub fn ended(&self) -> Vec<(CallId, EchoStats)> {
        self.table().ended.clone()
    }

    fn next_id(&self) -> CallId {
        let mut table = self.table();
        table.next += 1;
        // Not guessable from the previous one, so that one caller cannot hang up the
        // next caller's call by counting (a mixing step; the counter keeps them unique).
        CallId(
            table
                .next
                .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                .rotate_left(29)
                ^ 0x5bd1_e995,
        )
    }

    /// Runs `peer` on `socket` in a task of its own until it ends or is hung up.
    fn start(self: &Arc<Self>, id: CallId, peer: EchoPeer, socket: UdpSocket) {
        let (commands, commands_rx) = mpsc::channel(4);
        let (events_tx, mut events) = mpsc::channel(64);
        let stop = Arc::new(Notify::new());
        self.table().running.insert(
            id,
            Running {
                commands,
                stop: Arc::clone(&stop),
            },
        );
        let calls = Arc::clone(self);
        tokio::spawn(async move {
            tracing::info!(call = %id, "call starts");
            let driver = match Driver::new(peer).udp(socket) {
                Ok(driver) => driver,
                Err(error) => {
                    tracing::warn!(call = %id, %error, "call's socket unusable");
                    calls.table().running.remove(&id);
                    return;
                }
            };
            let watch = async {
                while let Some(event) = events.recv().await {
                    match event {
                        EchoEvent::Ended => {
                            tracing::info!(call = %id, "call ended");
                            stop.notify_one();
                        }
                        EchoEvent::State(e) => tracing::debug!(call = %id, event = ?e, "state"),
                    }
                }
            };
            let (result, ()) =
                tokio::join!(driver.run(commands_rx, events_tx, stop.notified()), watch);
            let stats = match result {
                Ok(peer) => peer.stats(),
                Err(error) => {
                    tracing::warn!(call = %id, %error, "call's socket failed");
                    EchoStats::default()
                }
            };
            tracing::info!(call = %id, ?stats, "call over");
            let mut table = calls.table();
            table.running.remove(&id);
            if table.ended.len() == MAX_ENDED {
                table.ended.remove(0);
            }
            table.ended.push((id, stats));
        });
    }
}
