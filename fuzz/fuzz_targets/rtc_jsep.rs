//! One wren-rtc peer through arbitrary sequences of JSEP calls, with real descriptions
//! edited and arbitrary text; see `wren_rtc::fuzz::jsep`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    wren_rtc::fuzz::jsep(data);
});
