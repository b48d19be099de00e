//! A subscriber's preferences for the tracks it receives (`track_preferences`)
//! and a publisher's priority (`track_priority`), under the fake clock: a
//! switched-off track stops being forwarded to that subscriber only, and
//! comes back from a keyframe with its numbering continuous.

mod support;

use std::time::Duration;

use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use sfu::core::SfuConfig;
use sfu::signal::{FromParticipant, Priority, SfuError};
use support::Net;

/// Everyone in `who` sends `packets` audio+video pairs, 20 ms apart, with a
/// keyframe every `keyframe_every` packets (0: none).
fn talk(net: &mut Net, who: &[usize], first_seq: u16, packets: u16, keyframe_every: u16) {
    for n in 0..packets {
        for &i in who {
            net.send(
                i,
                first_seq.wrapping_add(n),
                keyframe_every != 0 && n % keyframe_every == 0,
            );
        }
        net.run_for(Duration::from_millis(20));
    }
}

/// The SID of `publisher`'s track `name`, from what `at` was told (a
/// publisher is told its own tracks' SIDs too).
fn track_sid(net: &Net, at: usize, publisher: usize, name: &str) -> String {
    let publisher = net.clients[publisher].sid.as_str();
    net.signals_of(at, "track_published")
        .iter()
        .filter(|m| m["participant_sid"] == publisher)
        .map(|m| m["track"].clone())
        .chain(
            net.signals_of(at, "participant_connected")
                .iter()
                .filter(|m| m["participant"]["sid"] == publisher)
                .flat_map(|m| {
                    m["participant"]["tracks"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default()
                }),
        )
        .find(|t| t["name"] == name)
        .map(|t| t["sid"].as_str().unwrap().to_owned())
        .expect("the track was announced")
}

fn prefer(net: &mut Net, at: usize, sid: &str, enabled: bool, priority: Option<Priority>) {
    let (now, key) = (net.now, net.clients[at].key);
    net.sfu.handle_signal(
        now,
        key,
        FromParticipant::TrackPreferences {
            track_sid: sid.to_owned(),
            priority,
            enabled,
            render_dimensions: None,
        },
    );
    net.run_for(Duration::from_millis(20));
}

#[test]
fn a_switched_off_track_stops_for_that_subscriber_only_and_resumes_at_a_keyframe() {
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join("room", "alice");
    let bob = net.join("room", "bob");
    let cleo = net.join("room", "cleo");
    talk(&mut net, &[alice, bob, cleo], 0, 20, 10);
    let camera = track_sid(&net, bob, alice, "camera");
    let before = net.received_from(bob, RtpCodecKind::Video, "alice");
    assert!(before > 0, "bob receives alice's camera");

    prefer(&mut net, bob, &camera, false, None);
    let told = net.signals_of(bob, "track_switched");
    assert_eq!(told.len(), 1);
    assert_eq!(told[0]["track_sid"], camera.as_str());
    assert_eq!(told[0]["off"], true);
    let (bob_audio, cleo_video) = (
        net.received_from(bob, RtpCodecKind::Audio, "alice"),
        net.received_from(cleo, RtpCodecKind::Video, "alice"),
    );
    let bob_video = net.received_from(bob, RtpCodecKind::Video, "alice");
    talk(&mut net, &[alice, bob, cleo], 20, 30, 10);
    assert_eq!(
        net.received_from(bob, RtpCodecKind::Video, "alice"),
        bob_video,
        "nothing forwarded to bob"
    );
    assert!(
        net.received_from(bob, RtpCodecKind::Audio, "alice") > bob_audio,
        "alice's audio goes on"
    );
    assert!(
        net.received_from(cleo, RtpCodecKind::Video, "alice") > cleo_video,
        "cleo still receives it"
    );
    // Asking again changes nothing and is not confirmed twice.
    prefer(&mut net, bob, &camera, false, None);
    assert_eq!(net.signals_of(bob, "track_switched").len(), 1);

    let requests = net.sfu.stats().keyframe_requests;
    prefer(&mut net, bob, &camera, true, None);
    assert_eq!(
        net.signals_of(bob, "track_switched").last().unwrap()["off"],
        false
    );
    assert!(
        net.sfu.stats().keyframe_requests > requests,
        "a keyframe is asked for"
    );
    // Not a keyframe yet: bob waits.
    talk(&mut net, &[alice], 50, 5, 0);
    assert_eq!(
        net.received_from(bob, RtpCodecKind::Video, "alice"),
        bob_video
    );
    talk(&mut net, &[alice], 55, 20, 10);
    assert!(
        net.received_from(bob, RtpCodecKind::Video, "alice") > bob_video,
        "back from the keyframe"
    );
    // Sequence numbers carry on where they stopped, without a gap.
    let seqs: std::collections::BTreeSet<u16> = net.clients[bob]
        .received
        .iter()
        .filter(|r| r.kind == RtpCodecKind::Video)
        .map(|r| r.sequence_number)
        .collect();
    let (lo, hi) = (*seqs.first().unwrap(), *seqs.last().unwrap());
    assert_eq!(
        seqs.len(),
        usize::from(hi - lo + 1),
        "no gap across the switch"
    );
}

#[test]
fn preferences_for_a_track_not_received_are_refused() {
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join("room", "alice");
    let bob = net.join("room", "bob");
    talk(&mut net, &[alice, bob], 0, 10, 10);
    prefer(
        &mut net,
        bob,
        "MT00000000000000000000000000000000",
        false,
        None,
    );
    // bob's camera (as alice knows it): published by bob, not received by him.
    let own = track_sid(&net, alice, bob, "camera");
    let alices = track_sid(&net, bob, alice, "camera");
    prefer(&mut net, alice, &alices, true, Some(Priority::High));
    prefer(&mut net, bob, &own, false, None);
    assert!(
        matches!(
            net.clients[bob].errors[..],
            [SfuError::NotSubscribed(_), SfuError::NotSubscribed(_)]
        ),
        "{:?}",
        net.clients[bob].errors
    );
    assert!(net.signals_of(bob, "track_switched").is_empty());
}

#[test]
fn a_publishers_priority_is_announced_and_changes_reach_the_others() {
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join("room", "alice");
    let bob = net.join("room", "bob");
    talk(&mut net, &[alice, bob], 0, 10, 10);
    let published = net.signals_of(bob, "track_published");
    assert!(
        published
            .iter()
            .all(|m| m["track"]["priority"] == "standard"),
        "{published:?}"
    );
    let (now, key) = (net.now, net.clients[alice].key);
    net.sfu.handle_signal(
        now,
        key,
        FromParticipant::TrackPriority {
            name: "camera".into(),
            priority: Priority::High,
        },
    );
    net.run_for(Duration::from_millis(20));
    let told = net.signals_of(bob, "track_priority");
    assert_eq!(told.len(), 1);
    assert_eq!(told[0]["priority"], "high");
    assert_eq!(told[0]["participant_sid"], net.clients[alice].sid.as_str());
    assert_eq!(
        told[0]["track_sid"],
        track_sid(&net, bob, alice, "camera").as_str()
    );
    assert!(
        net.signals_of(alice, "track_priority").is_empty(),
        "not echoed"
    );
    // The same again: nothing to tell. An unknown name: refused.
    net.sfu.handle_signal(
        now,
        key,
        FromParticipant::TrackPriority {
            name: "camera".into(),
            priority: Priority::High,
        },
    );
    net.sfu.handle_signal(
        now,
        key,
        FromParticipant::TrackPriority {
            name: "nope".into(),
            priority: Priority::Low,
        },
    );
    net.run_for(Duration::from_millis(20));
    assert_eq!(net.signals_of(bob, "track_priority").len(), 1);
    assert_eq!(
        net.clients[alice].errors,
        vec![SfuError::UnknownTrack("nope".into())]
    );
}
