//! The DTLS role an answer takes (RFC 8842 s5.3, RFC 4145 s4.1).

use super::transport::SetupPreference;
use crate::attribute::Setup;

/// The offer's `a=setup` cannot be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a=setup:holdconn offered: WebRTC needs a DTLS connection (RFC 8842 s5.1)")]
pub struct HoldConn;

/// The answer's role to `offered` (`None`: the offer has no `a=setup`, which RFC 4145 s4
/// reads as `active`): `actpass` gets our preference, `active` gets `passive`, `passive`
/// gets `active`.
///
/// # Errors
///
/// [`HoldConn`] for `holdconn`.
pub fn answer_setup(
    offered: Option<Setup>,
    preference: SetupPreference,
) -> Result<Setup, HoldConn> {
    match offered {
        Some(Setup::ActPass) => Ok(match preference {
            SetupPreference::Active => Setup::Active,
            SetupPreference::Passive => Setup::Passive,
        }),
        Some(Setup::Active) | None => Ok(Setup::Passive),
        Some(Setup::Passive) => Ok(Setup::Active),
        Some(Setup::HoldConn) => Err(HoldConn),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_answered_as_rfc_8842_says() {
        let active = SetupPreference::Active;
        assert_eq!(
            answer_setup(Some(Setup::ActPass), active),
            Ok(Setup::Active)
        );
        assert_eq!(
            answer_setup(Some(Setup::ActPass), SetupPreference::Passive),
            Ok(Setup::Passive)
        );
        assert_eq!(
            answer_setup(Some(Setup::Active), active),
            Ok(Setup::Passive)
        );
        assert_eq!(answer_setup(None, active), Ok(Setup::Passive));
        assert_eq!(
            answer_setup(Some(Setup::Passive), active),
            Ok(Setup::Active)
        );
        assert_eq!(answer_setup(Some(Setup::HoldConn), active), Err(HoldConn));
    }
}
