//! Draining a machine, one step at a time: what to take from it next, in which order, and
//! when to stop so that one busy machine cannot keep a driver from its sockets.
//!
//! A [`Drain`] is itself sans-IO: it calls the machine's `poll_*` methods and hands back
//! one [`Step`] per call, which the adapter carries out however its runtime wants (an
//! `.await` in wren-tokio, a batch of `sendmmsg` in wren-mio). The order is the one every
//! adapter used: transmits until none are left, then events, then socket requests, and
//! round again while socket requests came (an answer to a bind may bring transmits).

use std::time::Instant;

use wren_core::{Machine, SocketRequest, Transmit};

use crate::stats::{Counter, Counters};

/// How much one drain may take from the machine before the driver looks at its sockets
/// and commands again ([`Step::Done`] with `more`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TurnLimits {
    /// Transmits per drain.
    pub transmits: usize,
    /// Events per drain.
    pub events: usize,
    /// Socket requests per drain.
    pub socket_requests: usize,
    /// Commands fed per wake-up ([`Drain`] does not feed commands; the adapter does, up
    /// to this many).
    pub commands: usize,
}

impl Default for TurnLimits {
    /// 4096 transmits (128 full `sendmmsg` batches), 4096 events, 1024 socket requests,
    /// 64 commands.
    fn default() -> Self {
        TurnLimits {
            transmits: 4096,
            events: 4096,
            socket_requests: 1024,
            commands: 64,
        }
    }
}

/// What the adapter does next, from [`Drain::next`].
#[derive(Debug)]
#[must_use]
pub enum Step<E> {
    /// The machine wrote a transmit into the buffer given to [`Drain::next`]: send it
    /// ([`crate::Sockets::route`] says where).
    Transmit(Transmit),
    /// No more transmits in this round: send what was batched.
    Flush,
    /// Hand this event to the application.
    Event(E),
    /// Carry out this socket request ([`crate::Sockets::request`]).
    Request(SocketRequest),
    /// The drain is over. `more`: a limit stopped it, so the machine may have more to give;
    /// the adapter comes back without sleeping (after a look at its sockets).
    Done {
        /// Whether a [`TurnLimits`] limit was reached.
        more: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Transmits,
    Events,
    Requests,
    Done,
}

/// One drain of a machine: make one per turn, then call [`Drain::next`] until
/// [`Step::Done`].
#[derive(Debug)]
pub struct Drain {
    limits: TurnLimits,
    phase: Phase,
    transmits: usize,
    events: usize,
    requests: usize,
    /// `requests` when the current round's request phase began.
    round_start: usize,
    more: bool,
}

impl Drain {
    /// A drain within `limits`.
    #[must_use]
    pub fn new(limits: TurnLimits) -> Drain {
        Drain {
            limits,
            phase: Phase::Transmits,
            transmits: 0,
            events: 0,
            requests: 0,
            round_start: 0,
            more: false,
        }
    }

    /// The next thing to do with `machine`'s output.
    ///
    /// `buf` is the buffer for the next transmit (cleared here; the machine writes into
    /// it), or `None` when the adapter has no room to send now (a full socket): then the
    /// machine keeps its transmits and the drain goes on with events and requests.
    pub fn next<M: Machine>(
        &mut self,
        machine: &mut M,
        now: Instant,
        buf: Option<&mut Vec<u8>>,
    ) -> Step<M::Event> {
        loop {
            match self.phase {
                Phase::Transmits => {
                    self.phase = Phase::Events;
                    if let Some(buf) = buf {
                        if self.transmits < self.limits.transmits {
                            buf.clear();
                            if let Some(t) = machine.poll_transmit(now, buf) {
                                self.transmits += 1;
                                self.phase = Phase::Transmits;
                                return Step::Transmit(t);
                            }
                        } else {
                            self.more = true;
                        }
                    }
                    return Step::Flush;
                }
                Phase::Events => {
                    if self.events < self.limits.events {
                        if let Some(e) = machine.poll_event() {
                            self.events += 1;
                            return Step::Event(e);
                        }
                    } else {
                        self.more = true;
                    }
                    self.phase = Phase::Requests;
                    self.round_start = self.requests;
                }
                Phase::Requests => {
                    if self.requests < self.limits.socket_requests {
                        if let Some(r) = machine.poll_socket_request() {
                            self.requests += 1;
                            return Step::Request(r);
                        }
                    } else {
                        self.more = true;
                    }
                    // Round again only while requests came: their answers may bring output.
                    self.phase = if self.requests == self.round_start || self.more {
                        Phase::Done
                    } else {
                        Phase::Transmits
                    };
                }
                Phase::Done => return Step::Done { more: self.more },
            }
        }
    }
}

/// Feeds one command to the machine: counted in [`crate::Stats::commands`], and a refusal
/// is logged at warn and counted in [`crate::Stats::command_errors`], never fatal (by the
/// sans-IO contract it means the machine was misused, and one bad command must not stop
/// every other peer).
pub fn command<M: Machine>(machine: &mut M, now: Instant, cmd: M::Command, counters: &Counters) {
    counters.add(Counter::Commands, 1);
    if let Err(e) = machine.handle_command(now, cmd) {
        tracing::warn!(error = %e, "the machine refused a command");
        counters.add(Counter::CommandErrors, 1);
    }
}
