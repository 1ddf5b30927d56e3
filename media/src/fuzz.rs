//! Entry points for the fuzz targets in `fuzz/` (not a public API).

use crate::codec::av1::{Av1Depacketizer, is_keyframe as av1_key};
use crate::codec::h264::{H264Depacketizer, is_keyframe as h264_key};
use crate::codec::vp8::{Vp8Depacketizer, is_keyframe as vp8_key};
use crate::codec::vp9::{Vp9Depacketizer, is_keyframe as vp9_key};
use crate::codec::{Depacketizer, MAX_FRAME, g711, opus};

/// `media_depacketize`: the first byte picks the codec, the rest is cut into payloads at
/// each `0xff 0xfe` pair; each payload goes to the depacketizer and the keyframe check.
/// Must never panic, and a frame never grows past [`MAX_FRAME`].
pub fn depacketize(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let mut d: Box<dyn Depacketizer> = match which % 6 {
        0 => Box::new(Vp8Depacketizer::default()),
        1 => Box::new(H264Depacketizer::default()),
        2 => Box::new(opus::OpusDepacketizer),
        3 => Box::new(Vp9Depacketizer::default()),
        4 => Box::new(Av1Depacketizer::default()),
        _ => Box::new(g711::G711Depacketizer),
    };
    let mut frame = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i <= rest.len() {
        let cut = i == rest.len() || (rest[i] == 0xff && rest.get(i + 1) == Some(&0xfe));
        if cut {
            let payload = &rest[start..i];
            let _ = vp8_key(payload)
                | vp9_key(payload)
                | h264_key(payload)
                | av1_key(payload)
                | d.is_frame_start(payload);
            if d.push(payload, &mut frame).is_err() {
                d.reset();
            }
            assert!(frame.len() <= MAX_FRAME);
            start = i + 2;
            i += 2;
        } else {
            i += 1;
        }
    }
}

/// `media_jitter`: a VP8 jitter buffer fed a script of packets (6 bytes each: sequence
/// number, timestamp step, marker and frame-start flags, payload length, time step) and
/// polled after each. Must never panic, spin (a due deadline clears) or hand out a
/// frame larger than what was put in.
pub fn jitter(data: &[u8]) {
    use crate::jitter::{JitterBuffer, JitterConfig};
    use std::time::{Duration, Instant};
    #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
    let mut now = Instant::now();
    let config = JitterConfig {
        capacity: 64,
        max_missing: 16,
        ..JitterConfig::default()
    };
    let mut jb = JitterBuffer::new(config, Vp8Depacketizer::default());
    let mut frame = Vec::new();
    let mut nacks = Vec::new();
    let mut payload = [0u8; 64];
    let mut put_in = 0usize;
    for op in data.chunks_exact(6) {
        let seq = u16::from_be_bytes([op[0], op[1]]);
        let ts = u32::from(op[2]) * 3000;
        let flags = op[3];
        let len = usize::from(op[4] % 64).max(2);
        // A VP8 descriptor: S when flags say so, and a keyframe bit.
        payload[0] = if flags & 1 != 0 { 0x10 } else { 0x00 };
        payload[1] = flags >> 2;
        jb.insert(now, seq, ts, flags & 2 != 0, &payload[..len]);
        put_in += len;
        now += Duration::from_millis(u64::from(op[5]) * 4);
        if jb.poll_timeout().is_some_and(|t| t <= now) {
            jb.handle_timeout(now);
            nacks.clear();
            jb.poll_nacks(now, &mut nacks);
        }
        while jb.poll_frame(now, &mut frame).is_some() {
            assert!(frame.len() <= put_in);
        }
        while jb.poll_event().is_some() {}
        if let Some(t) = jb.poll_timeout()
            && t <= now
        {
            jb.handle_timeout(now);
            nacks.clear();
            jb.poll_nacks(now, &mut nacks);
            while jb.poll_frame(now, &mut frame).is_some() {}
            assert!(
                jb.poll_timeout().is_none_or(|t| t > now),
                "a deadline stays due"
            );
        }
    }
}

/// `media_files`: arbitrary bytes as an IVF file and as an Ogg Opus file, every frame and
/// packet read to the end. Must never panic; a read error ends the file.
pub fn files(data: &[u8]) {
    use crate::file::ivf::IvfReader;
    use crate::file::ogg::OggOpusReader;
    let mut buf = Vec::new();
    if let Ok(mut r) = IvfReader::new(data) {
        while let Ok(Some(_)) = r.next_frame(&mut buf) {}
    }
    if let Ok(mut r) = OggOpusReader::new(data) {
        while let Ok(Some(_)) = r.next_packet(&mut buf) {}
    }
}
