//! The DTLS wire layer fed arbitrary datagrams: records walked, handshake fragments
//! reassembled, and every whole message parsed as what its type says (ClientHello with each
//! typed extension, HelloVerifyRequest). Nothing may panic.
#![no_main]
use wren_dtls::codes::{ContentType, HandshakeType};
use wren_dtls::client_hello::ClientHello;
use wren_dtls::hello_verify::HelloVerifyRequest;
use wren_dtls::reassembly::Reassembler;
use wren_dtls::{handshake, record};

libfuzzer_sys::fuzz_target!(|datagrams: Vec<Vec<u8>>| {
    let mut hs = Reassembler::new(0, 1 << 16);
    for d in &datagrams {
        for r in record::records(d).flatten() {
            if r.content_type != ContentType::HANDSHAKE {
                continue;
            }
            for f in handshake::fragments(r.body).flatten() {
                let _ = hs.insert(&f);
            }
        }
        while let Some(m) = hs.pop() {
            match m.msg_type {
                HandshakeType::CLIENT_HELLO => {
                    if let Ok(h) = ClientHello::parse(&m.body) {
                        let e = h.extensions;
                        let _ = e.use_srtp();
                        let _ = e.supported_groups();
                        let _ = e.signature_algorithms();
                        let _ = e.supported_versions();
                        let _ = e.ec_point_formats();
                        let _ = e.renegotiation_info();
                        let _ = e.extended_master_secret();
                        let _ = h.suites().count();
                    }
                }
                HandshakeType::HELLO_VERIFY_REQUEST => {
                    let _ = HelloVerifyRequest::parse(&m.body);
                }
                _ => {}
            }
        }
    }
});
