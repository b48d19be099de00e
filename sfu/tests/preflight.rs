//! A preflight (twilio-video's `runPreflight`) under the fake clock: the
//! participant is alone in a room of its own, receives its own audio and
//! video back through the forwarding path, and is invisible to others:
//! no join by that room's name, no room events for the REST API.

mod support;

use std::time::Duration;

use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use sfu::core::{JoinError, RoomScope, SfuConfig};
use support::Net;

#[test]
fn a_preflight_receives_its_own_media_alone_and_unseen() {
    let mut net = Net::new(SfuConfig::default());
    let events_before = std::iter::from_fn(|| net.sfu.poll_room_event()).count();
    let alice = net.join_preflight("alice");
    // Someone in an ordinary room is not affected.
    let bob = net.join("room", "bob");
    for seq in 0..40 {
        net.send(alice, seq, seq % 10 == 0);
        net.send(bob, seq, seq % 10 == 0);
        net.run_for(Duration::from_millis(20));
    }
    assert!(
        net.received_from(alice, RtpCodecKind::Video, "alice") > 0,
        "alice's video comes back to her"
    );
    assert!(net.received_from(alice, RtpCodecKind::Audio, "alice") > 0);
    assert_eq!(net.received_from(alice, RtpCodecKind::Video, "bob"), 0);
    assert_eq!(net.received_from(bob, RtpCodecKind::Video, "alice"), 0);
    let offers = net.signals_of(alice, "offer");
    let own_sid = net.clients[alice].sid.clone();
    assert!(
        offers.iter().any(|o| o["tracks"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t["participant_sid"] == own_sid.as_str()))),
        "the server's offer maps her own tracks under her own SID"
    );

    // Room events are bob's only (the REST API never hears of a preflight).
    let events: Vec<_> = std::iter::from_fn(|| net.sfu.poll_room_event()).collect();
    assert!(events_before == 0 && !events.is_empty());
    assert!(events.iter().all(|e| e.room == "room"), "{events:?}");

    // Its room cannot be joined by name, and goes when she leaves.
    let key = net.clients[alice].key;
    let now = net.now;
    let preflight_room = net.clients[alice].room.clone();
    assert!(preflight_room.starts_with("preflight-"));
    assert_eq!(
        net.sfu
            .join(now, &preflight_room, "mallory", RoomScope::Any)
            .err(),
        Some(JoinError::RoomNotFound)
    );
    assert!(net.sfu.room_snapshot(&preflight_room).is_none());
    net.sfu.leave(now, key);
    assert_eq!(net.sfu.stats().rooms, 1, "only bob's room is left");
}
