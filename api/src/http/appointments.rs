//! Appointments over HTTP: booking, listing, details, rescheduling and
//! cancelling, in the seed front end's shapes. The rules are in
//! [`crate::model::booking`].

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::error::ApiResult;
use super::extract::{ApiJson, ApiPath, ApiQuery, Caller, ClientIp};
use crate::model::appointments::{self, Appointment, ListFilter};
use crate::model::audit::{About, Action};
use crate::model::booking::{self, BookInput, RescheduleInput, Rescheduled};
use crate::model::change_requests;
use crate::model::policy::{self, Right};
use crate::model::time::rfc3339;
use crate::model::users::Role;
use crate::state::AppState;

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
    /// What the caller may do to it under the clinic's policy, and why not.
    pub can_reschedule: bool,
    /// A move by the caller is a request the psychologist approves.
    pub reschedule_needs_approval: bool,
    pub can_cancel: bool,
    pub change_blocked_reason: Option<String>,
    /// A move the patient asked for, waiting for approval.
    pub change_request: Option<ChangeRequestView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChangeRequestView {
    pub appointment_date: String,
    pub duration_minutes: i64,
    pub requested_at: String,
    /// Whether the caller may approve or decline it (the psychologist,
    /// staff); the patient may withdraw it.
    pub can_approve: bool,
}

pub fn view(state: &AppState, a: &Appointment, caller: &Caller) -> AppointmentView {
    let now = state.clock.now();
    let (opens, closes) = a.join_window(&state.config);
    let may_join = a.may_join(&caller.user, &state.config);
    let telehealth = a.is_telehealth() && !a.is_cancelled();
    let (reschedule, cancel) = policy::change_rights(&caller.user, a, now, &state.config);
    let staff_side = caller.user.is(Role::Admin) || caller.user.id == a.psychologist_id;
    AppointmentView {
        id: a.id,
        appointment_date: rfc3339(a.starts_at),
        duration_minutes: a.duration_minutes,
        session_type: a.session_type.clone(),
        status: a.status.clone(),
        video_room_id: a.video_room_id.clone(),
        meeting_url: a.meeting_url(&state.config),
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
        can_reschedule: reschedule.refusal().is_none(),
        reschedule_needs_approval: reschedule == Right::NeedsApproval,
        can_cancel: cancel.refusal().is_none(),
        change_blocked_reason: reschedule.refusal().or(cancel.refusal()).map(str::to_owned),
        change_request: a.change_request.as_ref().map(|r| ChangeRequestView {
            appointment_date: rfc3339(r.starts_at),
            duration_minutes: r.duration_minutes,
            requested_at: rfc3339(r.requested_at),
            can_approve: staff_side,
        }),
    }
}

/// `POST /api/appointments/`
#[utoipa::path(post, path = "/appointments/", tag = "appointments", security(("bearer" = [])), request_body = BookInput, responses((status = 201, body = AppointmentView), (status = 403, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn book(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<BookInput>,
) -> ApiResult<(StatusCode, Json<AppointmentView>)> {
    let appointment = booking::book(&state, &caller.user, input).await?;
    log(&state, &caller, ip, Action::Booked, &appointment).await;
    Ok((
        StatusCode::CREATED,
        Json(view(&state, &appointment, &caller)),
    ))
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
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<Vec<AppointmentView>>> {
    let filter = ListFilter {
        status: query.status.as_deref(),
        from: query.from.as_deref(),
        to: query.to.as_deref(),
    };
    let found = appointments::list(&state.db, &caller.user, filter, state.clock.now()).await?;
    Ok(Json(
        found.iter().map(|a| view(&state, a, &caller)).collect(),
    ))
}

/// `GET /api/appointments/{id}/`
#[utoipa::path(get, path = "/appointments/{id}/", tag = "appointments", security(("bearer" = [])), params(("id" = i64, Path, description = "Appointment id")), responses((status = 200, body = AppointmentView), (status = 404, body = super::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AppointmentView>> {
    let a = appointments::visible(&state.db, &caller.user, id).await?;
    Ok(Json(view(&state, &a, &caller)))
}

/// `PATCH /api/appointments/{id}/` — reschedule: 200 when it moved; 202
/// when, by the clinic's policy, the patient's move waits for the
/// psychologist (`change_request`); 403 with the reason when the policy
/// refuses.
#[utoipa::path(patch, path = "/appointments/{id}/", tag = "appointments", security(("bearer" = [])), params(("id" = i64, Path, description = "Appointment id")), request_body = RescheduleInput, responses((status = 200, body = AppointmentView), (status = 202, body = AppointmentView), (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody), (status = 410, body = super::error::ErrorBody)))]
pub async fn reschedule(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<RescheduleInput>,
) -> ApiResult<(StatusCode, Json<AppointmentView>)> {
    Ok(
        match booking::reschedule(&state, &caller.user, id, input).await? {
            Rescheduled::Moved(a) => {
                log(&state, &caller, ip, Action::Rescheduled, &a).await;
                (StatusCode::OK, Json(view(&state, &a, &caller)))
            }
            Rescheduled::Requested(a) => {
                log(&state, &caller, ip, Action::ChangeRequested, &a).await;
                (StatusCode::ACCEPTED, Json(view(&state, &a, &caller)))
            }
        },
    )
}

/// Records what `caller` did to `a`, with its time as it now is (or the
/// time asked for).
async fn log(
    state: &AppState,
    caller: &Caller,
    ip: std::net::IpAddr,
    action: Action,
    a: &Appointment,
) {
    let (when, minutes) = a
        .change_request
        .as_ref()
        .filter(|_| action == Action::ChangeRequested)
        .map_or((a.starts_at, a.duration_minutes), |r| {
            (r.starts_at, r.duration_minutes)
        });
    let detail = format!("{} for {minutes} minutes", rfc3339(when));
    let about = About {
        appointment_id: Some(a.id),
        subject_id: None,
        detail: Some(detail),
    };
    super::audit::caller_did(state, caller, ip, action, about).await;
}

/// `POST /api/appointments/{id}/change-request/approve/` — the
/// psychologist (or staff) accepts the patient's proposed time: the
/// appointment moves, with its notices, if the time is still free.
#[utoipa::path(post, path = "/appointments/{id}/change-request/approve/", tag = "appointments", security(("bearer" = [])), params(("id" = i64, Path, description = "Appointment id")), responses((status = 200, body = AppointmentView), (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody), (status = 410, body = super::error::ErrorBody)))]
pub async fn approve_change(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AppointmentView>> {
    let a = change_requests::approve(&state, &caller.user, id).await?;
    log(&state, &caller, ip, Action::ChangeApproved, &a).await;
    Ok(Json(view(&state, &a, &caller)))
}

/// `POST /api/appointments/{id}/change-request/decline/` — the
/// psychologist (or staff) declines, or the patient withdraws; the
/// appointment keeps its time.
#[utoipa::path(post, path = "/appointments/{id}/change-request/decline/", tag = "appointments", security(("bearer" = [])), params(("id" = i64, Path, description = "Appointment id")), responses((status = 200, body = AppointmentView), (status = 404, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody), (status = 410, body = super::error::ErrorBody)))]
pub async fn decline_change(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AppointmentView>> {
    let a = change_requests::decline(&state, &caller.user, id).await?;
    log(&state, &caller, ip, Action::ChangeDeclined, &a).await;
    Ok(Json(view(&state, &a, &caller)))
}

/// `POST /api/appointments/{id}/cancel/` — idempotent; 403 with the reason
/// when the clinic's policy refuses (a patient, close to the session).
#[utoipa::path(post, path = "/appointments/{id}/cancel/", tag = "appointments", security(("bearer" = [])), params(("id" = i64, Path, description = "Appointment id")), responses((status = 200, body = AppointmentView), (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AppointmentView>> {
    let before = appointments::visible(&state.db, &caller.user, id).await?;
    let updated = booking::cancel(&state, &caller.user, id).await?;
    if !before.is_cancelled() {
        log(&state, &caller, ip, Action::Cancelled, &updated).await;
    }
    Ok(Json(view(&state, &updated, &caller)))
}
