//! What the tests against ffmpeg, ffprobe and GStreamer share: a scratch directory, the
//! programs run with their failures shown, and test media encoded by ffmpeg.
#![allow(dead_code)] // each test file uses a part

pub(crate) mod call;
pub(crate) mod capture;

use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) fn dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("wren-media-ffmpeg")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub(crate) fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e} (scripts/install-deps.sh installs ffmpeg)"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// ffmpeg decodes every stream of the whole file (each frame handed to a null sink with
/// its own timestamps in the demuxer's time base: `-fps_mode passthrough -enc_time_base -1`,
/// no rate conversion); anything it says at
/// level `error` fails the test.
pub(crate) fn decodes_cleanly(path: &Path) {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args([
            "-fps_mode",
            "passthrough",
            "-enc_time_base",
            "-1",
            "-f",
            "null",
            "-",
        ])
        .output()
        .unwrap();
    let errors = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && errors.trim().is_empty(),
        "{path:?}: {errors}"
    );
}

/// ffprobe's count of decoded frames in the file's first stream of `kind` (v or a).
pub(crate) fn frames_decoded(path: &Path, kind: &str) -> u64 {
    ffprobe_count(path, kind, "-count_frames", "stream=nb_read_frames")
}

/// ffprobe's count of packets (frames as the container has them, none decoded) in the
/// file's first stream of `kind` (v or a).
pub(crate) fn packets(path: &Path, kind: &str) -> u64 {
    ffprobe_count(path, kind, "-count_packets", "stream=nb_read_packets")
}

fn ffprobe_count(path: &Path, kind: &str, flag: &str, entry: &str) -> u64 {
    let p = path.to_str().unwrap();
    let out = run(
        "ffprobe",
        &[
            "-v",
            "error",
            flag,
            "-select_streams",
            &format!("{kind}:0"),
            "-show_entries",
            entry,
            "-of",
            "csv=p=0",
            p,
        ],
    );
    out.trim()
        .parse()
        .unwrap_or_else(|e| panic!("ffprobe {entry} of {p}: {e}: {out:?}"))
}

pub(crate) fn probe(path: &Path, entries: &str) -> String {
    run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-show_entries",
            entries,
            "-of",
            "csv=p=0",
            path.to_str().unwrap(),
        ],
    )
}

/// Encodes two seconds of ffmpeg's test pattern at 30 fps into an IVF.
pub(crate) fn encode_ivf(d: &Path, codec: &str, extra: &[&str]) -> PathBuf {
    encode_ivf_seconds(d, codec, extra, 2)
}

/// Encodes `seconds` of ffmpeg's test pattern (320x240) at 30 fps into an IVF, a
/// keyframe every 30 frames.
pub(crate) fn encode_ivf_seconds(d: &Path, codec: &str, extra: &[&str], seconds: u32) -> PathBuf {
    let out = d.join(format!("{codec}.ivf"));
    let source = format!("testsrc=size=320x240:rate=30:duration={seconds}");
    let mut args = vec![
        "-v", "error", "-y", "-f", "lavfi", "-i", &source, "-c:v", codec, "-g", "30",
    ];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["-f", "ivf", out.to_str().unwrap()]);
    run("ffmpeg", &args);
    out
}

/// Two seconds of a sine tone as Opus in Ogg, by ffmpeg.
pub(crate) fn encode_opus(d: &Path) -> PathBuf {
    encode_opus_seconds(d, 2)
}

/// `seconds` of a 440 Hz sine tone as Opus (48 kbit/s, 20 ms packets) in Ogg, by ffmpeg.
pub(crate) fn encode_opus_seconds(d: &Path, seconds: u32) -> PathBuf {
    let ogg = d.join("in.opus");
    let source = format!("sine=frequency=440:duration={seconds}");
    run(
        "ffmpeg",
        &[
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            &source,
            "-c:a",
            "libopus",
            "-b:a",
            "48k",
            "-f",
            "ogg",
            ogg.to_str().unwrap(),
        ],
    );
    ogg
}

/// Two seconds of the test pattern as H.264 (Baseline, an access unit delimiter before
/// each picture), by ffmpeg with libx264, cut into access units (Annex B each).
pub(crate) fn encode_h264_access_units(d: &Path) -> (PathBuf, Vec<Vec<u8>>) {
    use wren_media::codec::h264::nal_units;
    let input = d.join("in.h264");
    run(
        "ffmpeg",
        &[
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=30:duration=2",
            "-pix_fmt",
            "yuv420p",
            "-c:v",
            "libx264",
            "-profile:v",
            "baseline",
            "-g",
            "30",
            "-x264-params",
            "aud=1",
            "-f",
            "h264",
            input.to_str().unwrap(),
        ],
    );
    let stream = std::fs::read(&input).unwrap();
    let mut units: Vec<Vec<u8>> = Vec::new();
    for nal in nal_units(&stream) {
        if nal[0] & 0x1f == 9 || units.is_empty() {
            units.push(Vec::new());
        }
        if let Some(au) = units.last_mut() {
            au.extend_from_slice(&[0, 0, 0, 1]);
            au.extend_from_slice(nal);
        }
    }
    (input, units)
}
