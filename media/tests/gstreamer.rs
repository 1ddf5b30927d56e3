//! Our packetizers' RTP, depacketized and decoded by GStreamer (Debian's plugins:
//! rtpvp8depay, rtpvp9depay, rtph264depay, rtpopusdepay with vp8dec, vp9dec, avdec_h264
//! and opusdec, driven from Debian's Python bindings by tests/gstreamer/depay.py): every
//! frame ffmpeg encoded comes out of GStreamer's decoder. Debian 12 has no rtpav1depay:
//! it comes from gst-plugins-rs (`gst-plugin-rtp`), which scripts/install-deps.sh builds
//! from scripts/gst-av1 into a cache outside the repository ([`av1_plugin_dir`]), with
//! Debian's av1dec (libaom) as the decoder.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::Command;

use wren_media::codec::Packetizer;
use wren_media::codec::av1::Av1Packetizer;
use wren_media::codec::h264::{H264Packetizer, PacketizationMode};
use wren_media::codec::opus::OpusPacketizer;
use wren_media::codec::vp8::Vp8Packetizer;
use wren_media::codec::vp9::Vp9Packetizer;
use wren_media::file::ivf::IvfReader;
use wren_media::file::ogg::{OggOpusReader, opus_packet_samples};

mod common;
use common::{dir, encode_h264_access_units, encode_ivf, encode_opus, frames_decoded};

/// RTP packets (a 12-byte header: PT, sequence, timestamp, SSRC, marker on each frame's
/// last) of `frames` packetized, each behind its 4-byte length.
fn rtp_file(
    path: &Path,
    p: &mut dyn Packetizer,
    frames: &[(u32, Vec<u8>)],
    pt: u8,
    max: usize,
) -> usize {
    let mut out = Vec::new();
    let mut seq = 4000u16;
    let mut n = 0;
    for (ts, frame) in frames {
        p.packetize(frame, max, &mut |payload, last| {
            let mut h = vec![0x80, pt | if last { 0x80 } else { 0 }];
            h.extend_from_slice(&seq.to_be_bytes());
            h.extend_from_slice(&ts.to_be_bytes());
            h.extend_from_slice(&0x5752_454eu32.to_be_bytes());
            out.extend_from_slice(&((h.len() + payload.len()) as u32).to_be_bytes());
            out.extend_from_slice(&h);
            out.extend_from_slice(payload);
            seq = seq.wrapping_add(1);
            n += 1;
        })
        .unwrap();
    }
    std::fs::write(path, out).unwrap();
    n
}

/// GStreamer's count of decoded buffers, after checking it reported no error.
fn gstreamer_decodes(packets: &Path, caps: &str, depay: &str, decoder: &str) -> u64 {
    gstreamer_decodes_with(&[], packets, caps, depay, decoder)
}

/// [`gstreamer_decodes`] with more environment for depay.py (GST_PLUGIN_PATH, ...).
fn gstreamer_decodes_with(
    env: &[(&str, &Path)],
    packets: &Path,
    caps: &str,
    depay: &str,
    decoder: &str,
) -> u64 {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/gstreamer/depay.py");
    let out = Command::new("/usr/bin/python3")
        .arg(&script)
        .arg(packets)
        .args([caps, depay, decoder])
        .envs(env.iter().copied())
        .output()
        .expect("/usr/bin/python3 (scripts/install-deps.sh installs GStreamer and its bindings)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "depay.py failed: {}{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(
        v["errors"],
        serde_json::json!([]),
        "{depay} ! {decoder}: {v}"
    );
    v["decoded"].as_u64().unwrap()
}

fn ivf_frames(path: &Path) -> Vec<(u32, Vec<u8>)> {
    let mut r = IvfReader::new(BufReader::new(File::open(path).unwrap())).unwrap();
    let h = *r.header();
    let mut frames = Vec::new();
    let mut f = Vec::new();
    while let Some(ts) = r.next_frame(&mut f).unwrap() {
        // To the 90 kHz RTP clock.
        let rtp = ts * 90_000 * u64::from(h.timebase_num) / u64::from(h.timebase_den);
        frames.push((rtp as u32, f.clone()));
    }
    frames
}

#[test]
fn gstreamer_decodes_every_vp8_and_vp9_frame_of_our_rtp() {
    let d = dir("gst-vp");
    for (encoder, name, depay, decoder) in [
        ("libvpx", "VP8", "rtpvp8depay", "vp8dec"),
        ("libvpx-vp9", "VP9", "rtpvp9depay", "vp9dec"),
    ] {
        let extra: &[&str] = if name == "VP9" {
            &["-b:v", "500k", "-deadline", "realtime", "-cpu-used", "8"]
        } else {
            &["-b:v", "500k"]
        };
        let ivf = encode_ivf(&d, encoder, extra);
        let frames = ivf_frames(&ivf);
        let expected = frames_decoded(&ivf, "v");
        let mut p: Box<dyn Packetizer> = if name == "VP8" {
            Box::new(Vp8Packetizer::new())
        } else {
            Box::new(Vp9Packetizer::new().with_resolution(320, 240))
        };
        let rtp = d.join(format!("{name}.rtp"));
        let packets = rtp_file(&rtp, p.as_mut(), &frames, 96, 1200);
        let caps = format!(
            "application/x-rtp,media=video,clock-rate=90000,encoding-name={name},payload=96"
        );
        let decoded = gstreamer_decodes(&rtp, &caps, depay, decoder);
        println!(
            "{name}: {} frames in {packets} RTP packets, {decoded} decoded by GStreamer",
            frames.len()
        );
        assert_eq!(decoded, expected, "{name}");
    }
}

#[test]
fn gstreamer_decodes_every_h264_access_unit_of_our_rtp_in_both_modes() {
    let d = dir("gst-h264");
    let (input, units) = encode_h264_access_units(&d);
    let expected = frames_decoded(&input, "v");
    let frames: Vec<(u32, Vec<u8>)> = units
        .into_iter()
        .enumerate()
        .map(|(i, au)| (3000 * i as u32, au))
        .collect();
    // Mode 0 cannot fragment: its NAL units go whole (up to 64 KiB).
    for (mode, m, max) in [
        (PacketizationMode::NonInterleaved, 1, 1200),
        (PacketizationMode::SingleNal, 0, 65_000),
    ] {
        let rtp = d.join(format!("h264-{m}.rtp"));
        let packets = rtp_file(&rtp, &mut H264Packetizer::new(mode), &frames, 102, max);
        let caps = format!(
            "application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=102,packetization-mode=(string){m}"
        );
        let decoded = gstreamer_decodes(&rtp, &caps, "rtph264depay", "avdec_h264");
        println!(
            "H.264 mode {m}: {} access units in {packets} RTP packets, {decoded} decoded",
            frames.len()
        );
        assert_eq!(decoded, expected, "mode {m}");
    }
}

#[test]
fn gstreamer_decodes_every_opus_packet_of_our_rtp() {
    let d = dir("gst-opus");
    let ogg = encode_opus(&d);
    let mut r = OggOpusReader::new(BufReader::new(File::open(&ogg).unwrap())).unwrap();
    let mut frames = Vec::new();
    let (mut p, mut ts) = (Vec::new(), 0u32);
    while r.next_packet(&mut p).unwrap().is_some() {
        frames.push((ts, p.clone()));
        ts += opus_packet_samples(&p).unwrap();
    }
    let rtp = d.join("opus.rtp");
    let packets = rtp_file(&rtp, &mut OpusPacketizer, &frames, 111, 1200);
    let caps = "application/x-rtp,media=audio,clock-rate=48000,encoding-name=OPUS,payload=111";
    let decoded = gstreamer_decodes(&rtp, caps, "rtpopusdepay", "opusdec");
    println!("Opus: {packets} RTP packets, {decoded} decoded by GStreamer");
    assert_eq!(decoded, frames.len() as u64);
}

/// Where scripts/install-deps.sh puts gst-plugins-rs's RTP plugin (`libgstrsrtp.so`, which
/// has rtpav1depay) and a GStreamer registry of its own: `wren/gst-plugin-rtp` in
/// `$XDG_CACHE_HOME` (`$HOME/.cache` when unset). Fails naming what is missing.
fn av1_plugin_dir() -> (PathBuf, PathBuf) {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
        .expect("neither XDG_CACHE_HOME nor HOME is set: cannot find the rtpav1depay plugin");
    let root = cache.join("wren/gst-plugin-rtp");
    let plugin = root.join("plugin");
    assert!(
        plugin.join("libgstrsrtp.so").is_file(),
        "GStreamer's rtpav1depay is missing: no {} (gst-plugins-rs's gst-plugin-rtp; \
         scripts/install-deps.sh builds it from scripts/gst-av1)",
        plugin.join("libgstrsrtp.so").display()
    );
    (plugin, root.join("registry.bin"))
}

#[test]
fn gstreamer_rtpav1depay_decodes_every_av1_frame_of_our_rtp() {
    let (plugin, registry) = av1_plugin_dir();
    let d = dir("gst-av1");
    let ivf = encode_ivf(
        &d,
        "libaom-av1",
        &["-b:v", "300k", "-cpu-used", "8", "-usage", "realtime"],
    );
    let frames = ivf_frames(&ivf);
    let expected = frames_decoded(&ivf, "v");
    let rtp = d.join("AV1.rtp");
    let packets = rtp_file(&rtp, &mut Av1Packetizer::new(), &frames, 96, 1200);
    let caps = "application/x-rtp,media=video,clock-rate=90000,encoding-name=AV1,payload=96";
    let env = [
        ("GST_PLUGIN_PATH", plugin.as_path()),
        ("GST_REGISTRY", registry.as_path()),
    ];
    // rtpav1depay hands out single OBUs (alignment=obu); av1parse joins them into the
    // temporal units av1dec decodes.
    let decoded = gstreamer_decodes_with(&env, &rtp, caps, "rtpav1depay", "av1parse ! av1dec");
    println!(
        "AV1: {} frames in {packets} RTP packets, {decoded} decoded by GStreamer (rtpav1depay from {})",
        frames.len(),
        plugin.display()
    );
    assert_eq!(decoded, expected);
}
