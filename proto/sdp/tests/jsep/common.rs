//! Shared by the jsep tests: the corpus, our transport parameters, answering with the
//! default capabilities, and the parse-back check every produced description passes.

#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;

use wren_sdp::Session;
use wren_sdp::attribute::{Fingerprint, HashFunction};
use wren_sdp::jsep::{self, Answer, Capabilities, IceCredentials, Local, Transport};

pub fn load(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(name);
    std::fs::read_to_string(p).expect("corpus file")
}

pub fn ice(ufrag: &str) -> IceCredentials {
    IceCredentials {
        ufrag: ufrag.to_owned(),
        pwd: format!("{ufrag}-password-0123456789"),
    }
}

pub fn transport() -> Transport {
    let fp = Fingerprint::new(HashFunction::Sha256, &[0xab; 32]).unwrap();
    let mut t = Transport::new(ice("wren"), vec![fp]);
    t.candidates = vec!["1 1 udp 2122260223 192.0.2.1 40000 typ host".to_owned()];
    t.end_of_candidates = true;
    t
}

/// Parses `text`, answers it with the default capabilities, checks the answer.
pub fn answer_text(text: &str) -> Answer {
    let offer = Session::parse(text).expect("offer parses");
    let caps = Capabilities::default();
    let transport = transport();
    let answer = jsep::answer(&offer, &Local::new(&caps, &transport, 7));
    check_round_trip(&answer.session);
    answer
}

/// The description written, parsed back, is the same model, and writes the same text.
pub fn check_round_trip(session: &Session<'_>) {
    let text = session.to_string();
    let back = Session::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(&back, session, "parsed back differently:\n{text}");
    assert_eq!(back.to_string(), text);
}

/// The payload types of section `i`'s m= line.
pub fn pts(s: &Session<'_>, i: usize) -> Vec<u8> {
    s.media()[i].media_line().payload_types().collect()
}

/// `(id, uri)` of section `i`'s extmaps.
pub fn extmaps(s: &Session<'_>, i: usize) -> Vec<(u16, String)> {
    s.media()[i]
        .extmaps()
        .map(|e| (e.id, e.uri.to_string()))
        .collect()
}

/// `pt name/clock` of section `i`'s rtpmaps.
pub fn rtpmaps(s: &Session<'_>, i: usize) -> Vec<String> {
    s.media()[i]
        .rtpmaps()
        .map(|r| format!("{} {}/{}", r.payload_type, r.encoding, r.clock_rate))
        .collect()
}
