//! Who is connected to one channel: its master and its viewers by client id.

use std::collections::BTreeMap;

use super::ConnId;
use crate::client_id::ClientId;

/// The connections of one channel.
#[derive(Debug, Clone, Default)]
pub(crate) struct Members {
    pub(crate) master: Option<ConnId>,
    pub(crate) viewers: BTreeMap<ClientId, ConnId>,
}

impl Members {
    /// Whether no one is connected.
    pub(crate) fn is_empty(&self) -> bool {
        self.master.is_none() && self.viewers.is_empty()
    }

    /// Every connection.
    pub(crate) fn all(&self) -> impl Iterator<Item = ConnId> + '_ {
        self.master
            .into_iter()
            .chain(self.viewers.values().copied())
    }
}
