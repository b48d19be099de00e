//! A counting global allocator for the allocation tests: a test binary
//! installs it with
//! `#[global_allocator] static GLOBAL: Counting = Counting;` and counts
//! this thread's allocations (and reallocations) between [`start`] and
//! [`stop`]; the test harness's own threads do not count.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    static COUNT: Cell<Option<u64>> = const { Cell::new(None) };
}

pub struct Counting;

fn count() {
    // `try_with`: the allocator may run while the thread-local is torn down.
    let _ = COUNT.try_with(|c| {
        if let Some(n) = c.get() {
            c.set(Some(n + 1));
        }
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Starts counting this thread's allocations from zero.
pub fn start() {
    COUNT.with(|c| c.set(Some(0)));
}

/// Stops counting; what was counted since [`start`].
pub fn stop() -> u64 {
    COUNT.with(|c| c.replace(None)).unwrap_or(0)
}

/// Checks that the counter counts (one allocation, seen): a test that
/// asserts "none" must not pass because nothing was installed.
pub fn assert_counting() {
    start();
    drop(std::hint::black_box(Vec::<u8>::with_capacity(8)));
    assert_eq!(stop(), 1, "the counting allocator is installed");
}
