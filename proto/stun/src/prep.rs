//! Preparation of usernames, realms and passwords: OpaqueString (RFC 8265 section 4.2, as
//! RFC 8489 section 9.2.2 requires) and SASLprep (RFC 4013, as RFC 5389 required).

use std::borrow::Cow;

use precis_core::profile::PrecisFastInvocation;
use precis_profiles::OpaqueString;

use crate::error::{CredentialPart, PrepError};

/// How credential strings are prepared before hashing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Preparation {
    /// OpaqueString (RFC 8265 section 4.2), what RFC 8489 requires.
    #[default]
    OpaqueString,
    /// SASLprep (RFC 4013), what RFC 5389 required and the RFC 5769 vectors use.
    SaslPrep,
    /// The bytes as given (what many deployed servers do; identical for ASCII credentials).
    None,
}

/// Prepares `s` for use in a key, per `prep`.
pub(crate) fn prepare(
    s: &str,
    prep: Preparation,
    part: CredentialPart,
) -> Result<Cow<'_, str>, PrepError> {
    match prep {
        Preparation::None => Ok(Cow::Borrowed(s)),
        Preparation::SaslPrep => stringprep::saslprep(s).map_err(|_| PrepError::SaslPrep(part)),
        Preparation::OpaqueString => {
            OpaqueString::enforce(s).map_err(|_| PrepError::OpaqueString(part))
        }
    }
}
