//! The data path: media is the application's, not the agent's. A received datagram that
//! is not STUN is classified (RFC 7983, [`wren_core::demux`]) and routed by one hash lookup
//! to the valid pair it belongs to, and handed back borrowed ([`Agent::receive`]); relayed
//! data (TURN ChannelData, RFC 8656 section 12, or a Data indication, section 11) is
//! unwrapped in place, since its payload is a contiguous slice of the input. Data leaves
//! through [`Agent::send_into`], written into the caller's buffer: as is on a direct pair,
//! framed by the TURN client (ChannelData, padded over TCP, or a Send indication) on a
//! relayed one. Neither allocates.
//!
//! The [`wren_core::Machine`] path still works for generic drivers: data that arrives
//! through `handle_datagram` becomes an [`Event::Data`] (a copy, bounded by
//! [`Config::max_data_events`](super::Config::max_data_events), drops counted in
//! [`Stats::data_events_dropped`](super::Stats::data_events_dropped)), and
//! [`Agent::send`] queues a copy for `poll_transmit`.

use std::net::SocketAddr;
use std::time::Instant;

use wren_core::demux::{PacketKind, classify};
use wren_core::{Datagram, Transmit, Transport};

use super::ids::LocalId;
use super::route::RouteKey;
use super::{Agent, ConnectionState, Event, PairId, PairState};
use crate::candidate::TcpType;

/// What [`Agent::receive`] made of a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Received<'a> {
    /// Media (not STUN) on a valid pair: the application's. For relayed data, `data` is the
    /// payload inside the ChannelData message or the Data indication; either way it is a
    /// slice of the datagram given, not a copy.
    Data {
        /// The pair it arrived on (compare with [`super::SelectedPair::pair`]).
        pair: PairId,
        /// The bytes.
        data: &'a [u8],
    },
    /// The agent's own (a check, a response, TURN control) or something it counted and
    /// dropped ([`super::Stats`]): drain its `poll_*` methods, as after `handle_datagram`.
    Handled,
}

/// Why [`Agent::send_into`] wrote nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The agent was closed.
    #[error("the agent is closed")]
    Closed,
    /// No pair is selected yet.
    #[error("no candidate pair is selected yet")]
    NotConnected,
    /// The data cannot be sent in one datagram.
    #[error("datagram of {0} bytes is too long")]
    TooLong(usize),
    /// The selected pair is relayed and its TURN client refused the data.
    #[error("the relay refused the data: {0}")]
    Relay(#[from] wren_turn::client::Error),
}

impl Agent {
    /// Takes a datagram that arrived: STUN (checks, responses, gathering answers) and TURN
    /// control are handled as [`wren_core::Machine::handle_datagram`] would, and media on a
    /// valid pair is handed back as [`Received::Data`], borrowed from `d`. Call it instead
    /// of `handle_datagram` in a loop that owns the data path; after
    /// [`Received::Handled`], drain `poll_transmit`, `poll_event` and `poll_timeout`.
    ///
    /// Direct media is found by one hash lookup of (local socket, remote address,
    /// transport) and nothing else is done: no copy, no allocation, no event.
    pub fn receive<'a>(&mut self, now: Instant, d: Datagram<'a>) -> Received<'a> {
        let now = self.clamp(now);
        if self.state == ConnectionState::Closed {
            self.receive_closed(now, d);
            return Received::Handled;
        }
        // ChannelData (RFC 7983: first byte 64 to 79) comes from a TURN server: the relay
        // unwraps it below, and a direct lookup would only miss.
        if !matches!(
            classify(d.payload),
            PacketKind::Stun | PacketKind::ChannelData
        ) {
            let key = RouteKey {
                local: d.destination,
                remote: d.source,
                transport: d.proto,
            };
            if let Some(pair) = self.routes.get(&key) {
                return Received::Data {
                    pair,
                    data: d.payload,
                };
            }
        }
        match self.receive_slow(now, d) {
            // Data changes nothing but counters: no child to drain, nothing to decide.
            Some((pair, data)) => Received::Data { pair, data },
            None => {
                self.drain_children(now);
                self.after_input(now);
                Received::Handled
            }
        }
    }

    /// Writes `data` for the selected pair into `buf` (appended; nothing is allocated when
    /// `buf` has room) and says where it goes: as is on a direct pair, as ChannelData (or a
    /// Send indication until the channel is bound) on a relayed one. `Ok(None)` only on a
    /// relayed pair whose TURN client must first install the peer's permission: it queued
    /// the data, which then leaves through [`wren_core::Machine::poll_transmit`].
    ///
    /// # Errors
    ///
    /// [`SendError::NotConnected`] before a pair is selected (or after ICE failed),
    /// [`SendError::Closed`] after [`Agent::close`], [`SendError::TooLong`] above 65,535 bytes,
    /// [`SendError::Relay`] when the TURN client refuses.
    pub fn send_into(
        &mut self,
        now: Instant,
        data: &[u8],
        buf: &mut Vec<u8>,
    ) -> Result<Option<Transmit>, SendError> {
        let now = self.clamp(now);
        if self.state == ConnectionState::Closed {
            return Err(SendError::Closed);
        }
        if data.len() > usize::from(u16::MAX) {
            return Err(SendError::TooLong(data.len()));
        }
        let p = self.selection.selected().ok_or(SendError::NotConnected)?;
        let pair = &self.checklist[p];
        let remote = self.remotes[pair.remote()].addr;
        let local = &self.locals[pair.local()];
        self.consent.sent(now);
        if let Some(r) = local.relay {
            let socket = self.relays[r].socket;
            let client = self.relays.client_mut(r);
            // A bound channel: one lookup. Otherwise the TURN client's full path (a Send
            // indication, or a queue while the permission is installed).
            let sent = match client.send_channel_into(now, remote, data, buf) {
                Some(t) => Some(t),
                None => client.send_into(now, remote, data, buf)?,
            };
            return Ok(sent.map(|mut t| {
                if t.source.is_none() && t.proto == Transport::Udp {
                    t.source = socket;
                }
                t
            }));
        }
        let source = match (local.transport, local.tcp_type) {
            // An active TCP candidate has no listening socket: the driver's connection
            // leaves from an ephemeral port.
            (Transport::Tcp, Some(TcpType::Active)) => None,
            _ => Some(local.base),
        };
        buf.extend_from_slice(data);
        Ok(Some(Transmit::new(local.transport, source, remote)))
    }

    /// After close: only the TURN servers' answers to the deallocations matter.
    pub(super) fn receive_closed(&mut self, now: Instant, d: Datagram<'_>) {
        self.relays.handle_datagram_closed(now, d);
    }

    /// Data that arrived on local candidate `local` from `from`: the valid pair it belongs
    /// to, or `None` (counted in [`super::Stats::data_dropped`]).
    pub(super) fn route_data(&mut self, local: LocalId, from: SocketAddr) -> Option<PairId> {
        let l = &self.locals[local];
        let key = RouteKey {
            local: l.base,
            remote: from,
            transport: l.transport,
        };
        let pair = self.routes.get(&key);
        if pair.is_none() {
            self.stats.data_dropped += 1;
        }
        pair
    }

    /// Keeps pair `p`'s route in step with its state: routable while valid or nominated,
    /// and, unless it failed, once we answered an authenticated check of the peer's on it.
    /// RFC 8445 section 12.2: an agent must be prepared to receive data on any pair; our
    /// success response makes the pair valid on the peer's side, and it may send at once,
    /// before our triggered check on the same pair has come back.
    pub(super) fn sync_route(&mut self, p: PairId) {
        let pair = &self.checklist[p];
        let local = &self.locals[pair.local()];
        let key = RouteKey {
            local: local.base,
            remote: self.remotes[pair.remote()].addr,
            transport: local.transport,
        };
        let valid = pair.state() == PairState::Succeeded
            || pair.nominated()
            || (pair.alive() && pair.state() != PairState::Failed);
        self.routes.set(key, p, valid);
    }

    /// Marks pair `p` nominated (and routable).
    pub(super) fn set_nominated(&mut self, p: PairId) {
        self.checklist.nominate(p);
        self.sync_route(p);
    }

    /// Data for the application through the event queue (the `Machine` path): a copy,
    /// bounded by [`super::Config::max_data_events`].
    pub(super) fn emit_data(&mut self, pair: PairId, data: &[u8]) {
        if !self.output.has_room_for_data() {
            self.stats.data_events_dropped += 1;
            return;
        }
        let p = &self.checklist[pair];
        let event = Event::Data {
            local: self.locals[p.local()].addr,
            remote: self.remotes[p.remote()].addr,
            data: data.to_vec(),
        };
        if !self.output.push_data_event(event) {
            self.stats.data_events_dropped += 1;
        }
    }
}
