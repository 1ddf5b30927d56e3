//! `rtc-stun` 0.21: the STUN crate of webrtc-rs's sans-IO stack (`rtc`).
//!
//! APIs used:
//! - decode: `Message::new()` then `Message::unmarshal_binary(&[u8])` (copies the bytes into
//!   the message and splits them into raw attributes, each value copied into its own `Vec`).
//! - MESSAGE-INTEGRITY: `integrity::MessageIntegrity::check(&mut msg, key, crypto)`, with
//!   the crate's default crypto provider (`crypto::default_provider()`, ring by default
//!   feature `crypto-ring`); the provider is created once, in [`Peer::new`].
//! - FINGERPRINT: `fingerprint::FINGERPRINT.check(&msg)`.
//! - reading values: `textattrs::TextAttribute::get_from_as` (SOFTWARE, USERNAME) and
//!   `Message::get` (PRIORITY, ICE-CONTROLLED); both return owned copies.
//! - encode: `Message::build(&[Box<dyn Setter>])` into a message reused across calls, with
//!   `BINDING_REQUEST`, `TransactionId`, `TextAttribute`, `MessageIntegrity::
//!   new_short_term_integrity_with_provider` and `FINGERPRINT` as setters.
//!
//! rtc-stun has no typed PRIORITY or ICE-CONTROLLED attribute (ICE attributes live in the
//! `rtc-ice` crate); it does define `ATTR_PRIORITY` and `ATTR_ICE_CONTROLLED`, so they are
//! written through the public `Setter` trait with `Message::add` and read with
//! `Message::get`.

use crate::{Fields, Peer, PeerError};
use ::rtc_stun::attributes::{
    ATTR_ICE_CONTROLLED, ATTR_PRIORITY, ATTR_SOFTWARE, ATTR_USERNAME, AttrType,
};
use ::rtc_stun::crypto::{RTCCryptoProvider, default_provider};
use ::rtc_stun::fingerprint::FINGERPRINT;
use ::rtc_stun::integrity::MessageIntegrity;
use ::rtc_stun::message::{BINDING_REQUEST, Message, Setter, TransactionId};
use ::rtc_stun::textattrs::TextAttribute;
use std::borrow::Cow;
use std::sync::Arc;

/// A PRIORITY or ICE-CONTROLLED value: big-endian bytes added with `Message::add`.
struct RawAttr<const N: usize>(AttrType, [u8; N]);

impl<const N: usize> Setter for RawAttr<N> {
    fn add_to(&self, m: &mut Message) -> ::rtc_shared::error::Result<()> {
        m.add(self.0, &self.1);
        Ok(())
    }
}

fn get_array<const N: usize>(m: &Message, t: AttrType) -> Result<Option<[u8; N]>, PeerError> {
    match m.get(t) {
        Ok(v) => v
            .try_into()
            .map(Some)
            .map_err(|_| PeerError::new(format!("rtc-stun: {t} has the wrong length"))),
        Err(_) => Ok(None),
    }
}

fn get_text(m: &Message, t: AttrType) -> Result<Option<Cow<'static, str>>, PeerError> {
    if !m.contains(t) {
        return Ok(None);
    }
    let a = TextAttribute::get_from_as(m, t).map_err(PeerError::map("rtc-stun get_from_as"))?;
    Ok(Some(Cow::Owned(a.text)))
}

/// `rtc-stun` 0.21.
pub struct RtcStun {
    provider: Arc<dyn RTCCryptoProvider>,
    password: String,
    out: Message,
}

impl std::fmt::Debug for RtcStun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RtcStun").finish_non_exhaustive()
    }
}

impl Peer for RtcStun {
    const NAME: &'static str = "rtc-stun";
    const CHECKS_FINGERPRINT: bool = true;
    const HANDLES_SOFTWARE: bool = true;
    type Msg<'a> = Message;
    type Tid = TransactionId;

    fn new(password: &str) -> Self {
        RtcStun {
            provider: default_provider().expect("rtc-stun's default crypto provider"),
            password: password.to_owned(),
            out: Message::new(),
        }
    }

    fn decode_verify(&mut self, buf: &[u8]) -> Result<Message, PeerError> {
        let mut m = Message::new();
        m.unmarshal_binary(buf)
            .map_err(PeerError::map("rtc-stun Message::unmarshal_binary"))?;
        MessageIntegrity::check(&mut m, self.password.as_bytes(), self.provider.crypto())
            .map_err(PeerError::map("rtc-stun MessageIntegrity::check"))?;
        FINGERPRINT
            .check(&m)
            .map_err(PeerError::map("rtc-stun FINGERPRINT.check"))?;
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
        let mut setters: Vec<Box<dyn Setter + '_>> = Vec::with_capacity(8);
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
        setters.push(Box::new(
            MessageIntegrity::new_short_term_integrity_with_provider(
                self.password.clone(),
                self.provider.crypto(),
            ),
        ));
        setters.push(Box::new(FINGERPRINT));
        self.out
            .build(&setters)
            .map_err(PeerError::map("rtc-stun Message::build"))?;
        Ok(&self.out.raw)
    }
}
