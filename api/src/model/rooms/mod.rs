//! Rooms, Twilio-style: the `rooms` table, finding and listing rooms,
//! opening one (for an appointment or a REST request: one function, which
//! also registers it with the SFU), and the participants recorded in
//! `room_participants`. Ending rooms is in [`lifecycle`]; closing what a
//! dead process left open is in [`reconcile`].

pub mod lifecycle;
pub mod reconcile;

use chrono::Utc;

use super::{Error, Result};
use crate::db::Db;
use crate::state::AppState;

/// A row of `rooms`.
#[derive(Debug, Clone)]
pub struct RoomRow {
    pub sid: String,
    pub unique_name: String,
    pub status: String,
    pub room_type: String,
    pub max_participants: i64,
    pub status_callback: Option<String>,
    pub status_callback_method: String,
    pub empty_room_timeout: i64,
    pub unused_room_timeout: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub end_time: Option<i64>,
}

pub(crate) type Row = (
    String,
    String,
    String,
    String,
    i64,
    Option<String>,
    String,
    i64,
    i64,
    i64,
    i64,
    Option<i64>,
);

pub(crate) const SELECT: &str = "SELECT sid, unique_name, status, type, max_participants, status_callback, \
     status_callback_method, empty_room_timeout, unused_room_timeout, created_at, updated_at, end_time FROM rooms";

pub(crate) fn from_row(r: Row) -> RoomRow {
    RoomRow {
        sid: r.0,
        unique_name: r.1,
        status: r.2,
        room_type: r.3,
        max_participants: r.4,
        status_callback: r.5,
        status_callback_method: r.6,
        empty_room_timeout: r.7,
        unused_room_timeout: r.8,
        created_at: r.9,
        updated_at: r.10,
        end_time: r.11,
    }
}

/// Finds a room by sid, or by unique name (the room in progress, else the
/// newest with that name).
pub async fn find(db: &Db, sid_or_name: &str) -> sqlx::Result<Option<RoomRow>> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE sid = $1 OR unique_name = $1 \
         ORDER BY CASE WHEN sid = $1 THEN 0 WHEN status = 'in-progress' THEN 1 ELSE 2 END, created_at DESC LIMIT 1"
    ))
    .bind(sid_or_name)
    .fetch_optional(db)
    .await?;
    Ok(row.map(from_row))
}

/// A room that must exist.
pub async fn get(db: &Db, sid_or_name: &str) -> Result<RoomRow> {
    find(db, sid_or_name).await?.ok_or(Error::NotFound)
}

/// Rooms by status and unique name (empty: any), newest first.
pub async fn list(db: &Db, status: &str, unique_name: &str, limit: i64) -> Result<Vec<RoomRow>> {
    if !status.is_empty() && !["in-progress", "completed", "failed"].contains(&status) {
        return Err(Error::field(
            "Status",
            "must be in-progress, completed or failed",
        ));
    }
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE ($1 = '' OR status = $1) AND ($2 = '' OR unique_name = $2) ORDER BY created_at DESC LIMIT $3"
    ))
    .bind(status)
    .bind(unique_name)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// Who can be in an appointment's room at once: the patient, the
/// psychologist, and staff when they may join.
pub const APPOINTMENT_ROOM_SIZE: i64 = 3;

/// A room asked for through the REST API, unchecked.
#[derive(Debug, Default)]
pub struct NewRoom {
    pub unique_name: Option<String>,
    pub room_type: Option<String>,
    pub max_participants: Option<i64>,
    pub status_callback: Option<String>,
    pub status_callback_method: Option<String>,
    pub empty_room_timeout: Option<i64>,
    pub unused_room_timeout: Option<i64>,
}

/// What a room is opened for.
pub enum RoomFor {
    /// A telehealth appointment's room, unless it has one already.
    Appointment(i64),
    /// A room of the REST API; `cap` is the SFU's most per room.
    Request { room: NewRoom, cap: i64, now: i64 },
}

/// A room just opened: its unique name and sid.
#[derive(Debug, Clone)]
pub struct Opened {
    pub name: String,
    pub sid: String,
}

/// Opens a room: writes it in `tx`, commits, and registers it with the SFU
/// (with several nodes, places it on one, which registers it).
/// `None` when an appointment had its room already.
pub async fn open(
    mut tx: sqlx::Transaction<'_, sqlx::Any>,
    state: &AppState,
    room: RoomFor,
) -> Result<Option<Opened>> {
    let (opened, size) = match room {
        RoomFor::Appointment(id) => (
            assign_for_appointment(&mut tx, id)
                .await?
                .map(|(name, sid)| Opened { name, sid }),
            APPOINTMENT_ROOM_SIZE,
        ),
        RoomFor::Request { room, cap, now } => {
            let (opened, max) = insert_requested(&mut tx, room, cap, now).await?;
            (Some(opened), max)
        }
    };
    tx.commit().await?;
    if let Some(room) = &opened {
        crate::cluster::router::host_new_room(state, &room.name, &room.sid, size as usize).await;
    }
    Ok(opened)
}

/// How every appointment room's name begins; no other room may ([`POST
/// /token`](crate::http::video_app) refuses it).
pub const APPOINTMENT_ROOM_PREFIX: &str = "apt-";

/// Gives a telehealth appointment its room, `apt-{id}-{48 random bits}`,
/// also a room of the REST API; returns (name, sid) when it made one. The
/// caller registers it with the SFU after committing ([`open`] does both).
pub async fn assign_for_appointment(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
) -> sqlx::Result<Option<(String, String)>> {
    let suffix = format!("{:012x}", rand::random::<u64>() & 0xffff_ffff_ffff);
    let name = format!("{APPOINTMENT_ROOM_PREFIX}{id}-{suffix}");
    let sid = new_sid();
    let updated = sqlx::query("UPDATE appointments SET video_room_id = $1, room_sid = $2 WHERE id = $3 AND video_room_id IS NULL")
        .bind(&name)
        .bind(&sid)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    if updated.rows_affected() == 0 {
        return Ok(None);
    }
    let now = Utc::now().timestamp();
    sqlx::query(
        "INSERT INTO rooms (sid, unique_name, status, type, max_participants, created_at, updated_at, empty_since) \
         VALUES ($1, $2, 'in-progress', 'group', $3, $4, $4, $4)",
    )
    .bind(&sid)
    .bind(&name)
    .bind(APPOINTMENT_ROOM_SIZE)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(Some((name, sid)))
}

/// A room name the SFU accepts (docs/signaling.md): 1 to 128 bytes of
/// letters, digits, `-`, `_` and `.`.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

fn new_sid() -> String {
    format!("RM{:032x}", rand::random::<u128>())
}

/// Checks and inserts a REST API room; returns it and its size.
async fn insert_requested(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    input: NewRoom,
    cap: i64,
    now: i64,
) -> Result<(Opened, i64)> {
    let sid = new_sid();
    let name = input
        .unique_name
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| sid.clone());
    if !is_valid_name(&name) {
        return Err(Error::field(
            "UniqueName",
            "use up to 128 letters, digits, '-', '_' or '.'",
        ));
    }
    let room_type = input.room_type.unwrap_or_else(|| "group".into());
    if !["group", "group-small", "peer-to-peer", "go"].contains(&room_type.as_str()) {
        return Err(Error::field(
            "Type",
            "must be group, group-small, peer-to-peer or go",
        ));
    }
    let max = input.max_participants.unwrap_or(cap);
    if !(1..=cap).contains(&max) {
        return Err(Error::field(
            "MaxParticipants",
            format!("must be between 1 and {cap}"),
        ));
    }
    if let Some(url) = &input.status_callback
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(Error::field("StatusCallback", "must be an http(s) URL"));
    }
    let method = input
        .status_callback_method
        .unwrap_or_else(|| "POST".into())
        .to_uppercase();
    if method != "POST" && method != "GET" {
        return Err(Error::field("StatusCallbackMethod", "must be POST or GET"));
    }
    let inserted = sqlx::query(
        "INSERT INTO rooms (sid, unique_name, status, type, max_participants, status_callback, status_callback_method, \
         empty_room_timeout, unused_room_timeout, created_at, updated_at, empty_since) VALUES ($1, $2, 'in-progress', $3, $4, $5, $6, $7, $8, $9, $9, $9)",
    )
    .bind(&sid)
    .bind(&name)
    .bind(&room_type)
    .bind(max)
    .bind(&input.status_callback)
    .bind(&method)
    .bind(input.empty_room_timeout.unwrap_or(5).clamp(1, 1440))
    .bind(input.unused_room_timeout.unwrap_or(5).clamp(1, 1440))
    .bind(now)
    .execute(&mut **tx)
    .await;
    match inserted {
        Ok(_) => Ok((Opened { name, sid }, max)),
        Err(sqlx::Error::Database(err)) if err.is_unique_violation() => Err(Error::RoomExists),
        Err(err) => Err(err.into()),
    }
}

/// A participant as the REST API shows it.
#[derive(Debug, Clone)]
pub struct Participant {
    pub sid: String,
    pub identity: String,
    pub status: String,
    pub start: Option<i64>,
    pub end: Option<i64>,
}

/// A participant's times, as recorded: (sid, identity, status, start, end).
type ParticipantTimes = (String, String, String, i64, Option<i64>);

async fn recorded_participants(db: &Db, room_sid: &str) -> sqlx::Result<Vec<ParticipantTimes>> {
    sqlx::query_as("SELECT sid, identity, status, start_time, end_time FROM room_participants WHERE room_sid = $1 ORDER BY start_time")
        .bind(room_sid)
        .fetch_all(db)
        .await
}

/// A room and everyone who has been in it: the connected ones as the SFU
/// sees them now, the others as recorded when they left.
pub async fn people(state: &AppState, id: &str) -> Result<(RoomRow, Vec<Participant>)> {
    let room = get(&state.db, id).await?;
    let recorded = recorded_participants(&state.db, &room.sid).await?;
    let live = if room.status == "in-progress" {
        match crate::cluster::remote::participants(state, &room.unique_name).await {
            Ok(live) => live.unwrap_or_default(),
            // Its node cannot be asked now: who was last recorded
            // connected.
            Err(err) => {
                tracing::warn!(room = %room.unique_name, error = %err, "asking a room's node who is in it failed");
                recorded
                    .iter()
                    .filter(|r| r.2 == "connected")
                    .map(|r| crate::cluster::remote::Present {
                        sid: r.0.clone(),
                        identity: r.1.clone(),
                    })
                    .collect()
            }
        }
    } else {
        Vec::new()
    };
    let mut people: Vec<Participant> = live
        .iter()
        .map(|p| Participant {
            sid: p.sid.clone(),
            identity: p.identity.clone(),
            status: "connected".into(),
            start: recorded.iter().find(|r| r.0 == p.sid).map(|r| r.3),
            end: None,
        })
        .collect();
    people.extend(
        recorded
            .into_iter()
            .filter(|r| !live.iter().any(|p| p.sid == r.0))
            .map(|(sid, identity, _, start, end)| Participant {
                sid,
                identity,
                status: "disconnected".into(),
                start: Some(start),
                end: end.or(room.end_time),
            }),
    );
    Ok((room, people))
}

/// Disconnects a participant (by sid or identity) from a room.
pub async fn remove_participant(
    state: &AppState,
    id: &str,
    who: &str,
) -> Result<(RoomRow, Participant)> {
    let room = get(&state.db, id).await?;
    let removed = crate::cluster::remote::remove(state, &room.unique_name, who)
        .await?
        .ok_or(Error::NotFound)?;
    let start = recorded_participants(&state.db, &room.sid)
        .await?
        .into_iter()
        .find(|r| r.0 == removed.sid)
        .map(|r| r.3);
    let participant = Participant {
        sid: removed.sid,
        identity: removed.identity,
        status: "disconnected".into(),
        start,
        end: Some(state.clock.now().timestamp()),
    };
    Ok((room, participant))
}

/// Records a participant joining or leaving (for listings and their times).
pub async fn note_participant(
    state: &AppState,
    room_sid: &str,
    sid: &str,
    identity: &str,
    joined: bool,
) -> sqlx::Result<()> {
    let now = state.clock.now().timestamp();
    if joined {
        sqlx::query(
            "INSERT INTO room_participants (sid, room_sid, identity, status, start_time, run_id) VALUES ($1, $2, $3, 'connected', $4, $5)",
        )
        .bind(sid)
        .bind(room_sid)
        .bind(identity)
        .bind(now)
        .bind(&state.run.id)
        .execute(&state.db)
        .await?;
    } else {
        sqlx::query("UPDATE room_participants SET status = 'disconnected', end_time = $1 WHERE sid = $2 AND status = 'connected'")
            .bind(now)
            .bind(sid)
            .execute(&state.db)
            .await?;
    }
    Ok(())
}

/// Keeps `empty_since` / `ever_joined` in step with the SFU.
pub async fn note_occupancy(
    state: &AppState,
    room_sid: &str,
    room_name: &str,
    joined: bool,
) -> sqlx::Result<()> {
    if joined {
        sqlx::query("UPDATE rooms SET empty_since = NULL, ever_joined = 1 WHERE sid = $1")
            .bind(room_sid)
            .execute(&state.db)
            .await?;
    } else if state
        .sfu
        .room(room_name)
        .await
        .is_none_or(|r| r.participants.is_empty())
    {
        sqlx::query("UPDATE rooms SET empty_since = $1 WHERE sid = $2 AND empty_since IS NULL")
            .bind(state.clock.now().timestamp())
            .bind(room_sid)
            .execute(&state.db)
            .await?;
    }
    Ok(())
}
