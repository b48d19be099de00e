//! A patient's request to move an appointment, where the clinic's policy
//! wants the psychologist's approval ([`super::policy`]): the proposed time
//! waits on the appointment's row (one request at a time; asking again
//! replaces it) until the psychologist (or staff) approves it — the
//! appointment then moves as any reschedule does, reminders and notices
//! included — or declines it, or the patient withdraws it. Moving or
//! cancelling the appointment ends a waiting request.

use chrono::{DateTime, Utc};

use super::appointments::{Appointment, visible};
use super::booking::{check_free, move_to};
use super::users::{Role, User};
use super::{Error, Result};
use crate::state::AppState;

/// Records `actor`'s request to move `a` (its policy checked) to
/// `starts_at` for `duration` minutes, if that time is free.
pub(super) async fn ask(
    state: &AppState,
    actor: &User,
    a: &Appointment,
    starts_at: DateTime<Utc>,
    duration: i64,
    now: DateTime<Utc>,
) -> Result<Appointment> {
    check_free(state, a, starts_at, duration, &actor.time_zone).await?;
    sqlx::query(
        "UPDATE appointments SET requested_starts_at = $1, requested_duration_minutes = $2, \
         requested_by = $3, requested_at = $4, updated_at = $4 WHERE id = $5 AND status = 'scheduled'",
    )
    .bind(starts_at.timestamp())
    .bind(duration)
    .bind(actor.id)
    .bind(now.timestamp())
    .bind(a.id)
    .execute(&state.db)
    .await?;
    Appointment::reload(&state.db, a.id).await
}

/// The appointment `id` with its waiting request, for someone who may act
/// on it.
async fn waiting(state: &AppState, actor: &User, id: i64) -> Result<Appointment> {
    let a = visible(&state.db, actor, id).await?;
    if a.is_cancelled() {
        return Err(Error::Gone("this appointment was cancelled".into()));
    }
    if a.change_request.is_none() {
        return Err(Error::Conflict(
            "no change is waiting for this appointment".into(),
        ));
    }
    Ok(a)
}

/// The psychologist (or staff) approves: the appointment moves, if the
/// time is still free.
pub async fn approve(state: &AppState, actor: &User, id: i64) -> Result<Appointment> {
    let a = waiting(state, actor, id).await?;
    if !(actor.is(Role::Admin) || actor.id == a.psychologist_id) {
        return Err(Error::Forbidden(
            "the psychologist approves a change of time".into(),
        ));
    }
    let request = a.change_request.clone().expect("waiting");
    if request.starts_at <= state.clock.now() {
        clear(state, a.id).await?;
        return Err(Error::Gone(
            "the time asked for has passed; the request is withdrawn".into(),
        ));
    }
    move_to(
        state,
        &a,
        request.starts_at,
        request.duration_minutes,
        &actor.time_zone,
    )
    .await?;
    Appointment::reload(&state.db, a.id).await
}

/// The psychologist (or staff) declines, or the patient withdraws.
pub async fn decline(state: &AppState, actor: &User, id: i64) -> Result<Appointment> {
    let a = waiting(state, actor, id).await?;
    clear(state, a.id).await?;
    Appointment::reload(&state.db, a.id).await
}

async fn clear(state: &AppState, id: i64) -> Result<()> {
    sqlx::query(
        "UPDATE appointments SET requested_starts_at = NULL, requested_duration_minutes = NULL, \
         requested_by = NULL, requested_at = NULL, updated_at = $1 WHERE id = $2",
    )
    .bind(state.clock.now().timestamp())
    .bind(id)
    .execute(&state.db)
    .await?;
    Ok(())
}
