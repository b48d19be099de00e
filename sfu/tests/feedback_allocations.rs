//! `sfu::feedback` allocates nothing per packet or per tick once its
//! streams are added and its buffers have seen a busy tick: a counting
//! global allocator (its own test binary, so no other test's allocations
//! count) watches this thread while packets arrive and ticks run.

mod support;

use std::time::{Duration, Instant};

use sfu::feedback::{FeedbackConfig, PeerFeedback};
use support::counting::{self, Counting};

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

    counting::assert_counting();
    counting::start();
    let written = traffic(&mut feedback, t0 + Duration::from_secs(2), 65_200);
    let allocations = counting::stop();
    assert!(written > 0, "the measured run wrote feedback");
    assert_eq!(allocations, 0, "allocations after warm-up");
}
