//! Calls through a running Confide: `testkit` participants join over the
//! real websocket and UDP media port.

mod common;

use common::{Participant, start_server, token};
use testkit::peer::RtpCodecKind;

fn count(got: &[(RtpCodecKind, String)], kind: RtpCodecKind, from: &str) -> usize {
    got.iter()
        .filter(|(k, text)| *k == kind && text.starts_with(&format!("{from}-")))
        .count()
}

/// Every payload that arrived must be exactly one that was sent.
fn assert_intact(got: &[(RtpCodecKind, String)], senders: &[&str]) {
    for (kind, text) in got {
        let kind_name = if *kind == RtpCodecKind::Audio {
            "audio"
        } else {
            "video"
        };
        let well_formed = senders.iter().any(|s| {
            text.strip_prefix(&format!("{s}-{kind_name}-"))
                .is_some_and(|n| n.parse::<u16>().is_ok())
        });
        assert!(
            well_formed,
            "corrupted or misrouted payload {text:?} on {kind_name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_then_three_participants_exchange_media_and_see_each_other_leave() {
    let (running, data_dir) = start_server(10).await;
    let ws = format!("ws://{}/rtc", running.http_addr);

    let alice = Participant::join(&ws, &token(&running, "alice", "room1"), "alice")
        .await
        .unwrap();
    let bob = Participant::join(&ws, &token(&running, "bob", "room1"), "bob")
        .await
        .unwrap();
    alice
        .wait_signal("participant_connected", |m| {
            m["participant"]["identity"] == "bob"
        })
        .await
        .unwrap();

    // Both publish; each must receive the other's audio and video intact.
    let (a, b) = tokio::join!(alice.send_media(1, 120), bob.send_media(1, 120));
    a.unwrap();
    b.unwrap();
    let enough = |from: &'static str| {
        move |got: &[(RtpCodecKind, String)]| {
            count(got, RtpCodecKind::Audio, from) >= 20
                && count(got, RtpCodecKind::Video, from) >= 20
        }
    };
    let at_alice = alice.collect_media(enough("bob")).await.unwrap();
    let at_bob = bob.collect_media(enough("alice")).await.unwrap();
    assert_intact(&at_alice, &["bob"]);
    assert_intact(&at_bob, &["alice"]);

    // A third joins and receives both.
    let carol = Participant::join(&ws, &token(&running, "carol", "room1"), "carol")
        .await
        .unwrap();
    let (a, b) = tokio::join!(alice.send_media(200, 150), bob.send_media(200, 150));
    a.unwrap();
    b.unwrap();
    let at_carol = carol
        .collect_media(|got| {
            ["alice", "bob"].iter().all(|from| {
                count(got, RtpCodecKind::Audio, from) >= 10
                    && count(got, RtpCodecKind::Video, from) >= 10
            })
        })
        .await
        .unwrap();
    assert_intact(&at_carol, &["alice", "bob"]);

    // Bob leaves; the others are told.
    let bob_sid = bob.sid.clone();
    bob.leave().await;
    for p in [&alice, &carol] {
        p.wait_signal("participant_disconnected", |m| {
            m["participant_sid"] == bob_sid.as_str()
        })
        .await
        .unwrap();
    }
    let stats = running.sfu.stats().await.unwrap();
    assert_eq!(stats.participants, 2);
    assert!(stats.rtp_forwarded > 0);

    alice.leave().await;
    carol.leave().await;
    testkit::wait::eventually("all state freed", || async {
        running.sfu.stats().await.unwrap().participants == 0
    })
    .await;
    running.stop().await;
    let _ = std::fs::remove_dir_all(data_dir);
}
