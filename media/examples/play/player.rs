//! [`Player`]: a call's schedule of the clip's frames. Once DTLS is up (SRTP keyed), the
//! files' time 0 is that moment, and each frame is written to the media peer
//! (`write_frame`: packetized with the negotiated codec and paced) when its time comes,
//! video on the section we send video in, audio on the one we send audio in. The files
//! are played once; the call stays open afterwards until the browser leaves or hangs up.
//!
//! A keyframe request from the browser is counted, not acted on: the file's keyframes are
//! where its encoder put them.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use wren_rtc::Event as RtcEvent;

use super::clip::{Clip, TimedFrame};
use crate::common::call::App;
use wren_media::peer::{Event, MediaPeer};

/// What a [`Player`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlayStats {
    /// Video frames written to the media peer.
    pub video_frames: u64,
    /// Audio frames (Opus packets) written.
    pub audio_frames: u64,
    /// Frames the media peer refused (logged; the next one is tried).
    pub frames_refused: u64,
    /// Keyframe requests from the browser.
    pub keyframe_requests: u64,
    /// The congestion controller's last target, bits per second.
    pub target_bitrate: u64,
}

/// What a [`Player`] tells the application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlayEvent {
    /// DTLS is up: the files start now, on these sections (`None`: the browser took no
    /// section of that kind, and its file is not played).
    Started {
        /// The video section's mid.
        video: Option<String>,
        /// The audio section's mid.
        audio: Option<String>,
    },
    /// Every frame of both files was written.
    Played(PlayStats),
}

/// One file's frames and where they go.
#[derive(Debug, Default)]
struct Lane {
    mid: Option<String>,
    next: usize,
}

impl Lane {
    /// The next frame of `frames` to write, if it has a section.
    fn next<'a>(&self, frames: &'a [TimedFrame]) -> Option<&'a TimedFrame> {
        self.mid.as_ref().and_then(|_| frames.get(self.next))
    }
}

/// The schedule of one call. See the module docs.
#[derive(Debug)]
pub struct Player {
    clip: Arc<Clip>,
    /// The files' time 0: when DTLS connected.
    start: Option<Instant>,
    video: Lane,
    audio: Lane,
    played: bool,
    events: VecDeque<PlayEvent>,
    stats: PlayStats,
}

impl Player {
    /// A schedule of `clip`, waiting for DTLS.
    #[must_use]
    pub fn new(clip: Arc<Clip>) -> Player {
        Player {
            clip,
            start: None,
            video: Lane::default(),
            audio: Lane::default(),
            played: false,
            events: VecDeque::new(),
            stats: PlayStats::default(),
        }
    }

    /// What it did so far.
    #[must_use]
    pub fn stats(&self) -> PlayStats {
        self.stats
    }

    /// Starts the files now, on the first section we send video in and the first we
    /// send audio in.
    fn start(&mut self, now: Instant, media: &MediaPeer) {
        for (mid, codec) in media.sending() {
            let lane = if codec.is_audio() {
                &mut self.audio
            } else {
                &mut self.video
            };
            lane.mid.get_or_insert_with(|| mid.to_owned());
        }
        self.start = Some(now);
        self.events.push_back(PlayEvent::Started {
            video: self.video.mid.clone(),
            audio: self.audio.mid.clone(),
        });
    }

    /// The lane whose next frame comes first, and that frame.
    fn next(&self) -> Option<(bool, &TimedFrame)> {
        let video = self.video.next(&self.clip.video).map(|f| (true, f));
        let audio = self.audio.next(&self.clip.audio).map(|f| (false, f));
        [video, audio]
            .into_iter()
            .flatten()
            .min_by_key(|(_, f)| f.pts)
    }

    /// Writes every frame whose time has come, in time order.
    fn write_due(&mut self, now: Instant, media: &mut MediaPeer) {
        let Some(start) = self.start else {
            return;
        };
        let clip = Arc::clone(&self.clip);
        while let Some((video, frame)) = self.next() {
            if start + frame.pts > now {
                return;
            }
            let (lane, frames) = if video {
                (&mut self.video, &clip.video)
            } else {
                (&mut self.audio, &clip.audio)
            };
            let frame = &frames[lane.next];
            lane.next += 1;
            let mid = lane.mid.as_deref().unwrap_or_default();
            match media.write_frame(now, mid, frame.pts, &frame.data) {
                Ok(()) if video => self.stats.video_frames += 1,
                Ok(()) => self.stats.audio_frames += 1,
                Err(error) => {
                    tracing::debug!(%error, mid, "frame refused");
                    self.stats.frames_refused += 1;
                }
            }
        }
        if !self.played {
            self.played = true;
            self.events.push_back(PlayEvent::Played(self.stats));
        }
    }
}

impl App for Player {
    type Event = PlayEvent;

    fn handle_event(&mut self, now: Instant, media: &mut MediaPeer, event: &Event) {
        match event {
            Event::Rtc(RtcEvent::Connected { .. }) if self.start.is_none() => {
                self.start(now, media);
                self.write_due(now, media);
            }
            Event::KeyframeRequest { .. } => self.stats.keyframe_requests += 1,
            Event::TargetBitrate { bps, .. } => self.stats.target_bitrate = *bps,
            _ => {}
        }
    }

    fn handle_timeout(&mut self, now: Instant, media: &mut MediaPeer) {
        self.write_due(now, media);
    }

    fn poll_timeout(&self) -> Option<Instant> {
        Some(self.start? + self.next()?.1.pts)
    }

    fn poll_event(&mut self) -> Option<PlayEvent> {
        self.events.pop_front()
    }
}
