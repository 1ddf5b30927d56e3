//! Machines of any type behind one object-safe trait, each with its queue of events.

use std::any::Any;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use wren_core::{Datagram, Machine, SocketRequest, SocketResult, Transmit, Transport};

use crate::ids::HostId;

/// What the simulator needs of a machine, whatever its event type.
pub(crate) trait Driven: Any {
    fn handle_datagram(&mut self, now: Instant, d: Datagram<'_>);
    fn handle_timeout(&mut self, now: Instant);
    fn handle_socket_result(&mut self, now: Instant, r: SocketResult);
    fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<Transmit>;
    fn poll_socket_request(&mut self) -> Option<SocketRequest>;
    fn poll_timeout(&self) -> Option<Instant>;
    /// Moves the machine's events into the node's queue; returns how many were dropped.
    fn stash_events(&mut self) -> u64;
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

/// A machine and the events it reported that the test has not taken yet.
pub(crate) struct Slot<M: Machine> {
    pub(crate) machine: M,
    pub(crate) events: VecDeque<M::Event>,
    capacity: usize,
}

impl<M: Machine> Slot<M> {
    pub(crate) fn new(machine: M, capacity: usize) -> Self {
        Slot {
            machine,
            events: VecDeque::new(),
            capacity,
        }
    }
}

impl<M> Driven for Slot<M>
where
    M: Machine + 'static,
    M::Event: 'static,
{
    fn handle_datagram(&mut self, now: Instant, d: Datagram<'_>) {
        self.machine.handle_datagram(now, d);
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.machine.handle_timeout(now);
    }

    fn handle_socket_result(&mut self, now: Instant, r: SocketResult) {
        self.machine.handle_socket_result(now, r);
    }

    fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        self.machine.poll_transmit(now, buf)
    }

    fn poll_socket_request(&mut self) -> Option<SocketRequest> {
        self.machine.poll_socket_request()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.machine.poll_timeout()
    }

    fn stash_events(&mut self) -> u64 {
        let mut dropped = 0;
        while let Some(e) = self.machine.poll_event() {
            if self.events.len() < self.capacity {
                self.events.push_back(e);
            } else {
                dropped += 1;
            }
        }
        dropped
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// A machine placed on a host.
pub(crate) struct Node {
    pub(crate) host: HostId,
    pub(crate) machine: Box<dyn Driven>,
    /// The sockets it holds, in the order they were bound.
    pub(crate) sockets: Vec<(Transport, SocketAddr)>,
    /// Its deadline as of the last drain.
    pub(crate) timeout: Option<Instant>,
    /// `handle_timeout` calls in a row that left the deadline in the past.
    pub(crate) spins: u32,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("host", &self.host)
            .field("sockets", &self.sockets)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}
