//! Preparation of usernames, realms and passwords: OpaqueString (RFC 8265 section 4.2, as
//! RFC 8489 section 9.2.2 requires) and SASLprep (RFC 4013, as RFC 5389 required).

use std::borrow::Cow;

use precis_core::profile::PrecisFastInvocation;
use precis_profiles::OpaqueString;

use crate::error::{CredentialPart, PrepError};
use crate::integrity::Preparation;

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
