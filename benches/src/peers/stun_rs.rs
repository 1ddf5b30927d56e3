//! `stun-rs` 0.1 (with its `ice` feature for PRIORITY and ICE-CONTROLLED).
//!
//! APIs used:
//! - decode + MESSAGE-INTEGRITY + FINGERPRINT: one `MessageDecoder`, built once from
//!   `DecoderContextBuilder::default().with_key(HMACKey::new_short_term(password))
//!   .with_validation()`, whose `decode(&[u8])` decodes every attribute into an owned
//!   `StunMessage` and, with validation on, checks MESSAGE-INTEGRITY and FINGERPRINT over
//!   the received bytes. The checks cannot be run apart from decoding.
//! - reading values: `StunMessage::get::<T>()` and `StunAttribute::as_user_name()`,
//!   `as_software()`, `as_priority()`, `as_ice_controlled()`.
//! - encode: `StunMessageBuilder::new(BINDING, MessageClass::Request)
//!   .with_transaction_id(..).with_attribute(..)…build()` with `Software::new`,
//!   `Priority::from`, `IceControlled::from`, `UserName::new`, `MessageIntegrity::new(key)`
//!   and `Fingerprint::default()`, then a reused `MessageEncoder::encode(&mut [u8], &msg)`,
//!   which fills in MESSAGE-INTEGRITY and FINGERPRINT.
//!
//! `HMACKey::new_short_term` runs the password through the OpaqueString profile (RFC 8265)
//! once, in [`Peer::new`]; `MessageIntegrity::new` takes the key by value, so encode clones
//! it per message.

use crate::{Fields, Peer, PeerError};
use ::stun_rs::attributes::ice::{IceControlled, Priority};
use ::stun_rs::attributes::stun::{Fingerprint, MessageIntegrity, Software, UserName};
use ::stun_rs::methods::BINDING;
use ::stun_rs::{
    DecoderContextBuilder, HMACKey, MessageClass, MessageDecoder, MessageDecoderBuilder,
    MessageEncoder, MessageEncoderBuilder, StunMessage, StunMessageBuilder, TransactionId,
};
use std::borrow::Cow;

/// `stun-rs` 0.1.
#[derive(Debug)]
pub struct StunRs {
    key: HMACKey,
    decoder: MessageDecoder,
    encoder: MessageEncoder,
    out: [u8; 256],
}

impl Peer for StunRs {
    const NAME: &'static str = "stun-rs";
    const CHECKS_FINGERPRINT: bool = true;
    const HANDLES_SOFTWARE: bool = true;
    type Msg<'a> = StunMessage;
    type Tid = TransactionId;

    fn new(password: &str) -> Self {
        let key = HMACKey::new_short_term(password).expect("stun-rs HMACKey::new_short_term");
        let ctx = DecoderContextBuilder::default()
            .with_key(key.clone())
            .with_validation()
            .build();
        StunRs {
            key,
            decoder: MessageDecoderBuilder::default().with_context(ctx).build(),
            encoder: MessageEncoderBuilder::default().build(),
            out: [0; 256],
        }
    }

    fn decode_verify(&mut self, buf: &[u8]) -> Result<StunMessage, PeerError> {
        let (msg, _) = self
            .decoder
            .decode(buf)
            .map_err(PeerError::map("stun-rs MessageDecoder::decode"))?;
        // `with_validation` only checks what is present: insist that both checks ran.
        if msg.get::<MessageIntegrity>().is_none() || msg.get::<Fingerprint>().is_none() {
            return Err(PeerError::new(
                "stun-rs: MESSAGE-INTEGRITY or FINGERPRINT missing",
            ));
        }
        Ok(msg)
    }

    fn fields<'m>(msg: &'m StunMessage) -> Result<Fields<'m>, PeerError> {
        let e = PeerError::map("stun-rs StunAttribute::as_*");
        Ok(Fields {
            software: match msg.get::<Software>() {
                Some(a) => Some(Cow::Borrowed(a.as_software().map_err(e)?.as_str())),
                None => None,
            },
            priority: match msg.get::<Priority>() {
                Some(a) => Some(
                    a.as_priority()
                        .map_err(PeerError::map("stun-rs as_priority"))?
                        .as_u32(),
                ),
                None => None,
            },
            ice_controlled: match msg.get::<IceControlled>() {
                Some(a) => Some(
                    a.as_ice_controlled()
                        .map_err(PeerError::map("stun-rs as_ice_controlled"))?
                        .as_u64(),
                ),
                None => None,
            },
            username: match msg.get::<UserName>() {
                Some(a) => Some(Cow::Borrowed(
                    a.as_user_name()
                        .map_err(PeerError::map("stun-rs as_user_name"))?
                        .as_str(),
                )),
                None => None,
            },
        })
    }

    fn transaction_id(msg: &StunMessage) -> TransactionId {
        *msg.transaction_id()
    }

    fn encode(&mut self, tid: TransactionId, fields: &Fields<'_>) -> Result<&[u8], PeerError> {
        let mut b =
            StunMessageBuilder::new(BINDING, MessageClass::Request).with_transaction_id(tid);
        if let Some(s) = &fields.software {
            b = b.with_attribute(Software::new(s.as_ref()).map_err(PeerError::map("Software"))?);
        }
        if let Some(p) = fields.priority {
            b = b.with_attribute(Priority::from(p));
        }
        if let Some(t) = fields.ice_controlled {
            b = b.with_attribute(IceControlled::from(t));
        }
        if let Some(u) = &fields.username {
            b = b.with_attribute(UserName::new(u.as_ref()).map_err(PeerError::map("UserName"))?);
        }
        let msg = b
            .with_attribute(MessageIntegrity::new(self.key.clone()))
            .with_attribute(Fingerprint::default())
            .build();
        let n = self
            .encoder
            .encode(&mut self.out, &msg)
            .map_err(PeerError::map("stun-rs MessageEncoder::encode"))?;
        Ok(&self.out[..n])
    }
}
