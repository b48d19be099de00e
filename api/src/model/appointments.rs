//! The appointment record: its row with both people's names, queries, who
//! may see and join it, and its join window.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::users::{Role, User};
use super::validate;
use super::{Error, Result};
use crate::config::Config;
use crate::db::Db;

/// An appointment row with both people's names.
#[derive(Debug, Clone)]
pub struct Appointment {
    pub id: i64,
    pub patient_id: i64,
    pub psychologist_id: i64,
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: i64,
    pub session_type: String,
    pub status: String,
    pub video_room_id: Option<String>,
    pub room_sid: Option<String>,
    pub sequence: i64,
    pub patient_name: String,
    pub patient_email: String,
    pub psychologist_name: String,
    pub psychologist_email: String,
    /// A move the patient asked for, waiting for approval.
    pub change_request: Option<ChangeRequest>,
}

/// A patient's proposed new time (see [`super::change_requests`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRequest {
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: i64,
    pub requested_by: i64,
    pub requested_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    patient_id: i64,
    psychologist_id: i64,
    starts_at: i64,
    duration_minutes: i64,
    session_type: String,
    status: String,
    video_room_id: Option<String>,
    room_sid: Option<String>,
    sequence: i64,
    patient_name: String,
    patient_email: String,
    psychologist_name: String,
    psychologist_email: String,
    requested_starts_at: Option<i64>,
    requested_duration_minutes: Option<i64>,
    requested_by: Option<i64>,
    requested_at: Option<i64>,
}

const SELECT: &str = "SELECT a.id, a.patient_id, a.psychologist_id, a.starts_at, a.duration_minutes, \
     a.session_type, a.status, a.video_room_id, a.room_sid, a.sequence, p.name AS patient_name, \
     p.email AS patient_email, d.name AS psychologist_name, d.email AS psychologist_email, \
     a.requested_starts_at, a.requested_duration_minutes, a.requested_by, a.requested_at \
     FROM appointments a JOIN users p ON p.id = a.patient_id JOIN users d ON d.id = a.psychologist_id";

fn at(ts: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(ts, 0).single().unwrap_or_default()
}

fn from_row(r: Row) -> Appointment {
    let change_request = match (
        r.requested_starts_at,
        r.requested_duration_minutes,
        r.requested_by,
        r.requested_at,
    ) {
        (Some(starts_at), Some(duration_minutes), Some(by), Some(when)) => Some(ChangeRequest {
            starts_at: at(starts_at),
            duration_minutes,
            requested_by: by,
            requested_at: at(when),
        }),
        _ => None,
    };
    Appointment {
        id: r.id,
        patient_id: r.patient_id,
        psychologist_id: r.psychologist_id,
        starts_at: at(r.starts_at),
        duration_minutes: r.duration_minutes,
        session_type: r.session_type,
        status: r.status,
        video_room_id: r.video_room_id,
        room_sid: r.room_sid,
        sequence: r.sequence,
        patient_name: r.patient_name,
        patient_email: r.patient_email,
        psychologist_name: r.psychologist_name,
        psychologist_email: r.psychologist_email,
        change_request,
    }
}

impl Appointment {
    pub async fn by_id(db: &Db, id: i64) -> sqlx::Result<Option<Appointment>> {
        let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE a.id = $1"))
            .bind(id)
            .fetch_optional(db)
            .await?;
        Ok(row.map(from_row))
    }

    pub async fn by_room(db: &Db, room: &str) -> sqlx::Result<Option<Appointment>> {
        let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE a.video_room_id = $1"))
            .bind(room)
            .fetch_optional(db)
            .await?;
        Ok(row.map(from_row))
    }

    /// Reloads a record that must exist.
    pub async fn reload(db: &Db, id: i64) -> Result<Appointment> {
        Appointment::by_id(db, id).await?.ok_or(Error::NotFound)
    }

    pub fn ends_at(&self) -> DateTime<Utc> {
        self.starts_at + Duration::minutes(self.duration_minutes)
    }

    pub fn is_telehealth(&self) -> bool {
        self.session_type == "telehealth"
    }

    pub fn is_cancelled(&self) -> bool {
        self.status == "cancelled"
    }

    /// The patient or the psychologist of this appointment, or staff.
    pub fn visible_to(&self, user: &User) -> bool {
        user.is(Role::Admin) || user.id == self.patient_id || user.id == self.psychologist_id
    }

    /// The patient, the psychologist, or staff when they may join.
    pub fn may_join(&self, user: &User, config: &Config) -> bool {
        user.id == self.patient_id
            || user.id == self.psychologist_id
            || (user.is(Role::Admin) && config.app.admins_may_join)
    }

    /// When the video room opens and closes.
    pub fn join_window(&self, config: &Config) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            self.starts_at - Duration::minutes(config.app.join_opens_minutes_before),
            self.ends_at() + Duration::minutes(config.app.join_closes_minutes_after_end),
        )
    }

    pub fn meeting_url(&self, config: &Config) -> Option<String> {
        self.video_room_id.as_ref().map(|room| {
            format!(
                "{}/video-session/{room}",
                config.app.public_url.trim_end_matches('/')
            )
        })
    }
}

/// Loads an appointment the user may see; not found otherwise (not
/// forbidden, so ids of other people's appointments are not confirmed to
/// exist).
pub async fn visible(db: &Db, user: &User, id: i64) -> Result<Appointment> {
    match Appointment::by_id(db, id).await? {
        Some(a) if a.visible_to(user) => Ok(a),
        _ => Err(Error::NotFound),
    }
}

/// The appointment behind a room, if the user may see it.
pub async fn visible_by_room(db: &Db, user: &User, room: &str) -> Result<Appointment> {
    match Appointment::by_room(db, room).await? {
        Some(a) if a.visible_to(user) => Ok(a),
        _ => Err(Error::NotFound),
    }
}

/// Which appointments a listing wants, unchecked.
pub struct ListFilter<'a> {
    pub status: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
}

/// The user's own appointments (staff: all), upcoming first.
pub async fn list(
    db: &Db,
    user: &User,
    filter: ListFilter<'_>,
    now: DateTime<Utc>,
) -> Result<Vec<Appointment>> {
    let mut problems = BTreeMap::new();
    if let Some(status) = filter.status
        && status != "scheduled"
        && status != "cancelled"
    {
        problems.insert(
            "status".to_owned(),
            "must be scheduled or cancelled".to_owned(),
        );
    }
    let mut bound = |field: &str, value: Option<&str>| match value.map(validate::instant) {
        None => None,
        Some(Ok(at)) => Some(at.timestamp()),
        Some(Err(problem)) => {
            problems.insert(field.to_owned(), problem);
            None
        }
    };
    let from = bound("from", filter.from);
    let to = bound("to", filter.to);
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let who = if user.is(Role::Admin) { -1 } else { user.id };
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE ($1 = -1 OR a.patient_id = $1 OR a.psychologist_id = $1) \
         AND ($2 = '' OR a.status = $2) AND a.starts_at >= $3 AND a.starts_at <= $4 \
         ORDER BY CASE WHEN a.starts_at + a.duration_minutes * 60 < $5 THEN 1 ELSE 0 END, \
         CASE WHEN a.starts_at + a.duration_minutes * 60 < $5 THEN -a.starts_at ELSE a.starts_at END \
         LIMIT 500"
    ))
    .bind(who)
    .bind(filter.status.unwrap_or_default())
    .bind(from.unwrap_or(i64::MIN / 2))
    .bind(to.unwrap_or(i64::MAX / 2))
    .bind(now.timestamp())
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(from_row).collect())
}
