//! The outgoing queue: datagrams encoded at `handle_*` time into pooled buffers, handed to
//! the driver by swapping buffers in `poll_transmit` (no copy, and in steady state no
//! allocation: the driver's old buffer goes back to the pool).

use std::collections::VecDeque;

use wren_core::Transmit;

/// The capacity new pooled buffers start with (one MTU-sized datagram).
const BUFFER_CAPACITY: usize = 1500;

#[derive(Debug)]
pub(crate) struct Output {
    queue: VecDeque<(Transmit, Vec<u8>)>,
    pool: Vec<Vec<u8>>,
    capacity: usize,
}

impl Output {
    pub(crate) fn new(capacity: usize) -> Output {
        Output {
            queue: VecDeque::with_capacity(capacity),
            pool: Vec::new(),
            capacity: capacity.max(1),
        }
    }

    /// An empty buffer to encode into.
    pub(crate) fn buffer(&mut self) -> Vec<u8> {
        self.pool
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(BUFFER_CAPACITY))
    }

    /// Queues `buf` for `t`; when the queue is full the buffer goes back to the pool and
    /// `false` says the datagram was dropped.
    pub(crate) fn push(&mut self, t: Transmit, buf: Vec<u8>) -> bool {
        if self.queue.len() >= self.capacity {
            self.recycle(buf);
            return false;
        }
        self.queue.push_back((t, buf));
        true
    }

    /// Returns an unused buffer to the pool.
    pub(crate) fn recycle(&mut self, mut buf: Vec<u8>) {
        if self.pool.len() < self.capacity {
            buf.clear();
            self.pool.push(buf);
        }
    }

    /// Hands the next datagram to the caller by swapping it into `out`.
    pub(crate) fn pop_into(&mut self, out: &mut Vec<u8>) -> Option<Transmit> {
        let (t, mut buf) = self.queue.pop_front()?;
        std::mem::swap(out, &mut buf);
        self.recycle(buf);
        Some(t)
    }

    pub(crate) fn is_full(&self) -> bool {
        self.queue.len() >= self.capacity
    }
}
