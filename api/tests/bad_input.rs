//! Hostile and broken input: bad tokens, malformed and oversized signaling
//! frames, out-of-order messages, garbage datagrams at the media port. Each
//! gets a clear error (Twilio's code) and the server keeps serving.

mod common;

use std::time::Duration;

use common::{Participant, start_server, token, token_with};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use testkit::peer::RtpCodecKind;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn connect(running: &api::server::Running) -> Ws {
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/rtc", running.http_addr))
        .await
        .expect("websocket connects");
    ws
}

async fn send(ws: &mut Ws, value: Value) {
    ws.send(Message::Text(value.to_string().into()))
        .await
        .unwrap();
}

/// The next JSON message, or `None` when the server closed the socket.
async fn recv(ws: &mut Ws) -> Option<Value> {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("server answers")
        {
            Some(Ok(Message::Text(text))) => return Some(serde_json::from_str(&text).unwrap()),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => continue,
        }
    }
}

async fn expect_error(ws: &mut Ws, code: u64, fatal: bool) -> Value {
    let message = recv(ws).await.expect("an error message before closing");
    assert_eq!(message["type"], "error", "{message}");
    assert_eq!(message["code"], code, "{message}");
    assert_eq!(message["fatal"], fatal, "{message}");
    if fatal {
        assert!(recv(ws).await.is_none(), "closed after a fatal error");
    }
    message
}

async fn join(running: &api::server::Running, identity: &str, room: &str) -> Ws {
    let mut ws = connect(running).await;
    send(
        &mut ws,
        json!({"type": "join", "version": 1, "token": token(running, identity, room)}),
    )
    .await;
    let joined = recv(&mut ws).await.unwrap();
    assert_eq!(joined["type"], "joined", "{joined}");
    ws
}

#[tokio::test]
async fn bad_tokens_get_twilio_codes() {
    let (running, data_dir) = start_server(10).await;
    let now = signaling::token::unix_now();
    let cases: Vec<(Value, u64)> = vec![
        (
            json!({"type": "join", "version": 1, "token": "garbage"}),
            20101,
        ),
        (
            json!({"type": "join", "version": 1, "token": token_with(&running, "a", "r", 60, now - 7200)}),
            20104,
        ),
        (
            json!({"type": "join", "version": 1, "token": token_with(&running, "a", "r", 60, now + 7200)}),
            20105,
        ),
        (
            json!({"type": "join", "version": 1, "token": token(&running, "a", "r"), "room": "other"}),
            20106,
        ),
        (
            json!({"type": "join", "version": 1, "token": signaling::token::mint(
                &running.credentials.account_sid,
                &signaling::token::ApiKey { sid: running.credentials.api_key_sid.clone(), secret: "not-the-secret-at-all".into() },
                "a", Some("r"), 60, now)}),
            20107,
        ),
        (
            json!({"type": "join", "version": 2, "token": token(&running, "a", "r")}),
            53000,
        ),
        (json!({"type": "ping"}), 53000),
        // A preflight's token is checked as a join's.
        (
            json!({"type": "preflight", "version": 1, "token": "garbage"}),
            20101,
        ),
        (
            json!({"type": "preflight", "version": 1, "token": token_with(&running, "a", "r", 60, now - 7200)}),
            20104,
        ),
        (
            json!({"type": "preflight", "version": 2, "token": token(&running, "a", "r")}),
            53000,
        ),
    ];
    for (message, code) in cases {
        let mut ws = connect(&running).await;
        send(&mut ws, message.clone()).await;
        expect_error(&mut ws, code, true).await;
    }
    // A non-JSON first frame, and a binary one.
    let mut ws = connect(&running).await;
    ws.send(Message::Text("{not json".into())).await.unwrap();
    expect_error(&mut ws, 53000, true).await;
    let mut ws = connect(&running).await;
    ws.send(Message::Binary(vec![1, 2, 3].into()))
        .await
        .unwrap();
    expect_error(&mut ws, 53000, true).await;
    // And the server still serves.
    drop(join(&running, "fine", "r").await);
    running.stop().await;
    let _ = std::fs::remove_dir_all(data_dir);
}

#[tokio::test]
async fn a_preflight_gets_a_room_of_its_own() {
    let (running, data_dir) = start_server(10).await;
    let mut ws = connect(&running).await;
    send(
        &mut ws,
        json!({"type": "preflight", "version": 1, "token": token(&running, "alice", "r")}),
    )
    .await;
    let joined = recv(&mut ws).await.unwrap();
    assert_eq!(joined["type"], "joined", "{joined}");
    let room = joined["room"]["name"].as_str().unwrap().to_owned();
    assert!(room.starts_with("preflight-"), "{room}");
    assert_eq!(joined["participants"], json!([]));
    // Not a way into the token's room, nor a second first message.
    let others = join(&running, "bob", "r").await;
    send(
        &mut ws,
        json!({"type": "join", "version": 1, "token": token(&running, "alice", "r")}),
    )
    .await;
    expect_error(&mut ws, 53000, false).await;
    // Nobody joins the preflight's room by name.
    let mut mallory = connect(&running).await;
    send(
        &mut mallory,
        json!({"type": "join", "version": 1, "token": token(&running, "mallory", &room)}),
    )
    .await;
    expect_error(&mut mallory, 53106, true).await;
    send(&mut ws, json!({"type": "leave"})).await;
    drop(others);
    running.stop().await;
    let _ = std::fs::remove_dir_all(data_dir);
}

#[tokio::test]
async fn malformed_oversized_and_out_of_order_messages_do_not_end_the_session() {
    let (running, data_dir) = start_server(10).await;
    let mut ws = join(&running, "alice", "room").await;
    let bad: Vec<(Message, u64)> = vec![
        (Message::Text("{\"type\":".into()), 53000),
        (
            Message::Text(json!({"type": "launch_rockets"}).to_string().into()),
            53000,
        ),
        (
            Message::Text(json!({"type": "offer"}).to_string().into()),
            53000,
        ),
        (
            Message::Text(
                json!({"type": "join", "version": 1, "token": "x"})
                    .to_string()
                    .into(),
            ),
            53000,
        ),
        (Message::Binary(vec![0u8; 16].into()), 53000),
        (
            Message::Text(json!({"type": "answer", "sdp": "v=0"}).to_string().into()),
            53000,
        ),
        (
            Message::Text(
                json!({"type": "offer", "sdp": "this is not SDP", "tracks": []})
                    .to_string()
                    .into(),
            ),
            53400,
        ),
        (
            Message::Text(
                json!({"type": "track_enabled", "name": "nope", "enabled": false})
                    .to_string()
                    .into(),
            ),
            53000,
        ),
        (
            Message::Text(
                json!({"type": "ping", "padding": "x".repeat(100 * 1024)})
                    .to_string()
                    .into(),
            ),
            53000,
        ),
    ];
    for (message, code) in bad {
        ws.send(message).await.unwrap();
        expect_error(&mut ws, code, false).await;
    }
    // Still alive.
    send(&mut ws, json!({"type": "ping", "id": 7})).await;
    assert_eq!(
        recv(&mut ws).await.unwrap(),
        json!({"type": "pong", "id": 7})
    );

    // A flood is rate-limited, not fatal.
    for i in 0..200 {
        send(&mut ws, json!({"type": "ping", "id": i})).await;
    }
    let mut limited = 0;
    let mut pongs = 0;
    while limited + pongs < 200 {
        let message = recv(&mut ws).await.expect("still connected");
        match message["type"].as_str() {
            Some("pong") => pongs += 1,
            Some("error") => {
                assert_eq!(message["fatal"], false);
                limited += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(limited > 0 && pongs > 0, "limited {limited}, pongs {pongs}");

    // A frame far over the limit closes the connection, not the server,
    // and says why first (53000, fatal) so it is not taken for a leave.
    let _ = ws.send(Message::Text("y".repeat(300 * 1024).into())).await;
    let refused = expect_error(&mut ws, 53000, true).await;
    assert_eq!(
        refused["message"], "Signaling message too large",
        "{refused}"
    );
    drop(join(&running, "bob", "room").await);
    running.stop().await;
    let _ = std::fs::remove_dir_all(data_dir);
}

#[tokio::test]
async fn room_full_and_duplicate_identity() {
    let (running, data_dir) = start_server(2).await;
    let mut first_alice = join(&running, "alice", "small").await;
    let _bob = join(&running, "bob", "small").await;
    let mut carol = connect(&running).await;
    send(
        &mut carol,
        json!({"type": "join", "version": 1, "token": token(&running, "carol", "small")}),
    )
    .await;
    expect_error(&mut carol, 53105, true).await;
    // Alice again: the new session replaces the old one, which is told.
    let _second_alice = join(&running, "alice", "small").await;
    loop {
        let message = recv(&mut first_alice).await.expect("told before closing");
        if message["type"] == "error" {
            assert_eq!(message["code"], 53205);
            assert_eq!(message["fatal"], true);
            break;
        }
    }
    assert!(recv(&mut first_alice).await.is_none());
    running.stop().await;
    let _ = std::fs::remove_dir_all(data_dir);
}

/// Random bytes and truncated STUN/DTLS/RTP/RTCP at every media worker's
/// port (the call's among them) while a call runs: dropped, and the call
/// goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_datagrams_do_not_disturb_a_call() {
    let (running, data_dir) = start_server(10).await;
    let ws = format!("ws://{}/rtc", running.http_addr);
    let alice = Participant::join(&ws, &token(&running, "alice", "g"), "alice")
        .await
        .unwrap();
    let bob = Participant::join(&ws, &token(&running, "bob", "g"), "bob")
        .await
        .unwrap();

    let media = running.sfu.media_addrs();
    let noise = tokio::spawn(async move {
        let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let mut state = 0x9e37_79b9_u32;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        let stun_header = [0x00, 0x01, 0x00, 0x30, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4];
        for i in 0..3000u32 {
            let len = (next() % 1400) as usize;
            let mut datagram: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            match i % 5 {
                0 => {} // random
                1 => datagram = stun_header[..(i as usize % stun_header.len())].to_vec(),
                2 => datagram.splice(0..0, [22u8, 0xfe, 0xfd]).for_each(drop),
                3 => datagram.splice(0..0, [0x80u8, 96]).for_each(drop),
                _ => datagram.splice(0..0, [0x80u8, 200, 0, 1]).for_each(drop),
            }
            let _ = socket
                .send_to(&datagram, media[i as usize % media.len()])
                .await;
            if i % 100 == 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    });
    let (a, b) = tokio::join!(alice.send_media(1, 150), bob.send_media(1, 150));
    a.unwrap();
    b.unwrap();
    noise.await.unwrap();
    let got = alice
        .collect_media(|got| {
            got.iter()
                .filter(|(k, _)| *k == RtpCodecKind::Audio)
                .count()
                >= 20
        })
        .await
        .unwrap();
    assert!(got.iter().all(|(_, text)| text.starts_with("bob-")));
    let stats = running.sfu.stats().await.unwrap();
    assert!(stats.datagrams_dropped >= 1000, "{stats:?}");
    assert_eq!(stats.participants, 2);
    alice.leave().await;
    bob.leave().await;
    running.stop().await;
    let _ = std::fs::remove_dir_all(data_dir);
}

/// Stopping the server (SIGTERM, Ctrl-C) tells every joined client why —
/// 53001 "the server is restarting", fatal for the session, so SDKs join
/// again — before the connection closes, instead of a bare drop a client
/// cannot tell from a network failure.
#[tokio::test]
async fn a_stopping_server_tells_clients_before_closing() {
    let (running, data_dir) = start_server(4).await;
    let mut alice = join(&running, "alice", "room").await;
    let mut bob = join(&running, "bob", "room").await;
    let stopping = tokio::spawn(running.stop());
    for ws in [&mut alice, &mut bob] {
        // Past any room events already on the way (bob's arrival for alice).
        let message = loop {
            let message = recv(ws).await.expect("told why before the close");
            if message["type"] == "error" {
                break message;
            }
        };
        assert_eq!(message["code"], 53001, "{message}");
        assert_eq!(message["fatal"], true, "{message}");
        assert_eq!(
            message["message"],
            "Signaling connection disconnected: the server is restarting, reconnect",
            "{message}"
        );
        assert!(recv(ws).await.is_none(), "closed after the error");
    }
    stopping.await.unwrap();
    let _ = std::fs::remove_dir_all(data_dir);
}
