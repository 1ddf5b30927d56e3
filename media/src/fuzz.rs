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
