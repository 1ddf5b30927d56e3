//! The agent's credentials (RFC 8445 section 5.3, RFC 8839 section 5.4): its own
//! `ice-ufrag`/`ice-pwd` and the peer's, the short-term keys that sign and check
//! connectivity checks (RFC 8489 section 9.1), the generation an ICE restart moves on, and
//! the tie-breaker of role conflicts (RFC 8445 section 7.3.1.1). A part of the
//! [`super::Agent`] with its own state.

use wren_core::Rng;
use wren_stun::Key;

use super::Credentials;

/// The short-term key of an ICE password.
pub(crate) fn short_term_key(pwd: &str) -> Key {
    // OpaqueString refuses some passwords (controls); ICE passwords are ice-chars, and one
    // that is not is taken as its bytes rather than refused.
    Key::short_term(pwd).unwrap_or_else(|_| Key::from_bytes(pwd.as_bytes()))
}

/// Local and remote credentials, their keys, the generation and the tie-breaker.
#[derive(Debug)]
pub(crate) struct Keys {
    local: Credentials,
    local_key: Key,
    remote: Option<Credentials>,
    remote_key: Option<Key>,
    generation: u32,
    tiebreaker: u64,
}

impl Keys {
    /// The local credentials (`configured`, else random ones), and a random tie-breaker,
    /// drawn from `rng` in that order.
    pub(crate) fn new(configured: Option<Credentials>, rng: &mut Rng) -> Keys {
        let local = configured.unwrap_or_else(|| Credentials::random(rng));
        let local_key = short_term_key(&local.pwd);
        let tiebreaker = rng.next_u64();
        Keys {
            local,
            local_key,
            remote: None,
            remote_key: None,
            generation: 0,
            tiebreaker,
        }
    }

    /// The local credentials.
    pub(crate) fn local(&self) -> &Credentials {
        &self.local
    }

    /// The key the peer signs its checks with (our password).
    pub(crate) fn local_key(&self) -> &Key {
        &self.local_key
    }

    /// The peer's credentials, once known.
    pub(crate) fn remote(&self) -> Option<&Credentials> {
        self.remote.as_ref()
    }

    /// The key our checks are signed with (the peer's password), once known.
    pub(crate) fn remote_key(&self) -> Option<&Key> {
        self.remote_key.as_ref()
    }

    /// The peer's credentials are `creds`.
    pub(crate) fn set_remote(&mut self, creds: Credentials) {
        self.remote_key = Some(short_term_key(&creds.pwd));
        self.remote = Some(creds);
    }

    /// The generation of the local candidates (ICE restarts so far).
    pub(crate) fn generation(&self) -> u32 {
        self.generation
    }

    /// The tie-breaker of role conflicts.
    pub(crate) fn tiebreaker(&self) -> u64 {
        self.tiebreaker
    }

    /// ICE restart (RFC 8445 section 9): the next generation, fresh local credentials,
    /// the peer's forgotten until it gives new ones.
    pub(crate) fn restart(&mut self, rng: &mut Rng) {
        self.generation += 1;
        self.local = Credentials::random(rng);
        self.local_key = short_term_key(&self.local.pwd);
        self.remote = None;
        self.remote_key = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_moves_to_fresh_local_credentials_and_forgets_the_peers() {
        let mut rng = Rng::from_seed([6; 32]);
        let mut keys = Keys::new(None, &mut rng);
        let first = keys.local().clone();
        assert!(keys.remote().is_none() && keys.remote_key().is_none());
        let peer = Credentials::random(&mut rng);
        keys.set_remote(peer.clone());
        assert_eq!(keys.remote(), Some(&peer));
        assert!(keys.remote_key().is_some());
        let tiebreaker = keys.tiebreaker();
        keys.restart(&mut rng);
        assert_eq!(keys.generation(), 1);
        assert_ne!(keys.local(), &first);
        assert!(keys.remote().is_none() && keys.remote_key().is_none());
        assert_eq!(keys.tiebreaker(), tiebreaker, "kept across restarts");

        let configured = Credentials::random(&mut rng);
        let keys = Keys::new(Some(configured.clone()), &mut rng);
        assert_eq!(keys.local(), &configured);
    }
}
