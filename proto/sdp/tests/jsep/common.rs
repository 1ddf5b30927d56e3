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

pub const FINGERPRINT: &str = "sha-256 1F:35:F2:FE:E7:99:2F:2D:CD:CF:55:55:32:72:69:94:B7:DB:2D:BF:B8:A0:92:CB:F4:EE:FA:D9:89:74:8B:B2";

/// An offer's text: session lines with BUNDLE of `bundle`, ICE credentials with `ufrag`
/// and a fingerprint, then `sections` (each a full `m=` section, lines ending in CRLF).
pub fn offer_text(bundle: &str, ufrag: &str, sections: &[&str]) -> String {
    let mut s = format!(
        "v=0\r\no=- 99 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
         a=group:BUNDLE {bundle}\r\na=ice-ufrag:{ufrag}\r\na=ice-pwd:{ufrag}-offer-password-0123\r\n\
         a=fingerprint:{FINGERPRINT}\r\n"
    );
    for sec in sections {
        s.push_str(sec);
    }
    s
}

/// A video section offering `formats` with `lines` after the common ones.
pub fn video(mid: &str, formats: &str, lines: &str) -> String {
    format!(
        "m=video 9 UDP/TLS/RTP/SAVPF {formats}\r\nc=IN IP4 0.0.0.0\r\na=mid:{mid}\r\n\
         a=setup:actpass\r\na=rtcp-mux\r\n{lines}"
    )
}

/// An audio section offering Opus (111) and PCMU (0), with `lines` after the common ones.
pub fn audio(mid: &str, lines: &str) -> String {
    format!(
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 0.0.0.0\r\na=mid:{mid}\r\n\
         a=setup:actpass\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n\
         a=rtpmap:0 PCMU/8000\r\n{lines}"
    )
}

/// A data channel section.
pub fn data(mid: &str) -> String {
    format!(
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n\
         a=mid:{mid}\r\na=setup:actpass\r\na=sctp-port:5000\r\na=max-message-size:65536\r\n"
    )
}

pub const VP8: &str = "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\n";
