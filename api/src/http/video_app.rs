//! `POST /token`, with `[video_app]` set: the token server that
//! twilio-video-app-react, built with `REACT_APP_SET_AUTH=passcode`, calls.
//! It answers exactly as Twilio's `@twilio-labs/plugin-rtc` does (the app
//! reads these bodies, so they are Twilio's contract, not Confide's API):
//!
//! - request: JSON `{user_identity, room_name, passcode, create_room =
//!   true, create_conversation = false}`;
//! - `200 {"token", "room_type": "group"}`, a token for `user_identity`
//!   in `room_name`;
//! - errors: `{"error": {"message", "explanation"}}`, 401 for a wrong
//!   passcode, 400 for a bad request, 429 when an address has sent too many
//!   wrong passcodes ([`crate::auth::rate_limit`]).
//!
//! Unlike plugin-rtc, a token always names its room, and reaches only rooms
//! the SFU opens on a first join ([`signaling::token::RoomScope`]): the
//! passcode is shared by everyone who uses the app, and must not let them
//! into a therapy session (an appointment's room, registered by the API)
//! or a room made through the REST API. Names with the appointment rooms'
//! prefix `apt-` are refused outright, so an app room is never mistaken
//! for one after the appointment's room has closed.
//!
//! `create_room` needs no work: the SFU opens a room on its first join.
//! `create_conversation` is accepted and ignored: Confide has no
//! Conversations service (build the app with
//! `REACT_APP_DISABLE_TWILIO_CONVERSATIONS=true`).
//!
//! The route is added outside [`super::text_guard`], whose refusal has
//! Confide's error shape; control characters are refused here instead.

use std::borrow::Cow;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};
use signaling::token::MAX_IDENTITY_BYTES;

use super::extract::{ClientIp, constant_time_eq};
use crate::model::rooms;
use crate::state::AppState;

/// The token's lifetime: Twilio's longest video session, four hours, as
/// plugin-rtc mints them.
pub const MAX_ALLOWED_SESSION_DURATION: u64 = 14_400;

/// What plugin-rtc answers with its default `ROOM_TYPE`; the SFU's rooms
/// behave as group rooms.
const ROOM_TYPE: &str = "group";

/// `POST /token`, for [`crate::server`] to add once `[video_app]` is set.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route("/token", post(token))
        .layer(DefaultBodyLimit::max(super::MAX_BODY));
    super::headers::never_cached(routes).with_state(state)
}

/// An answer in plugin-rtc's error shape.
struct TokenError {
    status: StatusCode,
    message: &'static str,
    explanation: Cow<'static, str>,
    retry_after: Option<Duration>,
}

impl TokenError {
    fn new(
        status: StatusCode,
        message: &'static str,
        explanation: impl Into<Cow<'static, str>>,
    ) -> TokenError {
        TokenError {
            status,
            message,
            explanation: explanation.into(),
            retry_after: None,
        }
    }

    fn invalid(explanation: impl Into<Cow<'static, str>>) -> TokenError {
        TokenError::new(StatusCode::BAD_REQUEST, "invalid parameter", explanation)
    }

    fn unreadable(explanation: &'static str) -> TokenError {
        TokenError::new(StatusCode::BAD_REQUEST, "invalid request", explanation)
    }

    fn passcode_incorrect() -> TokenError {
        TokenError::new(
            StatusCode::UNAUTHORIZED,
            "passcode incorrect",
            "The passcode used to validate application users is incorrect.",
        )
    }

    fn too_many(wait: Duration) -> TokenError {
        TokenError {
            retry_after: Some(wait),
            ..TokenError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too many requests",
                format!(
                    "Too many incorrect passcodes from this address; try again in {} s.",
                    wait.as_secs()
                ),
            )
        }
    }
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"message": self.message, "explanation": self.explanation}});
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(wait) = self.retry_after {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                wait.as_secs().max(1).to_string().parse().expect("digits"),
            );
        }
        response
    }
}

async fn token(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match answer(&state, ip, &headers, body) {
        Ok(token) => axum::Json(json!({"token": token, "room_type": ROOM_TYPE})).into_response(),
        Err(err) => err.into_response(),
    }
}

/// The checks in plugin-rtc's order (passcode, the two flags, identity,
/// room), then Confide's own limits on names, then the token.
fn answer(
    state: &AppState,
    ip: std::net::IpAddr,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<String, TokenError> {
    let input = json_object(headers, body)?;
    let limits = &state.login_limits;
    limits.check_passcode(ip).map_err(TokenError::too_many)?;
    // The route is only added with `[video_app]`; without one, no passcode
    // is right.
    let Some(video_app) = &state.config.video_app else {
        return Err(TokenError::passcode_incorrect());
    };
    let given = input.get("passcode").and_then(Value::as_str).unwrap_or("");
    if !passcode_matches(&video_app.passcode, given) {
        limits.wrong_passcode(ip).map_err(TokenError::too_many)?;
        return Err(TokenError::passcode_incorrect());
    }
    let create_room = flag(&input, "create_room", true)?;
    flag(&input, "create_conversation", false)?;
    let Some(identity) = text(&input, "user_identity")? else {
        return Err(TokenError::new(
            StatusCode::BAD_REQUEST,
            "missing user_identity",
            "The user_identity parameter is missing.",
        ));
    };
    let Some(room) = text(&input, "room_name")? else {
        return Err(TokenError::new(
            StatusCode::BAD_REQUEST,
            "missing room_name",
            if create_room {
                "The room_name parameter is missing. room_name is required when create_room is true."
            } else {
                "The room_name parameter is missing. Confide's tokens always name their room."
            },
        ));
    };
    if identity.len() > MAX_IDENTITY_BYTES {
        return Err(TokenError::invalid(format!(
            "The user_identity parameter must be at most {MAX_IDENTITY_BYTES} bytes long."
        )));
    }
    if identity.chars().any(char::is_control) {
        return Err(TokenError::invalid(
            "The user_identity parameter must not contain control characters.",
        ));
    }
    if !rooms::is_valid_name(room) {
        return Err(TokenError::invalid(
            "The room_name parameter must be 1 to 128 letters, digits, '-', '_' or '.'.",
        ));
    }
    if room.starts_with(rooms::APPOINTMENT_ROOM_PREFIX) {
        return Err(TokenError::invalid(format!(
            "Room names starting with '{}' are kept for the clinic's appointments.",
            rooms::APPOINTMENT_ROOM_PREFIX
        )));
    }
    let credentials = &state.credentials;
    Ok(signaling::token::mint_for_ad_hoc_rooms(
        &credentials.account_sid,
        &credentials.api_key(),
        identity,
        room,
        MAX_ALLOWED_SESSION_DURATION,
        state.clock.unix_now(),
    ))
}

/// The body as a JSON object (the app sends `content-type:
/// application/json`).
fn json_object(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Map<String, Value>, TokenError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            TokenError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid request",
                "The request body is too large.",
            )
        } else {
            TokenError::unreadable("The request body could not be read.")
        }
    })?;
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase());
    if media_type.as_deref() != Some("application/json") {
        return Err(TokenError::unreadable(
            "The request body must be JSON, sent with Content-Type: application/json.",
        ));
    }
    serde_json::from_slice(&body)
        .map_err(|_| TokenError::unreadable("The request body must be a JSON object."))
}

/// Whether `given` is the passcode, in constant time: both are hashed
/// first, so neither the length nor where they differ shows in the timing.
fn passcode_matches(passcode: &str, given: &str) -> bool {
    let sha256 = |text: &str| ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    constant_time_eq(sha256(passcode).as_ref(), sha256(given).as_ref())
}

/// A boolean parameter: its default when absent, else it must be a boolean
/// (JavaScript's default applies only to a missing one, so `null` is
/// refused as plugin-rtc refuses it).
fn flag(input: &Map<String, Value>, name: &str, default: bool) -> Result<bool, TokenError> {
    match input.get(name) {
        None => Ok(default),
        Some(Value::Bool(value)) => Ok(*value),
        Some(_) => Err(TokenError::invalid(format!(
            "A boolean value must be provided for the {name} parameter"
        ))),
    }
}

/// A text parameter: `None` when plugin-rtc would find it missing (absent
/// or any falsy value: `null`, `""`, `false`, `0`); a string otherwise.
fn text<'a>(input: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, TokenError> {
    match input.get(name) {
        None | Some(Value::Null) | Some(Value::Bool(false)) => Ok(None),
        Some(Value::String(text)) if text.is_empty() => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(Value::Number(number)) if number.as_f64() == Some(0.0) => Ok(None),
        Some(_) => Err(TokenError::invalid(format!(
            "The {name} parameter must be a string."
        ))),
    }
}
