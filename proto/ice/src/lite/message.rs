//! Reading a connectivity check as an ICE-lite server does (RFC 8445 sections 7.3 and
//! 7.2.2): which session's ufrag it names, before its integrity is checked with that
//! session's key. The answers (success, 487, keepalive) are written by [`crate::message`],
//! which the full agent uses too.

use wren_stun::attr::{IceControlled, UseCandidate, Username};
use wren_stun::{Class, Message, Method, TransactionId};

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
