//! [`Recording`]: what the browser sends, written to WebM as it arrives (no transcoding):
//! its video (VP8 or VP9, as negotiated) as track 1 and its Opus audio as track 2 (or
//! the one track there is).
//!
//! The file starts with a video keyframe: we ask for one (PLI) as soon as DTLS is up,
//! and again (at most every [`KEYFRAME_RETRY`]) while video frames come that are not one;
//! what arrives before it, audio included, is not recorded. Its size (the track header's
//! pixel width and height) is read from that keyframe ([`super::dims`]). Video times are
//! each frame's media time from that keyframe's; audio's are its media time from its
//! first frame recorded, which is placed at its arrival after the keyframe's. A call
//! with no video section starts with its first audio frame.
//!
//! The file is finished (its sizes and duration written) by [`Recording::finish`] when
//! the call is over, or when it is dropped (a call's task that stops another way). The
//! writes are plain blocking file writes through a buffer, done on the call's task: a
//! disk that stalls stalls that call (an example's trade-off; a server would hand frames
//! to a writer thread).

use std::collections::VecDeque;
use std::fs::File;
use std::io::BufWriter;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wren_media::file::FileError;
use wren_media::file::ogg::OpusHead;
use wren_media::file::webm::{Track, VideoCodec, WebmWriter};
use wren_rtc::{Event as RtcEvent, KeyframeKind};
use wren_sdp::Direction;
use wren_sdp::jsep::MediaKind;

use super::Busy;
use super::dims;
use crate::common::call::App;
use wren_media::peer::{Event, Frame, MediaCodec, MediaPeer};

/// How long after a keyframe request another may be sent while none has come.
pub const KEYFRAME_RETRY: Duration = Duration::from_millis(500);

/// What a [`Recording`] did.
#[derive(Debug, Clone, Default)]
pub struct RecordStats {
    /// Video frames written.
    pub video_frames: u64,
    /// Audio frames written.
    pub audio_frames: u64,
    /// Frames not written: they came before the first keyframe, or are of a codec the
    /// file does not carry.
    pub frames_skipped: u64,
    /// Keyframe requests we sent.
    pub keyframe_requests: u64,
    /// The last frame's time in the file.
    pub duration: Duration,
    /// The write that failed, if one did (nothing is written after it).
    pub error: Option<Arc<FileError>>,
}

/// What a [`Recording`] tells the application.
#[derive(Debug, Clone)]
pub enum RecordEvent {
    /// The file's header is written: its first frame came.
    Started {
        /// The video codec and size, when there is video.
        video: Option<(VideoCodec, dims::Size)>,
        /// Whether it has an audio track.
        audio: bool,
    },
    /// A write failed; nothing more is written.
    Failed(Arc<FileError>),
}

/// The file, once its first frame came: the writer, its tracks' numbers and time
/// origins.
#[derive(Debug)]
struct Writing {
    writer: WebmWriter<BufWriter<File>>,
    /// When the first frame arrived.
    started: Instant,
    /// Video's track number and the media time of the file's time 0.
    video: Option<(u8, Duration)>,
    /// Audio's track number, and (once its first frame came) the media time of the
    /// file's time 0.
    audio: Option<(u8, Option<Duration>)>,
}

/// The sections we receive in: whether video (VP8, VP9) and audio (Opus) come.
#[derive(Debug, Clone, Copy, Default)]
struct Expected {
    video: bool,
    audio: bool,
}

/// One call's recording. See the module docs.
#[derive(Debug)]
pub struct Recording {
    /// The file, opened when the call was made, until its first frame comes.
    file: Option<BufWriter<File>>,
    writing: Option<Writing>,
    expected: Expected,
    /// When we last asked for a keyframe.
    asked: Option<Instant>,
    stats: RecordStats,
    events: VecDeque<RecordEvent>,
    /// Held until the recording is dropped: one call records at a time.
    _busy: Busy,
}

impl Recording {
    /// A recording into `file` (created empty), holding `busy`.
    #[must_use]
    pub fn new(file: File, busy: Busy) -> Recording {
        Recording {
            file: Some(BufWriter::new(file)),
            writing: None,
            expected: Expected::default(),
            asked: None,
            stats: RecordStats::default(),
            events: VecDeque::new(),
            _busy: busy,
        }
    }

    /// What it did so far.
    #[must_use]
    pub fn stats(&self) -> &RecordStats {
        &self.stats
    }

    /// Finishes the file (sizes, duration) and says what it did.
    pub fn finish(mut self) -> RecordStats {
        self.close();
        self.stats.clone()
    }

    fn close(&mut self) {
        if let Some(w) = self.writing.take() {
            if let Err(e) = w.writer.finish() {
                self.stats.error.get_or_insert_with(|| Arc::new(e));
            }
        }
        self.file = None;
    }

    /// The sections we receive in, once negotiated.
    fn expect(&mut self, media: &MediaPeer) {
        let receives = |kind: MediaKind| {
            media.rtc().negotiated_media().iter().any(|n| {
                n.kind == kind && matches!(n.direction, Direction::RecvOnly | Direction::SendRecv)
            })
        };
        self.expected = Expected {
            video: receives(MediaKind::Video),
            audio: receives(MediaKind::Audio),
        };
    }

    /// Asks the browser's video source `ssrc` for a keyframe, unless we did lately.
    fn ask_keyframe(&mut self, now: Instant, media: &mut MediaPeer, ssrc: u32) {
        if self.asked.is_some_and(|t| now < t + KEYFRAME_RETRY) {
            return;
        }
        self.asked = Some(now);
        if media
            .rtc_mut()
            .request_keyframe(ssrc, KeyframeKind::Pli)
            .is_ok()
        {
            self.stats.keyframe_requests += 1;
        }
    }

    /// The browser's first video source, as its SDP announced it.
    fn video_source(media: &MediaPeer) -> Option<u32> {
        media
            .rtc()
            .negotiated_media()
            .iter()
            .find(|n| n.kind == MediaKind::Video)
            .and_then(|n| n.remote_ssrcs.first().copied())
    }

    /// Starts the file with `first` (a video keyframe, or audio when no video comes).
    fn start(&mut self, now: Instant, first: &Frame) -> Result<(), FileError> {
        let Some(file) = self.file.take() else {
            return Ok(());
        };
        let mut tracks = Vec::new();
        let mut video = None;
        let mut started_video = None;
        if let Some((codec, size)) = video_of(first) {
            tracks.push(Track::Video {
                codec,
                width: size.0,
                height: size.1,
                codec_private: None,
            });
            video = Some((1, first.pts));
            started_video = Some((codec, size));
        }
        let audio = self.expected.audio.then(|| {
            tracks.push(Track::Opus(OpusHead::default()));
            (u8::try_from(tracks.len()).unwrap_or(u8::MAX), None)
        });
        let writer = WebmWriter::new(file, tracks)?;
        self.writing = Some(Writing {
            writer,
            started: now,
            video,
            audio,
        });
        self.events.push_back(RecordEvent::Started {
            video: started_video,
            audio: audio.is_some(),
        });
        Ok(())
    }

    /// Writes `frame` if the file has begun (or begins with it).
    fn record(&mut self, now: Instant, media: &mut MediaPeer, frame: &Frame) {
        let is_video = matches!(frame.codec, MediaCodec::Vp8 | MediaCodec::Vp9);
        let is_audio = frame.codec == MediaCodec::Opus;
        if self.writing.is_none() && self.file.is_some() {
            let begins = if self.expected.video {
                is_video && frame.keyframe && video_of(frame).is_some()
            } else {
                is_audio
            };
            if !begins {
                if is_video {
                    self.ask_keyframe(now, media, frame.ssrc);
                }
                self.stats.frames_skipped += 1;
                return;
            }
            if let Err(e) = self.start(now, frame) {
                self.fail(e);
                return;
            }
        }
        let Some(w) = self.writing.as_mut() else {
            self.stats.frames_skipped += 1;
            return;
        };
        let (track, at) = match (is_video, is_audio, w.video, w.audio.as_mut()) {
            (true, _, Some((track, origin)), _) => (track, frame.pts.saturating_sub(origin)),
            (_, true, _, Some((track, origin))) => {
                // Audio's time 0 is placed so that its first frame is at its arrival.
                let since = now.saturating_duration_since(w.started);
                let origin = *origin.get_or_insert_with(|| frame.pts.saturating_sub(since));
                (*track, frame.pts.saturating_sub(origin))
            }
            _ => {
                self.stats.frames_skipped += 1;
                return;
            }
        };
        match w.writer.write_frame(track, at, frame.keyframe, &frame.data) {
            Ok(()) => {
                if is_video {
                    self.stats.video_frames += 1;
                } else {
                    self.stats.audio_frames += 1;
                }
                self.stats.duration = self.stats.duration.max(at);
            }
            Err(e) => self.fail(e),
        }
    }

    /// A write failed: the file is left as it is, and nothing more is written.
    fn fail(&mut self, e: FileError) {
        let e = Arc::new(e);
        tracing::warn!(error = %e, "recording stops");
        self.stats.error.get_or_insert_with(|| Arc::clone(&e));
        self.events.push_back(RecordEvent::Failed(e));
        self.writing = None;
        self.file = None;
    }
}

/// The WebM codec and the size of a video keyframe.
fn video_of(frame: &Frame) -> Option<(VideoCodec, dims::Size)> {
    if !frame.keyframe {
        return None;
    }
    match frame.codec {
        MediaCodec::Vp8 => Some((VideoCodec::Vp8, dims::vp8(&frame.data)?)),
        MediaCodec::Vp9 => Some((VideoCodec::Vp9, dims::vp9(&frame.data)?)),
        _ => None,
    }
}

impl App for Recording {
    type Event = RecordEvent;

    fn handle_event(&mut self, now: Instant, media: &mut MediaPeer, event: &Event) {
        match event {
            Event::Rtc(RtcEvent::Connected { .. }) => {
                self.expect(media);
                if self.expected.video {
                    if let Some(ssrc) = Recording::video_source(media) {
                        self.ask_keyframe(now, media, ssrc);
                    }
                }
            }
            Event::Frame(frame) => self.record(now, media, frame),
            _ => {}
        }
    }

    fn handle_timeout(&mut self, _now: Instant, _media: &mut MediaPeer) {}

    fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    fn poll_event(&mut self) -> Option<RecordEvent> {
        self.events.pop_front()
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        self.close();
    }
}
