//! Unit tests: RFC 5769 vectors, attribute and message round trips, integrity, the client's
//! retransmission schedule, and the Binding server's answers.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use wren_core::{Datagram, Machine, Transport};

use crate::attr::*;
use crate::client::{Client, Config as ClientConfig, Event as ClientEvent, FailureReason};
use crate::server::{Config as ServerConfig, Server as BindingServer};
use crate::vectors;
use crate::{
    AttrError, Class, Error, Key, Message, MessageType, MessageWriter, Method, PasswordAlgorithm,
    Preparation, TransactionId,
};

fn tid() -> TransactionId {
    TransactionId(vectors::TRANSACTION_ID)
}

fn short_key() -> Key {
    Key::short_term(vectors::PASSWORD).unwrap()
}

#[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
fn t0() -> Instant {
    Instant::now()
}

// ---------------------------------------------------------------------------------------
// RFC 5769.

#[test]
fn rfc5769_sample_request_decodes() {
    let msg = Message::parse(&vectors::SAMPLE_REQUEST).unwrap();
    assert_eq!(msg.message_type(), MessageType::BINDING_REQUEST);
    assert_eq!(msg.transaction_id(), tid());
    assert!(msg.has_magic_cookie());
    assert_eq!(
        msg.require::<Software<'_>>().unwrap().0,
        vectors::SOFTWARE_CLIENT
    );
    assert_eq!(msg.require::<Priority>().unwrap().0, vectors::PRIORITY);
    assert_eq!(
        msg.require::<IceControlled>().unwrap().0,
        vectors::ICE_CONTROLLED
    );
    assert_eq!(msg.require::<Username<'_>>().unwrap().0, vectors::USERNAME);
    msg.verify_integrity(&short_key()).unwrap();
    msg.verify_fingerprint().unwrap();
    let types: Vec<_> = msg.attributes().map(|a| a.typ).collect();
    assert_eq!(
        types,
        [
            AttrType::SOFTWARE,
            AttrType::PRIORITY,
            AttrType::ICE_CONTROLLED,
            AttrType::USERNAME,
            AttrType::MESSAGE_INTEGRITY,
            AttrType::FINGERPRINT
        ]
    );
    assert_eq!(msg.unknown_comprehension_required().count(), 0);
}

#[test]
fn rfc5769_sample_request_reencodes_byte_for_byte() {
    let mut buf = Vec::new();
    let mut w = MessageWriter::new(&mut buf, MessageType::BINDING_REQUEST, tid());
    w.set_padding_byte(b' ');
    w.add(&Software(vectors::SOFTWARE_CLIENT)).unwrap();
    w.add(&Priority(vectors::PRIORITY)).unwrap();
    w.add(&IceControlled(vectors::ICE_CONTROLLED)).unwrap();
    w.add(&Username(vectors::USERNAME)).unwrap();
    w.add_message_integrity(&short_key()).unwrap();
    w.add_fingerprint().unwrap();
    assert_eq!(w.finish(), vectors::SAMPLE_REQUEST.len());
    assert_eq!(buf, vectors::SAMPLE_REQUEST);
}

fn check_response(bytes: &[u8], mapped: &str) {
    let msg = Message::parse(bytes).unwrap();
    assert_eq!(msg.message_type(), MessageType::BINDING_RESPONSE);
    let mapped: SocketAddr = mapped.parse().unwrap();
    assert_eq!(msg.require::<XorMappedAddress>().unwrap().0, mapped);
    assert_eq!(
        msg.require::<Software<'_>>().unwrap().0,
        vectors::SOFTWARE_SERVER
    );
    msg.verify_integrity(&short_key()).unwrap();
    msg.verify_fingerprint().unwrap();

    let mut buf = Vec::new();
    let mut w = MessageWriter::new(&mut buf, MessageType::BINDING_RESPONSE, tid());
    w.set_padding_byte(b' ');
    w.add(&Software(vectors::SOFTWARE_SERVER)).unwrap();
    w.add(&XorMappedAddress(mapped)).unwrap();
    w.add_message_integrity(&short_key()).unwrap();
    w.add_fingerprint().unwrap();
    w.finish();
    assert_eq!(buf, bytes);
}

#[test]
fn rfc5769_ipv4_response_both_directions() {
    check_response(&vectors::SAMPLE_IPV4_RESPONSE, vectors::MAPPED_V4);
}

#[test]
fn rfc5769_ipv6_response_both_directions() {
    check_response(&vectors::SAMPLE_IPV6_RESPONSE, vectors::MAPPED_V6);
}

fn long_term_key() -> Key {
    Key::long_term_with(
        vectors::LONG_TERM_USERNAME,
        vectors::LONG_TERM_REALM,
        vectors::LONG_TERM_PASSWORD,
        PasswordAlgorithm::Md5,
        Preparation::SaslPrep,
    )
    .unwrap()
}

#[test]
fn rfc5769_long_term_request_both_directions() {
    let msg = Message::parse(&vectors::SAMPLE_LONG_TERM_REQUEST).unwrap();
    assert_eq!(
        msg.require::<Username<'_>>().unwrap().0,
        vectors::LONG_TERM_USERNAME
    );
    assert_eq!(
        msg.require::<Nonce<'_>>().unwrap().0,
        vectors::LONG_TERM_NONCE
    );
    assert_eq!(
        msg.require::<Realm<'_>>().unwrap().0,
        vectors::LONG_TERM_REALM
    );
    msg.verify_integrity(&long_term_key()).unwrap();
    assert_eq!(
        msg.verify_fingerprint(),
        Err(Error::Missing(AttrType::FINGERPRINT))
    );

    let mut buf = Vec::new();
    let id = TransactionId(vectors::LONG_TERM_TRANSACTION_ID);
    let mut w = MessageWriter::new(&mut buf, MessageType::BINDING_REQUEST, id);
    w.add(&Username(vectors::LONG_TERM_USERNAME)).unwrap();
    w.add(&Nonce(vectors::LONG_TERM_NONCE)).unwrap();
    w.add(&Realm(vectors::LONG_TERM_REALM)).unwrap();
    w.add_message_integrity(&long_term_key()).unwrap();
    w.finish();
    assert_eq!(buf, vectors::SAMPLE_LONG_TERM_REQUEST);
}

#[test]
fn saslprep_maps_the_rfc5769_password_and_the_raw_one_does_not_verify() {
    // SASLprep removes the soft hyphen and NFKC-maps the ordinal and the roman numeral.
    let prepared = Key::long_term_with(
        vectors::LONG_TERM_USERNAME,
        vectors::LONG_TERM_REALM,
        "TheMatrIX",
        PasswordAlgorithm::Md5,
        Preparation::None,
    )
    .unwrap();
    let msg = Message::parse(&vectors::SAMPLE_LONG_TERM_REQUEST).unwrap();
    msg.verify_integrity(&prepared).unwrap();
    let raw = Key::long_term_with(
        vectors::LONG_TERM_USERNAME,
        vectors::LONG_TERM_REALM,
        vectors::LONG_TERM_PASSWORD,
        PasswordAlgorithm::Md5,
        Preparation::None,
    )
    .unwrap();
    assert_eq!(
        msg.verify_integrity(&raw),
        Err(Error::IntegrityMismatch(AttrType::MESSAGE_INTEGRITY))
    );
}

#[test]
fn opaque_string_refuses_a_soft_hyphen_and_keeps_ascii() {
    // RFC 8265 OpaqueString disallows default-ignorable code points such as U+00AD, which is
    // why the RFC 5769 section 2.4 vector needs SASLprep.
    assert!(Key::long_term("u", "example.org", vectors::LONG_TERM_PASSWORD).is_err());
    let a = Key::long_term("user", "example.org", "pass").unwrap();
    let b = Key::long_term_with(
        "user",
        "example.org",
        "pass",
        PasswordAlgorithm::Md5,
        Preparation::None,
    )
    .unwrap();
    let mut buf = Vec::new();
    let mut w = MessageWriter::new(&mut buf, MessageType::BINDING_REQUEST, tid());
    w.add_message_integrity(&a).unwrap();
    w.finish();
    Message::parse(&buf).unwrap().verify_integrity(&b).unwrap();
}

// ---------------------------------------------------------------------------------------
// Integrity, fingerprint, structure.

#[test]
fn wrong_key_and_tampering_are_caught() {
    let msg = Message::parse(&vectors::SAMPLE_REQUEST).unwrap();
    let wrong = Key::short_term("not the password").unwrap();
    assert_eq!(
        msg.verify_integrity(&wrong),
        Err(Error::IntegrityMismatch(AttrType::MESSAGE_INTEGRITY))
    );
    let mut bytes = vectors::SAMPLE_REQUEST;
    bytes[45] ^= 1; // inside PRIORITY
    let msg = Message::parse(&bytes).unwrap();
    assert!(msg.verify_integrity(&short_key()).is_err());
    assert!(matches!(
        msg.verify_fingerprint(),
        Err(Error::FingerprintMismatch { .. })
    ));
}

#[test]
fn sha256_integrity_round_trip_and_truncation() {
    let key = Key::long_term_with(
        "user",
        "realm",
        "pw",
        PasswordAlgorithm::Sha256,
        Preparation::OpaqueString,
    )
    .unwrap();
    let mut buf = Vec::new();
    let mut w = MessageWriter::new(&mut buf, MessageType::BINDING_REQUEST, tid());
    w.add(&Username("user")).unwrap();
    w.add_message_integrity(&key).unwrap();
    w.add_message_integrity_sha256(&key).unwrap();
    w.add_fingerprint().unwrap();
    w.finish();
    let msg = Message::parse(&buf).unwrap();
    msg.verify_integrity(&key).unwrap();
    msg.verify_integrity_sha1(&key).unwrap();
    msg.verify_fingerprint().unwrap();
    assert!(msg.verify_integrity(&Key::from_bytes(b"other")).is_err());

    // A 16-byte truncation (the leftmost bytes) also verifies, and a wrong key still fails.
    let mut cut = Vec::new();
    let mut w = MessageWriter::new(&mut cut, MessageType::BINDING_REQUEST, tid());
    w.add(&Username("user")).unwrap();
    w.add_message_integrity_sha256_truncated(&key, 16).unwrap();
    w.finish();
    let msg = Message::parse(&cut).unwrap();
    assert_eq!(
        msg.require::<MessageIntegritySha256<'_>>().unwrap().0.len(),
        16
    );
    msg.verify_integrity(&key).unwrap();
    assert!(msg.verify_integrity(&Key::from_bytes(b"other")).is_err());
}

#[test]
fn attributes_after_integrity_and_fingerprint_are_ignored() {
    let mut buf = Vec::new();
    let mut w = MessageWriter::new(&mut buf, MessageType::BINDING_REQUEST, tid());
    w.add(&Priority(1)).unwrap();
    w.add_message_integrity(&short_key()).unwrap();
    assert_eq!(
        w.add(&Priority(2)),
        Err(Error::AfterIntegrity(AttrType::PRIORITY))
    );
    w.finish();
    // Forge an attribute after MESSAGE-INTEGRITY by hand: it must not be seen.
    buf.extend_from_slice(&[0x80, 0x22, 0x00, 0x04, b'e', b'v', b'i', b'l']);
    let len = u16::try_from(buf.len() - 20).unwrap();
    buf[2..4].copy_from_slice(&len.to_be_bytes());
    let msg = Message::parse(&buf).unwrap();
    assert_eq!(msg.get::<Software<'_>>(), Ok(None));
    assert_eq!(msg.require::<Priority>().unwrap().0, 1);
    // MESSAGE-INTEGRITY still verifies: it covers only what came before it.
    msg.verify_integrity(&short_key()).unwrap();
}

#[test]
fn structural_errors_are_typed() {
    assert_eq!(
        Message::parse(&[0; 5]),
        Err(Error::Truncated { need: 20, have: 5 })
    );
    let mut h = vectors::SAMPLE_REQUEST;
    h[0] = 0x80;
    assert_eq!(Message::parse(&h), Err(Error::NotStun(0x80)));
    assert_eq!(
        Message::parse(&vectors::SAMPLE_REQUEST[..100]),
        Err(Error::LengthMismatch {
            header: 88,
            actual: 80
        })
    );
    let mut odd = vectors::SAMPLE_REQUEST;
    odd[3] = 0x57;
    assert_eq!(Message::parse(&odd), Err(Error::MisalignedLength(0x57)));
    // USERNAME claiming 0x40 bytes runs past the end.
    let mut over = vectors::SAMPLE_REQUEST;
    over[63] = 0x40;
    assert_eq!(
        Message::parse(&over),
        Err(Error::AttributeOverrun {
            attr: AttrType::USERNAME,
            offset: 60
        })
    );
}

#[test]
fn malformed_values_are_typed_errors() {
    let mut buf = Vec::new();
    let mut w = MessageWriter::new(&mut buf, MessageType::BINDING_RESPONSE, tid());
    w.add_raw(AttrType::XOR_MAPPED_ADDRESS, &[0, 3, 0, 0, 1, 2, 3, 4])
        .unwrap();
    w.add_raw(AttrType::ERROR_CODE, &[0, 0, 7, 1]).unwrap();
    w.add_raw(AttrType::SOFTWARE, &[0xff, 0xfe]).unwrap();
    w.add_raw(AttrType::PRIORITY, &[1, 2]).unwrap();
    w.finish();
    let msg = Message::parse(&buf).unwrap();
    let e = |attr, kind| Error::Attribute { attr, kind };
    assert_eq!(
        msg.get::<XorMappedAddress>(),
        Err(e(AttrType::XOR_MAPPED_ADDRESS, AttrError::Family(3)))
    );
    assert_eq!(
        msg.get::<ErrorCode<'_>>(),
        Err(e(
            AttrType::ERROR_CODE,
            AttrError::ErrorCode {
                class: 7,
                number: 1
            }
        ))
    );
    assert_eq!(
        msg.get::<Software<'_>>(),
        Err(e(AttrType::SOFTWARE, AttrError::Utf8))
    );
    assert_eq!(
        msg.get::<Priority>(),
        Err(e(
            AttrType::PRIORITY,
            AttrError::Length {
                expected: 4,
                actual: 2
            }
        ))
    );
    assert_eq!(
        msg.require::<Realm<'_>>(),
        Err(Error::Missing(AttrType::REALM))
    );
}

#[test]
fn unknown_comprehension_required_reported_optional_skipped() {
    let mut buf = Vec::new();
    let mut w = MessageWriter::new(&mut buf, MessageType::BINDING_REQUEST, tid());
    w.add_raw(AttrType(0x0031), b"x").unwrap();
    w.add_raw(AttrType(0xC057), &[0, 1, 0, 10]).unwrap(); // GOOG-NETWORK-INFO, optional
    w.add(&Priority(5)).unwrap();
    w.finish();
    let msg = Message::parse(&buf).unwrap();
    assert_eq!(
        msg.unknown_comprehension_required().collect::<Vec<_>>(),
        [AttrType(0x0031)]
    );
    assert_eq!(msg.require::<Priority>().unwrap().0, 5);
}

#[test]
fn message_type_encoding_matches_rfc_8489_figure_3() {
    assert_eq!(MessageType::BINDING_REQUEST.to_u16(), 0x0001);
    assert_eq!(MessageType::BINDING_RESPONSE.to_u16(), 0x0101);
    assert_eq!(MessageType::BINDING_ERROR.to_u16(), 0x0111);
    assert_eq!(
        MessageType::new(Class::Indication, Method::BINDING).to_u16(),
        0x0011
    );
    assert_eq!(
        MessageType::new(Class::Request, Method::ALLOCATE).to_u16(),
        0x0003
    );
    assert_eq!(
        MessageType::new(Class::Indication, Method::SEND).to_u16(),
        0x0016
    );
    assert_eq!(
        MessageType::new(Class::Indication, Method::DATA).to_u16(),
        0x0017
    );
    for m in 0..=0xFFFu16 {
        for class in [
            Class::Request,
            Class::Indication,
            Class::SuccessResponse,
            Class::ErrorResponse,
        ] {
            let t = MessageType::new(class, Method::new(m).unwrap());
            assert_eq!(MessageType::from_u16(t.to_u16()), t);
            assert_eq!(t.to_u16() & 0xC000, 0);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Property tests.

fn addr() -> impl Strategy<Value = SocketAddr> {
    (any::<IpAddr>(), any::<u16>()).prop_map(|(ip, port)| SocketAddr::new(ip, port))
}

fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(".{0,40}")
        .unwrap()
        .prop_filter("fits", move |s| s.len() <= max)
}

/// Encodes one attribute in a message, parses it back and decodes it.
fn roundtrip<'a, A>(buf: &'a mut Vec<u8>, attr: &A, id: TransactionId) -> A
where
    A: Attribute<'a> + std::fmt::Debug,
{
    let mut w = MessageWriter::new(buf, MessageType::BINDING_REQUEST, id);
    w.add(attr).unwrap();
    w.finish();
    let msg = Message::parse(buf).unwrap();
    msg.require::<A>().unwrap()
}

macro_rules! prop_roundtrip {
    ($name:ident, $strategy:expr, |$v:ident| $make:expr) => {
        proptest! {
            #[test]
            fn $name($v in $strategy, id in any::<[u8; 12]>()) {
                let attr = $make;
                let mut buf = Vec::new();
                let back = roundtrip(&mut buf, &attr, TransactionId(id));
                prop_assert_eq!(back, attr);
            }
        }
    };
}

prop_roundtrip!(rt_mapped, addr(), |a| MappedAddress(a));
prop_roundtrip!(rt_xor_mapped, addr(), |a| XorMappedAddress(a));
prop_roundtrip!(rt_xor_peer, addr(), |a| XorPeerAddress(a));
prop_roundtrip!(rt_xor_relayed, addr(), |a| XorRelayedAddress(a));
prop_roundtrip!(rt_alternate_server, addr(), |a| AlternateServer(a));
prop_roundtrip!(rt_response_origin, addr(), |a| ResponseOrigin(a));
prop_roundtrip!(rt_other_address, addr(), |a| OtherAddress(a));
prop_roundtrip!(rt_source_address, addr(), |a| SourceAddress(a));
prop_roundtrip!(rt_changed_address, addr(), |a| ChangedAddress(a));
prop_roundtrip!(rt_response_address, addr(), |a| ResponseAddress(a));
prop_roundtrip!(rt_reflected_from, addr(), |a| ReflectedFrom(a));
prop_roundtrip!(rt_username, text(513), |s| Username(&s));
prop_roundtrip!(rt_realm, text(763), |s| Realm(&s));
prop_roundtrip!(rt_nonce, text(763), |s| Nonce(&s));
prop_roundtrip!(rt_software, text(763), |s| Software(&s));
prop_roundtrip!(rt_alternate_domain, text(255), |s| AlternateDomain(&s));
prop_roundtrip!(
    rt_data,
    proptest::collection::vec(any::<u8>(), 0..300),
    |b| Data(&b)
);
prop_roundtrip!(
    rt_padding,
    proptest::collection::vec(any::<u8>(), 0..64),
    |b| Padding(&b)
);
prop_roundtrip!(rt_message_integrity, any::<[u8; 20]>(), |b| {
    MessageIntegrity(b)
});
prop_roundtrip!(rt_mi_sha256, (4usize..=8, any::<[u8; 32]>()), |v| {
    MessageIntegritySha256(&v.1[..v.0 * 4])
});
prop_roundtrip!(rt_userhash, any::<[u8; 32]>(), |b| Userhash(b));
prop_roundtrip!(
    rt_reservation_token,
    any::<[u8; 8]>(),
    |b| ReservationToken(b)
);
prop_roundtrip!(rt_priority, any::<u32>(), |v| Priority(v));
prop_roundtrip!(rt_fingerprint_value, any::<u32>(), |v| Fingerprint(v));
prop_roundtrip!(rt_connection_id, any::<u32>(), |v| ConnectionId(v));
prop_roundtrip!(rt_ice_controlled, any::<u64>(), |v| IceControlled(v));
prop_roundtrip!(rt_ice_controlling, any::<u64>(), |v| IceControlling(v));
prop_roundtrip!(rt_use_candidate, Just(()), |_v| UseCandidate);
prop_roundtrip!(rt_dont_fragment, Just(()), |_v| DontFragment);
prop_roundtrip!(rt_lifetime, any::<u32>(), |v| Lifetime(
    Duration::from_secs(u64::from(v))
));
prop_roundtrip!(rt_cache_timeout, any::<u32>(), |v| CacheTimeout(
    Duration::from_secs(u64::from(v))
));
prop_roundtrip!(rt_channel_number, any::<u16>(), |v| ChannelNumber(v));
prop_roundtrip!(rt_response_port, any::<u16>(), |v| ResponsePort(v));
prop_roundtrip!(rt_requested_transport, any::<u8>(), |v| RequestedTransport(
    v
));
prop_roundtrip!(rt_requested_family, any::<bool>(), |v| {
    RequestedAddressFamily(if v {
        AddressFamily::V4
    } else {
        AddressFamily::V6
    })
});
prop_roundtrip!(rt_additional_family, any::<bool>(), |v| {
    AdditionalAddressFamily(if v {
        AddressFamily::V4
    } else {
        AddressFamily::V6
    })
});
prop_roundtrip!(rt_even_port, any::<bool>(), |v| EvenPort { reserve: v });
prop_roundtrip!(rt_change_request, any::<(bool, bool)>(), |v| {
    ChangeRequest {
        change_ip: v.0,
        change_port: v.1,
    }
});
prop_roundtrip!(rt_transmit_counter, any::<(u8, u8)>(), |v| {
    TransactionTransmitCounter {
        request: v.0,
        response: v.1,
    }
});
prop_roundtrip!(rt_icmp, any::<(u8, u8, u32)>(), |v| Icmp {
    icmp_type: v.0,
    code: v.1,
    data: v.2
});
prop_roundtrip!(rt_error_code, (300u16..700, text(763)), |v| ErrorCode {
    code: ErrorCodeValue::new(v.0).unwrap(),
    reason: &v.1
});
prop_roundtrip!(
    rt_address_error_code,
    (any::<bool>(), 300u16..700, text(763)),
    |v| AddressErrorCode {
        family: if v.0 {
            AddressFamily::V4
        } else {
            AddressFamily::V6
        },
        code: ErrorCodeValue::new(v.1).unwrap(),
        reason: &v.2,
    }
);
prop_roundtrip!(
    rt_unknown_attributes,
    proptest::collection::vec(any::<u16>(), 0..10),
    |v| UnknownAttributes(U16List::Values(&v))
);
prop_roundtrip!(
    rt_password_algorithm,
    (any::<u16>(), proptest::collection::vec(any::<u8>(), 0..9)),
    |v| PasswordAlgorithm(PasswordAlgorithmEntry {
        algorithm: v.0,
        params: &v.1
    })
);

proptest! {
    #[test]
    fn rt_password_algorithms(entries in proptest::collection::vec((any::<u16>(), proptest::collection::vec(any::<u8>(), 0..9)), 0..5)) {
        let list: Vec<_> = entries.iter().map(|(a, p)| PasswordAlgorithmEntry { algorithm: *a, params: p }).collect();
        let attr = PasswordAlgorithms::Entries(&list);
        let mut buf = Vec::new();
        let back = roundtrip(&mut buf, &attr, tid());
        let back: Vec<_> = back.iter().collect();
        prop_assert_eq!(&back, &list);
    }
}

/// An owned description of an attribute, to build messages in property tests.
#[derive(Debug, Clone)]
enum Owned {
    Xor(SocketAddr),
    Username(String),
    Priority(u32),
    Data(Vec<u8>),
    Error(u16, String),
    Unknown(u16, Vec<u8>),
    UseCandidate,
}

fn owned() -> impl Strategy<Value = Owned> {
    prop_oneof![
        addr().prop_map(Owned::Xor),
        text(100).prop_map(Owned::Username),
        any::<u32>().prop_map(Owned::Priority),
        proptest::collection::vec(any::<u8>(), 0..100).prop_map(Owned::Data),
        (300u16..700, text(50)).prop_map(|(c, r)| Owned::Error(c, r)),
        // Unknown optional types (comprehension-optional range, above those known here).
        (
            0xC000u16..0xFFFF,
            proptest::collection::vec(any::<u8>(), 0..20)
        )
            .prop_map(|(t, v)| Owned::Unknown(t, v)),
        Just(Owned::UseCandidate),
    ]
}

fn write_owned(w: &mut MessageWriter<'_>, o: &Owned) {
    match o {
        Owned::Xor(a) => w.add(&XorMappedAddress(*a)),
        Owned::Username(s) => w.add(&Username(s)),
        Owned::Priority(p) => w.add(&Priority(*p)),
        Owned::Data(d) => w.add(&Data(d)),
        Owned::Error(c, r) => w.add(&ErrorCode {
            code: ErrorCodeValue::new(*c).unwrap(),
            reason: r,
        }),
        Owned::Unknown(t, v) => w.add_raw(AttrType(*t), v),
        Owned::UseCandidate => w.add(&UseCandidate),
    }
    .unwrap();
}

proptest! {
    #[test]
    fn whole_messages_round_trip(
        attrs in proptest::collection::vec(owned(), 0..12),
        id in any::<[u8; 12]>(),
        method in 0u16..0x1000,
        class in 0u8..4,
        integrity in any::<bool>(),
        fingerprint in any::<bool>(),
        key in proptest::collection::vec(any::<u8>(), 1..40),
    ) {
        let class = [Class::Request, Class::Indication, Class::SuccessResponse, Class::ErrorResponse][usize::from(class)];
        let typ = MessageType::new(class, Method::new(method).unwrap());
        let key = Key::from_bytes(&key);
        let mut buf = Vec::new();
        let mut w = MessageWriter::new(&mut buf, typ, TransactionId(id));
        for a in &attrs { write_owned(&mut w, a); }
        if integrity { w.add_message_integrity(&key).unwrap(); }
        if fingerprint { w.add_fingerprint().unwrap(); }
        let len = w.finish();
        prop_assert_eq!(len, buf.len());

        let msg = Message::parse(&buf).unwrap();
        prop_assert_eq!(msg.message_type(), typ);
        prop_assert_eq!(msg.transaction_id(), TransactionId(id));
        prop_assert_eq!(msg.verify_integrity(&key).is_ok(), integrity);
        prop_assert_eq!(msg.verify_fingerprint().is_ok(), fingerprint);
        let decoded: Vec<_> = msg.attributes()
            .filter(|a| a.typ != AttrType::MESSAGE_INTEGRITY && a.typ != AttrType::FINGERPRINT)
            .collect();
        prop_assert_eq!(decoded.len(), attrs.len());
        // Re-encoding what was decoded gives the same bytes.
        let mut again = Vec::new();
        let mut w = MessageWriter::new(&mut again, typ, TransactionId(id));
        for raw in &decoded {
            let any = AnyAttribute::decode(*raw, &msg.transaction_id()).unwrap();
            any.write_to(&mut w).unwrap();
        }
        if integrity { w.add_message_integrity(&key).unwrap(); }
        if fingerprint { w.add_fingerprint().unwrap(); }
        w.finish();
        prop_assert_eq!(again, buf);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        crate::fuzz::decode(&bytes);
    }

    #[test]
    fn mutated_vectors_never_panic(at in 0usize..108, xor in 1u8..=255, cut in 0usize..108) {
        let mut bytes = vectors::SAMPLE_REQUEST.to_vec();
        bytes[at] ^= xor;
        crate::fuzz::decode(&bytes);
        // Fix the length field so the mutation reaches the attribute walk.
        bytes.truncate(20 + (cut.saturating_sub(20) / 4) * 4);
        let len = u16::try_from(bytes.len() - 20).unwrap();
        bytes[2..4].copy_from_slice(&len.to_be_bytes());
        crate::fuzz::decode(&bytes);
    }
}

// ---------------------------------------------------------------------------------------
// Client transactions.

const SERVER: &str = "127.0.0.1:3478";

/// Drives a client with no responses and records when each request left and the outcome.
fn run_unanswered(
    proto: Transport,
    config: ClientConfig,
) -> (Vec<Duration>, Duration, ClientEvent) {
    let start = t0();
    let mut client = Client::new(
        start,
        ClientConfig {
            rng_seed: Some([9; 32]),
            ..config
        },
    );
    let id = client
        .binding(start, proto, None, SERVER.parse().unwrap())
        .unwrap();
    let mut sent = Vec::new();
    let mut now = start;
    let mut buf = Vec::new();
    loop {
        while let Some(t) = client.poll_transmit(now, &mut buf) {
            assert_eq!(t.destination, SERVER.parse().unwrap());
            let msg = Message::parse(&buf).unwrap();
            assert_eq!(
                msg.transaction_id(),
                id,
                "retransmissions keep the transaction ID"
            );
            sent.push(now - start);
            buf.clear();
        }
        if let Some(e) = client.poll_event() {
            return (sent, now - start, e);
        }
        now = client
            .poll_timeout()
            .expect("a transaction in flight has a deadline");
        client.handle_timeout(now);
    }
}

#[test]
fn udp_retransmission_schedule_is_rfc_8489_exactly() {
    let (sent, end, event) = run_unanswered(Transport::Udp, ClientConfig::default());
    let ms: Vec<u64> = sent.iter().map(|d| d.as_millis() as u64).collect();
    assert_eq!(ms, [0, 500, 1500, 3500, 7500, 15500, 31500]);
    assert_eq!(end, Duration::from_millis(39_500));
    assert!(matches!(
        event,
        ClientEvent::Failed {
            reason: FailureReason::TimedOut { transmissions: 7 },
            ..
        }
    ));
}

#[test]
fn udp_schedule_follows_configured_rto_rc_rm() {
    let config = ClientConfig {
        rto: Duration::from_millis(100),
        rc: 3,
        rm: 4,
        ..Default::default()
    };
    let (sent, end, _) = run_unanswered(Transport::Udp, config);
    let ms: Vec<u64> = sent.iter().map(|d| d.as_millis() as u64).collect();
    assert_eq!(ms, [0, 100, 300]);
    assert_eq!(end, Duration::from_millis(700));
}

#[test]
fn tcp_sends_once_and_times_out_after_ti() {
    let (sent, end, event) = run_unanswered(Transport::Tcp, ClientConfig::default());
    assert_eq!(sent, [Duration::ZERO]);
    assert_eq!(end, Duration::from_millis(39_500));
    assert!(matches!(
        event,
        ClientEvent::Failed {
            reason: FailureReason::TimedOut { transmissions: 1 },
            ..
        }
    ));
}

#[test]
fn client_timers_are_named_and_a_late_call_catches_up_one_step() {
    use crate::client::Timer;
    let start = t0();
    let ms = |n: u64| start + Duration::from_millis(n);
    let mut client = Client::new(
        start,
        ClientConfig {
            rng_seed: Some([3; 32]),
            ..Default::default()
        },
    );
    let server = SERVER.parse().unwrap();
    let id = client.binding(start, Transport::Udp, None, server).unwrap();
    let mut buf = Vec::new();
    assert!(client.poll_transmit(start, &mut buf).is_some());
    assert_eq!(client.next_timer(), Some((ms(500), Timer::Retransmit(id))));
    assert_eq!(client.poll_timeout(), Some(ms(500)));
    assert_eq!(
        wren_core::TimerName(&client).to_string(),
        format!("{:?}", Timer::Retransmit(id)),
        "what a driver logs"
    );

    // Called 10 s late: one retransmission, and the schedule counts from when it was due.
    client.handle_timeout(ms(10_000));
    buf.clear();
    assert!(client.poll_transmit(ms(10_000), &mut buf).is_some());
    assert!(client.poll_transmit(ms(10_000), &mut buf).is_none());
    assert_eq!(
        client.next_timer(),
        Some((ms(1_500), Timer::Retransmit(id)))
    );

    // Past the timeout as well: the timeout wins and no retransmission is counted.
    client.handle_timeout(ms(100_000));
    assert!(client.poll_transmit(ms(100_000), &mut buf).is_none());
    assert_eq!(
        client.poll_event(),
        Some(ClientEvent::Failed {
            id,
            server,
            reason: FailureReason::TimedOut { transmissions: 2 },
        })
    );
    assert_eq!(client.next_timer(), None);

    // Cancelling disarms both timers of a transaction.
    let id = client
        .binding(ms(100_000), Transport::Udp, None, server)
        .unwrap();
    let other = client
        .binding(ms(100_001), Transport::Tcp, None, server)
        .unwrap();
    client.cancel(id);
    assert_eq!(
        client.next_timer(),
        Some((ms(139_501), Timer::Timeout(other)))
    );
}

/// Passes every transmit of `from` to `to` as a datagram; returns how many.
fn deliver_client_to_server(
    client: &mut Client,
    server: &mut BindingServer,
    now: Instant,
    client_addr: SocketAddr,
) -> usize {
    let mut n = 0;
    let mut buf = Vec::new();
    while let Some(t) = client.poll_transmit(now, &mut buf) {
        server.handle_datagram(
            now,
            Datagram {
                proto: t.proto,
                source: client_addr,
                destination: t.destination,
                ecn: None,
                payload: &buf,
            },
        );
        buf.clear();
        n += 1;
    }
    n
}

fn deliver_server_to_client(
    server: &mut BindingServer,
    client: &mut Client,
    now: Instant,
) -> usize {
    let mut n = 0;
    let mut buf = Vec::new();
    while let Some(t) = server.poll_transmit(now, &mut buf) {
        let source = t.source.unwrap();
        client.handle_datagram(
            now,
            Datagram {
                proto: t.proto,
                source,
                destination: t.destination,
                ecn: None,
                payload: &buf,
            },
        );
        buf.clear();
        n += 1;
    }
    n
}

#[test]
fn client_and_server_agree_and_retransmission_stops() {
    let start = t0();
    let server_addr: SocketAddr = SERVER.parse().unwrap();
    let client_addr: SocketAddr = "192.0.2.7:40000".parse().unwrap();
    let mut client = Client::new(
        start,
        ClientConfig {
            rng_seed: Some([1; 32]),
            ..Default::default()
        },
    );
    let mut server = BindingServer::new(ServerConfig::default()).unwrap();
    let id = client
        .binding(start, Transport::Udp, None, server_addr)
        .unwrap();
    // The first request is lost; the retransmission at 500 ms is answered.
    let mut lost = Vec::new();
    assert!(client.poll_transmit(start, &mut lost).is_some());
    let t1 = client.poll_timeout().unwrap();
    assert_eq!(t1 - start, Duration::from_millis(500));
    client.handle_timeout(t1);
    assert_eq!(
        deliver_client_to_server(&mut client, &mut server, t1, client_addr),
        1
    );
    let t2 = t1 + Duration::from_millis(20);
    assert_eq!(deliver_server_to_client(&mut server, &mut client, t2), 1);
    match client.poll_event() {
        Some(ClientEvent::Success {
            id: got,
            mapped,
            rtt,
            from,
            ..
        }) => {
            assert_eq!(got, id);
            assert_eq!(mapped, Some(client_addr));
            assert_eq!(from, server_addr);
            assert_eq!(rtt, Duration::from_millis(520));
        }
        other => panic!("expected success, got {other:?}"),
    }
    assert_eq!(
        client.poll_timeout(),
        None,
        "no retransmission after the response"
    );
    assert_eq!(client.in_flight(), 0);
}

#[test]
fn client_ignores_responses_from_elsewhere_and_duplicates() {
    let start = t0();
    let server_addr: SocketAddr = SERVER.parse().unwrap();
    let mut client = Client::new(
        start,
        ClientConfig {
            rng_seed: Some([2; 32]),
            ..Default::default()
        },
    );
    let id = client
        .binding(start, Transport::Udp, None, server_addr)
        .unwrap();
    let mut buf = Vec::new();
    let mut w = MessageWriter::new(&mut buf, MessageType::BINDING_RESPONSE, id);
    w.add(&XorMappedAddress("198.51.100.1:1".parse().unwrap()))
        .unwrap();
    w.finish();
    let local: SocketAddr = "192.0.2.7:40000".parse().unwrap();
    let elsewhere: SocketAddr = "203.0.113.9:3478".parse().unwrap();
    client.handle_datagram(start, Datagram::udp(elsewhere, local, &buf));
    assert_eq!(client.poll_event(), None);
    client.handle_datagram(start, Datagram::udp(server_addr, local, &buf));
    assert!(matches!(
        client.poll_event(),
        Some(ClientEvent::Success { .. })
    ));
    client.handle_datagram(start, Datagram::udp(server_addr, local, &buf));
    assert_eq!(client.poll_event(), None);
    assert_eq!(client.stats().unmatched, 2);
}

// ---------------------------------------------------------------------------------------
// Binding server.

const CLIENT: &str = "192.0.2.7:40000";

fn ask(server: &mut BindingServer, request: &[u8]) -> Option<Vec<u8>> {
    let now = t0();
    server.handle_datagram(
        now,
        Datagram::udp(CLIENT.parse().unwrap(), SERVER.parse().unwrap(), request),
    );
    let mut buf = Vec::new();
    let t = server.poll_transmit(now, &mut buf)?;
    assert_eq!(t.destination, CLIENT.parse().unwrap());
    assert_eq!(t.source, Some(SERVER.parse().unwrap()));
    Some(buf)
}

fn request(build: impl FnOnce(&mut MessageWriter<'_>)) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut w = MessageWriter::new(&mut buf, MessageType::BINDING_REQUEST, tid());
    build(&mut w);
    w.finish();
    buf
}

fn error_code(response: &[u8]) -> u16 {
    let msg = Message::parse(response).unwrap();
    assert_eq!(msg.class(), Class::ErrorResponse);
    msg.require::<ErrorCode<'_>>().unwrap().code.code()
}

#[test]
fn server_answers_with_xor_mapped_address_and_mirrors_fingerprint() {
    let mut server = BindingServer::new(ServerConfig {
        software: Some("wren".into()),
        ..Default::default()
    })
    .unwrap();
    let r = ask(&mut server, &request(|w| w.add_fingerprint().unwrap())).unwrap();
    let msg = Message::parse(&r).unwrap();
    assert_eq!(msg.message_type(), MessageType::BINDING_RESPONSE);
    assert_eq!(msg.transaction_id(), tid());
    assert_eq!(
        msg.require::<XorMappedAddress>().unwrap().0,
        CLIENT.parse().unwrap()
    );
    assert_eq!(
        msg.require::<ResponseOrigin>().unwrap().0,
        SERVER.parse().unwrap()
    );
    assert_eq!(msg.require::<Software<'_>>().unwrap().0, "wren");
    msg.verify_fingerprint().unwrap();
    let r = ask(&mut server, &request(|_| {})).unwrap();
    assert!(Message::parse(&r).unwrap().fingerprint_offset().is_none());
}

#[test]
fn server_answers_rfc3489_clients_with_mapped_address() {
    let mut server = BindingServer::new(ServerConfig::default()).unwrap();
    let id: [u8; 16] = *b"sixteen byte id!";
    let mut buf = Vec::new();
    MessageWriter::new_rfc3489(&mut buf, MessageType::BINDING_REQUEST, id).finish();
    let r = ask(&mut server, &buf).unwrap();
    let msg = Message::parse(&r).unwrap();
    assert!(!msg.has_magic_cookie());
    assert_eq!(msg.rfc3489_transaction_id(), id);
    assert_eq!(
        msg.require::<MappedAddress>().unwrap().0,
        CLIENT.parse().unwrap()
    );
    assert_eq!(
        msg.require::<SourceAddress>().unwrap().0,
        SERVER.parse().unwrap()
    );
    assert_eq!(msg.get::<XorMappedAddress>(), Ok(None));
}

#[test]
fn server_rejects_unknown_comprehension_required_with_420() {
    let mut server = BindingServer::new(ServerConfig::default()).unwrap();
    let r = ask(
        &mut server,
        &request(|w| {
            w.add_raw(AttrType(0x0031), b"?").unwrap();
            w.add_raw(AttrType(0xC057), &[0, 1, 0, 1]).unwrap();
            w.add(&ResponsePort(9)).unwrap();
        }),
    )
    .unwrap();
    assert_eq!(error_code(&r), 420);
    let msg = Message::parse(&r).unwrap();
    let unknown: Vec<u16> = msg
        .require::<UnknownAttributes<'_>>()
        .unwrap()
        .0
        .iter()
        .collect();
    assert_eq!(unknown, [0x0031, AttrType::RESPONSE_PORT.0]);
    // An unknown optional attribute alone (Chrome's GOOG-NETWORK-INFO) is fine.
    let r = ask(
        &mut server,
        &request(|w| w.add_raw(AttrType(0xC057), &[0, 1, 0, 1]).unwrap()),
    )
    .unwrap();
    assert_eq!(Message::parse(&r).unwrap().class(), Class::SuccessResponse);
    // A CHANGE-REQUEST with no flags is honoured; one asking for another port is not.
    let r = ask(
        &mut server,
        &request(|w| w.add(&ChangeRequest::default()).unwrap()),
    )
    .unwrap();
    assert_eq!(Message::parse(&r).unwrap().class(), Class::SuccessResponse);
    let r = ask(
        &mut server,
        &request(|w| {
            w.add(&ChangeRequest {
                change_ip: false,
                change_port: true,
            })
            .unwrap()
        }),
    )
    .unwrap();
    assert_eq!(error_code(&r), 420);
}

#[test]
fn server_rejects_other_methods_with_400_and_ignores_the_rest() {
    let mut server = BindingServer::new(ServerConfig::default()).unwrap();
    let mut buf = Vec::new();
    MessageWriter::new(
        &mut buf,
        MessageType::new(Class::Request, Method::ALLOCATE),
        tid(),
    )
    .finish();
    let r = ask(&mut server, &buf).unwrap();
    assert_eq!(error_code(&r), 400);
    assert_eq!(Message::parse(&r).unwrap().method(), Method::ALLOCATE);

    let mut ind = Vec::new();
    MessageWriter::new(
        &mut ind,
        MessageType::new(Class::Indication, Method::BINDING),
        tid(),
    )
    .finish();
    assert_eq!(ask(&mut server, &ind), None);
    let mut resp = Vec::new();
    MessageWriter::new(&mut resp, MessageType::BINDING_RESPONSE, tid()).finish();
    assert_eq!(ask(&mut server, &resp), None);
    assert_eq!(ask(&mut server, b"not stun at all, just text"), None);
    let mut bad_fp = vectors::SAMPLE_REQUEST;
    bad_fp[107] ^= 1;
    assert_eq!(ask(&mut server, &bad_fp), None);
    let s = server.stats();
    assert_eq!(
        (
            s.indications,
            s.unexpected_responses,
            s.malformed,
            s.bad_fingerprint
        ),
        (1, 1, 1, 1)
    );
    assert_eq!((s.success, s.errors), (0, 1));
}

#[test]
fn server_with_short_term_credentials() {
    let users = [("evtj:h6vY".to_owned(), vectors::PASSWORD.to_owned())].into();
    let mut server = BindingServer::new(ServerConfig {
        short_term_users: users,
        ..Default::default()
    })
    .unwrap();
    // The RFC 5769 request is signed with the right credentials.
    let r = ask(&mut server, &vectors::SAMPLE_REQUEST).unwrap();
    let msg = Message::parse(&r).unwrap();
    assert_eq!(msg.class(), Class::SuccessResponse);
    msg.verify_integrity(&short_key()).unwrap();
    msg.verify_fingerprint().unwrap();
    // Missing USERNAME and MESSAGE-INTEGRITY: 400.
    assert_eq!(
        error_code(&ask(&mut server, &request(|_| {})).unwrap()),
        400
    );
    // USERNAME without MESSAGE-INTEGRITY: 400.
    assert_eq!(
        error_code(
            &ask(
                &mut server,
                &request(|w| w.add(&Username("evtj:h6vY")).unwrap())
            )
            .unwrap()
        ),
        400
    );
    // Unknown user: 401, unsigned.
    let r = ask(
        &mut server,
        &request(|w| {
            w.add(&Username("who:me")).unwrap();
            w.add_message_integrity(&short_key()).unwrap();
        }),
    )
    .unwrap();
    assert_eq!(error_code(&r), 401);
    assert!(Message::parse(&r).unwrap().integrity_offset().is_none());
    // Wrong password: 401.
    let r = ask(
        &mut server,
        &request(|w| {
            w.add(&Username("evtj:h6vY")).unwrap();
            w.add_message_integrity(&Key::short_term("wrong").unwrap())
                .unwrap();
        }),
    )
    .unwrap();
    assert_eq!(error_code(&r), 401);
}

#[test]
fn server_queue_is_bounded() {
    let mut server = BindingServer::new(ServerConfig {
        queue_capacity: 2,
        ..Default::default()
    })
    .unwrap();
    let req = request(|_| {});
    let now = t0();
    for _ in 0..5 {
        server.handle_datagram(
            now,
            Datagram::udp(CLIENT.parse().unwrap(), SERVER.parse().unwrap(), &req),
        );
    }
    let mut buf = Vec::new();
    let mut n = 0;
    while server.poll_transmit(now, &mut buf).is_some() {
        n += 1;
        buf.clear();
    }
    assert_eq!(n, 2);
    assert_eq!(server.stats().queue_full, 3);
}

// ---------------------------------------------------------------------------------------
// Long-term credentials in the client (RFC 8489 section 9.2).

mod long_term {
    use super::*;
    use crate::client::{Auth, AuthFailure};

    /// A long-term-credential server for the tests: 401 with REALM and NONCE to unsigned
    /// requests, a 438 with a fresh nonce when asked to, and integrity checked with the key.
    struct Server {
        nonce: String,
        password: &'static str,
        algorithms: Option<Vec<PasswordAlgorithmEntry<'static>>>,
        stale_once: bool,
        requests: Vec<Vec<u8>>,
    }

    const REALM_: &str = "example.org";
    const USER: &str = "alice";

    impl Server {
        fn new(password: &'static str) -> Server {
            Server {
                nonce: "nonce-1".into(),
                password,
                algorithms: None,
                stale_once: false,
                requests: Vec::new(),
            }
        }

        fn key(&self, algorithm: PasswordAlgorithm) -> Key {
            Key::long_term_with(
                USER,
                REALM_,
                self.password,
                algorithm,
                Preparation::OpaqueString,
            )
            .unwrap()
        }

        fn answer(&mut self, request: &[u8]) -> Vec<u8> {
            self.requests.push(request.to_vec());
            let req = Message::parse(request).unwrap();
            let mut out = Vec::new();
            let err = |out: &mut Vec<u8>,
                       code: u16,
                       nonce: &str,
                       algs: &Option<Vec<PasswordAlgorithmEntry<'static>>>| {
                let mut w =
                    MessageWriter::new(out, MessageType::BINDING_ERROR, req.transaction_id());
                w.add(&ErrorCode::from_code(ErrorCodeValue::new(code).unwrap()))
                    .unwrap();
                w.add(&Realm(REALM_)).unwrap();
                w.add(&Nonce(nonce)).unwrap();
                if let Some(list) = algs {
                    w.add(&PasswordAlgorithms::Entries(list)).unwrap();
                }
                w.finish();
            };
            let signed =
                req.integrity_offset().is_some() || req.integrity_sha256_offset().is_some();
            if !signed {
                err(&mut out, 401, &self.nonce.clone(), &self.algorithms);
                return out;
            }
            if self.stale_once {
                self.stale_once = false;
                self.nonce = "nonce-2".into();
                err(&mut out, 438, &self.nonce.clone(), &self.algorithms);
                return out;
            }
            let algorithm = match req.get::<crate::attr::PasswordAlgorithm<'_>>().unwrap() {
                Some(a) => PasswordAlgorithm::from_number(a.0.algorithm).unwrap(),
                None => PasswordAlgorithm::Md5,
            };
            let key = self.key(algorithm);
            let nonce_ok = req.require::<Nonce<'_>>().unwrap().0 == self.nonce;
            if !nonce_ok || req.verify_integrity(&key).is_err() {
                err(&mut out, 401, &self.nonce.clone(), &self.algorithms);
                return out;
            }
            let mut w = MessageWriter::new(
                &mut out,
                MessageType::BINDING_RESPONSE,
                req.transaction_id(),
            );
            w.add(&XorMappedAddress(CLIENT.parse().unwrap())).unwrap();
            w.add_message_integrity(&key).unwrap();
            w.finish();
            out
        }
    }

    /// Runs one long-term request against `server` (lossless, instant); returns the event.
    fn exchange(client: &mut Client, server: &mut Server, now: Instant) -> ClientEvent {
        let mut buf = Vec::new();
        for _ in 0..10 {
            while let Some(t) = client.poll_transmit(now, &mut buf) {
                let reply = server.answer(&buf);
                buf.clear();
                client.handle_datagram(
                    now,
                    Datagram::udp(t.destination, CLIENT.parse().unwrap(), &reply),
                );
            }
            if let Some(e) = client.poll_event() {
                return e;
            }
        }
        panic!("no outcome after ten round trips");
    }

    fn start(client: &mut Client, now: Instant, password: &str) -> TransactionId {
        let auth = Auth::LongTerm {
            username: USER.into(),
            password: password.into(),
        };
        client
            .request(
                now,
                Transport::Udp,
                None,
                SERVER.parse().unwrap(),
                Method::BINDING,
                auth,
                |w| w.add(&Priority(7)),
            )
            .unwrap()
    }

    fn new_client() -> Client {
        Client::new(
            t0(),
            ClientConfig {
                rng_seed: Some([5; 32]),
                ..Default::default()
            },
        )
    }

    #[test]
    fn challenge_then_signed_request_succeeds() {
        let now = t0();
        let mut client = new_client();
        let mut server = Server::new("secret");
        let id = start(&mut client, now, "secret");
        match exchange(&mut client, &mut server, now) {
            ClientEvent::Success {
                id: got, mapped, ..
            } => {
                assert_eq!(got, id, "the application keeps the first request's ID");
                assert_eq!(mapped, Some(CLIENT.parse().unwrap()));
            }
            other => panic!("expected success, got {other:?}"),
        }
        assert_eq!(server.requests.len(), 2);
        let second = Message::parse(&server.requests[1]).unwrap();
        assert_ne!(
            second.transaction_id(),
            id,
            "the signed request is a new transaction"
        );
        assert_eq!(second.require::<Username<'_>>().unwrap().0, USER);
        assert_eq!(second.require::<Realm<'_>>().unwrap().0, REALM_);
        assert_eq!(second.require::<Nonce<'_>>().unwrap().0, "nonce-1");
        assert_eq!(
            second.require::<Priority>().unwrap().0,
            7,
            "the caller's attributes are kept"
        );
        second
            .verify_integrity(&server.key(PasswordAlgorithm::Md5))
            .unwrap();
        second.verify_fingerprint().unwrap();

        // A later request to the same server is signed from the start.
        start(&mut client, now, "secret");
        assert!(matches!(
            exchange(&mut client, &mut server, now),
            ClientEvent::Success { .. }
        ));
        assert_eq!(server.requests.len(), 3);
    }

    #[test]
    fn wrong_password_gives_the_401() {
        let now = t0();
        let mut client = new_client();
        let mut server = Server::new("secret");
        start(&mut client, now, "not-the-secret");
        match exchange(&mut client, &mut server, now) {
            ClientEvent::ErrorResponse { code, .. } => {
                assert_eq!(code, ErrorCodeValue::UNAUTHENTICATED)
            }
            other => panic!("expected the 401, got {other:?}"),
        }
        assert_eq!(
            server.requests.len(),
            2,
            "one challenge, one signed try, no loop"
        );
        assert_eq!(client.in_flight(), 0);
    }

    #[test]
    fn stale_nonce_is_recovered() {
        let now = t0();
        let mut client = new_client();
        let mut server = Server::new("secret");
        server.stale_once = true;
        start(&mut client, now, "secret");
        assert!(matches!(
            exchange(&mut client, &mut server, now),
            ClientEvent::Success { .. }
        ));
        assert_eq!(server.requests.len(), 3);
        let third = Message::parse(&server.requests[2]).unwrap();
        assert_eq!(third.require::<Nonce<'_>>().unwrap().0, "nonce-2");
    }

    #[test]
    fn nonce_cookie_negotiates_sha256() {
        let now = t0();
        let mut client = new_client();
        let mut server = Server::new("secret");
        server.nonce = "obMatJos2gAAAabcdef".into();
        server.algorithms = Some(vec![
            PasswordAlgorithmEntry {
                algorithm: 1,
                params: &[],
            },
            PasswordAlgorithmEntry {
                algorithm: 2,
                params: &[],
            },
        ]);
        start(&mut client, now, "secret");
        assert!(matches!(
            exchange(&mut client, &mut server, now),
            ClientEvent::Success { .. }
        ));
        let second = Message::parse(&server.requests[1]).unwrap();
        let chosen = second
            .require::<crate::attr::PasswordAlgorithm<'_>>()
            .unwrap();
        assert_eq!(chosen.0.algorithm, PasswordAlgorithm::Sha256.number());
        let echoed: Vec<u16> = second
            .require::<PasswordAlgorithms<'_>>()
            .unwrap()
            .iter()
            .map(|e| e.algorithm)
            .collect();
        assert_eq!(echoed, [1, 2]);
        assert!(
            second.integrity_offset().is_none(),
            "MESSAGE-INTEGRITY-SHA256 alone"
        );
        second
            .verify_integrity(&server.key(PasswordAlgorithm::Sha256))
            .unwrap();
    }

    #[test]
    fn username_anonymity_sends_userhash() {
        let now = t0();
        let mut client = new_client();
        let mut server = Server::new("secret");
        server.nonce = "obMatJos2QAAAabcdef".into(); // bit 1: username anonymity
        start(&mut client, now, "secret");
        assert!(matches!(
            exchange(&mut client, &mut server, now),
            ClientEvent::Success { .. }
        ));
        let second = Message::parse(&server.requests[1]).unwrap();
        assert_eq!(
            second.get::<Username<'_>>(),
            Ok(None),
            "no USERNAME in the clear"
        );
        let expected = crate::integrity::userhash(USER, REALM_, Preparation::OpaqueString).unwrap();
        assert_eq!(second.require::<Userhash>().unwrap().0, expected);
        second
            .verify_integrity(&server.key(PasswordAlgorithm::Md5))
            .unwrap();
    }

    #[test]
    fn cookie_without_password_algorithms_is_a_bid_down() {
        let now = t0();
        let mut client = new_client();
        let mut server = Server::new("secret");
        server.nonce = "obMatJos2gAAAabcdef".into();
        start(&mut client, now, "secret");
        match exchange(&mut client, &mut server, now) {
            ClientEvent::Failed { reason, .. } => {
                assert_eq!(
                    reason,
                    FailureReason::Auth(AuthFailure::MissingPasswordAlgorithms)
                );
            }
            other => panic!("expected an authentication failure, got {other:?}"),
        }
        assert_eq!(server.requests.len(), 1, "nothing signed was sent");
    }
}

#[test]
fn rfc8489_b1_userhash_and_sha256_vector_both_directions() {
    // The USERHASH of the katakana username and realm.
    let hash = crate::integrity::userhash(
        vectors::LONG_TERM_USERNAME,
        vectors::LONG_TERM_REALM,
        Preparation::OpaqueString,
    )
    .unwrap();
    let msg = Message::parse(&vectors::RFC8489_SHA256_REQUEST).unwrap();
    assert_eq!(msg.require::<Userhash>().unwrap().0, hash);
    assert_eq!(
        msg.require::<Nonce<'_>>().unwrap().0,
        vectors::RFC8489_NONCE
    );
    assert_eq!(
        msg.require::<Realm<'_>>().unwrap().0,
        vectors::LONG_TERM_REALM
    );
    let algorithm = msg.require::<crate::attr::PasswordAlgorithm<'_>>().unwrap();
    assert_eq!(algorithm.0.algorithm, PasswordAlgorithm::Sha256.number());
    let key = Key::long_term_with(
        vectors::LONG_TERM_USERNAME,
        vectors::LONG_TERM_REALM,
        vectors::LONG_TERM_PASSWORD,
        PasswordAlgorithm::Sha256,
        Preparation::SaslPrep,
    )
    .unwrap();
    msg.verify_integrity(&key).unwrap();

    let mut buf = Vec::new();
    let id = TransactionId(vectors::LONG_TERM_TRANSACTION_ID);
    let mut w = MessageWriter::new(&mut buf, MessageType::BINDING_REQUEST, id);
    w.add(&Userhash(hash)).unwrap();
    w.add(&Nonce(vectors::RFC8489_NONCE)).unwrap();
    w.add(&Realm(vectors::LONG_TERM_REALM)).unwrap();
    w.add(&crate::attr::PasswordAlgorithm(PasswordAlgorithmEntry {
        algorithm: 2,
        params: &[],
    }))
    .unwrap();
    w.add_message_integrity_sha256(&key).unwrap();
    w.finish();
    assert_eq!(buf, vectors::RFC8489_SHA256_REQUEST);
}

// ---------------------------------------------------------------------------------------
// ALTERNATE-SERVER (RFC 8489 section 10).

mod alternate {
    use super::*;
    use crate::client::Auth;

    const OTHER: &str = "127.0.0.2:3478";

    fn try_alternate(request: &[u8], to: &str, key: Option<&Key>) -> Vec<u8> {
        let req = Message::parse(request).unwrap();
        let mut out = Vec::new();
        let mut w = MessageWriter::new(&mut out, MessageType::BINDING_ERROR, req.transaction_id());
        w.add(&ErrorCode::from_code(ErrorCodeValue::TRY_ALTERNATE))
            .unwrap();
        w.add(&AlternateServer(to.parse().unwrap())).unwrap();
        if let Some(key) = key {
            w.add_message_integrity(key).unwrap();
        }
        w.finish();
        out
    }

    /// Sends what the client has, answers each request with `answer(server, request)`.
    fn step(
        client: &mut Client,
        now: Instant,
        mut answer: impl FnMut(SocketAddr, &[u8]) -> Vec<u8>,
    ) {
        let mut buf = Vec::new();
        while let Some(t) = client.poll_transmit(now, &mut buf) {
            let reply = answer(t.destination, &buf);
            buf.clear();
            client.handle_datagram(
                now,
                Datagram::udp(t.destination, CLIENT.parse().unwrap(), &reply),
            );
        }
    }

    fn success(request: &[u8]) -> Vec<u8> {
        let req = Message::parse(request).unwrap();
        let mut out = Vec::new();
        let mut w = MessageWriter::new(
            &mut out,
            MessageType::BINDING_RESPONSE,
            req.transaction_id(),
        );
        w.add(&XorMappedAddress(CLIENT.parse().unwrap())).unwrap();
        w.finish();
        out
    }

    #[test]
    fn a_300_is_followed_to_the_alternate_server() {
        let now = t0();
        let mut client = Client::new(
            now,
            ClientConfig {
                rng_seed: Some([8; 32]),
                ..Default::default()
            },
        );
        let id = client
            .binding(now, Transport::Udp, None, SERVER.parse().unwrap())
            .unwrap();
        let mut seen = Vec::new();
        step(&mut client, now, |to, req| {
            seen.push(to);
            if to == SERVER.parse().unwrap() {
                try_alternate(req, OTHER, None)
            } else {
                success(req)
            }
        });
        assert_eq!(
            seen,
            [
                SERVER.parse().unwrap(),
                OTHER.parse::<SocketAddr>().unwrap()
            ]
        );
        assert_eq!(
            client.poll_event(),
            Some(ClientEvent::Redirected {
                id,
                from: SERVER.parse().unwrap(),
                to: OTHER.parse().unwrap()
            })
        );
        match client.poll_event() {
            Some(ClientEvent::Success { id: got, from, .. }) => {
                assert_eq!(got, id);
                assert_eq!(from, OTHER.parse().unwrap());
            }
            other => panic!("expected success from the alternate, got {other:?}"),
        }
    }

    #[test]
    fn redirect_loops_and_unsigned_redirects_are_not_followed() {
        let now = t0();
        let mut client = Client::new(
            now,
            ClientConfig {
                rng_seed: Some([8; 32]),
                ..Default::default()
            },
        );
        // To itself: reported, not followed.
        client
            .binding(now, Transport::Udp, None, SERVER.parse().unwrap())
            .unwrap();
        step(&mut client, now, |_, req| try_alternate(req, SERVER, None));
        assert!(matches!(
            client.poll_event(),
            Some(ClientEvent::ErrorResponse {
                code: ErrorCodeValue::TRY_ALTERNATE,
                ..
            })
        ));
        // Ping-pong between two servers: followed at most twice.
        client
            .binding(now, Transport::Udp, None, SERVER.parse().unwrap())
            .unwrap();
        let mut requests = 0;
        step(&mut client, now, |to, req| {
            requests += 1;
            let other = if to == SERVER.parse().unwrap() {
                OTHER
            } else {
                SERVER
            };
            try_alternate(req, other, None)
        });
        assert_eq!(requests, 3);
        let events: Vec<_> = std::iter::from_fn(|| client.poll_event()).collect();
        assert_eq!(
            events.len(),
            3,
            "two redirections, then the 300: {events:?}"
        );
        assert!(matches!(
            events[2],
            ClientEvent::ErrorResponse {
                code: ErrorCodeValue::TRY_ALTERNATE,
                ..
            }
        ));
        // A signed request redirected by an unsigned 300: not followed.
        let key = short_key();
        let auth = Auth::ShortTerm {
            username: "u".into(),
            key: key.clone(),
        };
        client
            .request(
                now,
                Transport::Udp,
                None,
                SERVER.parse().unwrap(),
                Method::BINDING,
                auth,
                |_| Ok(()),
            )
            .unwrap();
        step(&mut client, now, |_, req| try_alternate(req, OTHER, None));
        assert!(matches!(
            client.poll_event(),
            Some(ClientEvent::ErrorResponse {
                code: ErrorCodeValue::TRY_ALTERNATE,
                ..
            })
        ));
        // ...but a signed 300 is.
        let auth = Auth::ShortTerm {
            username: "u".into(),
            key: key.clone(),
        };
        client
            .request(
                now,
                Transport::Udp,
                None,
                SERVER.parse().unwrap(),
                Method::BINDING,
                auth,
                |_| Ok(()),
            )
            .unwrap();
        let mut first = true;
        step(&mut client, now, |_, req| {
            if std::mem::take(&mut first) {
                try_alternate(req, OTHER, Some(&key))
            } else {
                Vec::new()
            }
        });
        assert!(matches!(
            client.poll_event(),
            Some(ClientEvent::Redirected { .. })
        ));
    }
}
