//! Any text as an offer to the JSEP answerer (default capabilities): it must never panic,
//! must answer every section once, and its answer must parse back.
#![no_main]
use wren_sdp::jsep::{Capabilities, IceCredentials, Local, Transport, answer};
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let limits = wren_sdp::Limits { max_size: 16 * 1024, max_lines: 256, max_line_len: 1024, max_media: 8 };
    let Ok(offer) = wren_sdp::Session::parse_with(text, &limits) else { return };
    let (caps, ice) = (Capabilities::default(), IceCredentials { ufrag: "fuzz".into(), pwd: "fuzz-password-0123456789".into() });
    let a = answer(&offer, &Local::new(&caps, &Transport::new(ice, Vec::new()), 1));
    assert_eq!(a.session.media().len(), offer.media().len());
    assert_eq!(wren_sdp::Session::parse(&a.to_sdp()).expect("the answer parses"), a.session);
});
