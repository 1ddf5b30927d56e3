//! Which socket a transmit leaves from, and the sockets a machine asks for
//! ([`wren_core::socket`]): binding them, closing them, and their bookkeeping, for any
//! runtime. The adapter only takes a bound socket into its runtime and gives it back
//! ([`Host`]).

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::Instant;

use wren_core::{
    BindError, Machine, SocketIndex, SocketOptions, SocketRequest, SocketResult, Transmit,
    Transport,
};

use crate::sockopt::{self, Buffers};
use crate::stats::{Counter, Counters};

/// The default bound on the sockets a machine may have bound at once
/// ([`Sockets::max_bound`]).
pub const DEFAULT_MAX_BOUND_SOCKETS: usize = 65_536;

/// What an adapter does with the sockets [`Sockets`] binds and closes for its machine:
/// nothing but moving them in and out of its runtime.
pub trait Host {
    /// How the adapter names one of its UDP sockets (an index into its table, say).
    type Slot: Copy + PartialEq;
    /// A socket the adapter gives back on close; dropping it closes it.
    type Socket;

    /// Takes a bound, non-blocking socket into the runtime (registers it with the
    /// reactor or poller) under a new slot.
    ///
    /// # Errors
    ///
    /// Why it could not (the socket is dropped, so closed): [`crate::bind_error`] of a
    /// registration error, or [`BindError::Exhausted`] when the adapter has no slot left.
    fn adopt(&mut self, sock: UdpSocket, local: SocketAddr) -> Result<Self::Slot, BindError>;

    /// Takes the socket in `slot` out of the runtime (deregisters it, forgets whatever
    /// the adapter still meant to send from it) and gives it back, so that [`Sockets`]
    /// closes it before it counts the close. `None` if the slot holds no socket.
    fn release(&mut self, slot: Self::Slot) -> Option<Self::Socket>;

    /// Closes the stream connection between `local` and `remote` of `transport`, at the
    /// machine's request ([`SocketRequest::Disconnect`]), counting it as
    /// [`crate::Close::Requested`] and reporting it to the machine as every close is
    /// ([`SocketResult::Disconnected`], when it had delivered a message). `false` if
    /// there is no such connection. The default has no connections: always `false`.
    fn disconnect(&mut self, local: SocketAddr, remote: SocketAddr, transport: Transport) -> bool {
        let _ = (local, remote, transport);
        false
    }
}

/// Where a transmit goes, as [`Sockets::route`] decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<S> {
    /// Out of this UDP socket.
    Udp(S),
    /// On the stream connection (TCP, or TLS where the adapter carries it) to its
    /// destination: the adapter finds or opens it.
    Stream,
    /// Nowhere: dropped, logged and counted already.
    Dropped,
}

/// The driver's UDP sockets for routing ([`SocketIndex`]), and the sockets bound at the
/// machine's request: their bound, their options, binding and closing them, and the
/// counters of all of it.
#[derive(Debug)]
pub struct Sockets<S> {
    index: SocketIndex<S>,
    max_bound: usize,
    buffers: Buffers,
    tls: bool,
    counters: Arc<Counters>,
}

impl<S: Copy + PartialEq> Sockets<S> {
    /// No sockets yet, at most [`DEFAULT_MAX_BOUND_SOCKETS`] bound for the machine, OS
    /// default buffers, no TLS, counting into `counters`.
    #[must_use]
    pub fn new(counters: Arc<Counters>) -> Self {
        Sockets {
            index: SocketIndex::new(),
            max_bound: DEFAULT_MAX_BOUND_SOCKETS,
            buffers: Buffers::default(),
            tls: false,
            counters,
        }
    }

    /// The counters this counts into.
    #[must_use]
    pub fn counters(&self) -> &Arc<Counters> {
        &self.counters
    }

    /// Sets the most sockets the machine may have bound at once; further binds fail with
    /// [`BindError::Exhausted`] until some are closed.
    pub fn set_max_bound(&mut self, sockets: usize) {
        self.max_bound = sockets;
    }

    /// The most sockets the machine may have bound at once.
    #[must_use]
    pub fn max_bound(&self) -> usize {
        self.max_bound
    }

    /// Sets the buffer sizes asked for the sockets bound from now on.
    pub fn set_buffers(&mut self, buffers: Buffers) {
        self.buffers = buffers;
    }

    /// The buffer sizes asked for every UDP socket.
    #[must_use]
    pub fn buffers(&self) -> Buffers {
        self.buffers
    }

    /// Whether TLS transmits are routed to streams (the adapter carries TLS); otherwise
    /// they are dropped as unsupported.
    pub fn set_tls(&mut self, carried: bool) {
        self.tls = carried;
    }

    /// Indexes a UDP socket the application handed the driver
    /// ([`SocketIndex::insert_listening`]).
    pub fn insert_listening(&mut self, local: SocketAddr, slot: S) {
        self.index.insert_listening(local, slot);
    }

    /// Where `t` goes: a UDP socket found by one lookup ([`SocketIndex::choose`]), the
    /// stream to its destination, or nowhere (counted in
    /// [`crate::Stats::dropped_no_route`] or [`crate::Stats::dropped_unsupported`]).
    #[must_use]
    pub fn route(&self, t: &Transmit) -> Route<S> {
        match t.proto {
            Transport::Udp => match self.index.choose(t) {
                Some(slot) => Route::Udp(slot),
                None => {
                    self.no_route(t, "no UDP socket for this source");
                    Route::Dropped
                }
            },
            Transport::Tcp => Route::Stream,
            Transport::Tls if self.tls => Route::Stream,
            _ => {
                tracing::debug!(proto = ?t.proto, to = %t.destination, "transport not supported, dropped");
                self.counters.add(Counter::DroppedUnsupported, 1);
                Route::Dropped
            }
        }
    }

    /// Logs and counts a transmit nothing can carry.
    pub fn no_route(&self, t: &Transmit, why: &str) {
        tracing::debug!(proto = ?t.proto, from = ?t.source, to = %t.destination, why, "transmit dropped");
        self.counters.add(Counter::DroppedNoRoute, 1);
    }

    /// Carries out one socket request of the machine, with `host` moving the socket in or
    /// out of the runtime:
    ///
    /// - a `Bind` of UDP binds a socket ([`sockopt::bind_udp`]), has `host` adopt it,
    ///   indexes it, and answers at once with [`SocketResult::Bound`], or `Failed` (the OS
    ///   error as a [`BindError`]; `Unsupported` for another transport; `Exhausted` past
    ///   [`Sockets::max_bound`]);
    /// - a `Close` of a socket the machine bound has `host` release it, **closes it**
    ///   (drops it: its port is free when this returns), and only then counts it in
    ///   [`crate::Stats::sockets_closed`]; a close of any other address is ignored and
    ///   counted in [`crate::Stats::close_unknown`];
    /// - a `Disconnect` has `host` close that stream connection ([`Host::disconnect`]);
    ///   one the host does not have is counted in [`crate::Stats::disconnect_unknown`];
    /// - another request is ignored and counted as unsupported.
    pub fn request<M: Machine, H: Host<Slot = S>>(
        &mut self,
        machine: &mut M,
        now: Instant,
        request: SocketRequest,
        host: &mut H,
    ) {
        match request {
            SocketRequest::Bind {
                addr,
                transport,
                options,
            } => {
                let outcome = self.bind(addr, transport, options, host);
                match &outcome {
                    Ok(bound) => {
                        tracing::debug!(requested = %addr, %bound, "socket bound for the machine");
                        self.counters.add(Counter::SocketsBound, 1);
                    }
                    Err(error) => {
                        tracing::debug!(requested = %addr, ?transport, %error, "bind failed");
                        self.counters.add(Counter::BindFailures, 1);
                    }
                }
                let result = SocketResult::of_bind(addr, transport, outcome);
                machine.handle_socket_result(now, result);
            }
            SocketRequest::Close { addr, transport } => {
                if self.close(addr, transport, host) {
                    tracing::debug!(%addr, "socket closed for the machine");
                    self.counters.add(Counter::SocketsClosed, 1);
                } else {
                    tracing::debug!(%addr, ?transport, "close of a socket the machine did not bind, ignored");
                    self.counters.add(Counter::CloseUnknown, 1);
                }
            }
            SocketRequest::Disconnect {
                local,
                remote,
                transport,
            } => {
                if host.disconnect(local, remote, transport) {
                    tracing::debug!(%local, %remote, ?transport, "connection closed for the machine");
                } else {
                    tracing::debug!(%local, %remote, ?transport, "disconnect of a connection the driver does not have, ignored");
                    self.counters.add(Counter::DisconnectUnknown, 1);
                }
            }
            other => {
                tracing::warn!(request = ?other, "socket request not supported, ignored");
                self.counters.add(Counter::DroppedUnsupported, 1);
            }
        }
    }

    fn bind<H: Host<Slot = S>>(
        &mut self,
        addr: SocketAddr,
        transport: Transport,
        options: SocketOptions,
        host: &mut H,
    ) -> Result<SocketAddr, BindError> {
        if transport != Transport::Udp {
            return Err(BindError::Unsupported);
        }
        if self.index.requested() >= self.max_bound {
            return Err(BindError::Exhausted);
        }
        let (sock, local) = sockopt::bind_udp(addr, options, self.buffers)?;
        if self.index.get(local).is_some() {
            // Only if the application handed the driver a socket with SO_REUSEADDR on this
            // address: ours would share its datagrams.
            return Err(BindError::AddrInUse);
        }
        let slot = host.adopt(sock, local)?;
        if !self.index.insert_requested(local, slot) {
            drop(host.release(slot));
            return Err(BindError::AddrInUse);
        }
        Ok(local)
    }

    /// Closes the socket the machine had bound to `addr`: `true` once it is closed.
    fn close<H: Host<Slot = S>>(
        &mut self,
        addr: SocketAddr,
        transport: Transport,
        host: &mut H,
    ) -> bool {
        if transport != Transport::Udp {
            return false;
        }
        let Some(slot) = self.index.remove_requested(addr) else {
            return false;
        };
        match host.release(slot) {
            Some(sock) => {
                // Closed here, before anyone is told: the port is free once this returns.
                drop(sock);
                true
            }
            None => false,
        }
    }
}

/// Tells `machine` that a stream connection which delivered messages to it is gone
/// ([`SocketResult::Disconnected`]), and counts it in
/// [`crate::Stats::disconnects_reported`]. A driver calls it once per such connection,
/// whatever closed it.
pub fn report_disconnected<M: Machine>(
    machine: &mut M,
    now: Instant,
    (local, remote, transport): (SocketAddr, SocketAddr, Transport),
    counters: &Counters,
) {
    counters.add(Counter::DisconnectsReported, 1);
    machine.handle_socket_result(
        now,
        SocketResult::Disconnected {
            local,
            remote,
            transport,
        },
    );
}
