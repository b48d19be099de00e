//! Interruptions under a fake clock (`sfu::core::reconnect`): a participant
//! that goes silent is *reconnecting* to the others and keeps its place
//! for the reconnect window; back in time, media flows again on the same
//! participant; past it, it is removed. Signaling drops and resumes the
//! same way.

mod support;

use std::time::Duration;

use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use sfu::core::SfuConfig;
use support::Net;

/// Alice and Bob, both sending for a second.
fn call() -> (Net, usize, usize) {
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join("room", "alice");
    let bob = net.join("room", "bob");
    talk(&mut net, 0, 50);
    (net, alice, bob)
}

/// Both send `packets` audio and video packets, 50 a second, a keyframe
/// every tenth.
fn talk(net: &mut Net, first_seq: u16, packets: u16) {
    for n in 0..packets {
        for i in 0..net.clients.len() {
            net.send(i, first_seq.wrapping_add(n), n % 10 == 0);
        }
        net.run_for(Duration::from_millis(20));
    }
}

/// Runs in half-second steps until `alice` was told `kind`; returns how
/// long that took (at most `limit`).
fn wait_for(net: &mut Net, alice: usize, kind: &str, limit: Duration) -> Duration {
    let before = net.signals_of(alice, kind).len();
    let mut waited = Duration::ZERO;
    while net.signals_of(alice, kind).len() == before {
        net.run_for(Duration::from_millis(500));
        waited += Duration::from_millis(500);
        assert!(waited <= limit, "no {kind} within {limit:?}");
    }
    waited
}

#[test]
fn a_silent_participant_is_reconnecting_for_the_window_then_removed() {
    let (mut net, alice, bob) = call();
    net.clients[bob].online = false; // no goodbye, nothing gets through
    let waited = wait_for(
        &mut net,
        alice,
        "participant_reconnecting",
        Duration::from_secs(6),
    );
    assert!(
        waited >= Duration::from_secs(4),
        "told too early: {waited:?}"
    );
    let told = net.signals_of(alice, "participant_reconnecting")[0].clone();
    assert_eq!(told["participant_sid"], net.clients[bob].sid.as_str());
    // Its place is kept for the whole window…
    net.run_for(Duration::from_secs(29));
    assert!(net.signals_of(alice, "participant_disconnected").is_empty());
    assert_eq!(net.sfu.stats().participants, 2);
    // …and given up after it.
    wait_for(
        &mut net,
        alice,
        "participant_disconnected",
        Duration::from_secs(2),
    );
    assert_eq!(net.sfu.stats().participants, 1);
    assert!(net.clients[bob].closed, "bob's session was ended (53405)");
}

#[test]
fn a_participant_back_within_the_window_goes_on_with_media_both_ways() {
    let (mut net, alice, bob) = call();
    net.clients[bob].online = false;
    wait_for(
        &mut net,
        alice,
        "participant_reconnecting",
        Duration::from_secs(6),
    );
    net.run_for(Duration::from_secs(6));
    let requests = net.sfu.stats().keyframe_requests;
    let heard = |net: &Net| {
        (
            net.received_from(alice, RtpCodecKind::Video, "bob"),
            net.received_from(bob, RtpCodecKind::Video, "alice"),
        )
    };
    let before = heard(&net);
    net.clients[bob].online = true;
    talk(&mut net, 50, 100);
    assert_eq!(net.signals_of(alice, "participant_reconnected").len(), 1);
    assert_eq!(
        net.signals_of(alice, "participant_reconnected")[0]["participant_sid"],
        net.clients[bob].sid.as_str()
    );
    assert!(net.signals_of(alice, "participant_disconnected").is_empty());
    assert!(!net.clients[bob].closed);
    let after = heard(&net);
    assert!(
        after.0 > before.0 + 50 && after.1 > before.1 + 50,
        "media flows both ways again: {before:?} → {after:?}"
    );
    assert!(
        net.sfu.stats().keyframe_requests > requests,
        "keyframes asked for after the interruption"
    );
}

#[test]
fn a_dropped_signaling_connection_is_resumed_with_the_resume_token_only() {
    let (mut net, alice, bob) = call();
    let (key, sid, token) = {
        let b = &net.clients[bob];
        (b.key, b.sid.clone(), b.resume_token.clone())
    };
    net.sfu.detach(net.now, key, 1);
    net.run_for(Duration::from_millis(100));
    assert_eq!(net.signals_of(alice, "participant_reconnecting").len(), 1);
    assert!(net.sfu.resume(net.now, &sid, "not-the-token").is_err());
    assert!(net.sfu.resume(net.now, "PAunknown", &token).is_err());

    let resumed = net.sfu.resume(net.now, &sid, &token).expect("resumed");
    assert_eq!(resumed.participant, key);
    assert_eq!(resumed.participant_sid, sid);
    assert_eq!(resumed.connection, 2);
    assert_eq!(resumed.others.len(), 1, "alice, as she is now");
    assert_eq!(
        resumed.me.tracks.len(),
        2,
        "bob's tracks are still published"
    );
    talk(&mut net, 50, 25);
    assert_eq!(net.signals_of(alice, "participant_reconnected").len(), 1);

    // The connection the resume replaced ends without detaching anyone.
    net.sfu.detach(net.now, key, 1);
    net.run_for(Duration::from_millis(100));
    assert_eq!(net.signals_of(alice, "participant_reconnecting").len(), 1);

    // A detached participant that never resumes is removed after the window.
    net.sfu.detach(net.now, key, 2);
    talk(&mut net, 75, 1500); // media flows all along: 30 s
    wait_for(
        &mut net,
        alice,
        "participant_disconnected",
        Duration::from_secs(2),
    );
    assert!(
        net.sfu.resume(net.now, &sid, &token).is_err(),
        "gone for good"
    );
}
