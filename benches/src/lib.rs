//! Criterion benchmarks: Wren beside peer crates on the same inputs
//!
//! The STUN benchmark (`benches/stun.rs`) runs every peer in [`peers`] over the RFC 5769
//! section 2.1 "Sample Request", [`RFC5769_REQUEST`]. Each peer is wrapped in the [`Peer`]
//! trait so that the benchmark and the tests (`tests/stun_peers.rs`) drive exactly the same
//! code. See `benches/README.md` for how to run it and how to read the results.

use std::borrow::Cow;
use std::fmt;

pub mod bwe;
pub mod criterion_report;
pub mod frame;
pub mod ice;
pub mod peers;
pub mod rtc;
pub mod str0m_peer;
pub mod wren_bwe_peer;

/// RFC 5769 section 2.1 "Sample Request", byte for byte as published.
///
/// A Binding request with SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME,
/// MESSAGE-INTEGRITY (short-term credential [`PASSWORD`]) and FINGERPRINT. Note that the
/// RFC pads SOFTWARE to its 16 bytes exactly and pads USERNAME's 9 bytes with three
/// *spaces* (0x20), not zeros; MESSAGE-INTEGRITY and FINGERPRINT cover those spaces.
pub const RFC5769_REQUEST: [u8; 108] = [
    0x00, 0x01, 0x00, 0x58, // Request type and message length
    0x21, 0x12, 0xa4, 0x42, // Magic cookie
    0xb7, 0xe7, 0xa7, 0x01, // }
    0xbc, 0x34, 0xd6, 0x86, // }  Transaction ID
    0xfa, 0x87, 0xdf, 0xae, // }
    0x80, 0x22, 0x00, 0x10, // SOFTWARE attribute header
    0x53, 0x54, 0x55, 0x4e, // }
    0x20, 0x74, 0x65, 0x73, // }  User-agent...
    0x74, 0x20, 0x63, 0x6c, // }  ...name
    0x69, 0x65, 0x6e, 0x74, // }
    0x00, 0x24, 0x00, 0x04, // PRIORITY attribute header
    0x6e, 0x00, 0x01, 0xff, // ICE priority value
    0x80, 0x29, 0x00, 0x08, // ICE-CONTROLLED attribute header
    0x93, 0x2f, 0xf9, 0xb1, // }  Pseudo-random tie breaker...
    0x51, 0x26, 0x3b, 0x36, // }   ...for ICE control
    0x00, 0x06, 0x00, 0x09, // USERNAME attribute header
    0x65, 0x76, 0x74, 0x6a, // }
    0x3a, 0x68, 0x36, 0x76, // }  Username (9 bytes) and padding (3 bytes)
    0x59, 0x20, 0x20, 0x20, // }
    0x00, 0x08, 0x00, 0x14, // MESSAGE-INTEGRITY attribute header
    0x9a, 0xea, 0xa7, 0x0c, // }
    0xbf, 0xd8, 0xcb, 0x56, // }
    0x78, 0x1e, 0xf2, 0xb5, // }  HMAC-SHA1 fingerprint
    0xb2, 0xd3, 0xf2, 0x49, // }
    0xc1, 0xb5, 0x71, 0xa2, // }
    0x80, 0x28, 0x00, 0x04, // FINGERPRINT attribute header
    0xe5, 0x7a, 0x3b, 0xcf, // CRC32 fingerprint
];

/// [`RFC5769_REQUEST`] as an RFC 8489 sender writes it: USERNAME padded with zeros, and
/// MESSAGE-INTEGRITY and FINGERPRINT recomputed over those zeros.
///
/// Every peer pads with zeros, so this, not the RFC's bytes, is what a byte-identical
/// encoder produces. Derived from the RFC vector with Python's `hmac`/`zlib`; the tests
/// check that it differs from [`RFC5769_REQUEST`] only in the 3 padding bytes, the 20
/// MESSAGE-INTEGRITY bytes and the 4 FINGERPRINT bytes, and that every peer verifies it.
pub const RFC5769_REQUEST_ZERO_PADDED: [u8; 108] = [
    0x00, 0x01, 0x00, 0x58, // Request type and message length
    0x21, 0x12, 0xa4, 0x42, // Magic cookie
    0xb7, 0xe7, 0xa7, 0x01, // }
    0xbc, 0x34, 0xd6, 0x86, // }  Transaction ID
    0xfa, 0x87, 0xdf, 0xae, // }
    0x80, 0x22, 0x00, 0x10, // SOFTWARE attribute header
    0x53, 0x54, 0x55, 0x4e, // }
    0x20, 0x74, 0x65, 0x73, // }  "STUN test client"
    0x74, 0x20, 0x63, 0x6c, // }
    0x69, 0x65, 0x6e, 0x74, // }
    0x00, 0x24, 0x00, 0x04, // PRIORITY attribute header
    0x6e, 0x00, 0x01, 0xff, // ICE priority value
    0x80, 0x29, 0x00, 0x08, // ICE-CONTROLLED attribute header
    0x93, 0x2f, 0xf9, 0xb1, // }  tie breaker
    0x51, 0x26, 0x3b, 0x36, // }
    0x00, 0x06, 0x00, 0x09, // USERNAME attribute header
    0x65, 0x76, 0x74, 0x6a, // }
    0x3a, 0x68, 0x36, 0x76, // }  "evtj:h6vY" and zero padding
    0x59, 0x00, 0x00, 0x00, // }
    0x00, 0x08, 0x00, 0x14, // MESSAGE-INTEGRITY attribute header
    0x79, 0x07, 0xc2, 0xd2, // }
    0xed, 0xbf, 0xea, 0x48, // }
    0x0e, 0x4c, 0x76, 0xd8, // }  HMAC-SHA1 over the zero-padded bytes
    0x29, 0x62, 0xd5, 0xc3, // }
    0x74, 0x2a, 0xf9, 0xe3, // }
    0x80, 0x28, 0x00, 0x04, // FINGERPRINT attribute header
    0xe3, 0x52, 0x92, 0x8d, // CRC32 fingerprint
];

/// Short-term credential password of the RFC 5769 samples.
pub const PASSWORD: &str = "VOkJxbRl1RmTxUk/WvJxBt";
/// USERNAME of the sample request.
pub const USERNAME: &str = "evtj:h6vY";
/// SOFTWARE of the sample request.
pub const SOFTWARE: &str = "STUN test client";
/// PRIORITY of the sample request.
pub const PRIORITY: u32 = 0x6e00_01ff;
/// ICE-CONTROLLED tie breaker of the sample request.
pub const ICE_CONTROLLED: u64 = 0x932f_f9b1_5126_3b36;
/// Transaction ID of the sample request.
pub const TRANSACTION_ID: [u8; 12] = [
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
];

/// The plain attribute values of a decoded message, as a peer hands them back.
///
/// Text borrows from the peer's message where its API allows that, and is owned where
/// the API only returns owned strings (that allocation is then part of the peer's cost).
/// `None` means the attribute is absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields<'a> {
    /// SOFTWARE.
    pub software: Option<Cow<'a, str>>,
    /// PRIORITY.
    pub priority: Option<u32>,
    /// ICE-CONTROLLED.
    pub ice_controlled: Option<u64>,
    /// USERNAME.
    pub username: Option<Cow<'a, str>>,
}

impl Fields<'static> {
    /// The four plain attributes of the RFC 5769 sample request.
    pub fn rfc5769() -> Self {
        Fields {
            software: Some(Cow::Borrowed(SOFTWARE)),
            priority: Some(PRIORITY),
            ice_controlled: Some(ICE_CONTROLLED),
            username: Some(Cow::Borrowed(USERNAME)),
        }
    }
}

/// A peer's failure, stringified (only ever built on the error path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerError(String);

impl PeerError {
    /// An error described by `what`.
    pub fn new(what: impl Into<String>) -> Self {
        PeerError(what.into())
    }

    /// A `map_err` adaptor: `context` followed by the peer's own error, `Debug`-formatted.
    pub fn map<E: fmt::Debug>(context: &'static str) -> impl FnOnce(E) -> PeerError {
        move |e| PeerError(format!("{context}: {e:?}"))
    }
}

impl fmt::Display for PeerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PeerError {}

/// One STUN implementation, driven through its own public API.
///
/// A value holds what a real user would set up once per session and reuse: the
/// short-term key (and crypto provider where the API wants one), reusable decoders and
/// encoders, and an output buffer. Each peer module documents which API it calls for
/// each step and what it cannot do.
pub trait Peer {
    /// The benchmark id, e.g. `stun_decode_verify/<NAME>`.
    const NAME: &'static str;
    /// Whether [`Peer::decode_verify`] checks FINGERPRINT. `false` where the crate has no
    /// public way to do it; the benchmark then measures parse + MESSAGE-INTEGRITY only.
    const CHECKS_FINGERPRINT: bool;
    /// Whether the peer handles SOFTWARE: reads it in [`Peer::fields`] and writes it in
    /// [`Peer::encode`]. `false` for str0m (see [`peers::str0m`]); then it reads and writes
    /// the other three plain attributes only.
    const HANDLES_SOFTWARE: bool;
    /// The peer's decoded message.
    type Msg<'a>;
    /// The peer's transaction ID type.
    type Tid: Copy;

    /// Set up for short-term credential `password`.
    fn new(password: &str) -> Self;

    /// Parse `buf`, check MESSAGE-INTEGRITY and (if [`Peer::CHECKS_FINGERPRINT`])
    /// FINGERPRINT; `Err` if either check fails.
    fn decode_verify<'a>(&mut self, buf: &'a [u8]) -> Result<Self::Msg<'a>, PeerError>;

    /// Read the four plain attributes of a decoded message.
    fn fields<'m>(msg: &'m Self::Msg<'_>) -> Result<Fields<'m>, PeerError>;

    /// The transaction ID of a decoded message.
    fn transaction_id(msg: &Self::Msg<'_>) -> Self::Tid;

    /// Encode a Binding request with `tid` and the present `fields`, in the order
    /// SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME where the peer lets the caller choose,
    /// then MESSAGE-INTEGRITY and FINGERPRINT. Returns the wire bytes.
    fn encode(&mut self, tid: Self::Tid, fields: &Fields<'_>) -> Result<&[u8], PeerError>;
}
