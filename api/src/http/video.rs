//! Video rooms and access tokens for appointments over HTTP: the seed's
//! `video-room`, `video-token` and `video-sessions` endpoints. The rules
//! are in [`crate::model::video`].

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use super::appointments::{AppointmentView, view};
use super::error::ApiResult;
use super::extract::{ApiPath, Caller, ClientIp};
use crate::model::audit::{About, Action};
use crate::model::{appointments, video};
use crate::state::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RoomCreated {
    pub message: &'static str,
    pub room_name: String,
    pub room_sid: String,
    pub meeting_url: String,
}

/// `POST /api/appointments/video-room/{id}/` — idempotent: the room an
/// appointment has, created if it has none yet.
#[utoipa::path(post, path = "/appointments/video-room/{id}/", tag = "video", security(("bearer" = [])), params(("id" = i64, Path, description = "Appointment id")), responses((status = 200, body = RoomCreated), (status = 400, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody), (status = 410, body = super::error::ErrorBody)))]
pub async fn create_room(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<RoomCreated>> {
    let a = video::ensure_room(&state, &caller.user, id).await?;
    Ok(Json(RoomCreated {
        message: "Video room created successfully",
        meeting_url: a.meeting_url(&state.config).unwrap_or_default(),
        room_name: a.video_room_id.unwrap_or_default(),
        room_sid: a.room_sid.unwrap_or_default(),
    }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VideoToken {
    pub access_token: String,
    pub room_name: String,
    pub user_identity: String,
    pub expires_in: u64,
    /// Whether the browsers encrypt this session's media end to end
    /// (`app.end_to_end_encryption`): the video page connects with it.
    pub end_to_end_encryption: bool,
}

/// `GET /api/appointments/video-token/{id}/` — a Twilio-format access token
/// for the appointment's room, for its patient or psychologist (staff when
/// configured), inside the join window.
#[utoipa::path(get, path = "/appointments/video-token/{id}/", tag = "video", security(("bearer" = [])), params(("id" = i64, Path, description = "Appointment id")), responses((status = 200, body = VideoToken), (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody), (status = 410, body = super::error::ErrorBody)))]
pub async fn token(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<VideoToken>> {
    let grant = video::token(&state, &caller.user, id).await?;
    let about = About {
        appointment_id: Some(id),
        subject_id: None,
        detail: Some(format!("{} for {} s", grant.identity, grant.ttl)),
    };
    super::audit::caller_did(&state, &caller, ip, Action::TokenIssued, about).await;
    Ok(Json(VideoToken {
        access_token: grant.access_token,
        room_name: grant.room_name,
        user_identity: grant.identity,
        expires_in: grant.ttl,
        end_to_end_encryption: state.config.app.encrypts_sessions(),
    }))
}

/// `GET /api/video-sessions/{room_name}/` — the appointment behind a room,
/// for the `/video-session/:roomName` page.
#[utoipa::path(get, path = "/video-sessions/{room}/", tag = "video", security(("bearer" = [])), params(("room" = String, Path, description = "Room name")), responses((status = 200, body = AppointmentView), (status = 404, body = super::error::ErrorBody)))]
pub async fn by_room(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(room): ApiPath<String>,
) -> ApiResult<Json<AppointmentView>> {
    let a = appointments::visible_by_room(&state.db, &caller.user, &room).await?;
    Ok(Json(view(&state, &a, &caller)))
}
