//! The sans-IO core under a fake clock: real `rtc` clients, in-memory
//! datagrams, time advanced by the test.

mod support;

use std::time::Duration;

use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use sfu::core::SfuConfig;
use support::Net;

/// Everyone sends for `ms` milliseconds at 50 packets/s; a keyframe every
/// `keyframe_every` packets (0: never).
fn talk(net: &mut Net, who: &[usize], first_seq: u16, packets: u16, keyframe_every: u16) {
    for n in 0..packets {
        let seq = first_seq.wrapping_add(n);
        for &i in who {
            net.send(i, seq, keyframe_every != 0 && n % keyframe_every == 0);
        }
        net.run_for(Duration::from_millis(20));
    }
}

#[test]
fn two_clients_exchange_media_with_a_fake_clock() {
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join("room", "alice");
    let bob = net.join("room", "bob");
    talk(&mut net, &[alice, bob], 0, 50, 10);
    for (at, from) in [(bob, "alice"), (alice, "bob")] {
        assert!(net.received_from(at, RtpCodecKind::Audio, from) >= 30);
        assert!(net.received_from(at, RtpCodecKind::Video, from) >= 30);
    }
    // Forwarded payloads are intact.
    for r in &net.clients[bob].received {
        let text = r.text();
        let expected = if r.kind == RtpCodecKind::Audio {
            "alice-audio-"
        } else {
            "alice-video-"
        };
        assert!(text.starts_with(expected), "{text:?}");
    }
}

#[test]
fn a_new_subscriber_gets_a_keyframe_request_and_starts_at_a_keyframe() {
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join("room", "alice");
    // Alice publishes inter frames only (after her first keyframe).
    talk(&mut net, &[alice], 0, 10, 0);
    assert_eq!(net.sfu.stats().keyframe_requests, 0, "nobody is watching");
    let bob = net.join("room", "bob");
    talk(&mut net, &[alice], 10, 10, 0);
    let requests = net.sfu.stats().keyframe_requests;
    assert!(requests >= 1, "the subscriber's start asked for a keyframe");
    assert_eq!(
        net.received_from(bob, RtpCodecKind::Video, "alice"),
        0,
        "no inter frames before a keyframe"
    );
    assert!(
        net.received_from(bob, RtpCodecKind::Audio, "alice") > 0,
        "audio needs no keyframe"
    );
    // Throttled: 10 more packets in 200 ms add at most one request.
    talk(&mut net, &[alice], 20, 10, 0);
    assert!(net.sfu.stats().keyframe_requests <= requests + 1);
    // Alice answers with a keyframe: bob's video starts exactly there.
    net.send(alice, 30, true);
    talk(&mut net, &[alice], 31, 5, 0);
    let video: Vec<_> = net.clients[bob]
        .received
        .iter()
        .filter(|r| r.kind == RtpCodecKind::Video)
        .collect();
    assert_eq!(video.len(), 6);
    assert_eq!(video[0].text(), "alice-video-30");
    assert_eq!(
        video[0].payload[1] & 0x01,
        0,
        "first packet is the keyframe"
    );
}

#[test]
fn a_vanished_participant_is_removed_within_15_seconds_and_others_are_told() {
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join("room", "alice");
    let bob = net.join("room", "bob");
    talk(&mut net, &[alice, bob], 0, 20, 10);
    net.clients[bob].online = false; // no goodbye, no more STUN
    let mut waited = Duration::ZERO;
    while net.signals_of(alice, "participant_disconnected").is_empty() {
        net.run_for(Duration::from_millis(500));
        waited += Duration::from_millis(500);
        assert!(
            waited <= Duration::from_secs(15),
            "still there after {waited:?}"
        );
    }
    assert!(
        waited >= Duration::from_secs(5),
        "not removed while consent is merely late ({waited:?})"
    );
    assert_eq!(net.sfu.stats().participants, 1);
    let gone = net.signals_of(alice, "participant_disconnected")[0].clone();
    assert_eq!(gone["identity"], "bob");
}

#[test]
fn leaving_frees_state_and_transceivers_are_reused_with_continuous_numbers() {
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join("room", "alice");
    let bob = net.join("room", "bob");
    talk(&mut net, &[alice, bob], 0, 20, 10);
    let m_lines = |net: &Net| {
        let offer = net
            .signals_of(alice, "offer")
            .last()
            .map(|o| o["sdp"].as_str().unwrap().to_owned());
        offer.map_or(0, |sdp| sdp.matches("\nm=").count())
    };
    let before = m_lines(&net);
    assert_eq!(before, 4, "alice's own two plus bob's two");
    let last_from_bob = net.clients[alice]
        .received
        .iter()
        .rev()
        .find(|r| r.kind == RtpCodecKind::Video)
        .cloned()
        .unwrap();

    let bob_key = net.clients[bob].key;
    net.sfu.leave(net.now, bob_key);
    net.clients[bob].closed = true;
    net.run_for(Duration::from_millis(100));
    assert_eq!(net.signals_of(alice, "participant_disconnected").len(), 1);
    assert_eq!(net.signals_of(alice, "track_unpublished").len(), 2);
    let offer = net.signals_of(alice, "offer").last().unwrap()["sdp"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        offer.matches("a=inactive").count(),
        2,
        "bob's m-lines parked"
    );

    // Carol arrives: bob's transceivers carry her tracks; the SDP does not grow.
    let carol = net.join("room", "carol");
    net.run_for(Duration::from_secs(1));
    talk(&mut net, &[carol], 100, 20, 10);
    assert_eq!(m_lines(&net), before);
    let first_from_carol = net.clients[alice]
        .received
        .iter()
        .find(|r| r.kind == RtpCodecKind::Video && r.text().starts_with("carol-"))
        .cloned()
        .expect("carol's video reaches alice");
    assert_eq!(
        first_from_carol.ssrc, last_from_bob.ssrc,
        "same transceiver, same SSRC"
    );
    assert_eq!(
        first_from_carol.sequence_number,
        last_from_bob.sequence_number.wrapping_add(1),
        "sequence continues across the switch"
    );
    assert!(
        first_from_carol
            .timestamp
            .wrapping_sub(last_from_bob.timestamp)
            < 90_000 * 5,
        "timestamp moves forward by about the pause"
    );

    for i in [alice, carol] {
        let key = net.clients[i].key;
        net.sfu.leave(net.now, key);
        net.clients[i].closed = true;
    }
    net.run_for(Duration::from_millis(50));
    let stats = net.sfu.stats();
    assert_eq!(
        (stats.rooms, stats.participants),
        (0, 0),
        "everything freed"
    );
}

#[test]
fn a_lost_packet_is_resent_from_the_cache_when_the_subscriber_nacks() {
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join("room", "alice");
    let bob = net.join("room", "bob");
    talk(&mut net, &[alice], 0, 20, 10);
    let before = net.received_from(bob, RtpCodecKind::Video, "alice")
        + net.received_from(bob, RtpCodecKind::Audio, "alice");
    let vp8 = net.signals_of(bob, "offer")[0]["sdp"]
        .as_str()
        .unwrap()
        .lines()
        .find_map(|l| {
            l.strip_prefix("a=rtpmap:")
                .filter(|l| l.contains("VP8/90000"))
        })
        .and_then(|l| l.split(' ').next()?.parse::<u8>().ok())
        .unwrap();
    net.clients[bob].lose_rtp = Some((vp8, 1));
    talk(&mut net, &[alice], 20, 20, 10);
    net.run_for(Duration::from_millis(500));
    let stats = net.sfu.stats();
    assert!(stats.rtp_retransmitted >= 1, "{stats:?}");
    let after = net.received_from(bob, RtpCodecKind::Video, "alice")
        + net.received_from(bob, RtpCodecKind::Audio, "alice");
    // Video is NACKed (audio is not, as in browsers): every video packet
    // arrives, the lost one late.
    let videos: std::collections::BTreeSet<u16> = net.clients[bob]
        .received
        .iter()
        .filter(|r| r.kind == RtpCodecKind::Video)
        .map(|r| r.sequence_number)
        .collect();
    let (lo, hi) = (*videos.first().unwrap(), *videos.last().unwrap());
    assert_eq!(videos.len(), (hi - lo + 1) as usize, "no gap in video");
    assert!(after > before);
}
