//! wren-media's depacketizers (VP8, VP9, AV1, H.264, Opus, G.711) and keyframe checks fed
//! arbitrary payloads; see `wren_media::fuzz::depacketize`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| wren_media::fuzz::depacketize(data));
