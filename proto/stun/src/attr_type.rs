//! The attribute header: the registry of attribute types ([`AttrType`], RFC 8489 section
//! 18.3) and one attribute as it sits in a message, type and borrowed value
//! ([`RawAttribute`]).
//!
//! A leaf module: it imports nothing of this crate.

/// Size of an attribute header (type and length).
pub const ATTR_HEADER_LEN: usize = 4;

/// A 16-bit attribute type (RFC 8489 section 18.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttrType(pub u16);

macro_rules! attr_types {
    ($($(#[$doc:meta])* $name:ident = $value:literal, $text:literal;)*) => {
        impl AttrType {
            $($(#[$doc])* pub const $name: AttrType = AttrType($value);)*

            /// The registered name, for the types this crate knows.
            #[must_use]
            pub fn name(self) -> Option<&'static str> {
                match self {
                    $(AttrType::$name => Some($text),)*
                    _ => None,
                }
            }

            /// Whether this crate knows (and so can process) the type.
            #[must_use]
            pub fn is_known(self) -> bool {
                self.name().is_some()
            }
        }
    };
}

attr_types! {
    /// MAPPED-ADDRESS (RFC 8489 section 14.1).
    MAPPED_ADDRESS = 0x0001, "MAPPED-ADDRESS";
    /// RESPONSE-ADDRESS (RFC 3489; RFC 5780 section 7.5 reserves it).
    RESPONSE_ADDRESS = 0x0002, "RESPONSE-ADDRESS";
    /// CHANGE-REQUEST (RFC 5780 section 7.2).
    CHANGE_REQUEST = 0x0003, "CHANGE-REQUEST";
    /// SOURCE-ADDRESS (RFC 3489 section 11.2.5).
    SOURCE_ADDRESS = 0x0004, "SOURCE-ADDRESS";
    /// CHANGED-ADDRESS (RFC 3489 section 11.2.3).
    CHANGED_ADDRESS = 0x0005, "CHANGED-ADDRESS";
    /// USERNAME (RFC 8489 section 14.3).
    USERNAME = 0x0006, "USERNAME";
    /// MESSAGE-INTEGRITY (RFC 8489 section 14.5).
    MESSAGE_INTEGRITY = 0x0008, "MESSAGE-INTEGRITY";
    /// ERROR-CODE (RFC 8489 section 14.8).
    ERROR_CODE = 0x0009, "ERROR-CODE";
    /// UNKNOWN-ATTRIBUTES (RFC 8489 section 14.9).
    UNKNOWN_ATTRIBUTES = 0x000A, "UNKNOWN-ATTRIBUTES";
    /// REFLECTED-FROM (RFC 3489 section 11.2.11).
    REFLECTED_FROM = 0x000B, "REFLECTED-FROM";
    /// CHANNEL-NUMBER (RFC 8656 section 18.1).
    CHANNEL_NUMBER = 0x000C, "CHANNEL-NUMBER";
    /// LIFETIME (RFC 8656 section 18.2).
    LIFETIME = 0x000D, "LIFETIME";
    /// XOR-PEER-ADDRESS (RFC 8656 section 18.3).
    XOR_PEER_ADDRESS = 0x0012, "XOR-PEER-ADDRESS";
    /// DATA (RFC 8656 section 18.4).
    DATA = 0x0013, "DATA";
    /// REALM (RFC 8489 section 14.9).
    REALM = 0x0014, "REALM";
    /// NONCE (RFC 8489 section 14.10).
    NONCE = 0x0015, "NONCE";
    /// XOR-RELAYED-ADDRESS (RFC 8656 section 18.5).
    XOR_RELAYED_ADDRESS = 0x0016, "XOR-RELAYED-ADDRESS";
    /// REQUESTED-ADDRESS-FAMILY (RFC 8656 section 18.6).
    REQUESTED_ADDRESS_FAMILY = 0x0017, "REQUESTED-ADDRESS-FAMILY";
    /// EVEN-PORT (RFC 8656 section 18.7).
    EVEN_PORT = 0x0018, "EVEN-PORT";
    /// REQUESTED-TRANSPORT (RFC 8656 section 18.8).
    REQUESTED_TRANSPORT = 0x0019, "REQUESTED-TRANSPORT";
    /// DONT-FRAGMENT (RFC 8656 section 18.9).
    DONT_FRAGMENT = 0x001A, "DONT-FRAGMENT";
    /// MESSAGE-INTEGRITY-SHA256 (RFC 8489 section 14.6).
    MESSAGE_INTEGRITY_SHA256 = 0x001C, "MESSAGE-INTEGRITY-SHA256";
    /// PASSWORD-ALGORITHM (RFC 8489 section 14.12).
    PASSWORD_ALGORITHM = 0x001D, "PASSWORD-ALGORITHM";
    /// USERHASH (RFC 8489 section 14.4).
    USERHASH = 0x001E, "USERHASH";
    /// XOR-MAPPED-ADDRESS (RFC 8489 section 14.2).
    XOR_MAPPED_ADDRESS = 0x0020, "XOR-MAPPED-ADDRESS";
    /// RESERVATION-TOKEN (RFC 8656 section 18.10).
    RESERVATION_TOKEN = 0x0022, "RESERVATION-TOKEN";
    /// PRIORITY (RFC 8445 section 16.1).
    PRIORITY = 0x0024, "PRIORITY";
    /// USE-CANDIDATE (RFC 8445 section 16.1).
    USE_CANDIDATE = 0x0025, "USE-CANDIDATE";
    /// PADDING (RFC 5780 section 7.6).
    PADDING = 0x0026, "PADDING";
    /// RESPONSE-PORT (RFC 5780 section 7.5).
    RESPONSE_PORT = 0x0027, "RESPONSE-PORT";
    /// CONNECTION-ID (RFC 6062 section 6.2.1).
    CONNECTION_ID = 0x002A, "CONNECTION-ID";
    /// ADDITIONAL-ADDRESS-FAMILY (RFC 8656 section 18.11).
    ADDITIONAL_ADDRESS_FAMILY = 0x8000, "ADDITIONAL-ADDRESS-FAMILY";
    /// ADDRESS-ERROR-CODE (RFC 8656 section 18.12).
    ADDRESS_ERROR_CODE = 0x8001, "ADDRESS-ERROR-CODE";
    /// PASSWORD-ALGORITHMS (RFC 8489 section 14.11).
    PASSWORD_ALGORITHMS = 0x8002, "PASSWORD-ALGORITHMS";
    /// ALTERNATE-DOMAIN (RFC 8489 section 14.16).
    ALTERNATE_DOMAIN = 0x8003, "ALTERNATE-DOMAIN";
    /// ICMP (RFC 8656 section 18.13).
    ICMP = 0x8004, "ICMP";
    /// SOFTWARE (RFC 8489 section 14.14).
    SOFTWARE = 0x8022, "SOFTWARE";
    /// ALTERNATE-SERVER (RFC 8489 section 14.15).
    ALTERNATE_SERVER = 0x8023, "ALTERNATE-SERVER";
    /// TRANSACTION_TRANSMIT_COUNTER (RFC 7982 section 3.1).
    TRANSACTION_TRANSMIT_COUNTER = 0x8025, "TRANSACTION_TRANSMIT_COUNTER";
    /// CACHE-TIMEOUT (RFC 5780 section 7.8).
    CACHE_TIMEOUT = 0x8027, "CACHE-TIMEOUT";
    /// FINGERPRINT (RFC 8489 section 14.7).
    FINGERPRINT = 0x8028, "FINGERPRINT";
    /// ICE-CONTROLLED (RFC 8445 section 16.1).
    ICE_CONTROLLED = 0x8029, "ICE-CONTROLLED";
    /// ICE-CONTROLLING (RFC 8445 section 16.1).
    ICE_CONTROLLING = 0x802A, "ICE-CONTROLLING";
    /// RESPONSE-ORIGIN (RFC 5780 section 7.3).
    RESPONSE_ORIGIN = 0x802B, "RESPONSE-ORIGIN";
    /// OTHER-ADDRESS (RFC 5780 section 7.4).
    OTHER_ADDRESS = 0x802C, "OTHER-ADDRESS";
}

impl AttrType {
    /// Types below 0x8000 are comprehension-required (RFC 8489 section 14).
    #[must_use]
    pub fn is_comprehension_required(self) -> bool {
        self.0 < 0x8000
    }
}

impl std::fmt::Display for AttrType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "attribute {:#06x}", self.0),
        }
    }
}

/// One attribute of a message: its type and its value, borrowed (padding excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawAttribute<'a> {
    /// The attribute type.
    pub typ: AttrType,
    /// The value bytes.
    pub value: &'a [u8],
    /// Offset of the attribute header within the message.
    pub offset: usize,
}
