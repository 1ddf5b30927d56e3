//! Against Debian's ffmpeg and ffprobe (scripts/install-deps.sh installs them): files
//! ffmpeg encodes (VP8, VP9 and AV1 in IVF, Opus in Ogg) are read by our readers; their
//! frames go through our packetizer and depacketizer and are written again by our IVF and
//! Ogg writers and muxed into WebM by ours; ffmpeg decodes every file we wrote without an
//! error, with the same frame count, the codecs and a duration ffprobe reports.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::time::Duration;

use wren_media::codec::av1::{Av1Depacketizer, Av1Packetizer};
use wren_media::codec::vp8::{Vp8Depacketizer, Vp8Packetizer};
use wren_media::codec::vp9::{Vp9Depacketizer, Vp9Packetizer};
use wren_media::codec::{Depacketizer, Packetizer};
use wren_media::file::ivf::{IvfCodec, IvfReader, IvfWriter};
use wren_media::file::ogg::{OggOpusReader, OggOpusWriter};
use wren_media::file::webm::{Track, VideoCodec, WebmWriter};

mod common;
use common::{
    decodes_cleanly, dir, encode_h264_access_units, encode_ivf, encode_opus, frames_decoded, probe,
};

/// Every frame of `input` through the packetizer (1,200-byte payloads) and depacketizer,
/// written to a new IVF; the frames and their count.
fn through_rtp(
    input: &Path,
    output: &Path,
    p: &mut dyn Packetizer,
    d: &mut dyn Depacketizer,
) -> (usize, IvfCodec) {
    let mut r = IvfReader::new(BufReader::new(File::open(input).unwrap())).unwrap();
    let header = *r.header();
    let mut w = IvfWriter::new(File::create(output).unwrap(), header).unwrap();
    let (mut frame, mut rebuilt) = (Vec::new(), Vec::new());
    let mut n = 0;
    while let Some(ts) = r.next_frame(&mut frame).unwrap() {
        rebuilt.clear();
        d.reset();
        let mut packets = 0;
        p.packetize(&frame, 1200, &mut |payload, _| {
            packets += 1;
            d.push(payload, &mut rebuilt).unwrap();
        })
        .unwrap();
        assert!(packets >= 1);
        w.write_frame(ts, &rebuilt).unwrap();
        n += 1;
    }
    w.finish().unwrap();
    (n, header.codec)
}

/// An encoder, its options, our packetizer and depacketizer, and the IVF codec.
type Case = (
    &'static str,
    &'static [&'static str],
    Box<dyn Packetizer>,
    Box<dyn Depacketizer>,
    IvfCodec,
);

#[test]
fn vp8_vp9_and_av1_from_ffmpeg_survive_our_packetizers_and_decode() {
    let d = dir("ivf");
    let cases: [Case; 3] = [
        (
            "libvpx",
            &["-b:v", "500k"],
            Box::new(Vp8Packetizer::new()),
            Box::new(Vp8Depacketizer::default()),
            IvfCodec::Vp8,
        ),
        (
            "libvpx-vp9",
            &["-b:v", "500k", "-deadline", "realtime", "-cpu-used", "8"],
            Box::new(Vp9Packetizer::new().with_resolution(320, 240)),
            Box::new(Vp9Depacketizer::default()),
            IvfCodec::Vp9,
        ),
        (
            "libaom-av1",
            &["-b:v", "300k", "-cpu-used", "8", "-usage", "realtime"],
            Box::new(Av1Packetizer::new()),
            Box::new(Av1Depacketizer::default()),
            IvfCodec::Av1,
        ),
    ];
    for (codec, extra, mut p, mut dp, want) in cases {
        let input = encode_ivf(&d, codec, extra);
        let expected = frames_decoded(&input, "v");
        let output = d.join(format!("{codec}-through-rtp.ivf"));
        let (n, got) = through_rtp(&input, &output, p.as_mut(), dp.as_mut());
        assert_eq!(got, want);
        assert_eq!(n as u64, expected, "{codec}: every frame read");
        decodes_cleanly(&output);
        assert_eq!(
            frames_decoded(&output, "v"),
            expected,
            "{codec}: every frame decoded"
        );
        println!("{codec}: {n} frames read, packetized, depacketized, written and decoded");
    }
}

#[test]
fn opus_from_ffmpeg_is_read_written_again_and_muxed_with_vp8_into_webm() {
    let d = dir("webm");
    let ogg = encode_opus(&d);
    let vp8 = encode_ivf(&d, "libvpx", &["-b:v", "500k"]);
    // Ogg: read every packet, write them again.
    let mut r = OggOpusReader::new(BufReader::new(File::open(&ogg).unwrap())).unwrap();
    let head = *r.head();
    let copy = d.join("copy.opus");
    let mut w = OggOpusWriter::new(File::create(&copy).unwrap(), head, 7).unwrap();
    let mut packets = Vec::new();
    let mut p = Vec::new();
    let (mut last_granule, mut samples) = (0, 0);
    while let Some(g) = r.next_packet(&mut p).unwrap() {
        w.write_packet(&p).unwrap();
        samples += u64::from(wren_media::file::ogg::opus_packet_samples(&p).unwrap());
        last_granule = g;
        packets.push(p.clone());
    }
    // ffmpeg trims the end (the last granule is below the packets' total): so do we.
    w.finish_trimmed(samples - last_granule).unwrap();
    decodes_cleanly(&copy);
    assert_eq!(frames_decoded(&copy, "a"), frames_decoded(&ogg, "a"));
    assert_eq!(
        probe(&copy, "format=duration"),
        probe(&ogg, "format=duration")
    );
    // WebM: VP8 frames at their times and the Opus packets every 20 ms, interleaved.
    let mut iv = IvfReader::new(BufReader::new(File::open(&vp8).unwrap())).unwrap();
    let h = *iv.header();
    let webm = d.join("call.webm");
    let tracks = vec![
        Track::Video {
            codec: VideoCodec::Vp8,
            width: h.width,
            height: h.height,
            codec_private: None,
        },
        Track::Opus(head),
    ];
    let mut w = WebmWriter::new(File::create(&webm).unwrap(), tracks).unwrap();
    let mut frame = Vec::new();
    let mut audio = packets.iter().enumerate().peekable();
    let mut video_frames = 0;
    while let Some(ts) = iv.next_frame(&mut frame).unwrap() {
        let at = Duration::from_secs_f64(
            ts as f64 * f64::from(h.timebase_num) / f64::from(h.timebase_den),
        );
        while let Some((i, a)) = audio.peek() {
            let a_at = Duration::from_millis(20 * *i as u64);
            if a_at > at {
                break;
            }
            w.write_frame(2, a_at, true, a).unwrap();
            audio.next();
        }
        let key = frame[0] & 1 == 0;
        w.write_frame(1, at, key, &frame).unwrap();
        video_frames += 1;
    }
    for (i, a) in audio {
        w.write_frame(2, Duration::from_millis(20 * i as u64), true, a)
            .unwrap();
    }
    w.finish().unwrap();
    decodes_cleanly(&webm);
    let codecs = probe(&webm, "stream=codec_name");
    assert_eq!(codecs.lines().collect::<Vec<_>>(), ["vp8", "opus"]);
    assert_eq!(frames_decoded(&webm, "v"), video_frames);
    let duration: f64 = probe(&webm, "format=duration").trim().parse().unwrap();
    assert!((duration - 2.0).abs() < 0.1, "duration {duration}");
    println!(
        "webm: {video_frames} VP8 frames and {} Opus packets, {duration} s",
        packets.len()
    );
}

#[test]
fn h264_from_ffmpeg_survives_our_packetizer_in_both_modes_and_decodes() {
    use wren_media::codec::h264::{H264Depacketizer, H264Packetizer, PacketizationMode};
    let d = dir("h264");
    let (input, units) = encode_h264_access_units(&d);
    let expected = frames_decoded(&input, "v");
    for (mode, max) in [
        (PacketizationMode::NonInterleaved, 1200),
        (PacketizationMode::SingleNal, 65_000),
    ] {
        let mut p = H264Packetizer::new(mode);
        let mut dp = H264Depacketizer::default();
        let mut out = Vec::new();
        let mut packets = 0;
        for au in &units {
            dp.reset();
            p.packetize(au, max, &mut |payload, _| {
                packets += 1;
                dp.push(payload, &mut out).unwrap();
            })
            .unwrap();
        }
        let output = d.join(format!("{mode:?}.h264"));
        std::fs::write(&output, &out).unwrap();
        decodes_cleanly(&output);
        assert_eq!(frames_decoded(&output, "v"), expected, "{mode:?}");
        println!(
            "h264 {mode:?}: {} access units in {packets} payloads, {expected} frames decoded",
            units.len()
        );
    }
}
