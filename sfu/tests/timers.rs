//! The core's timers under a fake clock: each peer's engine deadline is
//! kept in a heap (`core::wakeups`), fires when it is due and not before,
//! and the counters say how late it fired — none when the core is woken
//! exactly at its deadlines, as the I/O layer tries to.

mod support;

use std::time::Duration;

use sfu::core::{SfuConfig, TIMER_LATE};
use support::Net;

/// A 1:1 call with media flowing both ways, which arms both engines'
/// report and feedback timers.
fn call() -> Net {
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join("timers", "alice");
    let bob = net.join("timers", "bob");
    for seq in 0..20u16 {
        net.send(alice, seq, seq == 0);
        net.send(bob, seq, seq == 0);
        net.run_for(Duration::from_millis(20));
    }
    net
}

/// Wakes the clients at `net.now` and moves what is ready.
fn step_clients(net: &mut Net) {
    let now = net.now;
    for c in &mut net.clients {
        c.peer.handle_timeout(now);
    }
    net.pump();
}

#[test]
fn engine_timers_fire_at_their_deadlines_and_not_before() {
    let mut net = call();
    let before = net.sfu.stats();
    let end = net.now + Duration::from_secs(3);
    let mut seq = 20u16;
    while net.now < end {
        let at = net
            .sfu
            .poll_timeout()
            .expect("housekeeping is always due")
            .max(net.now);
        if at > net.now {
            // A microsecond early, nothing fires.
            let fired = net.sfu.stats().timers_fired;
            net.sfu.handle_timeout(at - Duration::from_micros(1));
            assert_eq!(net.sfu.stats().timers_fired, fired, "a timer fired early");
        }
        net.now = at;
        net.sfu.handle_timeout(at);
        seq = seq.wrapping_add(1);
        if seq.is_multiple_of(4) {
            net.send(0, seq / 4, false);
            net.send(1, seq / 4, false);
        }
        step_clients(&mut net);
    }
    let after = net.sfu.stats();
    let fired = after.timers_fired - before.timers_fired;
    // Both engines' interceptors (NACK, TWCC and report timers) fire
    // several times a second each.
    assert!(fired >= 30, "{fired} engine timers fired in 3 s");
    assert_eq!(
        after.timer_lateness_micros, before.timer_lateness_micros,
        "woken at its deadlines, no timer is late"
    );
    assert_eq!(after.timers_late, before.timers_late);
}

#[test]
fn a_late_wake_is_counted_as_late() {
    let mut net = call();
    let before = net.sfu.stats();
    let at = net.sfu.poll_timeout().expect("a deadline").max(net.now);
    let late = TIMER_LATE + Duration::from_millis(2);
    net.now = at + late;
    net.sfu.handle_timeout(net.now);
    let after = net.sfu.stats();
    assert!(
        after.timers_fired > before.timers_fired,
        "the due timers fired"
    );
    assert!(
        after.timers_late > before.timers_late,
        "and were counted late"
    );
    assert!(
        after.timer_lateness_micros - before.timer_lateness_micros >= late.as_micros() as u64,
        "by at least {late:?}"
    );
    // The call goes on: the next deadline is in the future again.
    step_clients(&mut net);
    assert!(net.sfu.poll_timeout().is_some_and(|t| t > net.now));
}
