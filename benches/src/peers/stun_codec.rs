//! `stun_codec` 0.4 (sile's bytecodec-based codec).
//!
//! APIs used:
//! - decode: a reused `MessageDecoder<A>` and `bytecodec::DecodeExt::decode_from_bytes`, over
//!   an attribute enum `A` made with the crate's `define_attribute_enums!` from its RFC 5389
//!   and RFC 5245 attribute types. Decoding runs each attribute's `after_decode` hook:
//!   FINGERPRINT's hook checks the CRC (a mismatch makes the result a `BrokenMessage`), and
//!   MESSAGE-INTEGRITY's hook stores a re-encoding of the attributes before it.
//! - MESSAGE-INTEGRITY: `MessageIntegrity::check_short_term_credential(password)`, the
//!   HMAC over that stored re-encoding.
//! - FINGERPRINT: checked inside decode (above); not separable.
//! - reading values: `Message::get_attribute::<T>()` with `Software::description`,
//!   `Priority::prio`, `IceControlled::prio`, `Username::name`.
//! - encode: `Message::new` + `add_attribute` for the four attributes, then
//!   `MessageIntegrity::new_short_term_credential(&msg, password)` and
//!   `Fingerprint::new(&msg)` (each clones and encodes the message so far), then a reused
//!   `MessageEncoder` and `bytecodec::EncodeExt::encode_into_bytes` (a new `Vec`).
//!
//! Both checks hash a *re-encoding* of the decoded message rather than the received bytes;
//! the re-encoding is faithful to the wire because decoding keeps each attribute's padding
//! bytes (`LosslessAttribute`), so the RFC's space padding still verifies.

use crate::{Fields, Peer, PeerError};
use ::bytecodec::{DecodeExt, EncodeExt};
use ::stun_codec::rfc5245::attributes::{IceControlled, IceControlling, Priority, UseCandidate};
use ::stun_codec::rfc5389::attributes::{
    Fingerprint, MessageIntegrity, Software, Username, XorMappedAddress,
};
use ::stun_codec::rfc5389::methods::BINDING;
use ::stun_codec::{Message, MessageClass, MessageDecoder, MessageEncoder, TransactionId};
use std::borrow::Cow;

/// The attribute set this peer decodes and encodes (what an ICE agent would use).
mod attrs {
    #![allow(missing_docs, unreachable_pub)]
    use super::*;
    ::stun_codec::define_attribute_enums!(
        Attribute,
        AttributeDecoder,
        AttributeEncoder,
        [
            Software,
            Priority,
            IceControlled,
            IceControlling,
            UseCandidate,
            Username,
            XorMappedAddress,
            MessageIntegrity,
            Fingerprint
        ]
    );
}
pub use attrs::Attribute;

/// `stun_codec` 0.4.
#[derive(Debug)]
pub struct StunCodec {
    password: String,
    decoder: MessageDecoder<Attribute>,
    encoder: MessageEncoder<Attribute>,
    out: Vec<u8>,
}

impl Peer for StunCodec {
    const NAME: &'static str = "stun_codec";
    const CHECKS_FINGERPRINT: bool = true;
    const HANDLES_SOFTWARE: bool = true;
    type Msg<'a> = Message<Attribute>;
    type Tid = TransactionId;

    fn new(password: &str) -> Self {
        StunCodec {
            password: password.to_owned(),
            decoder: MessageDecoder::new(),
            encoder: MessageEncoder::new(),
            out: Vec::new(),
        }
    }

    fn decode_verify(&mut self, buf: &[u8]) -> Result<Message<Attribute>, PeerError> {
        let msg = self
            .decoder
            .decode_from_bytes(buf)
            .map_err(PeerError::map("stun_codec decode_from_bytes"))?
            .map_err(PeerError::map("stun_codec BrokenMessage"))?;
        // FINGERPRINT was checked by decoding; insist that it was there to check.
        if msg.get_attribute::<Fingerprint>().is_none() {
            return Err(PeerError::new("stun_codec: FINGERPRINT missing"));
        }
        msg.get_attribute::<MessageIntegrity>()
            .ok_or_else(|| PeerError::new("stun_codec: MESSAGE-INTEGRITY missing"))?
            .check_short_term_credential(&self.password)
            .map_err(PeerError::map("stun_codec check_short_term_credential"))?;
        Ok(msg)
    }

    fn fields<'m>(msg: &'m Message<Attribute>) -> Result<Fields<'m>, PeerError> {
        Ok(Fields {
            software: msg
                .get_attribute::<Software>()
                .map(|a| Cow::Borrowed(a.description())),
            priority: msg.get_attribute::<Priority>().map(Priority::prio),
            ice_controlled: msg
                .get_attribute::<IceControlled>()
                .map(IceControlled::prio),
            username: msg
                .get_attribute::<Username>()
                .map(|a| Cow::Borrowed(a.name())),
        })
    }

    fn transaction_id(msg: &Message<Attribute>) -> TransactionId {
        msg.transaction_id()
    }

    fn encode(&mut self, tid: TransactionId, fields: &Fields<'_>) -> Result<&[u8], PeerError> {
        let mut msg = Message::<Attribute>::new(MessageClass::Request, BINDING, tid);
        if let Some(s) = &fields.software {
            msg.add_attribute(Software::new(s.to_string()).map_err(PeerError::map("Software"))?);
        }
        if let Some(p) = fields.priority {
            msg.add_attribute(Priority::new(p));
        }
        if let Some(t) = fields.ice_controlled {
            msg.add_attribute(IceControlled::new(t));
        }
        if let Some(u) = &fields.username {
            msg.add_attribute(Username::new(u.to_string()).map_err(PeerError::map("Username"))?);
        }
        let mi = MessageIntegrity::new_short_term_credential(&msg, &self.password).map_err(
            PeerError::map("stun_codec MessageIntegrity::new_short_term_credential"),
        )?;
        msg.add_attribute(mi);
        let fp = Fingerprint::new(&msg).map_err(PeerError::map("stun_codec Fingerprint::new"))?;
        msg.add_attribute(fp);
        self.out = self
            .encoder
            .encode_into_bytes(msg)
            .map_err(PeerError::map("stun_codec encode_into_bytes"))?;
        Ok(&self.out)
    }
}
