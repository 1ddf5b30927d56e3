//! Entry point for the `jsep_answer` fuzz target in `fuzz/` (not a public API).

use super::{Capabilities, IceCredentials, Local, Transport, answer};
use crate::Session;

/// Parses `data` (if UTF-8) under small limits as an offer and answers it with the default
/// capabilities: every section must be answered once, and the answer must parse back to
/// the same model. Must never panic.
pub fn jsep_answer(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(offer) = Session::parse_with(text, &crate::fuzz::LIMITS) else {
        return;
    };
    let caps = Capabilities::default();
    let ice = IceCredentials {
        ufrag: "fuzz".into(),
        pwd: "fuzz-password-0123456789".into(),
    };
    let transport = Transport::new(ice, Vec::new());
    let a = answer(&offer, &Local::new(&caps, &transport, 1));
    assert_eq!(a.session.media().len(), offer.media().len());
    let written = a.to_sdp();
    let back = Session::parse(&written).expect("the answer parses");
    assert_eq!(back, a.session, "the answer parses back to another model");
}
