//! Two wren-media peers in frame mode, negotiated and connected on wren-netsim, fed
//! arbitrary frames, RTP and RTCP past SRTP, datagrams, waits and closes; see
//! `wren_media::peer::fuzz`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    wren_media::peer::fuzz::media_peer(data);
});
