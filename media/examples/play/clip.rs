//! The files `play` streams, read into memory once at start: every IVF frame and every
//! Ogg Opus packet with its time from the start of its file. Reading them whole checks
//! every frame before any call (a bad file is an error at start, not in the middle of a
//! call) and keeps file I/O out of the calls' tasks; each call plays the same frames.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::Duration;

use wren_media::file::FileError;
use wren_media::file::ivf::{IvfCodec, IvfReader};
use wren_media::file::ogg::{OggOpusReader, opus_packet_samples};

/// Opus's clock: granule positions and packet durations count 48 kHz samples (RFC 7845
/// section 4).
const OPUS_RATE: u64 = 48_000;

/// One frame and when it is played, from the start of its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedFrame {
    /// Its time from the start of the file.
    pub pts: Duration,
    /// The encoded frame (an IVF frame, or one Opus packet).
    pub data: Vec<u8>,
}

/// Why the files cannot be played.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClipError {
    /// A file could not be opened or read, or is not what its format says.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: FileError,
    },
    /// The IVF header's time base has a zero in it.
    #[error("{path}: the IVF time base {num}/{den} is not a time base")]
    TimeBase {
        /// The file.
        path: PathBuf,
        /// The header's numerator.
        num: u32,
        /// The header's denominator.
        den: u32,
    },
    /// An Opus packet whose duration cannot be read from its TOC byte (RFC 6716 section
    /// 3.1): empty, or a code 3 packet without its frame count.
    #[error("{path}: Opus packet {index} has no duration (RFC 6716 section 3.1)")]
    OpusPacket {
        /// The file.
        path: PathBuf,
        /// The packet's index (0 is the first audio packet).
        index: usize,
    },
    /// A file with no frame at all.
    #[error("{path}: no frames")]
    Empty {
        /// The file.
        path: PathBuf,
    },
}

/// The video and audio `play` streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clip {
    /// The IVF's codec.
    pub video_codec: IvfCodec,
    /// The IVF's frames, in file order.
    pub video: Vec<TimedFrame>,
    /// The Ogg file's Opus packets, in order.
    pub audio: Vec<TimedFrame>,
}

impl Clip {
    /// Reads `video` (IVF: VP8, VP9 or AV1) and `audio` (Ogg Opus).
    ///
    /// # Errors
    ///
    /// A [`ClipError`] that names the file and says what is wrong with it.
    pub fn open(video: &Path, audio: &Path) -> Result<Clip, ClipError> {
        let (video_codec, video_frames) = read_ivf(video)?;
        let audio_frames = read_ogg(audio)?;
        Ok(Clip {
            video_codec,
            video: video_frames,
            audio: audio_frames,
        })
    }

    /// The time of the last frame of either file.
    #[must_use]
    pub fn duration(&self) -> Duration {
        let last = |f: &[TimedFrame]| f.last().map_or(Duration::ZERO, |f| f.pts);
        last(&self.video).max(last(&self.audio))
    }
}

fn file_error(path: &Path) -> impl Fn(FileError) -> ClipError + '_ {
    |source| ClipError::File {
        path: path.to_owned(),
        source,
    }
}

fn open(path: &Path) -> Result<BufReader<File>, ClipError> {
    File::open(path)
        .map(BufReader::new)
        .map_err(|e| file_error(path)(FileError::Io(e)))
}

/// The IVF's codec and frames; each frame's time is its timestamp in the header's time
/// base (`timebase_num / timebase_den` seconds).
fn read_ivf(path: &Path) -> Result<(IvfCodec, Vec<TimedFrame>), ClipError> {
    let mut reader = IvfReader::new(open(path)?).map_err(file_error(path))?;
    let header = *reader.header();
    let (num, den) = (header.timebase_num, header.timebase_den);
    if num == 0 || den == 0 {
        return Err(ClipError::TimeBase {
            path: path.to_owned(),
            num,
            den,
        });
    }
    let mut frames = Vec::new();
    let mut data = Vec::new();
    while let Some(ts) = reader.next_frame(&mut data).map_err(file_error(path))? {
        let nanos = u128::from(ts) * u128::from(num) * 1_000_000_000 / u128::from(den);
        frames.push(TimedFrame {
            pts: Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX)),
            data: std::mem::take(&mut data),
        });
    }
    if frames.is_empty() {
        return Err(ClipError::Empty {
            path: path.to_owned(),
        });
    }
    Ok((header.codec, frames))
}

/// The Ogg file's Opus packets; each packet's time is the samples of the packets before
/// it (their TOC bytes say how many).
fn read_ogg(path: &Path) -> Result<Vec<TimedFrame>, ClipError> {
    let mut reader = OggOpusReader::new(open(path)?).map_err(file_error(path))?;
    let mut frames = Vec::new();
    let mut samples = 0u64;
    let mut data = Vec::new();
    while reader
        .next_packet(&mut data)
        .map_err(file_error(path))?
        .is_some()
    {
        let n = opus_packet_samples(&data).ok_or_else(|| ClipError::OpusPacket {
            path: path.to_owned(),
            index: frames.len(),
        })?;
        frames.push(TimedFrame {
            pts: Duration::from_nanos(samples * 1_000_000_000 / OPUS_RATE),
            data: std::mem::take(&mut data),
        });
        samples += u64::from(n);
    }
    if frames.is_empty() {
        return Err(ClipError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(frames)
}
