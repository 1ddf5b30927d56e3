//! Long-term credentials on the server side (RFC 8489 section 9.2; RFC 8656 section 5): the
//! realm, stateless nonces that expire, static users, and the TURN REST API's ephemeral
//! credentials that coturn calls `use-auth-secret` / `static-auth-secret`.
//!
//! A nonce is `hex(expiry) || hex(HMAC-SHA1(nonce secret, expiry, realm, 5-tuple))[..16]`,
//! the expiry in seconds since the server's clock anchor, the 5-tuple the client's address,
//! the server address it reached and the transport: the server keeps no per-nonce state, and
//! a nonce is good only for the 5-tuple (and realm) it was issued to. A nonce past its expiry,
//! or one issued to another 5-tuple (a signed request captured on the wire and replayed from
//! elsewhere, RFC 8656 section 21.2 warns of it; coturn keeps nonces per session, restund
//! hashes the source in), draws 438 (Stale Nonce, RFC 8489 section 9.2.4) with a fresh nonce
//! for the 5-tuple that sent it; the replayer holds no password to sign with it.
//!
//! A nonce lives `nonce_lifetime` (600 s by default) and never more than
//! [`MAX_NONCE_LIFETIME`] (3600 s), whatever is configured: a lifetime of zero (coturn's
//! `stale-nonce=0`, "unlimited") or above the cap gets the cap, so a captured nonce is worth
//! an hour at most. A client that reconnects over TCP or TLS comes from a new 5-tuple and
//! gets a 438 first, which every client handles by retrying with the new nonce.
//!
//! REST credentials: the username is `expiry:user` (or `expiry`), `expiry` in UNIX seconds,
//! and the password is `base64(HMAC-SHA1(secret, username))`. Wall-clock time comes from the
//! configured anchor pair, never from the system clock.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use wren_core::Transport;
use wren_stun::attr::{ErrorCodeValue, Nonce, Realm, Username};
use wren_stun::{Key, Message, PasswordAlgorithm, Preparation};

use super::allocation::FiveTuple;

/// The longest a nonce lives, whatever `nonce_lifetime` says (zero, coturn's "unlimited",
/// included).
pub const MAX_NONCE_LIFETIME: Duration = Duration::from_secs(3600);

/// Why a request was not authenticated, and what to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// No MESSAGE-INTEGRITY: answer 401 with REALM and NONCE (the normal first request).
    Challenge,
    /// MESSAGE-INTEGRITY without USERNAME, REALM or NONCE: 400.
    Incomplete,
    /// A nonce issued to this 5-tuple that expired: 438 with a fresh one.
    StaleNonce,
    /// A nonce not issued to this 5-tuple and realm: issued to another (a replayed request)
    /// or never issued: 438 with a fresh one, as for a stale nonce.
    ForeignNonce,
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
            AuthError::StaleNonce | AuthError::ForeignNonce => ErrorCodeValue::STALE_NONCE,
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
    /// The configured lifetime; [`Credentials::nonce_lifetime`] applies the cap.
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

    /// The lifetime of the nonces issued: the configured one, capped at
    /// [`MAX_NONCE_LIFETIME`] (zero means the cap), at least a second.
    pub(crate) fn nonce_lifetime(&self) -> Duration {
        if self.nonce_lifetime.is_zero() {
            MAX_NONCE_LIFETIME
        } else {
            self.nonce_lifetime
                .clamp(Duration::from_secs(1), MAX_NONCE_LIFETIME)
        }
    }

    /// The MAC of a nonce: its expiry, the realm and the 5-tuple it is issued to.
    fn nonce_tag(&self, expiry: u64, five: &FiveTuple) -> String {
        let transport: u8 = match five.transport {
            Transport::Udp => 0,
            Transport::Tcp => 1,
            Transport::Tls => 2,
            _ => 3,
        };
        // Each address as family, 16 octets (IPv4 mapped) and port: fixed-length fields, and
        // the realm last, so no two inputs concatenate alike.
        let mut tuple = [0u8; 1 + 2 * 19];
        tuple[0] = transport;
        for (i, a) in [five.client, five.server].into_iter().enumerate() {
            let at = 1 + i * 19;
            let (family, octets) = match a.ip() {
                std::net::IpAddr::V4(v4) => (4, v4.to_ipv6_mapped().octets()),
                std::net::IpAddr::V6(v6) => (6, v6.octets()),
            };
            tuple[at] = family;
            tuple[at + 1..at + 17].copy_from_slice(&octets);
            tuple[at + 17..at + 19].copy_from_slice(&a.port().to_be_bytes());
        }
        let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(&self.nonce_secret)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(&expiry.to_be_bytes());
        mac.update(&tuple);
        mac.update(self.realm.as_bytes());
        let tag: [u8; 20] = mac.finalize().into_bytes().into();
        hex(&tag[..8])
    }

    /// A fresh nonce for `five`, valid for the nonce lifetime from `now`.
    pub(crate) fn nonce(&self, now: Instant, five: &FiveTuple) -> String {
        let expiry = self.seconds(now) + self.nonce_lifetime().as_secs();
        format!("{expiry:016x}{}", self.nonce_tag(expiry, five))
    }

    /// Whether `nonce` was issued here to `five` and has not expired.
    pub(crate) fn check_nonce(
        &self,
        nonce: &str,
        now: Instant,
        five: &FiveTuple,
    ) -> Result<(), AuthError> {
        if nonce.len() != 32 || !nonce.is_char_boundary(16) {
            return Err(AuthError::ForeignNonce);
        }
        let (expiry, tag) = nonce.split_at(16);
        let Ok(expiry) = u64::from_str_radix(expiry, 16) else {
            return Err(AuthError::ForeignNonce);
        };
        // Constant time is not needed: the tag protects no secret, only the expiry and the
        // 5-tuple, and a forger learns nothing it could sign a request with.
        if tag != self.nonce_tag(expiry, five) {
            return Err(AuthError::ForeignNonce);
        }
        if expiry <= self.seconds(now) {
            return Err(AuthError::StaleNonce);
        }
        Ok(())
    }

    /// Where the account, the name quotas count by, starts in `username`: 0 for a static
    /// user, past the first `:` for a TURN REST API username `expiry:user` (coturn strips the
    /// timestamp too: one user's credentials of several expiries are one user). A REST
    /// username without a user part (`expiry` alone) counts as itself.
    pub(crate) fn account_at(&self, username: &str) -> u16 {
        if self.users.contains_key(username) || self.rest_secret.is_none() {
            return 0;
        }
        username
            .find(':')
            .and_then(|i| u16::try_from(i + 1).ok())
            .unwrap_or(0)
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

    /// Checks a request's long-term credentials, sent from `five`; on success, the key and
    /// the username.
    pub(crate) fn authenticate(
        &self,
        msg: &Message<'_>,
        now: Instant,
        five: &FiveTuple,
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
        self.check_nonce(nonce.0, now, five)?;
        if realm.0 != self.realm {
            return Err(AuthError::Refused(Refused::WrongRealm));
        }
        let key = self.key_for(username.0, now).map_err(AuthError::Refused)?;
        msg.verify_integrity(&key)
            .map_err(|_| AuthError::Refused(Refused::BadIntegrity))?;
        Ok((key, username.0.to_owned()))
    }
}
