//! Media that arrives before any offer names its m-line (an answer to a
//! server offer can start a sender the client has not offered yet) is held,
//! not published under its WebRTC id: nobody is told of it and nothing is
//! forwarded until an offer names it, and then it is published under the
//! name that offer gives.

mod support;

use std::time::Duration;

use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use sfu::core::SfuConfig;
use sfu::signal::FromParticipant;
use support::{Net, media_specs};

/// What `at` has been told of `publisher`'s tracks: their names.
fn published_names(net: &Net, at: usize, publisher: usize) -> Vec<String> {
    let sid = net.clients[publisher].sid.clone();
    let mut names: Vec<String> = net
        .signals_of(at, "track_published")
        .iter()
        .filter(|m| m["participant_sid"] == sid.as_str())
        .map(|m| m["track"]["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    names.sort();
    names
}

fn talk(net: &mut Net, from: usize, seqs: std::ops::Range<u16>) {
    for seq in seqs {
        net.send(from, seq, seq % 10 == 0);
        net.run_for(Duration::from_millis(20));
    }
}

#[test]
fn media_before_the_offer_naming_it_waits_for_that_name() {
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join_unnamed("room", "alice");
    let bob = net.join("room", "bob");
    talk(&mut net, alice, 0..30);
    assert_eq!(
        published_names(&net, bob, alice),
        Vec::<String>::new(),
        "nothing of alice's is published before an offer names it"
    );
    assert_eq!(net.received_from(bob, RtpCodecKind::Video, "alice"), 0);
    assert_eq!(net.received_from(bob, RtpCodecKind::Audio, "alice"), 0);

    // Her next offer names both m-lines: published under those names.
    let now = net.now;
    let pc = &mut net.clients[alice].peer.pc;
    let offer = pc.create_offer(None).unwrap();
    pc.set_local_description(now, offer).unwrap();
    let sdp = pc.local_description().unwrap().sdp.clone();
    let tracks = media_specs(&sdp);
    assert_eq!(tracks.len(), 2, "{sdp}");
    let expected: Vec<String> = {
        let mut n: Vec<String> = tracks.iter().map(|t| t.name.clone()).collect();
        n.sort();
        n
    };
    let key = net.clients[alice].key;
    net.sfu
        .handle_signal(now, key, FromParticipant::Offer { sdp, tracks });
    talk(&mut net, alice, 30..80);
    assert_eq!(published_names(&net, bob, alice), expected);
    assert_eq!(
        published_names(&net, alice, alice),
        expected,
        "alice learns her tracks' SIDs under the same names"
    );
    assert!(net.received_from(bob, RtpCodecKind::Video, "alice") > 0);
    assert!(net.received_from(bob, RtpCodecKind::Audio, "alice") > 0);
}
