//! Every peer in `wren_benches::peers` accepts RFC 5769's sample request and produces bytes
//! that it (and every other peer) decodes and verifies, and the checks are real: a wrong
//! password or a corrupted FINGERPRINT is rejected where the peer claims to check it.

use wren_benches::peers::{
    rtc_stun::RtcStun, str0m::Str0m, stun_codec::StunCodec, stun_rs::StunRs,
    webrtc_stun::WebrtcStun, wren_stun::WrenStun,
};
use wren_benches::{
    Fields, ICE_CONTROLLED, PASSWORD, PRIORITY, Peer, RFC5769_REQUEST, RFC5769_REQUEST_ZERO_PADDED,
    SOFTWARE, TRANSACTION_ID, USERNAME,
};

/// Offsets into the 108-byte vector.
const USERNAME_PAD: std::ops::Range<usize> = 73..76;
const MI_VALUE: std::ops::Range<usize> = 80..100;
const FP_VALUE: std::ops::Range<usize> = 104..108;

/// Runs `$body` with `$P` bound to each peer type.
macro_rules! for_each_peer {
    ($P:ident => $body:block) => {{
        {
            type $P = WrenStun;
            $body
        }
        {
            type $P = RtcStun;
            $body
        }
        {
            type $P = Str0m;
            $body
        }
        {
            type $P = StunRs;
            $body
        }
        {
            type $P = StunCodec;
            $body
        }
        {
            type $P = WebrtcStun;
            $body
        }
    }};
}

/// Decode + verify `buf` and return its fields as owned data, or the peer's error.
fn decode<P: Peer>(buf: &[u8]) -> Result<Fields<'static>, String> {
    let mut p = P::new(PASSWORD);
    let msg = p.decode_verify(buf).map_err(|e| e.to_string())?;
    let f = P::fields(&msg).map_err(|e| e.to_string())?;
    Ok(Fields {
        software: f.software.map(|s| s.into_owned().into()),
        priority: f.priority,
        ice_controlled: f.ice_controlled,
        username: f.username.map(|s| s.into_owned().into()),
    })
}

/// The fields `P` reads from the vector.
fn expected<P: Peer>() -> Fields<'static> {
    let mut f = Fields::rfc5769();
    if !P::HANDLES_SOFTWARE {
        f.software = None;
    }
    f
}

/// Encode the vector's fields with the vector's transaction ID.
fn encode<P: Peer>() -> Vec<u8> {
    let mut p = P::new(PASSWORD);
    let tid = P::transaction_id(&p.decode_verify(&RFC5769_REQUEST_ZERO_PADDED).unwrap());
    p.encode(tid, &Fields::rfc5769()).unwrap().to_vec()
}

#[test]
fn constants_match_the_vector() {
    let v = &RFC5769_REQUEST;
    assert_eq!(&v[8..20], &TRANSACTION_ID);
    assert_eq!(&v[24..40], SOFTWARE.as_bytes());
    assert_eq!(v[44..48], PRIORITY.to_be_bytes());
    assert_eq!(v[52..60], ICE_CONTROLLED.to_be_bytes());
    assert_eq!(&v[64..73], USERNAME.as_bytes());
    assert_eq!(&v[USERNAME_PAD], b"   ");
}

#[test]
fn zero_padded_variant_differs_only_in_padding_and_checks() {
    let (a, b) = (&RFC5769_REQUEST, &RFC5769_REQUEST_ZERO_PADDED);
    for i in 0..a.len() {
        let expected_diff =
            USERNAME_PAD.contains(&i) || MI_VALUE.contains(&i) || FP_VALUE.contains(&i);
        if !expected_diff {
            assert_eq!(a[i], b[i], "byte {i}");
        }
    }
    assert_eq!(&b[USERNAME_PAD], &[0, 0, 0]);
}

#[test]
fn decode_verify_accepts_the_vectors() {
    for_each_peer!(P => {
        for (name, v) in [("RFC 5769", &RFC5769_REQUEST), ("zero-padded", &RFC5769_REQUEST_ZERO_PADDED)] {
            match decode::<P>(v) {
                Ok(f) => assert_eq!(f, expected::<P>(), "{} on {name}", P::NAME),
                Err(e) => panic!("{} rejects the {name} vector: {e}", P::NAME),
            }
        }
    });
}

#[test]
fn wrong_password_is_rejected() {
    for_each_peer!(P => {
        let mut p = P::new("not the password");
        assert!(p.decode_verify(&RFC5769_REQUEST).is_err(), "{} accepts a wrong password", P::NAME);
    });
}

#[test]
fn corrupted_fingerprint_is_rejected_where_checked() {
    let mut v = RFC5769_REQUEST;
    v[FP_VALUE.start] ^= 1;
    for_each_peer!(P => {
        let mut p = P::new(PASSWORD);
        let accepted = p.decode_verify(&v).is_ok();
        assert_eq!(accepted, !P::CHECKS_FINGERPRINT, "{}: CHECKS_FINGERPRINT is wrong", P::NAME);
    });
}

#[test]
fn encode_output_verifies_everywhere() {
    for_each_peer!(P => {
        let bytes = encode::<P>();
        // What Q reads of what P wrote.
        fn expected_of<P: Peer, Q: Peer>() -> Fields<'static> {
            let mut f = Fields::rfc5769();
            if !P::HANDLES_SOFTWARE || !Q::HANDLES_SOFTWARE {
                f.software = None;
            }
            f
        }
        // Every peer, not just the encoder, must accept what it wrote.
        for_each_peer!(Q => {
            match decode::<Q>(&bytes) {
                Ok(f) => assert_eq!(f, expected_of::<P, Q>(), "{} decoding {}'s output", Q::NAME, P::NAME),
                Err(e) => panic!("{} rejects {}'s output {bytes:02x?}: {e}", Q::NAME, P::NAME),
            }
        });
        if P::HANDLES_SOFTWARE {
            assert_eq!(bytes, RFC5769_REQUEST_ZERO_PADDED, "{} is not byte-identical", P::NAME);
        }
    });
}

#[test]
fn roundtrip_reencodes_the_same_message() {
    for_each_peer!(P => {
        let mut p = P::new(PASSWORD);
        let msg = p.decode_verify(&RFC5769_REQUEST).unwrap();
        let tid = P::transaction_id(&msg);
        let fields = P::fields(&msg).unwrap();
        let out = p.encode(tid, &fields).unwrap().to_vec();
        if P::HANDLES_SOFTWARE {
            assert_eq!(out, RFC5769_REQUEST_ZERO_PADDED, "{}", P::NAME);
        } else {
            assert!(decode::<P>(&out).is_ok(), "{}", P::NAME);
        }
    });
}

#[test]
fn str0m_encode_leaves_out_software() {
    // `is` 0.12's `to_bytes` has no SOFTWARE case: 20 (header) + 16 (USERNAME)
    // + 12 (ICE-CONTROLLED) + 8 (PRIORITY) + 24 (MESSAGE-INTEGRITY) + 8 (FINGERPRINT).
    let bytes = encode::<Str0m>();
    assert_eq!(bytes.len(), 88);
    assert!(
        !bytes
            .windows(SOFTWARE.len())
            .any(|w| w == SOFTWARE.as_bytes())
    );
    // USERNAME, ICE-CONTROLLED, PRIORITY: the crate's fixed order.
    assert_eq!(&bytes[20..22], &[0x00, 0x06]);
    assert_eq!(&bytes[36..38], &[0x80, 0x29]);
    assert_eq!(&bytes[48..50], &[0x00, 0x24]);
}

#[test]
fn wren_stun_with_space_padding_writes_the_rfc_bytes() {
    // wren-stun lets the caller pick the padding byte: with spaces it reproduces the RFC.
    let key = wren_stun::Key::short_term(PASSWORD).unwrap();
    let mut out = Vec::new();
    let mut w = wren_stun::MessageWriter::new(
        &mut out,
        wren_stun::MessageType::BINDING_REQUEST,
        wren_stun::TransactionId(TRANSACTION_ID),
    );
    w.set_padding_byte(b' ');
    w.add(&wren_stun::attr::Software(SOFTWARE)).unwrap();
    w.add(&wren_stun::attr::Priority(PRIORITY)).unwrap();
    w.add(&wren_stun::attr::IceControlled(ICE_CONTROLLED))
        .unwrap();
    w.add(&wren_stun::attr::Username(USERNAME)).unwrap();
    w.add_message_integrity(&key).unwrap();
    w.add_fingerprint().unwrap();
    w.finish();
    assert_eq!(out, RFC5769_REQUEST);
}
