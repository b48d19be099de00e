//! Writes the signaling fuzz corpus (`signaling/tests/fuzz_corpus/
//! messages/`): one file for every client→server message of
//! `signaling/src/protocol.rs`, with its fields in the order and shape the
//! JS client sends them (`web/sdk/signaling.js`, `web/sdk/peer.js`), a real
//! token (minted as Twilio's helpers do) and real SDP from the SFU's
//! corpus (a Chromium offer, a testkit answer to the SFU's offer). Run
//! once, output committed: `cargo run -p confide-signaling --example
//! signaling_fuzz_corpus`; `tests/fuzz_corpus/README.md` says how each seed was made.

#[path = "../tests/fuzz_support/keys.rs"]
mod keys;

use std::path::PathBuf;

use keys::{ACCOUNT_SID, KEY_SECRET, KEY_SID, MINTED_AT, ROOM, TTL_SECS};
use serde_json::json;
use signaling::token::{ApiKey, mint};

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = root.join("tests/fuzz_corpus/messages");
    std::fs::create_dir_all(&out).unwrap();
    let sdp_dir = root.join("../sfu/tests/fuzz_corpus/sdp");
    let sdp = |name: &str| std::fs::read_to_string(sdp_dir.join(name)).unwrap();
    let key = ApiKey {
        sid: KEY_SID.into(),
        secret: KEY_SECRET.into(),
    };
    let token = mint(
        ACCOUNT_SID,
        &key,
        "mallory",
        Some(ROOM),
        TTL_SECS,
        MINTED_AT,
    );
    let any_room = mint(ACCOUNT_SID, &key, "mallory", None, TTL_SECS, MINTED_AT);
    // `JSON.stringify` of the objects the JS client builds: `type` first.
    let messages = [
        (
            "join.json",
            format!(r#"{{"type":"join","version":1,"token":"{token}","room":"{ROOM}"}}"#),
        ),
        (
            "join_any_room_token.json",
            format!(r#"{{"type":"join","version":1,"token":"{any_room}","room":"{ROOM}"}}"#),
        ),
        (
            "preflight.json",
            format!(r#"{{"type":"preflight","version":1,"token":"{token}"}}"#),
        ),
        (
            "join_room_from_token.json",
            format!(r#"{{"type":"join","version":1,"token":"{token}"}}"#),
        ),
        ("ping.json", r#"{"type":"ping","id":1}"#.to_owned()),
        ("leave.json", r#"{"type":"leave"}"#.to_owned()),
        (
            "offer.json",
            format!(
                r#"{{"type":"offer","sdp":{},"tracks":[{{"mid":"0","name":"mic","kind":"audio","enabled":true}},{{"mid":"1","name":"camera","kind":"video","enabled":true}}]}}"#,
                json!(sdp("chrome_offer.sdp"))
            ),
        ),
        (
            "offer_simulcast_camera_off.json",
            format!(
                r#"{{"type":"offer","sdp":{},"tracks":[{{"mid":"0","name":"mic","kind":"audio","enabled":true}},{{"mid":"1","name":"camera","kind":"video","enabled":false}}]}}"#,
                json!(sdp("firefox_simulcast_offer.sdp"))
            ),
        ),
        (
            "answer.json",
            format!(
                r#"{{"type":"answer","sdp":{}}}"#,
                json!(sdp("testkit_answer.sdp"))
            ),
        ),
        (
            "candidate.json",
            r#"{"type":"candidate","candidate":"candidate:842163049 1 udp 1677729535 203.0.113.7 61764 typ srflx raddr 192.168.1.20 rport 61764 generation 0 ufrag 8Dsh network-cost 999","sdpMid":"0","sdpMLineIndex":0}"#.to_owned(),
        ),
        (
            "candidate_host_mdns.json",
            r#"{"type":"candidate","candidate":"candidate:3623520939 1 udp 2113937151 6f1c1f2e-4e5a-4b8e-9a57-2b1f0c9e7d11.local 54321 typ host generation 0 ufrag 8Dsh network-cost 999","sdpMid":"0","sdpMLineIndex":0}"#.to_owned(),
        ),
        (
            "candidate_end.json",
            r#"{"type":"candidate","candidate":"","sdpMid":"0","sdpMLineIndex":0}"#.to_owned(),
        ),
        (
            "track_enabled.json",
            r#"{"type":"track_enabled","name":"camera","enabled":false}"#.to_owned(),
        ),
        (
            "e2ee_key.json",
            r#"{"type":"e2ee_key","public_key":"BCyo0lF7o3X0Uf0QqZ4kqzqH8z0mYw0Y3oG4D8bq8mTt3n0r2oQm6U2w7R8rQm0dXwzqFJ2n8xw5XbJ9ZtV0Yq0"}"#.to_owned(),
        ),
    ];
    for (name, text) in messages {
        serde_json::from_str::<serde_json::Value>(&text).expect("valid JSON");
        std::fs::write(out.join(name), &text).unwrap();
        println!("{name}: {} bytes", text.len());
    }
}
