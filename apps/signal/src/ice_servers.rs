//! GetIceServerConfig: the STUN and TURN servers a client may use, with TURN REST
//! credentials (username `EXPIRY:CLIENTID`, password base64(HMAC-SHA1(secret, username)):
//! coturn's `use-auth-secret`, which wren-relay checks with its `static-auth-secret`).

use std::time::Duration;

use serde::Serialize;

/// The relay the server hands out credentials for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relays {
    /// The shared secret (wren-relay's and coturn's `static-auth-secret`).
    pub secret: String,
    /// `turn:` and `turns:` URIs.
    pub turn_uris: Vec<String>,
    /// `stun:` URIs (no credentials).
    pub stun_uris: Vec<String>,
    /// How long credentials live (KVS: 5 minutes; the TTL returned).
    pub ttl: Duration,
}

/// One entry of `IceServerList`, in the KVS response's casing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct IceServer {
    /// The server URIs.
    pub uris: Vec<String>,
    /// The username (absent for STUN).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The password (absent for STUN).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Seconds the credentials live.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u64>,
}

impl Relays {
    /// The ICE servers for `client_id` at wall-clock second `now_unix`: the TURN URIs with
    /// credentials that expire `ttl` later, then the STUN URIs.
    #[must_use]
    pub fn servers_for(&self, client_id: &str, now_unix: u64) -> Vec<IceServer> {
        let mut out = Vec::new();
        if !self.turn_uris.is_empty() {
            let ttl = self.ttl.as_secs();
            let username = format!("{}:{client_id}", now_unix.saturating_add(ttl));
            let password = wren_turn::server::rest_password(&self.secret, &username);
            out.push(IceServer {
                uris: self.turn_uris.clone(),
                username: Some(username),
                password: Some(password),
                ttl: Some(ttl),
            });
        }
        if !self.stun_uris.is_empty() {
            out.push(IceServer {
                uris: self.stun_uris.clone(),
                username: None,
                password: None,
                ttl: None,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turn_credentials_are_turn_rest_ones() {
        let relays = Relays {
            secret: "s3cret".into(),
            turn_uris: vec!["turn:127.0.0.1:3478?transport=udp".into()],
            stun_uris: vec!["stun:127.0.0.1:3478".into()],
            ttl: Duration::from_secs(300),
        };
        let servers = relays.servers_for("viewer-1", 1_700_000_000);
        assert_eq!(servers.len(), 2);
        let turn = &servers[0];
        assert_eq!(turn.username.as_deref(), Some("1700000300:viewer-1"));
        // base64(HMAC-SHA1("s3cret", username)), computed apart with Python's hmac module.
        assert_eq!(
            turn.password.as_deref(),
            Some("FJIQfu+MWYuPfI+asbvsazPI3Fo=")
        );
        let json = serde_json::to_value(&servers).unwrap();
        assert_eq!(json[0]["Uris"][0], "turn:127.0.0.1:3478?transport=udp");
        assert_eq!(json[0]["Ttl"], 300);
        assert!(json[1].get("Username").is_none());
    }
}
