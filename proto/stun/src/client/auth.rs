//! Client credentials (RFC 8489 section 9): short-term, and the long-term mechanism with its
//! 401 challenge, 438 (Stale Nonce) recovery, the nonce cookie and password-algorithm
//! negotiation (sections 9.2.3 to 9.2.5).

use crate::attr::{
    ErrorCodeValue, Nonce, PasswordAlgorithm as PasswordAlgorithmAttr, PasswordAlgorithmEntry,
    PasswordAlgorithms, Realm, Userhash, Username,
};
use crate::{Key, Message, MessageWriter, PasswordAlgorithm, Preparation};

/// The nonce cookie announcing security features (RFC 8489 section 9.2).
pub const NONCE_COOKIE: &str = "obMatJos2";

/// How a request is authenticated.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum Auth {
    /// No credentials (a Binding request to a public STUN server).
    #[default]
    None,
    /// Short-term credentials: USERNAME and MESSAGE-INTEGRITY with `key` (ICE checks).
    ShortTerm {
        /// The USERNAME attribute.
        username: String,
        /// The key, `Key::short_term(password)`.
        key: Key,
    },
    /// Long-term credentials: the first request goes unsigned, the server's 401 brings REALM
    /// and NONCE, and the request is repeated signed (and again once after a 438).
    LongTerm {
        /// The username.
        username: String,
        /// The password.
        password: String,
    },
}

/// Why long-term authentication could not go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthFailure {
    /// The server refused the credentials (401 to a signed request).
    Refused,
    /// A 401 without REALM or NONCE.
    ChallengeIncomplete,
    /// The nonce cookie announced password algorithms but PASSWORD-ALGORITHMS was missing
    /// (a bid-down attack, RFC 8489 section 9.2.5).
    MissingPasswordAlgorithms,
    /// None of the server's password algorithms is one this client knows.
    NoCommonAlgorithm,
    /// The realm or password was refused by OpaqueString.
    Preparation,
    /// Stale nonces kept coming.
    TooManyRetries,
}

/// What a long-term challenge taught about a server: its realm, nonce and algorithm.
#[derive(Debug, Clone)]
pub(crate) struct LongTermState {
    realm: String,
    nonce: String,
    algorithm: PasswordAlgorithm,
    /// PASSWORD-ALGORITHMS as the server sent it, echoed back when the cookie asks for it.
    algorithms: Option<Vec<u8>>,
    /// USERHASH to send instead of USERNAME, when the server offers username anonymity.
    userhash: Option<[u8; 32]>,
    key: Key,
}

/// The "password algorithms" security feature (bit 0, RFC 8489 section 18.1).
const PASSWORD_ALGORITHMS_BIT: u32 = 0x80_0000;
/// The "username anonymity" security feature (bit 1).
const USERNAME_ANONYMITY_BIT: u32 = 0x40_0000;

/// Whether a nonce carries the cookie with the "password algorithms" feature bit.
fn announces_password_algorithms(nonce: &str) -> bool {
    security_features(nonce) & PASSWORD_ALGORITHMS_BIT != 0
}

/// Whether a nonce carries the cookie with the "username anonymity" feature bit.
fn announces_username_anonymity(nonce: &str) -> bool {
    security_features(nonce) & USERNAME_ANONYMITY_BIT != 0
}

/// The 24-bit security feature set base64-encoded after the nonce cookie; 0 without one.
fn security_features(nonce: &str) -> u32 {
    let Some(features) = nonce.strip_prefix(NONCE_COOKIE).and_then(|r| r.get(..4)) else {
        return 0;
    };
    let value = |c: u8| -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    };
    features
        .bytes()
        .try_fold(0u32, |acc, c| Some((acc << 6) | value(c)?))
        .unwrap_or(0)
}

impl LongTermState {
    /// Learns realm, nonce and algorithm from a 401 (or, with `previous`, a 438) response.
    pub(crate) fn from_challenge(
        msg: &Message<'_>,
        username: &str,
        password: &str,
        previous: Option<&LongTermState>,
    ) -> Result<LongTermState, AuthFailure> {
        let nonce = match msg.get::<Nonce<'_>>() {
            Ok(Some(n)) => n.0.to_owned(),
            _ => return Err(AuthFailure::ChallengeIncomplete),
        };
        let realm = match (msg.get::<Realm<'_>>(), previous) {
            (Ok(Some(r)), _) => r.0.to_owned(),
            (_, Some(p)) => p.realm.clone(),
            _ => return Err(AuthFailure::ChallengeIncomplete),
        };
        let (algorithm, algorithms) = if announces_password_algorithms(&nonce) {
            let Ok(Some(list)) = msg.get::<PasswordAlgorithms<'_>>() else {
                return Err(AuthFailure::MissingPasswordAlgorithms);
            };
            let offered: Vec<u16> = list.iter().map(|e| e.algorithm).collect();
            let chosen = [PasswordAlgorithm::Sha256, PasswordAlgorithm::Md5]
                .into_iter()
                .find(|a| offered.contains(&a.number()))
                .ok_or(AuthFailure::NoCommonAlgorithm)?;
            let raw = msg
                .raw(crate::AttrType::PASSWORD_ALGORITHMS)
                .map(|r| r.value.to_vec());
            (chosen, raw)
        } else {
            (PasswordAlgorithm::Md5, None)
        };
        let key = match previous {
            Some(p) if p.realm == realm && p.algorithm == algorithm => p.key.clone(),
            _ => Key::long_term_with(
                username,
                &realm,
                password,
                algorithm,
                Preparation::OpaqueString,
            )
            .map_err(|_| AuthFailure::Preparation)?,
        };
        let userhash = if announces_username_anonymity(&nonce) {
            Some(
                crate::integrity::userhash(username, &realm, Preparation::OpaqueString)
                    .map_err(|_| AuthFailure::Preparation)?,
            )
        } else {
            None
        };
        Ok(LongTermState {
            realm,
            nonce,
            algorithm,
            algorithms,
            userhash,
            key,
        })
    }

    /// Adds USERNAME, REALM, NONCE (and the algorithm attributes) and the integrity
    /// attribute to a request; returns the key it was signed with.
    pub(crate) fn sign(
        &self,
        username: &str,
        w: &mut MessageWriter<'_>,
    ) -> Result<Key, crate::Error> {
        match &self.userhash {
            Some(hash) => w.add(&Userhash(*hash))?,
            None => w.add(&Username(username))?,
        }
        w.add(&Realm(&self.realm))?;
        w.add(&Nonce(&self.nonce))?;
        if let Some(list) = &self.algorithms {
            w.add(&PasswordAlgorithmAttr(PasswordAlgorithmEntry {
                algorithm: self.algorithm.number(),
                params: &[],
            }))?;
            w.add_raw(crate::AttrType::PASSWORD_ALGORITHMS, list)?;
            // The server announced RFC 8489 features: MESSAGE-INTEGRITY-SHA256 alone.
            w.add_message_integrity_sha256(&self.key)?;
        } else {
            w.add_message_integrity(&self.key)?;
        }
        Ok(self.key.clone())
    }
}

/// Whether an error response is a challenge the long-term mechanism answers by retrying.
pub(crate) fn is_challenge(code: ErrorCodeValue) -> bool {
    code == ErrorCodeValue::UNAUTHENTICATED || code == ErrorCodeValue::STALE_NONCE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonce_cookie_feature_bits() {
        // "obMatJos2" + base64 of 0x800000 ("gAAA"): password algorithms.
        assert!(announces_password_algorithms("obMatJos2gAAAxyz"));
        // Only username anonymity (bit 1, 0x400000 = "QAAA").
        assert!(!announces_password_algorithms("obMatJos2QAAAxyz"));
        assert!(!announces_password_algorithms(
            "f//499k954d6OL34oL9FSTvy64sA"
        ));
        assert!(!announces_password_algorithms("obMatJos2g"));
        assert!(!announces_password_algorithms("obMatJos2!!!!"));
        assert!(announces_username_anonymity("obMatJos2QAAAxyz"));
        assert!(announces_username_anonymity("obMatJos2wAAAxyz")); // both bits
        assert!(announces_password_algorithms("obMatJos2wAAAxyz"));
        assert!(!announces_username_anonymity("obMatJos2gAAAxyz"));
    }
}
