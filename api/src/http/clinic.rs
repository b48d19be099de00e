//! What anyone may know before signing in: the clinic's name and what its
//! sign-in page offers, and, for a reminder's link, when the session it
//! leads to is (the link's room name is its unguessable key; no names are
//! given, so a forwarded link tells a stranger only a time).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use super::error::{ApiError, ApiResult};
use super::extract::ApiPath;
use crate::model::appointments::Appointment;
use crate::model::time::rfc3339;
use crate::state::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClinicInfo {
    pub name: String,
    /// Patients may create their own accounts.
    pub self_sign_up: bool,
    /// Patients wait until the psychologist lets them in.
    pub waiting_room: bool,
}

/// `GET /api/clinic` — for the sign-in and sign-up pages.
#[utoipa::path(get, path = "/clinic", tag = "clinic", responses((status = 200, body = ClinicInfo)))]
pub async fn info(State(state): State<AppState>) -> Json<ClinicInfo> {
    Json(ClinicInfo {
        name: state.config.notifications.clinic_name.clone(),
        self_sign_up: state.config.app.self_sign_up,
        waiting_room: state.config.app.waiting_room,
    })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionInvitation {
    pub starts_at: String,
    pub duration_minutes: i64,
    /// `scheduled` or `cancelled`.
    pub status: String,
}

/// `GET /api/clinic/sessions/{room}` — when the session behind a reminder's
/// link is, so the sign-in page can say what it leads to.
#[utoipa::path(get, path = "/clinic/sessions/{room}", tag = "clinic", params(("room" = String, Path, description = "Room name from the link")), responses((status = 200, body = SessionInvitation), (status = 404, body = super::error::ErrorBody)))]
pub async fn session(
    State(state): State<AppState>,
    ApiPath(room): ApiPath<String>,
) -> ApiResult<Json<SessionInvitation>> {
    let unknown = || {
        ApiError::Twilio(
            StatusCode::NOT_FOUND,
            20404,
            "no session has this link: check it, or sign in to see your appointments".into(),
        )
    };
    if room.len() > 64 {
        return Err(unknown());
    }
    let a = Appointment::by_room(&state.db, &room)
        .await?
        .ok_or_else(unknown)?;
    Ok(Json(SessionInvitation {
        starts_at: rfc3339(a.starts_at),
        duration_minutes: a.duration_minutes,
        status: a.status.clone(),
    }))
}
