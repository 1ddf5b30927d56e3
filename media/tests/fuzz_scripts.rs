//! The per-codec fuzz targets' entry points (`wren_media::fuzz::depacketize_<codec>`) on
//! scripts made from the browser captures in tests/fixtures/, whole and with packets lost,
//! reordered and repeated: their assertions hold on real traffic. With
//! `WREN_FUZZ_SEEDS=DIR` each script is also written to `DIR/media_depacketize_<codec>/`,
//! a seed corpus for `cargo fuzz run`.

mod common;

use std::path::Path;

use common::capture::Capture;
use wren_rtp::rtp::RtpPacket;

fn fixture(name: &str) -> Vec<Vec<u8>> {
    Capture::load(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
}

/// The packets at `order` (indices into `packets`) as a script of
/// `wren_media::fuzz::depacketize_codec`: a settings byte (NACK on), then per packet the
/// sequence step, the timestamp step in 960s, the marker, the length, a 4 ms time step and
/// the payload.
fn script(packets: &[Vec<u8>], order: &[usize]) -> Vec<u8> {
    let mut out = vec![1u8];
    let (mut seq, mut ts) = (None::<u16>, None::<u32>);
    for &i in order {
        let rtp = RtpPacket::parse(&packets[i]).expect("a captured packet parses as RTP");
        let step = seq.map_or(1, |s| rtp.sequence_number().wrapping_sub(s) as i16);
        let step = i8::try_from(step).expect("captures reorder by less than 128");
        let dt = ts.map_or(0, |t| rtp.timestamp().wrapping_sub(t) as i32);
        let units = u8::try_from(dt.unsigned_abs().div_ceil(960)).unwrap_or(u8::MAX);
        seq = Some(rtp.sequence_number());
        ts = Some(rtp.timestamp());
        let flags = u8::from(rtp.marker()) | if dt < 0 { 2 } else { 0 };
        let len = u16::try_from(rtp.payload().len()).expect("a payload under 64 KiB");
        out.extend_from_slice(&[step as u8, units, flags]);
        out.extend_from_slice(&len.to_be_bytes());
        out.push(1);
        out.extend_from_slice(rtp.payload());
    }
    out
}

/// The orders a capture is played in: as sent, every 7th lost, neighbours swapped every
/// 5, every 11th twice.
fn orders(n: usize) -> Vec<(&'static str, Vec<usize>)> {
    let all: Vec<usize> = (0..n).collect();
    let lost = all.iter().copied().filter(|i| i % 7 != 3).collect();
    let mut swapped = all.clone();
    for i in (0..n.saturating_sub(1)).step_by(5) {
        swapped.swap(i, i + 1);
    }
    let twice = all
        .iter()
        .flat_map(|&i| std::iter::repeat_n(i, if i % 11 == 0 { 2 } else { 1 }))
        .collect();
    vec![
        ("in-order", all),
        ("lost", lost),
        ("swapped", swapped),
        ("twice", twice),
    ]
}

/// A fuzz entry point.
type Entry = fn(&[u8]);

#[test]
fn the_per_codec_fuzz_entries_hold_their_assertions_on_browser_captures_with_loss_reordering_and_repeats()
 {
    let targets: [(&str, &str, Entry); 6] = [
        ("vp8", "chromium-vp8.rtp", wren_media::fuzz::depacketize_vp8),
        ("vp9", "chromium-vp9.rtp", wren_media::fuzz::depacketize_vp9),
        (
            "h264",
            "chromium-h264.rtp",
            wren_media::fuzz::depacketize_h264,
        ),
        ("av1", "chromium-av1.rtp", wren_media::fuzz::depacketize_av1),
        (
            "opus",
            "chromium-opus.rtp",
            wren_media::fuzz::depacketize_opus,
        ),
        // Any bytes are G.711 samples: Opus packets will do.
        (
            "g711",
            "firefox-opus.rtp",
            wren_media::fuzz::depacketize_g711,
        ),
    ];
    let seeds = std::env::var_os("WREN_FUZZ_SEEDS");
    for (codec, file, entry) in targets {
        let packets = fixture(file);
        assert!(packets.len() > 100, "{file}: {} packets", packets.len());
        for (name, order) in orders(packets.len()) {
            let data = script(&packets, &order);
            entry(&data);
            if let Some(dir) = &seeds {
                let d = Path::new(dir).join(format!("media_depacketize_{codec}"));
                std::fs::create_dir_all(&d).expect("the seed directory");
                std::fs::write(d.join(format!("{file}-{name}")), &data).expect("a seed");
            }
        }
    }
}
