//! Who a WebSocket upgrade request is: its channel and role from the KVS query parameters
//! (`X-Amz-ChannelARN`, and `X-Amz-ClientId` for a viewer), and whether it may connect: a
//! SigV4-presigned URL checked against the configured access keys, or a token, or nothing
//! when the server requires neither (the loopback default).

use std::collections::HashMap;

use crate::auth::{sigv4, token};
use crate::channel_arn::ChannelArn;
use crate::client_id::ClientId;
use crate::core::Role;

/// What the server checks upgrades against.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Access key id to secret (`--access-key ID:SECRET`).
    pub access_keys: HashMap<String, String>,
    /// The secret tokens are signed with (`--token-secret`).
    pub token_secret: Option<Vec<u8>>,
    /// The region SigV4 credentials must be scoped to.
    pub region: String,
}

impl Policy {
    /// Whether any credential is required.
    #[must_use]
    pub fn requires_credentials(&self) -> bool {
        !self.access_keys.is_empty() || self.token_secret.is_some()
    }
}

/// Why an upgrade was refused: the HTTP status and what to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The status.
    pub status: u16,
    /// The reason, for the response body and the log.
    pub message: String,
}

fn refused(status: u16, message: impl Into<String>) -> Refused {
    Refused {
        status,
        message: message.into(),
    }
}

/// Checks an upgrade to `path` on `host` with `query` at wall-clock second `now`.
///
/// # Errors
///
/// A [`Refused`] with the status to answer.
pub fn authorize(
    policy: &Policy,
    host: &str,
    path: &str,
    query: &[(String, String)],
    now: u64,
) -> Result<(ChannelArn, Role), Refused> {
    let get = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let channel =
        get("X-Amz-ChannelARN").ok_or_else(|| refused(400, "missing X-Amz-ChannelARN"))?;
    let channel =
        ChannelArn::parse(channel).map_err(|e| refused(400, format!("X-Amz-ChannelARN: {e}")))?;
    let role = match get("X-Amz-ClientId") {
        None => Role::Master,
        Some(id) => Role::Viewer(
            ClientId::new(id).map_err(|e| refused(400, format!("X-Amz-ClientId: {e}")))?,
        ),
    };
    if get("X-Amz-Signature").is_some() {
        let req = sigv4::Request {
            method: "GET",
            host,
            path,
            query,
        };
        let signer = sigv4::verify(&req, &policy.access_keys, now)
            .map_err(|e| refused(e.status(), format!("SigV4: {e}")))?;
        if signer.region != policy.region {
            return Err(refused(
                403,
                format!(
                    "SigV4: credential scoped to {}, not {}",
                    signer.region, policy.region
                ),
            ));
        }
    } else if let Some(t) = get("token") {
        let secret = policy
            .token_secret
            .as_deref()
            .ok_or_else(|| refused(403, "tokens are not accepted here"))?;
        let granted = token::verify(secret, t, &channel, now)
            .map_err(|e| refused(e.status(), e.to_string()))?;
        if granted != role {
            return Err(refused(403, "the token is for another role or client id"));
        }
    } else if policy.requires_credentials() {
        return Err(refused(
            401,
            "credentials required (a SigV4-presigned URL or a token)",
        ));
    }
    Ok((channel, role))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arn() -> ChannelArn {
        ChannelArn::new("us-west-2", "000000000000", "door", 1).unwrap()
    }

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn open_by_default_with_the_role_from_the_query() {
        let p = Policy::default();
        let a = arn();
        let (c, r) = authorize(&p, "h", "/", &q(&[("X-Amz-ChannelARN", a.as_str())]), 0).unwrap();
        assert_eq!((c, r), (a.clone(), Role::Master));
        let (_, r) = authorize(
            &p,
            "h",
            "/",
            &q(&[("X-Amz-ChannelARN", a.as_str()), ("X-Amz-ClientId", "v1")]),
            0,
        )
        .unwrap();
        assert_eq!(r, Role::Viewer(ClientId::new("v1").unwrap()));
        assert_eq!(authorize(&p, "h", "/", &q(&[]), 0).unwrap_err().status, 400);
        assert_eq!(
            authorize(
                &p,
                "h",
                "/",
                &q(&[("X-Amz-ChannelARN", a.as_str()), ("X-Amz-ClientId", "a b")]),
                0
            )
            .unwrap_err()
            .status,
            400
        );
    }

    #[test]
    fn with_credentials_configured_none_is_refused_and_a_token_works() {
        let p = Policy {
            token_secret: Some(b"k".to_vec()),
            ..Policy::default()
        };
        let a = arn();
        assert_eq!(
            authorize(&p, "h", "/", &q(&[("X-Amz-ChannelARN", a.as_str())]), 0)
                .unwrap_err()
                .status,
            401
        );
        let t = token::issue(b"k", &a, &Role::Master, 100);
        assert!(
            authorize(
                &p,
                "h",
                "/",
                &q(&[("X-Amz-ChannelARN", a.as_str()), ("token", &t)]),
                50
            )
            .is_ok()
        );
        // The master's token does not make a viewer.
        let e = authorize(
            &p,
            "h",
            "/",
            &q(&[
                ("X-Amz-ChannelARN", a.as_str()),
                ("X-Amz-ClientId", "v1"),
                ("token", &t),
            ]),
            50,
        )
        .unwrap_err();
        assert_eq!(e.status, 403);
        assert_eq!(
            authorize(
                &p,
                "h",
                "/",
                &q(&[("X-Amz-ChannelARN", a.as_str()), ("token", &t)]),
                101
            )
            .unwrap_err()
            .status,
            403
        );
    }
}
