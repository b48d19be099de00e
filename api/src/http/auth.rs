//! Sessions over HTTP: register (patients), login, refresh, logout. Failed
//! logins never say whether the email or the password was wrong.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, Caller, ClientIp};
use crate::auth::{password, session};
use crate::model::users::{self, Role, User, UserInput};
use crate::state::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub user: User,
}

async fn start_session(state: &AppState, user: User) -> ApiResult<SessionTokens> {
    let now = state.clock.now().timestamp();
    let (session_id, refresh_token) = session::create(&state.db, user.id, now).await?;
    Ok(SessionTokens {
        access_token: state.sessions.access_token(user.id, session_id, now),
        refresh_token,
        token_type: "Bearer",
        expires_in: session::ACCESS_TTL_SECS,
        user,
    })
}

/// `POST /api/auth/register` — patients sign themselves up.
#[utoipa::path(post, path = "/auth/register", tag = "auth", request_body = UserInput, responses((status = 201, body = SessionTokens), (status = 409, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody), (status = 429, body = super::error::ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<UserInput>,
) -> ApiResult<(StatusCode, Json<SessionTokens>)> {
    state
        .login_limits
        .check_sign_up(ip)
        .map_err(ApiError::TooManyRequests)?;
    if input.role.as_deref().is_some_and(|r| r != "patient") {
        return Err(ApiError::field(
            "role",
            "only patients can register themselves",
        ));
    }
    let user = input.check(Role::Patient)?;
    let created = users::insert(&state.db, user, state.clock.now().timestamp()).await?;
    Ok((
        StatusCode::CREATED,
        Json(start_session(&state, created).await?),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    pub email: String,
    pub password: String,
}

/// `POST /api/auth/login`
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginInput, responses((status = 200, body = SessionTokens), (status = 401, body = super::error::ErrorBody), (status = 429, body = super::error::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<LoginInput>,
) -> ApiResult<Json<SessionTokens>> {
    let email = input.email.trim().to_lowercase();
    state
        .login_limits
        .check(&email, ip)
        .map_err(ApiError::TooManyRequests)?;
    let found = users::User::by_email_with_hash(&state.db, &email).await?;
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), hash),
        None => (None, password::decoy_hash().to_owned()),
    };
    let matches = password::verify(input.password, hash).await;
    match user {
        Some(user) if matches => Ok(Json(start_session(&state, user).await?)),
        _ => Err(ApiError::LoginFailed),
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshInput {
    pub refresh_token: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RefreshedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
}

/// `POST /api/auth/refresh` — a new access token; the refresh token rotates.
#[utoipa::path(post, path = "/auth/refresh", tag = "auth", request_body = RefreshInput, responses((status = 200, body = RefreshedTokens), (status = 401, body = super::error::ErrorBody)))]
pub async fn refresh(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<RefreshInput>,
) -> ApiResult<Json<RefreshedTokens>> {
    let now = state.clock.now().timestamp();
    let (user_id, session_id, refresh_token) =
        session::rotate(&state.db, &input.refresh_token, now)
            .await?
            .ok_or(ApiError::Unauthorized)?;
    Ok(Json(RefreshedTokens {
        access_token: state.sessions.access_token(user_id, session_id, now),
        refresh_token,
        token_type: "Bearer",
        expires_in: session::ACCESS_TTL_SECS,
    }))
}

/// `POST /api/auth/logout` — ends this session (its access and refresh
/// tokens stop working at once).
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("bearer" = [])), responses((status = 204), (status = 401, body = super::error::ErrorBody)))]
pub async fn logout(State(state): State<AppState>, caller: Caller) -> ApiResult<StatusCode> {
    session::revoke(&state.db, caller.session_id, state.clock.now().timestamp()).await?;
    Ok(StatusCode::NO_CONTENT)
}
