//! Booking rules: who may book for whom, field checks, row locks and
//! overlap checks; booking (with the room of a telehealth session),
//! rescheduling and cancelling under the clinic's [`policy`], each with its
//! reminders planned in the same transaction.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::Deserialize;

use super::appointments::{Appointment, visible};
use super::rooms::{self, RoomFor};
use super::time::local_span;
use super::users::{Role, User};
use super::validate;
use super::{Error, Result};
use super::{change_requests, policy};
use crate::db::Backend;
use crate::reminders;
use crate::state::AppState;

const DEFAULT_DURATION: i64 = 50;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookInput {
    pub appointment_date: String,
    #[serde(default)]
    pub duration_minutes: Option<i64>,
    #[serde(default)]
    pub session_type: Option<String>,
    /// Required from patients and staff; a psychologist books their own.
    #[serde(default)]
    pub psychologist_id: Option<i64>,
    /// Required from psychologists (one of their patients: someone who has
    /// booked with them) and staff; a patient books for themselves.
    #[serde(default)]
    pub patient_id: Option<i64>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleInput {
    #[serde(default)]
    pub appointment_date: Option<String>,
    #[serde(default)]
    pub duration_minutes: Option<i64>,
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

/// The problem with a `patient_id` / `psychologist_id` that does not name
/// someone `actor` may book with.
fn not_one_of(actor: &User, role: Role) -> String {
    if actor.is(Role::Psychologist) && role == Role::Patient {
        "must be the id of one of your patients (someone who has booked with you)".into()
    } else {
        format!("must be the id of a {}", role.as_str())
    }
}

/// Whether `patient` has ever had an appointment with `psychologist`.
async fn already_sees(state: &AppState, psychologist: i64, patient: i64) -> sqlx::Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM appointments WHERE psychologist_id = $1 AND patient_id = $2 LIMIT 1",
    )
    .bind(psychologist)
    .bind(patient)
    .fetch_optional(&state.db)
    .await?;
    Ok(found.is_some())
}

/// Books an appointment for `actor`; a telehealth one gets its room.
pub async fn book(state: &AppState, actor: &User, input: BookInput) -> Result<Appointment> {
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
    let (patient_id, psychologist_id) = match actor.role {
        Role::Patient => (Some(actor.id), input.psychologist_id),
        Role::Psychologist => (
            input.patient_id,
            Some(input.psychologist_id.unwrap_or(actor.id)),
        ),
        Role::Admin => (input.patient_id, input.psychologist_id),
    };
    if actor.is(Role::Patient) && input.patient_id.is_some_and(|p| p != actor.id) {
        return Err(Error::Forbidden("patients book for themselves".into()));
    }
    if actor.is(Role::Psychologist) && psychologist_id != Some(actor.id) {
        return Err(Error::Forbidden(
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
                    problems.insert(field.into(), not_one_of(actor, role));
                } else if actor.is(Role::Psychologist)
                    && role == Role::Patient
                    && !already_sees(state, actor.id, id).await?
                {
                    // The answer would carry the patient's name and e-mail:
                    // a psychologist books follow-ups for people who have
                    // booked with them, and a stranger's id gets the same
                    // answer as no id at all.
                    problems.insert(field.into(), not_one_of(actor, role));
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
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
        &actor.time_zone,
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
    .bind(actor.id)
    .bind(now_ts)
    .fetch_one(&mut *tx)
    .await?;
    reminders::plan::booked(&mut tx, id, now).await?;
    if session_type == "telehealth" {
        rooms::open(tx, state, RoomFor::Appointment(id)).await?;
    } else {
        tx.commit().await?;
    }
    state.reminder_wake.notify_one();
    Appointment::reload(&state.db, id).await
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

/// Refuses a time that overlaps another live appointment of either person;
/// the refusal names the clash in `zone`, the time zone of whoever asked.
async fn check_overlap(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    except: Option<i64>,
    patient_id: i64,
    psychologist_id: i64,
    starts_at: DateTime<Utc>,
    duration: i64,
    zone: &str,
) -> Result<()> {
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
        let who = if d == psychologist_id && p == patient_id {
            "the patient and the psychologist already have"
        } else if d == psychologist_id {
            "the psychologist already has"
        } else if p == patient_id {
            "the patient already has"
        } else {
            "someone involved already has"
        };
        let from = Utc.timestamp_opt(s, 0).single().unwrap_or_default();
        return Err(Error::Conflict(format!(
            "{who} an appointment {}",
            local_span(from, from + Duration::minutes(m), zone)
        )));
    }
    Ok(())
}

/// What a reschedule did.
pub enum Rescheduled {
    Moved(Appointment),
    /// Recorded as a request for the psychologist to approve.
    Requested(Appointment),
}

/// Moves an appointment the actor may see, or, for a patient under the
/// clinic's approval policy, asks for the move.
pub async fn reschedule(
    state: &AppState,
    actor: &User,
    id: i64,
    input: RescheduleInput,
) -> Result<Rescheduled> {
    let a = visible(&state.db, actor, id).await?;
    if a.is_cancelled() {
        return Err(Error::Gone("this appointment was cancelled".into()));
    }
    let now = state.clock.now();
    let (right, _) = policy::change_rights(actor, &a, now, &state.config);
    if let Some(reason) = right.refusal() {
        return Err(Error::Forbidden(reason.to_owned()));
    }
    if input.appointment_date.is_none() && input.duration_minutes.is_none() {
        return Err(Error::field(
            "appointment_date",
            "give a new appointment_date or duration_minutes",
        ));
    }
    let mut problems = BTreeMap::new();
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
        return Err(Error::Invalid(problems));
    }
    if starts_at == a.starts_at && duration == a.duration_minutes {
        // Nothing moves, so nobody is told it did.
        return Ok(Rescheduled::Moved(a));
    }
    if right == policy::Right::NeedsApproval {
        let asked = change_requests::ask(state, actor, &a, starts_at, duration, now).await?;
        return Ok(Rescheduled::Requested(asked));
    }
    move_to(state, &a, starts_at, duration, &actor.time_zone).await?;
    Ok(Rescheduled::Moved(
        Appointment::reload(&state.db, a.id).await?,
    ))
}

/// Moves `a` (checked already) if neither person has another appointment
/// then; a waiting change request ends with it. `zone`: the time zone a
/// clash is worded in.
pub(super) async fn move_to(
    state: &AppState,
    a: &Appointment,
    starts_at: DateTime<Utc>,
    duration: i64,
    zone: &str,
) -> Result<()> {
    let now = state.clock.now();
    let mut tx = crate::db::begin_write(&state.db).await?;
    lock_people(&mut tx, state.backend, a.patient_id, a.psychologist_id).await?;
    check_overlap(
        &mut tx,
        Some(a.id),
        a.patient_id,
        a.psychologist_id,
        starts_at,
        duration,
        zone,
    )
    .await?;
    sqlx::query(
        "UPDATE appointments SET starts_at = $1, duration_minutes = $2, sequence = sequence + 1, updated_at = $3, \
         requested_starts_at = NULL, requested_duration_minutes = NULL, requested_by = NULL, requested_at = NULL \
         WHERE id = $4",
    )
    .bind(starts_at.timestamp())
    .bind(duration)
    .bind(now.timestamp())
    .bind(a.id)
    .execute(&mut *tx)
    .await?;
    reminders::plan::rescheduled(&mut tx, a.id, a.starts_at.timestamp(), now).await?;
    super::waiting_room::reset(&mut tx, a.id).await?;
    tx.commit().await?;
    state.reminder_wake.notify_one();
    Ok(())
}

/// Refuses a time that clashes for either person of `a` (outside a
/// transaction: a request is checked again when it is approved).
pub(super) async fn check_free(
    state: &AppState,
    a: &Appointment,
    starts_at: DateTime<Utc>,
    duration: i64,
    zone: &str,
) -> Result<()> {
    let mut tx = state.db.begin().await?;
    check_overlap(
        &mut tx,
        Some(a.id),
        a.patient_id,
        a.psychologist_id,
        starts_at,
        duration,
        zone,
    )
    .await?;
    tx.rollback().await?;
    Ok(())
}

/// Cancels an appointment the actor may see; idempotent.
pub async fn cancel(state: &AppState, actor: &User, id: i64) -> Result<Appointment> {
    let a = visible(&state.db, actor, id).await?;
    if !a.is_cancelled() {
        let now = state.clock.now();
        let (_, right) = policy::change_rights(actor, &a, now, &state.config);
        if let Some(reason) = right.refusal() {
            return Err(Error::Forbidden(reason.to_owned()));
        }
        let mut tx = crate::db::begin_write(&state.db).await?;
        let changed = sqlx::query(
            "UPDATE appointments SET status = 'cancelled', sequence = sequence + 1, updated_at = $1, \
             requested_starts_at = NULL, requested_duration_minutes = NULL, requested_by = NULL, requested_at = NULL \
             WHERE id = $2 AND status = 'scheduled'",
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
        // Whoever is in its room leaves (53118), and tokens fetched before
        // no longer let anyone in.
        if let Some(sid) = &a.room_sid
            && let Some(room) = rooms::find(&state.db, sid).await?
        {
            rooms::lifecycle::close(state, &room).await?;
        }
    }
    Appointment::reload(&state.db, a.id).await
}
