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
        signaling::token::unix_now(),
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
    loop {
        let message = next(ws).await.expect("an error before closing");
        if message["type"] == "error" {
            return message;
        }
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
    let told = until_error(&mut bob).await;
    assert_eq!(told["fatal"], true);
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
    let (_, people) = v1(
        &api,
        Method::GET,
        &format!("/Rooms/{sid}/Participants"),
        &[],
        None,
    )
    .await;
    assert_eq!(people["participants"], json!([]));
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
