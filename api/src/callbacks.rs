//! Room status callbacks, Twilio-style: `room-created`, `room-ended`,
//! `participant-connected`/`-disconnected`, `track-added`/`-removed`/
//! `-enabled`/`-disabled`, form-encoded with Twilio's parameter names and
//! signed with `X-Twilio-Signature`.
//!
//! Events are written to a durable queue (`room_callbacks`) first, numbered
//! per room; a dispatcher delivers each room's events strictly in order,
//! retrying with exponential backoff, so a receiver that is down for a while
//! still gets every event, in order, once it is back.

use std::time::Duration;

use base64::Engine;
use sfu::signal::{RoomEvent, RoomEventKind};
use tokio::sync::mpsc;
use tracing::{debug, warn};

use crate::db::Db;
use crate::http::AppState;
use crate::http::appointments::rfc3339;
use crate::http::rooms_v1::{self, RoomRow};

/// How often the dispatcher looks for due callbacks.
const POLL: Duration = Duration::from_millis(200);
/// Attempts before a callback is given up (backoff 1 s doubling to 60 s:
/// about 20 minutes in all).
const MAX_ATTEMPTS: i64 = 25;
const TIMEOUT: Duration = Duration::from_secs(10);
/// How often rooms past their empty/unused timeout are ended.
const REAP_EVERY: Duration = Duration::from_secs(1);

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

/// Starts the recorder (SFU events → queue) and the dispatcher.
pub fn spawn(state: AppState, mut events: mpsc::UnboundedReceiver<RoomEvent>) {
    let recorder_state = state.clone();
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if let Err(err) = record_event(&recorder_state, &event).await {
                warn!(error = %err, room = %event.room, "could not queue a status callback");
            }
        }
    });
    tokio::spawn(async move {
        let client = match reqwest::Client::builder().timeout(TIMEOUT).build() {
            Ok(client) => client,
            Err(err) => {
                warn!(%err, "status callbacks disabled: no HTTP client");
                return;
            }
        };
        let mut last_reap = std::time::Instant::now();
        loop {
            if let Err(err) = deliver_due(&state, &client).await {
                warn!(error = %err, "status callback dispatch failed");
            }
            if last_reap.elapsed() >= REAP_EVERY {
                last_reap = std::time::Instant::now();
                if let Err(err) = rooms_v1::reap(&state).await {
                    warn!(error = %err, "ending idle rooms failed");
                }
            }
            tokio::time::sleep(POLL).await;
        }
    });
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

fn set(params: &mut [(String, String)], name: &str, value: &str) {
    if let Some(entry) = params.iter_mut().find(|(k, _)| k == name) {
        entry.1 = value.to_owned();
    }
}

async fn record_event(state: &AppState, event: &RoomEvent) -> sqlx::Result<()> {
    let Some(room) = rooms_v1::find(&state.db, &event.room_sid).await? else {
        return Ok(()); // an ad-hoc room: nobody asked for callbacks
    };
    match (event.kind, &event.participant) {
        (RoomEventKind::ParticipantConnected, Some((sid, identity))) => {
            rooms_v1::note_occupancy(state, &room.sid, &room.unique_name, true).await?;
            rooms_v1::note_participant(state, &room.sid, sid, identity, true).await?;
        }
        (RoomEventKind::ParticipantDisconnected, Some((sid, identity))) => {
            rooms_v1::note_participant(state, &room.sid, sid, identity, false).await?;
            rooms_v1::note_occupancy(state, &room.sid, &room.unique_name, false).await?;
        }
        _ => {}
    }
    let mut params = base_params(state, &room, event.kind.twilio_name());
    if event.kind == RoomEventKind::RoomEnded {
        set(&mut params, "RoomStatus", "completed");
    }
    if let Some((sid, identity)) = &event.participant {
        params.push(("ParticipantSid".into(), sid.clone()));
        params.push(("ParticipantIdentity".into(), identity.clone()));
        let status = if event.kind == RoomEventKind::ParticipantDisconnected {
            "disconnected"
        } else {
            "connected"
        };
        params.push(("ParticipantStatus".into(), status.into()));
    }
    if let Some(track) = &event.track {
        params.push(("TrackSid".into(), track.sid.clone()));
        params.push(("TrackName".into(), track.name.clone()));
        let kind = match track.kind {
            sfu::signal::MediaKind::Audio => "audio",
            sfu::signal::MediaKind::Video => "video",
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
            "INSERT INTO room_callbacks (room_sid, sequence, url, method, params, state, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6)",
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
            Ok(_) => return Ok(()),
            Err(sqlx::Error::Database(err)) if err.is_unique_violation() => continue,
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

type Due = (i64, String, String, String, i64);

/// Sends the first pending callback of every room whose turn has come.
async fn deliver_due(state: &AppState, client: &reqwest::Client) -> sqlx::Result<()> {
    let now = state.clock.now().timestamp();
    let due: Vec<Due> = sqlx::query_as(
        "SELECT c.id, c.url, c.method, c.params, c.attempts FROM room_callbacks c \
         WHERE c.state = 'pending' AND c.next_attempt_at <= $1 AND NOT EXISTS ( \
           SELECT 1 FROM room_callbacks e WHERE e.room_sid = c.room_sid AND e.state = 'pending' AND e.sequence < c.sequence) \
         ORDER BY c.id LIMIT 100",
    )
    .bind(now)
    .fetch_all(&state.db)
    .await?;
    for (id, url, method, params, attempts) in due {
        let params: Vec<(String, String)> = serde_json::from_str(&params).unwrap_or_default();
        let outcome = send(
            client,
            &state.credentials.api_key_secret,
            &url,
            &method,
            &params,
        )
        .await;
        record_outcome(&state.db, id, attempts, now, outcome).await?;
    }
    Ok(())
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

async fn record_outcome(
    db: &Db,
    id: i64,
    attempts: i64,
    now: i64,
    outcome: Result<(), String>,
) -> sqlx::Result<()> {
    match outcome {
        Ok(()) => {
            sqlx::query("UPDATE room_callbacks SET state = 'sent', attempts = $1 WHERE id = $2")
                .bind(attempts + 1)
                .bind(id)
                .execute(db)
                .await?;
        }
        Err(error) => {
            let attempts = attempts + 1;
            let state = if attempts >= MAX_ATTEMPTS {
                "failed"
            } else {
                "pending"
            };
            let backoff = (1i64 << attempts.min(6)).min(60);
            debug!(id, attempts, %error, "status callback not delivered; will retry");
            sqlx::query("UPDATE room_callbacks SET state = $1, attempts = $2, next_attempt_at = $3, last_error = $4 WHERE id = $5")
                .bind(state)
                .bind(attempts)
                .bind(now + backoff)
                .bind(error)
                .bind(id)
                .execute(db)
                .await?;
        }
    }
    Ok(())
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
