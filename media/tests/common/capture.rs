//! RTP a browser sent (unprotected by our peer), kept per kind, saved as fixtures, and
//! depacketized through the jitter buffer into files ffmpeg decodes.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::time::Instant;

use wren_media::codec::Depacketizer;
use wren_media::codec::av1::Av1Depacketizer;
use wren_media::codec::h264::H264Depacketizer;
use wren_media::codec::opus::OpusDepacketizer;
use wren_media::codec::vp8::Vp8Depacketizer;
use wren_media::codec::vp9::Vp9Depacketizer;
use wren_media::file::ivf::{IvfCodec, IvfHeader, IvfWriter};
use wren_media::file::ogg::{OggOpusWriter, OpusHead};
use wren_media::jitter::{JitterBuffer, JitterConfig};
use wren_rtp::rtp::RtpPacket;

/// What a browser sent.
#[derive(Debug, Default)]
pub(crate) struct Capture {
    pub(crate) browser: String,
    /// The negotiated video codec's name (`VP8`, `VP9`, `H264`, `AV1`).
    pub(crate) video_codec: String,
    pub(crate) video_pt: u8,
    pub(crate) audio_pt: u8,
    pub(crate) video: Vec<Vec<u8>>,
    pub(crate) audio: Vec<Vec<u8>>,
}

/// What ffmpeg decoded of a capture.
#[derive(Debug)]
pub(crate) struct Decoded {
    pub(crate) video_frames: u64,
    pub(crate) audio_frames: u64,
}

impl Capture {
    /// The payload types our peer negotiated.
    pub(crate) fn new(browser: &str, peer: &wren_rtc::Peer) -> Capture {
        use wren_sdp::jsep::MediaKind;
        let mut c = Capture {
            browser: browser.to_owned(),
            ..Capture::default()
        };
        for m in peer.negotiated_media() {
            let Some(codec) = m.primary_codec() else {
                continue;
            };
            match m.kind {
                MediaKind::Video => {
                    c.video_codec = codec.name.to_uppercase();
                    c.video_pt = codec.payload_type;
                }
                _ => c.audio_pt = codec.payload_type,
            }
        }
        c
    }

    /// One unprotected RTP packet (RTX and others are not kept).
    pub(crate) fn push(&mut self, rtp: &[u8]) {
        let pt = rtp.get(1).map(|b| b & 0x7f);
        if pt == Some(self.video_pt) {
            self.video.push(rtp.to_vec());
        } else if pt == Some(self.audio_pt) {
            self.audio.push(rtp.to_vec());
        }
    }

    /// Writes `<browser>-<codec>.rtp` and `<browser>-opus-with-<codec>.rtp` into `dir`
    /// (each packet behind its 4-byte length) and a line about where they came from.
    pub(crate) fn save(&self, dir: &Path, version: &str) {
        std::fs::create_dir_all(dir).unwrap();
        let name = format!(
            "{}-{}",
            self.browser.to_lowercase(),
            self.video_codec.to_lowercase()
        );
        for (file, packets, pt) in [
            (format!("{name}.rtp"), &self.video, self.video_pt),
            (format!("{name}-opus.rtp"), &self.audio, self.audio_pt),
        ] {
            let mut out = Vec::new();
            for p in packets {
                out.extend_from_slice(&(p.len() as u32).to_be_bytes());
                out.extend_from_slice(p);
            }
            std::fs::write(dir.join(&file), out).unwrap();
            println!(
                "fixture {file}: {} packets, payload type {pt}, {}",
                packets.len(),
                version.trim()
            );
        }
    }

    /// Packets saved by [`Capture::save`].
    pub(crate) fn load(path: &Path) -> Vec<Vec<u8>> {
        let data = std::fs::read(path).unwrap();
        let mut out = Vec::new();
        let mut at = 0;
        while at + 4 <= data.len() {
            let n =
                u32::from_be_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]) as usize;
            out.push(data[at + 4..at + 4 + n].to_vec());
            at += 4 + n;
        }
        out
    }
}

/// `packets` through a jitter buffer with `d`: the frames and their RTP timestamps.
pub(crate) fn frames_of(packets: &[Vec<u8>], d: Box<dyn Depacketizer>) -> Vec<(u32, Vec<u8>)> {
    let now = Instant::now();
    let mut jb = JitterBuffer::new(JitterConfig::default(), d);
    let mut frames = Vec::new();
    let mut f = Vec::new();
    for p in packets {
        let Ok(rtp) = RtpPacket::parse(p) else {
            panic!("a captured packet does not parse as RTP");
        };
        jb.insert(
            now,
            rtp.sequence_number(),
            rtp.timestamp(),
            rtp.marker(),
            rtp.payload(),
        );
        while let Some(info) = jb.poll_frame(now, &mut f) {
            frames.push((info.timestamp, f.clone()));
        }
    }
    let s = jb.stats();
    assert_eq!(
        (s.dropped_corrupt, s.late),
        (0, 0),
        "no payload refused, nothing out of order past the buffer: {s:?}"
    );
    frames
}

/// Depacketizes a capture into files in `dir` and has ffmpeg decode them.
pub(crate) fn decode_capture(cap: &Capture, dir: &Path) -> Decoded {
    let codec = cap.video_codec.as_str();
    let d: Box<dyn Depacketizer> = match codec {
        "VP8" => Box::new(Vp8Depacketizer::default()),
        "VP9" => Box::new(Vp9Depacketizer::default()),
        "AV1" => Box::new(Av1Depacketizer::default()),
        "H264" => Box::new(H264Depacketizer::default()),
        other => panic!("no depacketizer for {other}"),
    };
    let frames = frames_of(&cap.video, d);
    assert!(
        !frames.is_empty(),
        "no video frame from {} packets",
        cap.video.len()
    );
    let video = if codec == "H264" {
        let path = dir.join("video.h264");
        let all: Vec<u8> = frames.iter().flat_map(|(_, f)| f.iter().copied()).collect();
        std::fs::write(&path, all).unwrap();
        path
    } else {
        let path = dir.join("video.ivf");
        let header = IvfHeader {
            codec: match codec {
                "VP8" => IvfCodec::Vp8,
                "VP9" => IvfCodec::Vp9,
                _ => IvfCodec::Av1,
            },
            width: 320,
            height: 240,
            timebase_den: 90_000,
            timebase_num: 1,
            frames: 0,
        };
        let mut w = IvfWriter::new(File::create(&path).unwrap(), header).unwrap();
        let first = frames[0].0;
        for (ts, f) in &frames {
            w.write_frame(u64::from(ts.wrapping_sub(first)), f).unwrap();
        }
        w.finish().unwrap();
        path
    };
    super::decodes_cleanly(&video);
    let video_frames = super::frames_decoded(&video, "v");
    let audio = frames_of(&cap.audio, Box::new(OpusDepacketizer));
    let path = dir.join("audio.opus");
    let mut w = OggOpusWriter::new(
        BufWriter::new(File::create(&path).unwrap()),
        OpusHead::default(),
        1,
    )
    .unwrap();
    for (_, p) in &audio {
        w.write_packet(p).unwrap();
    }
    w.finish().unwrap();
    super::decodes_cleanly(&path);
    let audio_frames = super::frames_decoded(&path, "a");
    Decoded {
        video_frames,
        audio_frames,
    }
}
