//! Any bytes as an RTP packet: parsed, every field and extension read, written back from
//! its values, reparsed, and rewritten in place.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| wren_rtp::fuzz::rtp_parse(data));
