//! wren-media's IVF and Ogg Opus readers fed arbitrary files; see
//! `wren_media::fuzz::files`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| wren_media::fuzz::files(data));
