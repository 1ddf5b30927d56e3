//! The vocabulary of the TURN client: its configuration, events, commands, failures and
//! counters.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use wren_core::Transport;
use wren_stun::AttrType;
use wren_stun::attr::{AddressFamily, ErrorCodeValue};
use wren_stun::client::{self as stun, AuthFailure, FailureReason};

use crate::ChannelNumber;

/// The lifetime of a permission (RFC 8656 section 9: 300 seconds, not negotiable).
pub const PERMISSION_LIFETIME: Duration = Duration::from_secs(300);
/// The lifetime of a channel binding (RFC 8656 section 12: 600 seconds).
pub const CHANNEL_LIFETIME: Duration = Duration::from_secs(600);
/// The most application data one Send indication can carry: a STUN body is at most 65535
/// bytes, and XOR-PEER-ADDRESS (IPv6, 24), the DATA header (4), DONT-FRAGMENT (4) and
/// FINGERPRINT (8) take 40 of them. ChannelData could carry 65535, but data must fit both.
pub const MAX_DATA_LEN: usize = 65_492;

/// Configuration of a [`crate::client::Client`].
///
/// Build it with [`Config::new`], which fills in the defaults, then change fields.
#[derive(Debug, Clone)]
pub struct Config {
    /// The TURN server. After a 300 (Try Alternate) to an Allocate the client talks to the
    /// alternate instead (see [`crate::client::Client::server`]).
    pub server: SocketAddr,
    /// The transport to the server: [`Transport::Udp`] or [`Transport::Tcp`] (the driver
    /// frames the stream; ChannelData is padded to four bytes on a stream).
    pub transport: Transport,
    /// The local address to send from, when it matters (`None` lets the driver choose).
    pub local: Option<SocketAddr>,
    /// The long-term credential's username.
    pub username: String,
    /// The long-term credential's password.
    pub password: String,
    /// The allocation lifetime asked for in Allocate and Refresh (default 600 s). The
    /// server may grant less; the client refreshes on what was granted.
    pub lifetime: Duration,
    /// REQUESTED-ADDRESS-FAMILY for the relayed address (`None`, the default, leaves it
    /// out, which means IPv4).
    pub address_family: Option<AddressFamily>,
    /// How long before expiry the allocation, permissions and channels are refreshed
    /// (default 60 s). A lifetime shorter than twice the margin is refreshed at its half.
    pub refresh_margin: Duration,
    /// Bind a channel automatically the first time data is sent to a peer (default true).
    /// Until the binding succeeds the data goes as Send indications, ChannelData after.
    pub auto_channel: bool,
    /// Add DONT-FRAGMENT to Send indications (default false).
    pub dont_fragment: bool,
    /// SOFTWARE for requests (`None` leaves it out).
    pub software: Option<String>,
    /// Add FINGERPRINT to requests and Send indications (default true).
    pub fingerprint: bool,
    /// The initial STUN retransmission timeout (default 500 ms; RFC 8489's Rc 7 and Rm 16
    /// apply, so a request over UDP times out after 79 RTOs, 39.5 s by default, and over
    /// TCP after Ti, 39.5 s).
    pub rto: Duration,
    /// Most peer addresses with a permission (default 64).
    pub max_permissions: usize,
    /// Most channels (default 64; at most 4096 exist).
    pub max_channels: usize,
    /// Most datagrams waiting to be sent (for a permission, or for the next
    /// `poll_transmit`); more are dropped and counted (default 256).
    pub max_queued: usize,
    /// Most events waiting to be polled; more are dropped and counted (default 1024).
    pub max_events: usize,
    /// Seed of the generator of transaction IDs; `None` seeds from the operating system.
    pub rng_seed: Option<[u8; 32]>,
}

impl Config {
    /// A configuration for `server` over `transport` with long-term credentials and the
    /// defaults of every other field.
    #[must_use]
    pub fn new(
        server: SocketAddr,
        transport: Transport,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Config {
            server,
            transport,
            local: None,
            username: username.into(),
            password: password.into(),
            lifetime: Duration::from_secs(600),
            address_family: None,
            refresh_margin: Duration::from_secs(60),
            auto_channel: true,
            dont_fragment: false,
            software: None,
            fingerprint: true,
            rto: Duration::from_millis(500),
            max_permissions: 64,
            max_channels: 64,
            max_queued: 256,
            max_events: 1024,
            rng_seed: None,
        }
    }
}

/// The requests a TURN client makes, to say which one failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Request {
    /// Allocate (RFC 8656 section 7).
    Allocate,
    /// Refresh of the allocation (section 8).
    Refresh,
    /// Refresh with LIFETIME 0, to deallocate.
    Deallocate,
    /// CreatePermission (section 9).
    CreatePermission,
    /// ChannelBind (section 12).
    ChannelBind,
}

/// Why an allocation, a permission or a channel failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TurnFailure {
    /// The server refused the credentials: a 401 to a signed request.
    #[error("the server refused the credentials (401)")]
    Unauthorized,
    /// Long-term authentication could not be completed (incomplete challenge, no common
    /// password algorithm, stale nonces without end...).
    #[error("long-term authentication failed: {0:?}")]
    Auth(AuthFailure),
    /// 403 (Forbidden): to a CreatePermission or ChannelBind, the peer's address is not
    /// allowed (`peer` is it); to an Allocate, the user may not allocate (`peer` is `None`).
    #[error("forbidden (403){}", peer.map(|p| format!(" for peer {p}")).unwrap_or_default())]
    Forbidden {
        /// The peer address refused.
        peer: Option<IpAddr>,
    },
    /// 486 (Allocation Quota Reached).
    #[error("allocation quota reached (486)")]
    QuotaReached,
    /// 437 (Allocation Mismatch): the server has no allocation for this client (it expired
    /// or the server restarted), or already has one when Allocate was sent.
    #[error("allocation mismatch (437)")]
    AllocationMismatch,
    /// 441 (Wrong Credentials): the request's username is not the allocation's.
    #[error("wrong credentials (441)")]
    WrongCredentials,
    /// 442 (Unsupported Transport Protocol).
    #[error("unsupported transport protocol (442)")]
    UnsupportedTransport,
    /// 440 (Address Family not Supported).
    #[error("address family not supported (440)")]
    AddressFamilyNotSupported,
    /// 443 (Peer Address Family Mismatch): the peer's family is not the relayed address's.
    #[error("peer address family mismatch (443)")]
    PeerAddressFamilyMismatch,
    /// 508 (Insufficient Capacity).
    #[error("insufficient capacity (508)")]
    InsufficientCapacity,
    /// No response came: the request was retransmitted until it timed out.
    #[error("no response to {request:?}")]
    Timeout {
        /// The request.
        request: Request,
    },
    /// The success response held a comprehension-required attribute we do not know.
    #[error("unknown comprehension-required attribute {0} in a response")]
    UnknownAttribute(AttrType),
    /// The success response lacked what the request needs (XOR-RELAYED-ADDRESS, a
    /// non-zero LIFETIME).
    #[error("malformed response to {request:?}")]
    MalformedResponse {
        /// The request.
        request: Request,
    },
    /// The allocation's lifetime ran out before a refresh succeeded.
    #[error("the allocation expired")]
    Expired,
    /// The client had too many transactions in flight to make the request.
    #[error("too many requests in flight")]
    TooManyRequests,
    /// Any other error response.
    #[error("server error {code}: {reason}")]
    ServerError {
        /// The error code.
        code: u16,
        /// The reason phrase.
        reason: String,
    },
}

impl TurnFailure {
    /// The failure an error response means; `peer` is the peer of a per-peer request.
    #[must_use]
    pub fn from_code(code: ErrorCodeValue, reason: &str, peer: Option<IpAddr>) -> TurnFailure {
        match code {
            ErrorCodeValue::UNAUTHENTICATED => TurnFailure::Unauthorized,
            ErrorCodeValue::FORBIDDEN => TurnFailure::Forbidden { peer },
            ErrorCodeValue::ALLOCATION_QUOTA_REACHED => TurnFailure::QuotaReached,
            ErrorCodeValue::ALLOCATION_MISMATCH => TurnFailure::AllocationMismatch,
            ErrorCodeValue::WRONG_CREDENTIALS => TurnFailure::WrongCredentials,
            ErrorCodeValue::UNSUPPORTED_TRANSPORT => TurnFailure::UnsupportedTransport,
            ErrorCodeValue::ADDRESS_FAMILY_NOT_SUPPORTED => TurnFailure::AddressFamilyNotSupported,
            ErrorCodeValue::PEER_ADDRESS_FAMILY_MISMATCH => TurnFailure::PeerAddressFamilyMismatch,
            ErrorCodeValue::INSUFFICIENT_CAPACITY => TurnFailure::InsufficientCapacity,
            other => TurnFailure::ServerError {
                code: other.code(),
                reason: reason.to_owned(),
            },
        }
    }

    /// The failure a transaction failure of `request` means.
    #[must_use]
    pub fn from_transaction(reason: FailureReason, request: Request) -> TurnFailure {
        match reason {
            FailureReason::TimedOut { .. } => TurnFailure::Timeout { request },
            FailureReason::UnknownAttribute(a) => TurnFailure::UnknownAttribute(a),
            FailureReason::Auth(AuthFailure::Refused) => TurnFailure::Unauthorized,
            FailureReason::Auth(a) => TurnFailure::Auth(a),
            // FailureReason is non-exhaustive; a new kind reads as a local failure.
            _ => TurnFailure::ServerError {
                code: 0,
                reason: format!("{reason:?}"),
            },
        }
    }
}

/// How an allocation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The application closed it ([`crate::client::Client::close`]); the server was
    /// asked to deallocate (when there was an allocation).
    Requested,
    /// It failed.
    Failed(TurnFailure),
}

/// What happened, for the application.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The server allocated a relayed address.
    Allocated {
        /// The relayed transport address (XOR-RELAYED-ADDRESS): peers send here.
        relayed: SocketAddr,
        /// This client's address as the server saw it (XOR-MAPPED-ADDRESS), when given.
        mapped: Option<SocketAddr>,
        /// The lifetime granted.
        lifetime: Duration,
    },
    /// A Refresh succeeded.
    Refreshed {
        /// The lifetime granted.
        lifetime: Duration,
    },
    /// The server answered the Allocate with 300 (Try Alternate): the client now talks to
    /// `to` (RFC 8656 section 7.4 and RFC 8489 section 10).
    Redirected {
        /// The server that redirected.
        from: SocketAddr,
        /// The alternate server, now [`crate::client::Client::server`].
        to: SocketAddr,
    },
    /// A permission for `peer` was installed (the first time; refreshes say nothing).
    PermissionCreated {
        /// The peer's IP address.
        peer: IpAddr,
    },
    /// A permission could not be installed or refreshed; it is forgotten, and data waiting
    /// for it is dropped.
    PermissionFailed {
        /// The peer's IP address.
        peer: IpAddr,
        /// Why.
        reason: TurnFailure,
    },
    /// A channel to `peer` was bound (the first time; refreshes say nothing). Data to it now
    /// goes as ChannelData.
    ChannelBound {
        /// The peer.
        peer: SocketAddr,
        /// The channel number.
        channel: ChannelNumber,
    },
    /// A channel could not be bound or refreshed; data to the peer goes as Send indications.
    ChannelFailed {
        /// The peer.
        peer: SocketAddr,
        /// Why.
        reason: TurnFailure,
    },
    /// Data from a peer, through the relay (a Data indication or ChannelData).
    Data {
        /// The peer that sent it to the relayed address.
        peer: SocketAddr,
        /// The data.
        data: Vec<u8>,
    },
    /// The allocation is over; the client does nothing more.
    Closed {
        /// Why.
        reason: CloseReason,
    },
}

/// Commands an adapter may forward to a [`crate::client::Client`] (each is also a
/// method).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// [`crate::client::Client::allocate`].
    Allocate,
    /// [`crate::client::Client::add_permission`].
    AddPermission(IpAddr),
    /// [`crate::client::Client::remove_permission`].
    RemovePermission(IpAddr),
    /// [`crate::client::Client::bind_channel`].
    BindChannel(SocketAddr),
    /// [`crate::client::Client::send`].
    Send {
        /// The peer.
        peer: SocketAddr,
        /// The data.
        data: Vec<u8>,
    },
    /// [`crate::client::Client::close`].
    Close,
}

/// A command the client could not take (misuse; network trouble is never an error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client is closing or closed.
    #[error("the TURN client is closed")]
    Closed,
    /// [`crate::client::Client::allocate`] was called already.
    #[error("allocate was called already")]
    AlreadyAllocating,
    /// [`Config::max_permissions`] permissions exist already.
    #[error("{0} permissions exist already")]
    TooManyPermissions(usize),
    /// [`Config::max_channels`] channels exist already.
    #[error("{0} channels exist already")]
    TooManyChannels(usize),
    /// More data than one message carries ([`MAX_DATA_LEN`]).
    #[error("{0} bytes of data do not fit one TURN message (at most {MAX_DATA_LEN})")]
    TooLong(usize),
    /// The STUN client refused the request.
    #[error("request refused: {0}")]
    Request(#[from] stun::Error),
}

/// Counters of a [`crate::client::Client`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// The STUN transaction client's counters (requests, retransmissions, bad responses).
    pub stun: stun::Stats,
    /// Datagrams sent to peers as ChannelData.
    pub channel_data_sent: u64,
    /// Datagrams sent to peers as Send indications.
    pub indications_sent: u64,
    /// Datagrams received from peers (Data indications and ChannelData).
    pub data_received: u64,
    /// Datagrams to send dropped because [`Config::max_queued`] were waiting.
    pub dropped_queue_full: u64,
    /// Datagrams to send dropped because their permission failed or was removed, or the
    /// allocation ended.
    pub dropped_no_permission: u64,
    /// Events dropped because [`Config::max_events`] were waiting.
    pub events_dropped: u64,
    /// Datagrams that did not parse (STUN, ChannelData, or a Data indication without
    /// XOR-PEER-ADDRESS or DATA).
    pub malformed: u64,
    /// Datagrams dropped as unexpected: not from the server, on an unknown channel, from a
    /// peer without a permission, before the allocation or after it ended.
    pub unexpected: u64,
}
