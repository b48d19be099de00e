//! The Twilio-compatible Rooms REST API, on SQLite and PostgreSQL, against
//! the running SFU: rooms created, listed, completed (participants are
//! disconnected with 53118), participants listed and removed.

mod http_support;

use futures_util::{SinkExt, StreamExt};
use http_support::TestApi;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn v1(
    api: &TestApi,
    method: reqwest::Method,
    path: &str,
    form: &[(&str, &str)],
    secret: Option<&str>,
) -> (StatusCode, Value) {
    let creds = &api.running.as_ref().unwrap().credentials;
    let mut request = api
        .http
        .request(method, format!("{}/v1{path}", api.base))
        .basic_auth(
            &creds.api_key_sid,
            Some(secret.unwrap_or(&creds.api_key_secret)),
        );
    if !form.is_empty() {
        request = request.form(form);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Joins a room over the signaling websocket (no media needed here).
async fn join(api: &TestApi, room: &str, identity: &str) -> (Ws, Value) {
    let running = api.running.as_ref().unwrap();
    let token = signaling::token::mint(
        &running.credentials.account_sid,
        &running.credentials.api_key(),
        identity,
        Some(room),
        600,
        // The server checks tokens on its own (manual) clock.
        api::clock::Clock::unix_now(&api.clock),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/rtc", running.http_addr))
        .await
        .unwrap();
    ws.send(Message::Text(
        json!({"type": "join", "version": 1, "token": token})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    let joined = next(&mut ws).await.expect("joined");
    assert_eq!(joined["type"], "joined", "{joined}");
    (ws, joined)
}

async fn next(ws: &mut Ws) -> Option<Value> {
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .ok()?
        {
            Some(Ok(Message::Text(text))) => return serde_json::from_str(&text).ok(),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => continue,
        }
    }
}

async fn until_error(ws: &mut Ws) -> Value {
    until_type(ws, "error").await
}

/// The next message of `kind`, skipping others.
async fn until_type(ws: &mut Ws, kind: &str) -> Value {
    loop {
        let message = next(ws).await.expect("the message before closing");
        if message["type"] == kind {
            return message;
        }
        assert_ne!(
            message["type"], "error",
            "an error instead of {kind}: {message}"
        );
    }
}

async fn rooms_lifecycle(backend: api::db::Backend) {
    let api = TestApi::start(backend).await;
    use reqwest::Method;

    // Authentication.
    assert_eq!(
        v1(&api, Method::GET, "/Rooms", &[], Some("wrong-secret"))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        api.http
            .get(format!("{}/v1/Rooms", api.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );

    // Create.
    let (status, room) = v1(
        &api,
        Method::POST,
        "/Rooms",
        &[("UniqueName", "group-therapy"), ("MaxParticipants", "4")],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{room}");
    let sid = room["sid"].as_str().unwrap().to_owned();
    assert!(sid.starts_with("RM") && sid.len() == 34);
    assert_eq!(room["status"], "in-progress");
    assert_eq!(room["unique_name"], "group-therapy");
    assert_eq!(room["max_participants"], 4);
    assert_eq!(room["type"], "group");
    assert_eq!(room["url"], format!("http://127.0.0.1:8080/v1/Rooms/{sid}"));
    let (status, again) = v1(
        &api,
        Method::POST,
        "/Rooms",
        &[("UniqueName", "group-therapy")],
        None,
    )
    .await;
    assert_eq!(
        (status, again["code"].clone()),
        (StatusCode::BAD_REQUEST, json!(53113))
    );
    for bad in [
        [("MaxParticipants", "0")],
        [("Type", "party")],
        [("StatusCallback", "ftp://x")],
        [("UniqueName", "no spaces")],
    ] {
        let (status, err) = v1(&api, Method::POST, "/Rooms", &bad, None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    }
    let (status, _) = v1(&api, Method::POST, "/Rooms", &[("Unknown", "x")], None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Fetch by sid or name; list with filters.
    assert_eq!(
        v1(&api, Method::GET, &format!("/Rooms/{sid}"), &[], None)
            .await
            .1["sid"],
        sid.as_str()
    );
    assert_eq!(
        v1(&api, Method::GET, "/Rooms/group-therapy", &[], None)
            .await
            .1["sid"],
        sid.as_str()
    );
    assert_eq!(
        v1(&api, Method::GET, "/Rooms/RMnope", &[], None).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, listed) = v1(&api, Method::GET, "/Rooms?Status=in-progress", &[], None).await;
    assert_eq!(listed["rooms"].as_array().unwrap().len(), 1);
    assert_eq!(listed["meta"]["key"], "rooms");

    // The SFU uses the API's sid; participants show up and can be removed.
    let (mut alice, joined) = join(&api, "group-therapy", "alice").await;
    assert_eq!(joined["room"]["sid"], sid.as_str());
    let (mut bob, _) = join(&api, "group-therapy", "bob").await;
    let (_, people) = v1(
        &api,
        Method::GET,
        &format!("/Rooms/{sid}/Participants"),
        &[],
        None,
    )
    .await;
    let mut identities: Vec<&str> = people["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["identity"].as_str().unwrap())
        .collect();
    identities.sort();
    assert_eq!(identities, ["alice", "bob"]);
    let (status, one) = v1(
        &api,
        Method::GET,
        &format!("/Rooms/{sid}/Participants/bob"),
        &[],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["status"], "connected");
    let (status, err) = v1(
        &api,
        Method::POST,
        &format!("/Rooms/{sid}/Participants/bob"),
        &[("Status", "connected")],
        None,
    )
    .await;
    assert_eq!(
        (status, err["code"].clone()),
        (StatusCode::BAD_REQUEST, json!(53209))
    );
    // Join times are recorded from the SFU's events, a moment after the join.
    testkit::wait::until("bob's join time recorded", || async {
        let (_, bob_now) = v1(
            &api,
            Method::GET,
            &format!("/Rooms/{sid}/Participants/bob"),
            &[],
            None,
        )
        .await;
        bob_now["start_time"].is_string().then_some(())
    })
    .await
    .unwrap();
    let (status, kicked) = v1(
        &api,
        Method::POST,
        &format!("/Rooms/{sid}/Participants/bob"),
        &[("Status", "disconnected")],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{kicked}");
    assert_eq!(kicked["status"], "disconnected");
    // Removal is not an error (Twilio's SDK disconnects with none) and not
    // a shutdown (53001, after which SDKs rejoin): it has its own message.
    let told = until_type(&mut bob, "disconnected").await;
    assert_eq!(told, json!({"type": "disconnected", "reason": "removed"}));
    assert!(
        kicked["start_time"].is_string() && kicked["end_time"].is_string(),
        "{kicked}"
    );
    let gone = loop {
        let m = next(&mut alice).await.unwrap();
        if m["type"] == "participant_disconnected" {
            break m;
        }
    };
    assert_eq!(gone["identity"], "bob");

    // Completing the room disconnects everyone with 53118.
    let (status, done) = v1(
        &api,
        Method::POST,
        &format!("/Rooms/{sid}"),
        &[("Status", "completed")],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "completed");
    assert!(done["end_time"].is_string() && done["duration"].is_number());
    assert_eq!(until_error(&mut alice).await["code"], 53118);
    // Over: nobody is connected; both are listed as they left, with times.
    let path = format!("/Rooms/{sid}/Participants");
    let (_, connected) = v1(
        &api,
        Method::GET,
        &format!("{path}?Status=connected"),
        &[],
        None,
    )
    .await;
    assert_eq!(connected["participants"], json!([]));
    let (_, people) = v1(&api, Method::GET, &path, &[], None).await;
    let people = people["participants"].as_array().unwrap().clone();
    assert_eq!(people.len(), 2, "{people:?}");
    for p in &people {
        assert_eq!(p["status"], "disconnected");
        assert!(
            p["start_time"].is_string() && p["end_time"].is_string() && p["duration"].is_number(),
            "{p}"
        );
    }
    let (status, err) = v1(
        &api,
        Method::POST,
        &format!("/Rooms/{sid}"),
        &[("Status", "completed")],
        None,
    )
    .await;
    assert_eq!(
        (status, err["code"].clone()),
        (StatusCode::BAD_REQUEST, json!(53112))
    );
    // The name is free again once the room is over.
    let (status, _) = v1(
        &api,
        Method::POST,
        "/Rooms",
        &[("UniqueName", "group-therapy")],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    api.stop().await;
}

async fn appointment_rooms_are_rooms(backend: api::db::Backend) {
    let api = TestApi::start(backend).await;
    let admin = api.admin().await;
    let (_, patient) = api.user(&admin, "p@clinic.test", "patient").await;
    let (doctor_id, _) = api.user(&admin, "d@clinic.test", "psychologist").await;
    let when = (api.now() + chrono::Duration::minutes(10)).to_rfc3339();
    let (status, a) = api
        .post(
            "/api/appointments/",
            Some(&patient),
            json!({"psychologist_id": doctor_id, "appointment_date": when}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let name = a["video_room_id"].as_str().unwrap().to_owned();
    let (status, room) = v1(
        &api,
        reqwest::Method::GET,
        &format!("/Rooms/{name}"),
        &[],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{room}");
    let (_, created) = api
        .call(
            reqwest::Method::POST,
            &format!("/api/appointments/video-room/{}/", a["id"]),
            Some(&patient),
            None,
        )
        .await;
    assert_eq!(
        created["room_sid"], room["sid"],
        "one sid for the appointment and the REST room"
    );
    let (_ws, joined) = join(&api, &name, "1-p@clinic.test").await;
    assert_eq!(
        joined["room"]["sid"], room["sid"],
        "and the SFU uses it too"
    );
    api.stop().await;
}

on_both_databases!(rooms_lifecycle, appointment_rooms_are_rooms);

/// (X-Twilio-Signature, form parameters) of each accepted callback.
type Accepted = std::sync::Arc<std::sync::Mutex<Vec<(String, Vec<(String, String)>)>>>;

/// A receiver that can be down (503) or up, recording what it accepted.
struct Receiver {
    url: String,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    got: Accepted,
    attempts: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

async fn receiver() -> Receiver {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let up = Arc::new(AtomicBool::new(false));
    let got: Accepted = Arc::default();
    let attempts = Arc::new(AtomicUsize::new(0));
    let (up2, got2, attempts2) = (up.clone(), got.clone(), attempts.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let (up, got, attempts) = (up2.clone(), got2.clone(), attempts2.clone());
            async move {
                attempts.fetch_add(1, Ordering::SeqCst);
                if !up.load(Ordering::SeqCst) {
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
                let signature = headers
                    .get("x-twilio-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let params: Vec<(String, String)> = url_pairs(&body);
                got.lock().unwrap().push((signature, params));
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Receiver {
        url,
        up,
        got,
        attempts,
    }
}

fn url_pairs(body: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://x/?{body}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> &'a str {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

async fn status_callbacks_survive_a_receiver_outage_in_order(backend: api::db::Backend) {
    use std::sync::atomic::Ordering;
    let api = TestApi::start(backend).await;
    let hook = receiver().await;
    let (status, room) = v1(
        &api,
        reqwest::Method::POST,
        "/Rooms",
        &[
            ("UniqueName", "hooked"),
            ("StatusCallback", hook.url.as_str()),
        ],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{room}");
    let sid = room["sid"].as_str().unwrap().to_owned();
    let (_alice, _) = join(&api, "hooked", "alice").await;
    let (bob, _) = join(&api, "hooked", "bob").await;
    drop(bob); // bob's connection drops: participant-disconnected
    let db = &api.running.as_ref().unwrap().db;
    testkit::wait::eventually("bob's leaving recorded", || async {
        count(
            db,
            "SELECT COUNT(*) FROM room_participants WHERE room_sid = $1 AND identity = 'bob' AND status = 'disconnected'",
            &sid,
        )
        .await
            == 1
    })
    .await;
    let (status, _) = v1(
        &api,
        reqwest::Method::POST,
        &format!("/Rooms/{sid}"),
        &[("Status", "completed")],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // The receiver is down: attempts fail and are retried later.
    testkit::wait::eventually("a delivery attempted", || async {
        hook.attempts.load(Ordering::SeqCst) >= 1
    })
    .await;
    assert!(hook.got.lock().unwrap().is_empty());

    // Back up a minute later (the API's clock moves; the backoff expires).
    hook.up.store(true, Ordering::SeqCst);
    let mut last_advance = std::time::Instant::now() - std::time::Duration::from_secs(1);
    testkit::wait::until("callbacks delivered", || {
        // A minute on the API's clock now and then (each lets a backoff
        // expire), not at every look.
        if last_advance.elapsed() >= std::time::Duration::from_millis(300) {
            api.clock.advance(chrono::Duration::seconds(61));
            api.running.as_ref().unwrap().callback_wake.notify_one();
            last_advance = std::time::Instant::now();
        }
        let done = hook
            .got
            .lock()
            .unwrap()
            .iter()
            .any(|(_, p)| param(p, "StatusCallbackEvent") == "room-ended");
        async move { done.then_some(()) }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}: {:?}", hook.got.lock().unwrap()));
    let got = hook.got.lock().unwrap().clone();
    let events: Vec<&str> = got
        .iter()
        .map(|(_, p)| param(p, "StatusCallbackEvent"))
        .collect();
    assert_eq!(
        events,
        [
            "room-created",
            "participant-connected",
            "participant-connected",
            "participant-disconnected",
            "participant-disconnected",
            "room-ended"
        ],
        "every event, in order"
    );
    for (n, (signature, params)) in got.iter().enumerate() {
        assert_eq!(param(params, "SequenceNumber"), n.to_string());
        assert_eq!(param(params, "RoomSid"), sid);
        assert_eq!(param(params, "RoomName"), "hooked");
        // Checked by Twilio's own validator (twilio-python).
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/interop/twilio_tokens.py"
        );
        let secret = &api.running.as_ref().unwrap().credentials.api_key_secret;
        let ok = std::process::Command::new("python3")
            .args([
                script,
                "validate",
                secret,
                &hook.url,
                signature,
                &serde_json::to_string(params).unwrap(),
            ])
            .status()
            .unwrap()
            .success();
        assert!(ok, "signature of event {n} rejected by twilio-python");
    }
    assert_eq!(param(&got[1].1, "ParticipantIdentity"), "alice");
    api.stop().await;
}

on_both_databases!(status_callbacks_survive_a_receiver_outage_in_order);

async fn wait_for_status(api: &TestApi, room: &str, status: &str) {
    let room_status = || async {
        let (_, r) = v1(
            api,
            reqwest::Method::GET,
            &format!("/Rooms/{room}"),
            &[],
            None,
        )
        .await;
        r["status"].clone()
    };
    if let Err(e) = testkit::wait::until(&format!("{room} {status}"), || async {
        (room_status().await == status).then_some(())
    })
    .await
    {
        panic!("{e}: still {}", room_status().await);
    }
}

/// One count from the server's database.
async fn count(db: &api::db::Db, sql: &str, bind: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(bind.to_owned())
        .fetch_one(db)
        .await
        .unwrap()
}

/// Rooms end by themselves like Twilio's: after EmptyRoomTimeout once
/// emptied, after UnusedRoomTimeout when nobody came; appointment rooms not
/// before their join window closes.
async fn idle_rooms_end_by_themselves(backend: api::db::Backend) {
    let api = TestApi::start(backend).await;
    let admin = api.admin().await;
    let (_, patient) = api.user(&admin, "p@clinic.test", "patient").await;
    let (doctor_id, _) = api.user(&admin, "d@clinic.test", "psychologist").await;
    let when = (api.now() + chrono::Duration::minutes(10)).to_rfc3339();
    let (_, a) = api
        .post(
            "/api/appointments/",
            Some(&patient),
            json!({"psychologist_id": doctor_id, "appointment_date": when}),
        )
        .await;
    let appointment_room = a["video_room_id"].as_str().unwrap().to_owned();
    let form = [("EmptyRoomTimeout", "1"), ("UnusedRoomTimeout", "1")];
    let (_, used) = v1(
        &api,
        reqwest::Method::POST,
        "/Rooms",
        &[&form[..], &[("UniqueName", "used")]].concat(),
        None,
    )
    .await;
    let (_, unused) = v1(
        &api,
        reqwest::Method::POST,
        "/Rooms",
        &[("UniqueName", "unused"), ("UnusedRoomTimeout", "2")],
        None,
    )
    .await;
    let (ws, _) = join(&api, "used", "alice").await;
    drop(ws);
    // The room counts as empty from when the server saw alice leave.
    let db = &api.running.as_ref().unwrap().db;
    testkit::wait::eventually("the room noticed empty", || async {
        count(
            db,
            "SELECT COUNT(*) FROM rooms WHERE unique_name = $1 AND ever_joined = 1 AND empty_since IS NOT NULL",
            "used",
        )
        .await
            == 1
    })
    .await;

    api.clock.advance(chrono::Duration::seconds(61));
    wait_for_status(&api, used["sid"].as_str().unwrap(), "completed").await;
    let (_, still) = v1(&api, reqwest::Method::GET, "/Rooms/unused", &[], None).await;
    assert_eq!(
        still["status"], "in-progress",
        "unused for only a minute of two"
    );

    api.clock.advance(chrono::Duration::seconds(60));
    wait_for_status(&api, unused["sid"].as_str().unwrap(), "completed").await;
    let (_, appointment) = v1(
        &api,
        reqwest::Method::GET,
        &format!("/Rooms/{appointment_room}"),
        &[],
        None,
    )
    .await;
    assert_eq!(
        appointment["status"], "in-progress",
        "the appointment has not even started"
    );
    api.stop().await;
}

on_both_databases!(idle_rooms_end_by_themselves);
