//! Any bytes as SRTP packets into an inbound context (a byte picks the profile), and each
//! as RTP through protect and back, which must give it back unchanged.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| wren_srtp::fuzz::srtp_unprotect(data));
