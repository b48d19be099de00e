//! The Twilio-compatible Rooms REST API (a subset of `/v1`): HTTP Basic auth
//! with the API key SID and secret ([`ApiKeyAuth`]), form-encoded requests,
//! JSON responses with Twilio's field names ([`twilio`]). Room state
//! follows the real SFU: completing a room disconnects everyone in it;
//! removing a participant disconnects them. The rooms themselves are
//! [`crate::model::rooms`].

pub mod twilio;

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Form, Json};
use serde::Deserialize;
use serde_json::{Value, json};

use self::twilio::{meta, participant_json, room_json};
use super::error::{ApiError, ApiResult};
use super::extract::{ApiKeyAuth, ApiPath, ApiQuery};
use crate::model::rooms::{self, NewRoom, RoomFor, lifecycle};
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CreateRoom {
    #[serde(default)]
    pub unique_name: Option<String>,
    #[serde(default, rename = "Type")]
    pub room_type: Option<String>,
    #[serde(default)]
    pub max_participants: Option<i64>,
    #[serde(default)]
    pub status_callback: Option<String>,
    #[serde(default)]
    pub status_callback_method: Option<String>,
    #[serde(default)]
    pub empty_room_timeout: Option<i64>,
    #[serde(default)]
    pub unused_room_timeout: Option<i64>,
}

/// `POST /v1/Rooms`
#[utoipa::path(post, path = "/Rooms", tag = "twilio-rooms", security(("api_key" = [])), request_body(content = CreateRoom, content_type = "application/x-www-form-urlencoded"), responses((status = 201, body = Object), (status = 400, body = super::error::ErrorBody), (status = 401, body = super::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    _: ApiKeyAuth,
    form: Result<Form<CreateRoom>, axum::extract::rejection::FormRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let Form(input) = form.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let request = RoomFor::Request {
        room: NewRoom {
            unique_name: input.unique_name,
            room_type: input.room_type,
            max_participants: input.max_participants,
            status_callback: input.status_callback,
            status_callback_method: input.status_callback_method,
            empty_room_timeout: input.empty_room_timeout,
            unused_room_timeout: input.unused_room_timeout,
        },
        cap: state.config.media.max_participants_per_room as i64,
        now: state.clock.now().timestamp(),
    };
    let tx = crate::db::begin_write(&state.db).await?;
    let opened = rooms::open(tx, &state, request)
        .await?
        .ok_or(ApiError::NotFound)?;
    let room = rooms::get(&state.db, &opened.sid).await?;
    crate::callbacks::record_room_created(&state, &room).await?;
    Ok((StatusCode::CREATED, Json(room_json(&state, &room))))
}

/// `GET /v1/Rooms/{sid or UniqueName}`
#[utoipa::path(get, path = "/Rooms/{id}", tag = "twilio-rooms", security(("api_key" = [])), params(("id" = String, Path, description = "Room sid or UniqueName")), responses((status = 200, body = Object), (status = 404, body = super::error::ErrorBody)))]
pub async fn fetch(
    State(state): State<AppState>,
    _: ApiKeyAuth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    let room = rooms::get(&state.db, &id).await?;
    Ok(Json(room_json(&state, &room)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "PascalCase")]
pub struct ListRooms {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub unique_name: Option<String>,
    #[serde(default)]
    pub page_size: Option<i64>,
}

/// `GET /v1/Rooms?Status=&UniqueName=`
#[utoipa::path(get, path = "/Rooms", tag = "twilio-rooms", security(("api_key" = [])), params(ListRooms), responses((status = 200, body = Object)))]
pub async fn list(
    State(state): State<AppState>,
    _: ApiKeyAuth,
    ApiQuery(query): ApiQuery<ListRooms>,
) -> ApiResult<Json<Value>> {
    let status = query.status.unwrap_or_default();
    let page_size = query.page_size.unwrap_or(50).clamp(1, 1000);
    let name = query.unique_name.unwrap_or_default();
    let found = rooms::list(&state.db, &status, &name, page_size).await?;
    let rooms: Vec<Value> = found.iter().map(|r| room_json(&state, r)).collect();
    Ok(Json(
        json!({"rooms": rooms, "meta": meta(&state, "/v1/Rooms", "rooms", page_size)}),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateStatus {
    pub status: String,
}

/// `POST /v1/Rooms/{sid}` with `Status=completed`: ends the room.
#[utoipa::path(post, path = "/Rooms/{id}", tag = "twilio-rooms", security(("api_key" = [])), params(("id" = String, Path, description = "Room sid or UniqueName")), request_body(content = UpdateStatus, content_type = "application/x-www-form-urlencoded"), responses((status = 200, body = Object), (status = 400, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    _: ApiKeyAuth,
    ApiPath(id): ApiPath<String>,
    form: Result<Form<UpdateStatus>, axum::extract::rejection::FormRejection>,
) -> ApiResult<Json<Value>> {
    let Form(input) = form.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    // 404 for an unknown room comes before 53112 for a wrong status.
    let room = rooms::get(&state.db, &id).await?;
    if input.status != "completed" {
        return Err(crate::model::Error::RoomNotInProgress.into());
    }
    let room = lifecycle::end(&state, &room.sid).await?;
    Ok(Json(room_json(&state, &room)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "PascalCase")]
pub struct ListParticipants {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub identity: Option<String>,
}

/// `GET /v1/Rooms/{sid}/Participants`
#[utoipa::path(get, path = "/Rooms/{id}/Participants", tag = "twilio-rooms", security(("api_key" = [])), params(("id" = String, Path, description = "Room sid or UniqueName"), ListParticipants), responses((status = 200, body = Object), (status = 404, body = super::error::ErrorBody)))]
pub async fn participants(
    State(state): State<AppState>,
    _: ApiKeyAuth,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<ListParticipants>,
) -> ApiResult<Json<Value>> {
    let (room, people) = rooms::people(&state, &id).await?;
    // Twilio's default: the connected ones while the room is in progress,
    // the disconnected ones once it is over.
    let wanted = query.status.unwrap_or_else(|| {
        let default = if room.status == "in-progress" {
            "connected"
        } else {
            "disconnected"
        };
        default.to_owned()
    });
    let list: Vec<Value> = people
        .iter()
        .filter(|p| p.status == wanted)
        .filter(|p| query.identity.as_deref().is_none_or(|i| i == p.identity))
        .map(|p| participant_json(&state, &room, p))
        .collect();
    let path = format!("/v1/Rooms/{}/Participants", room.sid);
    Ok(Json(
        json!({"participants": list, "meta": meta(&state, &path, "participants", 50)}),
    ))
}

/// `GET /v1/Rooms/{sid}/Participants/{sid or identity}`
#[utoipa::path(get, path = "/Rooms/{id}/Participants/{who}", tag = "twilio-rooms", security(("api_key" = [])), params(("id" = String, Path, description = "Room sid or UniqueName"), ("who" = String, Path, description = "Participant sid or identity")), responses((status = 200, body = Object), (status = 404, body = super::error::ErrorBody)))]
pub async fn participant(
    State(state): State<AppState>,
    _: ApiKeyAuth,
    ApiPath((id, who)): ApiPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    let (room, people) = rooms::people(&state, &id).await?;
    // A sid is exact; an identity means its latest session (connected first).
    let p = people
        .iter()
        .find(|p| p.sid == who)
        .or_else(|| {
            people
                .iter()
                .rev()
                .filter(|p| p.identity == who)
                .min_by_key(|p| p.status != "connected")
        })
        .ok_or(ApiError::NotFound)?;
    Ok(Json(participant_json(&state, &room, p)))
}

/// `POST /v1/Rooms/{sid}/Participants/{sid}` with `Status=disconnected`.
#[utoipa::path(post, path = "/Rooms/{id}/Participants/{who}", tag = "twilio-rooms", security(("api_key" = [])), params(("id" = String, Path, description = "Room sid or UniqueName"), ("who" = String, Path, description = "Participant sid or identity")), request_body(content = UpdateStatus, content_type = "application/x-www-form-urlencoded"), responses((status = 200, body = Object), (status = 400, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)))]
pub async fn update_participant(
    State(state): State<AppState>,
    _: ApiKeyAuth,
    ApiPath((id, who)): ApiPath<(String, String)>,
    form: Result<Form<UpdateStatus>, axum::extract::rejection::FormRejection>,
) -> ApiResult<Json<Value>> {
    let Form(input) = form.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    if input.status != "disconnected" {
        return Err(ApiError::Twilio(
            StatusCode::BAD_REQUEST,
            53209,
            "Participant status is invalid: set Status=disconnected".into(),
        ));
    }
    let (room, removed) = rooms::remove_participant(&state, &id, &who).await?;
    Ok(Json(participant_json(&state, &room, &removed)))
}
