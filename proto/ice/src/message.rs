//! The STUN messages of ICE, shared by the full agent ([`crate::agent`]) and the ICE-lite
//! server ([`crate::lite`]): connectivity-check requests (RFC 8445 section 7.1.1), their
//! responses (section 7.3.1) and keepalive indications (section 11), written into caller
//! buffers with wren-stun. Each writer clears `out` first; after an error `out` holds a
//! partial message that the caller discards.

use std::net::SocketAddr;

use wren_stun::attr::{
    ErrorCode, ErrorCodeValue, IceControlled, IceControlling, Priority, UseCandidate, Username,
    XorMappedAddress,
};
use wren_stun::{Class, Key, MessageType, MessageWriter, Method, TransactionId};

use crate::agent::Role;

/// What a check request carries beyond its credentials.
pub(crate) struct CheckRequest<'a> {
    pub(crate) tid: TransactionId,
    /// `remote-ufrag:local-ufrag`.
    pub(crate) username: &'a str,
    /// The priority a peer-reflexive candidate learned from this check would have.
    pub(crate) priority: u32,
    pub(crate) role: Role,
    pub(crate) tiebreaker: u64,
    pub(crate) use_candidate: bool,
}

/// Writes a Binding request for a check into `out` (cleared first), signed with the peer's
/// password and fingerprinted.
pub(crate) fn write_check(
    out: &mut Vec<u8>,
    req: &CheckRequest<'_>,
    key: &Key,
) -> Result<(), wren_stun::Error> {
    out.clear();
    let mut w = MessageWriter::new(
        out,
        MessageType::new(Class::Request, Method::BINDING),
        req.tid,
    );
    w.add(&Username(req.username))?;
    w.add(&Priority(req.priority))?;
    match req.role {
        Role::Controlling => w.add(&IceControlling(req.tiebreaker))?,
        Role::Controlled => w.add(&IceControlled(req.tiebreaker))?,
    }
    if req.use_candidate {
        w.add(&UseCandidate)?;
    }
    w.add_message_integrity(key)?;
    w.add_fingerprint()?;
    w.finish();
    Ok(())
}

/// Writes the success response to a check from `from`, signed with the local password.
pub(crate) fn write_success(
    out: &mut Vec<u8>,
    tid: TransactionId,
    from: SocketAddr,
    key: &Key,
) -> Result<(), wren_stun::Error> {
    out.clear();
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

/// Writes an error response: 400 and 401 go unsigned (the request could not be
/// authenticated), 487 signed with the local password.
pub(crate) fn write_error(
    out: &mut Vec<u8>,
    tid: TransactionId,
    code: ErrorCodeValue,
    key: Option<&Key>,
) -> Result<(), wren_stun::Error> {
    out.clear();
    let mut w = MessageWriter::new(
        out,
        MessageType::new(Class::ErrorResponse, Method::BINDING),
        tid,
    );
    w.add(&ErrorCode::from_code(code))?;
    if let Some(key) = key {
        w.add_message_integrity(key)?;
    }
    w.add_fingerprint()?;
    w.finish();
    Ok(())
}

/// Writes a Binding indication, the keepalive of RFC 8445 section 11.
pub(crate) fn write_keepalive(
    out: &mut Vec<u8>,
    tid: TransactionId,
) -> Result<(), wren_stun::Error> {
    out.clear();
    let mut w = MessageWriter::new(
        out,
        MessageType::new(Class::Indication, Method::BINDING),
        tid,
    );
    w.add_fingerprint()?;
    w.finish();
    Ok(())
}
