//! The calls of a server: each one peer ([`Service::Peer`]) on a UDP socket of its own,
//! driven by wren-tokio's [`Driver`] in a task of its own until the call ends.
//!
//! A call made from the browser's offer starts at once. A call we offer waits for the
//! browser's answer ([`Calls::complete`]) for at most [`OFFER_TTL`]; one left waiting
//! longer is dropped when the next offer is made.
//!
//! What a call's peer is and does is the [`Service`]'s: the echo server's sends back
//! what it gets (`echo/mod.rs`); wren-media's `play` and `record` examples, which share
//! this module and `http.rs` with it, play files and record WebM.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::sync::{Notify, mpsc};
use wren_core::Machine;
use wren_rtc::{Command, JsepError};
use wren_tokio::Driver;

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
    /// The service cannot take the call for a reason of its own (a file it plays or
    /// records cannot be opened, it records one call at a time); the error says why.
    #[error(transparent)]
    Refused(Box<dyn std::error::Error + Send + Sync>),
}

/// What a server's calls are: how each call's peer is made, when a call is over, and
/// what is kept of it. One value serves every call of a [`Calls`].
pub trait Service: Send + Sync + 'static {
    /// A call's peer: takes wren-rtc's commands (a hang-up sends [`Command::Close`]).
    type Peer: Machine<Command = Command, Event: Send + fmt::Debug> + Send + 'static;
    /// What is kept of a call that ended ([`Calls::ended`]).
    type Summary: Clone + fmt::Debug + Default + Send + 'static;

    /// Answers the browser's `offer` with a peer whose one host candidate is `local` (a
    /// UDP socket already bound): the peer and our answer.
    ///
    /// # Errors
    ///
    /// [`CallError::Jsep`] for an offer refused, [`CallError::Refused`].
    fn answer(
        &self,
        now: Instant,
        local: SocketAddr,
        offer: &str,
    ) -> Result<(Self::Peer, String), CallError>;

    /// Offers (the browser answers) with a peer whose one host candidate is `local`: the
    /// peer and our offer.
    ///
    /// # Errors
    ///
    /// [`CallError::Jsep`] when the model refuses to offer, [`CallError::Refused`].
    fn offer(&self, now: Instant, local: SocketAddr) -> Result<(Self::Peer, String), CallError>;

    /// Gives `peer` the browser's answer to its offer.
    ///
    /// # Errors
    ///
    /// The [`JsepError`] of an answer that does not parse or does not fit the offer.
    fn accept_answer(
        &self,
        peer: &mut Self::Peer,
        now: Instant,
        answer: &str,
    ) -> Result<(), JsepError>;

    /// Whether the peer's `event` says the call is over (its driver then stops).
    fn ends_call(&self, event: &<Self::Peer as Machine>::Event) -> bool;

    /// The call is over (it ended, was hung up, or the server stops): what to keep of
    /// it. A peer that writes a file finishes it here.
    fn finish(&self, peer: Self::Peer) -> Self::Summary;
}

/// A call that runs: how to ask it to close, and how to stop it.
#[derive(Debug)]
struct Running {
    commands: mpsc::Sender<Command>,
    stop: Arc<Notify>,
}

/// An offer of ours waiting for its answer.
#[derive(Debug)]
struct Waiting<P> {
    peer: P,
    socket: UdpSocket,
    made: Instant,
}

struct Table<S: Service> {
    next: u64,
    running: HashMap<CallId, Running>,
    waiting: HashMap<CallId, Waiting<S::Peer>>,
    ended: Vec<(CallId, S::Summary)>,
}

/// The calls of one server. Cheap to share (`Arc`).
pub struct Calls<S: Service> {
    media_ip: IpAddr,
    service: S,
    table: Mutex<Table<S>>,
    /// Signalled each time a running call is over ([`Calls::stop_all`] waits on it).
    call_over: Notify,
}

/// The one place this module reads the clock: once per HTTP request, to stamp the peer.
#[allow(clippy::disallowed_methods)]
fn clock() -> Instant {
    Instant::now()
}

impl<S: Service> fmt::Debug for Calls<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let table = self.table();
        f.debug_struct("Calls")
            .field("media_ip", &self.media_ip)
            .field("running", &table.running.len())
            .field("waiting", &table.waiting.len())
            .field("ended", &table.ended.len())
            .finish_non_exhaustive()
    }
}

impl<S: Service> Calls<S> {
    /// Calls of `service` whose media goes through UDP sockets on `media_ip`.
    #[must_use]
    pub fn new(media_ip: IpAddr, service: S) -> Arc<Calls<S>> {
        Arc::new(Calls {
            media_ip,
            service,
            table: Mutex::new(Table {
                next: 0,
                running: HashMap::new(),
                waiting: HashMap::new(),
                ended: Vec::new(),
            }),
            call_over: Notify::new(),
        })
    }

    /// The service.
    #[must_use]
    pub fn service(&self) -> &S {
        &self.service
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Table<S>> {
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
    /// [`CallError::Jsep`] for an offer refused, [`CallError::Bind`],
    /// [`CallError::Refused`].
    pub async fn answer(self: &Arc<Self>, offer: &str) -> Result<(CallId, String), CallError> {
        let (socket, local) = self.socket().await?;
        let (peer, answer) = self.service.answer(clock(), local, offer)?;
        let id = self.next_id();
        self.start(id, peer, socket);
        Ok((id, answer))
    }

    /// Makes an offer that waits for the browser's answer ([`Calls::complete`]); its id
    /// and our offer.
    ///
    /// # Errors
    ///
    /// [`CallError::Bind`], [`CallError::Jsep`] if the model refuses to offer,
    /// [`CallError::Refused`].
    pub async fn offer(&self) -> Result<(CallId, String), CallError> {
        let (socket, local) = self.socket().await?;
        let now = clock();
        let (peer, offer) = self.service.offer(now, local)?;
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
        if let Err(e) = self
            .service
            .accept_answer(&mut waiting.peer, clock(), answer)
        {
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

    /// The calls that ended (the latest 1,024), with what each kept
    /// ([`Service::finish`]).
    #[must_use]
    pub fn ended(&self) -> Vec<(CallId, S::Summary)> {
        self.table().ended.clone()
    }

    /// Stops every running call (each peer is finished, [`Service::finish`], as at the
    /// end of a call) and drops the offers waiting; returns once no call runs. For a
    /// server that stops (Ctrl-C) after its HTTP side has.
    pub async fn stop_all(&self) {
        let stops: Vec<Arc<Notify>> = {
            let mut table = self.table();
            table.waiting.clear();
            table
                .running
                .values()
                .map(|r| Arc::clone(&r.stop))
                .collect()
        };
        for stop in stops {
            stop.notify_one();
        }
        loop {
            let over = self.call_over.notified();
            let mut over = std::pin::pin!(over);
            // Registered before the check, so that a call ending in between still wakes us.
            over.as_mut().enable();
            if self.running() == 0 {
                return;
            }
            over.await;
        }
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
    fn start(self: &Arc<Self>, id: CallId, peer: S::Peer, socket: UdpSocket) {
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
                    calls.call_over.notify_waiters();
                    return;
                }
            };
            let watch = async {
                while let Some(event) = events.recv().await {
                    if calls.service.ends_call(&event) {
                        tracing::info!(call = %id, "call ended");
                        stop.notify_one();
                    } else {
                        tracing::debug!(call = %id, ?event, "event");
                    }
                }
            };
            let (result, ()) =
                tokio::join!(driver.run(commands_rx, events_tx, stop.notified()), watch);
            let summary = match result {
                Ok(peer) => calls.service.finish(peer),
                Err(error) => {
                    tracing::warn!(call = %id, %error, "call's socket failed");
                    S::Summary::default()
                }
            };
            tracing::info!(call = %id, ?summary, "call over");
            {
                let mut table = calls.table();
                table.running.remove(&id);
                if table.ended.len() == MAX_ENDED {
                    table.ended.remove(0);
                }
                table.ended.push((id, summary));
            }
            calls.call_over.notify_waiters();
        });
    }
}
