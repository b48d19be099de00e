//! End-to-end-encrypted video: the payload after the VP8 payload
//! descriptor is ciphertext, so the SFU finds keyframes by the AV1
//! Dependency Descriptor (DD) header extension instead. A publisher that
//! negotiated it is answered with it; where a subscriber starts is what
//! its DD says, whatever the payload seems to say; and the SFU neither
//! offers it to subscribers nor forwards it.

mod support;

use std::time::Duration;

use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use sfu::core::{RoomScope, SfuConfig};
use sfu::forward::dependency_descriptor::DEPENDENCY_DESCRIPTOR_URI;
use sfu::signal::{FromParticipant, ToParticipant};
use support::{Net, Received};

/// Client `i`'s video from `from`, in arrival order.
fn video_from<'a>(net: &'a Net, i: usize, from: &str) -> Vec<&'a Received> {
    let prefix = format!("{from}-video-");
    net.clients[i]
        .received
        .iter()
        .filter(|r| r.kind == RtpCodecKind::Video && r.text().starts_with(&prefix))
        .collect()
}

/// Alice sends `count` packets from `first`, 50 a second, each video
/// packet with a DD: `payload_keyframe` and `descriptor_keyframe` say what
/// the payload's VP8 header and the DD claim for sequence number `seq`.
fn send_encrypted(
    net: &mut Net,
    alice: usize,
    seqs: std::ops::Range<u16>,
    payload_keyframe: impl Fn(u16) -> bool,
    descriptor_keyframe: impl Fn(u16) -> bool,
) {
    for seq in seqs {
        net.send_with_descriptor(alice, seq, payload_keyframe(seq), descriptor_keyframe(seq));
        net.run_for(Duration::from_millis(20));
    }
}

/// The `a=extmap` id an SDP gives `uri`, in any m-section.
fn extmap_id(sdp: &str, uri: &str) -> Option<u8> {
    sdp.lines().find_map(|l| {
        let (id, rest) = l.strip_prefix("a=extmap:")?.split_once(' ')?;
        (rest.split(' ').next() == Some(uri)).then(|| id.split('/').next()?.parse().ok())?
    })
}

fn last_sdp(net: &Net, i: usize, kind: &str) -> String {
    net.signals_of(i, kind)
        .last()
        .and_then(|s| s["sdp"].as_str())
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_chromium_offer_with_the_descriptor_is_answered_with_it() {
    // Captured from Chromium with the DD enabled (`a=extmap:12`).
    let offer = include_str!("fuzz_corpus/sdp/chrome_simulcast_offer.sdp");
    assert_eq!(extmap_id(offer, DEPENDENCY_DESCRIPTOR_URI), Some(12));
    let mut net = Net::new(SfuConfig::default());
    let key = net
        .sfu
        .join(net.now, "room", "chromium", RoomScope::Any)
        .expect("join")
        .participant;
    let now = net.now;
    net.sfu.handle_signal(
        now,
        key,
        FromParticipant::Offer {
            sdp: offer.to_owned(),
            tracks: Vec::new(),
        },
    );
    net.run_for(Duration::from_millis(20));
    let answer = net
        .stray
        .iter()
        .find_map(|(k, m)| match m {
            ToParticipant::Answer { sdp } if *k == key => Some(sdp.clone()),
            _ => None,
        })
        .expect("an answer");
    let video = answer
        .split("\nm=")
        .find(|section| section.starts_with("video"))
        .expect("a video m-line");
    assert_eq!(
        extmap_id(video, DEPENDENCY_DESCRIPTOR_URI),
        Some(12),
        "{answer}"
    );
    let audio = answer
        .split("\nm=")
        .find(|section| section.starts_with("audio"))
        .expect("an audio m-line");
    assert_eq!(
        extmap_id(audio, DEPENDENCY_DESCRIPTOR_URI),
        None,
        "video only"
    );
}

#[test]
fn the_descriptor_says_where_subscribers_start_whatever_the_payload_says() {
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join_with_dependency_descriptor("room", "alice");
    assert!(
        extmap_id(&last_sdp(&net, alice, "answer"), DEPENDENCY_DESCRIPTOR_URI).is_some(),
        "the SFU's answer accepts the DD:\n{}",
        last_sdp(&net, alice, "answer")
    );
    let bob = net.join("room", "bob");

    // Every payload looks like a VP8 keyframe; no DD says so.
    send_encrypted(&mut net, alice, 0..10, |_| true, |_| false);
    assert!(
        net.received_from(bob, RtpCodecKind::Audio, "alice") > 0,
        "bob is subscribed"
    );
    assert!(
        video_from(&net, bob, "alice").is_empty(),
        "no video before the DD names a keyframe"
    );
    assert!(net.sfu.stats().keyframe_requests >= 1);

    // Payloads say "inter frame"; the DD of 12 says keyframe.
    send_encrypted(&mut net, alice, 10..20, |_| false, |seq| seq == 12);
    let video = video_from(&net, bob, "alice");
    assert_eq!(video.len(), 8, "12 to 19");
    assert_eq!(video[0].text(), "alice-video-12");
    assert_eq!(
        video[0].payload[1] & 0x01,
        1,
        "its payload still reads as an inter frame"
    );

    // A late subscriber: payload keyframes again, DD inter frames.
    let carol = net.join("room", "carol");
    send_encrypted(&mut net, alice, 20..30, |_| true, |_| false);
    assert!(net.received_from(carol, RtpCodecKind::Audio, "alice") > 0);
    assert!(
        video_from(&net, carol, "alice").is_empty(),
        "carol waits for the DD's keyframe"
    );
    assert_eq!(
        video_from(&net, bob, "alice").len(),
        18,
        "bob's run goes on"
    );
    send_encrypted(&mut net, alice, 30..35, |_| false, |seq| seq == 31);
    let video = video_from(&net, carol, "alice");
    assert_eq!(video.len(), 4, "31 to 34");
    assert_eq!(video[0].text(), "alice-video-31");
}

#[test]
fn packets_without_a_descriptor_are_still_judged_by_their_payload() {
    let mut net = Net::new(SfuConfig::default());
    // Alice negotiates the DD but this client sends none: the payload
    // decides, as for a browser without encryption or an older one.
    let alice = net.join_with_dependency_descriptor("room", "alice");
    let bob = net.join("room", "bob");
    for seq in 0..10u16 {
        net.send(alice, seq, seq == 4);
        net.run_for(Duration::from_millis(20));
    }
    let video = video_from(&net, bob, "alice");
    assert_eq!(video.len(), 6, "4 to 9");
    assert_eq!(video[0].text(), "alice-video-4");
}

#[test]
fn subscribers_are_neither_offered_nor_sent_the_descriptor() {
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join_with_dependency_descriptor("room", "alice");
    // Bob's client would take a DD if the SFU offered one.
    let bob = net.join_with_dependency_descriptor("room", "bob");
    send_encrypted(&mut net, alice, 0..20, |_| false, |seq| seq % 10 == 0);
    let video = video_from(&net, bob, "alice");
    assert!(video.len() >= 10, "bob receives alice's video");

    // Bob's own video m-line (he publishes) has it; none of the SFU's
    // sending m-lines in its offer to him does.
    let answer = last_sdp(&net, bob, "answer");
    let bobs_id = extmap_id(&answer, DEPENDENCY_DESCRIPTOR_URI)
        .unwrap_or_else(|| panic!("bob's publishing m-line has the DD:\n{answer}"));
    let offer = last_sdp(&net, bob, "offer");
    for section in offer.split("\nm=").filter(|s| s.contains("a=sendonly")) {
        assert!(
            !section.contains(DEPENDENCY_DESCRIPTOR_URI),
            "a sending m-line offers the DD:\n{section}"
        );
    }
    // And what arrives has no DD: not under the id bob's side gives it,
    // not under any other (no extension with a DD's bytes).
    let descriptors: Vec<_> = (0..20u16)
        .flat_map(|seq| [true, false].map(|key| testkit::media::dependency_descriptor(seq, key)))
        .collect();
    for r in video {
        for (id, bytes) in &r.extensions {
            assert_ne!(*id, bobs_id, "{}", r.text());
            assert!(!descriptors.contains(bytes), "{}: {bytes:?}", r.text());
        }
    }
}
