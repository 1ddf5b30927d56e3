//! A tiny test machine: it echoes every datagram reversed, reports what it got, runs one
//! timer, and sends what a command tells it to. No protocol: it only exercises the driver.
#![allow(dead_code, unreachable_pub)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use wren_core::{Datagram, Machine, Transmit, Transport};

/// What the echo machine reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A datagram arrived (and its reversed echo was queued).
    Received {
        proto: Transport,
        source: SocketAddr,
        destination: SocketAddr,
        payload: Vec<u8>,
    },
    /// The timer set by [`Command::Timer`] fired.
    TimerFired,
}

/// What the test asks the echo machine to do.
#[derive(Debug, Clone)]
pub enum Command {
    /// Send `payload` to `to` (from `from`, when given), cut into `segment_size` pieces.
    Send {
        proto: Transport,
        from: Option<SocketAddr>,
        to: SocketAddr,
        payload: Vec<u8>,
        segment_size: Option<usize>,
    },
    /// Fire [`Event::TimerFired`] after this long.
    Timer(Duration),
    /// Refuse: `handle_command` returns an error.
    Refuse,
}

/// The only error: a refused command.
#[derive(Debug, thiserror::Error)]
#[error("refused")]
pub struct Refused;

/// The echo machine.
#[derive(Debug, Default)]
pub struct Echo {
    out: VecDeque<(Transmit, Vec<u8>)>,
    events: VecDeque<Event>,
    timer: Option<Instant>,
    /// Datagrams handled, over every transport.
    pub received: usize,
}

impl Machine for Echo {
    type Event = Event;
    type Command = Command;
    type Error = Refused;

    fn handle_datagram(&mut self, _now: Instant, d: Datagram<'_>) -> Result<(), Refused> {
        self.received += 1;
        let reversed = d.payload.iter().rev().copied().collect();
        self.out.push_back((Transmit::reply_to(&d), reversed));
        self.events.push_back(Event::Received {
            proto: d.proto,
            source: d.source,
            destination: d.destination,
            payload: d.payload.to_vec(),
        });
        Ok(())
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
}

/// A STUN-shaped message (binding request header, `body` bytes of attributes, a multiple
/// of four) whose bytes after the header are all `fill`: enough for the stream framing.
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
pub fn channel_data(data: &[u8]) -> Vec<u8> {
    let mut m = vec![0x40, 0x00];
    m.extend_from_slice(&u16::try_from(data.len()).unwrap().to_be_bytes());
    m.extend_from_slice(data);
    m
}

/// `msg` reversed, as the echo machine answers it.
pub fn reversed(msg: &[u8]) -> Vec<u8> {
    msg.iter().rev().copied().collect()
}
