//! Fuzz target: parsing every client→server signaling message, through
//! the function the websocket session uses on each text frame
//! (`ClientMessage::parse`, `signaling/src/session.rs`).
//! Mutated corpus messages (wrong types, huge numbers, missing, unknown
//! and duplicate fields, another message's `type`, deep nesting, unicode,
//! NUL, damaged bytes) must parse or give an error, never panic; what
//! parses must be the message its `type` names; and `join` and `ping`
//! stay strict about unknown fields, as `docs/signaling.md` promises.

mod fuzz_support;

use fuzz_support::json::mutated_message;
use fuzz_support::message_seeds;
use proptest::prelude::*;
use serde_json::Value;
use sfu::signal::FromParticipant;
use signaling::protocol::{ClientMessage, MediaMessage};

/// The `type` a parsed message must have had.
fn type_of(message: &ClientMessage) -> &'static str {
    match message {
        ClientMessage::Join { .. } => "join",
        ClientMessage::Resume { .. } => "resume",
        ClientMessage::Preflight { .. } => "preflight",
        ClientMessage::Ping { .. } => "ping",
        ClientMessage::Leave => "leave",
        ClientMessage::Media(MediaMessage(m)) => match m {
            FromParticipant::Offer { .. } => "offer",
            FromParticipant::Answer { .. } => "answer",
            FromParticipant::Candidate { .. } => "candidate",
            FromParticipant::TrackEnabled { .. } => "track_enabled",
            FromParticipant::TrackPriority { .. } => "track_priority",
            FromParticipant::TrackPreferences { .. } => "track_preferences",
            FromParticipant::E2eeKey { .. } => "e2ee_key",
        },
    }
}

fn seeds() -> Vec<String> {
    message_seeds().into_iter().map(|(_, text)| text).collect()
}

proptest! {
    #![proptest_config(fuzz_config!("fuzz_messages", 20000))]

    #[test]
    fn client_messages_parse_or_fail_cleanly(text in mutated_message(seeds())) {
        let parsed = ClientMessage::parse(&text);
        // The session words a failure for the client: that must work too.
        let _ = parsed.as_ref().map_err(|err| format!("malformed message: {err}"));
        // One `type` key, so "the value's type" means one thing.
        let value: Option<Value> = serde_json::from_str(&text).ok();
        let single_type = text.matches("\"type\"").count() == 1;
        if let (Ok(message), Some(value), true) = (&parsed, &value, single_type) {
            // Found by this target: serde's tagged enums also take a
            // variant's index as its tag (`{"type":2}` as `leave`);
            // `ClientMessage::parse` refuses any `type` but a string.
            let name = type_of(message);
            prop_assert!(
                value["type"].as_str() == Some(name),
                "parsed as {name}: {text}"
            );
            if let ClientMessage::Join { version, token, room } = message {
                prop_assert_eq!(value["version"].as_u64(), Some(*version as u64));
                prop_assert_eq!(value["token"].as_str(), Some(token.as_str()));
                prop_assert_eq!(value.get("room").and_then(Value::as_str), room.as_deref());
            }
        }
        // `join` and `ping` refuse fields they do not know (docs 1).
        if let (Some(Value::Object(map)), true) = (&value, single_type) {
            let known: &[&str] = match map.get("type").and_then(Value::as_str) {
                Some("join") => &["type", "version", "token", "room"],
                Some("ping") => &["type", "id"],
                _ => &[],
            };
            if !known.is_empty() && map.keys().any(|k| !known.contains(&k.as_str())) {
                prop_assert!(parsed.is_err(), "unknown field accepted: {text}");
            }
        }
    }
}

/// What the target found, kept: a variant's index is not a `type`.
#[test]
fn a_type_must_be_a_name() {
    for text in [
        r#"{"type":2}"#,
        r#"{"type":0,"sdp":"v=0"}"#,
        r#"{"type":null}"#,
        "{}",
        r#"{"type":"join","type":"leave"}"#,
    ] {
        assert!(ClientMessage::parse(text).is_err(), "{text}");
    }
    assert!(matches!(
        ClientMessage::parse(r#"{"type":"leave"}"#),
        Ok(ClientMessage::Leave)
    ));
}
