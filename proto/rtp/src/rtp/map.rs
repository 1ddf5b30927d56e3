//! The session's header extension map: local id to extension kind, as the SDP's
//! `a=extmap` lines set it (RFC 8285 s5).

use crate::error::Error;
use crate::rtp::extensions::ExtensionKind;

/// Which known extension each local id (1 to 255) stands for in a session.
///
/// A fixed table (no allocation, `Copy`): lookups both ways are a load and a scan of the
/// nine kinds.
///
/// ```
/// use wren_rtp::rtp::ExtensionMap;
/// use wren_rtp::rtp::extensions::{ExtensionKind, uri};
///
/// let mut map = ExtensionMap::new();
/// map.insert_uri(3, uri::TRANSPORT_CC)?;
/// assert_eq!(map.get(3), Some(ExtensionKind::TransportCc));
/// assert_eq!(map.id(ExtensionKind::TransportCc), Some(3));
/// # Ok::<(), wren_rtp::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ExtensionMap {
    by_id: [Option<ExtensionKind>; 256],
    by_kind: [u8; ExtensionKind::ALL.len()],
}

impl std::fmt::Debug for ExtensionMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Default for ExtensionMap {
    fn default() -> Self {
        ExtensionMap::new()
    }
}

fn slot(kind: ExtensionKind) -> usize {
    ExtensionKind::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or_else(|| unreachable!("ALL lists every kind"))
}

impl ExtensionMap {
    /// An empty map.
    #[must_use]
    pub const fn new() -> ExtensionMap {
        ExtensionMap {
            by_id: [None; 256],
            by_kind: [0; ExtensionKind::ALL.len()],
        }
    }

    /// Maps `id` to `kind`, replacing what `id` and `kind` were mapped to before.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidValue`] for id 0 (padding, RFC 8285 s4.2).
    pub fn insert(&mut self, id: u8, kind: ExtensionKind) -> Result<(), Error> {
        if id == 0 {
            return Err(Error::InvalidValue {
                what: "extension map id",
                value: 0,
            });
        }
        if let Some(old) = self.by_id[usize::from(id)] {
            self.by_kind[slot(old)] = 0;
        }
        let old_id = self.by_kind[slot(kind)];
        if old_id != 0 {
            self.by_id[usize::from(old_id)] = None;
        }
        self.by_id[usize::from(id)] = Some(kind);
        self.by_kind[slot(kind)] = id;
        Ok(())
    }

    /// Maps `id` to the kind `uri` names; returns whether the URI is a known one (an
    /// unknown URI leaves the map as it was).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidValue`] for id 0.
    pub fn insert_uri(&mut self, id: u8, uri: &str) -> Result<bool, Error> {
        match ExtensionKind::from_uri(uri) {
            Some(kind) => self.insert(id, kind).map(|()| true),
            None => Ok(false),
        }
    }

    /// The kind mapped to `id`.
    #[must_use]
    pub fn get(&self, id: u8) -> Option<ExtensionKind> {
        self.by_id[usize::from(id)]
    }

    /// The id `kind` is mapped to.
    #[must_use]
    pub fn id(&self, kind: ExtensionKind) -> Option<u8> {
        Some(self.by_kind[slot(kind)]).filter(|id| *id != 0)
    }

    /// The mappings, by id.
    pub fn iter(&self) -> impl Iterator<Item = (u8, ExtensionKind)> + '_ {
        (1..=255u8).filter_map(|id| self.get(id).map(|k| (id, k)))
    }
}
