//! An appointment's waiting room over HTTP: the patient's page arrives and
//! waits for news; the psychologist's page watches it and admits, removes
//! or leaves a note. The rules are in [`crate::model::waiting_room`].

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use super::error::ApiResult;
use super::extract::{ApiJson, ApiPath, ApiQuery, Caller, ClientIp};
use crate::model::appointments::Appointment;
use crate::model::audit::{About, Action};
use crate::model::time::rfc3339;
use crate::model::waiting_room::{self, WaitingRoom};
use crate::state::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WaitingRoomView {
    /// Grows with every change: ask for news newer than it.
    pub version: i64,
    /// The patient is waiting to be let in.
    pub waiting: bool,
    pub waiting_since: Option<String>,
    /// The patient may join the call.
    pub admitted: bool,
    /// The psychologist sent the patient away.
    pub removed: bool,
    /// The psychologist's note to the waiting patient.
    pub note: Option<String>,
    pub note_at: Option<String>,
    pub psychologist_name: String,
    /// The patient's first name (the psychologist's page shows it).
    pub patient_first_name: String,
}

fn view(a: &Appointment, room: &WaitingRoom) -> WaitingRoomView {
    WaitingRoomView {
        version: room.version,
        waiting: room.waiting_since.is_some() && room.admitted_at.is_none(),
        waiting_since: room.waiting_since.map(rfc3339),
        admitted: room.admitted_at.is_some(),
        removed: room.removed_at.is_some(),
        note: room.note.clone(),
        note_at: room.note_at.map(rfc3339),
        psychologist_name: a.psychologist_name.clone(),
        patient_first_name: a
            .patient_name
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned(),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NewsQuery {
    /// Answer once the version is past this (or after 25 s); without it, at once.
    #[serde(default)]
    pub seen: Option<i64>,
}

/// `GET /api/appointments/{id}/waiting-room/?seen=N` — the waiting room,
/// answered when it changes past version `N` (at most 25 s later).
#[utoipa::path(get, path = "/appointments/{id}/waiting-room/", tag = "waiting room", security(("bearer" = [])), params(("id" = i64, Path, description = "Appointment id"), NewsQuery), responses((status = 200, body = WaitingRoomView), (status = 400, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody), (status = 410, body = super::error::ErrorBody)))]
pub async fn news(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(query): ApiQuery<NewsQuery>,
) -> ApiResult<Json<WaitingRoomView>> {
    let (a, room) = waiting_room::news(&state, &caller.user, id, query.seen).await?;
    Ok(Json(view(&a, &room)))
}

/// The answer to an action: the appointment's waiting room as it left it.
async fn acted(
    state: &AppState,
    caller: &Caller,
    id: i64,
    room: WaitingRoom,
) -> ApiResult<Json<WaitingRoomView>> {
    let a = crate::model::appointments::visible(&state.db, &caller.user, id).await?;
    Ok(Json(view(&a, &room)))
}

/// `POST /api/appointments/{id}/waiting-room/arrive/` — the patient's page
/// is open: they wait to be let in (a psychologist's arrival changes nothing).
#[utoipa::path(post, path = "/appointments/{id}/waiting-room/arrive/", tag = "waiting room", security(("bearer" = [])), params(("id" = i64, Path, description = "Appointment id")), responses((status = 200, body = WaitingRoomView), (status = 400, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody), (status = 410, body = super::error::ErrorBody)))]
pub async fn arrive(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<WaitingRoomView>> {
    let room = waiting_room::arrive(&state, &caller.user, id).await?;
    acted(&state, &caller, id, room).await
}

/// `POST /api/appointments/{id}/waiting-room/leave/` — the patient's page
/// closed before they were let in: they no longer wait.
#[utoipa::path(post, path = "/appointments/{id}/waiting-room/leave/", tag = "waiting room", security(("bearer" = [])), params(("id" = i64, Path, description = "Appointment id")), responses((status = 200, body = WaitingRoomView), (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody), (status = 410, body = super::error::ErrorBody)))]
pub async fn leave(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<WaitingRoomView>> {
    let room = waiting_room::leave(&state, &caller.user, id).await?;
    acted(&state, &caller, id, room).await
}

/// `POST /api/appointments/{id}/waiting-room/admit/` — the psychologist
/// lets the patient in.
#[utoipa::path(post, path = "/appointments/{id}/waiting-room/admit/", tag = "waiting room", security(("bearer" = [])), params(("id" = i64, Path, description = "Appointment id")), responses((status = 200, body = WaitingRoomView), (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody), (status = 410, body = super::error::ErrorBody)))]
pub async fn admit(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<WaitingRoomView>> {
    let room = waiting_room::admit(&state, &caller.user, id).await?;
    log(&state, &caller, ip, Action::Admitted, id).await;
    acted(&state, &caller, id, room).await
}

/// `POST /api/appointments/{id}/waiting-room/remove/` — the psychologist
/// sends the patient away (out of the call too, if they are in it).
#[utoipa::path(post, path = "/appointments/{id}/waiting-room/remove/", tag = "waiting room", security(("bearer" = [])), params(("id" = i64, Path, description = "Appointment id")), responses((status = 200, body = WaitingRoomView), (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody), (status = 410, body = super::error::ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<WaitingRoomView>> {
    let room = waiting_room::remove(&state, &caller.user, id).await?;
    log(&state, &caller, ip, Action::Removed, id).await;
    acted(&state, &caller, id, room).await
}

async fn log(state: &AppState, caller: &Caller, ip: std::net::IpAddr, action: Action, id: i64) {
    let about = About {
        appointment_id: Some(id),
        ..About::default()
    };
    super::audit::caller_did(state, caller, ip, action, about).await;
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteInput {
    /// At most 280 characters; empty takes the note down.
    pub note: String,
}

/// `POST /api/appointments/{id}/waiting-room/note/` — the psychologist's
/// note to the waiting patient ("running 5 minutes late").
#[utoipa::path(post, path = "/appointments/{id}/waiting-room/note/", tag = "waiting room", security(("bearer" = [])), params(("id" = i64, Path, description = "Appointment id")), request_body = NoteInput, responses((status = 200, body = WaitingRoomView), (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody), (status = 410, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn note(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<NoteInput>,
) -> ApiResult<Json<WaitingRoomView>> {
    let room = waiting_room::note(&state, &caller.user, id, &input.note).await?;
    acted(&state, &caller, id, room).await
}
