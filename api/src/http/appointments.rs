//! Appointments: booking (with overlap checks), listing, details,
//! rescheduling and cancelling. Shapes follow the seed's front end.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Duration, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiPath, Caller};
use super::users::Role;
use super::validate;
use crate::db::{Backend, Db};
use crate::reminders;

const DEFAULT_DURATION: i64 = 50;

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
}

type Row = (
    i64,
    i64,
    i64,
    i64,
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
    String,
    String,
    String,
    String,
);

const SELECT: &str = "SELECT a.id, a.patient_id, a.psychologist_id, a.starts_at, a.duration_minutes, \
     a.session_type, a.status, a.video_room_id, a.room_sid, a.sequence, p.name, p.email, d.name, d.email \
     FROM appointments a JOIN users p ON p.id = a.patient_id JOIN users d ON d.id = a.psychologist_id";

fn from_row(r: Row) -> Appointment {
    Appointment {
        id: r.0,
        patient_id: r.1,
        psychologist_id: r.2,
        starts_at: Utc.timestamp_opt(r.3, 0).single().unwrap_or_default(),
        duration_minutes: r.4,
        session_type: r.5,
        status: r.6,
        video_room_id: r.7,
        room_sid: r.8,
        sequence: r.9,
        patient_name: r.10,
        patient_email: r.11,
        psychologist_name: r.12,
        psychologist_email: r.13,
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
    pub fn visible_to(&self, caller: &Caller) -> bool {
        caller.is(Role::Admin)
            || caller.user.id == self.patient_id
            || caller.user.id == self.psychologist_id
    }

    /// When the video room opens and closes.
    pub fn join_window(&self, state: &AppState) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            self.starts_at - Duration::minutes(state.config.app.join_opens_minutes_before),
            self.ends_at() + Duration::minutes(state.config.app.join_closes_minutes_after_end),
        )
    }

    pub fn meeting_url(&self, state: &AppState) -> Option<String> {
        self.video_room_id.as_ref().map(|room| {
            format!(
                "{}/video-session/{room}",
                state.config.app.public_url.trim_end_matches('/')
            )
        })
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub email: String,
}

/// The seed's appointment shape, extended.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AppointmentView {
    pub id: i64,
    pub appointment_date: String,
    pub duration_minutes: i64,
    pub session_type: String,
    pub status: String,
    pub video_room_id: Option<String>,
    pub meeting_url: Option<String>,
    pub can_join: bool,
    pub join_opens_at: Option<String>,
    pub join_closes_at: Option<String>,
    pub psychologist: Person,
    pub patient: Person,
}

pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn view(state: &AppState, a: &Appointment, caller: &Caller) -> AppointmentView {
    let now = state.clock.now();
    let (opens, closes) = a.join_window(state);
    let may_join = caller.user.id == a.patient_id
        || caller.user.id == a.psychologist_id
        || (caller.is(Role::Admin) && state.config.app.admins_may_join);
    let telehealth = a.is_telehealth() && !a.is_cancelled();
    AppointmentView {
        id: a.id,
        appointment_date: rfc3339(a.starts_at),
        duration_minutes: a.duration_minutes,
        session_type: a.session_type.clone(),
        status: a.status.clone(),
        video_room_id: a.video_room_id.clone(),
        meeting_url: a.meeting_url(state),
        can_join: telehealth && may_join && opens <= now && now <= closes,
        join_opens_at: telehealth.then(|| rfc3339(opens)),
        join_closes_at: telehealth.then(|| rfc3339(closes)),
        psychologist: Person {
            id: a.psychologist_id,
            name: a.psychologist_name.clone(),
            email: a.psychologist_email.clone(),
        },
        patient: Person {
            id: a.patient_id,
            name: a.patient_name.clone(),
            email: a.patient_email.clone(),
        },
    }
}

/// Loads an appointment the caller may see; 404 otherwise (not 403, so ids
/// of other people's appointments are not confirmed to exist).
pub async fn visible(state: &AppState, caller: &Caller, id: i64) -> ApiResult<Appointment> {
    match Appointment::by_id(&state.db, id).await? {
        Some(a) if a.visible_to(caller) => Ok(a),
        _ => Err(ApiError::NotFound),
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookInput {
    pub appointment_date: String,
    #[serde(default)]
    pub duration_minutes: Option<i64>,
    #[serde(default)]
    pub session_type: Option<String>,
    #[serde(default)]
    pub psychologist_id: Option<i64>,
    #[serde(default)]
    pub patient_id: Option<i64>,
}

fn check_duration(value: Option<i64>, problems: &mut BTreeMap<String, String>) -> i64 {
    let duration = value.unwrap_or(DEFAULT_DURATION);
    if !(10..=240).contains(&duration) {
        problems.insert(
            "duration_minutes".into(),
            "must be between 10 and 240".into(),
        );
    }
    duration
}

/// `POST /api/appointments/`
#[utoipa::path(post, path = "/appointments/", tag = "appointments", security(("bearer" = [])), request_body = BookInput, responses((status = 201, body = AppointmentView), (status = 403, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn book(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<BookInput>,
) -> ApiResult<(StatusCode, Json<AppointmentView>)> {
    let mut problems = BTreeMap::new();
    let now = state.clock.now();
    let starts_at = match validate::instant(&input.appointment_date) {
        Ok(at) if at < now - Duration::minutes(5) => {
            problems.insert("appointment_date".into(), "is in the past".into());
            None
        }
        Ok(at) => Some(at),
        Err(problem) => {
            problems.insert("appointment_date".into(), problem);
            None
        }
    };
    let duration = check_duration(input.duration_minutes, &mut problems);
    let session_type = input.session_type.unwrap_or_else(|| "telehealth".into());
    if session_type != "telehealth" && session_type != "in_person" {
        problems.insert(
            "session_type".into(),
            "must be telehealth or in_person".into(),
        );
    }
    // Who the appointment is between depends on who books it.
    let (patient_id, psychologist_id) = match caller.user.role {
        Role::Patient => (Some(caller.user.id), input.psychologist_id),
        Role::Psychologist => (
            input.patient_id,
            Some(input.psychologist_id.unwrap_or(caller.user.id)),
        ),
        Role::Admin => (input.patient_id, input.psychologist_id),
    };
    if caller.is(Role::Patient) && input.patient_id.is_some_and(|p| p != caller.user.id) {
        return Err(ApiError::Forbidden("patients book for themselves".into()));
    }
    if caller.is(Role::Psychologist) && psychologist_id != Some(caller.user.id) {
        return Err(ApiError::Forbidden(
            "psychologists book their own appointments".into(),
        ));
    }
    for (field, id, role) in [
        ("patient_id", patient_id, Role::Patient),
        ("psychologist_id", psychologist_id, Role::Psychologist),
    ] {
        match id {
            None => {
                problems.insert(field.into(), "is required".into());
            }
            Some(id) => {
                let found: Option<String> =
                    sqlx::query_scalar("SELECT role FROM users WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&state.db)
                        .await?;
                if found.as_deref() != Some(role.as_str()) {
                    problems.insert(
                        field.into(),
                        format!("must be the id of a {}", role.as_str()),
                    );
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::Invalid(problems));
    }
    let (patient_id, psychologist_id, starts_at) = (
        patient_id.expect("checked"),
        psychologist_id.expect("checked"),
        starts_at.expect("checked"),
    );

    let mut tx = crate::db::begin_write(&state.db).await?;
    lock_people(&mut tx, state.backend, patient_id, psychologist_id).await?;
    check_overlap(
        &mut tx,
        None,
        patient_id,
        psychologist_id,
        starts_at,
        duration,
    )
    .await?;
    let now_ts = now.timestamp();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO appointments (patient_id, psychologist_id, starts_at, duration_minutes, session_type, status, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'scheduled', $6, $7, $7) RETURNING id",
    )
    .bind(patient_id)
    .bind(psychologist_id)
    .bind(starts_at.timestamp())
    .bind(duration)
    .bind(&session_type)
    .bind(caller.user.id)
    .bind(now_ts)
    .fetch_one(&mut *tx)
    .await?;
    let room = if session_type == "telehealth" {
        assign_room(&mut tx, id).await?
    } else {
        None
    };
    reminders::plan::booked(&mut tx, id, now).await?;
    tx.commit().await?;
    state.reminder_wake.notify_one();
    if let Some((name, sid)) = room {
        state
            .sfu
            .register_room(&name, &sid, Some(APPOINTMENT_ROOM_SIZE as usize))
            .await;
    }
    let appointment = Appointment::by_id(&state.db, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((
        StatusCode::CREATED,
        Json(view(&state, &appointment, &caller)),
    ))
}

/// Serializes bookings for the same people (PostgreSQL row locks; SQLite
/// serializes writers already).
async fn lock_people(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    patient_id: i64,
    psychologist_id: i64,
) -> sqlx::Result<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT id FROM users WHERE id = $1 OR id = $2 ORDER BY id FOR UPDATE")
            .bind(patient_id)
            .bind(psychologist_id)
            .fetch_all(&mut **tx)
            .await?;
    }
    Ok(())
}

async fn check_overlap(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    except: Option<i64>,
    patient_id: i64,
    psychologist_id: i64,
    starts_at: DateTime<Utc>,
    duration: i64,
) -> ApiResult<()> {
    let start = starts_at.timestamp();
    let end = start + duration * 60;
    let clash: Option<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT patient_id, psychologist_id, starts_at, duration_minutes FROM appointments \
         WHERE status = 'scheduled' AND id <> $1 AND (patient_id = $2 OR psychologist_id = $3) \
         AND starts_at < $4 AND starts_at + duration_minutes * 60 > $5 LIMIT 1",
    )
    .bind(except.unwrap_or(-1))
    .bind(patient_id)
    .bind(psychologist_id)
    .bind(end)
    .bind(start)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some((p, d, s, m)) = clash {
        let who = if d == psychologist_id {
            "the psychologist"
        } else if p == patient_id {
            "the patient"
        } else {
            "someone involved"
        };
        let from = Utc.timestamp_opt(s, 0).single().unwrap_or_default();
        return Err(ApiError::Conflict(format!(
            "{who} already has an appointment from {} to {}",
            rfc3339(from),
            rfc3339(from + Duration::minutes(m))
        )));
    }
    Ok(())
}

/// Who can be in an appointment's room at once: the patient, the
/// psychologist, and staff when they may join.
pub const APPOINTMENT_ROOM_SIZE: i64 = 3;

/// Gives a telehealth appointment its room, `apt-{id}-{48 random bits}`,
/// also a room of the REST API; returns (name, sid) when it made one. The
/// caller registers it with the SFU after committing.
pub async fn assign_room(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
) -> sqlx::Result<Option<(String, String)>> {
    let suffix = format!("{:012x}", rand::random::<u64>() & 0xffff_ffff_ffff);
    let name = format!("apt-{id}-{suffix}");
    let sid = format!("RM{:032x}", rand::random::<u128>());
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
    super::rooms_v1::insert(&mut **tx, &sid, &name, APPOINTMENT_ROOM_SIZE, now).await?;
    Ok(Some((name, sid)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
}

/// `GET /api/appointments/` — the caller's own (staff: all), upcoming first.
#[utoipa::path(get, path = "/appointments/", tag = "appointments", security(("bearer" = [])), params(ListQuery), responses((status = 200, body = Vec<AppointmentView>), (status = 422, body = super::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Vec<AppointmentView>>> {
    let mut problems = BTreeMap::new();
    if let Some(status) = &query.status
        && status != "scheduled"
        && status != "cancelled"
    {
        problems.insert(
            "status".to_owned(),
            "must be scheduled or cancelled".to_owned(),
        );
    }
    let mut bound =
        |field: &str, value: &Option<String>| match value.as_deref().map(validate::instant) {
            None => None,
            Some(Ok(at)) => Some(at.timestamp()),
            Some(Err(problem)) => {
                problems.insert(field.to_owned(), problem);
                None
            }
        };
    let from = bound("from", &query.from);
    let to = bound("to", &query.to);
    if !problems.is_empty() {
        return Err(ApiError::Invalid(problems));
    }
    let who = if caller.is(Role::Admin) {
        -1
    } else {
        caller.user.id
    };
    let now = state.clock.now().timestamp();
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE ($1 = -1 OR a.patient_id = $1 OR a.psychologist_id = $1) \
         AND ($2 = '' OR a.status = $2) AND a.starts_at >= $3 AND a.starts_at <= $4 \
         ORDER BY CASE WHEN a.starts_at + a.duration_minutes * 60 < $5 THEN 1 ELSE 0 END, \
         CASE WHEN a.starts_at + a.duration_minutes * 60 < $5 THEN -a.starts_at ELSE a.starts_at END \
         LIMIT 500"
    ))
    .bind(who)
    .bind(query.status.unwrap_or_default())
    .bind(from.unwrap_or(i64::MIN / 2))
    .bind(to.unwrap_or(i64::MAX / 2))
    .bind(now)
    .fetch_all(&state.db)
    .await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| view(&state, &from_row(r), &caller))
            .collect(),
    ))
}

/// `GET /api/appointments/{id}/`
#[utoipa::path(get, path = "/appointments/{id}/", tag = "appointments", security(("bearer" = [])), params(("id" = i64, Path, description = "Appointment id")), responses((status = 200, body = AppointmentView), (status = 404, body = super::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AppointmentView>> {
    let a = visible(&state, &caller, id).await?;
    Ok(Json(view(&state, &a, &caller)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleInput {
    #[serde(default)]
    pub appointment_date: Option<String>,
    #[serde(default)]
    pub duration_minutes: Option<i64>,
}

/// `PATCH /api/appointments/{id}/` — reschedule.
#[utoipa::path(patch, path = "/appointments/{id}/", tag = "appointments", security(("bearer" = [])), params(("id" = i64, Path, description = "Appointment id")), request_body = RescheduleInput, responses((status = 200, body = AppointmentView), (status = 404, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody), (status = 410, body = super::error::ErrorBody)))]
pub async fn reschedule(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<RescheduleInput>,
) -> ApiResult<Json<AppointmentView>> {
    let a = visible(&state, &caller, id).await?;
    if a.is_cancelled() {
        return Err(ApiError::Gone("this appointment was cancelled".into()));
    }
    let mut problems = BTreeMap::new();
    let now = state.clock.now();
    let starts_at = match input.appointment_date.as_deref().map(validate::instant) {
        None => a.starts_at,
        Some(Ok(at)) if at < now - Duration::minutes(5) => {
            problems.insert("appointment_date".into(), "is in the past".into());
            a.starts_at
        }
        Some(Ok(at)) => at,
        Some(Err(problem)) => {
            problems.insert("appointment_date".into(), problem);
            a.starts_at
        }
    };
    let duration = check_duration(
        input.duration_minutes.or(Some(a.duration_minutes)),
        &mut problems,
    );
    if !problems.is_empty() {
        return Err(ApiError::Invalid(problems));
    }
    let mut tx = crate::db::begin_write(&state.db).await?;
    lock_people(&mut tx, state.backend, a.patient_id, a.psychologist_id).await?;
    check_overlap(
        &mut tx,
        Some(a.id),
        a.patient_id,
        a.psychologist_id,
        starts_at,
        duration,
    )
    .await?;
    sqlx::query(
        "UPDATE appointments SET starts_at = $1, duration_minutes = $2, sequence = sequence + 1, updated_at = $3 WHERE id = $4",
    )
    .bind(starts_at.timestamp())
    .bind(duration)
    .bind(now.timestamp())
    .bind(a.id)
    .execute(&mut *tx)
    .await?;
    reminders::plan::rescheduled(&mut tx, a.id, now).await?;
    tx.commit().await?;
    state.reminder_wake.notify_one();
    let updated = Appointment::by_id(&state.db, a.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(view(&state, &updated, &caller)))
}

/// `POST /api/appointments/{id}/cancel/` — idempotent.
#[utoipa::path(post, path = "/appointments/{id}/cancel/", tag = "appointments", security(("bearer" = [])), params(("id" = i64, Path, description = "Appointment id")), responses((status = 200, body = AppointmentView), (status = 404, body = super::error::ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AppointmentView>> {
    let a = visible(&state, &caller, id).await?;
    if !a.is_cancelled() {
        let now = state.clock.now();
        let mut tx = crate::db::begin_write(&state.db).await?;
        let changed = sqlx::query(
            "UPDATE appointments SET status = 'cancelled', sequence = sequence + 1, updated_at = $1 WHERE id = $2 AND status = 'scheduled'",
        )
        .bind(now.timestamp())
        .bind(a.id)
        .execute(&mut *tx)
        .await?;
        if changed.rows_affected() == 1 {
            reminders::plan::cancelled(&mut tx, a.id, now).await?;
        }
        tx.commit().await?;
        state.reminder_wake.notify_one();
    }
    let updated = Appointment::by_id(&state.db, a.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(view(&state, &updated, &caller)))
}
