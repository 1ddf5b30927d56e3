//! Long-term credentials on the server side (RFC 8489 section 9.2; RFC 8656 section 5): the
//! realm, stateless nonces that expire, static users, and the TURN REST API's ephemeral
//! credentials that coturn calls `use-auth-secret` / `static-auth-secret`.
//!
//! A nonce is `hex(expiry) || hex(HMAC-SHA1(nonce secret, expiry))[..16]`, the expiry in
//! seconds since the server's clock anchor: the server keeps no per-nonce state, and a nonce
//! past its expiry draws 438 (Stale Nonce).
//!
//! REST credentials: the username is `expiry:user` (or `expiry`), `expiry` in UNIX seconds,
//! and the password is `base64(HMAC-SHA1(secret, username))`. Wall-clock time comes from the
//! configured anchor pair, never from the system clock.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use wren_stun::attr::{ErrorCodeValue, Nonce, Realm, Username};
use wren_stun::{Key, Message, PasswordAlgorithm, Preparation};

/// Why a request was not authenticated, and what to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// No MESSAGE-INTEGRITY: answer 401 with REALM and NONCE (the normal first request).
    Challenge,
    /// MESSAGE-INTEGRITY without USERNAME, REALM or NONCE: 400.
    Incomplete,
    /// A nonce that expired or that this server did not issue: 438 with a fresh one.
    StaleNonce,
    /// Unknown user, wrong realm, expired REST username, or a bad MESSAGE-INTEGRITY: 401.
    Refused(Refused),
}

/// The kind of a refusal, for counters and logs (the client only sees 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Refused {
    /// No such user.
    UnknownUser,
    /// REALM is not this server's.
    WrongRealm,
    /// A REST username whose expiry has passed.
    Expired,
    /// MESSAGE-INTEGRITY does not match the key.
    BadIntegrity,
}

impl AuthError {
    /// The error code to answer with.
    #[must_use]
    pub fn code(self) -> ErrorCodeValue {
        match self {
            AuthError::Challenge | AuthError::Refused(_) => ErrorCodeValue::UNAUTHENTICATED,
            AuthError::Incomplete => ErrorCodeValue::BAD_REQUEST,
            AuthError::StaleNonce => ErrorCodeValue::STALE_NONCE,
        }
    }
}

/// How users are known.
#[derive(Clone)]
pub(crate) struct Credentials {
    pub(crate) realm: String,
    /// Static users and their keys.
    pub(crate) users: HashMap<String, Key>,
    /// The REST API shared secret, when `use-auth-secret` is on.
    pub(crate) rest_secret: Option<String>,
    /// Key of the nonce MAC.
    pub(crate) nonce_secret: [u8; 32],
    pub(crate) nonce_lifetime: Duration,
    /// The clock anchors: `anchor` is this `Instant`, at wall time `wall`.
    pub(crate) anchor: Instant,
    pub(crate) wall: SystemTime,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("realm", &self.realm)
            .field("users", &self.users.len())
            .field("rest", &self.rest_secret.is_some())
            .finish_non_exhaustive()
    }
}

fn hmac_sha1(key: &[u8], data: &[u8]) -> [u8; 20] {
    // HMAC accepts keys of every length.
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(data);
    mac.finalize().into_bytes().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The REST API password for `username`: base64(HMAC-SHA1(secret, username)).
#[must_use]
pub fn rest_password(secret: &str, username: &str) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(hmac_sha1(secret.as_bytes(), username.as_bytes()))
}

impl Credentials {
    fn seconds(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.anchor).as_secs()
    }

    fn nonce_tag(&self, expiry: u64) -> String {
        hex(&hmac_sha1(&self.nonce_secret, &expiry.to_be_bytes())[..8])
    }

    /// A fresh nonce, valid for the nonce lifetime from `now`.
    pub(crate) fn nonce(&self, now: Instant) -> String {
        let expiry = self.seconds(now) + self.nonce_lifetime.as_secs().max(1);
        format!("{expiry:016x}{}", self.nonce_tag(expiry))
    }

    /// Whether `nonce` was issued here and has not expired.
    pub(crate) fn nonce_valid(&self, nonce: &str, now: Instant) -> bool {
        if nonce.len() != 32 || !nonce.is_char_boundary(16) {
            return false;
        }
        let (expiry, tag) = nonce.split_at(16);
        let Ok(expiry) = u64::from_str_radix(expiry, 16) else {
            return false;
        };
        // Constant time is not needed: the tag protects no secret, only the expiry.
        tag == self.nonce_tag(expiry) && expiry > self.seconds(now)
    }

    /// UNIX seconds at `now`.
    fn unix_now(&self, now: Instant) -> u64 {
        let wall = self.wall + now.saturating_duration_since(self.anchor);
        wall.duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }

    /// The key of `username`, or why there is none.
    fn key_for(&self, username: &str, now: Instant) -> Result<Key, Refused> {
        if let Some(key) = self.users.get(username) {
            return Ok(key.clone());
        }
        let secret = self.rest_secret.as_deref().ok_or(Refused::UnknownUser)?;
        let expiry = username.split(':').next().unwrap_or(username);
        let expiry: u64 = expiry.parse().map_err(|_| Refused::UnknownUser)?;
        if expiry <= self.unix_now(now) {
            return Err(Refused::Expired);
        }
        let password = rest_password(secret, username);
        Key::long_term_with(
            username,
            &self.realm,
            &password,
            PasswordAlgorithm::Md5,
            Preparation::OpaqueString,
        )
        .map_err(|_| Refused::UnknownUser)
    }

    /// Checks a request's long-term credentials; on success, the key and the username.
    pub(crate) fn authenticate(
        &self,
        msg: &Message<'_>,
        now: Instant,
    ) -> Result<(Key, String), AuthError> {
        if msg.integrity_offset().is_none() && msg.integrity_sha256_offset().is_none() {
            return Err(AuthError::Challenge);
        }
        let (Ok(Some(username)), Ok(Some(realm)), Ok(Some(nonce))) = (
            msg.get::<Username<'_>>(),
            msg.get::<Realm<'_>>(),
            msg.get::<Nonce<'_>>(),
        ) else {
            return Err(AuthError::Incomplete);
        };
        if !self.nonce_valid(nonce.0, now) {
            return Err(AuthError::StaleNonce);
        }
        if realm.0 != self.realm {
            return Err(AuthError::Refused(Refused::WrongRealm));
        }
        let key = self.key_for(username.0, now).map_err(AuthError::Refused)?;
        msg.verify_integrity(&key)
            .map_err(|_| AuthError::Refused(Refused::BadIntegrity))?;
        Ok((key, username.0.to_owned()))
    }
}
