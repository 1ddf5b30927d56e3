//! wren-media's pacer fed scripts of packets, rates, probe clusters and time; see
//! `wren_media::fuzz::pacer`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| wren_media::fuzz::pacer(data));
