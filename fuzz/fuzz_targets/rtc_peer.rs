//! Two connected wren-rtc peers fed arbitrary datagrams (STUN, DTLS, SRTP, SRTCP,
//! ChannelData, other), tampered SRTP and SRTCP, time steps and closes; see
//! `wren_rtc::fuzz::connected` for the invariants checked.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    wren_rtc::fuzz::connected(data);
});
