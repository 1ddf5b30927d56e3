//! wren-media's AV1 dependency descriptor reader fed arbitrary descriptors in a row; see
//! `wren_media::fuzz::dependency_descriptor`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| wren_media::fuzz::dependency_descriptor(data));
