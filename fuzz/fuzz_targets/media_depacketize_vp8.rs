//! wren-media's VP8 depacketizer alone and in a jitter buffer, fed scripts of packets; see
//! `wren_media::fuzz::depacketize_codec`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| wren_media::fuzz::depacketize_vp8(data));
