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

/// The RTX payload type repairing `apt` in the SDP the SFU sent client
/// `i`, if RTX was negotiated.
fn rtx_payload_type(net: &Net, i: usize, kind: &str, apt: u8) -> Option<u8> {
    net.signals_of(i, kind)[0]["sdp"]
        .as_str()
        .unwrap()
        .lines()
        .find_map(|l| {
            let (pt, params) = l.strip_prefix("a=fmtp:")?.split_once(' ')?;
            params
                .split(';')
                .any(|p| p == format!("apt={apt}"))
                .then(|| pt.parse().ok())?
        })
}

/// How many RTP datagrams with payload type `pt` went to (or, `to_sfu`,
/// came from) client `i` while the tap was on.
fn tapped_rtp(net: &Net, i: usize, to_sfu: bool, pt: u8) -> usize {
    net.tap
        .as_ref()
        .unwrap()
        .iter()
        .filter(|t| t.client == i && t.to_sfu == to_sfu)
        .filter(|t| t.data.len() > 12 && t.data[0] >> 6 == 2 && t.data[1] & 0x7f == pt)
        .count()
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

/// A patient whose network blocks UDP reaches the SFU's passive TCP
/// candidate (ICE over TCP): the offer names it, connectivity checks,
/// DTLS and SRTP run over the framed connection, and media flows both ways
/// with a participant on UDP. Replies go out on the transport each
/// participant used.
#[test]
fn a_participant_over_ice_tcp_and_one_over_udp_exchange_media() {
    let tcp: std::net::SocketAddr = support::TCP_SERVER.parse().unwrap();
    let mut net = Net::new(SfuConfig {
        tcp_bind: Some(tcp),
        ..SfuConfig::default()
    });
    let clinic = net.join("room", "clinic");
    let patient = net.join_over_tcp("room", "patient");
    let offered = net.signals_of(patient, "answer")[0]["sdp"]
        .as_str()
        .unwrap()
        .to_owned();
    let passive = format!("{} {} typ host tcptype passive", tcp.ip(), tcp.port());
    assert!(
        offered.contains(&passive),
        "the answer offers the passive TCP candidate:\n{offered}"
    );
    talk(&mut net, &[clinic, patient], 0, 50, 10);
    for (at, from) in [(patient, "clinic"), (clinic, "patient")] {
        assert!(
            net.received_from(at, RtpCodecKind::Audio, from) >= 30,
            "{at} from {from}"
        );
        assert!(
            net.received_from(at, RtpCodecKind::Video, from) >= 30,
            "{at} from {from}"
        );
    }
    let stats = net.sfu.stats();
    assert!(stats.tcp_datagrams_in >= 60, "{stats:?}");
    assert!(stats.tcp_datagrams_out >= 60, "{stats:?}");
    assert_eq!(stats.participants_tcp, 1, "{stats:?}");
    assert!(
        stats.datagrams_out > stats.tcp_datagrams_out,
        "the clinic's copies went by UDP"
    );
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
    let vp8 = net.payload_type_in(bob, "offer", "VP8/90000");
    let rtx = rtx_payload_type(&net, bob, "offer", vp8).expect("RTX offered");
    net.clients[bob].lose_rtp = Some((vp8, 1));
    net.tap = Some(Vec::new());
    talk(&mut net, &[alice], 20, 20, 10);
    net.run_for(Duration::from_millis(500));
    let stats = net.sfu.stats();
    assert!(stats.rtp_retransmitted >= 1, "{stats:?}");
    assert!(
        tapped_rtp(&net, bob, false, rtx) >= 1,
        "resent on the repair flow (RTX), not on the media SSRC"
    );
    let after = net.received_from(bob, RtpCodecKind::Video, "alice")
        + net.received_from(bob, RtpCodecKind::Audio, "alice");
    // Video is NACKed (audio is not, as in browsers): every video packet
    // arrives, the lost one late.
    net.video_received_without_gap(bob);
    assert!(after > before);
}

#[test]
fn a_packet_lost_on_the_way_in_is_nacked_and_reaches_the_subscriber() {
    // The SFU's own NACK generator runs on the publisher's engine timers,
    // armed by its first RTP packet: the publisher must hear the NACK and
    // its retransmission must be forwarded.
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join("room", "alice");
    let bob = net.join("room", "bob");
    talk(&mut net, &[alice], 0, 20, 10);
    let vp8 = net.payload_type_in(alice, "answer", "VP8/90000");
    let rtx = rtx_payload_type(&net, alice, "answer", vp8).expect("RTX accepted");
    net.clients[alice].lose_rtp_upstream = Some((vp8, 1));
    net.tap = Some(Vec::new());
    talk(&mut net, &[alice], 20, 20, 10);
    net.run_for(Duration::from_millis(500));
    assert_eq!(
        net.clients[alice].lose_rtp_upstream,
        Some((vp8, 0)),
        "one was lost"
    );
    assert!(
        tapped_rtp(&net, alice, true, rtx) >= 1,
        "the publisher repaired it on its RTX flow"
    );
    let videos = net.video_received_without_gap(bob);
    assert!(videos >= 30, "{videos} video packets");
}

#[test]
fn the_loudest_speaker_becomes_dominant_and_everyone_is_told() {
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join("room", "alice");
    let bob = net.join("room", "bob");
    net.clients[alice].audio_level = Some(15);
    net.clients[bob].audio_level = Some(127);
    talk(&mut net, &[alice, bob], 0, 50, 10);
    let alice_sid = net.clients[alice].sid.clone();
    for i in [alice, bob] {
        let last = net
            .signals_of(i, "dominant_speaker")
            .last()
            .cloned()
            .cloned();
        assert_eq!(last.expect("told")["participant_sid"], alice_sid.as_str());
    }
    net.clients[alice].audio_level = Some(127);
    net.clients[bob].audio_level = Some(10);
    talk(&mut net, &[alice, bob], 50, 100, 10);
    let last = net
        .signals_of(alice, "dominant_speaker")
        .last()
        .cloned()
        .cloned()
        .unwrap();
    assert_eq!(last["participant_sid"], net.clients[bob].sid.as_str());
}

#[test]
fn mute_and_camera_off_reach_the_others() {
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join("room", "alice");
    let bob = net.join("room", "bob");
    talk(&mut net, &[alice, bob], 0, 10, 10);
    let key = net.clients[alice].key;
    let now = net.now;
    net.sfu.handle_signal(
        now,
        key,
        sfu::signal::FromParticipant::TrackEnabled {
            name: "camera".into(),
            enabled: false,
        },
    );
    net.run_for(Duration::from_millis(20));
    let told = net.signals_of(bob, "track_enabled");
    assert_eq!(told.len(), 1);
    assert_eq!(told[0]["enabled"], false);
    assert_eq!(told[0]["participant_sid"], net.clients[alice].sid.as_str());
    let camera_sid = net
        .signals_of(bob, "track_published")
        .iter()
        .find(|m| m["track"]["name"] == "camera")
        .map(|m| m["track"]["sid"].clone())
        .unwrap();
    assert_eq!(told[0]["track_sid"], camera_sid);
    assert!(
        net.signals_of(alice, "track_enabled").is_empty(),
        "not echoed"
    );
}

#[test]
fn h264_is_forwarded_and_starts_at_an_idr() {
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join_with("room", "alice", "video/H264");
    // The test client offers only its own track's codec (a browser offers
    // all it has); `rtc` negotiates a peer's codecs from its first video
    // m-line, so the subscriber here is an H.264 client too.
    let bob = net.join_with("room", "bob", "video/H264");
    talk(&mut net, &[alice], 0, 3, 0); // inter frames only: held back
    assert_eq!(net.received_from(bob, RtpCodecKind::Video, "alice"), 0);
    talk(&mut net, &[alice], 3, 20, 5);
    let video: Vec<_> = net.clients[bob]
        .received
        .iter()
        .filter(|r| r.kind == RtpCodecKind::Video)
        .collect();
    assert!(video.len() >= 15, "{} video packets", video.len());
    assert_eq!(video[0].payload[0] & 0x1f, 5, "starts at an IDR slice");
    assert!(video.iter().all(|r| r.text().starts_with("alice-video-")));
}

/// Truncated and corrupted STUN, DTLS, SRTP and SRTCP from a participant's
/// own address (and STUN naming its ufrag) reach the engines: nothing
/// panics, and the call goes on.
#[test]
fn corrupt_datagrams_from_known_peers_do_not_break_the_call() {
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join("room", "alice");
    let bob = net.join("room", "bob");
    talk(&mut net, &[alice, bob], 0, 10, 5);
    let answer = net.signals_of(alice, "answer")[0]["sdp"]
        .as_str()
        .unwrap()
        .to_owned();
    let ufrag = answer
        .lines()
        .find_map(|l| l.strip_prefix("a=ice-ufrag:"))
        .unwrap()
        .trim()
        .to_owned();
    let username = format!("{ufrag}:remote");
    let mut stun = vec![0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42];
    stun.extend_from_slice(&[9; 12]);
    stun.extend_from_slice(&0x0006u16.to_be_bytes());
    stun.extend_from_slice(&(username.len() as u16).to_be_bytes());
    stun.extend_from_slice(username.as_bytes());
    while stun.len() % 4 != 0 {
        stun.push(0);
    }
    let body = (stun.len() - 20) as u16;
    stun[2..4].copy_from_slice(&body.to_be_bytes());
    let templates: Vec<Vec<u8>> = vec![
        stun.clone(),
        vec![22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 1, 0, 40, 1, 0, 0, 40],
        vec![0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0x07, 0xd0, 1, 2, 3, 4],
        vec![0x81, 200, 0, 6, 0, 0, 0x03, 0xe8, 0, 0, 0, 0],
        vec![
            0x90, 111, 0, 9, 0, 0, 0, 9, 0, 0, 0x03, 0xe8, 0xbe, 0xde, 0, 9,
        ],
    ];
    let mut n = 0u32;
    for round in 0..400u32 {
        for (t, template) in templates.iter().enumerate() {
            // Every prefix of each template, then noise with its header.
            let cut = (round as usize) % (template.len() + 1);
            net.inject_from(alice, template[..cut].into());
            let mut noisy = template.clone();
            noisy.extend_from_slice(&support::noise((round as usize * 7 + t) % 1300, round + 1));
            net.inject_from(
                if round % 2 == 0 { alice } else { bob },
                noisy.as_slice().into(),
            );
            n += 2;
        }
        if round % 50 == 0 {
            net.run_for(Duration::from_millis(5));
        }
    }
    assert!(n >= 4000);
    let before = net.received_from(bob, RtpCodecKind::Audio, "alice");
    talk(&mut net, &[alice, bob], 10, 30, 5);
    assert!(net.received_from(bob, RtpCodecKind::Audio, "alice") >= before + 25);
    assert!(net.received_from(alice, RtpCodecKind::Video, "bob") >= 25);
    assert_eq!(net.sfu.stats().participants, 2);
}

#[test]
fn publishers_are_told_a_bitrate_cap_once_their_subscribers_feedback_is_heard() {
    // The SFU numbers what it sends (TWCC), the subscriber's feedback
    // feeds its downlink estimate, and each publisher of video gets a cap
    // (REMB) from its subscribers' estimates, once a second.
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join("room", "alice");
    let bob = net.join("room", "bob");
    talk(&mut net, &[alice], 0, 10, 10);
    assert_eq!(net.sfu.stats().bitrate_caps_sent, 0, "no feedback yet");
    talk(&mut net, &[alice, bob], 10, 150, 10);
    let stats = net.sfu.stats();
    // Three seconds: one cap a second for each of the two video tracks,
    // from the first second with feedback on.
    assert!(stats.bitrate_caps_sent >= 2, "{stats:?}");
}

#[test]
fn a_token_for_ad_hoc_rooms_finds_no_registered_room() {
    use sfu::core::{JoinError, RoomScope};
    let mut net = Net::new(SfuConfig::default());
    let now = net.now;
    assert!(net.sfu.register_room("apt-1-0a0b0c0d0e0f", "RM1", Some(2)));
    assert_eq!(
        net.sfu
            .join(now, "apt-1-0a0b0c0d0e0f", "mallory", RoomScope::AdHocOnly)
            .unwrap_err(),
        JoinError::RoomNotFound
    );
    // The appointment's own tokens still get in, and the ad-hoc token still
    // opens rooms nobody registered.
    net.sfu
        .join(now, "apt-1-0a0b0c0d0e0f", "patient", RoomScope::Any)
        .expect("a token for any room enters a registered one");
    net.sfu
        .join(now, "team-standup", "mallory", RoomScope::AdHocOnly)
        .expect("an ad-hoc room opens");
    net.sfu
        .join(now, "team-standup", "colleague", RoomScope::AdHocOnly)
        .expect("and others join it");
}

#[test]
fn a_publisher_is_told_the_sid_the_others_see_for_its_track() {
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join("room", "alice");
    let bob = net.join("room", "bob");
    talk(&mut net, &[alice, bob], 0, 10, 10);
    let alice_sid = net.clients[alice].sid.clone();
    let sid_of = |net: &Net, at: usize| {
        net.signals_of(at, "track_published")
            .iter()
            .filter(|m| m["participant_sid"] == alice_sid.as_str())
            .map(|m| (m["track"]["name"].clone(), m["track"]["sid"].clone()))
            .collect::<Vec<_>>()
    };
    let mut own = sid_of(&net, alice);
    let mut seen = sid_of(&net, bob);
    own.sort_by_key(|(name, _)| name.to_string());
    seen.sort_by_key(|(name, _)| name.to_string());
    assert_eq!(own.len(), 2, "alice is told both her tracks: {own:?}");
    assert_eq!(own, seen, "the SIDs alice is told are the ones bob sees");
}
