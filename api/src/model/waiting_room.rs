//! An appointment's waiting room (`app.waiting_room`, on by default): the
//! patient who opens the session's page is *waiting* — they see their own
//! camera and "Dr. Smith will let you in shortly" — until the psychologist
//! (or staff who may join) *admits* them; only then does the patient get a
//! video token ([`super::video::token`] asks [`admitted`]). The psychologist
//! may instead *remove* them (out of the waiting room, or out of the call),
//! and may leave a *note* the waiting patient reads ("running 5 minutes
//! late"). A patient who closes the page before being let in *leaves*.
//! Psychologists never wait.
//!
//! Every change bumps the row's `version` and [`WaitingRoomNews`], so a page
//! asks for "anything newer than N" and is answered the moment there is.
//! Admission lasts for the appointment (a patient who drops and comes back
//! walks straight in) until they are removed or the appointment moves.

use std::time::Duration as StdDuration;

use chrono::{DateTime, TimeZone, Utc};
use tokio::sync::watch;

use super::appointments::{Appointment, visible};
use super::users::{Role, User};
use super::{Error, Result};
use crate::state::AppState;

/// The longest a page waits for news before being answered anyway.
pub const LONGEST_WAIT: StdDuration = StdDuration::from_secs(25);
/// A note's longest length, in characters.
pub const MAX_NOTE: usize = 280;

/// Wakes everyone waiting for news of any waiting room (each then reads
/// its own row).
#[derive(Clone)]
pub struct WaitingRoomNews(watch::Sender<u64>);

impl Default for WaitingRoomNews {
    fn default() -> Self {
        Self(watch::channel(0).0)
    }
}

impl WaitingRoomNews {
    /// Wakes this node's waiters (the other nodes' hear it through the
    /// cluster's news, `crate::cluster::news`).
    pub fn tell(&self) {
        self.0.send_modify(|n| *n = n.wrapping_add(1));
    }
}

/// A waiting room as the API shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WaitingRoom {
    pub version: i64,
    pub waiting_since: Option<DateTime<Utc>>,
    pub admitted_at: Option<DateTime<Utc>>,
    pub removed_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    pub note_at: Option<DateTime<Utc>>,
}

type Row = (
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<i64>,
);

fn at(ts: Option<i64>) -> Option<DateTime<Utc>> {
    ts.and_then(|t| Utc.timestamp_opt(t, 0).single())
}

async fn load(state: &AppState, appointment: i64) -> Result<WaitingRoom> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT version, waiting_since, admitted_at, removed_at, note, note_at \
         FROM waiting_rooms WHERE appointment_id = $1",
    )
    .bind(appointment)
    .fetch_optional(&state.db)
    .await?;
    Ok(row
        .map(
            |(version, waiting, admitted, removed, note, note_at)| WaitingRoom {
                version,
                waiting_since: at(waiting),
                admitted_at: at(admitted),
                removed_at: at(removed),
                note,
                note_at: at(note_at),
            },
        )
        .unwrap_or_default())
}

/// Whether `user` may enter `a`'s call now: everyone but a patient who
/// has not been admitted (with the waiting room on).
pub async fn admitted(state: &AppState, user: &User, a: &Appointment) -> Result<bool> {
    if !state.config.app.waiting_room || user.id != a.patient_id {
        return Ok(true);
    }
    Ok(load(state, a.id).await?.admitted_at.is_some())
}

/// An appointment someone in it may act on: its telehealth session, not
/// cancelled.
async fn session(state: &AppState, user: &User, id: i64) -> Result<Appointment> {
    if !state.config.app.waiting_room {
        return Err(Error::Rejected(
            "this clinic has no waiting room: patients join directly".into(),
        ));
    }
    let a = visible(&state.db, user, id).await?;
    if a.is_cancelled() {
        return Err(Error::Gone("this appointment was cancelled".into()));
    }
    if !a.may_join(user, &state.config) {
        return Err(Error::Forbidden(
            "only the patient and the psychologist join this session".into(),
        ));
    }
    Ok(a)
}

fn host_only(user: &User, a: &Appointment) -> Result<()> {
    if user.id == a.patient_id && !user.is(Role::Admin) {
        return Err(Error::Forbidden(
            "the psychologist lets people in and out".into(),
        ));
    }
    Ok(())
}

/// Writes a change (`set`: SQL assignments over `$2` = now and, when it
/// names it, `$3` = `value`) and tells the waiting pages.
async fn change(
    state: &AppState,
    appointment: i64,
    set: &str,
    value: Option<String>,
) -> Result<WaitingRoom> {
    let now = state.clock.now().timestamp();
    sqlx::query(
        "INSERT INTO waiting_rooms (appointment_id, version, updated_at) VALUES ($1, 0, $2) \
         ON CONFLICT (appointment_id) DO NOTHING",
    )
    .bind(appointment)
    .bind(now)
    .execute(&state.db)
    .await?;
    let sql = format!(
        "UPDATE waiting_rooms SET {set}, version = version + 1, updated_at = $2 WHERE appointment_id = $1"
    );
    let mut query = sqlx::query(&sql).bind(appointment).bind(now);
    if set.contains("$3") {
        query = query.bind(value);
    }
    query.execute(&state.db).await?;
    state.waiting_room_news.tell();
    if let Some(cluster) = state.cluster.clone() {
        // Not waited for: a slow Redis must not hold the psychologist's
        // click.
        tokio::spawn(async move {
            if let Err(err) = cluster.announce(crate::cluster::news::WAITING_ROOM).await {
                tracing::warn!(error = %err, "telling the other nodes a waiting room changed failed: their pages hear it at their longest wait");
            }
        });
    }
    load(state, appointment).await
}

/// The patient opened the session's page: they wait (unless already in).
pub async fn arrive(state: &AppState, user: &User, id: i64) -> Result<WaitingRoom> {
    let a = session(state, user, id).await?;
    let room = load(state, a.id).await?;
    if user.id != a.patient_id || room.admitted_at.is_some() {
        return Ok(room);
    }
    change(
        state,
        a.id,
        "waiting_since = COALESCE(waiting_since, $2), removed_at = NULL",
        None,
    )
    .await
}

/// The patient closed the session's page before being let in: they no
/// longer wait (so the psychologist is not told someone waits who is
/// gone). Admission, once given, stays.
pub async fn leave(state: &AppState, user: &User, id: i64) -> Result<WaitingRoom> {
    let a = session(state, user, id).await?;
    let room = load(state, a.id).await?;
    if user.id != a.patient_id || room.waiting_since.is_none() || room.admitted_at.is_some() {
        return Ok(room);
    }
    change(state, a.id, "waiting_since = NULL", None).await
}

/// Lets the waiting patient in.
pub async fn admit(state: &AppState, user: &User, id: i64) -> Result<WaitingRoom> {
    let a = session(state, user, id).await?;
    host_only(user, &a)?;
    change(
        state,
        a.id,
        "admitted_at = COALESCE(admitted_at, $2), removed_at = NULL",
        None,
    )
    .await
}

/// Sends the patient away: out of the waiting room, or out of the call.
pub async fn remove(state: &AppState, user: &User, id: i64) -> Result<WaitingRoom> {
    let a = session(state, user, id).await?;
    host_only(user, &a)?;
    let room = change(
        state,
        a.id,
        "admitted_at = NULL, waiting_since = NULL, removed_at = $2",
        None,
    )
    .await?;
    if let Some(name) = &a.video_room_id {
        let identity = super::video::identity_of(a.patient_id, &a.patient_email);
        match super::rooms::remove_participant(state, name, &identity).await {
            // Not in the call (still waiting): nothing to end.
            Ok(_) | Err(Error::NotFound) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(room)
}

/// The psychologist's note to the waiting patient (empty: none).
pub async fn note(state: &AppState, user: &User, id: i64, text: &str) -> Result<WaitingRoom> {
    let a = session(state, user, id).await?;
    host_only(user, &a)?;
    let text = text.trim();
    if text.chars().count() > MAX_NOTE {
        return Err(Error::field(
            "note",
            format!("at most {MAX_NOTE} characters"),
        ));
    }
    if text.is_empty() {
        return change(state, a.id, "note = $3, note_at = NULL", None).await;
    }
    change(
        state,
        a.id,
        "note = $3, note_at = $2",
        Some(text.to_owned()),
    )
    .await
}

/// The waiting room once its version is past `seen`, or as it is after
/// [`LONGEST_WAIT`].
pub async fn news(
    state: &AppState,
    user: &User,
    id: i64,
    seen: Option<i64>,
) -> Result<(Appointment, WaitingRoom)> {
    let a = session(state, user, id).await?;
    let mut changes = state.waiting_room_news.0.subscribe();
    let deadline = tokio::time::Instant::now() + LONGEST_WAIT;
    loop {
        let room = load(state, a.id).await?;
        if seen.is_none_or(|seen| room.version > seen) {
            return Ok((a, room));
        }
        match tokio::time::timeout_at(deadline, changes.changed()).await {
            Ok(Ok(())) => continue,
            _ => return Ok((a, room)),
        }
    }
}

/// Forgets an appointment's waiting room (it moved: admission was for the
/// old time).
pub async fn reset(conn: &mut sqlx::AnyConnection, appointment: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM waiting_rooms WHERE appointment_id = $1")
        .bind(appointment)
        .execute(conn)
        .await?;
    Ok(())
}
