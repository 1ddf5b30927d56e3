//! Any text as an offer to the JSEP answerer (default capabilities): it must never panic,
//! must answer every section once, and its answer must parse back.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| wren_sdp::jsep::fuzz::jsep_answer(data));
