//! What one node sends another through its inbox stream, as stream fields, and the reader's
//! cursor over stream entry ids. Pure: no Redis, no time.
//!
//! An entry is read at most once: the reader asks only for entries after its cursor, and
//! [`Cursor::advance`] refuses an id that is not past it, whatever Redis answers after a
//! reconnect. With a sender that never retries an `XADD` whose outcome it does not know,
//! every message is delivered at most once.

use std::cmp::Ordering;

use super::keys;
use crate::channel_arn::ChannelArn;
use crate::core::{ConnId, Role};

/// One inbox entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// Deliver `text` to the holder of `to` on `channel`.
    Message {
        /// The channel.
        channel: ChannelArn,
        /// The recipient's role.
        to: Role,
        /// The event, as the sender's node wrote it.
        text: String,
    },
    /// A newer registration elsewhere took `role` on `channel` from connection `conn` here.
    Evict {
        /// The channel.
        channel: ChannelArn,
        /// The role.
        role: Role,
        /// The connection that held it.
        conn: ConnId,
    },
    /// The channel was deleted.
    Deleted {
        /// The channel.
        channel: ChannelArn,
    },
}

impl Entry {
    /// The entry from the fields of a stream entry (`kind`, `channel`, `to`, `text`,
    /// `conn`); `None` when something is missing or malformed.
    #[must_use]
    pub fn parse(fields: &[(String, String)]) -> Option<Entry> {
        let get = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let channel = ChannelArn::parse(get("channel")?).ok()?;
        match get("kind")? {
            "msg" => Some(Entry::Message {
                channel,
                to: keys::parse_role(get("to")?)?,
                text: get("text")?.to_owned(),
            }),
            "evict" => Some(Entry::Evict {
                channel,
                role: keys::parse_role(get("to")?)?,
                conn: ConnId(get("conn")?.parse().ok()?),
            }),
            "deleted" => Some(Entry::Deleted { channel }),
            _ => None,
        }
    }
}

/// A stream entry id (`ms-seq`), ordered as Redis orders them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct StreamId {
    ms: u64,
    seq: u64,
}

impl StreamId {
    /// The id written `ms-seq`.
    #[must_use]
    pub fn parse(text: &str) -> Option<StreamId> {
        let (ms, seq) = text.split_once('-')?;
        Some(StreamId {
            ms: ms.parse().ok()?,
            seq: seq.parse().ok()?,
        })
    }
}

impl std::fmt::Display for StreamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// Where the reader of an inbox is: the last entry it took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    last: StreamId,
}

impl Cursor {
    /// A cursor after `last` (`0-0`: from the start).
    #[must_use]
    pub fn after(last: StreamId) -> Cursor {
        Cursor { last }
    }

    /// The id to read after (`XREAD ... STREAMS key {id}`).
    #[must_use]
    pub fn last(&self) -> StreamId {
        self.last
    }

    /// Takes entry `id` if it is past the cursor (then the cursor moves to it); `false`
    /// for an entry already taken, which is dropped.
    pub fn advance(&mut self, id: StreamId) -> bool {
        match id.cmp(&self.last) {
            Ordering::Greater => {
                self.last = id;
                true
            }
            Ordering::Less | Ordering::Equal => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client_id::ClientId;

    fn fields(kv: &[(&str, &str)]) -> Vec<(String, String)> {
        kv.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn entries_parse_from_their_fields() {
        let arn = "arn:aws:kinesisvideo:us-west-2:000000000000:channel/door/1700000000000";
        let channel = ChannelArn::parse(arn).unwrap();
        assert_eq!(
            Entry::parse(&fields(&[
                ("kind", "msg"),
                ("channel", arn),
                ("to", "viewer:v1"),
                ("text", "{}")
            ])),
            Some(Entry::Message {
                channel: channel.clone(),
                to: Role::Viewer(ClientId::new("v1").unwrap()),
                text: "{}".into()
            })
        );
        assert_eq!(
            Entry::parse(&fields(&[
                ("kind", "evict"),
                ("channel", arn),
                ("to", "master"),
                ("conn", "7")
            ])),
            Some(Entry::Evict {
                channel: channel.clone(),
                role: Role::Master,
                conn: ConnId(7)
            })
        );
        assert_eq!(
            Entry::parse(&fields(&[("kind", "deleted"), ("channel", arn)])),
            Some(Entry::Deleted { channel })
        );
        assert_eq!(
            Entry::parse(&fields(&[("kind", "msg"), ("channel", arn)])),
            None
        );
        assert_eq!(
            Entry::parse(&fields(&[
                ("kind", "evict"),
                ("channel", arn),
                ("to", "master"),
                ("conn", "x")
            ])),
            None
        );
        assert_eq!(Entry::parse(&fields(&[("kind", "deleted")])), None);
    }

    #[test]
    fn the_cursor_takes_each_id_once_and_in_order() {
        let id = |s| StreamId::parse(s).unwrap();
        let mut c = Cursor::default();
        assert!(c.advance(id("5-0")));
        assert!(c.advance(id("5-1")));
        assert!(!c.advance(id("5-1")), "an entry is taken once");
        assert!(!c.advance(id("4-9")), "never backwards");
        assert!(c.advance(id("10-0")));
        assert_eq!(c.last().to_string(), "10-0");
        assert_eq!(StreamId::parse("1-x"), None);
        assert_eq!(StreamId::parse("12"), None);
        assert!(id("2-0") > id("1-99"));
    }
}
