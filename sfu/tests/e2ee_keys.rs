//! Public keys for end-to-end encryption are relayed to the room and
//! nowhere else: the others are told when one is announced, a newcomer
//! finds them in its participant list, a repeat is not relayed twice, and
//! a key that is not short base64url is refused with an error while the
//! session goes on.

mod support;

use std::time::Duration;

use sfu::core::{RoomScope, SfuConfig};
use sfu::signal::{FromParticipant, SfuError};
use support::Net;

const ALICE_KEY: &str = "BGWbZ7Kx0oQ4_f-1";
const BOB_KEY: &str = "BBx9-y_2";

fn announce(net: &mut Net, i: usize, public_key: &str) {
    let now = net.now;
    let key = net.clients[i].key;
    net.sfu.handle_signal(
        now,
        key,
        FromParticipant::E2eeKey {
            public_key: public_key.into(),
        },
    );
    net.run_for(Duration::from_millis(20));
}

#[test]
fn public_keys_reach_the_room_and_newcomers() {
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join("room", "alice");
    let bob = net.join("room", "bob");
    let elsewhere = net.join("other", "eve");
    announce(&mut net, alice, ALICE_KEY);
    announce(&mut net, alice, ALICE_KEY); // a repeat: not relayed again

    let told = net.signals_of(bob, "e2ee_key");
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0]["participant_sid"], net.clients[alice].sid.as_str());
    assert_eq!(told[0]["public_key"], ALICE_KEY);
    assert!(net.signals_of(alice, "e2ee_key").is_empty(), "not echoed");
    assert!(
        net.signals_of(elsewhere, "e2ee_key").is_empty(),
        "other rooms never hear it"
    );

    announce(&mut net, bob, BOB_KEY);
    let told = net.signals_of(alice, "e2ee_key");
    assert_eq!(told.len(), 1);
    assert_eq!(told[0]["public_key"], BOB_KEY);

    // A newcomer reads both keys in its participant list.
    let now = net.now;
    let carol = net.sfu.join(now, "room", "carol", RoomScope::Any).unwrap();
    let mut keys: Vec<(String, Option<String>)> = carol
        .others
        .iter()
        .map(|p| (p.identity.clone(), p.e2ee_key.clone()))
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        vec![
            ("alice".to_owned(), Some(ALICE_KEY.to_owned())),
            ("bob".to_owned(), Some(BOB_KEY.to_owned())),
        ]
    );
    assert_eq!(carol.me.e2ee_key, None);
}

#[test]
fn a_key_that_is_not_short_base64url_is_refused_and_the_call_goes_on() {
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join("room", "alice");
    let bob = net.join("room", "bob");
    for bad in ["", "has space", "padded==", &"A".repeat(257)] {
        announce(&mut net, alice, bad);
    }
    assert_eq!(net.clients[alice].errors.len(), 4);
    assert!(
        net.clients[alice]
            .errors
            .iter()
            .all(|e| matches!(e, SfuError::BadE2eeKey(_)))
    );
    assert!(net.signals_of(bob, "e2ee_key").is_empty());
    announce(&mut net, alice, ALICE_KEY);
    assert_eq!(net.signals_of(bob, "e2ee_key").len(), 1);
    assert!(net.clients[alice].connected && !net.clients[alice].closed);
}
