//! A wren-media frame-mode peer ([`MediaPeer`]) for issue 14's bandwidth-estimation
//! scenarios, as a [`Machine`] wren-netsim runs: the sender a perfect 30 fps VP8 encoder
//! (each frame `min(target, max) / 8 / 30` bytes of the congestion controller's current
//! target, the rule of the str0m run, [`crate::str0m_peer`]), the receiver reading every
//! frame into one buffer. Both count the UDP payload bytes they hand out, as the str0m
//! peer does. Events are consumed here (the scenario only reads the counters).

use std::fmt;
use std::time::{Duration, Instant};

use wren_core::{Datagram, Machine, SocketRequest, SocketResult, Transmit};
use wren_media::peer::{Command, Error, Event, MediaPeer};

use crate::str0m_peer::FPS;

/// What the peer does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Writes frames at the target bitrate (at most `max_bps`) once started.
    Sender {
        /// The encoder's ceiling, bit/s.
        max_bps: u64,
    },
    /// Reads frames.
    Receiver,
}

/// Counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeerStats {
    /// UDP payload bytes handed out to send.
    pub bytes_sent: u64,
    /// Datagrams handed out to send.
    pub datagrams_sent: u64,
    /// Frames written (sender).
    pub frames_written: u64,
    /// Frames the peer refused (a congested pacer).
    pub frames_refused: u64,
    /// Frames read (receiver).
    pub frames_received: u64,
    /// Target bitrate events (sender).
    pub estimates: u64,
}

/// The peer and its encoder or reader.
pub struct WrenBwePeer {
    peer: MediaPeer,
    role: Role,
    /// The sender's section, once negotiated.
    mid: Option<String>,
    /// The next frame's time and media time, once started.
    next_frame: Option<(Instant, Duration)>,
    connected: bool,
    frame: Vec<u8>,
    stats: PeerStats,
}

impl fmt::Debug for WrenBwePeer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WrenBwePeer")
            .field("role", &self.role)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

/// One frame's interval.
fn frame_interval() -> Duration {
    Duration::from_secs(1) / FPS
}

impl WrenBwePeer {
    /// Wraps `peer` (its offer/answer done through [`WrenBwePeer::peer_mut`]).
    #[must_use]
    pub fn new(peer: MediaPeer, role: Role) -> WrenBwePeer {
        WrenBwePeer {
            peer,
            role,
            mid: None,
            next_frame: None,
            connected: false,
            frame: Vec::with_capacity(64 * 1024),
            stats: PeerStats::default(),
        }
    }

    /// The frame-mode peer.
    pub fn peer_mut(&mut self) -> &mut MediaPeer {
        &mut self.peer
    }

    /// The frame-mode peer.
    #[must_use]
    pub fn peer(&self) -> &MediaPeer {
        &self.peer
    }

    /// Whether DTLS connected (SRTP keyed).
    #[must_use]
    pub fn connected(&self) -> bool {
        self.connected
    }

    /// The counters.
    #[must_use]
    pub fn stats(&self) -> PeerStats {
        self.stats
    }

    /// The congestion controller's target, bit/s.
    #[must_use]
    pub fn estimate_bps(&self) -> u64 {
        self.peer.target_bitrate()
    }

    /// The sender starts writing frames now.
    pub fn start_media(&mut self, now: Instant) {
        if let Role::Sender { .. } = self.role {
            self.mid = self.peer.sending().next().map(|(mid, _)| mid.to_owned());
            self.next_frame = Some((now, Duration::ZERO));
        }
    }

    /// The frames due by `now`.
    fn write_due(&mut self, now: Instant) {
        let (Role::Sender { max_bps }, Some(mid)) = (self.role, self.mid.as_deref()) else {
            return;
        };
        while let Some((at, pts)) = self.next_frame.filter(|&(at, _)| at <= now) {
            let bps = self.peer.target_bitrate().min(max_bps);
            let bytes = (bps / 8 / u64::from(FPS)).max(1) as usize;
            // A VP8 keyframe's first byte (P = 0), as the str0m run writes.
            self.frame.clear();
            self.frame.resize(bytes, 0x10);
            match self.peer.write_frame(now, mid, pts, &self.frame) {
                Ok(()) => self.stats.frames_written += 1,
                Err(_) => self.stats.frames_refused += 1,
            }
            self.next_frame = Some((at + frame_interval(), pts + frame_interval()));
        }
    }

    /// Events and frames, consumed.
    fn drain(&mut self, now: Instant) {
        while let Some(e) = self.peer.poll_event() {
            match e {
                Event::Rtc(wren_rtc::Event::Connected { .. }) => self.connected = true,
                Event::TargetBitrate { .. } => self.stats.estimates += 1,
                _ => {}
            }
        }
        while self.peer.poll_frame(now, &mut self.frame).is_some() {
            self.stats.frames_received += 1;
        }
    }
}

impl Machine for WrenBwePeer {
    type Event = Event;
    type Command = Command;
    type Error = Error;

    fn handle_datagram(&mut self, now: Instant, dgram: Datagram<'_>) {
        self.peer.handle_datagram(now, dgram);
        self.drain(now);
    }

    fn handle_command(&mut self, now: Instant, cmd: Command) -> Result<(), Error> {
        let r = self.peer.handle_command(now, cmd);
        self.drain(now);
        r
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.write_due(now);
        if self.peer.poll_timeout().is_some_and(|t| t <= now) {
            self.peer.handle_timeout(now);
        }
        self.drain(now);
    }

    fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        let t = self.peer.poll_transmit(now, buf)?;
        self.stats.bytes_sent += buf.len() as u64;
        self.stats.datagrams_sent += 1;
        Some(t)
    }

    fn poll_event(&mut self) -> Option<Event> {
        None
    }

    fn poll_timeout(&self) -> Option<Instant> {
        let frame = self.next_frame.map(|(at, _)| at);
        [self.peer.poll_timeout(), frame]
            .into_iter()
            .flatten()
            .min()
    }

    fn poll_socket_request(&mut self) -> Option<SocketRequest> {
        self.peer.poll_socket_request()
    }

    fn handle_socket_result(&mut self, now: Instant, result: SocketResult) {
        self.peer.handle_socket_result(now, result);
        self.drain(now);
    }
}
