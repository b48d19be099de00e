//! Data tracks under the fake clock: a publisher's data channel becomes a
//! track everyone is told about, each subscriber gets a channel of the
//! server's labelled with the track's SID, messages are relayed as sent
//! (text and binary, in order), late joiners subscribe too, and closing or
//! leaving unpublishes it. Refusals close the channel with Twilio's codes.
//! No client offers SCTP in its first offer: each association starts when
//! a later negotiation adds `m=application` (the publisher's offer, the
//! server's offer to a subscriber), after DTLS is up, as in a browser call
//! where the first data track comes after joining.

mod support;

use std::time::Duration;

use rtc::data_channel::RTCDataChannelInit;
use sfu::core::SfuConfig;
use sfu::signal::SfuError;
use support::Net;

fn reliable() -> RTCDataChannelInit {
    RTCDataChannelInit::default()
}

/// The data track `publisher` publishes under `name`, as `at` was told:
/// its SID and kind.
fn data_track_sid(net: &Net, at: usize, publisher: usize, name: &str) -> Option<String> {
    let publisher = net.clients[publisher].sid.as_str();
    net.signals_of(at, "track_published")
        .iter()
        .filter(|m| m["participant_sid"] == publisher && m["track"]["name"] == name)
        .inspect(|m| assert_eq!(m["track"]["kind"], "data"))
        .map(|m| m["track"]["sid"].as_str().unwrap().to_owned())
        .next_back()
}

fn messages_on(net: &Net, at: usize, label: &str) -> Vec<(bool, Vec<u8>)> {
    net.clients[at]
        .data_received
        .iter()
        .filter(|(l, _, _)| l == label)
        .map(|(_, s, d)| (*s, d.clone()))
        .collect()
}

#[test]
fn messages_reach_every_subscriber_in_order_text_and_binary() {
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join("room", "alice");
    let bob = net.join("room", "bob");
    let chat = net.open_data_track(alice, "chat", reliable());

    let sid = data_track_sid(&net, bob, alice, "chat").expect("bob is told");
    assert_eq!(
        data_track_sid(&net, alice, alice, "chat").as_deref(),
        Some(sid.as_str()),
        "the publisher learns the SID the others see"
    );
    assert!(
        net.clients[bob]
            .data_channels
            .iter()
            .any(|(_, l)| *l == sid),
        "the server opened bob a channel labelled with the SID"
    );

    let now = net.now;
    for n in 0..50u32 {
        let text = format!("message {n}");
        net.clients[alice]
            .peer
            .send_data(now, chat, true, text.as_bytes())
            .unwrap();
    }
    net.clients[alice]
        .peer
        .send_data(now, chat, false, &[0, 1, 2, 255])
        .unwrap();
    net.run_for(Duration::from_millis(500));

    let got = messages_on(&net, bob, &sid);
    let mut expected: Vec<(bool, Vec<u8>)> = (0..50u32)
        .map(|n| (true, format!("message {n}").into_bytes()))
        .collect();
    expected.push((false, vec![0, 1, 2, 255]));
    assert_eq!(got, expected);
    assert!(
        messages_on(&net, alice, &sid).is_empty(),
        "nothing comes back to the publisher"
    );
    let stats = net.sfu.stats();
    assert_eq!(stats.data_messages_in, 51);
    assert_eq!(stats.data_messages_out, 51);
}

#[test]
fn a_late_joiner_subscribes_and_an_unordered_track_keeps_its_options() {
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join("room", "alice");
    let cursor = net.open_data_track(
        alice,
        "cursor",
        RTCDataChannelInit {
            ordered: false,
            max_retransmits: Some(0),
            ..Default::default()
        },
    );
    let bob = net.join("room", "bob");
    let joined = net.signals_of(bob, "participant_connected");
    assert!(joined.is_empty(), "alice was there first");
    let sid = data_track_sid(&net, alice, alice, "cursor").expect("alice's SID");
    let (channel, _) = net.clients[bob]
        .data_channels
        .iter()
        .find(|(_, l)| *l == sid)
        .cloned()
        .expect("bob got the existing data track");
    let dc = net.clients[bob].peer.pc.data_channel(channel).unwrap();
    assert!(!dc.ordered());
    assert_eq!(dc.max_retransmits(), Some(0));

    let now = net.now;
    net.clients[alice]
        .peer
        .send_data(now, cursor, true, b"x=1")
        .unwrap();
    net.run_for(Duration::from_millis(200));
    assert_eq!(messages_on(&net, bob, &sid), vec![(true, b"x=1".to_vec())]);
}

#[test]
fn closing_the_channel_or_leaving_unpublishes_the_track() {
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join("room", "alice");
    let bob = net.join("room", "bob");
    let chat = net.open_data_track(alice, "chat", reliable());
    let _files = net.open_data_track(alice, "files", reliable());
    let chat_sid = data_track_sid(&net, bob, alice, "chat").unwrap();
    let files_sid = data_track_sid(&net, bob, alice, "files").unwrap();

    net.clients[alice]
        .peer
        .pc
        .data_channel(chat)
        .unwrap()
        .close()
        .unwrap();
    net.run_for(Duration::from_millis(500));
    let gone: Vec<String> = net
        .signals_of(bob, "track_unpublished")
        .iter()
        .map(|m| m["track_sid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(gone, vec![chat_sid.clone()]);
    let bob_chat = net.clients[bob]
        .data_channels
        .iter()
        .find(|(_, l)| *l == chat_sid)
        .unwrap()
        .0;
    assert!(net.clients[bob].data_closed.contains(&bob_chat));

    let key = net.clients[alice].key;
    let now = net.now;
    net.sfu.leave(now, key);
    net.run_for(Duration::from_millis(200));
    let gone: Vec<String> = net
        .signals_of(bob, "track_unpublished")
        .iter()
        .map(|m| m["track_sid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(gone, vec![chat_sid, files_sid]);
}

#[test]
fn bad_names_duplicates_and_too_many_tracks_are_refused_and_closed() {
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join("room", "alice");
    let bob = net.join("room", "bob");
    let empty = net.open_data_track(alice, "", reliable());
    let long = "x".repeat(129);
    net.open_data_track(alice, &long, reliable());
    // The media tracks' names count too.
    net.open_data_track(alice, "camera", reliable());
    for n in 0..16 {
        net.open_data_track(alice, &format!("d{n}"), reliable());
    }
    let extra = net.open_data_track(alice, "d16", reliable());

    let errors = &net.clients[alice].errors;
    assert!(errors.contains(&SfuError::BadTrackName("a data track needs a name".into())));
    assert!(errors.contains(&SfuError::TrackNameTooLong(128)));
    assert!(errors.contains(&SfuError::DuplicateTrackName("camera".into())));
    assert!(errors.contains(&SfuError::TooManyTracks(16)));
    assert!(net.clients[alice].data_closed.contains(&empty));
    assert!(net.clients[alice].data_closed.contains(&extra));
    let published = net
        .signals_of(bob, "track_published")
        .iter()
        .filter(|m| m["track"]["kind"] == "data")
        .count();
    assert_eq!(published, 16, "only the 16 good ones were published");
}

#[test]
fn a_largest_message_arrives_whole_and_what_a_subscriber_sends_back_is_ignored() {
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join("room", "alice");
    let bob = net.join("room", "bob");
    let chat = net.open_data_track(alice, "chat", reliable());
    let sid = data_track_sid(&net, bob, alice, "chat").unwrap();
    let bob_channel = net.clients[bob]
        .data_channels
        .iter()
        .find(|(_, l)| *l == sid)
        .unwrap()
        .0;

    // The server's SDP advertises a=max-message-size:65536, so an engine
    // refuses to send more (a browser's send() throws); the core drops a
    // larger one from a client that ignores it (`MAX_DATA_MESSAGE`).
    let largest: Vec<u8> = (0..64 * 1024).map(|i| (i % 251) as u8).collect();
    let now = net.now;
    net.clients[alice]
        .peer
        .send_data(now, chat, false, &largest)
        .unwrap();
    net.clients[bob]
        .peer
        .send_data(now, bob_channel, true, b"from bob")
        .unwrap();
    net.run_for(Duration::from_millis(500));
    assert_eq!(messages_on(&net, bob, &sid), vec![(false, largest)]);
    assert!(net.clients[alice].data_received.is_empty());
    assert_eq!(net.sfu.stats().data_messages_dropped, 0);
}
