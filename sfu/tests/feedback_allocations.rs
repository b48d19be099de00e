//! `sfu::feedback` allocates nothing per packet or per tick once its
//! streams are added and its buffers have seen a busy tick: a counting
//! global allocator (its own test binary, so no other test's allocations
//! count) watches this thread while packets arrive and ticks run.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, Instant};

use sfu::feedback::{FeedbackConfig, PeerFeedback};

thread_local! {
    /// Allocations on this thread while counting; the test harness's
    /// own threads do not count.
    static COUNT: Cell<Option<u64>> = const { Cell::new(None) };
}

struct Counting;

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

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Two seconds of a video and an audio stream in, one stream out, with
/// losses, reordering and repairs; returns the compounds' total length.
fn traffic(feedback: &mut PeerFeedback, start: Instant, first_seq: u16) -> usize {
    let mut written = 0;
    for i in 0..200u32 {
        let now = start + Duration::from_millis(u64::from(i) * 10);
        let seq = first_seq.wrapping_add(i as u16);
        if i % 17 != 3 {
            // Every 17th video packet is lost; its neighbour comes late.
            let arrival = if i % 17 == 4 {
                seq.wrapping_sub(1)
            } else {
                seq
            };
            feedback.on_rtp(now, 1, arrival, i * 900, Some(seq));
        }
        if i % 17 == 10 {
            feedback.on_repaired(1, seq.wrapping_sub(7));
        }
        feedback.on_rtp(now, 2, seq, i * 480, Some(seq.wrapping_add(30_000)));
        feedback.on_sent(now, 3, i / 3 * 3000, 1000);
        if i == 50 {
            feedback.on_sender_report(now, 1, 0x1234_0000_0000);
        }
        while let Some(due) = feedback.poll_timeout().filter(|&due| due <= now) {
            feedback.handle_timeout(due, 0, |compound| written += compound.len());
        }
    }
    written
}

#[test]
fn no_allocation_per_packet_or_tick_after_warm_up() {
    let t0 = Instant::now();
    let mut feedback = PeerFeedback::new(FeedbackConfig::default());
    feedback.add_receive_stream(t0, 1, 90_000, true);
    feedback.add_receive_stream(t0, 2, 48_000, true);
    feedback.add_send_stream(t0, 3, 90_000);
    let warm_up = traffic(&mut feedback, t0, 65_000);
    assert!(warm_up > 0);

    // The counter counts.
    COUNT.with(|c| c.set(Some(0)));
    drop(std::hint::black_box(Vec::<u8>::with_capacity(8)));
    assert_eq!(COUNT.with(|c| c.get()), Some(1));

    COUNT.with(|c| c.set(Some(0)));
    let written = traffic(&mut feedback, t0 + Duration::from_secs(2), 65_200);
    let allocations = COUNT.with(|c| c.replace(None)).unwrap();
    assert!(written > 0, "the measured run wrote feedback");
    assert_eq!(allocations, 0, "allocations after warm-up");
}
