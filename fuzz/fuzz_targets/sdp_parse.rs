//! Any bytes as an SDP: a text that parses must write back byte for byte, and its
//! canonical form must parse back to the same meaning.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| wren_sdp::fuzz::sdp_parse(data));
