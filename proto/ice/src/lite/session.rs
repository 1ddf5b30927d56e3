//! One ICE-lite session: its credentials, the paths its peer proved, its state, and the
//! consent read from the peer's checks (RFC 8445 section 2.5 and 7.3; RFC 7675).
//!
//! A session sends no checks. A path (local socket, remote address, transport) is valid once
//! a check on it was answered, and selected when the peer nominates it (USE-CANDIDATE).
//! Consent is fresh while the peer's checks keep coming on the selected path: a session
//! reads as disconnected after [`Timers::disconnected_after`] without one and fails after
//! [`Timers::consent_timeout`]. The table of sessions ([`Sessions`]) hands out typed ids
//! with a generation, so an id of a removed session never reaches its slot's next tenant.

use std::fmt;
use std::time::Instant;

use wren_stun::Key;

use super::config::Timers;
use super::demux::RouteKey;
use super::event::Failure;
use crate::agent::ConnectionState;

/// Paths one session keeps (its peer's candidates that reached the server, each a route):
/// a browser checks from each of its candidates, so a few; past this the oldest path that
/// is not selected makes room.
pub const MAX_PATHS: usize = 4;

/// A session of a [`super::Server`]: stable until removed, never reused (the slot is, with
/// a new generation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId {
    index: u32,
    generation: u32,
}

impl SessionId {
    /// Where the session sits in the server's table (a dense number, for the owner's own
    /// tables indexed by session).
    #[must_use]
    pub fn index(self) -> u32 {
        self.index
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "session {}.{}", self.index, self.generation)
    }
}

/// What a check or a deadline changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// Connected on the path in this slot (newly, again, or on another path).
    Connected(u8),
    /// Consent is stale on the selected path.
    Disconnected,
    /// The session is over.
    Failed(Failure),
}

#[derive(Debug)]
pub(crate) struct Session {
    /// The local ufrag (the key of the ufrag table).
    pub(crate) ufrag: Box<str>,
    /// The short-term key from the local password.
    pub(crate) key: Key,
    /// The peer's ufrag, once known: the part after the colon must match it.
    pub(crate) remote_ufrag: Option<Box<str>>,
    pub(crate) state: ConnectionState,
    paths: [Option<RouteKey>; MAX_PATHS],
    selected: Option<u8>,
    /// The slot the next path that does not fit replaces.
    next_evict: u8,
    added: Instant,
    /// The last authenticated check on the selected path (any path before selection).
    last_check: Instant,
    /// The last datagram sent on the selected path.
    last_sent: Instant,
}

impl Session {
    pub(crate) fn new(now: Instant, ufrag: Box<str>, key: Key) -> Session {
        Session {
            ufrag,
            key,
            remote_ufrag: None,
            state: ConnectionState::New,
            paths: [None; MAX_PATHS],
            selected: None,
            next_evict: 0,
            added: now,
            last_check: now,
            last_sent: now,
        }
    }

    pub(crate) fn is_over(&self) -> bool {
        matches!(
            self.state,
            ConnectionState::Failed | ConnectionState::Closed
        )
    }

    /// Consent is not lost: data may be sent on the selected path.
    pub(crate) fn can_send(&self) -> bool {
        matches!(
            self.state,
            ConnectionState::Connected | ConnectionState::Disconnected
        )
    }

    pub(crate) fn path(&self, slot: u8) -> Option<RouteKey> {
        self.paths.get(usize::from(slot)).copied().flatten()
    }

    pub(crate) fn selected(&self) -> Option<RouteKey> {
        self.path(self.selected?)
    }

    /// The slot of `key`, adding it when new; also the path it replaced, whose route the
    /// server releases.
    pub(crate) fn admit(&mut self, key: RouteKey) -> (u8, Option<RouteKey>) {
        if let Some(i) = self.paths.iter().position(|p| *p == Some(key)) {
            return (slot(i), None);
        }
        if let Some(i) = self.paths.iter().position(Option::is_none) {
            self.paths[i] = Some(key);
            return (slot(i), None);
        }
        // Full: the oldest-placed slot that is not selected.
        let mut i = usize::from(self.next_evict) % MAX_PATHS;
        if Some(slot(i)) == self.selected {
            i = (i + 1) % MAX_PATHS;
        }
        self.next_evict = slot((i + 1) % MAX_PATHS);
        let old = self.paths[i].replace(key);
        (slot(i), old)
    }

    /// An authenticated check arrived on the path in `slot`; `nominate` when it carried
    /// USE-CANDIDATE (RFC 8445 section 7.3.1.5: the controlled agent selects the pair).
    pub(crate) fn checked(&mut self, now: Instant, slot: u8, nominate: bool) -> Option<Change> {
        if self.is_over() {
            return None;
        }
        if nominate && self.selected != Some(slot) {
            self.selected = Some(slot);
            self.last_check = now;
            self.last_sent = now;
            self.state = ConnectionState::Connected;
            return Some(Change::Connected(slot));
        }
        match self.selected {
            // Consent lives on the selected path (RFC 7675 section 5.1).
            Some(s) if s == slot => {
                self.last_check = now;
                if self.state == ConnectionState::Disconnected {
                    self.state = ConnectionState::Connected;
                    return Some(Change::Connected(slot));
                }
            }
            Some(_) => {}
            None => {
                self.last_check = now;
                if self.state == ConnectionState::New {
                    self.state = ConnectionState::Checking;
                }
            }
        }
        None
    }

    /// Something was sent on the selected path (a keepalive or the owner's data).
    pub(crate) fn sent(&mut self, now: Instant) {
        self.last_sent = now;
    }

    /// The next time [`Session::handle_timeout`] has something to do.
    pub(crate) fn deadline(&self, t: &Timers) -> Option<Instant> {
        match self.state {
            ConnectionState::New | ConnectionState::Checking => {
                Some(self.added + t.connect_timeout)
            }
            ConnectionState::Connected => Some(
                (self.last_check + t.disconnected_after).min(self.last_sent + t.keepalive_interval),
            ),
            ConnectionState::Disconnected => Some(
                (self.last_check + t.consent_timeout).min(self.last_sent + t.keepalive_interval),
            ),
            ConnectionState::Failed | ConnectionState::Closed => None,
        }
    }

    /// The deadlines that came: a change of state, and whether a keepalive is due on the
    /// selected path (RFC 8445 section 11).
    pub(crate) fn handle_timeout(&mut self, now: Instant, t: &Timers) -> (Option<Change>, bool) {
        match self.state {
            ConnectionState::New | ConnectionState::Checking => {
                if now >= self.added + t.connect_timeout {
                    self.state = ConnectionState::Failed;
                    return (Some(Change::Failed(Failure::ConnectTimeout)), false);
                }
                (None, false)
            }
            ConnectionState::Connected | ConnectionState::Disconnected => {
                if now >= self.last_check + t.consent_timeout {
                    self.state = ConnectionState::Failed;
                    return (Some(Change::Failed(Failure::ConsentExpired)), false);
                }
                let mut change = None;
                if self.state == ConnectionState::Connected
                    && now >= self.last_check + t.disconnected_after
                {
                    self.state = ConnectionState::Disconnected;
                    change = Some(Change::Disconnected);
                }
                let keepalive = now >= self.last_sent + t.keepalive_interval;
                if keepalive {
                    self.last_sent = now;
                }
                (change, keepalive)
            }
            ConnectionState::Failed | ConnectionState::Closed => (None, false),
        }
    }

    /// Forgets every path (the session failed or is removed); returns them for release.
    pub(crate) fn take_paths(&mut self) -> [Option<RouteKey>; MAX_PATHS] {
        self.selected = None;
        std::mem::take(&mut self.paths)
    }
}

fn slot(i: usize) -> u8 {
    u8::try_from(i).unwrap_or(u8::MAX)
}

/// The table of sessions: slots reused with a new generation.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    slots: Vec<Slot>,
    free: Vec<u32>,
    len: usize,
}

#[derive(Debug)]
struct Slot {
    generation: u32,
    session: Option<Session>,
}

impl Sessions {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn insert(&mut self, session: Session) -> SessionId {
        self.len += 1;
        if let Some(index) = self.free.pop() {
            let slot = &mut self.slots[index as usize];
            slot.generation = slot.generation.wrapping_add(1);
            slot.session = Some(session);
            return SessionId {
                index,
                generation: slot.generation,
            };
        }
        let index = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
        self.slots.push(Slot {
            generation: 0,
            session: Some(session),
        });
        SessionId {
            index,
            generation: 0,
        }
    }

    pub(crate) fn get(&self, id: SessionId) -> Option<&Session> {
        let slot = self.slots.get(id.index as usize)?;
        (slot.generation == id.generation)
            .then_some(slot.session.as_ref())
            .flatten()
    }

    pub(crate) fn get_mut(&mut self, id: SessionId) -> Option<&mut Session> {
        let slot = self.slots.get_mut(id.index as usize)?;
        (slot.generation == id.generation)
            .then_some(slot.session.as_mut())
            .flatten()
    }

    pub(crate) fn remove(&mut self, id: SessionId) -> Option<Session> {
        let slot = self.slots.get_mut(id.index as usize)?;
        if slot.generation != id.generation {
            return None;
        }
        let s = slot.session.take()?;
        self.free.push(id.index);
        self.len -= 1;
        Some(s)
    }
}
