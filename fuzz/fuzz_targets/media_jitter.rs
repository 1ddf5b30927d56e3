//! wren-media's jitter buffer fed scripts of packets and time; see
//! `wren_media::fuzz::jitter`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| wren_media::fuzz::jitter(data));
