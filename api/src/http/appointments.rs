//! Appointments over HTTP: booking, listing, details, rescheduling and
//! cancelling, in the seed front end's shapes. The rules are in
//! [`crate::model::booking`].

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::error::ApiResult;
use super::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::model::appointments::{self, Appointment, ListFilter};
use crate::model::booking::{self, BookInput, RescheduleInput};
use crate::model::time::rfc3339;
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
}

pub fn view(state: &AppState, a: &Appointment, caller: &Caller) -> AppointmentView {
    let now = state.clock.now();
    let (opens, closes) = a.join_window(&state.config);
    let may_join = a.may_join(&caller.user, &state.config);
    let telehealth = a.is_telehealth() && !a.is_cancelled();
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
    }
}

/// `POST /api/appointments/`
#[utoipa::path(post, path = "/appointments/", tag = "appointments", security(("bearer" = [])), request_body = BookInput, responses((status = 201, body = AppointmentView), (status = 403, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn book(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<BookInput>,
) -> ApiResult<(StatusCode, Json<AppointmentView>)> {
    let appointment = booking::book(&state, &caller.user, input).await?;
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

/// `PATCH /api/appointments/{id}/` — reschedule.
#[utoipa::path(patch, path = "/appointments/{id}/", tag = "appointments", security(("bearer" = [])), params(("id" = i64, Path, description = "Appointment id")), request_body = RescheduleInput, responses((status = 200, body = AppointmentView), (status = 404, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody), (status = 410, body = super::error::ErrorBody)))]
pub async fn reschedule(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<RescheduleInput>,
) -> ApiResult<Json<AppointmentView>> {
    let updated = booking::reschedule(&state, &caller.user, id, input).await?;
    Ok(Json(view(&state, &updated, &caller)))
}

/// `POST /api/appointments/{id}/cancel/` — idempotent.
#[utoipa::path(post, path = "/appointments/{id}/cancel/", tag = "appointments", security(("bearer" = [])), params(("id" = i64, Path, description = "Appointment id")), responses((status = 200, body = AppointmentView), (status = 404, body = super::error::ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AppointmentView>> {
    let updated = booking::cancel(&state, &caller.user, id).await?;
    Ok(Json(view(&state, &updated, &caller)))
}
