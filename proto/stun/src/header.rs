//! The 20-byte STUN header and what it carries: the magic cookie, the message type (class
//! and method) and the transaction ID. RFC 8489 section 5, methods from section 18.2,
//! RFC 8656 section 17 and RFC 6062.
//!
//! A leaf module: it imports nothing of this crate, so it is the place to start reading.

/// The magic cookie of RFC 8489 section 5, in network order it is `21 12 A4 42`.
pub const MAGIC_COOKIE: u32 = 0x2112_A442;
/// Size of the STUN header.
pub const HEADER_LEN: usize = 20;

/// The 96-bit transaction ID (RFC 8489 section 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TransactionId(pub [u8; 12]);

impl TransactionId {
    /// A fresh random transaction ID from the machine's generator.
    pub fn random(rng: &mut wren_core::Rng) -> TransactionId {
        TransactionId(rng.bytes())
    }
}

/// The class of a message (RFC 8489 section 5: the C1 and C0 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// A request (0b00).
    Request,
    /// An indication (0b01).
    Indication,
    /// A success response (0b10).
    SuccessResponse,
    /// An error response (0b11).
    ErrorResponse,
}

impl Class {
    fn bits(self) -> u16 {
        match self {
            Class::Request => 0b00,
            Class::Indication => 0b01,
            Class::SuccessResponse => 0b10,
            Class::ErrorResponse => 0b11,
        }
    }

    fn from_bits(bits: u16) -> Class {
        match bits & 0b11 {
            0b00 => Class::Request,
            0b01 => Class::Indication,
            0b10 => Class::SuccessResponse,
            _ => Class::ErrorResponse,
        }
    }

    /// True for success and error responses.
    #[must_use]
    pub fn is_response(self) -> bool {
        matches!(self, Class::SuccessResponse | Class::ErrorResponse)
    }
}

/// A 12-bit STUN method (RFC 8489 section 18.2, RFC 8656 section 17, RFC 6062).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Method(u16);

impl Method {
    /// Binding (RFC 8489).
    pub const BINDING: Method = Method(0x001);
    /// Allocate (RFC 8656).
    pub const ALLOCATE: Method = Method(0x003);
    /// Refresh (RFC 8656).
    pub const REFRESH: Method = Method(0x004);
    /// Send (RFC 8656), an indication.
    pub const SEND: Method = Method(0x006);
    /// Data (RFC 8656), an indication.
    pub const DATA: Method = Method(0x007);
    /// CreatePermission (RFC 8656).
    pub const CREATE_PERMISSION: Method = Method(0x008);
    /// ChannelBind (RFC 8656).
    pub const CHANNEL_BIND: Method = Method(0x009);
    /// Connect (RFC 6062).
    pub const CONNECT: Method = Method(0x00A);
    /// ConnectionBind (RFC 6062).
    pub const CONNECTION_BIND: Method = Method(0x00B);
    /// ConnectionAttempt (RFC 6062), an indication.
    pub const CONNECTION_ATTEMPT: Method = Method(0x00C);

    /// The method with this 12-bit number; `None` above 0xFFF.
    #[must_use]
    pub const fn new(number: u16) -> Option<Method> {
        if number <= 0xFFF {
            Some(Method(number))
        } else {
            None
        }
    }

    /// The 12-bit method number.
    #[must_use]
    pub const fn number(self) -> u16 {
        self.0
    }

    /// The method's registered name, if it is one of the above.
    #[must_use]
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Method::BINDING => "Binding",
            Method::ALLOCATE => "Allocate",
            Method::REFRESH => "Refresh",
            Method::SEND => "Send",
            Method::DATA => "Data",
            Method::CREATE_PERMISSION => "CreatePermission",
            Method::CHANNEL_BIND => "ChannelBind",
            Method::CONNECT => "Connect",
            Method::CONNECTION_BIND => "ConnectionBind",
            Method::CONNECTION_ATTEMPT => "ConnectionAttempt",
            _ => return None,
        })
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "method {:#05x}", self.0),
        }
    }
}

/// A message type: class and method, interleaved in 14 bits (RFC 8489 section 5, figure 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageType {
    /// The class.
    pub class: Class,
    /// The method.
    pub method: Method,
}

impl MessageType {
    /// A Binding request.
    pub const BINDING_REQUEST: MessageType = MessageType::new(Class::Request, Method::BINDING);
    /// A Binding success response.
    pub const BINDING_RESPONSE: MessageType =
        MessageType::new(Class::SuccessResponse, Method::BINDING);
    /// A Binding error response.
    pub const BINDING_ERROR: MessageType = MessageType::new(Class::ErrorResponse, Method::BINDING);

    /// The type of `class` and `method`.
    #[must_use]
    pub const fn new(class: Class, method: Method) -> MessageType {
        MessageType { class, method }
    }

    /// The 16-bit field of the header (top two bits zero).
    #[must_use]
    pub fn to_u16(self) -> u16 {
        let m = self.method.0;
        let c = self.class.bits();
        (m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) | ((c & 1) << 4) | ((c & 2) << 7)
    }

    /// Reads the 16-bit header field; the top two bits are ignored.
    #[must_use]
    pub fn from_u16(t: u16) -> MessageType {
        let method = (t & 0x000F) | ((t & 0x00E0) >> 1) | ((t & 0x3E00) >> 2);
        let class = ((t >> 4) & 1) | ((t >> 7) & 2);
        MessageType {
            class: Class::from_bits(class),
            method: Method(method),
        }
    }

    /// The same method with another class (for building the response to a request).
    #[must_use]
    pub fn with_class(self, class: Class) -> MessageType {
        MessageType {
            class,
            method: self.method,
        }
    }
}
