//! Sessions over HTTP: register (patients), login, refresh, logout, and
//! password resets. Failed logins never say whether the email or the
//! password was wrong, nor does a reset request whether an account exists.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, Caller, ClientIp};
use crate::auth::{password, reset, session, sign_in_link};
use crate::model::audit::{self, About, Action, Actor};
use crate::model::users::{self, Role, User, UserInput};
use crate::state::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub user: User,
    /// Set for a sign-in link's session: the one appointment it opens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appointment_id: Option<i64>,
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
        appointment_id: None,
    })
}

/// `POST /api/auth/register` — patients sign themselves up.
#[utoipa::path(post, path = "/auth/register", tag = "auth", request_body = UserInput, responses((status = 201, body = SessionTokens), (status = 403, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody), (status = 429, body = super::error::ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<UserInput>,
) -> ApiResult<(StatusCode, Json<SessionTokens>)> {
    if !state.config.app.self_sign_up {
        return Err(ApiError::Forbidden(
            "this clinic creates patients' accounts itself: ask the clinic for one".into(),
        ));
    }
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
    let about = About {
        subject_id: Some(created.id),
        ..About::default()
    };
    audit::record(
        &state.db,
        state.clock.now(),
        Actor::User(&created, Some(ip)),
        Action::SignedUp,
        about,
    )
    .await;
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
        // The right password for a closed account: say so (only its owner
        // can know the password).
        Some(user) if matches && !user.active => Err(ApiError::Forbidden(
            "this account is closed: contact the clinic".into(),
        )),
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

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequestInput {
    pub email: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResetRequested {
    pub message: &'static str,
}

/// `POST /api/auth/password-reset` — e-mails a single-use link to set a new
/// password, when an account uses the address. The answer is the same
/// either way.
#[utoipa::path(post, path = "/auth/password-reset", tag = "auth", request_body = ResetRequestInput, responses((status = 202, body = ResetRequested), (status = 422, body = super::error::ErrorBody), (status = 429, body = super::error::ErrorBody)))]
pub async fn request_reset(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<ResetRequestInput>,
) -> ApiResult<(StatusCode, Json<ResetRequested>)> {
    let email = input.email.trim().to_lowercase();
    if !email.contains('@') || email.len() > 254 {
        return Err(ApiError::field("email", "is not an e-mail address"));
    }
    state
        .login_limits
        .check_reset(&email, ip)
        .map_err(ApiError::TooManyRequests)?;
    let sent = reset::request(&state, &email, ip).await?;
    tracing::info!(%ip, sent, "password reset asked for");
    let about = About {
        detail: Some(format!(
            "for {email}{}",
            if sent { "" } else { " (no such account)" }
        )),
        ..About::default()
    };
    audit::record(
        &state.db,
        state.clock.now(),
        Actor::Anonymous(ip),
        Action::PasswordResetAsked,
        about,
    )
    .await;
    Ok((
        StatusCode::ACCEPTED,
        Json(ResetRequested {
            message: "If an account uses that address, an e-mail with a link to set a new password is on its way. The link works for an hour.",
        }),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetInput {
    /// The secret from the e-mailed link.
    pub token: String,
    pub password: String,
}

/// `POST /api/auth/password-reset/complete` — sets the new password with
/// the e-mailed secret (once, within the hour); every other session of the
/// account ends, and a new one starts.
#[utoipa::path(post, path = "/auth/password-reset/complete", tag = "auth", request_body = ResetInput, responses((status = 200, body = SessionTokens), (status = 410, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody), (status = 429, body = super::error::ErrorBody)))]
pub async fn complete_reset(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<ResetInput>,
) -> ApiResult<Json<SessionTokens>> {
    // Guessing secrets costs what guessing passwords does.
    state
        .login_limits
        .check_sign_up(ip)
        .map_err(ApiError::TooManyRequests)?;
    if input.token.is_empty() || input.token.len() > 128 {
        return Err(ApiError::Gone(
            "this link has expired or was already used: ask for a new one".into(),
        ));
    }
    let user = reset::complete(&state, &input.token, &input.password).await?;
    tracing::info!(user = user.id, %ip, "password set with a reset link");
    let about = About {
        subject_id: Some(user.id),
        ..About::default()
    };
    audit::record(
        &state.db,
        state.clock.now(),
        Actor::User(&user, Some(ip)),
        Action::PasswordReset,
        about,
    )
    .await;
    Ok(Json(start_session(&state, user).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInLinkInput {
    /// The `#key=` of a reminder's link.
    pub key: String,
}

/// `POST /api/auth/sign-in-link` — uses a reminder's one-time sign-in link
/// (`app.magic_links`): a session bound to that appointment, until its
/// room closes.
#[utoipa::path(post, path = "/auth/sign-in-link", tag = "auth", request_body = SignInLinkInput, responses((status = 200, body = SessionTokens), (status = 410, body = super::error::ErrorBody), (status = 429, body = super::error::ErrorBody)))]
pub async fn sign_in_link(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<SignInLinkInput>,
) -> ApiResult<Json<SessionTokens>> {
    // Guessing keys costs what guessing passwords does.
    state
        .login_limits
        .check_sign_up(ip)
        .map_err(ApiError::TooManyRequests)?;
    let now = state.clock.now().timestamp();
    let link = sign_in_link::redeem(&state.db, &input.key, now).await?;
    let (session_id, refresh_token) = session::create_bound(
        &state.db,
        link.user.id,
        Some(link.appointment_id),
        link.expires_at,
        now,
    )
    .await?;
    let about = About {
        appointment_id: Some(link.appointment_id),
        subject_id: Some(link.user.id),
        detail: Some("one-time sign-in link".into()),
    };
    audit::record(
        &state.db,
        state.clock.now(),
        Actor::User(&link.user, Some(ip)),
        Action::SignedIn,
        about,
    )
    .await;
    Ok(Json(SessionTokens {
        access_token: state.sessions.access_token(link.user.id, session_id, now),
        refresh_token,
        token_type: "Bearer",
        expires_in: session::ACCESS_TTL_SECS,
        user: link.user,
        appointment_id: Some(link.appointment_id),
    }))
}
