//! Fuzz target: real signaling sessions over a websocket, against the
//! `/rtc` router (`signaling::router`) with a running SFU, fed mutated
//! client messages.
//!
//! Each case: a well-behaved client (alice) joins room `fuzz`; a hostile
//! one (mallory) connects, sends a join (the corpus one, or a mutated
//! one), then up to 20 mutated messages of every kind. After each, a
//! `ping` with a fresh id marks the end of the server's replies to it.
//! The server must answer as `docs/signaling.md` says: a join gets
//! `joined`, or a fatal `error` and close code 4000; after joining, a bad
//! message gets a non-fatal `error` with a documented code and the session
//! goes on; only `leave` ends it (a close without a code). Afterwards
//! alice, connected the whole time, must still be served.

mod fuzz_support;

use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use chrono::DateTime;
use futures_util::{SinkExt, StreamExt};
use fuzz_support::json::mutated_message;
use fuzz_support::{ACCOUNT_SID, KEY_SECRET, KEY_SID, MINTED_AT, ROOM, TTL_SECS, message_seeds};
use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::{Value, json};
use sfu::core::SfuConfig;
use sfu::io::SfuHandle;
use signaling::SignalingState;
use signaling::clock::ManualClock;
use signaling::protocol::ClientMessage;
use signaling::state::Sessions;
use signaling::token::{ApiKey, TokenVerifier, mint};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Error codes of `docs/signaling.md` §10.
const DOCUMENTED_CODES: [u64; 17] = [
    20101, 20102, 20103, 20104, 20105, 20106, 20107, 53000, 53001, 53004, 53105, 53106, 53118,
    53204, 53205, 53400, 53402,
];
/// What the server may send a joined client (docs §5).
const SERVER_TYPES: [&str; 16] = [
    "joined",
    "resumed",
    "pong",
    "error",
    "answer",
    "offer",
    "participant_connected",
    "participant_disconnected",
    "participant_reconnecting",
    "participant_reconnected",
    "track_published",
    "track_unpublished",
    "track_enabled",
    "dominant_speaker",
    "network_quality",
    "e2ee_key",
];
/// Only a server that stopped answering takes this long: a hang guard,
/// not a speed requirement.
const HANG: Duration = Duration::from_secs(30);

/// The router and SFU, started once for every case.
struct Server {
    runtime: tokio::runtime::Runtime,
    url: String,
}

static SERVER: LazyLock<Server> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let addr: SocketAddr = runtime.block_on(async {
        let (sfu, _room_events) = SfuHandle::start(
            SfuConfig {
                bind: "127.0.0.1:0".parse().unwrap(),
                ..SfuConfig::default()
            },
            2,
        )
        .unwrap();
        let key = ApiKey {
            sid: KEY_SID.into(),
            secret: KEY_SECRET.into(),
        };
        let clock = ManualClock::new(DateTime::from_timestamp(MINTED_AT as i64 + 10, 0).unwrap());
        let app = signaling::router(SignalingState {
            sfu,
            verifier: Arc::new(TokenVerifier::new(ACCOUNT_SID.into(), vec![key])),
            clock: Arc::new(clock),
            ice_servers: Arc::new(Default::default()),
            draining: Default::default(),
            router: None,
            sessions: Sessions::default(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    });
    Server {
        runtime,
        url: format!("ws://{addr}/rtc"),
    }
});

/// How a frame from the server ended a read: a JSON message, or a close
/// (with its code, if any).
enum Frame {
    Json(Value),
    Closed(Option<u16>),
}

async fn next(ws: &mut Ws) -> Frame {
    loop {
        let frame = tokio::time::timeout(HANG, ws.next())
            .await
            .expect("the server answers");
        match frame {
            Some(Ok(Message::Text(text))) => {
                return Frame::Json(serde_json::from_str(&text).expect("server JSON"));
            }
            Some(Ok(Message::Close(close))) => return Frame::Closed(close.map(|c| c.code.into())),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return Frame::Closed(None),
        }
    }
}

async fn send(ws: &mut Ws, text: String) {
    // The server may have closed already; the next read says so.
    let _ = ws.send(Message::text(text)).await;
}

async fn connect() -> Ws {
    tokio_tungstenite::connect_async(&SERVER.url)
        .await
        .expect("connect")
        .0
}

fn join_message(identity: &str) -> String {
    let key = ApiKey {
        sid: KEY_SID.into(),
        secret: KEY_SECRET.into(),
    };
    let token = mint(ACCOUNT_SID, &key, identity, Some(ROOM), TTL_SECS, MINTED_AT);
    json!({"type": "join", "version": 1, "token": token}).to_string()
}

/// Sends a ping with `id`; returns everything the server said before the
/// pong, or how it closed.
async fn until_pong(ws: &mut Ws, id: u64) -> Result<Vec<Value>, (Vec<Value>, Option<u16>)> {
    send(ws, json!({"type": "ping", "id": id}).to_string()).await;
    let mut seen = Vec::new();
    loop {
        match next(ws).await {
            Frame::Json(m) if m["type"] == "pong" && m["id"] == id => return Ok(seen),
            Frame::Json(m) => seen.push(m),
            Frame::Closed(code) => return Err((seen, code)),
        }
    }
}

fn check_server_message(m: &Value) -> Result<(), TestCaseError> {
    let kind = m["type"].as_str().unwrap_or_default();
    prop_assert!(SERVER_TYPES.contains(&kind), "undocumented message {m}");
    if kind == "error" {
        let code = m["code"].as_u64().unwrap_or_default();
        prop_assert!(DOCUMENTED_CODES.contains(&code), "undocumented code {m}");
        prop_assert_eq!(
            &m["fatal"],
            &json!(false),
            "only non-fatal after joining: {}",
            m
        );
    }
    Ok(())
}

#[derive(Debug, Clone)]
struct Case {
    /// A mutated first message, or `None` for the corpus join.
    join: Option<String>,
    messages: Vec<String>,
}

fn case() -> impl Strategy<Value = Case> {
    let seeds: Vec<String> = message_seeds().into_iter().map(|(_, t)| t).collect();
    let joins: Vec<String> = message_seeds()
        .into_iter()
        .filter(|(name, _)| name.starts_with("join"))
        .map(|(_, t)| t)
        .collect();
    (
        proptest::option::weighted(0.3, mutated_message(joins)),
        vec(mutated_message(seeds), 1..20),
    )
        .prop_map(|(join, messages)| Case { join, messages })
}

async fn run_case(case: Case) -> Result<(), TestCaseError> {
    let mut alice = connect().await;
    send(&mut alice, join_message("alice")).await;
    let Frame::Json(joined) = next(&mut alice).await else {
        return Err(TestCaseError::fail("alice was refused"));
    };
    prop_assert_eq!(&joined["type"], "joined");

    let mut mallory = connect().await;
    let first = case.join.clone().unwrap_or_else(|| join_message("mallory"));
    send(&mut mallory, first.clone()).await;
    match next(&mut mallory).await {
        Frame::Json(m) if m["type"] == "joined" => {}
        Frame::Json(m) => {
            prop_assert!(case.join.is_some(), "the corpus join was refused: {m}");
            // A refused join: a fatal error, then close code 4000.
            prop_assert_eq!(&m["type"], "error", "{}", m);
            prop_assert_eq!(&m["fatal"], &json!(true), "{}", m);
            let code = m["code"].as_u64().unwrap_or_default();
            prop_assert!(DOCUMENTED_CODES.contains(&code), "{m}");
            loop {
                match next(&mut mallory).await {
                    Frame::Closed(code) => {
                        prop_assert_eq!(code, Some(4000));
                        break;
                    }
                    Frame::Json(m) => prop_assert!(false, "after a fatal error: {m}"),
                }
            }
        }
        Frame::Closed(code) => prop_assert!(false, "closed without an error: {code:?}"),
    }
    // Only a joined session gets the messages.
    let mut joined_mallory = true;
    if case.join.is_some() {
        joined_mallory = until_pong(&mut mallory, 1).await.is_ok();
    }
    for (k, text) in case.messages.iter().enumerate() {
        if !joined_mallory {
            break;
        }
        let leaves = matches!(
            serde_json::from_str::<ClientMessage>(text),
            Ok(ClientMessage::Leave)
        );
        send(&mut mallory, text.clone()).await;
        match until_pong(&mut mallory, 7_000_000 + k as u64).await {
            Ok(replies) => {
                prop_assert!(!leaves, "still open after leave");
                for m in &replies {
                    check_server_message(m)?;
                }
            }
            Err((replies, code)) => {
                for m in &replies {
                    check_server_message(m)?;
                }
                prop_assert!(leaves, "closed ({code:?}) after {text}");
                prop_assert_eq!(code, None, "leave closes without a code");
                joined_mallory = false;
            }
        }
    }
    let _ = mallory.close(None).await;

    // Alice, connected all along, is still served.
    let pong = until_pong(&mut alice, 99).await;
    prop_assert!(pong.is_ok(), "alice lost her session");
    for m in pong.unwrap() {
        prop_assert!(m["type"] != "error", "alice was told {m}");
        check_server_message(&m)?;
    }
    send(&mut alice, json!({"type": "leave"}).to_string()).await;
    while let Frame::Json(_) = next(&mut alice).await {}
    Ok(())
}

proptest! {
    // Each case is two websocket sessions and up to 20 messages.
    #![proptest_config(fuzz_config!("fuzz_session", 200))]

    #[test]
    fn hostile_messages_get_documented_answers_and_others_stay_served(case in case()) {
        SERVER.runtime.block_on(run_case(case))?;
    }
}
