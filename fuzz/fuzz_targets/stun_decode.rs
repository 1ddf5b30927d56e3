//! Any bytes: parse, walk and decode every attribute, verify, re-encode.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| wren_stun::fuzz::decode(data));
