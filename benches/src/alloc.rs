//! A counting global allocator: how many times the measured code asks for
//! memory.
//!
//! Allocation counts are the second number every benchmark here reports
//! (allocations per chunk or per event), because in a streaming decoder they
//! are the cost that grows with load and that the design is meant to avoid:
//! our SSE decoder promises zero allocations for events inside a piece and
//! our chunk parser about two per text chunk. The allocator wraps
//! [`std::alloc::System`] and only adds one relaxed atomic increment per
//! `alloc`, `alloc_zeroed` and `realloc` (a `realloc` is counted as an
//! allocation, since growing a buffer is the cost we look for); frees are
//! not counted. The increment costs about a nanosecond, the same for every
//! method measured.
//!
//! This is the only module of the package with `unsafe` code:
//! [`GlobalAlloc`] is an unsafe trait.

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

/// Allocations (including reallocations) since the process started.
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

/// The process's allocator: [`System`], counting.
#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// [`System`], with every allocation counted in [`allocations`].
#[derive(Debug)]
pub struct CountingAlloc;

/// How many allocations (and reallocations) the whole process has made so
/// far; subtract two readings to count a region.
pub fn allocations() -> u64 {
    ALLOCATIONS.load(Ordering::Relaxed)
}

// SAFETY: every method forwards its arguments unchanged to the same method of
// `System`, a correct `GlobalAlloc`, and returns its result unchanged, so the
// trait's contract (layout honoured, pointers valid until freed, no
// unwinding) is exactly System's. The only addition is an atomic counter
// increment, which neither allocates nor panics.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller upholds `alloc`'s contract; forwarded as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller upholds `alloc_zeroed`'s contract; forwarded as is.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` through this allocator with this
        // `layout` (the caller's contract); forwarded as is.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller upholds `realloc`'s contract and `ptr` came from
        // `System` through this allocator; forwarded as is.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
