//! Room status callbacks, Twilio-style: `room-created`, `room-ended`,
//! `participant-connected`/`-disconnected`, `track-added`/`-removed`/
//! `-enabled`/`-disabled`, form-encoded with Twilio's parameter names and
//! signed with `X-Twilio-Signature`.
//!
//! Events are written to a [durable queue](crate::queue) (`room_callbacks`)
//! first, numbered per room; its runner delivers each room's events
//! strictly in order, retrying with exponential backoff, so a receiver that
//! is down for a while still gets every event, in order, once it is back.
//! Two processes on one database never deliver the same event twice.

use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use sfu::signal::{RoomEvent, RoomEventKind};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::warn;

use crate::db::Db;
use crate::model::audit::{self, About, Action, Actor};
use crate::model::rooms::{self, RoomRow};
use crate::model::time::rfc3339;
use crate::queue::runner::{Handled, Job, RetryPolicy, Runner, RunnerConfig};
use crate::queue::{DurableQueue, QueueTable};
use crate::state::AppState;

/// The `room_callbacks` table as a queue: each room's events strictly in
/// order of their sequence number.
pub static ROOM_CALLBACKS: QueueTable = QueueTable {
    name: "room_callbacks",
    ordered: Some(("room_sid", "sequence")),
};
/// How the callback queue runs: a receiver gets 10 s to answer; retries
/// back off from 1 s doubling to 60 s, 25 attempts (about 20 minutes) before
/// a callback is dead-lettered.
const RUNNER: RunnerConfig = RunnerConfig {
    lease: chrono::Duration::seconds(30),
    max_in_flight: 16,
    retry: RetryPolicy {
        base_secs: 1,
        max_secs: 60,
        max_attempts: 25,
    },
};
const TIMEOUT: Duration = Duration::from_secs(10);

/// Twilio's request signature: base64(HMAC-SHA1(key, url + the POST
/// parameters sorted by name, each as name then value)).
pub fn signature(key: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut data = url.to_owned();
    for (name, value) in sorted {
        data.push_str(name);
        data.push_str(value);
    }
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key.as_bytes());
    base64::engine::general_purpose::STANDARD
        .encode(ring::hmac::sign(&key, data.as_bytes()).as_ref())
}

/// Starts the recorder (SFU events → queue) and the queue's runner.
pub fn spawn(
    state: AppState,
    mut events: mpsc::UnboundedReceiver<RoomEvent>,
) -> anyhow::Result<[JoinHandle<()>; 2]> {
    let client = reqwest::Client::builder().timeout(TIMEOUT).build()?;
    let recorder_state = state.clone();
    let recorder = tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if let Err(err) = record_event(&recorder_state, &event).await {
                warn!(error = %err, room = %event.room, "could not queue a status callback");
            }
        }
    });
    let queue = DurableQueue::new(state.db.clone(), state.backend, &ROOM_CALLBACKS);
    let job = CallbackJob {
        db: state.db.clone(),
        client,
        key: state.credentials.api_key_secret.clone(),
    };
    let runner = Runner::spawn(
        queue,
        job,
        state.clock.clone(),
        state.callback_wake.clone(),
        RUNNER,
    );
    Ok([recorder, runner])
}

/// Returns once no callback is waiting for its first attempt or being
/// sent: a stopping server waits for this, bounded by its deadline, so the
/// callbacks of the calls it just closed go out before it exits. Callbacks
/// already backing off after a failure are left to the next run.
pub async fn settled(state: &AppState) {
    loop {
        let now = state.clock.now().timestamp();
        let owed: sqlx::Result<i64> = sqlx::query_scalar(
            "SELECT COUNT(*) FROM room_callbacks \
             WHERE (state = 'pending' AND attempts = 0 AND next_attempt_at <= $1) \
             OR (state = 'sending' AND attempts = 0)",
        )
        .bind(now)
        .fetch_one(&state.db)
        .await;
        match owed {
            Ok(0) => return,
            Ok(_) => state.callback_wake.notify_one(),
            Err(err) => warn!(error = %err, "could not count the callbacks still owed"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Queues `room-created` for a room made through the REST API.
pub async fn record_room_created(state: &AppState, room: &RoomRow) -> sqlx::Result<()> {
    let params = base_params(state, room, "room-created");
    enqueue(state, room, params).await
}

/// Queues `room-ended` for a room the SFU never saw (nobody joined).
pub async fn record_room_ended(state: &AppState, room: &RoomRow) -> sqlx::Result<()> {
    let mut params = base_params(state, room, "room-ended");
    set(&mut params, "RoomStatus", "completed");
    enqueue(state, room, params).await
}

/// Queues `participant-disconnected` for a participant a dead process left
/// connected ([`rooms::reconcile`]).
pub async fn record_participant_disconnected(
    state: &AppState,
    room: &RoomRow,
    sid: &str,
    identity: &str,
) -> sqlx::Result<()> {
    let mut params = base_params(state, room, "participant-disconnected");
    push_participant(&mut params, sid, identity, "disconnected");
    enqueue(state, room, params).await
}

fn push_participant(params: &mut Vec<(String, String)>, sid: &str, identity: &str, status: &str) {
    params.push(("ParticipantSid".into(), sid.into()));
    params.push(("ParticipantIdentity".into(), identity.into()));
    params.push(("ParticipantStatus".into(), status.into()));
}

fn set(params: &mut [(String, String)], name: &str, value: &str) {
    if let Some(entry) = params.iter_mut().find(|(k, _)| k == name) {
        entry.1 = value.to_owned();
    }
}

/// A join or leave in an appointment's room, for the audit log.
async fn audit_visit(
    state: &AppState,
    room_name: &str,
    (identity, ip): (&str, Option<std::net::IpAddr>),
    action: Action,
) -> sqlx::Result<()> {
    let appointment: Option<i64> =
        sqlx::query_scalar("SELECT id FROM appointments WHERE video_room_id = $1")
            .bind(room_name)
            .fetch_optional(&state.db)
            .await?;
    if let Some(id) = appointment {
        let about = About {
            appointment_id: Some(id),
            ..About::default()
        };
        audit::record(
            &state.db,
            state.clock.now(),
            Actor::Participant(identity, ip),
            action,
            about,
        )
        .await;
    }
    Ok(())
}

async fn record_event(state: &AppState, event: &RoomEvent) -> sqlx::Result<()> {
    let Some(room) = rooms::find(&state.db, &event.room_sid).await? else {
        return Ok(()); // an ad-hoc room: nobody asked for callbacks
    };
    match (event.kind, &event.participant) {
        (RoomEventKind::ParticipantConnected, Some((sid, identity))) => {
            rooms::note_occupancy(state, &room.sid, &room.unique_name, true).await?;
            rooms::note_participant(state, &room.sid, sid, identity, true).await?;
            let who = (identity.as_str(), event.participant_ip);
            audit_visit(state, &room.unique_name, who, Action::Joined).await?;
        }
        (RoomEventKind::ParticipantDisconnected, Some((sid, identity))) => {
            rooms::note_participant(state, &room.sid, sid, identity, false).await?;
            rooms::note_occupancy(state, &room.sid, &room.unique_name, false).await?;
            let who = (identity.as_str(), event.participant_ip);
            audit_visit(state, &room.unique_name, who, Action::Left).await?;
        }
        _ => {}
    }
    let mut params = base_params(state, &room, event.kind.twilio_name());
    if event.kind == RoomEventKind::RoomEnded {
        set(&mut params, "RoomStatus", "completed");
    }
    if let Some((sid, identity)) = &event.participant {
        let status = if event.kind == RoomEventKind::ParticipantDisconnected {
            "disconnected"
        } else {
            "connected"
        };
        push_participant(&mut params, sid, identity, status);
    }
    if let Some(track) = &event.track {
        params.push(("TrackSid".into(), track.sid.clone()));
        params.push(("TrackName".into(), track.name.clone()));
        let kind = match track.kind {
            sfu::signal::TrackKind::Audio => "audio",
            sfu::signal::TrackKind::Video => "video",
            sfu::signal::TrackKind::Data => "data",
        };
        params.push(("TrackKind".into(), kind.into()));
    }
    if event.kind == RoomEventKind::RoomEnded {
        let now = state.clock.now().timestamp();
        params.push((
            "RoomDuration".into(),
            (now - room.created_at).max(0).to_string(),
        ));
    }
    enqueue(state, &room, params).await
}

fn base_params(state: &AppState, room: &RoomRow, event: &str) -> Vec<(String, String)> {
    vec![
        ("AccountSid".into(), state.credentials.account_sid.clone()),
        ("RoomName".into(), room.unique_name.clone()),
        ("RoomSid".into(), room.sid.clone()),
        ("RoomStatus".into(), room.status.clone()),
        ("RoomType".into(), room.room_type.clone()),
        ("StatusCallbackEvent".into(), event.into()),
        ("Timestamp".into(), rfc3339(state.clock.now())),
    ]
}

async fn enqueue(
    state: &AppState,
    room: &RoomRow,
    mut params: Vec<(String, String)>,
) -> sqlx::Result<()> {
    let Some(url) = room.status_callback.clone() else {
        return Ok(());
    };
    let now = state.clock.now().timestamp();
    // One writer per process; a unique (room, sequence) guards two
    // processes sharing a database — the loser retries with the next one.
    for _ in 0..5 {
        let sequence: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(sequence), -1) + 1 FROM room_callbacks WHERE room_sid = $1",
        )
        .bind(&room.sid)
        .fetch_one(&state.db)
        .await?;
        params.retain(|(name, _)| name != "SequenceNumber");
        params.push(("SequenceNumber".into(), sequence.to_string()));
        let encoded = serde_json::to_string(&params).expect("strings serialize");
        let inserted = sqlx::query(
            "INSERT INTO room_callbacks (room_sid, sequence, url, method, params, state, next_attempt_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6, $6)",
        )
        .bind(&room.sid)
        .bind(sequence)
        .bind(&url)
        .bind(&room.status_callback_method)
        .bind(encoded)
        .bind(now)
        .execute(&state.db)
        .await;
        match inserted {
            Ok(_) => {
                state.callback_wake.notify_one();
                return Ok(());
            }
            Err(sqlx::Error::Database(err)) if err.is_unique_violation() => continue,
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

/// A claimed callback.
#[derive(sqlx::FromRow)]
pub struct DueCallback {
    id: i64,
    url: String,
    method: String,
    params: String,
    attempts: i64,
}

/// Status callbacks as a [`Job`] of the durable queue: one signed request
/// each; any failure is retried (receivers are often briefly down).
struct CallbackJob {
    db: Db,
    client: reqwest::Client,
    /// Signs `X-Twilio-Signature`.
    key: String,
}

impl Job for CallbackJob {
    type Row = DueCallback;
    const NAME: &'static str = "status callbacks";

    async fn load(&self, token: &str) -> sqlx::Result<Vec<DueCallback>> {
        sqlx::query_as(
            "SELECT id, url, method, params, attempts FROM room_callbacks \
             WHERE lease_owner = $1 AND state = 'sending' ORDER BY id",
        )
        .bind(token)
        .fetch_all(&self.db)
        .await
    }

    fn id(row: &DueCallback) -> i64 {
        row.id
    }

    fn attempts(row: &DueCallback) -> i64 {
        row.attempts
    }

    async fn handle(&self, row: &DueCallback, _now: DateTime<Utc>) -> Handled {
        let params: Vec<(String, String)> = serde_json::from_str(&row.params).unwrap_or_default();
        match send(&self.client, &self.key, &row.url, &row.method, &params).await {
            Ok(()) => Handled::Sent(Vec::new()),
            Err(error) => Handled::Transient(error),
        }
    }
}

async fn send(
    client: &reqwest::Client,
    key: &str,
    url: &str,
    method: &str,
    params: &[(String, String)],
) -> Result<(), String> {
    let request = if method == "GET" {
        let full = reqwest::Url::parse_with_params(url, params).map_err(|e| e.to_string())?;
        let signed = signature(key, full.as_str(), &[]);
        client.get(full).header("X-Twilio-Signature", signed)
    } else {
        client
            .post(url)
            .header("X-Twilio-Signature", signature(key, url, params))
            .form(params)
    };
    match request.send().await {
        Ok(response) if response.status().is_success() => Ok(()),
        Ok(response) => Err(format!("HTTP {}", response.status())),
        Err(err) => Err(err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example from Twilio's security documentation ("Validating
    /// Requests are coming from Twilio"), with its auth token, URL, POST
    /// parameters and expected signature.
    #[test]
    fn matches_twilios_published_example() {
        let params: Vec<(String, String)> = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            signature(
                "12345",
                "https://mycompany.com/myapp.php?foo=1&bar=2",
                &params
            ),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        );
    }
}
