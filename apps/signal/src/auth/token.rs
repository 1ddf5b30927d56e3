//! Connection tokens: a channel, a role (and a viewer's client id) and an expiry, signed with
//! HMAC-SHA256 under the server's token secret. For clients that do not sign with SigV4: the
//! application that knows who may join a channel hands its users a token, and wren-signal
//! checks it before the WebSocket upgrade (`?token=...`).
//!
//! The form is `v1.EXPIRY.ROLE.CLIENTID.SIGNATURE` with the channel ARN signed but not
//! written (the connection names its channel anyway): ROLE is `master` or `viewer`,
//! CLIENTID is empty for the master, SIGNATURE the hex HMAC-SHA256 of
//! `v1\nEXPIRY\nROLE\nCLIENTID\nCHANNELARN`.

use super::mac::{hex, hmac_sha256};
use crate::channel_arn::ChannelArn;
use crate::client_id::ClientId;
use crate::core::Role;

/// Why a token was refused (HTTP 403, or 400 when malformed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a token of this form.
    #[error("malformed token")]
    Malformed,
    /// The signature does not match: forged, for another channel, role or client, or
    /// under another secret.
    #[error("the token is not valid for this channel, role and client")]
    Invalid,
    /// Past its expiry.
    #[error("the token expired")]
    Expired,
}

impl TokenError {
    /// The HTTP status the upgrade is refused with.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            TokenError::Malformed => 400,
            _ => 403,
        }
    }
}

fn role_parts(role: &Role) -> (&'static str, &str) {
    match role {
        Role::Master => ("master", ""),
        Role::Viewer(id) => ("viewer", id.as_str()),
    }
}

fn mac(secret: &[u8], expiry: u64, role: &str, client: &str, channel: &ChannelArn) -> String {
    hex(&hmac_sha256(
        secret,
        format!("v1\n{expiry}\n{role}\n{client}\n{channel}").as_bytes(),
    ))
}

/// A token for `role` on `channel` until wall-clock second `expiry`.
#[must_use]
pub fn issue(secret: &[u8], channel: &ChannelArn, role: &Role, expiry: u64) -> String {
    let (r, client) = role_parts(role);
    format!(
        "v1.{expiry}.{r}.{client}.{}",
        mac(secret, expiry, r, client, channel)
    )
}

/// Checks `token` for a connection to `channel` at wall-clock second `now`, and says which
/// role it grants.
///
/// # Errors
///
/// A [`TokenError`].
pub fn verify(
    secret: &[u8],
    token: &str,
    channel: &ChannelArn,
    now: u64,
) -> Result<Role, TokenError> {
    let Some(["v1", expiry, role, client, sig]) = super::split_exact(token, '.') else {
        return Err(TokenError::Malformed);
    };
    let expiry: u64 = expiry.parse().map_err(|_| TokenError::Malformed)?;
    let granted = match (role, client) {
        ("master", "") => Role::Master,
        ("viewer", id) => Role::Viewer(ClientId::new(id).map_err(|_| TokenError::Malformed)?),
        _ => return Err(TokenError::Malformed),
    };
    let want = mac(secret, expiry, role, client, channel);
    if !wren_core::constant_time_eq(want.as_bytes(), sig.as_bytes()) {
        return Err(TokenError::Invalid);
    }
    if now > expiry {
        return Err(TokenError::Expired);
    }
    Ok(granted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arn(name: &str) -> ChannelArn {
        ChannelArn::new("us-west-2", "000000000000", name, 1).unwrap()
    }

    #[test]
    fn a_token_grants_its_role_on_its_channel_until_it_expires() {
        let viewer = Role::Viewer(ClientId::new("v1").unwrap());
        let t = issue(b"k", &arn("door"), &viewer, 1000);
        assert_eq!(verify(b"k", &t, &arn("door"), 1000), Ok(viewer));
        assert_eq!(
            verify(b"k", &t, &arn("door"), 1001),
            Err(TokenError::Expired)
        );
        let m = issue(b"k", &arn("door"), &Role::Master, 1000);
        assert_eq!(verify(b"k", &m, &arn("door"), 5), Ok(Role::Master));
    }

    #[test]
    fn a_token_is_refused_elsewhere_or_altered() {
        let t = issue(
            b"k",
            &arn("door"),
            &Role::Viewer(ClientId::new("v1").unwrap()),
            1000,
        );
        assert_eq!(verify(b"k", &t, &arn("gate"), 5), Err(TokenError::Invalid));
        assert_eq!(
            verify(b"other", &t, &arn("door"), 5),
            Err(TokenError::Invalid)
        );
        // Promoted to master, renamed, or given more time: the signature breaks.
        let sig = t.rsplit('.').next().unwrap();
        for forged in [
            format!("v1.1000.master..{sig}"),
            format!("v1.1000.viewer.v2.{sig}"),
            format!("v1.9999.viewer.v1.{sig}"),
        ] {
            assert_eq!(
                verify(b"k", &forged, &arn("door"), 5),
                Err(TokenError::Invalid)
            );
        }
        for bad in [
            "",
            "v1",
            "v2.1.master..ab",
            "v1.x.master..ab",
            "v1.1.admin..ab",
            "v1.1.viewer.a b.ab",
            "v1.1.master..ab.extra",
        ] {
            assert_eq!(
                verify(b"k", bad, &arn("door"), 0),
                Err(TokenError::Malformed),
                "{bad}"
            );
        }
    }
}
