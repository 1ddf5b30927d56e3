//! Typed attributes: every attribute of RFC 8489, those ICE (RFC 8445) and TURN (RFC 8656,
//! RFC 6062) use, RFC 5780's NAT-behaviour attributes, and the RFC 3489 addresses older
//! clients still expect.
//!
//! Each attribute is a small type implementing [`Attribute`]: `decode` reads the value from
//! a borrowed slice (strings and byte strings stay borrowed), `encode` writes it into the
//! space [`crate::MessageWriter`] reserved. [`AnyAttribute`] decodes any of them by type.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

pub use crate::attr_type::AttrType;
use crate::attr_type::RawAttribute;
use crate::error::{AttrError, Error};
use crate::header::{MAGIC_COOKIE, TransactionId};

/// A typed attribute value.
pub trait Attribute<'a>: Sized {
    /// The attribute type.
    const TYPE: AttrType;
    /// Decodes the value (padding excluded). `tid` is the message's transaction ID, which the
    /// XOR address attributes need.
    fn decode(value: &'a [u8], tid: &TransactionId) -> Result<Self, AttrError>;
    /// The length of the encoded value, padding excluded.
    fn encoded_len(&self) -> usize;
    /// Writes the value into `out`, which is exactly [`Attribute::encoded_len`] bytes.
    fn encode(&self, out: &mut [u8], tid: &TransactionId);
}

fn exact(value: &[u8], expected: usize) -> Result<(), AttrError> {
    if value.len() == expected {
        Ok(())
    } else {
        Err(AttrError::Length {
            expected,
            actual: value.len(),
        })
    }
}

fn array<const N: usize>(value: &[u8]) -> Result<[u8; N], AttrError> {
    <[u8; N]>::try_from(value).map_err(|_| AttrError::Length {
        expected: N,
        actual: value.len(),
    })
}

// ---------------------------------------------------------------------------------------
// Addresses (RFC 8489 sections 14.1 and 14.2).

/// Address family numbers of the address attributes.
const FAMILY_V4: u8 = 0x01;
const FAMILY_V6: u8 = 0x02;

fn decode_address(value: &[u8], xor: Option<&TransactionId>) -> Result<SocketAddr, AttrError> {
    if value.len() < 4 {
        return Err(AttrError::Length {
            expected: 8,
            actual: value.len(),
        });
    }
    let cookie = MAGIC_COOKIE.to_be_bytes();
    let mut port = u16::from_be_bytes([value[2], value[3]]);
    if xor.is_some() {
        port ^= (MAGIC_COOKIE >> 16) as u16;
    }
    match value[1] {
        FAMILY_V4 => {
            let mut ip: [u8; 4] = array(&value[4..]).map_err(|_| AttrError::Length {
                expected: 8,
                actual: value.len(),
            })?;
            if xor.is_some() {
                ip.iter_mut().zip(cookie).for_each(|(b, k)| *b ^= k);
            }
            Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port))
        }
        FAMILY_V6 => {
            let mut ip: [u8; 16] = array(&value[4..]).map_err(|_| AttrError::Length {
                expected: 20,
                actual: value.len(),
            })?;
            if let Some(tid) = xor {
                let key = cookie.iter().chain(tid.0.iter());
                ip.iter_mut().zip(key).for_each(|(b, k)| *b ^= k);
            }
            Ok(SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), port))
        }
        other => Err(AttrError::Family(other)),
    }
}

fn address_len(addr: &SocketAddr) -> usize {
    if addr.is_ipv4() { 8 } else { 20 }
}

fn encode_address(addr: &SocketAddr, out: &mut [u8], xor: Option<&TransactionId>) {
    let cookie = MAGIC_COOKIE.to_be_bytes();
    out[0] = 0;
    let mut port = addr.port();
    if xor.is_some() {
        port ^= (MAGIC_COOKIE >> 16) as u16;
    }
    out[2..4].copy_from_slice(&port.to_be_bytes());
    match addr.ip() {
        IpAddr::V4(ip) => {
            out[1] = FAMILY_V4;
            let mut o = ip.octets();
            if xor.is_some() {
                o.iter_mut().zip(cookie).for_each(|(b, k)| *b ^= k);
            }
            out[4..8].copy_from_slice(&o);
        }
        IpAddr::V6(ip) => {
            out[1] = FAMILY_V6;
            let mut o = ip.octets();
            if let Some(tid) = xor {
                let key = cookie.iter().chain(tid.0.iter());
                o.iter_mut().zip(key).for_each(|(b, k)| *b ^= k);
            }
            out[4..20].copy_from_slice(&o);
        }
    }
}

macro_rules! address_attr {
    ($(#[$doc:meta])* $name:ident, $typ:ident, $xor:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(pub SocketAddr);

        impl<'a> Attribute<'a> for $name {
            const TYPE: AttrType = AttrType::$typ;
            fn decode(value: &'a [u8], tid: &TransactionId) -> Result<Self, AttrError> {
                decode_address(value, $xor.then_some(tid)).map($name)
            }
            fn encoded_len(&self) -> usize {
                address_len(&self.0)
            }
            fn encode(&self, out: &mut [u8], tid: &TransactionId) {
                encode_address(&self.0, out, $xor.then_some(tid));
            }
        }
    };
}

address_attr!(
    /// MAPPED-ADDRESS: the reflexive address, in the clear (RFC 3489 peers).
    MappedAddress, MAPPED_ADDRESS, false
);
address_attr!(
    /// XOR-MAPPED-ADDRESS: the reflexive address, XORed with the cookie and transaction ID.
    XorMappedAddress, XOR_MAPPED_ADDRESS, true
);
address_attr!(
    /// XOR-PEER-ADDRESS: a TURN peer's address.
    XorPeerAddress, XOR_PEER_ADDRESS, true
);
address_attr!(
    /// XOR-RELAYED-ADDRESS: the relayed transport address of a TURN allocation.
    XorRelayedAddress, XOR_RELAYED_ADDRESS, true
);
address_attr!(
    /// ALTERNATE-SERVER: the server a 300 (Try Alternate) response points to.
    AlternateServer, ALTERNATE_SERVER, false
);
address_attr!(
    /// RESPONSE-ORIGIN: the address the response was sent from (RFC 5780).
    ResponseOrigin, RESPONSE_ORIGIN, false
);
address_attr!(
    /// OTHER-ADDRESS: the server's alternate address (RFC 5780).
    OtherAddress, OTHER_ADDRESS, false
);
address_attr!(
    /// SOURCE-ADDRESS: the address the response was sent from (RFC 3489).
    SourceAddress, SOURCE_ADDRESS, false
);
address_attr!(
    /// CHANGED-ADDRESS: the server's alternate address (RFC 3489).
    ChangedAddress, CHANGED_ADDRESS, false
);
address_attr!(
    /// RESPONSE-ADDRESS: where an RFC 3489 client asked the response to go.
    ResponseAddress, RESPONSE_ADDRESS, false
);
address_attr!(
    /// REFLECTED-FROM (RFC 3489).
    ReflectedFrom, REFLECTED_FROM, false
);

// ---------------------------------------------------------------------------------------
// Text.

fn decode_text(value: &[u8], max: usize) -> Result<&str, AttrError> {
    if value.len() > max {
        return Err(AttrError::TooLong {
            max,
            actual: value.len(),
        });
    }
    std::str::from_utf8(value).map_err(|_| AttrError::Utf8)
}

macro_rules! text_attr {
    ($(#[$doc:meta])* $name:ident, $typ:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name<'a>(pub &'a str);

        impl<'a> $name<'a> {
            /// The most bytes the value may hold.
            pub const MAX_LEN: usize = $max;
        }

        impl<'a> Attribute<'a> for $name<'a> {
            const TYPE: AttrType = AttrType::$typ;
            fn decode(value: &'a [u8], _tid: &TransactionId) -> Result<Self, AttrError> {
                decode_text(value, $max).map($name)
            }
            fn encoded_len(&self) -> usize {
                self.0.len()
            }
            fn encode(&self, out: &mut [u8], _tid: &TransactionId) {
                out.copy_from_slice(self.0.as_bytes());
            }
        }
    };
}

text_attr!(
    /// USERNAME: at most 513 bytes of UTF-8 (RFC 8489 section 14.3 asks senders for fewer
    /// than 509; RFC 5389 allowed 513, which is what is accepted).
    Username, USERNAME, 513
);
text_attr!(
    /// REALM: fewer than 128 characters, at most 763 bytes.
    Realm, REALM, 763
);
text_attr!(
    /// NONCE: fewer than 128 characters, at most 763 bytes.
    Nonce, NONCE, 763
);
text_attr!(
    /// SOFTWARE: fewer than 128 characters, at most 763 bytes.
    Software, SOFTWARE, 763
);
text_attr!(
    /// ALTERNATE-DOMAIN: the TLS domain of an ALTERNATE-SERVER, at most 255 bytes.
    AlternateDomain, ALTERNATE_DOMAIN, 255
);

// ---------------------------------------------------------------------------------------
// Opaque bytes.

macro_rules! bytes_attr {
    ($(#[$doc:meta])* $name:ident, $typ:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name<'a>(pub &'a [u8]);

        impl<'a> Attribute<'a> for $name<'a> {
            const TYPE: AttrType = AttrType::$typ;
            fn decode(value: &'a [u8], _tid: &TransactionId) -> Result<Self, AttrError> {
                Ok($name(value))
            }
            fn encoded_len(&self) -> usize {
                self.0.len()
            }
            fn encode(&self, out: &mut [u8], _tid: &TransactionId) {
                out.copy_from_slice(self.0);
            }
        }
    };
}

bytes_attr!(
    /// DATA: the payload of a Send or Data indication.
    Data, DATA
);
bytes_attr!(
    /// PADDING (RFC 5780): bytes to grow a message.
    Padding, PADDING
);

macro_rules! fixed_attr {
    ($(#[$doc:meta])* $name:ident, $typ:ident, $n:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(pub [u8; $n]);

        impl<'a> Attribute<'a> for $name {
            const TYPE: AttrType = AttrType::$typ;
            fn decode(value: &'a [u8], _tid: &TransactionId) -> Result<Self, AttrError> {
                array(value).map($name)
            }
            fn encoded_len(&self) -> usize {
                $n
            }
            fn encode(&self, out: &mut [u8], _tid: &TransactionId) {
                out.copy_from_slice(&self.0);
            }
        }
    };
}

fixed_attr!(
    /// MESSAGE-INTEGRITY's raw value. Writers add it with
    /// [`crate::MessageWriter::add_message_integrity`]; readers check it with
    /// [`crate::Message::verify_integrity`].
    MessageIntegrity, MESSAGE_INTEGRITY, 20
);
fixed_attr!(
    /// USERHASH: SHA-256 of `username ":" realm` (RFC 8489 section 14.4).
    Userhash, USERHASH, 32
);
fixed_attr!(
    /// RESERVATION-TOKEN: names a relayed address kept by EVEN-PORT.
    ReservationToken, RESERVATION_TOKEN, 8
);

/// MESSAGE-INTEGRITY-SHA256's raw value: 16 to 32 bytes, a multiple of 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageIntegritySha256<'a>(pub &'a [u8]);

impl<'a> Attribute<'a> for MessageIntegritySha256<'a> {
    const TYPE: AttrType = AttrType::MESSAGE_INTEGRITY_SHA256;
    fn decode(value: &'a [u8], _tid: &TransactionId) -> Result<Self, AttrError> {
        if (16..=32).contains(&value.len()) && value.len() % 4 == 0 {
            Ok(MessageIntegritySha256(value))
        } else {
            Err(AttrError::Length {
                expected: 32,
                actual: value.len(),
            })
        }
    }
    fn encoded_len(&self) -> usize {
        self.0.len()
    }
    fn encode(&self, out: &mut [u8], _tid: &TransactionId) {
        out.copy_from_slice(self.0);
    }
}

// ---------------------------------------------------------------------------------------
// Numbers and flags.

macro_rules! u32_attr {
    ($(#[$doc:meta])* $name:ident, $typ:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(pub u32);

        impl<'a> Attribute<'a> for $name {
            const TYPE: AttrType = AttrType::$typ;
            fn decode(value: &'a [u8], _tid: &TransactionId) -> Result<Self, AttrError> {
                array(value).map(|b| $name(u32::from_be_bytes(b)))
            }
            fn encoded_len(&self) -> usize {
                4
            }
            fn encode(&self, out: &mut [u8], _tid: &TransactionId) {
                out.copy_from_slice(&self.0.to_be_bytes());
            }
        }
    };
}

u32_attr!(
    /// PRIORITY: the priority of the peer-reflexive candidate a check would create.
    Priority, PRIORITY
);
u32_attr!(
    /// FINGERPRINT's raw value. Writers add it with [`crate::MessageWriter::add_fingerprint`].
    Fingerprint, FINGERPRINT
);
u32_attr!(
    /// CONNECTION-ID (RFC 6062): names a TCP connection to a peer.
    ConnectionId, CONNECTION_ID
);

macro_rules! u64_attr {
    ($(#[$doc:meta])* $name:ident, $typ:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(pub u64);

        impl<'a> Attribute<'a> for $name {
            const TYPE: AttrType = AttrType::$typ;
            fn decode(value: &'a [u8], _tid: &TransactionId) -> Result<Self, AttrError> {
                array(value).map(|b| $name(u64::from_be_bytes(b)))
            }
            fn encoded_len(&self) -> usize {
                8
            }
            fn encode(&self, out: &mut [u8], _tid: &TransactionId) {
                out.copy_from_slice(&self.0.to_be_bytes());
            }
        }
    };
}

u64_attr!(
    /// ICE-CONTROLLED: the sender is controlled; its tie-breaker.
    IceControlled, ICE_CONTROLLED
);
u64_attr!(
    /// ICE-CONTROLLING: the sender is controlling; its tie-breaker.
    IceControlling, ICE_CONTROLLING
);

macro_rules! flag_attr {
    ($(#[$doc:meta])* $name:ident, $typ:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name;

        impl<'a> Attribute<'a> for $name {
            const TYPE: AttrType = AttrType::$typ;
            fn decode(value: &'a [u8], _tid: &TransactionId) -> Result<Self, AttrError> {
                exact(value, 0).map(|()| $name)
            }
            fn encoded_len(&self) -> usize {
                0
            }
            fn encode(&self, _out: &mut [u8], _tid: &TransactionId) {}
        }
    };
}

flag_attr!(
    /// USE-CANDIDATE: the controlling agent nominates this pair.
    UseCandidate, USE_CANDIDATE
);
flag_attr!(
    /// DONT-FRAGMENT: the relay must set DF when sending to the peer.
    DontFragment, DONT_FRAGMENT
);

/// LIFETIME: how long a TURN allocation should live, whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lifetime(pub Duration);

impl<'a> Attribute<'a> for Lifetime {
    const TYPE: AttrType = AttrType::LIFETIME;
    fn decode(value: &'a [u8], _tid: &TransactionId) -> Result<Self, AttrError> {
        array(value).map(|b| Lifetime(Duration::from_secs(u64::from(u32::from_be_bytes(b)))))
    }
    fn encoded_len(&self) -> usize {
        4
    }
    fn encode(&self, out: &mut [u8], _tid: &TransactionId) {
        let secs = u32::try_from(self.0.as_secs()).unwrap_or(u32::MAX);
        out.copy_from_slice(&secs.to_be_bytes());
    }
}

/// CACHE-TIMEOUT (RFC 5780 section 7.8): how long the server keeps NAT binding state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CacheTimeout(pub Duration);

impl<'a> Attribute<'a> for CacheTimeout {
    const TYPE: AttrType = AttrType::CACHE_TIMEOUT;
    fn decode(value: &'a [u8], _tid: &TransactionId) -> Result<Self, AttrError> {
        array(value).map(|b| CacheTimeout(Duration::from_secs(u64::from(u32::from_be_bytes(b)))))
    }
    fn encoded_len(&self) -> usize {
        4
    }
    fn encode(&self, out: &mut [u8], _tid: &TransactionId) {
        let secs = u32::try_from(self.0.as_secs()).unwrap_or(u32::MAX);
        out.copy_from_slice(&secs.to_be_bytes());
    }
}

/// CHANNEL-NUMBER: a TURN channel, 0x4000 through 0x4FFF when valid (checked by the TURN
/// server, not here), followed by two reserved bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChannelNumber(pub u16);

impl<'a> Attribute<'a> for ChannelNumber {
    const TYPE: AttrType = AttrType::CHANNEL_NUMBER;
    fn decode(value: &'a [u8], _tid: &TransactionId) -> Result<Self, AttrError> {
        let b: [u8; 4] = array(value)?;
        Ok(ChannelNumber(u16::from_be_bytes([b[0], b[1]])))
    }
    fn encoded_len(&self) -> usize {
        4
    }
    fn encode(&self, out: &mut [u8], _tid: &TransactionId) {
        out[..2].copy_from_slice(&self.0.to_be_bytes());
        out[2..].fill(0);
    }
}

/// RESPONSE-PORT (RFC 5780 section 7.5): the port the response should go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResponsePort(pub u16);

impl<'a> Attribute<'a> for ResponsePort {
    const TYPE: AttrType = AttrType::RESPONSE_PORT;
    fn decode(value: &'a [u8], _tid: &TransactionId) -> Result<Self, AttrError> {
        let b: [u8; 4] = array(value)?;
        Ok(ResponsePort(u16::from_be_bytes([b[0], b[1]])))
    }
    fn encoded_len(&self) -> usize {
        4
    }
    fn encode(&self, out: &mut [u8], _tid: &TransactionId) {
        out[..2].copy_from_slice(&self.0.to_be_bytes());
        out[2..].fill(0);
    }
}

/// REQUESTED-TRANSPORT: the IP protocol number of the relayed transport (17 for UDP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestedTransport(pub u8);

impl RequestedTransport {
    /// UDP, protocol 17.
    pub const UDP: RequestedTransport = RequestedTransport(17);
    /// TCP, protocol 6 (RFC 6062).
    pub const TCP: RequestedTransport = RequestedTransport(6);
}

impl<'a> Attribute<'a> for RequestedTransport {
    const TYPE: AttrType = AttrType::REQUESTED_TRANSPORT;
    fn decode(value: &'a [u8], _tid: &TransactionId) -> Result<Self, AttrError> {
        let b: [u8; 4] = array(value)?;
        Ok(RequestedTransport(b[0]))
    }
    fn encoded_len(&self) -> usize {
        4
    }
    fn encode(&self, out: &mut [u8], _tid: &TransactionId) {
        out[0] = self.0;
        out[1..].fill(0);
    }
}

/// An address family of the TURN address-family attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressFamily {
    /// IPv4 (0x01).
    V4,
    /// IPv6 (0x02).
    V6,
}

impl AddressFamily {
    fn from_byte(b: u8) -> Result<AddressFamily, AttrError> {
        match b {
            FAMILY_V4 => Ok(AddressFamily::V4),
            FAMILY_V6 => Ok(AddressFamily::V6),
            other => Err(AttrError::Family(other)),
        }
    }

    fn to_byte(self) -> u8 {
        match self {
            AddressFamily::V4 => FAMILY_V4,
            AddressFamily::V6 => FAMILY_V6,
        }
    }
}

macro_rules! family_attr {
    ($(#[$doc:meta])* $name:ident, $typ:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(pub AddressFamily);

        impl<'a> Attribute<'a> for $name {
            const TYPE: AttrType = AttrType::$typ;
            fn decode(value: &'a [u8], _tid: &TransactionId) -> Result<Self, AttrError> {
                let b: [u8; 4] = array(value)?;
                AddressFamily::from_byte(b[0]).map($name)
            }
            fn encoded_len(&self) -> usize {
                4
            }
            fn encode(&self, out: &mut [u8], _tid: &TransactionId) {
                out[0] = self.0.to_byte();
                out[1..].fill(0);
            }
        }
    };
}

family_attr!(
    /// REQUESTED-ADDRESS-FAMILY: the family of the relayed address asked for.
    RequestedAddressFamily, REQUESTED_ADDRESS_FAMILY
);
family_attr!(
    /// ADDITIONAL-ADDRESS-FAMILY: ask for an IPv6 relayed address besides the IPv4 one.
    AdditionalAddressFamily, ADDITIONAL_ADDRESS_FAMILY
);

/// EVEN-PORT: ask for an even relayed port; `reserve` asks to keep the next one too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EvenPort {
    /// The R bit: reserve the next higher port.
    pub reserve: bool,
}

impl<'a> Attribute<'a> for EvenPort {
    const TYPE: AttrType = AttrType::EVEN_PORT;
    fn decode(value: &'a [u8], _tid: &TransactionId) -> Result<Self, AttrError> {
        let b: [u8; 1] = array(value)?;
        Ok(EvenPort {
            reserve: b[0] & 0x80 != 0,
        })
    }
    fn encoded_len(&self) -> usize {
        1
    }
    fn encode(&self, out: &mut [u8], _tid: &TransactionId) {
        out[0] = if self.reserve { 0x80 } else { 0 };
    }
}

/// CHANGE-REQUEST (RFC 5780 section 7.2): ask the response to come from another IP/port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ChangeRequest {
    /// The "change IP" flag (0x04).
    pub change_ip: bool,
    /// The "change port" flag (0x02).
    pub change_port: bool,
}

impl<'a> Attribute<'a> for ChangeRequest {
    const TYPE: AttrType = AttrType::CHANGE_REQUEST;
    fn decode(value: &'a [u8], _tid: &TransactionId) -> Result<Self, AttrError> {
        let b: [u8; 4] = array(value)?;
        Ok(ChangeRequest {
            change_ip: b[3] & 0x04 != 0,
            change_port: b[3] & 0x02 != 0,
        })
    }
    fn encoded_len(&self) -> usize {
        4
    }
    fn encode(&self, out: &mut [u8], _tid: &TransactionId) {
        out[..3].fill(0);
        out[3] = (u8::from(self.change_ip) << 2) | (u8::from(self.change_port) << 1);
    }
}

/// TRANSACTION_TRANSMIT_COUNTER (RFC 7982): which retransmission a request or response is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TransactionTransmitCounter {
    /// Number of the request transmission, from 1.
    pub request: u8,
    /// Number of the response transmission (0 in requests).
    pub response: u8,
}

impl<'a> Attribute<'a> for TransactionTransmitCounter {
    const TYPE: AttrType = AttrType::TRANSACTION_TRANSMIT_COUNTER;
    fn decode(value: &'a [u8], _tid: &TransactionId) -> Result<Self, AttrError> {
        let b: [u8; 4] = array(value)?;
        Ok(TransactionTransmitCounter {
            request: b[2],
            response: b[3],
        })
    }
    fn encoded_len(&self) -> usize {
        4
    }
    fn encode(&self, out: &mut [u8], _tid: &TransactionId) {
        out[..2].fill(0);
        out[2] = self.request;
        out[3] = self.response;
    }
}

/// ICMP (RFC 8656 section 18.13): an ICMP error the relay got from the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Icmp {
    /// ICMP type.
    pub icmp_type: u8,
    /// ICMP code.
    pub code: u8,
    /// Error data (for example the MTU of a "packet too big").
    pub data: u32,
}

impl<'a> Attribute<'a> for Icmp {
    const TYPE: AttrType = AttrType::ICMP;
    fn decode(value: &'a [u8], _tid: &TransactionId) -> Result<Self, AttrError> {
        let b: [u8; 8] = array(value)?;
        Ok(Icmp {
            icmp_type: b[2],
            code: b[3],
            data: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
        })
    }
    fn encoded_len(&self) -> usize {
        8
    }
    fn encode(&self, out: &mut [u8], _tid: &TransactionId) {
        out[..2].fill(0);
        out[2] = self.icmp_type;
        out[3] = self.code;
        out[4..].copy_from_slice(&self.data.to_be_bytes());
    }
}

// ---------------------------------------------------------------------------------------
// Errors.

/// An error code: class 3..=6 and number 0..=99 (RFC 8489 section 14.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ErrorCodeValue(u16);

impl ErrorCodeValue {
    /// 300 Try Alternate.
    pub const TRY_ALTERNATE: ErrorCodeValue = ErrorCodeValue(300);
    /// 400 Bad Request.
    pub const BAD_REQUEST: ErrorCodeValue = ErrorCodeValue(400);
    /// 401 Unauthenticated.
    pub const UNAUTHENTICATED: ErrorCodeValue = ErrorCodeValue(401);
    /// 403 Forbidden (RFC 8656).
    pub const FORBIDDEN: ErrorCodeValue = ErrorCodeValue(403);
    /// 420 Unknown Attribute.
    pub const UNKNOWN_ATTRIBUTE: ErrorCodeValue = ErrorCodeValue(420);
    /// 437 Allocation Mismatch (RFC 8656).
    pub const ALLOCATION_MISMATCH: ErrorCodeValue = ErrorCodeValue(437);
    /// 438 Stale Nonce.
    pub const STALE_NONCE: ErrorCodeValue = ErrorCodeValue(438);
    /// 440 Address Family not Supported (RFC 8656).
    pub const ADDRESS_FAMILY_NOT_SUPPORTED: ErrorCodeValue = ErrorCodeValue(440);
    /// 441 Wrong Credentials (RFC 8656).
    pub const WRONG_CREDENTIALS: ErrorCodeValue = ErrorCodeValue(441);
    /// 442 Unsupported Transport Protocol (RFC 8656).
    pub const UNSUPPORTED_TRANSPORT: ErrorCodeValue = ErrorCodeValue(442);
    /// 443 Peer Address Family Mismatch (RFC 8656).
    pub const PEER_ADDRESS_FAMILY_MISMATCH: ErrorCodeValue = ErrorCodeValue(443);
    /// 486 Allocation Quota Reached (RFC 8656).
    pub const ALLOCATION_QUOTA_REACHED: ErrorCodeValue = ErrorCodeValue(486);
    /// 487 Role Conflict (RFC 8445).
    pub const ROLE_CONFLICT: ErrorCodeValue = ErrorCodeValue(487);
    /// 500 Server Error.
    pub const SERVER_ERROR: ErrorCodeValue = ErrorCodeValue(500);
    /// 508 Insufficient Capacity (RFC 8656).
    pub const INSUFFICIENT_CAPACITY: ErrorCodeValue = ErrorCodeValue(508);

    /// The code `code` if it lies in 300..=699.
    #[must_use]
    pub fn new(code: u16) -> Option<ErrorCodeValue> {
        (300..=699).contains(&code).then_some(ErrorCodeValue(code))
    }

    /// The numeric code, for example 401.
    #[must_use]
    pub fn code(self) -> u16 {
        self.0
    }

    /// The reason phrase the RFCs suggest for the code.
    #[must_use]
    pub fn default_reason(self) -> &'static str {
        match self.0 {
            300 => "Try Alternate",
            400 => "Bad Request",
            401 => "Unauthenticated",
            403 => "Forbidden",
            420 => "Unknown Attribute",
            437 => "Allocation Mismatch",
            438 => "Stale Nonce",
            440 => "Address Family not Supported",
            441 => "Wrong Credentials",
            442 => "Unsupported Transport Protocol",
            443 => "Peer Address Family Mismatch",
            486 => "Allocation Quota Reached",
            487 => "Role Conflict",
            500 => "Server Error",
            508 => "Insufficient Capacity",
            _ => "Error",
        }
    }
}

impl std::fmt::Display for ErrorCodeValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.0, self.default_reason())
    }
}

fn decode_error_code(b: &[u8]) -> Result<ErrorCodeValue, AttrError> {
    let (class, number) = (b[2] & 0x07, b[3]);
    if !(3..=6).contains(&class) || number > 99 {
        return Err(AttrError::ErrorCode { class, number });
    }
    Ok(ErrorCodeValue(u16::from(class) * 100 + u16::from(number)))
}

fn encode_error_code(code: ErrorCodeValue, out: &mut [u8]) {
    // Both fit: class is 3..=6 and number < 100.
    out[2] = (code.0 / 100) as u8;
    out[3] = (code.0 % 100) as u8;
}

/// ERROR-CODE: a code and a reason phrase (at most 763 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ErrorCode<'a> {
    /// The code.
    pub code: ErrorCodeValue,
    /// The reason phrase.
    pub reason: &'a str,
}

impl ErrorCode<'static> {
    /// The code with its default reason phrase.
    #[must_use]
    pub fn from_code(code: ErrorCodeValue) -> ErrorCode<'static> {
        ErrorCode {
            code,
            reason: code.default_reason(),
        }
    }
}

impl<'a> Attribute<'a> for ErrorCode<'a> {
    const TYPE: AttrType = AttrType::ERROR_CODE;
    fn decode(value: &'a [u8], _tid: &TransactionId) -> Result<Self, AttrError> {
        if value.len() < 4 {
            return Err(AttrError::Length {
                expected: 4,
                actual: value.len(),
            });
        }
        Ok(ErrorCode {
            code: decode_error_code(value)?,
            reason: decode_text(&value[4..], 763)?,
        })
    }
    fn encoded_len(&self) -> usize {
        4 + self.reason.len()
    }
    fn encode(&self, out: &mut [u8], _tid: &TransactionId) {
        out[..2].fill(0);
        encode_error_code(self.code, out);
        out[4..].copy_from_slice(self.reason.as_bytes());
    }
}

/// ADDRESS-ERROR-CODE (RFC 8656 section 18.12): why one address family was not allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddressErrorCode<'a> {
    /// The family that failed.
    pub family: AddressFamily,
    /// The code.
    pub code: ErrorCodeValue,
    /// The reason phrase.
    pub reason: &'a str,
}

impl<'a> Attribute<'a> for AddressErrorCode<'a> {
    const TYPE: AttrType = AttrType::ADDRESS_ERROR_CODE;
    fn decode(value: &'a [u8], _tid: &TransactionId) -> Result<Self, AttrError> {
        if value.len() < 4 {
            return Err(AttrError::Length {
                expected: 4,
                actual: value.len(),
            });
        }
        Ok(AddressErrorCode {
            family: AddressFamily::from_byte(value[0])?,
            code: decode_error_code(value)?,
            reason: decode_text(&value[4..], 763)?,
        })
    }
    fn encoded_len(&self) -> usize {
        4 + self.reason.len()
    }
    fn encode(&self, out: &mut [u8], _tid: &TransactionId) {
        out[0] = self.family.to_byte();
        out[1] = 0;
        encode_error_code(self.code, out);
        out[4..].copy_from_slice(self.reason.as_bytes());
    }
}

// ---------------------------------------------------------------------------------------
// Lists.

/// A list of 16-bit values, either read from the wire or given by the writer.
#[derive(Debug, Clone, Copy)]
pub enum U16List<'a> {
    /// Big-endian pairs of bytes as they came in (an even number of bytes).
    Wire(&'a [u8]),
    /// Values to write.
    Values(&'a [u16]),
}

impl<'a> U16List<'a> {
    /// The values in order.
    pub fn iter(&self) -> impl Iterator<Item = u16> + 'a {
        let (wire, values): (&'a [u8], &'a [u16]) = match *self {
            U16List::Wire(w) => (w, &[]),
            U16List::Values(v) => (&[], v),
        };
        wire.chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .chain(values.iter().copied())
    }

    /// How many values.
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            U16List::Wire(w) => w.len() / 2,
            U16List::Values(v) => v.len(),
        }
    }

    /// True when there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl PartialEq for U16List<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}
impl Eq for U16List<'_> {}

/// UNKNOWN-ATTRIBUTES: the comprehension-required types a 420 response names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownAttributes<'a>(pub U16List<'a>);

impl<'a> Attribute<'a> for UnknownAttributes<'a> {
    const TYPE: AttrType = AttrType::UNKNOWN_ATTRIBUTES;
    fn decode(value: &'a [u8], _tid: &TransactionId) -> Result<Self, AttrError> {
        if value.len() % 2 != 0 {
            return Err(AttrError::Length {
                expected: value.len() + 1,
                actual: value.len(),
            });
        }
        Ok(UnknownAttributes(U16List::Wire(value)))
    }
    fn encoded_len(&self) -> usize {
        2 * self.0.len()
    }
    fn encode(&self, out: &mut [u8], _tid: &TransactionId) {
        for (chunk, v) in out.chunks_exact_mut(2).zip(self.0.iter()) {
            chunk.copy_from_slice(&v.to_be_bytes());
        }
    }
}

/// One entry of PASSWORD-ALGORITHMS, or the value of PASSWORD-ALGORITHM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PasswordAlgorithmEntry<'a> {
    /// The algorithm number (0x0001 MD5, 0x0002 SHA-256).
    pub algorithm: u16,
    /// The algorithm's parameters (empty for MD5 and SHA-256).
    pub params: &'a [u8],
}

impl<'a> PasswordAlgorithmEntry<'a> {
    fn wire_len(&self) -> usize {
        4 + self.params.len().next_multiple_of(4)
    }

    /// Reads one entry at the start of `b`, returning it and the bytes it used.
    fn read(b: &'a [u8]) -> Result<(Self, usize), AttrError> {
        if b.len() < 4 {
            return Err(AttrError::Length {
                expected: 4,
                actual: b.len(),
            });
        }
        let algorithm = u16::from_be_bytes([b[0], b[1]]);
        let len = usize::from(u16::from_be_bytes([b[2], b[3]]));
        let params = b.get(4..4 + len).ok_or(AttrError::Length {
            expected: 4 + len,
            actual: b.len(),
        })?;
        let used = (4 + len.next_multiple_of(4)).min(b.len());
        Ok((PasswordAlgorithmEntry { algorithm, params }, used))
    }

    fn write(&self, out: &mut [u8]) {
        out[..2].copy_from_slice(&self.algorithm.to_be_bytes());
        let len = u16::try_from(self.params.len()).unwrap_or(u16::MAX);
        out[2..4].copy_from_slice(&len.to_be_bytes());
        out[4..4 + self.params.len()].copy_from_slice(self.params);
        out[4 + self.params.len()..self.wire_len()].fill(0);
    }
}

/// PASSWORD-ALGORITHM: the algorithm the client chose (RFC 8489 section 14.12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PasswordAlgorithm<'a>(pub PasswordAlgorithmEntry<'a>);

impl<'a> Attribute<'a> for PasswordAlgorithm<'a> {
    const TYPE: AttrType = AttrType::PASSWORD_ALGORITHM;
    fn decode(value: &'a [u8], _tid: &TransactionId) -> Result<Self, AttrError> {
        let (entry, used) = PasswordAlgorithmEntry::read(value)?;
        if used != value.len() {
            return Err(AttrError::Length {
                expected: used,
                actual: value.len(),
            });
        }
        Ok(PasswordAlgorithm(entry))
    }
    fn encoded_len(&self) -> usize {
        self.0.wire_len()
    }
    fn encode(&self, out: &mut [u8], _tid: &TransactionId) {
        self.0.write(out);
    }
}

/// PASSWORD-ALGORITHMS: the algorithms a server offers, in its order of preference.
#[derive(Debug, Clone, Copy)]
pub enum PasswordAlgorithms<'a> {
    /// As read from the wire (already checked to be well formed).
    Wire(&'a [u8]),
    /// Entries to write.
    Entries(&'a [PasswordAlgorithmEntry<'a>]),
}

impl<'a> PasswordAlgorithms<'a> {
    /// The entries in order.
    pub fn iter(&self) -> impl Iterator<Item = PasswordAlgorithmEntry<'a>> + 'a {
        let (mut wire, entries): (&'a [u8], &'a [PasswordAlgorithmEntry<'a>]) = match *self {
            PasswordAlgorithms::Wire(w) => (w, &[]),
            PasswordAlgorithms::Entries(e) => (&[], e),
        };
        std::iter::from_fn(move || {
            let (entry, used) = PasswordAlgorithmEntry::read(wire).ok()?;
            wire = &wire[used..];
            Some(entry)
        })
        .chain(entries.iter().copied())
    }
}

impl PartialEq for PasswordAlgorithms<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}
impl Eq for PasswordAlgorithms<'_> {}

impl<'a> Attribute<'a> for PasswordAlgorithms<'a> {
    const TYPE: AttrType = AttrType::PASSWORD_ALGORITHMS;
    fn decode(value: &'a [u8], _tid: &TransactionId) -> Result<Self, AttrError> {
        let mut rest = value;
        while !rest.is_empty() {
            let (_, used) = PasswordAlgorithmEntry::read(rest)?;
            rest = &rest[used..];
        }
        Ok(PasswordAlgorithms::Wire(value))
    }
    fn encoded_len(&self) -> usize {
        self.iter().map(|e| e.wire_len()).sum()
    }
    fn encode(&self, out: &mut [u8], _tid: &TransactionId) {
        let mut at = 0;
        for e in self.iter() {
            e.write(&mut out[at..at + e.wire_len()]);
            at += e.wire_len();
        }
    }
}

// ---------------------------------------------------------------------------------------
// Any attribute.

macro_rules! any_attribute {
    ($($variant:ident($ty:ty),)*) => {
        /// Any attribute, decoded by its type; [`AnyAttribute::Unknown`] keeps the rest raw.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[non_exhaustive]
        #[allow(missing_docs)]
        pub enum AnyAttribute<'a> {
            $($variant($ty),)*
            /// A type this crate does not know.
            Unknown(RawAttribute<'a>),
        }

        impl<'a> AnyAttribute<'a> {
            /// Decodes `raw` by its type.
            pub fn decode(raw: RawAttribute<'a>, tid: &TransactionId) -> Result<Self, Error> {
                let wrap = |kind| Error::Attribute { attr: raw.typ, kind };
                match raw.typ {
                    $(<$ty as Attribute<'a>>::TYPE => {
                        <$ty as Attribute<'a>>::decode(raw.value, tid).map(AnyAttribute::$variant).map_err(wrap)
                    })*
                    _ => Ok(AnyAttribute::Unknown(raw)),
                }
            }

            /// The attribute's type.
            #[must_use]
            pub fn attr_type(&self) -> AttrType {
                match self {
                    $(AnyAttribute::$variant(_) => <$ty as Attribute<'a>>::TYPE,)*
                    AnyAttribute::Unknown(raw) => raw.typ,
                }
            }

            /// The length of the encoded value, padding excluded.
            pub(crate) fn encoded_len(&self) -> usize {
                match self {
                    $(AnyAttribute::$variant(a) => a.encoded_len(),)*
                    AnyAttribute::Unknown(raw) => raw.value.len(),
                }
            }

            /// Writes the value into `out`, which is exactly `encoded_len` bytes. The public
            /// `write_to` (in `wire.rs`, beside `MessageWriter`) calls it.
            pub(crate) fn encode(&self, out: &mut [u8], tid: &TransactionId) {
                match self {
                    $(AnyAttribute::$variant(a) => a.encode(out, tid),)*
                    AnyAttribute::Unknown(raw) => out.copy_from_slice(raw.value),
                }
            }
        }
    };
}

any_attribute! {
    MappedAddress(MappedAddress),
    XorMappedAddress(XorMappedAddress),
    XorPeerAddress(XorPeerAddress),
    XorRelayedAddress(XorRelayedAddress),
    AlternateServer(AlternateServer),
    ResponseOrigin(ResponseOrigin),
    OtherAddress(OtherAddress),
    SourceAddress(SourceAddress),
    ChangedAddress(ChangedAddress),
    ResponseAddress(ResponseAddress),
    ReflectedFrom(ReflectedFrom),
    Username(Username<'a>),
    Realm(Realm<'a>),
    Nonce(Nonce<'a>),
    Software(Software<'a>),
    AlternateDomain(AlternateDomain<'a>),
    Data(Data<'a>),
    Padding(Padding<'a>),
    MessageIntegrity(MessageIntegrity),
    MessageIntegritySha256(MessageIntegritySha256<'a>),
    Userhash(Userhash),
    ReservationToken(ReservationToken),
    Priority(Priority),
    Fingerprint(Fingerprint),
    ConnectionId(ConnectionId),
    IceControlled(IceControlled),
    IceControlling(IceControlling),
    UseCandidate(UseCandidate),
    DontFragment(DontFragment),
    Lifetime(Lifetime),
    CacheTimeout(CacheTimeout),
    ChannelNumber(ChannelNumber),
    ResponsePort(ResponsePort),
    RequestedTransport(RequestedTransport),
    RequestedAddressFamily(RequestedAddressFamily),
    AdditionalAddressFamily(AdditionalAddressFamily),
    EvenPort(EvenPort),
    ChangeRequest(ChangeRequest),
    TransactionTransmitCounter(TransactionTransmitCounter),
    Icmp(Icmp),
    ErrorCode(ErrorCode<'a>),
    AddressErrorCode(AddressErrorCode<'a>),
    UnknownAttributes(UnknownAttributes<'a>),
    PasswordAlgorithm(PasswordAlgorithm<'a>),
    PasswordAlgorithms(PasswordAlgorithms<'a>),
}
