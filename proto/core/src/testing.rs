//! Test machines for the io adapters' smoke tests; only with the `testing` feature.
//!
//! `wren-tokio` and `wren-mio` run the same loopback and allocation tests over their own
//! sockets, so the machines those tests drive live here, once:
//!
//! - [`Echo`] answers every datagram with its bytes reversed, reports what it got, runs one
//!   timer, sends what a [`Command`] tells it to, and asks its driver to bind and close
//!   sockets of its own ([`Command::Bind`], [`Command::Close`]), as a TURN server asks for
//!   relayed addresses: what arrives on such a socket is echoed back from it, since the
//!   echo leaves from the address the datagram came to;
//! - [`Reflect`] echoes datagrams unchanged from fixed storage and allocates nothing after
//!   it is built, recording an allocation counter the test hands it at each datagram; it
//!   can ask for one socket of its own ([`Reflect::bind`]);
//! - [`stun`], [`channel_data`] and [`reversed`] build the messages those tests send.
//!
//! They have no protocol in them: they exercise a driver, nothing else.
//!
//! # Why a feature of wren-core and not a crate of its own
//!
//! The machines are made of nothing but wren-core's vocabulary ([`Machine`], [`Datagram`],
//! [`Transmit`]), so they sit next to it, and any future driver or simulator finds them
//! there. The adapters enable `wren-core/testing` in their `[dev-dependencies]` only; with
//! the workspace's feature resolver a dev-dependency's features are not unified into
//! normal builds, so `cargo build` of an adapter or an app never compiles this module. A
//! separate crate would add a workspace member and a manifest for some 200 lines. What the
//! tests keep to themselves is what must not live in this crate: sockets (wren-core has
//! no networking code) and their counting allocator (wren-core forbids `unsafe`).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::{
    BindError, Datagram, Machine, SocketOptions, SocketRequest, SocketResult, Transmit, Transport,
};

/// What the echo machine reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A datagram arrived (and its reversed echo was queued).
    Received {
        /// The transport it came on.
        proto: Transport,
        /// The remote address it came from.
        source: SocketAddr,
        /// The local address it came to.
        destination: SocketAddr,
        /// Its bytes.
        payload: Vec<u8>,
    },
    /// The timer set by [`Command::Timer`] fired.
    TimerFired,
    /// The driver bound a socket asked for with [`Command::Bind`].
    Bound {
        /// The address asked for.
        requested: SocketAddr,
        /// The address bound (a real port when port 0 was asked).
        bound: SocketAddr,
    },
    /// The driver could not bind a socket asked for with [`Command::Bind`].
    BindFailed {
        /// The address asked for.
        requested: SocketAddr,
        /// Why.
        error: BindError,
    },
    /// A stream connection is gone ([`SocketResult::Disconnected`]).
    Disconnected {
        /// Its local address.
        local: SocketAddr,
        /// Its remote address.
        remote: SocketAddr,
        /// TCP or TLS.
        transport: Transport,
    },
}

/// What the test asks the echo machine to do.
#[derive(Debug, Clone)]
pub enum Command {
    /// Send `payload` to `to` (from `from`, when given), cut into `segment_size` pieces.
    Send {
        /// The transport to send on.
        proto: Transport,
        /// The local address to send from; `None` lets the driver choose.
        from: Option<SocketAddr>,
        /// The remote address.
        to: SocketAddr,
        /// The bytes.
        payload: Vec<u8>,
        /// [`Transmit::segment_size`].
        segment_size: Option<usize>,
    },
    /// Fire [`Event::TimerFired`] after this long.
    Timer(Duration),
    /// Refuse: `handle_command` returns an error.
    Refuse,
    /// Ask the driver for a socket bound to `addr` ([`SocketRequest::Bind`]); the answer
    /// comes back as [`Event::Bound`] or [`Event::BindFailed`].
    Bind {
        /// The address to bind (port 0: any).
        addr: SocketAddr,
        /// The transport of the socket.
        transport: Transport,
        /// The options to set on it.
        options: SocketOptions,
    },
    /// Ask the driver to close the UDP socket bound to this address ([`SocketRequest::Close`]).
    Close(SocketAddr),
    /// Ask the driver to close a stream connection ([`SocketRequest::Disconnect`]).
    Disconnect {
        /// Its local address.
        local: SocketAddr,
        /// Its remote address.
        remote: SocketAddr,
        /// TCP or TLS.
        transport: Transport,
    },
}

impl Command {
    /// [`Command::Bind`] of a UDP socket to `addr`.
    #[must_use]
    pub fn bind_udp(addr: SocketAddr) -> Command {
        Command::Bind {
            addr,
            transport: Transport::Udp,
            options: SocketOptions::default(),
        }
    }

    /// [`Command::Send`] of `payload` to `to` on `proto`, from any local address, in one
    /// piece.
    #[must_use]
    pub fn send(proto: Transport, to: SocketAddr, payload: impl Into<Vec<u8>>) -> Command {
        Command::Send {
            proto,
            from: None,
            to,
            payload: payload.into(),
            segment_size: None,
        }
    }
}

/// The echo machine's only error: a refused command.
#[derive(Debug, thiserror::Error)]
#[error("refused")]
pub struct Refused;

/// The echo machine.
#[derive(Debug, Default)]
pub struct Echo {
    out: VecDeque<(Transmit, Vec<u8>)>,
    events: VecDeque<Event>,
    sockets: VecDeque<SocketRequest>,
    timer: Option<Instant>,
    /// Datagrams handled, over every transport.
    pub received: usize,
}

impl Machine for Echo {
    type Event = Event;
    type Command = Command;
    type Error = Refused;

    fn handle_datagram(&mut self, _now: Instant, d: Datagram<'_>) {
        self.received += 1;
        self.out
            .push_back((Transmit::reply_to(&d), reversed(d.payload)));
        self.events.push_back(Event::Received {
            proto: d.proto,
            source: d.source,
            destination: d.destination,
            payload: d.payload.to_vec(),
        });
    }

    fn handle_command(&mut self, now: Instant, cmd: Command) -> Result<(), Refused> {
        match cmd {
            Command::Send {
                proto,
                from,
                to,
                payload,
                segment_size,
            } => {
                let mut t = Transmit::new(proto, from, to);
                t.segment_size = segment_size;
                self.out.push_back((t, payload));
            }
            Command::Timer(after) => self.timer = Some(now + after),
            Command::Refuse => return Err(Refused),
            Command::Bind {
                addr,
                transport,
                options,
            } => self.sockets.push_back(SocketRequest::Bind {
                addr,
                transport,
                options,
            }),
            Command::Close(addr) => self.sockets.push_back(SocketRequest::Close {
                addr,
                transport: Transport::Udp,
            }),
            Command::Disconnect {
                local,
                remote,
                transport,
            } => self.sockets.push_back(SocketRequest::Disconnect {
                local,
                remote,
                transport,
            }),
        }
        Ok(())
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.timer.is_some_and(|t| t <= now) {
            self.timer = None;
            self.events.push_back(Event::TimerFired);
        }
    }

    fn poll_transmit(&mut self, _now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        let (t, payload) = self.out.pop_front()?;
        buf.extend_from_slice(&payload);
        Some(t)
    }

    fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.timer
    }

    fn poll_socket_request(&mut self) -> Option<SocketRequest> {
        self.sockets.pop_front()
    }

    fn handle_socket_result(&mut self, _now: Instant, result: SocketResult) {
        self.events.push_back(match result {
            SocketResult::Bound {
                requested, bound, ..
            } => Event::Bound { requested, bound },
            SocketResult::Failed {
                requested, error, ..
            } => Event::BindFailed { requested, error },
            SocketResult::Disconnected {
                local,
                remote,
                transport,
            } => Event::Disconnected {
                local,
                remote,
                transport,
            },
        });
    }
}

/// A STUN-shaped message (binding request header, `body` bytes of attributes, a multiple
/// of four) whose bytes after the header are all `fill`: enough for the stream framing.
///
/// # Panics
///
/// When `body` is not a multiple of four.
#[must_use]
pub fn stun(body: u16, fill: u8) -> Vec<u8> {
    assert_eq!(body % 4, 0);
    let mut m = vec![0x00, 0x01];
    m.extend_from_slice(&body.to_be_bytes());
    m.extend_from_slice(&[0x21, 0x12, 0xa4, 0x42]);
    m.extend_from_slice(&[fill; 12]);
    m.extend(std::iter::repeat_n(fill, usize::from(body)));
    m
}

/// A TURN ChannelData message on channel 0x4000 carrying `data` (unpadded).
///
/// # Panics
///
/// When `data` is longer than 65535 bytes.
#[must_use]
pub fn channel_data(data: &[u8]) -> Vec<u8> {
    let mut m = vec![0x40, 0x00];
    m.extend_from_slice(&u16::try_from(data.len()).unwrap().to_be_bytes());
    m.extend_from_slice(data);
    m
}

/// `msg` reversed, as the echo machine answers it.
#[must_use]
pub fn reversed(msg: &[u8]) -> Vec<u8> {
    msg.iter().rev().copied().collect()
}

/// The most bytes of a datagram [`Reflect`] echoes (the rest is cut).
pub const REFLECT_MAX: usize = 64;
/// How many echoes [`Reflect`] holds before it drops datagrams.
pub const REFLECT_SLOTS: usize = 64;
/// How many counter readings [`Reflect`] records.
pub const REFLECT_SEEN: usize = 4096;

/// Echoes every datagram unchanged (its first [`REFLECT_MAX`] bytes) from a fixed queue,
/// and records `probe()` at each datagram, the first [`REFLECT_SEEN`] of them.
///
/// Allocates nothing after [`Reflect::new`], so that a test can read a counting
/// allocator through `probe` and see only what the driver allocated. With
/// [`Reflect::bind`] it first asks its driver for one UDP socket and reports the bound
/// address as its only event; datagrams to that socket are echoed from it.
#[derive(Debug)]
pub struct Reflect {
    out: VecDeque<(Transmit, [u8; REFLECT_MAX], usize)>,
    seen: Vec<u64>,
    probe: fn() -> u64,
    keep_armed: Option<Duration>,
    deadline: Option<Instant>,
    bind: Option<SocketAddr>,
    bound: Option<SocketAddr>,
}

impl Reflect {
    /// A reflector recording `probe()` (say, the driver thread's allocation count), with no
    /// deadline.
    #[must_use]
    pub fn new(probe: fn() -> u64) -> Reflect {
        Reflect {
            out: VecDeque::with_capacity(REFLECT_SLOTS),
            seen: Vec::with_capacity(REFLECT_SEEN),
            probe,
            keep_armed: None,
            deadline: None,
            bind: None,
            bound: None,
        }
    }

    /// Asks the driver, at its first drain, for a UDP socket bound to `addr`; the bound
    /// address comes out as the machine's event.
    #[must_use]
    pub fn bind(mut self, addr: SocketAddr) -> Reflect {
        self.bind = Some(addr);
        self
    }

    /// From the first datagram on, keeps a deadline armed `after` it (never handled in a
    /// short test), so that the driver sleeps on a real timer every turn.
    #[must_use]
    pub fn keep_deadline(mut self, after: Duration) -> Reflect {
        self.keep_armed = Some(after);
        self
    }

    /// The `probe()` readings, one per datagram.
    #[must_use]
    pub fn seen(&self) -> &[u64] {
        &self.seen
    }
}

/// [`Reflect`] never fails.
#[derive(Debug, thiserror::Error)]
#[error("never")]
pub struct Never;

impl Machine for Reflect {
    /// The address of the socket asked for with [`Reflect::bind`], once bound.
    type Event = SocketAddr;
    type Command = ();
    type Error = Never;

    fn handle_datagram(&mut self, now: Instant, d: Datagram<'_>) {
        if let Some(after) = self.keep_armed {
            self.deadline.get_or_insert(now + after);
        }
        if self.seen.len() < self.seen.capacity() {
            self.seen.push((self.probe)());
        }
        let len = d.payload.len().min(REFLECT_MAX);
        let mut copy = [0; REFLECT_MAX];
        copy[..len].copy_from_slice(&d.payload[..len]);
        if self.out.len() < REFLECT_SLOTS {
            self.out.push_back((Transmit::reply_to(&d), copy, len));
        }
    }

    fn handle_command(&mut self, _now: Instant, (): ()) -> Result<(), Never> {
        Ok(())
    }

    fn handle_timeout(&mut self, _now: Instant) {}

    fn poll_transmit(&mut self, _now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        let (t, bytes, len) = self.out.pop_front()?;
        buf.extend_from_slice(&bytes[..len]);
        Some(t)
    }

    fn poll_event(&mut self) -> Option<SocketAddr> {
        self.bound.take()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }

    fn poll_socket_request(&mut self) -> Option<SocketRequest> {
        let addr = self.bind.take()?;
        Some(SocketRequest::Bind {
            addr,
            transport: Transport::Udp,
            options: SocketOptions::default(),
        })
    }

    fn handle_socket_result(&mut self, _now: Instant, result: SocketResult) {
        if let SocketResult::Bound { bound, .. } = result {
            self.bound = Some(bound);
        }
    }
}
