//! The STUN of an ICE-lite server: reading a connectivity check (RFC 8445 section 7.3 and
//! 7.2.2) and writing its answers into the caller's buffer: the success response with
//! XOR-MAPPED-ADDRESS, the 487 of a role conflict (section 7.3.1.1), both signed with the
//! session's short-term key and fingerprinted, and the keepalive Binding indication
//! (section 11).
//!
//! The writers copy the few lines of `agent/message.rs` (private to the full agent) rather
//! than share them while that module is reshaped.

use std::net::SocketAddr;

use wren_stun::attr::{
    ErrorCode, ErrorCodeValue, IceControlled, UseCandidate, Username, XorMappedAddress,
};
use wren_stun::{Class, Key, Message, MessageType, MessageWriter, Method, TransactionId};

/// What a check carries, read without its key (the USERNAME says which key).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Check<'a> {
    pub(crate) tid: TransactionId,
    /// The receiver's (our) ufrag, before the colon.
    pub(crate) local_ufrag: &'a str,
    /// The sender's ufrag, after it.
    pub(crate) remote_ufrag: &'a str,
    /// The peer claims the controlled role too (a role conflict for a lite agent).
    pub(crate) controlled: bool,
    /// USE-CANDIDATE: the peer nominates this path.
    pub(crate) nominate: bool,
}

/// Why a STUN message is not a check the server can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotCheck {
    /// Unparsable, a bad FINGERPRINT, or a request without USERNAME `a:b` or
    /// MESSAGE-INTEGRITY.
    Malformed,
    /// A Binding indication: the peer's keepalive.
    Indication,
    /// Another method, or a response (a lite agent sends no requests).
    Unexpected,
}

/// Reads `msg` as a connectivity check. Its integrity is checked by the caller, with the
/// key of the session its USERNAME names.
pub(crate) fn read_check<'a>(msg: &Message<'a>) -> Result<Check<'a>, NotCheck> {
    if msg.method() != Method::BINDING {
        return Err(NotCheck::Unexpected);
    }
    match msg.class() {
        Class::Request => {}
        Class::Indication => return Err(NotCheck::Indication),
        _ => return Err(NotCheck::Unexpected),
    }
    if msg.fingerprint_offset().is_some() && msg.verify_fingerprint().is_err() {
        return Err(NotCheck::Malformed);
    }
    if msg.integrity_offset().is_none() && msg.integrity_sha256_offset().is_none() {
        return Err(NotCheck::Malformed);
    }
    let Ok(Some(Username(username))) = msg.get::<Username<'a>>() else {
        return Err(NotCheck::Malformed);
    };
    let (local_ufrag, remote_ufrag) =
        super::demux::split_username(username).ok_or(NotCheck::Malformed)?;
    Ok(Check {
        tid: msg.transaction_id(),
        local_ufrag,
        remote_ufrag,
        controlled: matches!(msg.get::<IceControlled>(), Ok(Some(_))),
        nominate: matches!(msg.get::<UseCandidate>(), Ok(Some(_))),
    })
}

/// Appends the success response to a check from `from` (RFC 8445 section 7.3.1), signed with
/// the session's key.
pub(crate) fn write_success(
    out: &mut Vec<u8>,
    tid: TransactionId,
    from: SocketAddr,
    key: &Key,
) -> Result<(), wren_stun::Error> {
    let mut w = MessageWriter::new(
        out,
        MessageType::new(Class::SuccessResponse, Method::BINDING),
        tid,
    );
    w.add(&XorMappedAddress(from))?;
    w.add_message_integrity(key)?;
    w.add_fingerprint()?;
    w.finish();
    Ok(())
}

/// Appends the 487 (Role Conflict) error response, signed with the session's key.
pub(crate) fn write_role_conflict(
    out: &mut Vec<u8>,
    tid: TransactionId,
    key: &Key,
) -> Result<(), wren_stun::Error> {
    let mut w = MessageWriter::new(
        out,
        MessageType::new(Class::ErrorResponse, Method::BINDING),
        tid,
    );
    w.add(&ErrorCode::from_code(ErrorCodeValue::ROLE_CONFLICT))?;
    w.add_message_integrity(key)?;
    w.add_fingerprint()?;
    w.finish();
    Ok(())
}

/// Appends a Binding indication, the keepalive of RFC 8445 section 11.
pub(crate) fn write_keepalive(
    out: &mut Vec<u8>,
    tid: TransactionId,
) -> Result<(), wren_stun::Error> {
    let mut w = MessageWriter::new(
        out,
        MessageType::new(Class::Indication, Method::BINDING),
        tid,
    );
    w.add_fingerprint()?;
    w.finish();
    Ok(())
}
