//! `wren-stun`, this workspace's STUN crate (`proto/stun`).
//!
//! APIs used:
//! - decode: `Message::parse(&[u8])` (zero-copy; checks the structure, decodes attributes on
//!   demand).
//! - FINGERPRINT: `Message::verify_fingerprint()`.
//! - MESSAGE-INTEGRITY: `Message::verify_integrity(&Key)` with `Key::short_term(password)`
//!   (OpaqueString-prepared once, in [`Peer::new`]).
//! - reading values: `Message::get::<attr::Software>()`, `attr::Priority`,
//!   `attr::IceControlled`, `attr::Username` (borrowed from the input).
//! - encode: `MessageWriter::new(&mut Vec<u8>, MessageType::BINDING_REQUEST, tid)`, `add` for
//!   the four attributes, `add_message_integrity(&Key)`, `add_fingerprint()`, `finish()`,
//!   into a `Vec` reused across calls.

use crate::{Fields, Peer, PeerError};
use ::wren_stun::{Key, Message, MessageType, MessageWriter, TransactionId, attr};
use std::borrow::Cow;

/// `wren-stun`.
#[derive(Debug)]
pub struct WrenStun {
    key: Key,
    out: Vec<u8>,
}

impl Peer for WrenStun {
    const NAME: &'static str = "wren-stun";
    const CHECKS_FINGERPRINT: bool = true;
    const HANDLES_SOFTWARE: bool = true;
    type Msg<'a> = Message<'a>;
    type Tid = TransactionId;

    fn new(password: &str) -> Self {
        WrenStun {
            key: Key::short_term(password).expect("wren-stun Key::short_term"),
            out: Vec::with_capacity(256),
        }
    }

    fn decode_verify<'a>(&mut self, buf: &'a [u8]) -> Result<Message<'a>, PeerError> {
        let msg = Message::parse(buf).map_err(PeerError::map("wren-stun Message::parse"))?;
        msg.verify_fingerprint()
            .map_err(PeerError::map("wren-stun verify_fingerprint"))?;
        msg.verify_integrity(&self.key)
            .map_err(PeerError::map("wren-stun verify_integrity"))?;
        Ok(msg)
    }

    fn fields<'m>(msg: &'m Message<'_>) -> Result<Fields<'m>, PeerError> {
        let e = |what| PeerError::map(what);
        Ok(Fields {
            software: msg
                .get::<attr::Software<'_>>()
                .map_err(e("wren-stun SOFTWARE"))?
                .map(|a| Cow::Borrowed(a.0)),
            priority: msg
                .get::<attr::Priority>()
                .map_err(e("wren-stun PRIORITY"))?
                .map(|a| a.0),
            ice_controlled: msg
                .get::<attr::IceControlled>()
                .map_err(e("wren-stun ICE-CONTROLLED"))?
                .map(|a| a.0),
            username: msg
                .get::<attr::Username<'_>>()
                .map_err(e("wren-stun USERNAME"))?
                .map(|a| Cow::Borrowed(a.0)),
        })
    }

    fn transaction_id(msg: &Message<'_>) -> TransactionId {
        msg.transaction_id()
    }

    fn encode(&mut self, tid: TransactionId, fields: &Fields<'_>) -> Result<&[u8], PeerError> {
        let e = |what| PeerError::map(what);
        self.out.clear();
        let mut w = MessageWriter::new(&mut self.out, MessageType::BINDING_REQUEST, tid);
        if let Some(s) = &fields.software {
            w.add(&attr::Software(s)).map_err(e("wren-stun SOFTWARE"))?;
        }
        if let Some(p) = fields.priority {
            w.add(&attr::Priority(p)).map_err(e("wren-stun PRIORITY"))?;
        }
        if let Some(t) = fields.ice_controlled {
            w.add(&attr::IceControlled(t))
                .map_err(e("wren-stun ICE-CONTROLLED"))?;
        }
        if let Some(u) = &fields.username {
            w.add(&attr::Username(u)).map_err(e("wren-stun USERNAME"))?;
        }
        w.add_message_integrity(&self.key)
            .map_err(e("wren-stun add_message_integrity"))?;
        w.add_fingerprint()
            .map_err(e("wren-stun add_fingerprint"))?;
        let n = w.finish();
        Ok(&self.out[..n])
    }
}
