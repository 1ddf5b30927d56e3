//! RTP mode's media part (send history, receive statistics, NACK, RTX, TWCC, reports)
//! fed a script of arbitrary RTP and RTCP received, RTP sent and time steps.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| wren_rtc::fuzz::rtc_media(data));
