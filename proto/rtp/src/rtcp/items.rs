//! Lists of fixed-size items (report blocks, SSRCs, NACK pairs, FIR entries, DLRR
//! sub-blocks): read in place from a packet, or given by the caller to write.

use std::fmt;
use std::marker::PhantomData;

/// A fixed-size item of an RTCP packet's list.
pub trait WireItem: Copy {
    /// Its size on the wire.
    const SIZE: usize;
    /// Reads one from `b[..SIZE]`.
    fn read(b: &[u8]) -> Self;
    /// Writes it into `b[..SIZE]`.
    fn write(&self, b: &mut [u8]);
}

impl WireItem for u32 {
    const SIZE: usize = 4;
    fn read(b: &[u8]) -> u32 {
        crate::bytes::u32_at(b, 0)
    }
    fn write(&self, b: &mut [u8]) {
        crate::bytes::put_u32(b, 0, *self);
    }
}

/// A list of items: as parsed (`Wire`, the packet's bytes, read on iteration) or as given
/// to a writer (`List`). Two lists are equal when they hold equal items, whichever form.
#[derive(Clone, Copy)]
pub enum Items<'a, T> {
    /// Items in the bytes of a received packet (a multiple of `T::SIZE`).
    Wire(&'a [u8], PhantomData<T>),
    /// Items given by the caller.
    List(&'a [T]),
}

impl<'a, T: WireItem> Items<'a, T> {
    /// The items in `bytes` (its length a multiple of `T::SIZE`).
    #[must_use]
    pub(crate) fn wire(bytes: &'a [u8]) -> Self {
        Items::Wire(bytes, PhantomData)
    }

    /// How many items.
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            Items::Wire(b, _) => b.len() / T::SIZE,
            Items::List(l) => l.len(),
        }
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The items in order.
    #[must_use]
    pub fn iter(&self) -> ItemsIter<'a, T> {
        ItemsIter(*self)
    }

    /// Their size on the wire.
    pub(crate) fn encoded_len(&self) -> usize {
        self.len() * T::SIZE
    }

    /// Writes them into `out[..self.encoded_len()]`.
    pub(crate) fn write(&self, out: &mut [u8]) {
        match self {
            Items::Wire(b, _) => {
                // Whole items only: a `Wire` list made by hand may end in a partial one.
                let n = self.encoded_len();
                out[..n].copy_from_slice(&b[..n]);
            }
            Items::List(l) => {
                for (item, chunk) in l.iter().zip(out.chunks_exact_mut(T::SIZE)) {
                    item.write(chunk);
                }
            }
        }
    }
}

impl<'a, T> From<&'a [T]> for Items<'a, T> {
    fn from(list: &'a [T]) -> Self {
        Items::List(list)
    }
}

impl<'a, T, const N: usize> From<&'a [T; N]> for Items<'a, T> {
    fn from(list: &'a [T; N]) -> Self {
        Items::List(list)
    }
}

impl<T: WireItem + PartialEq> PartialEq for Items<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<T: WireItem + Eq> Eq for Items<'_, T> {}

impl<T: WireItem + fmt::Debug> fmt::Debug for Items<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The iterator of [`Items`].
#[derive(Clone)]
pub struct ItemsIter<'a, T>(Items<'a, T>);

impl<T: WireItem + fmt::Debug> fmt::Debug for ItemsIter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ItemsIter").field(&self.0).finish()
    }
}

impl<T: WireItem> Iterator for ItemsIter<'_, T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        match &mut self.0 {
            Items::Wire(b, _) => {
                if b.len() < T::SIZE {
                    return None;
                }
                let (head, rest) = b.split_at(T::SIZE);
                *b = rest;
                Some(T::read(head))
            }
            Items::List(l) => {
                let (head, rest) = l.split_first()?;
                *l = rest;
                Some(*head)
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.0.len(), Some(self.0.len()))
    }
}

impl<T: WireItem> ExactSizeIterator for ItemsIter<'_, T> {}

impl<'a, T: WireItem> IntoIterator for Items<'a, T> {
    type Item = T;
    type IntoIter = ItemsIter<'a, T>;
    fn into_iter(self) -> ItemsIter<'a, T> {
        ItemsIter(self)
    }
}
