//! RTP captured from Chromium and Firefox ESR (tests/fixtures/, with where each came from)
//! through the jitter buffer and our depacketizers: every frame of every capture comes
//! out, and ffmpeg decodes the files we make of them without an error, frame for frame.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use wren_media::codec::Depacketizer;
use wren_media::codec::av1::Av1Depacketizer;
use wren_media::codec::h264::H264Depacketizer;
use wren_media::codec::opus::OpusDepacketizer;
use wren_media::codec::vp8::Vp8Depacketizer;
use wren_media::codec::vp9::Vp9Depacketizer;
use wren_media::file::ivf::{IvfCodec, IvfHeader, IvfWriter};
use wren_media::file::ogg::{OggOpusWriter, OpusHead};

mod common;
use common::capture::{Capture, frames_of};
use common::{decodes_cleanly, dir, frames_decoded};

fn fixture(name: &str) -> Vec<Vec<u8>> {
    Capture::load(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
}

/// Frames of a video capture written as IVF (or Annex B for H.264), decoded by ffmpeg:
/// how many frames the jitter buffer gave and how many ffmpeg decoded.
fn video(name: &str, d: Box<dyn Depacketizer>, codec: Option<IvfCodec>) -> (usize, u64) {
    let packets = fixture(name);
    let frames = frames_of(&packets, d);
    let out = dir(&format!("fixture-{name}"));
    let path = match codec {
        None => {
            let path = out.join("video.h264");
            let all: Vec<u8> = frames.iter().flat_map(|(_, f)| f.iter().copied()).collect();
            std::fs::write(&path, all).unwrap();
            path
        }
        Some(codec) => {
            let path = out.join("video.ivf");
            let header = IvfHeader {
                codec,
                width: 320,
                height: 240,
                timebase_den: 90_000,
                timebase_num: 1,
                frames: 0,
            };
            let mut w = IvfWriter::new(File::create(&path).unwrap(), header).unwrap();
            for (ts, f) in &frames {
                w.write_frame(u64::from(ts.wrapping_sub(frames[0].0)), f)
                    .unwrap();
            }
            w.finish().unwrap();
            path
        }
    };
    decodes_cleanly(&path);
    (frames.len(), frames_decoded(&path, "v"))
}

/// A fixture, its depacketizer, and the IVF codec (none: H.264 as Annex B).
type Case = (
    &'static str,
    fn() -> Box<dyn Depacketizer>,
    Option<IvfCodec>,
);

#[test]
fn every_browser_video_capture_depacketizes_into_frames_ffmpeg_decodes() {
    let cases: [Case; 7] = [
        (
            "chromium-vp8.rtp",
            || Box::new(Vp8Depacketizer::default()),
            Some(IvfCodec::Vp8),
        ),
        (
            "chromium-vp9.rtp",
            || Box::new(Vp9Depacketizer::default()),
            Some(IvfCodec::Vp9),
        ),
        (
            "chromium-h264.rtp",
            || Box::new(H264Depacketizer::default()),
            None,
        ),
        (
            "chromium-av1.rtp",
            || Box::new(Av1Depacketizer::default()),
            Some(IvfCodec::Av1),
        ),
        (
            "firefox-vp8.rtp",
            || Box::new(Vp8Depacketizer::default()),
            Some(IvfCodec::Vp8),
        ),
        (
            "firefox-vp9.rtp",
            || Box::new(Vp9Depacketizer::default()),
            Some(IvfCodec::Vp9),
        ),
        (
            "firefox-av1.rtp",
            || Box::new(Av1Depacketizer::default()),
            Some(IvfCodec::Av1),
        ),
    ];
    for (name, d, codec) in cases {
        let (frames, decoded) = video(name, d(), codec);
        println!("{name}: {frames} frames, {decoded} decoded by ffmpeg");
        assert!(frames >= 70, "{name}: {frames}");
        assert_eq!(decoded, frames as u64, "{name}: every frame decodes");
    }
}

#[test]
fn every_browser_opus_capture_depacketizes_into_packets_ffmpeg_decodes() {
    for name in ["chromium-opus.rtp", "firefox-opus.rtp"] {
        let packets = fixture(name);
        let frames = frames_of(&packets, Box::new(OpusDepacketizer));
        // Chromium sends padding-only packets to probe bandwidth: no Opus in them.
        let with_payload = packets
            .iter()
            .filter(|p| wren_rtp::rtp::RtpPacket::parse(p).is_ok_and(|r| !r.payload().is_empty()))
            .count();
        assert_eq!(
            frames.len(),
            with_payload,
            "{name}: one frame per packet with a payload"
        );
        let path = dir(&format!("fixture-{name}")).join("audio.opus");
        let mut w = OggOpusWriter::new(
            BufWriter::new(File::create(&path).unwrap()),
            OpusHead::default(),
            1,
        )
        .unwrap();
        for (_, p) in &frames {
            w.write_packet(p).unwrap();
        }
        w.finish().unwrap();
        decodes_cleanly(&path);
        let decoded = frames_decoded(&path, "a");
        println!(
            "{name}: {} packets, {decoded} decoded by ffmpeg",
            frames.len()
        );
        assert_eq!(decoded, frames.len() as u64);
    }
}
