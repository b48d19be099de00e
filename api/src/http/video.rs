//! Video rooms and access tokens for appointments: the seed's
//! `video-room`, `video-token` and `video-sessions` endpoints.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use super::AppState;
use super::appointments::{self, Appointment, AppointmentView, rfc3339};
use super::error::{ApiError, ApiResult};
use super::extract::{ApiPath, Caller};
use super::users::Role;

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
    let a = appointments::visible(&state, &caller, id).await?;
    if a.is_cancelled() {
        return Err(ApiError::Gone("this appointment was cancelled".into()));
    }
    if !a.is_telehealth() {
        return Err(ApiError::BadRequest(
            "this is an in-person appointment; it has no video room".into(),
        ));
    }
    let a = if a.video_room_id.is_none() {
        let mut tx = crate::db::begin_write(&state.db).await?;
        let made = appointments::assign_room(&mut tx, a.id).await?;
        tx.commit().await?;
        if let Some((name, sid)) = made {
            let size = appointments::APPOINTMENT_ROOM_SIZE as usize;
            state.sfu.register_room(&name, &sid, Some(size)).await;
        }
        Appointment::by_id(&state.db, a.id)
            .await?
            .ok_or(ApiError::NotFound)?
    } else {
        a
    };
    Ok(Json(RoomCreated {
        message: "Video room created successfully",
        meeting_url: a.meeting_url(&state).unwrap_or_default(),
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
}

/// `GET /api/appointments/video-token/{id}/` — a Twilio-format access token
/// for the appointment's room, for its patient or psychologist (staff when
/// configured), inside the join window.
#[utoipa::path(get, path = "/appointments/video-token/{id}/", tag = "video", security(("bearer" = [])), params(("id" = i64, Path, description = "Appointment id")), responses((status = 200, body = VideoToken), (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody), (status = 410, body = super::error::ErrorBody)))]
pub async fn token(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<VideoToken>> {
    let a = appointments::visible(&state, &caller, id).await?;
    let participant = caller.user.id == a.patient_id || caller.user.id == a.psychologist_id;
    let staff_may_join = caller.is(Role::Admin) && state.config.app.admins_may_join;
    if !(participant || staff_may_join) {
        return Err(ApiError::Forbidden(
            "only the patient and the psychologist join this session".into(),
        ));
    }
    if a.is_cancelled() {
        return Err(ApiError::Gone("this appointment was cancelled".into()));
    }
    let Some(room) = a.video_room_id.clone().filter(|_| a.is_telehealth()) else {
        return Err(ApiError::BadRequest(
            "this is an in-person appointment; it has no video room".into(),
        ));
    };
    let now = state.clock.now();
    let (opens, closes) = a.join_window(&state);
    if now < opens {
        let minutes = (opens - now).num_minutes() + 1;
        return Err(ApiError::Forbidden(format!(
            "the video room opens at {} (in about {minutes} minutes)",
            rfc3339(opens)
        )));
    }
    if now > closes {
        return Err(ApiError::Forbidden(format!(
            "the video room closed at {}",
            rfc3339(closes)
        )));
    }
    let identity = format!("{}-{}", caller.user.id, caller.user.email);
    let ttl = state.config.app.video_token_ttl_secs;
    let access_token = signaling::token::mint(
        &state.credentials.account_sid,
        &state.credentials.api_key(),
        &identity,
        Some(&room),
        ttl,
        now.timestamp().max(0) as u64,
    );
    Ok(Json(VideoToken {
        access_token,
        room_name: room,
        user_identity: identity,
        expires_in: ttl,
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
    match Appointment::by_room(&state.db, &room).await? {
        Some(a) if a.visible_to(&caller) => Ok(Json(appointments::view(&state, &a, &caller))),
        _ => Err(ApiError::NotFound),
    }
}
