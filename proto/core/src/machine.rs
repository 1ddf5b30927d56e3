//! The [`Machine`] trait: the one interface adapters and the simulator drive.

use std::time::Instant;

use crate::{Datagram, SocketRequest, SocketResult, Transmit};

/// A sans-IO protocol state machine.
///
/// Input comes through the `handle_*` methods, output is drained through the `poll_*`
/// methods. After any `handle_*` call the driver drains [`Machine::poll_transmit`] and
/// [`Machine::poll_event`] until they return `None`, then sleeps until
/// [`Machine::poll_timeout`] or the next input. A machine stays correct when several
/// `handle_*` calls come before a drain: its queues keep order and are bounded.
///
/// Time only moves forward: a machine treats a `now` earlier than one it has seen as the
/// latest it has seen.
pub trait Machine {
    /// What happened, for the application (per-protocol enum).
    type Event;
    /// Requests from the application that an adapter may forward from another task.
    type Command;
    /// Misuse of the API by a command. Garbage from the network is never an error: it is
    /// counted in the machine's stats and dropped.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Feeds bytes that arrived.
    ///
    /// Nothing from the network is an error: malformed or unexpected input is dropped and
    /// counted in the machine's stats, and never disturbs state already accepted.
    fn handle_datagram(&mut self, now: Instant, dgram: Datagram<'_>);

    /// Feeds a command of the application; `Err` when the command is misuse (a typed reason).
    fn handle_command(&mut self, now: Instant, cmd: Self::Command) -> Result<(), Self::Error>;

    /// Tells the machine that the deadline from [`Machine::poll_timeout`] has come.
    fn handle_timeout(&mut self, now: Instant);

    /// Writes the next datagram to send into `buf` and says where it goes.
    ///
    /// Call after every `handle_*` call, until it returns `None`. The caller clears `buf`
    /// before each call; the machine appends to it.
    #[must_use]
    fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<Transmit>;

    /// The next thing that happened. Call after every `handle_*` call, until it returns `None`.
    #[must_use]
    fn poll_event(&mut self) -> Option<Self::Event>;

    /// When [`Machine::handle_timeout`] should next be called; `None` when nothing is pending.
    ///
    /// Call after draining transmits and events. Pure: calling it changes nothing.
    #[must_use]
    fn poll_timeout(&self) -> Option<Instant>;

    /// The next socket the machine wants opened or closed (see [`crate::socket`]).
    ///
    /// Drain it with transmits and events, after every `handle_*` call. The default is for
    /// machines that need no sockets of their own.
    #[must_use]
    fn poll_socket_request(&mut self) -> Option<SocketRequest> {
        None
    }

    /// The driver's answer to a [`SocketRequest::Bind`]. A failed bind is an answer, not an
    /// error: the machine reports what it means for it as an event.
    fn handle_socket_result(&mut self, now: Instant, result: SocketResult) {
        let _ = (now, result);
    }

    /// Whether this machine wants `dgram` (a cheap, non-mutating check used to route one
    /// socket's input among several machines). The default accepts everything.
    #[must_use]
    fn accepts(&self, dgram: &Datagram<'_>) -> bool {
        let _ = dgram;
        true
    }
}
