//! A counting global allocator for tests: how many allocations the current thread made
//! (for the "nothing allocated per packet" proofs) and how many bytes are live in the
//! process (for memory-per-object measurements).
//!
//! Each test binary installs it itself (a global allocator is per binary):
//!
//! ```
//! #[global_allocator]
//! static GLOBAL: wren_alloc_count::Counting = wren_alloc_count::Counting;
//!
//! fn main() {
//!     let buf = Vec::<u8>::with_capacity(64);
//!     assert_eq!(wren_alloc_count::allocations_during(|| assert!(buf.capacity() >= 64)), 0);
//!     assert!(wren_alloc_count::allocations_during(|| drop(vec![1u8; 64])) >= 1);
//! }
//! ```
//!
//! Only a dev-dependency: nothing in a shipped crate uses it.
#![allow(unsafe_code)] // a GlobalAlloc implementation is unsafe by nature

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicI64, Ordering};

thread_local! {
    // A const-initialised Cell needs no allocation to be used from the allocator.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

static LIVE_BYTES: AtomicI64 = AtomicI64::new(0);

/// The system allocator, counting allocations per thread and live bytes per process.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counting;

fn count_one() {
    // `try_with`: a thread being torn down has no thread-locals left; nothing to count.
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

fn size(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

// SAFETY: every method forwards to `System` with the caller's own arguments and contract;
// the counting touches only a thread-local `Cell` and an atomic, neither of which allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        LIVE_BYTES.fetch_add(size(layout.size()), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(size(layout.size()), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        LIVE_BYTES.fetch_add(size(new_size) - size(layout.size()), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Allocations (and reallocations) the current thread made so far.
#[must_use]
pub fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

/// Allocations the current thread made while running `f`.
pub fn allocations_during(f: impl FnOnce()) -> u64 {
    let before = allocations();
    f();
    allocations() - before
}

/// Bytes allocated and not yet freed in the whole process.
#[must_use]
pub fn live_bytes() -> i64 {
    LIVE_BYTES.load(Ordering::Relaxed)
}
