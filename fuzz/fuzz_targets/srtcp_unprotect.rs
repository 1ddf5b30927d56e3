//! Any bytes as SRTCP packets into an inbound context (a byte picks the profile), and
//! each as RTCP through protect and back, which must give it back unchanged.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| wren_srtp::fuzz::srtcp_unprotect(data));
