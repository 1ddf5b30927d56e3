//! The Redis keys of a cluster and the text of what they hold: one place names them all.
//!
//! | key | type | holds |
//! | --- | --- | --- |
//! | `{prefix}channels` | hash | channel name → `version|created_ms|arn` |
//! | `{prefix}channel-version` | string | the counter channel versions come from |
//! | `{prefix}member:{arn}:master` | string, TTL | `node/conn` of the channel's master |
//! | `{prefix}member:{arn}:viewer:{id}` | string, TTL | `node/conn` of viewer `id` |
//! | `{prefix}node:{node}` | string, TTL | present while node `node` is alive |
//! | `{prefix}nodes` | set | node ids (a dead one is removed when found dead) |
//! | `{prefix}inbox:{node}` | stream, TTL | what other nodes send node `node` |

use std::fmt;

use crate::channel_arn::ChannelArn;
use crate::client_id::ClientId;
use crate::core::{ChannelInfo, ConnId, Role};

/// The prefix of every key.
pub(crate) const PREFIX: &str = "wren:signal:";

/// A node's id: 1-64 of `[A-Za-z0-9_.-]`, so it can sit in a key and before the `/` of a
/// registration.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NodeId(String);

/// A node id that is empty, too long, or has a character outside `[A-Za-z0-9_.-]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a node id is 1-64 of [A-Za-z0-9_.-], not {0:?}")]
pub struct NodeIdError(pub String);

impl NodeId {
    /// `id`, checked.
    ///
    /// # Errors
    ///
    /// When `id` is empty, longer than 64, or has another character.
    pub fn new(id: &str) -> Result<NodeId, NodeIdError> {
        let ok = !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if ok {
            Ok(NodeId(id.to_owned()))
        } else {
            Err(NodeIdError(id.to_owned()))
        }
    }

    /// A random id (16 hex digits from the process's hash seed, the clock and the pid).
    #[must_use]
    pub fn random() -> NodeId {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        h.write_u128(t);
        NodeId(format!("{:016x}", h.finish()))
    }

    /// The id.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub(crate) fn channels() -> String {
    format!("{PREFIX}channels")
}

pub(crate) fn channel_version() -> String {
    format!("{PREFIX}channel-version")
}

pub(crate) fn inbox(node: &NodeId) -> String {
    format!("{PREFIX}inbox:{node}")
}

/// `master` or `viewer:{id}`: a role as keys and inbox entries write it.
pub(crate) fn role_text(role: &Role) -> String {
    match role {
        Role::Master => "master".to_owned(),
        Role::Viewer(id) => format!("viewer:{}", id.as_str()),
    }
}

/// The role [`role_text`] wrote.
pub(crate) fn parse_role(text: &str) -> Option<Role> {
    match text.strip_prefix("viewer:") {
        Some(id) => ClientId::new(id).ok().map(Role::Viewer),
        None => (text == "master").then_some(Role::Master),
    }
}

/// The key of who holds `role` on `channel`.
pub(crate) fn member(channel: &ChannelArn, role: &Role) -> String {
    format!("{PREFIX}member:{}:{}", channel.as_str(), role_text(role))
}

/// What a member key holds: this node and the connection here.
pub(crate) fn registration(node: &NodeId, conn: ConnId) -> String {
    format!("{node}/{}", conn.0)
}

/// A channel as the hash holds it: `version|created_ms|arn`.
pub(crate) fn channel_value(info: &ChannelInfo) -> String {
    format!("{}|{}|{}", info.version, info.created_ms, info.arn.as_str())
}

/// The channel [`channel_value`] wrote.
pub(crate) fn parse_channel(text: &str) -> Option<ChannelInfo> {
    let mut parts = text.splitn(3, '|');
    let version = parts.next()?.to_owned();
    let created_ms = parts.next()?.parse().ok()?;
    let arn = ChannelArn::parse(parts.next()?).ok()?;
    Some(ChannelInfo {
        arn,
        created_ms,
        version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_ids_are_checked_and_random_ones_are_valid() {
        assert!(NodeId::new("node-a.1_x").is_ok());
        assert!(NodeId::new("").is_err());
        assert!(NodeId::new("a/b").is_err());
        assert!(NodeId::new(&"a".repeat(65)).is_err());
        let r = NodeId::random();
        assert_eq!(NodeId::new(r.as_str()).unwrap(), r);
        assert_ne!(NodeId::random(), r);
    }

    #[test]
    fn roles_and_channels_read_back_as_written() {
        let v = Role::Viewer(ClientId::new("v.1-x").unwrap());
        for role in [Role::Master, v] {
            assert_eq!(parse_role(&role_text(&role)), Some(role));
        }
        assert_eq!(parse_role("viewer:"), None);
        assert_eq!(parse_role("boss"), None);
        let arn = ChannelArn::new("us-west-2", "000000000000", "door", 1_700_000_000_000).unwrap();
        let info = ChannelInfo {
            arn: arn.clone(),
            created_ms: 1_700_000_000_000,
            version: "7".into(),
        };
        assert_eq!(parse_channel(&channel_value(&info)), Some(info));
        assert_eq!(parse_channel("7|x|arn"), None);
        assert_eq!(
            member(&arn, &Role::Master),
            format!("wren:signal:member:{}:master", arn.as_str())
        );
    }
}
