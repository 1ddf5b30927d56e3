//! Any bytes as a compound RTCP packet: framed, every packet typed and walked, written
//! back, and each written packet parsed again to the same values.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| wren_rtp::fuzz::rtcp_parse(data));
