//! wren-media's congestion controller fed scripts of sent packets, feedback (RTCP bytes
//! or built from the script), time, REMB, RTT and probe requests; see
//! `wren_media::fuzz::gcc`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| wren_media::fuzz::gcc(data));
