//! Two str0m 0.25 `Rtc`s in frame mode (its default), negotiated with SDP (host
//! candidates in the offer and the answer) and connected in memory, driven as str0m asks:
//! every input (`Input::Receive`, `Input::Timeout`, a frame written with
//! `Rtc::writer(mid).write(pt, wallclock, rtp_time, data)`) followed by `poll_output`
//! until `Output::Timeout`; frames come out of the receiver as `Event::MediaData`.

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use str0m::bwe::Bitrate;
use str0m::format::Codec as Str0mCodec;
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};

use super::{BITRATE, Codec, Counts, FRAMES, Failure, MAX_STEPS, frames};

/// Whether the sender runs str0m's estimator and pacer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Str0mBwe {
    /// `enable_bwe` at [`BITRATE`] (a leaky-bucket pacer at twice the estimate, the
    /// estimator fed by transport-wide feedback, probes): the work wren-media does.
    On,
    /// No estimator: str0m's null pacer sends each packet as it is written (wren-media
    /// cannot turn its controller and pacer off).
    Off,
}

/// Two str0m `Rtc`s; `rtcs[0]` writes frames, `rtcs[1]` reads them.
pub struct Str0mFramePair {
    rtcs: [Rtc; 2],
    addrs: [SocketAddr; 2],
    deadlines: [Instant; 2],
    connected: [bool; 2],
    now: Instant,
    /// When the next frame is due.
    slot: Instant,
    queue: VecDeque<(usize, str0m::net::Transmit)>,
    codec: Codec,
    bwe: Str0mBwe,
    mid: Mid,
    pt: Pt,
    frames: Vec<Arc<[u8]>>,
    /// Frames written so far (the next one's index and media time).
    written: u64,
    /// Whether a transmit or an event came out since the last wake.
    moved: bool,
    /// The frame the receiver should read next (`usize::MAX`: none).
    expected: usize,
    /// What was counted since [`Str0mFramePair::connect`] returned.
    pub counts: Counts,
}

fn host(ip: [u8; 4], port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::from(ip), port))
}

impl Str0mFramePair {
    /// Creates both `Rtc`s at virtual time `now` (str0m's default crypto provider,
    /// aws-lc-rs; the sender's estimator enabled at [`BITRATE`] or not, as `bwe` says),
    /// negotiates (the first
    /// offers send-only audio and video, the second answers), runs them until both report
    /// `Event::Connected`, then sends `warm_up` frames of `codec` (not counted).
    ///
    /// # Errors
    ///
    /// When str0m returns an error, they do not connect or a frame does not arrive.
    pub fn connect(
        now: Instant,
        codec: Codec,
        bwe: Str0mBwe,
        warm_up: usize,
    ) -> Result<Str0mFramePair, Failure> {
        let crypto = Arc::new(str0m::crypto::from_feature_flags());
        let addrs = [host([10, 0, 0, 1], 50_001), host([10, 0, 0, 2], 50_002)];
        let mut sender = Rtc::builder().set_crypto_provider(crypto.clone());
        if bwe == Str0mBwe::On {
            sender = sender.enable_bwe(Some(Bitrate::from(BITRATE)));
        }
        let mut rtcs = [
            sender.build(now),
            Rtc::builder().set_crypto_provider(crypto).build(now),
        ];
        for (rtc, addr) in rtcs.iter_mut().zip(addrs) {
            let c = Candidate::host(addr, "udp").map_err(|e| format!("candidate: {e}"))?;
            rtc.add_local_candidate(c);
        }
        let mut change = rtcs[0].sdp_api();
        let audio = change.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
        let video = change.add_media(MediaKind::Video, Direction::SendOnly, None, None, None);
        let (offer, pending) = change.apply().ok_or("str0m made no offer")?;
        let answer = rtcs[1]
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| format!("accept_offer: {e}"))?;
        rtcs[0]
            .sdp_api()
            .accept_answer(pending, answer)
            .map_err(|e| format!("accept_answer: {e}"))?;
        let (mid, want) = match codec {
            Codec::Vp8 => (video, Str0mCodec::Vp8),
            Codec::Opus => (audio, Str0mCodec::Opus),
        };
        let pt = rtcs[0]
            .writer(mid)
            .ok_or("no writer")?
            .payload_params()
            .find(|p| p.spec().codec == want)
            .map(|p| p.pt())
            .ok_or_else(|| format!("{want:?} was not negotiated"))?;
        let mut p = Str0mFramePair {
            rtcs,
            addrs,
            deadlines: [now; 2],
            connected: [false; 2],
            now,
            slot: now,
            queue: VecDeque::with_capacity(16),
            codec,
            bwe,
            mid,
            pt,
            frames: frames(codec),
            written: 0,
            expected: usize::MAX,
            moved: false,
            counts: Counts::default(),
        };
        for _ in 0..MAX_STEPS {
            p.timeouts()?;
            if p.connected == [true; 2] {
                p.slot = p.now;
                for _ in 0..warm_up {
                    if !p.send_one()? {
                        return Err("a warm-up frame did not arrive intact".into());
                    }
                }
                p.counts = Counts::default();
                return Ok(p);
            }
            p.advance();
        }
        Err("the str0m peers did not connect".into())
    }

    /// The next frame written on `rtcs[0]` at its time, then both sides driven (timers
    /// included, deadline by deadline) until `rtcs[1]` has read it. `Ok(true)` when it
    /// arrived byte for byte.
    ///
    /// # Errors
    ///
    /// When str0m returns an error or the frame does not arrive.
    pub fn send_one(&mut self) -> Result<bool, Failure> {
        self.slot += self.codec.interval();
        self.run_until(self.slot)?;
        let index = (self.written % FRAMES as u64) as usize;
        let (ticks, rate) = match self.codec {
            Codec::Vp8 => (3_000, Frequency::NINETY_KHZ),
            Codec::Opus => (960, Frequency::FORTY_EIGHT_KHZ),
        };
        let time = MediaTime::new(self.written * ticks, rate);
        self.expected = index;
        self.rtcs[0]
            .writer(self.mid)
            .ok_or("no writer")?
            .write(self.pt, self.now, time, self.frames[index].clone())
            .map_err(|e| format!("write: {e}"))?;
        self.written += 1;
        self.counts.sent += 1;
        let before = self.counts;
        self.drain(0)?;
        for _ in 0..MAX_STEPS {
            self.timeouts()?;
            if self.counts.intact + self.counts.wrong > before.intact + before.wrong {
                self.expected = usize::MAX;
                return Ok(self.counts.wrong == before.wrong);
            }
            self.advance();
        }
        Err("the frame did not arrive".into())
    }

    /// Runs until `until`, deadline by deadline.
    fn run_until(&mut self, until: Instant) -> Result<(), Failure> {
        for _ in 0..MAX_STEPS {
            self.timeouts()?;
            match self.next_wake() {
                Some(t) if t <= until => self.now = t,
                _ => {
                    self.now = until.max(self.now);
                    return Ok(());
                }
            }
        }
        Err("str0m's deadlines did not move".into())
    }

    /// When to wake next, after [`Str0mFramePair::timeouts`]: `now` again while the last
    /// round produced anything (str0m's pacer asks for `Input::Timeout` at once after
    /// each packet it releases); else the earliest deadline still ahead. A side whose
    /// deadline is not ahead after a round that moved nothing is idle: str0m's sender,
    /// BWE on, keeps asking for a timeout "now" while it has nothing to send (a wall
    /// clock driver would spin on it); it gets `Input::Timeout` again at the next wake.
    fn next_wake(&mut self) -> Option<Instant> {
        let moved = std::mem::take(&mut self.moved);
        if moved {
            return Some(self.now);
        }
        let now = self.now;
        self.deadlines.iter().copied().filter(|&t| t > now).min()
    }

    /// Virtual time to [`Str0mFramePair::next_wake`] (where it stays if none).
    fn advance(&mut self) {
        self.now = self.next_wake().unwrap_or(self.now);
    }

    /// `Input::Timeout` to each side whose deadline has come, then everything drained
    /// and delivered.
    fn timeouts(&mut self) -> Result<(), Failure> {
        for i in 0..2 {
            if self.deadlines[i] <= self.now {
                self.rtcs[i]
                    .handle_input(Input::Timeout(self.now))
                    .map_err(|e| format!("timeout: {e}"))?;
            }
            self.drain(i)?;
        }
        self.deliver()
    }

    /// `poll_output` of side `i` until `Output::Timeout`.
    fn drain(&mut self, i: usize) -> Result<(), Failure> {
        loop {
            let out = self.rtcs[i]
                .poll_output()
                .map_err(|e| format!("poll_output: {e}"))?;
            match out {
                Output::Timeout(t) => {
                    self.deadlines[i] = t;
                    return Ok(());
                }
                Output::Transmit(t) => {
                    self.moved = true;
                    self.queue.push_back((1 - i, t));
                }
                Output::Event(e) => {
                    self.moved = true;
                    self.event(i, e);
                }
            }
        }
    }

    /// An event of side `i`.
    fn event(&mut self, i: usize, e: Event) {
        match e {
            Event::Connected => {
                self.connected[i] = true;
                if i == 0 && self.bwe == Str0mBwe::On {
                    // Nothing to probe toward: the desired rate is the estimate.
                    self.rtcs[0]
                        .bwe()
                        .set_bitrate(Bitrate::ZERO, Bitrate::from(BITRATE));
                }
            }
            Event::MediaData(d) => match self.frames.get(self.expected) {
                Some(f) if i == 1 && d.data[..] == f[..] => {
                    self.counts.intact += 1;
                    self.counts.bytes += d.data.len() as u64;
                }
                _ => self.counts.wrong += 1,
            },
            _ => {}
        }
    }

    /// Every queued transmit fed to its side (and that side drained), until none is left.
    fn deliver(&mut self) -> Result<(), Failure> {
        while let Some((to, t)) = self.queue.pop_front() {
            if t.destination != self.addrs[to] {
                continue;
            }
            if to == 1 {
                self.counts.datagrams += 1;
            }
            let r = Receive::new(Protocol::Udp, t.source, t.destination, &t.contents)
                .map_err(|e| format!("datagram: {e:?}"))?;
            self.rtcs[to]
                .handle_input(Input::Receive(self.now, r))
                .map_err(|e| format!("handle_input: {e}"))?;
            self.drain(to)?;
        }
        Ok(())
    }
}
