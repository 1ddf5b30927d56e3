//! Client ids: how a viewer names itself on a channel, and how messages name their sender
//! and recipient (KVS: 1 to 256 characters of `[a-zA-Z0-9_.-]`).

use std::fmt;

/// The longest client id KVS accepts.
pub const MAX_LEN: usize = 256;

/// A valid client id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(String);

/// Why a client id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientIdError {
    /// Empty.
    #[error("a client id cannot be empty")]
    Empty,
    /// Longer than [`MAX_LEN`].
    #[error("a client id has at most {MAX_LEN} characters, this one {0}")]
    TooLong(usize),
    /// A character outside `[a-zA-Z0-9_.-]`, at this byte offset.
    #[error("a client id has only letters, digits, '_', '.' and '-' (byte {0} is not one)")]
    BadCharacter(usize),
}

impl ClientId {
    /// Checks `id` and keeps it.
    ///
    /// # Errors
    ///
    /// When `id` is empty, too long or has a character KVS does not allow.
    pub fn new(id: &str) -> Result<ClientId, ClientIdError> {
        if id.is_empty() {
            return Err(ClientIdError::Empty);
        }
        if id.len() > MAX_LEN {
            return Err(ClientIdError::TooLong(id.len()));
        }
        if let Some(i) = id.bytes().position(|b| !is_id_byte(b)) {
            return Err(ClientIdError::BadCharacter(i));
        }
        Ok(ClientId(id.to_owned()))
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_id_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked_as_kvs_checks_them() {
        assert!(ClientId::new("viewer-1.a_b").is_ok());
        assert_eq!(ClientId::new(""), Err(ClientIdError::Empty));
        assert_eq!(
            ClientId::new(&"a".repeat(257)),
            Err(ClientIdError::TooLong(257))
        );
        assert!(ClientId::new(&"a".repeat(256)).is_ok());
        assert_eq!(ClientId::new("a b"), Err(ClientIdError::BadCharacter(1)));
        assert_eq!(ClientId::new("é"), Err(ClientIdError::BadCharacter(0)));
        assert_eq!(ClientId::new("x/y"), Err(ClientIdError::BadCharacter(1)));
    }
}
