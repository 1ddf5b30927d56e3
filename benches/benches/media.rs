//! Packetize and depacketize per codec: wren-media beside webrtc-rs's codecs in
//! `rtc-rtp` 0.21 (the sans-IO stack's) and `rtp` 0.17 (the async stack's), on the same
//! input: what headless Chromium sent (wren-media's `tests/fixtures/`, four seconds of its
//! fake camera in VP8, VP9, H.264 and AV1, and its Opus).
//!
//! - `packetize_<codec>`: every frame of the capture (rebuilt by our depacketizer) cut
//!   into payloads of at most 1,200 bytes; each row sums the payload bytes.
//! - `depacketize_<codec>`: every frame's RTP payloads as Chromium sent them, put back
//!   together into one frame buffer; each row returns the frame bytes. (Neither
//!   webrtc-rs crate has an AV1 depacketizer: that row is ours alone.)
//!
//! A second table gives the bytes of frames each depacketizer rebuilt from the same
//! payloads. webrtc-rs's VP9 depacketizer (`Vp9Packet` in both crates) pushes each
//! payload's P_DIFFs onto a `Vec` it never clears, so from the third inter-predicted
//! payload on it refuses every one (`ErrTooManyPDiff`): on Chromium's flexible-mode VP9 it
//! rebuilds about 4% of the bytes, and its VP9 depacketize rows time mostly refusals.
//!
//! str0m 0.25 is not in the table: its packetizers live in a private module (`mod packet`
//! in its lib.rs) and are reachable only through a whole `Rtc` in frame mode, which
//! `benches/frame.rs` puts beside a whole wren-media `MediaPeer`.
//!
//! `cargo bench -p wren-benches --bench media` prints the medians per frame and the ratios
//! and writes them to `<target>/media.md`.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use bytes::Bytes;
use criterion::Criterion;
use wren_benches::criterion_report::{median, publish};
use wren_media::codec::av1::{Av1Depacketizer, Av1Packetizer};
use wren_media::codec::h264::{H264Depacketizer, H264Packetizer, PacketizationMode};
use wren_media::codec::opus::{OpusDepacketizer, OpusPacketizer};
use wren_media::codec::vp8::{Vp8Depacketizer, Vp8Packetizer};
use wren_media::codec::vp9::{Vp9Depacketizer, Vp9Packetizer};
use wren_media::codec::{Depacketizer, Packetizer};
use wren_media::jitter::{JitterBuffer, JitterConfig};
use wren_rtp::rtp::RtpPacket;

const MTU: usize = 1200;

/// The codecs, their fixture files.
const CODECS: [(&str, &str); 5] = [
    ("vp8", "chromium-vp8.rtp"),
    ("vp9", "chromium-vp9.rtp"),
    ("h264", "chromium-h264.rtp"),
    ("av1", "chromium-av1.rtp"),
    ("opus", "chromium-opus.rtp"),
];

fn ours(codec: &str) -> Box<dyn Depacketizer> {
    match codec {
        "vp8" => Box::new(Vp8Depacketizer::default()),
        "vp9" => Box::new(Vp9Depacketizer::default()),
        "h264" => Box::new(H264Depacketizer::default()),
        "av1" => Box::new(Av1Depacketizer::default()),
        _ => Box::new(OpusDepacketizer),
    }
}

/// Each frame of a capture: its payloads as sent, and the frame our depacketizer made.
fn capture(codec: &str, file: &str) -> Vec<(Vec<Bytes>, Vec<u8>)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../media/tests/fixtures")
        .join(file);
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut packets = Vec::new();
    let mut at = 0;
    while at + 4 <= data.len() {
        let n = u32::from_be_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]) as usize;
        packets.push(data[at + 4..at + 4 + n].to_vec());
        at += 4 + n;
    }
    // Frames by our jitter buffer; their payloads by sequence number.
    let now = Instant::now();
    let mut jb = JitterBuffer::new(JitterConfig::default(), ours(codec));
    let mut by_seq = std::collections::BTreeMap::new();
    let mut out = Vec::new();
    let mut f = Vec::new();
    for p in &packets {
        let rtp = RtpPacket::parse(p).expect("RTP");
        by_seq.insert(rtp.sequence_number(), Bytes::copy_from_slice(rtp.payload()));
        jb.insert(
            now,
            rtp.sequence_number(),
            rtp.timestamp(),
            rtp.marker(),
            rtp.payload(),
        );
        while let Some(info) = jb.poll_frame(now, &mut f) {
            let payloads = (0..info.packets)
                .map(|k| by_seq[&info.first_seq.wrapping_add(k)].clone())
                .collect();
            out.push((payloads, f.clone()));
        }
    }
    assert!(out.len() > 50, "{file}: {} frames", out.len());
    out
}

fn wren_packetize(p: &mut dyn Packetizer, frames: &[(Vec<Bytes>, Vec<u8>)]) -> usize {
    let mut total = 0;
    for (_, f) in frames {
        p.packetize(f, MTU, &mut |pl, _| total += pl.len())
            .expect("packetize");
    }
    total
}

fn wren_depacketize(
    d: &mut dyn Depacketizer,
    frames: &[(Vec<Bytes>, Vec<u8>)],
    buf: &mut Vec<u8>,
) -> usize {
    let mut total = 0;
    for (payloads, _) in frames {
        buf.clear();
        d.reset();
        for p in payloads {
            d.push(p, buf).expect("depacketize");
        }
        total += buf.len();
    }
    total
}

macro_rules! webrtc_rows {
    ($krate:ident, $payloader:ident, $packet:ident) => {
        mod $payloader {
            use super::*;
            use $krate::packetizer::{Depacketizer as _, Payloader as _};

            pub(super) fn packetize(codec: &str, frames: &[(Vec<Bytes>, Vec<u8>)]) -> usize {
                let mut total = 0;
                let mut run = |p: &mut dyn FnMut(&Bytes) -> Vec<Bytes>| {
                    for (_, f) in frames {
                        let f = Bytes::copy_from_slice(f);
                        total += p(&f).iter().map(Bytes::len).sum::<usize>();
                    }
                };
                match codec {
                    "vp8" => {
                        let mut p = $krate::$packet::vp8::Vp8Payloader::default();
                        run(&mut |f| p.payload(MTU, f).expect("payload"))
                    }
                    "vp9" => {
                        let mut p = $krate::$packet::vp9::Vp9Payloader::default();
                        run(&mut |f| p.payload(MTU, f).expect("payload"))
                    }
                    "h264" => {
                        let mut p = $krate::$packet::h264::H264Payloader::default();
                        run(&mut |f| p.payload(MTU, f).expect("payload"))
                    }
                    "av1" => {
                        let mut p = $krate::$packet::av1::Av1Payloader {};
                        run(&mut |f| p.payload(MTU, f).expect("payload"))
                    }
                    _ => {
                        let mut p = $krate::$packet::opus::OpusPayloader;
                        run(&mut |f| p.payload(MTU, f).expect("payload"))
                    }
                }
                total
            }

            /// `None`: no depacketizer for the codec.
            pub(super) fn depacketize(
                codec: &str,
                frames: &[(Vec<Bytes>, Vec<u8>)],
                buf: &mut Vec<u8>,
            ) -> Option<usize> {
                let mut total = 0;
                let mut run = |d: &mut dyn FnMut(&Bytes) -> Bytes| {
                    for (payloads, _) in frames {
                        buf.clear();
                        for p in payloads {
                            buf.extend_from_slice(&d(p));
                        }
                        total += buf.len();
                    }
                };
                match codec {
                    "vp8" => {
                        let mut d = $krate::$packet::vp8::Vp8Packet::default();
                        run(&mut |p| d.depacketize(p).unwrap_or_default())
                    }
                    "vp9" => {
                        let mut d = $krate::$packet::vp9::Vp9Packet::default();
                        run(&mut |p| d.depacketize(p).unwrap_or_default())
                    }
                    "h264" => {
                        let mut d = $krate::$packet::h264::H264Packet::default();
                        run(&mut |p| d.depacketize(p).unwrap_or_default())
                    }
                    "opus" => {
                        let mut d = $krate::$packet::opus::OpusPacket;
                        run(&mut |p| d.depacketize(p).unwrap_or_default())
                    }
                    _ => return None,
                }
                Some(total)
            }
        }
    };
}

webrtc_rows!(rtc_rtp, rtc_rows, codec);
webrtc_rows!(rtp, webrtc_rows_async, codecs);

fn packetizer(codec: &str) -> Box<dyn Packetizer> {
    match codec {
        "vp8" => Box::new(Vp8Packetizer::new()),
        "vp9" => Box::new(Vp9Packetizer::new()),
        "h264" => Box::new(H264Packetizer::new(PacketizationMode::NonInterleaved)),
        "av1" => Box::new(Av1Packetizer::new()),
        _ => Box::new(OpusPacketizer),
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let mut counts = Vec::new();
    // Per codec: the bytes of the frames our depacketizer rebuilt, and of what each
    // webrtc-rs crate's depacketizer gave for the same payloads (a row that rebuilds less
    // did less work: its ratio does not compare like with like).
    let mut rebuilt: Vec<(&str, usize, Option<usize>, Option<usize>)> = Vec::new();
    for (codec, file) in CODECS {
        let frames = capture(codec, file);
        counts.push((codec, frames.len()));
        let mut g = c.benchmark_group(format!("packetize_{codec}"));
        let mut p = packetizer(codec);
        g.bench_function("wren-media", |b| {
            b.iter(|| wren_packetize(p.as_mut(), black_box(&frames)))
        });
        g.bench_function("rtc-rtp", |b| {
            b.iter(|| rtc_rows::packetize(codec, black_box(&frames)))
        });
        g.bench_function("rtp", |b| {
            b.iter(|| webrtc_rows_async::packetize(codec, black_box(&frames)))
        });
        g.finish();
        let mut g = c.benchmark_group(format!("depacketize_{codec}"));
        let mut d = ours(codec);
        let mut buf = Vec::with_capacity(1 << 20);
        let want: usize = frames.iter().map(|(_, f)| f.len()).sum();
        assert_eq!(wren_depacketize(d.as_mut(), &frames, &mut buf), want);
        rebuilt.push((
            codec,
            want,
            rtc_rows::depacketize(codec, &frames, &mut buf),
            webrtc_rows_async::depacketize(codec, &frames, &mut buf),
        ));
        g.bench_function("wren-media", |b| {
            b.iter(|| wren_depacketize(d.as_mut(), black_box(&frames), &mut buf))
        });
        if rtc_rows::depacketize(codec, &frames, &mut buf).is_some() {
            g.bench_function("rtc-rtp", |b| {
                b.iter(|| rtc_rows::depacketize(codec, black_box(&frames), &mut buf))
            });
            g.bench_function("rtp", |b| {
                b.iter(|| webrtc_rows_async::depacketize(codec, black_box(&frames), &mut buf))
            });
        }
        g.finish();
    }
    c.final_summary();
    publish("media.md", |target| {
        let mut out = String::from(
            "# Packetize and depacketize per codec (what Chromium sent)\n\n\
             Medians of this run (criterion), ns per frame. Ratio: the faster webrtc-rs \
             crate's median / wren-media's.\n\n\
             | step | codec | frames | wren-media | rtc-rtp 0.21 | rtp 0.17 | ratio |\n\
             | --- | --- | --- | --- | --- | --- | --- |\n",
        );
        for (codec, n) in &counts {
            for step in ["packetize", "depacketize"] {
                let group = format!("{step}_{codec}");
                let per = |f: &str| median(target, &group, f).map(|ns| ns / *n as f64);
                let (w, a, b) = (per("wren-media"), per("rtc-rtp"), per("rtp"));
                let cell = |x: Option<f64>| x.map_or_else(|| "-".into(), |ns| format!("{ns:.0}"));
                let fastest = match (a, b) {
                    (Some(x), Some(y)) => Some(x.min(y)),
                    (x, y) => x.or(y),
                };
                let ratio = match (fastest, w) {
                    (Some(f), Some(w)) => format!("{:.1}x", f / w),
                    _ => "-".into(),
                };
                out.push_str(&format!(
                    "| {step} | {codec} | {n} | {} | {} | {} | {ratio} |\n",
                    cell(w),
                    cell(a),
                    cell(b)
                ));
            }
        }
        out.push_str(
            "\nBytes of frames rebuilt from the same payloads (wren-media's are the frames \
             ffmpeg decodes in wren-media's tests/fixtures.rs):\n\n\
             | codec | wren-media | rtc-rtp 0.21 | rtp 0.17 |\n| --- | --- | --- | --- |\n",
        );
        for (codec, ours, a, b) in &rebuilt {
            let cell = |x: &Option<usize>| x.map_or_else(|| "-".into(), |n| n.to_string());
            out.push_str(&format!(
                "| {codec} | {ours} | {} | {} |\n",
                cell(a),
                cell(b)
            ));
        }
        out
    });
}
