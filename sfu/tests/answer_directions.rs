//! The server's answers follow RFC 3264 §6.1 / JSEP §5.3.1: an m-line's
//! direction is what the server wants intersected with the reverse of what
//! the offer allows, so a publisher that parks an m-line `inactive` is
//! answered `inactive`; and an m-line parked that way and then sent on
//! again carries media, which the server picks up and forwards.

mod support;

use std::time::Duration;

use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use sfu::core::SfuConfig;
use sfu::signal::{FromParticipant, MediaKind, PublishedTrackSpec};
use support::Net;

/// Each m-line's kind and direction attribute, in order.
fn directions(sdp: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in sdp.lines() {
        if let Some(m) = line.strip_prefix("m=") {
            out.push((m.split(' ').next().unwrap_or("").to_owned(), String::new()));
        } else if let Some(d) = ["sendrecv", "sendonly", "recvonly", "inactive"]
            .iter()
            .find(|d| line.trim_end() == format!("a={d}"))
            && let Some(last) = out.last_mut()
        {
            last.1 = (*d).to_owned();
        }
    }
    out
}

/// Client `i` offers again with its video m-line's direction set to
/// `direction`, listing only the tracks that still send; the server's
/// answer.
fn offer_video_as(net: &mut Net, i: usize, direction: &str) -> String {
    let now = net.now;
    let pc = &mut net.clients[i].peer.pc;
    let offer = pc.create_offer(None).unwrap();
    pc.set_local_description(now, offer).unwrap();
    let sdp = pc.local_description().unwrap().sdp.clone();
    let mut in_video = false;
    let sdp: String = sdp
        .split("\r\n")
        .map(|line| {
            if line.starts_with("m=") {
                in_video = line.starts_with("m=video");
            }
            // testkit's peer offers sendrecv; a browser's SDK sendonly.
            if in_video && (line == "a=sendrecv" || line == "a=sendonly") {
                format!("a={direction}")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n");
    let mut tracks = vec![PublishedTrackSpec {
        mid: "0".into(),
        name: "mic".into(),
        kind: MediaKind::Audio,
        enabled: true,
        priority: Default::default(),
    }];
    if direction == "sendonly" {
        tracks.push(PublishedTrackSpec {
            mid: "1".into(),
            name: "camera2".into(),
            kind: MediaKind::Video,
            enabled: true,
            priority: Default::default(),
        });
    }
    let answers_before = net.signals_of(i, "answer").len();
    let key = net.clients[i].key;
    net.sfu
        .handle_signal(now, key, FromParticipant::Offer { sdp, tracks });
    net.run_for(Duration::from_millis(200));
    let answers = net.signals_of(i, "answer");
    assert_eq!(answers.len(), answers_before + 1, "the offer was answered");
    answers.last().unwrap()["sdp"].as_str().unwrap().to_owned()
}

#[test]
fn an_inactive_m_line_is_answered_inactive_and_carries_media_again_when_reused() {
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join("room", "alice");
    let bob = net.join("room", "bob");
    for seq in 0..40 {
        net.send(alice, seq, seq % 10 == 0);
        net.run_for(Duration::from_millis(20));
    }
    assert!(net.received_from(bob, RtpCodecKind::Video, "alice") > 0);

    let answer = offer_video_as(&mut net, alice, "inactive");
    let video: Vec<_> = directions(&answer)
        .into_iter()
        .filter(|(kind, _)| kind == "video")
        .collect();
    assert_eq!(video[0].1, "inactive", "{answer}");
    let unpublished = net.signals_of(bob, "track_unpublished").len();
    assert_eq!(unpublished, 1, "bob was told the camera went");
    // An offer that keeps it parked is answered the same way.
    let answer = offer_video_as(&mut net, alice, "inactive");
    let video: Vec<_> = directions(&answer)
        .into_iter()
        .filter(|(kind, _)| kind == "video")
        .collect();
    assert_eq!(video[0].1, "inactive", "{answer}");

    let answer = offer_video_as(&mut net, alice, "sendonly");
    let video: Vec<_> = directions(&answer)
        .into_iter()
        .filter(|(kind, _)| kind == "video")
        .collect();
    assert_eq!(video[0].1, "recvonly", "{answer}");
    let before = net.received_from(bob, RtpCodecKind::Video, "alice");
    for seq in 40..80 {
        net.send(alice, seq, seq % 10 == 0);
        net.run_for(Duration::from_millis(20));
    }
    let published: Vec<String> = net
        .signals_of(bob, "track_published")
        .iter()
        .map(|m| m["track"]["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(published.contains(&"camera2".to_owned()), "{published:?}");
    assert!(
        net.received_from(bob, RtpCodecKind::Video, "alice") > before,
        "the reused m-line's media reaches bob"
    );

    // Parked a second time (the camera off again): inactive again.
    let answer = offer_video_as(&mut net, alice, "inactive");
    let video: Vec<_> = directions(&answer)
        .into_iter()
        .filter(|(kind, _)| kind == "video")
        .collect();
    assert_eq!(video[0].1, "inactive", "{answer}");
}

#[test]
fn a_new_m_line_offered_inactive_is_answered_inactive() {
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join("room", "alice");
    let now = net.now;
    let pc = &mut net.clients[alice].peer.pc;
    pc.add_transceiver_from_kind(
        RtpCodecKind::Video,
        Some(rtc::rtp_transceiver::RTCRtpTransceiverInit {
            // `rtc` adds no inactive transceiver: the SDP is edited below.
            direction: rtc::rtp_transceiver::RTCRtpTransceiverDirection::Recvonly,
            streams: vec![],
            send_encodings: vec![],
        }),
    )
    .unwrap();
    let offer = pc.create_offer(None).unwrap();
    pc.set_local_description(now, offer).unwrap();
    let sdp = pc.local_description().unwrap().sdp.clone();
    let at = sdp.rfind("a=recvonly").expect("the new m-line");
    let sdp = format!(
        "{}a=inactive{}",
        &sdp[..at],
        &sdp[at + "a=recvonly".len()..]
    );
    let offered = directions(&sdp);
    assert_eq!(offered.last().unwrap().1, "inactive", "{sdp}");
    let key = net.clients[alice].key;
    net.sfu.handle_signal(
        now,
        key,
        FromParticipant::Offer {
            sdp,
            tracks: Vec::new(),
        },
    );
    net.run_for(Duration::from_millis(100));
    let answer = net.signals_of(alice, "answer").last().unwrap()["sdp"]
        .as_str()
        .unwrap()
        .to_owned();
    let answered = directions(&answer);
    assert_eq!(answered.len(), offered.len(), "{answer}");
    assert_eq!(answered.last().unwrap().1, "inactive", "{answer}");

    // Sent on later, it is answered recvonly.
    let pc = &mut net.clients[alice].peer.pc;
    let offer = pc.create_offer(None).unwrap();
    pc.set_local_description(now, offer).unwrap();
    let sdp = pc.local_description().unwrap().sdp.clone();
    let at = sdp.rfind("a=recvonly").expect("the new m-line");
    let sdp = format!(
        "{}a=sendonly{}",
        &sdp[..at],
        &sdp[at + "a=recvonly".len()..]
    );
    let now = net.now;
    net.sfu.handle_signal(
        now,
        key,
        FromParticipant::Offer {
            sdp,
            tracks: Vec::new(),
        },
    );
    net.run_for(Duration::from_millis(100));
    let answer = net.signals_of(alice, "answer").last().unwrap()["sdp"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        directions(&answer).last().unwrap().1,
        "recvonly",
        "{answer}"
    );
}
