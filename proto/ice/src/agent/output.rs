//! What the agent hands out, each queue bounded (STYLE.md section 5): datagrams for
//! `poll_transmit` (and a bounded pool of their buffers), events for `poll_event` (media
//! events bounded apart, so a flood of data never crowds out the control events), and the
//! socket requests for `poll_socket_request`. A push says whether it was taken; the agent
//! counts what was dropped in its [`super::Stats`].

use std::collections::VecDeque;

use wren_core::{SocketRequest, Transmit};

use super::{Config, Event};

/// The most spare buffers kept for the transmit queue.
const POOL_MAX: usize = 64;

/// A datagram the agent wrote, waiting for `poll_transmit`.
#[derive(Debug)]
struct Outgoing {
    transmit: Transmit,
    buf: Vec<u8>,
}

/// The agent's output queues.
#[derive(Debug)]
pub(crate) struct Output {
    transmits: VecDeque<Outgoing>,
    pool: Vec<Vec<u8>>,
    events: VecDeque<Event>,
    /// How many of `events` are [`Event::Data`].
    data_events: usize,
    socket_requests: VecDeque<SocketRequest>,
    max_transmits: usize,
    max_events: usize,
    max_data_events: usize,
}

impl Output {
    /// Empty queues with the bounds of `config`.
    pub(crate) fn new(config: &Config) -> Output {
        Output {
            transmits: VecDeque::new(),
            pool: Vec::new(),
            events: VecDeque::new(),
            data_events: 0,
            socket_requests: VecDeque::new(),
            max_transmits: config.max_transmits,
            max_events: config.max_events,
            max_data_events: config.max_data_events,
        }
    }

    /// A buffer from the pool (cleared).
    pub(crate) fn buffer(&mut self) -> Vec<u8> {
        let mut b = self.pool.pop().unwrap_or_else(|| Vec::with_capacity(256));
        b.clear();
        b
    }

    /// Gives a buffer back to the pool (bounded like the queue it serves).
    pub(crate) fn recycle(&mut self, buf: Vec<u8>) {
        if self.pool.len() < self.max_transmits.min(POOL_MAX) {
            self.pool.push(buf);
        }
    }

    /// Queues `buf` to go as `transmit`; false (and the buffer recycled) when full.
    pub(crate) fn push_transmit(&mut self, transmit: Transmit, buf: Vec<u8>) -> bool {
        if self.transmits.len() >= self.max_transmits {
            self.recycle(buf);
            return false;
        }
        self.transmits.push_back(Outgoing { transmit, buf });
        true
    }

    /// The oldest queued datagram, appended to `buf`.
    pub(crate) fn pop_transmit(&mut self, buf: &mut Vec<u8>) -> Option<Transmit> {
        let o = self.transmits.pop_front()?;
        buf.extend_from_slice(&o.buf);
        self.recycle(o.buf);
        Some(o.transmit)
    }

    /// Queues a control event; false when full.
    pub(crate) fn push_event(&mut self, event: Event) -> bool {
        if self.events.len() >= self.max_events {
            return false;
        }
        self.events.push_back(event);
        true
    }

    /// Whether an [`Event::Data`] would be taken (check before copying the data).
    pub(crate) fn has_room_for_data(&self) -> bool {
        self.data_events < self.max_data_events && self.events.len() < self.max_events
    }

    /// Queues an [`Event::Data`] (the `Machine` path); false when its own bound or the
    /// queue's is reached.
    pub(crate) fn push_data_event(&mut self, event: Event) -> bool {
        if !self.has_room_for_data() {
            return false;
        }
        self.data_events += 1;
        self.events.push_back(event);
        true
    }

    /// The oldest event.
    pub(crate) fn pop_event(&mut self) -> Option<Event> {
        let e = self.events.pop_front()?;
        if matches!(e, Event::Data { .. }) {
            self.data_events -= 1;
        }
        Some(e)
    }

    /// Asks the driver for a socket, or to close one (a few per socket the agent uses).
    pub(crate) fn request_socket(&mut self, request: SocketRequest) {
        self.socket_requests.push_back(request);
    }

    /// The oldest socket request.
    pub(crate) fn pop_socket_request(&mut self) -> Option<SocketRequest> {
        self.socket_requests.pop_front()
    }

    /// Whether every queue is drained.
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn is_empty(&self) -> bool {
        self.transmits.is_empty() && self.events.is_empty() && self.socket_requests.is_empty()
    }

    /// Changes the bounds (tests of what overflows).
    #[cfg(test)]
    pub(crate) fn set_bounds(&mut self, transmits: usize, events: usize, data_events: usize) {
        self.max_transmits = transmits;
        self.max_events = events;
        self.max_data_events = data_events;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::{GatheringState, Role};

    fn output() -> Output {
        let mut o = Output::new(&Config::new(Role::Controlling, Vec::new()));
        o.set_bounds(2, 3, 1);
        o
    }

    #[test]
    fn data_events_never_crowd_out_control_events() {
        let mut o = output();
        let data = || Event::Data {
            local: "10.0.0.1:1".parse().unwrap(),
            remote: "10.0.0.2:2".parse().unwrap(),
            data: vec![1],
        };
        assert!(o.push_data_event(data()));
        assert!(!o.push_data_event(data()), "one data event at most");
        assert!(o.push_event(Event::GatheringState(GatheringState::Complete)));
        assert!(o.push_event(Event::GatheringState(GatheringState::Complete)));
        assert!(!o.push_event(Event::GatheringState(GatheringState::Complete)));
        assert!(matches!(o.pop_event(), Some(Event::Data { .. })));
        assert!(o.push_data_event(data()), "room again once drained");
    }

    #[test]
    fn transmits_are_bounded_and_their_buffers_reused() {
        let mut o = output();
        let t = Transmit::new(
            wren_core::Transport::Udp,
            None,
            "10.0.0.2:2".parse().unwrap(),
        );
        for i in 0..3u8 {
            let mut b = o.buffer();
            b.push(i);
            assert_eq!(o.push_transmit(t, b), i < 2);
        }
        let mut out = Vec::new();
        assert_eq!(o.pop_transmit(&mut out), Some(t));
        assert_eq!(out, [0]);
        let reused = o.buffer();
        assert!(reused.is_empty() && reused.capacity() >= 1);
        assert!(!o.is_empty());
    }
}
