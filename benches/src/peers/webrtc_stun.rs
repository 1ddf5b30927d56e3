//! `stun` 0.17: the STUN crate of webrtc-rs's (async, tokio-based) `webrtc` stack.
//!
//! Same lineage as `rtc-stun` (both ports of pion/stun), with its HMAC fixed to ring.
//!
//! APIs used:
//! - decode: `Message::new()` then `Message::unmarshal_binary(&[u8])`.
//! - MESSAGE-INTEGRITY: `integrity::MessageIntegrity::new_short_term_integrity(password)`
//!   (built once, in [`Peer::new`]) and its `check(&mut msg)`.
//! - FINGERPRINT: `fingerprint::FINGERPRINT.check(&msg)`.
//! - reading values: `textattrs::TextAttribute::get_from_as` (SOFTWARE, USERNAME) and
//!   `Message::get` (PRIORITY, ICE-CONTROLLED); both return owned copies.
//! - encode: `Message::build(&[Box<dyn Setter>])` into a message reused across calls.
//!
//! Like `rtc-stun`, the crate has no typed PRIORITY or ICE-CONTROLLED attribute (those are
//! in `webrtc-ice`), only `ATTR_PRIORITY` and `ATTR_ICE_CONTROLLED`; they go through the
//! public `Setter` trait with `Message::add` and are read with `Message::get`.

use crate::{Fields, Peer, PeerError};
use ::webrtc_stun::agent::TransactionId;
use ::webrtc_stun::attributes::{
    ATTR_ICE_CONTROLLED, ATTR_PRIORITY, ATTR_SOFTWARE, ATTR_USERNAME, AttrType,
};
use ::webrtc_stun::fingerprint::FINGERPRINT;
use ::webrtc_stun::integrity::MessageIntegrity;
use ::webrtc_stun::message::{BINDING_REQUEST, Message, Setter};
use ::webrtc_stun::textattrs::TextAttribute;
use std::borrow::Cow;

/// A PRIORITY or ICE-CONTROLLED value: big-endian bytes added with `Message::add`.
struct RawAttr<const N: usize>(AttrType, [u8; N]);

impl<const N: usize> Setter for RawAttr<N> {
    fn add_to(&self, m: &mut Message) -> Result<(), ::webrtc_stun::Error> {
        m.add(self.0, &self.1);
        Ok(())
    }
}

fn get_array<const N: usize>(m: &Message, t: AttrType) -> Result<Option<[u8; N]>, PeerError> {
    match m.get(t) {
        Ok(v) => v
            .try_into()
            .map(Some)
            .map_err(|_| PeerError::new(format!("stun: {t} has the wrong length"))),
        Err(_) => Ok(None),
    }
}

fn get_text(m: &Message, t: AttrType) -> Result<Option<Cow<'static, str>>, PeerError> {
    if !m.contains(t) {
        return Ok(None);
    }
    let a = TextAttribute::get_from_as(m, t).map_err(PeerError::map("stun get_from_as"))?;
    Ok(Some(Cow::Owned(a.text)))
}

/// `stun` 0.17 (webrtc-rs).
pub struct WebrtcStun {
    integrity: MessageIntegrity,
    out: Message,
}

impl std::fmt::Debug for WebrtcStun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebrtcStun").finish_non_exhaustive()
    }
}

impl Peer for WebrtcStun {
    const NAME: &'static str = "webrtc-stun";
    const CHECKS_FINGERPRINT: bool = true;
    const HANDLES_SOFTWARE: bool = true;
    type Msg<'a> = Message;
    type Tid = TransactionId;

    fn new(password: &str) -> Self {
        WebrtcStun {
            integrity: MessageIntegrity::new_short_term_integrity(password.to_owned()),
            out: Message::new(),
        }
    }

    fn decode_verify(&mut self, buf: &[u8]) -> Result<Message, PeerError> {
        let mut m = Message::new();
        m.unmarshal_binary(buf)
            .map_err(PeerError::map("stun Message::unmarshal_binary"))?;
        self.integrity
            .check(&mut m)
            .map_err(PeerError::map("stun MessageIntegrity::check"))?;
        FINGERPRINT
            .check(&m)
            .map_err(PeerError::map("stun FINGERPRINT.check"))?;
        Ok(m)
    }

    fn fields<'m>(m: &'m Message) -> Result<Fields<'m>, PeerError> {
        Ok(Fields {
            software: get_text(m, ATTR_SOFTWARE)?,
            priority: get_array(m, ATTR_PRIORITY)?.map(u32::from_be_bytes),
            ice_controlled: get_array(m, ATTR_ICE_CONTROLLED)?.map(u64::from_be_bytes),
            username: get_text(m, ATTR_USERNAME)?,
        })
    }

    fn transaction_id(m: &Message) -> TransactionId {
        m.transaction_id
    }

    fn encode(&mut self, tid: TransactionId, fields: &Fields<'_>) -> Result<&[u8], PeerError> {
        let mut setters: Vec<Box<dyn Setter>> = Vec::with_capacity(8);
        setters.push(Box::new(BINDING_REQUEST));
        setters.push(Box::new(tid));
        if let Some(s) = &fields.software {
            setters.push(Box::new(TextAttribute::new(ATTR_SOFTWARE, s.to_string())));
        }
        if let Some(p) = fields.priority {
            setters.push(Box::new(RawAttr(ATTR_PRIORITY, p.to_be_bytes())));
        }
        if let Some(t) = fields.ice_controlled {
            setters.push(Box::new(RawAttr(ATTR_ICE_CONTROLLED, t.to_be_bytes())));
        }
        if let Some(u) = &fields.username {
            setters.push(Box::new(TextAttribute::new(ATTR_USERNAME, u.to_string())));
        }
        // `build` takes `&[Box<dyn Setter>]` (`'static`), so the key cannot be lent: clone it.
        setters.push(Box::new(self.integrity.clone()));
        setters.push(Box::new(FINGERPRINT));
        self.out
            .build(&setters)
            .map_err(PeerError::map("stun Message::build"))?;
        Ok(&self.out.raw)
    }
}
