//! WebM (a Matroska subset, EBML RFC 8794, Matroska RFC 9559) written as a recorder
//! needs it: the EBML header, one Segment with Info (millisecond timestamps, the duration
//! patched in at the end), Tracks (VP8, VP9 or AV1 video, Opus audio with its `OpusHead`
//! as CodecPrivate, CodecDelay and SeekPreRoll), and Clusters of SimpleBlocks, a new
//! Cluster at each video keyframe and at least every 5 seconds.

use std::io::{Seek, SeekFrom, Write};
use std::time::Duration;

use super::FileError;
use super::ogg::OpusHead;

/// EBML and Matroska element ids.
mod id {
    pub(super) const EBML: u32 = 0x1A45_DFA3;
    pub(super) const EBML_VERSION: u32 = 0x4286;
    pub(super) const EBML_READ_VERSION: u32 = 0x42F7;
    pub(super) const EBML_MAX_ID_LENGTH: u32 = 0x42F2;
    pub(super) const EBML_MAX_SIZE_LENGTH: u32 = 0x42F3;
    pub(super) const DOC_TYPE: u32 = 0x4282;
    pub(super) const DOC_TYPE_VERSION: u32 = 0x4287;
    pub(super) const DOC_TYPE_READ_VERSION: u32 = 0x4285;
    pub(super) const SEGMENT: u32 = 0x1853_8067;
    pub(super) const INFO: u32 = 0x1549_A966;
    pub(super) const TIMESTAMP_SCALE: u32 = 0x2A_D7B1;
    pub(super) const DURATION: u32 = 0x4489;
    pub(super) const MUXING_APP: u32 = 0x4D80;
    pub(super) const WRITING_APP: u32 = 0x5741;
    pub(super) const TRACKS: u32 = 0x1654_AE6B;
    pub(super) const TRACK_ENTRY: u32 = 0xAE;
    pub(super) const TRACK_NUMBER: u32 = 0xD7;
    pub(super) const TRACK_UID: u32 = 0x73C5;
    pub(super) const TRACK_TYPE: u32 = 0x83;
    pub(super) const CODEC_ID: u32 = 0x86;
    pub(super) const CODEC_PRIVATE: u32 = 0x63A2;
    pub(super) const CODEC_DELAY: u32 = 0x56AA;
    pub(super) const SEEK_PRE_ROLL: u32 = 0x56BB;
    pub(super) const VIDEO: u32 = 0xE0;
    pub(super) const PIXEL_WIDTH: u32 = 0xB0;
    pub(super) const PIXEL_HEIGHT: u32 = 0xBA;
    pub(super) const AUDIO: u32 = 0xE1;
    pub(super) const SAMPLING_FREQUENCY: u32 = 0xB5;
    pub(super) const CHANNELS: u32 = 0x9F;
    pub(super) const CLUSTER: u32 = 0x1F43_B675;
    pub(super) const TIMESTAMP: u32 = 0xE7;
    pub(super) const SIMPLE_BLOCK: u32 = 0xA3;
}

/// A video codec WebM carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VideoCodec {
    /// `V_VP8`.
    Vp8,
    /// `V_VP9`.
    Vp9,
    /// `V_AV1` (its CodecPrivate, the `av1C` record, given by the caller).
    Av1,
}

/// A track of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Track {
    /// Video.
    Video {
        /// The codec.
        codec: VideoCodec,
        /// Width in pixels.
        width: u16,
        /// Height in pixels.
        height: u16,
        /// CodecPrivate (AV1's `av1C`), if any.
        codec_private: Option<Vec<u8>>,
    },
    /// Opus audio.
    Opus(OpusHead),
}

/// The largest cluster span: SimpleBlock timestamps are 16-bit offsets from the cluster's.
const CLUSTER_SPAN_MS: u64 = 5_000;

/// Writes a WebM file.
#[derive(Debug)]
pub struct WebmWriter<W: Write + Seek> {
    inner: W,
    tracks: Vec<Track>,
    /// Where the Segment's size field is, and where its data begins.
    segment_size_at: u64,
    segment_start: u64,
    /// Where the Duration's value is.
    duration_at: u64,
    /// The open cluster: where its size field is and its timestamp (ms).
    cluster: Option<(u64, u64)>,
    last_ms: u64,
    buf: Vec<u8>,
}

/// Appends an EBML element id (its bytes as written, 1 to 4).
fn put_id(out: &mut Vec<u8>, id: u32) {
    let bytes = id.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    out.extend_from_slice(&bytes[skip..]);
}

/// Appends an EBML size in the fewest bytes (RFC 8794 section 4.4).
fn put_size(out: &mut Vec<u8>, size: u64) {
    for len in 1..=8u32 {
        // All ones is reserved (unknown size).
        if size < (1u64 << (7 * len)) - 1 {
            let marked = size | (1u64 << (7 * len));
            out.extend_from_slice(&marked.to_be_bytes()[(8 - len) as usize..]);
            return;
        }
    }
}

/// An 8-byte size field (patched later).
fn put_size8(out: &mut Vec<u8>, size: u64) {
    out.extend_from_slice(&(size | (1u64 << 56)).to_be_bytes());
}

fn put_uint(out: &mut Vec<u8>, id: u32, v: u64) {
    put_id(out, id);
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count().min(7);
    put_size(out, (8 - skip) as u64);
    out.extend_from_slice(&bytes[skip..]);
}

fn put_bytes(out: &mut Vec<u8>, id: u32, v: &[u8]) {
    put_id(out, id);
    put_size(out, v.len() as u64);
    out.extend_from_slice(v);
}

fn put_float(out: &mut Vec<u8>, id: u32, v: f64) {
    put_id(out, id);
    put_size(out, 8);
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_master(out: &mut Vec<u8>, id: u32, body: &[u8]) {
    put_bytes(out, id, body);
}

impl<W: Write + Seek> WebmWriter<W> {
    /// Writes the header, Info and Tracks; track `i` of `tracks` is track number `i + 1`.
    ///
    /// # Errors
    ///
    /// [`FileError::Io`]; [`FileError::Format`] for no track or more than 126.
    pub fn new(mut inner: W, tracks: Vec<Track>) -> Result<WebmWriter<W>, FileError> {
        if tracks.is_empty() || tracks.len() > 126 {
            return Err(FileError::Format("a WebM file has 1 to 126 tracks here"));
        }
        let mut out = Vec::new();
        let mut ebml = Vec::new();
        put_uint(&mut ebml, id::EBML_VERSION, 1);
        put_uint(&mut ebml, id::EBML_READ_VERSION, 1);
        put_uint(&mut ebml, id::EBML_MAX_ID_LENGTH, 4);
        put_uint(&mut ebml, id::EBML_MAX_SIZE_LENGTH, 8);
        put_bytes(&mut ebml, id::DOC_TYPE, b"webm");
        put_uint(&mut ebml, id::DOC_TYPE_VERSION, 4);
        put_uint(&mut ebml, id::DOC_TYPE_READ_VERSION, 2);
        put_master(&mut out, id::EBML, &ebml);
        let start = inner.stream_position()?;
        put_id(&mut out, id::SEGMENT);
        let segment_size_at = start + out.len() as u64;
        put_size8(&mut out, 0);
        let segment_start = start + out.len() as u64;
        // Info, with the Duration's value at a known place.
        let mut info = Vec::new();
        put_uint(&mut info, id::TIMESTAMP_SCALE, 1_000_000);
        put_bytes(&mut info, id::MUXING_APP, b"wren-media");
        put_bytes(&mut info, id::WRITING_APP, b"wren-media");
        put_id(&mut info, id::DURATION);
        put_size(&mut info, 8);
        let duration_in_info = info.len();
        info.extend_from_slice(&0f64.to_be_bytes());
        put_id(&mut out, id::INFO);
        put_size(&mut out, info.len() as u64);
        let duration_at = start + (out.len() + duration_in_info) as u64;
        out.extend_from_slice(&info);
        let mut all = Vec::new();
        for (i, t) in tracks.iter().enumerate() {
            let mut e = Vec::new();
            let number = i as u64 + 1;
            put_uint(&mut e, id::TRACK_NUMBER, number);
            put_uint(&mut e, id::TRACK_UID, 0x5752_454e_0000 + number);
            match t {
                Track::Video {
                    codec,
                    width,
                    height,
                    codec_private,
                } => {
                    put_uint(&mut e, id::TRACK_TYPE, 1);
                    let name: &[u8] = match codec {
                        VideoCodec::Vp8 => b"V_VP8",
                        VideoCodec::Vp9 => b"V_VP9",
                        VideoCodec::Av1 => b"V_AV1",
                    };
                    put_bytes(&mut e, id::CODEC_ID, name);
                    if let Some(p) = codec_private {
                        put_bytes(&mut e, id::CODEC_PRIVATE, p);
                    }
                    let mut v = Vec::new();
                    put_uint(&mut v, id::PIXEL_WIDTH, u64::from(*width));
                    put_uint(&mut v, id::PIXEL_HEIGHT, u64::from(*height));
                    put_master(&mut e, id::VIDEO, &v);
                }
                Track::Opus(head) => {
                    put_uint(&mut e, id::TRACK_TYPE, 2);
                    put_bytes(&mut e, id::CODEC_ID, b"A_OPUS");
                    put_bytes(&mut e, id::CODEC_PRIVATE, &head.to_bytes());
                    // The pre-skip in nanoseconds, and 80 ms of pre-roll (RFC 7845 s4.6).
                    put_uint(
                        &mut e,
                        id::CODEC_DELAY,
                        u64::from(head.pre_skip) * 1_000_000_000 / 48_000,
                    );
                    put_uint(&mut e, id::SEEK_PRE_ROLL, 80_000_000);
                    let mut a = Vec::new();
                    put_float(&mut a, id::SAMPLING_FREQUENCY, 48_000.0);
                    put_uint(&mut a, id::CHANNELS, u64::from(head.channels));
                    put_master(&mut e, id::AUDIO, &a);
                }
            }
            put_master(&mut all, id::TRACK_ENTRY, &e);
        }
        put_master(&mut out, id::TRACKS, &all);
        inner.write_all(&out)?;
        Ok(WebmWriter {
            inner,
            tracks,
            segment_size_at,
            segment_start,
            duration_at,
            cluster: None,
            last_ms: 0,
            buf: Vec::with_capacity(64 * 1024),
        })
    }

    /// Appends a frame of track `track` (1-based) at `at` from the start of the recording.
    ///
    /// # Errors
    ///
    /// [`FileError::Io`]; [`FileError::Format`] for a track number of no track.
    pub fn write_frame(
        &mut self,
        track: u8,
        at: Duration,
        keyframe: bool,
        frame: &[u8],
    ) -> Result<(), FileError> {
        let t = usize::from(track)
            .checked_sub(1)
            .and_then(|i| self.tracks.get(i))
            .ok_or(FileError::Format("no such track"))?;
        let video = matches!(t, Track::Video { .. });
        let ms = u64::try_from(at.as_millis()).unwrap_or(u64::MAX);
        let new_cluster = match self.cluster {
            None => true,
            Some((_, start)) => {
                (video && keyframe && ms > start)
                    || ms >= start + CLUSTER_SPAN_MS
                    || ms < start.saturating_sub(30_000)
            }
        };
        if new_cluster {
            self.close_cluster()?;
            let at = self.inner.stream_position()?;
            self.buf.clear();
            put_id(&mut self.buf, id::CLUSTER);
            let size_at = at + self.buf.len() as u64;
            put_size8(&mut self.buf, 0);
            put_uint(&mut self.buf, id::TIMESTAMP, ms);
            self.inner.write_all(&self.buf)?;
            self.cluster = Some((size_at, ms));
        }
        let cluster_ms = self.cluster.map_or(ms, |c| c.1);
        let relative = i16::try_from(ms as i64 - cluster_ms as i64).unwrap_or(i16::MAX);
        self.buf.clear();
        put_id(&mut self.buf, id::SIMPLE_BLOCK);
        put_size(&mut self.buf, 4 + frame.len() as u64);
        self.buf.push(0x80 | track);
        self.buf.extend_from_slice(&relative.to_be_bytes());
        self.buf.push(if keyframe || !video { 0x80 } else { 0 });
        self.inner.write_all(&self.buf)?;
        self.inner.write_all(frame)?;
        self.last_ms = self.last_ms.max(ms);
        Ok(())
    }

    fn close_cluster(&mut self) -> Result<(), FileError> {
        if let Some((size_at, _)) = self.cluster.take() {
            let end = self.inner.stream_position()?;
            self.patch_size(size_at, end - (size_at + 8))?;
            self.inner.seek(SeekFrom::Start(end))?;
        }
        Ok(())
    }

    fn patch_size(&mut self, at: u64, size: u64) -> Result<(), FileError> {
        self.inner.seek(SeekFrom::Start(at))?;
        self.inner.write_all(&(size | (1u64 << 56)).to_be_bytes())?;
        Ok(())
    }

    /// Closes the last cluster, writes the Segment's size and the duration (the last
    /// frame's time), and hands the writer back.
    ///
    /// # Errors
    ///
    /// [`FileError::Io`].
    pub fn finish(mut self) -> Result<W, FileError> {
        self.close_cluster()?;
        let end = self.inner.stream_position()?;
        let (size_at, start) = (self.segment_size_at, self.segment_start);
        self.patch_size(size_at, end - start)?;
        self.inner.seek(SeekFrom::Start(self.duration_at))?;
        self.inner.write_all(&(self.last_ms as f64).to_be_bytes())?;
        self.inner.seek(SeekFrom::Start(end))?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ebml_sizes_take_the_fewest_bytes_and_avoid_the_reserved_value() {
        let size = |v| {
            let mut o = Vec::new();
            put_size(&mut o, v);
            o
        };
        assert_eq!(size(0), [0x80]);
        assert_eq!(size(126), [0xfe]);
        // 127 would be all ones in one byte: two bytes.
        assert_eq!(size(127), [0x40, 0x7f]);
        assert_eq!(size(16_382), [0x7f, 0xfe]);
        assert_eq!(size(16_383), [0x20, 0x3f, 0xff]);
        let mut o = Vec::new();
        put_uint(&mut o, id::TIMESTAMP_SCALE, 1_000_000);
        assert_eq!(o, [0x2a, 0xd7, 0xb1, 0x83, 0x0f, 0x42, 0x40]);
    }
}
