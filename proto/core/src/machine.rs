//! The [`Machine`] trait: the one interface adapters and the simulator drive.

use std::fmt;
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

    /// Names the timer behind [`Machine::poll_timeout`] (the one that fires next), for a
    /// driver's log; see [`TimerName`]. Machines keep their timers in a [`crate::TimerTable`]
    /// or [`crate::Deadlines`], whose `next()` gives the name. The default writes nothing.
    fn describe_timer(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let _ = f;
        Ok(())
    }

    /// Whether this machine wants `dgram` (a cheap, non-mutating check used to route one
    /// socket's input among several machines). The default accepts everything.
    #[must_use]
    fn accepts(&self, dgram: &Datagram<'_>) -> bool {
        let _ = dgram;
        true
    }
}

/// Displays the name of a machine's next timer ([`Machine::describe_timer`]) without
/// allocating, for a driver's log line: `debug!(timer = %TimerName(&machine), "timeout")`.
pub struct TimerName<'a, M: ?Sized>(pub &'a M);

impl<M: Machine + ?Sized> fmt::Display for TimerName<'_, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.describe_timer(f)
    }
}

impl<M: Machine + ?Sized> fmt::Debug for TimerName<'_, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.describe_timer(f)
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::time::Duration;

    use super::*;
    use crate::Deadlines;

    /// A machine with one keyed timer per name, and one that names none.
    #[derive(Default)]
    struct Timed(Deadlines<&'static str>);

    impl Machine for Timed {
        type Event = Infallible;
        type Command = Infallible;
        type Error = Infallible;
        fn handle_datagram(&mut self, _: Instant, _: Datagram<'_>) {}
        fn handle_command(&mut self, _: Instant, c: Infallible) -> Result<(), Infallible> {
            match c {}
        }
        fn handle_timeout(&mut self, now: Instant) {
            while self.0.pop_expired(now).is_some() {}
        }
        fn poll_transmit(&mut self, _: Instant, _: &mut Vec<u8>) -> Option<Transmit> {
            None
        }
        fn poll_event(&mut self) -> Option<Infallible> {
            None
        }
        fn poll_timeout(&self) -> Option<Instant> {
            self.0.next_deadline()
        }
        fn describe_timer(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self.0.next() {
                Some((_, name)) => f.write_str(name),
                None => Ok(()),
            }
        }
    }

    #[test]
    fn timer_name_shows_the_timer_that_fires_next() {
        #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
        let t0 = Instant::now();
        let mut m = Timed::default();
        assert_eq!(TimerName(&m).to_string(), "");
        m.0.set("keepalive", t0 + Duration::from_secs(15));
        m.0.set("retransmit", t0 + Duration::from_millis(500));
        assert_eq!(TimerName(&m).to_string(), "retransmit");
        m.handle_timeout(t0 + Duration::from_secs(1));
        assert_eq!(format!("{:?}", TimerName(&m)), "keepalive");
    }
}
