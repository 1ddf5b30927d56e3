//! Any bytes as a client's signaling message: parsed, and delivered under the server's
//! sender id when it parses.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| wren_signal::fuzz::message(data));
