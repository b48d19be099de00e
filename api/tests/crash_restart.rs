//! A server stopped mid-call leaves nothing stale: the `confide` binary is
//! killed (SIGKILL) with two people in a call, and started again on the same
//! media socket. Before it serves, both participants are `disconnected`
//! with an end time in the database and in the REST API, the
//! `participant-disconnected` callbacks the dead run owed arrive, and the
//! now-empty room ends by its `EmptyRoomTimeout` with `room-ended`. Then a
//! SIGTERM mid-call: the process drains — every participant is told it is
//! restarting (53001, so SDKs reconnect), `/readyz` answers 503 and a new
//! join gets 53001 while it stops, and before exiting it closes its
//! participants and sends the callbacks owed.

mod http_support;
mod process_support;

use std::path::{Path, PathBuf};

use api::db::Backend;
use process_support::{
    ACCOUNT_SID, API_KEY_SECRET, API_KEY_SID, CallbackReceiver, Confide, Store, http_addr,
};
use serde_json::Value;
use testkit::participant::Participant;

fn config_file(store: &Store) -> PathBuf {
    let tokens = format!(
        "[tokens]\naccount_sid = \"{ACCOUNT_SID}\"\napi_key_sid = \"{API_KEY_SID}\"\napi_key_secret = \"{API_KEY_SECRET}\"\n\
         [shutdown]\ndeadline_secs = 600\n"
    );
    process_support::config_file(store, "https://clinic.test", &tokens)
}

/// UDP ports free now, for every run of the test's server to bind.
fn free_media_address() -> String {
    testkit::udp::free_port_range().to_string()
}

fn token(identity: &str, room: &str) -> String {
    let key = signaling::token::ApiKey {
        sid: API_KEY_SID.into(),
        secret: API_KEY_SECRET.into(),
    };
    signaling::token::mint(
        ACCOUNT_SID,
        &key,
        identity,
        Some(room),
        600,
        signaling::token::unix_now(),
    )
}

async fn rest(method: reqwest::Method, addr: &str, path: &str, form: &[(&str, &str)]) -> Value {
    reqwest::Client::new()
        .request(method, format!("http://{addr}{path}"))
        .basic_auth(API_KEY_SID, Some(API_KEY_SECRET))
        .form(form)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn create_room(addr: &str, name: &str, hook: &str) -> String {
    let room = rest(
        reqwest::Method::POST,
        addr,
        "/v1/Rooms",
        &[("UniqueName", name), ("StatusCallback", hook)],
    )
    .await;
    room["sid"].as_str().unwrap().to_owned()
}

/// Two participants in `room`, each announced to the callback receiver.
async fn join(addr: &str, room: &str, who: &[&str], hook: &CallbackReceiver) -> Vec<Participant> {
    let ws = format!("ws://{addr}/rtc");
    let mut joined = Vec::new();
    for identity in who {
        let participant = Participant::join(&ws, &token(identity, room), identity)
            .await
            .unwrap();
        let sid = participant.sid.clone();
        hook.wait_for("participant-connected", |p| p["ParticipantSid"] == sid)
            .await;
        joined.push(participant);
    }
    joined
}

/// (sid, status, start, end) of a room's recorded participants.
async fn recorded(url: &str, room_sid: &str) -> Vec<(String, String, i64, Option<i64>)> {
    let db = api::db::connect(url).await.unwrap();
    let rows = sqlx::query_as(
        "SELECT sid, status, start_time, end_time FROM room_participants WHERE room_sid = $1 ORDER BY sid",
    )
    .bind(room_sid)
    .fetch_all(&db)
    .await
    .unwrap();
    db.close().await;
    rows
}

fn assert_closed(rows: &[(String, String, i64, Option<i64>)], count: usize) {
    assert_eq!(rows.len(), count, "{rows:?}");
    for (sid, status, start, end) in rows {
        assert_eq!(status, "disconnected", "{sid}: {rows:?}");
        let end = end.unwrap_or_else(|| panic!("{sid} has no end time"));
        assert!(end >= *start, "{sid} ended before it started: {rows:?}");
    }
}

async fn sql(url: &str, statement: &str, room_sid: &str) {
    let db = api::db::connect(url).await.unwrap();
    sqlx::query(statement)
        .bind(room_sid)
        .execute(&db)
        .await
        .unwrap();
    db.close().await;
}

fn log(store: &Store, run: &str) -> PathBuf {
    store.dir.join(format!("{run}.log"))
}

async fn run(config: &Path, log: &Path, media: &str) -> (Confide, String) {
    let process = Confide::spawn_on(config, log, media);
    let addr = http_addr(log).await;
    (process, addr)
}

async fn a_killed_call_is_closed_at_restart(backend: Backend) {
    let store = Store::new(backend).await;
    let hook = CallbackReceiver::start().await;
    let config = config_file(&store);
    let media = free_media_address();

    let (first, addr) = run(&config, &log(&store, "first"), &media).await;
    let room_sid = create_room(&addr, "consultation", &hook.url).await;
    let people = join(&addr, "consultation", &["dr-smith", "ana"], &hook).await;
    first.kill();
    drop(people);
    let left = recorded(&store.url, &room_sid).await;
    assert!(
        left.iter().all(|(_, status, _, _)| status == "connected"),
        "the kill left them connected: {left:?}"
    );

    // The restart on the same media socket closes them before it serves.
    let (second, addr) = run(&config, &log(&store, "second"), &media).await;
    assert_closed(&recorded(&store.url, &room_sid).await, 2);
    for (sid, _, _, _) in &left {
        let callback = hook
            .wait_for("participant-disconnected", |p| &p["ParticipantSid"] == sid)
            .await;
        assert_eq!(callback["ParticipantStatus"], "disconnected");
        assert_eq!(callback["RoomSid"], room_sid);
    }
    let listed = rest(
        reqwest::Method::GET,
        &addr,
        &format!("/v1/Rooms/{room_sid}/Participants?Status=disconnected"),
        &[],
    )
    .await;
    let listed = listed["participants"].as_array().unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(
        listed.iter().all(|p| p["end_time"].is_string()),
        "{listed:?}"
    );
    let connected = rest(
        reqwest::Method::GET,
        &addr,
        &format!("/v1/Rooms/{room_sid}/Participants?Status=connected"),
        &[],
    )
    .await;
    assert_eq!(connected["participants"], serde_json::json!([]));

    // The room is empty now: once its EmptyRoomTimeout has passed (the
    // test moves the time it emptied back rather than waiting), it ends.
    sql(
        &store.url,
        "UPDATE rooms SET empty_since = empty_since - 3600 WHERE sid = $1 AND empty_since IS NOT NULL",
        &room_sid,
    )
    .await;
    hook.wait_for("room-ended", |p| p["RoomSid"] == room_sid)
        .await;
    let room = rest(
        reqwest::Method::GET,
        &addr,
        &format!("/v1/Rooms/{room_sid}"),
        &[],
    )
    .await;
    assert_eq!(room["status"], "completed");

    // SIGTERM mid-call: the process drains. Callbacks are held unanswered
    // so the stop (whose deadline is far off) can be watched.
    let room_sid = create_room(&addr, "second-session", &hook.url).await;
    let people = join(&addr, "second-session", &["carol", "dave"], &hook).await;
    hook.hold();
    second.send_sigterm();
    for person in &people {
        let told = person
            .wait_signal("error", |m| m["fatal"] == true)
            .await
            .unwrap();
        assert_eq!(told["code"], 53001, "{told}");
        assert!(
            told["message"].as_str().unwrap().contains("restarting"),
            "{told}"
        );
    }
    let ready = reqwest::get(format!("http://{addr}/readyz")).await.unwrap();
    assert_eq!(ready.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    let mut late = testkit::signaling::connect(&format!("ws://{addr}/rtc"))
        .await
        .unwrap();
    let refused = testkit::signaling::join(&mut late, &token("erin", "second-session"), None)
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("53001"), "{refused}");
    hook.release();
    assert!(second.exited().await.success(), "a clean exit on SIGTERM");
    // Before exiting, it recorded both departures and sent their callbacks.
    assert_closed(&recorded(&store.url, &room_sid).await, 2);
    for person in &people {
        assert!(
            hook.has("participant-disconnected", |p| p["ParticipantSid"]
                == person.sid),
            "{}'s callback was sent before the exit: {:?}",
            person.identity,
            hook.got.lock().unwrap()
        );
    }
    drop(people);
    let (third, _) = run(&config, &log(&store, "third"), &media).await;
    let db = api::db::connect(&store.url).await.unwrap();
    let runs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM server_runs")
        .fetch_one(&db)
        .await
        .unwrap();
    db.close().await;
    assert_eq!(runs, 1, "only the live run is remembered");
    drop(third);
    store.drop_all().await;
}

on_both_databases!(a_killed_call_is_closed_at_restart);
