//! The relay set GetIceServerConfig hands out credentials for, replaceable while the server
//! runs: a reload (SIGHUP to the binary, or [`super::Handle::set_relays`]) that changes the
//! URIs, the TTL or the shared secret swaps it here, and the connections are told
//! RECONNECT_ICE_SERVER so that clients fetch credentials the relay now accepts.

use std::sync::{Arc, PoisonError, RwLock};

use crate::ice_servers::{IceServer, Relays};

/// The current relay set, shared by the HTTP handlers and the server's [`super::Handle`].
#[derive(Debug, Clone, Default)]
pub(crate) struct RelaySet(Arc<RwLock<Option<Relays>>>);

impl RelaySet {
    /// A set holding `relays`.
    pub(crate) fn new(relays: Option<Relays>) -> RelaySet {
        RelaySet(Arc::new(RwLock::new(relays)))
    }

    /// The ICE servers for `client_id` at wall-clock second `now_unix` (none without a
    /// relay).
    pub(crate) fn servers_for(&self, client_id: &str, now_unix: u64) -> Vec<IceServer> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|r| r.servers_for(client_id, now_unix))
            .unwrap_or_default()
    }

    /// Puts `relays` in place; whether anything changed.
    pub(crate) fn replace(&self, relays: Option<Relays>) -> bool {
        let mut current = self.0.write().unwrap_or_else(PoisonError::into_inner);
        if *current == relays {
            return false;
        }
        *current = relays;
        true
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn relays(secret: &str) -> Relays {
        Relays {
            secret: secret.to_owned(),
            turn_uris: vec!["turn:127.0.0.1:3478".to_owned()],
            stun_uris: Vec::new(),
            ttl: Duration::from_secs(300),
        }
    }

    #[test]
    fn only_a_different_set_counts_as_a_change() {
        let set = RelaySet::new(Some(relays("a")));
        assert!(!set.replace(Some(relays("a"))), "the same set again");
        let before = set.servers_for("master", 1_000);
        assert!(set.replace(Some(relays("b"))), "a new secret");
        let after = set.servers_for("master", 1_000);
        assert_eq!(before[0].username, after[0].username);
        assert_ne!(before[0].password, after[0].password);
        assert!(set.replace(None), "the relay taken away");
        assert!(set.servers_for("master", 1_000).is_empty());
    }
}
