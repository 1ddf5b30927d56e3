//! The receive side of one RTP stream: a jitter buffer that takes packets in any order,
//! puts frames together in sequence order with the codec's depacketizer into the
//! caller's buffer, asks for lost packets again (generic NACK, RFC 4585 section 6.2.1,
//! once per round trip, a bounded number of times), gives up on a frame that cannot be
//! completed in time and then asks for a keyframe (PLI or FIR, the application's choice),
//! and says what it dropped and why.
//!
//! Sans-IO: time is passed in. Packets are copied into preallocated slots; nothing is
//! allocated per packet once warm.
//!
//! ```
//! use std::time::Instant;
//! use wren_media::codec::vp8::{Vp8Depacketizer, Vp8Packetizer};
//! use wren_media::codec::Packetizer;
//! use wren_media::jitter::{JitterBuffer, JitterConfig};
//!
//! let now = Instant::now();
//! let mut jb = JitterBuffer::new(JitterConfig::default(), Vp8Depacketizer::default());
//! // A keyframe in three packets, arriving out of order.
//! let mut payloads = Vec::new();
//! Vp8Packetizer::new().packetize(&[0x10; 3000], 1200, &mut |p, last| payloads.push((p.to_vec(), last)))?;
//! for i in [2, 0, 1] {
//!     let (p, last) = &payloads[i];
//!     jb.insert(now, 100 + i as u16, 9000, *last, p);
//! }
//! let mut frame = Vec::new();
//! let info = jb.poll_frame(now, &mut frame).expect("complete");
//! assert!(info.keyframe && info.packets == 3 && frame.len() == 3000);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod nack;
mod slots;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::codec::{DepacketizeError, Depacketizer};
use nack::NackList;
use slots::{Meta, Slots};

/// How a jitter buffer runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JitterConfig {
    /// Packets held at most (the ring's size).
    pub capacity: usize,
    /// The largest payload kept.
    pub max_packet: usize,
    /// How long a frame with a gap may hold back the frames after it before it is dropped
    /// (NACKs have that long to bring the packets back).
    pub max_wait: Duration,
    /// Whether lost packets are asked for again (`a=rtcp-fb:<pt> nack` negotiated).
    pub nack: bool,
    /// How many times one packet is asked for at most.
    pub nack_retries: u8,
    /// Missing packets tracked at most.
    pub max_missing: usize,
    /// The round trip used until [`JitterBuffer::set_rtt`] gives one.
    pub initial_rtt: Duration,
    /// While no keyframe came after a loss, a keyframe is asked for again this often.
    pub keyframe_interval: Duration,
    /// Events held until polled (older ones are dropped first and counted).
    pub max_events: usize,
    /// At the start of a stream, how long a keyframe's first packet waits for earlier
    /// packets of its frame when the packet before it has not come (0: play at once).
    /// Raise it where the network reorders: an H.264 keyframe's parameter sets travel in
    /// an earlier packet (a STAP-A) than its slice, and a keyframe played without them
    /// does not decode.
    pub start_wait: Duration,
}

impl Default for JitterConfig {
    fn default() -> Self {
        JitterConfig {
            capacity: 1024,
            max_packet: 1500,
            max_wait: Duration::from_millis(600),
            nack: true,
            nack_retries: 10,
            max_missing: 256,
            initial_rtt: Duration::from_millis(100),
            keyframe_interval: Duration::from_millis(500),
            max_events: 64,
            start_wait: Duration::ZERO,
        }
    }
}

/// A frame [`JitterBuffer::poll_frame`] put into the caller's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameInfo {
    /// Its RTP timestamp.
    pub timestamp: u32,
    /// Whether it decodes on its own.
    pub keyframe: bool,
    /// Its first packet's sequence number.
    pub first_seq: u16,
    /// Its last packet's sequence number.
    pub last_seq: u16,
    /// How many packets it had.
    pub packets: u16,
}

/// Why a frame was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DropReason {
    /// Packets were still missing after [`JitterConfig::max_wait`].
    Incomplete {
        /// How many of its packets never came.
        missing: u16,
    },
    /// The depacketizer refused a payload.
    Corrupt(DepacketizeError),
    /// It depends on a frame that was lost: frames are dropped until a keyframe.
    WaitingForKeyframe,
    /// The sequence numbers jumped past what the buffer holds.
    Overflow,
}

/// Why a keyframe is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyframeReason {
    /// A frame was dropped: the ones after it cannot be decoded.
    FrameDropped,
    /// The stream began (or began again) without a keyframe.
    NoKeyframe,
    /// Still none since the last request.
    StillWaiting,
}

/// What happened, for the application to act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A frame was dropped.
    FrameDropped {
        /// Its RTP timestamp, when one of its packets came.
        timestamp: Option<u32>,
        /// Why.
        reason: DropReason,
    },
    /// Ask the sender for a keyframe (PLI, or FIR when PLI was not negotiated).
    KeyframeNeeded(KeyframeReason),
}

/// What the buffer did, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JitterStats {
    /// Packets taken.
    pub packets: u64,
    /// Packets that came after their frame was played out or skipped.
    pub late: u64,
    /// Packets that were already here.
    pub duplicates: u64,
    /// Packets larger than [`JitterConfig::max_packet`].
    pub too_large: u64,
    /// Sequence numbers asked for again (each request counted).
    pub nacks: u64,
    /// Asked-for packets that came.
    pub recovered: u64,
    /// Missing packets given up after [`JitterConfig::nack_retries`].
    pub given_up: u64,
    /// Frames handed out.
    pub frames: u64,
    /// Frames dropped, by reason: incomplete, corrupt, waiting for a keyframe, overflow.
    pub dropped_incomplete: u64,
    /// See `dropped_incomplete`.
    pub dropped_corrupt: u64,
    /// See `dropped_incomplete`.
    pub dropped_waiting: u64,
    /// See `dropped_incomplete`.
    pub dropped_overflow: u64,
    /// Keyframe requests made.
    pub keyframe_requests: u64,
    /// Events dropped because nobody polled them.
    pub events_dropped: u64,
}

/// What came just before the head (the first packet not yet played out or skipped): it
/// tells whether the head begins a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BeforeHead {
    /// The head was chosen as the stream's first keyframe: the depacketizer's word holds.
    StreamStart,
    /// The packet before the head was played out or skipped: its timestamp and marker.
    Packet { timestamp: u32, marker: bool },
    /// The packet before the head never came.
    Missing,
}

/// The head of the buffer, as far as it can be read.
enum Head {
    /// A complete frame from `start` to `end`.
    Complete { start: u64, end: u64 },
    /// Waiting for packets.
    Blocked,
}

/// One stream's jitter buffer, with its codec's depacketizer.
#[derive(Debug)]
pub struct JitterBuffer<D: Depacketizer> {
    config: JitterConfig,
    depacketizer: D,
    slots: Slots,
    nack: NackList,
    /// The last sequence number taken, extended to 64 bits.
    last_seq: Option<u64>,
    /// The first packet not yet played out or skipped.
    next: Option<u64>,
    /// What came just before `next`.
    before_head: BeforeHead,
    /// The lowest packet stored since the buffer was (re)started, before `next` is known.
    lowest: Option<u64>,
    highest: Option<u64>,
    waiting_keyframe: bool,
    /// Since when the head has been blocked by a gap.
    blocked_since: Option<Instant>,
    /// Since when the first keyframe found waits for the packets before it.
    start_since: Option<Instant>,
    last_keyframe_request: Option<Instant>,
    rtt: Duration,
    events: VecDeque<Event>,
    stats: JitterStats,
}

impl<D: Depacketizer> JitterBuffer<D> {
    /// An empty buffer; the first frame it hands out is a keyframe.
    #[must_use]
    pub fn new(config: JitterConfig, depacketizer: D) -> Self {
        JitterBuffer {
            slots: Slots::new(config.capacity, config.max_packet),
            nack: NackList::new(config.max_missing, config.nack_retries),
            rtt: config.initial_rtt,
            events: VecDeque::with_capacity(config.max_events),
            config,
            depacketizer,
            last_seq: None,
            next: None,
            before_head: BeforeHead::Missing,
            lowest: None,
            highest: None,
            waiting_keyframe: true,
            blocked_since: None,
            start_since: None,
            last_keyframe_request: None,
            stats: JitterStats::default(),
        }
    }

    /// The round trip NACKs are paced by (from RTCP: RFC 3550 section 6.4.1, or XR DLRR).
    pub fn set_rtt(&mut self, rtt: Duration) {
        self.rtt = rtt.max(Duration::from_millis(1));
    }

    /// The counters.
    #[must_use]
    pub fn stats(&self) -> JitterStats {
        self.stats
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    fn push_event(&mut self, e: Event) {
        if self.events.len() >= self.config.max_events {
            self.events.pop_front();
            self.stats.events_dropped += 1;
        }
        self.events.push_back(e);
    }

    fn drop_frame(&mut self, timestamp: Option<u32>, reason: DropReason) {
        match reason {
            DropReason::Incomplete { .. } => self.stats.dropped_incomplete += 1,
            DropReason::Corrupt(_) => self.stats.dropped_corrupt += 1,
            DropReason::WaitingForKeyframe => self.stats.dropped_waiting += 1,
            DropReason::Overflow => self.stats.dropped_overflow += 1,
        }
        self.push_event(Event::FrameDropped { timestamp, reason });
    }

    /// Asks for a keyframe unless one was asked for within the interval.
    fn want_keyframe(&mut self, now: Instant, reason: KeyframeReason) {
        self.waiting_keyframe = true;
        let recent = self
            .last_keyframe_request
            .is_some_and(|t| now < t + self.config.keyframe_interval);
        if !recent {
            self.last_keyframe_request = Some(now);
            self.stats.keyframe_requests += 1;
            self.push_event(Event::KeyframeNeeded(reason));
        }
    }

    /// Takes one RTP packet's sequence number, timestamp, marker bit and payload.
    pub fn insert(&mut self, now: Instant, seq: u16, timestamp: u32, marker: bool, payload: &[u8]) {
        self.stats.packets += 1;
        let ext = self.extend(seq);
        if self.next.is_some_and(|n| ext < n) {
            self.stats.late += 1;
            return;
        }
        if self.slots.get(ext).is_some() {
            self.stats.duplicates += 1;
            return;
        }
        // Past what the ring holds from the head: start again from here.
        let base = self.next.or(self.lowest).unwrap_or(ext);
        if ext >= base + self.slots.capacity() || ext + self.slots.capacity() < base {
            self.restart();
            self.drop_frame(None, DropReason::Overflow);
            self.want_keyframe(now, KeyframeReason::FrameDropped);
        }
        let start = self.depacketizer.is_frame_start(payload);
        let meta = Meta {
            seq: ext,
            timestamp,
            marker,
            start,
            keyframe: start && self.depacketizer.is_keyframe(payload),
        };
        if !self.slots.put(meta, payload) {
            self.stats.too_large += 1;
            return;
        }
        if let Some(asked) = self.nack.arrived(ext)
            && asked > 0
        {
            self.stats.recovered += 1;
        }
        if let Some(h) = self.highest {
            if self.config.nack {
                for s in h + 1..ext {
                    if !self.nack.add(s, now) {
                        break;
                    }
                }
            }
        }
        self.highest = Some(self.highest.map_or(ext, |h| h.max(ext)));
        if self.next.is_none() {
            self.lowest = Some(self.lowest.map_or(ext, |l| l.min(ext)));
        }
    }

    /// `seq` extended to 64 bits, nearest the last one (RFC 3550 appendix A.1's rule).
    /// The count starts at 2^32 so that packets reordered before the first one, across
    /// a wrap, still count down.
    fn extend(&mut self, seq: u16) -> u64 {
        let ext = match self.last_seq {
            None => (1 << 32) + u64::from(seq),
            Some(last) => {
                let delta = i64::from(seq.wrapping_sub(last as u16) as i16);
                last.wrapping_add_signed(delta)
            }
        };
        self.last_seq = Some(ext);
        ext
    }

    /// Forgets every packet; the next frame must be a keyframe.
    fn restart(&mut self) {
        self.slots.clear();
        self.nack.clear();
        self.next = None;
        self.before_head = BeforeHead::Missing;
        self.lowest = None;
        self.highest = None;
        self.blocked_since = None;
        self.start_since = None;
        self.waiting_keyframe = true;
    }

    /// Drops packets `from..to` and makes `to` the head.
    fn skip_to(&mut self, from: u64, to: u64) {
        if to > from {
            self.before_head = self
                .slots
                .get(to - 1)
                .map_or(BeforeHead::Missing, |(m, _)| BeforeHead::Packet {
                    timestamp: m.timestamp,
                    marker: m.marker,
                });
        }
        for s in from..to {
            self.slots.remove(s);
        }
        self.next = Some(to);
        self.nack.forget_below(to);
        self.blocked_since = None;
    }

    /// Whether stored packet `s` is known to begin a frame: the depacketizer says it does,
    /// and the packet before it is known to have ended another frame (its marker, or
    /// another timestamp). When the packet before it is lost, it may have been the
    /// frame's first (an H.264 keyframe's STAP-A of SPS and PPS before the slice's FU-A
    /// start): then `s` does not count as a start, and a frame beginning there is not
    /// played without it. Audio (single-packet frames) takes the depacketizer's word.
    fn begins_frame(&self, s: u64) -> bool {
        let Some((m, _)) = self.slots.get(s) else {
            return false;
        };
        if !m.start {
            return false;
        }
        if self.depacketizer.single_packet_frames() {
            return true;
        }
        let before = if Some(s) == self.next {
            self.before_head
        } else {
            self.slots
                .get(s - 1)
                .map_or(BeforeHead::Missing, |(p, _)| BeforeHead::Packet {
                    timestamp: p.timestamp,
                    marker: p.marker,
                })
        };
        match before {
            BeforeHead::StreamStart => true,
            BeforeHead::Packet { timestamp, marker } => marker || timestamp != m.timestamp,
            BeforeHead::Missing => false,
        }
    }

    /// The first stored packet known to begin a frame after `after`, up to the highest
    /// packet (with a timestamp other than `not_ts`, when given).
    fn next_start(&self, after: u64, not_ts: Option<u32>) -> Option<u64> {
        let h = self.highest?;
        (after + 1..=h).find(|&s| {
            self.begins_frame(s)
                && self
                    .slots
                    .get(s)
                    .is_some_and(|(m, _)| Some(m.timestamp) != not_ts)
        })
    }

    /// Reads the head: a complete frame, or blocked; drops what cannot be completed.
    fn head(&mut self, now: Instant) -> Head {
        loop {
            let Some(highest) = self.highest else {
                return Head::Blocked;
            };
            let start = match self.next {
                Some(n) => n,
                None => {
                    // Begin at the first stored keyframe (packets may still come in
                    // before it: nothing is committed until one is here): the lowest
                    // packet stored, or one whose packet before it ended another frame
                    // (one after a gap may not be its frame's first packet).
                    let lowest = self.lowest.unwrap_or(highest);
                    let Some(first) = (lowest..=highest).find(|&s| {
                        self.slots.get(s).is_some_and(|(m, _)| m.keyframe)
                            && (s == lowest || self.begins_frame(s))
                    }) else {
                        // A start wait begun for a packet that no longer qualifies (one
                        // came in before it) ends with it.
                        self.start_since = None;
                        self.want_keyframe(now, KeyframeReason::NoKeyframe);
                        return Head::Blocked;
                    };
                    // Its frame may have begun in an earlier packet still on its way,
                    // unless the packet before it is the end of another frame.
                    let bounded = first != lowest;
                    if !bounded && !self.config.start_wait.is_zero() {
                        let since = *self.start_since.get_or_insert(now);
                        if now < since + self.config.start_wait {
                            return Head::Blocked;
                        }
                    }
                    self.start_since = None;
                    self.skip_to(lowest, first);
                    self.before_head = BeforeHead::StreamStart;
                    first
                }
            };
            if start > highest {
                return Head::Blocked;
            }
            let head = self.slots.get(start).map(|(m, _)| m);
            if let Some(m) = head
                && !self.begins_frame(start)
            {
                // The middle of a frame whose start was skipped: on to the next start,
                // or, when none comes within max_wait, past everything here.
                if let Some(s) = self.next_start(start, None) {
                    self.skip_to(start, s);
                    continue;
                }
                let since = *self.blocked_since.get_or_insert(now);
                if now < since + self.config.max_wait {
                    return Head::Blocked;
                }
                self.drop_frame(Some(m.timestamp), DropReason::Incomplete { missing: 1 });
                self.skip_to(start, highest + 1);
                if !self.depacketizer.single_packet_frames() {
                    self.want_keyframe(now, KeyframeReason::FrameDropped);
                }
                continue;
            }
            // Walk the frame: to its marker, or to where another frame starts. A lost
            // first packet: the timestamp is its next packet's, when that is not known
            // to begin a frame.
            let ts = head.map(|m| m.timestamp).or_else(|| {
                (start + 1..=highest)
                    .find(|&s| self.slots.get(s).is_some())
                    .filter(|&s| !self.begins_frame(s))
                    .and_then(|s| self.slots.get(s))
                    .map(|(m, _)| m.timestamp)
            });
            let single = self.depacketizer.single_packet_frames();
            let mut missing = 0u16;
            let mut end = None;
            for s in start..=highest {
                match self.slots.get(s) {
                    None => missing = missing.saturating_add(1),
                    Some((m, _)) => {
                        if s > start && self.begins_frame(s) && Some(m.timestamp) != ts {
                            if missing == 0 {
                                end = Some(s - 1);
                            }
                            break;
                        }
                        if m.marker || single {
                            if missing == 0 {
                                end = Some(s);
                            }
                            break;
                        }
                    }
                }
            }
            if let (Some(end), Some(_)) = (end, head) {
                self.blocked_since = None;
                return Head::Complete { start, end };
            }
            // A gap: wait for NACKs, up to max_wait.
            let since = *self.blocked_since.get_or_insert(now);
            if now < since + self.config.max_wait {
                return Head::Blocked;
            }
            let missing = missing.max(1);
            self.drop_frame(ts, DropReason::Incomplete { missing });
            match self.next_start(start, ts) {
                Some(s) => self.skip_to(start, s),
                None => self.skip_to(start, highest + 1),
            }
            if !single {
                self.want_keyframe(now, KeyframeReason::FrameDropped);
            }
        }
    }

    /// Puts the next complete frame into `frame` (cleared first) in sequence order;
    /// `None` while the head frame waits for packets. Frames after a dropped one are
    /// dropped until a keyframe ([`Event::FrameDropped`], [`Event::KeyframeNeeded`]).
    pub fn poll_frame(&mut self, now: Instant, frame: &mut Vec<u8>) -> Option<FrameInfo> {
        loop {
            frame.clear();
            let Head::Complete { start, end } = self.head(now) else {
                return None;
            };
            let (first, _) = self.slots.get(start)?;
            let (timestamp, keyframe) = (first.timestamp, first.keyframe);
            if self.waiting_keyframe && !keyframe {
                self.skip_to(start, end + 1);
                self.drop_frame(Some(timestamp), DropReason::WaitingForKeyframe);
                self.want_keyframe(now, KeyframeReason::NoKeyframe);
                continue;
            }
            self.depacketizer.reset();
            let mut result = Ok(());
            for s in start..=end {
                if let Some((_, payload)) = self.slots.get(s) {
                    result = self.depacketizer.push(payload, frame);
                }
                if result.is_err() {
                    break;
                }
            }
            self.skip_to(start, end + 1);
            if let Err(e) = result {
                frame.clear();
                self.drop_frame(Some(timestamp), DropReason::Corrupt(e));
                if !self.depacketizer.single_packet_frames() {
                    self.want_keyframe(now, KeyframeReason::FrameDropped);
                }
                continue;
            }
            if keyframe {
                self.waiting_keyframe = false;
            }
            self.stats.frames += 1;
            return Some(FrameInfo {
                timestamp,
                keyframe,
                first_seq: start as u16,
                last_seq: end as u16,
                packets: (end - start + 1) as u16,
            });
        }
    }

    /// Appends to `out` the sequence numbers to ask for again now (for a generic NACK,
    /// RFC 4585 section 6.2.1); each is asked for again a round trip later, at most
    /// [`JitterConfig::nack_retries`] times.
    pub fn poll_nacks(&mut self, now: Instant, out: &mut Vec<u16>) {
        if !self.config.nack {
            return;
        }
        let before = out.len();
        self.stats.given_up += self.nack.due(now, self.rtt, out);
        self.stats.nacks += (out.len() - before) as u64;
    }

    /// Time has come: a keyframe asked for again while none came, frames given up.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.waiting_keyframe && self.highest.is_some() {
            self.want_keyframe(now, KeyframeReason::StillWaiting);
        }
        // Drops a head frame whose wait is over (its frame is read by poll_frame).
        let _ = self.head(now);
    }

    /// When to call [`JitterBuffer::handle_timeout`] (or poll NACKs) next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let nack = if self.config.nack {
            self.nack.next_due()
        } else {
            None
        };
        let head = self.blocked_since.map(|t| t + self.config.max_wait);
        let start = self.start_since.map(|t| t + self.config.start_wait);
        let keyframe = (self.waiting_keyframe && self.highest.is_some())
            .then_some(self.last_keyframe_request)
            .flatten()
            .map(|t| t + self.config.keyframe_interval);
        [nack, head, start, keyframe].into_iter().flatten().min()
    }

    /// Missing packets being asked for.
    #[must_use]
    pub fn missing(&self) -> usize {
        self.nack.len()
    }
}

#[cfg(test)]
mod tests;
