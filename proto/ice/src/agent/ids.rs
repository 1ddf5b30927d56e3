//! Typed ids for the agent's tables: a [`LocalId`] cannot index the remote candidates, a
//! [`PairId`] cannot be mistaken for a check's place in the in-flight list. Each table is a
//! [`Table`] that only grows (until an ICE restart clears it), so an id stays valid for
//! the table's life.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Index, IndexMut};

use super::PairId;

/// An index into a [`Table`].
pub(crate) trait Id: Copy + Eq {
    /// The id of the `i`-th entry.
    fn from_index(i: usize) -> Self;
    /// Its place in the table.
    fn index(self) -> usize;
}

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub(crate) struct $name(pub(crate) u32);

        impl Id for $name {
            fn from_index(i: usize) -> Self {
                $name(u32::try_from(i).unwrap_or(u32::MAX))
            }
            fn index(self) -> usize {
                self.0 as usize
            }
        }
    )*};
}

ids! {
    /// A host socket (asked of the driver or given by the owner).
    SocketId;
    /// A local candidate.
    LocalId;
    /// A remote candidate.
    RemoteId;
    /// A TURN client (one relayed candidate, once allocated).
    RelayId;
}

impl Id for PairId {
    fn from_index(i: usize) -> Self {
        PairId(u32::try_from(i).unwrap_or(u32::MAX))
    }
    fn index(self) -> usize {
        self.0 as usize
    }
}

/// A vector indexed by its own id type.
pub(crate) struct Table<I, T> {
    items: Vec<T>,
    _id: PhantomData<I>,
}

impl<I: Id, T> Table<I, T> {
    /// An empty table.
    pub(crate) fn new() -> Self {
        Table {
            items: Vec::new(),
            _id: PhantomData,
        }
    }

    /// Adds `item`; its id.
    pub(crate) fn push(&mut self, item: T) -> I {
        self.items.push(item);
        I::from_index(self.items.len() - 1)
    }

    /// Takes the last entry out (it was just added and is not wanted after all).
    pub(crate) fn pop(&mut self) -> Option<T> {
        self.items.pop()
    }

    /// Empties the table; every id it gave is void.
    pub(crate) fn clear(&mut self) {
        self.items.clear();
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Every id, in order.
    pub(crate) fn ids(&self) -> impl Iterator<Item = I> + use<I, T> {
        (0..self.items.len()).map(I::from_index)
    }

    pub(crate) fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    pub(crate) fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        self.items.iter_mut()
    }

    /// The id of the first entry that matches.
    pub(crate) fn position(&self, f: impl FnMut(&T) -> bool) -> Option<I> {
        self.items.iter().position(f).map(I::from_index)
    }
}

impl<I: Id, T> Default for Table<I, T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<I: Id, T> Index<I> for Table<I, T> {
    type Output = T;
    fn index(&self, id: I) -> &T {
        &self.items[id.index()]
    }
}

impl<I: Id, T> IndexMut<I> for Table<I, T> {
    fn index_mut(&mut self, id: I) -> &mut T {
        &mut self.items[id.index()]
    }
}

impl<I, T: fmt::Debug> fmt::Debug for Table<I, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.items).finish()
    }
}

impl<I, T: Clone> Clone for Table<I, T> {
    fn clone(&self) -> Self {
        Table {
            items: self.items.clone(),
            _id: PhantomData,
        }
    }
}

impl<'a, I: Id, T> IntoIterator for &'a Table<I, T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl<'a, I: Id, T> IntoIterator for &'a mut Table<I, T> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter_mut()
    }
}
