//! Any text as an RFC 8839 candidate line; what parses must write back to the same
//! candidate (with or without `a=`), and writing must be a fixed point.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| wren_ice::fuzz::candidate(data));
