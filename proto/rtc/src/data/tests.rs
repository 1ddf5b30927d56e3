//! DCEP (RFC 8832 section 5) parse and write: the section's layouts byte by byte, round
//! trips, and any bytes never panic.

use proptest::prelude::*;

use super::channel::ChannelOptions;
use super::dcep::{DcepError, Message, Open, Reliability, write_ack};

/// RFC 8832 section 5.1's layout for a reliable, ordered channel "chat" with protocol
/// "json", priority 256 (RFC 8831 section 6.4 "normal").
const OPEN_CHAT: [u8; 20] = [
    0x03, // Message Type: DATA_CHANNEL_OPEN
    0x00, // Channel Type: DATA_CHANNEL_RELIABLE
    0x01, 0x00, // Priority 256
    0x00, 0x00, 0x00, 0x00, // Reliability Parameter (ignored when reliable)
    0x00, 0x04, // Label Length
    0x00, 0x04, // Protocol Length
    b'c', b'h', b'a', b't', b'j', b's', b'o', b'n',
];

#[test]
fn rfc_8832_open_layout_parses_and_writes_back() {
    let m = Message::parse(&OPEN_CHAT).unwrap();
    let want = Open {
        unordered: false,
        reliability: Reliability::Reliable,
        priority: 256,
        label: "chat",
        protocol: "json",
    };
    assert_eq!(m, Message::Open(want));
    let mut out = Vec::new();
    want.write(&mut out).unwrap();
    assert_eq!(out, OPEN_CHAT);
    assert_eq!(want.len(), OPEN_CHAT.len());
}

#[test]
fn rfc_8832_channel_types() {
    // Section 8.2.2: 0x00/0x80 reliable, 0x01/0x81 rexmit, 0x02/0x82 timed.
    let cases = [
        (0x00, 7, false, Reliability::Reliable),
        (0x80, 7, true, Reliability::Reliable),
        (0x01, 3, false, Reliability::MaxRetransmits(3)),
        (0x81, 0, true, Reliability::MaxRetransmits(0)),
        (0x02, 150, false, Reliability::MaxLifetimeMs(150)),
        (0x82, 150, true, Reliability::MaxLifetimeMs(150)),
    ];
    for (kind, param, unordered, reliability) in cases {
        let mut b = OPEN_CHAT;
        b[1] = kind;
        b[4..8].copy_from_slice(&u32::to_be_bytes(param));
        let Ok(Message::Open(o)) = Message::parse(&b) else {
            panic!("{kind:#x}");
        };
        assert_eq!((o.unordered, o.reliability), (unordered, reliability));
        let options = ChannelOptions::from_open(&o);
        assert_eq!(options.ordered, !unordered);
        assert_eq!(options.reliability(), reliability);
    }
}

#[test]
fn rfc_8832_ack_is_one_byte() {
    let mut out = Vec::new();
    write_ack(&mut out);
    assert_eq!(out, [0x02]);
    assert_eq!(Message::parse(&out), Ok(Message::Ack));
}

#[test]
fn bad_opens_say_what_is_wrong() {
    assert_eq!(Message::parse(&[]), Err(DcepError::Empty));
    assert_eq!(Message::parse(&[0x04]), Err(DcepError::UnknownType(0x04)));
    assert_eq!(
        Message::parse(&OPEN_CHAT[..11]),
        Err(DcepError::Truncated { need: 12, have: 11 })
    );
    // A label length past the end.
    let mut b = OPEN_CHAT;
    b[9] = 0xff;
    assert_eq!(
        Message::parse(&b),
        Err(DcepError::Truncated {
            need: 12 + 0xff + 4,
            have: 20
        })
    );
    let mut b = OPEN_CHAT;
    b[1] = 0x03;
    assert_eq!(Message::parse(&b), Err(DcepError::UnknownChannelType(0x03)));
    let mut b = OPEN_CHAT;
    b[12] = 0xff;
    assert_eq!(Message::parse(&b), Err(DcepError::NotUtf8));
}

#[test]
fn a_label_past_16_bits_is_refused_on_write() {
    let label = "x".repeat(70_000);
    let open = Open {
        unordered: false,
        reliability: Reliability::Reliable,
        priority: 0,
        label: &label,
        protocol: "",
    };
    assert!(matches!(
        open.write(&mut Vec::new()),
        Err(DcepError::Truncated { need: 70_000, .. })
    ));
}

fn reliability() -> impl Strategy<Value = Reliability> {
    prop_oneof![
        Just(Reliability::Reliable),
        any::<u32>().prop_map(Reliability::MaxRetransmits),
        any::<u32>().prop_map(Reliability::MaxLifetimeMs),
    ]
}

proptest! {
    #[test]
    fn open_round_trips(
        unordered: bool,
        reliability in reliability(),
        priority: u16,
        label in ".{0,40}",
        protocol in ".{0,20}",
    ) {
        // A reliable channel's parameter is not kept: it is written as 0.
        let open = Open { unordered, reliability, priority, label: &label, protocol: &protocol };
        let mut out = Vec::new();
        open.write(&mut out).unwrap();
        prop_assert_eq!(out.len(), open.len());
        prop_assert_eq!(Message::parse(&out), Ok(Message::Open(open)));
    }

    #[test]
    fn any_bytes_parse_or_fail_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(Message::Open(o)) = Message::parse(&bytes) {
            let mut out = Vec::new();
            o.write(&mut out).unwrap();
            prop_assert_eq!(Message::parse(&out), Ok(Message::Open(o)));
        }
    }
}
