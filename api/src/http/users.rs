//! Accounts over HTTP: staff creating, correcting, closing and reopening
//! accounts and sending someone a password reset; listing users; who-am-I.
//! The records and checks are in [`crate::model::users`] and
//! [`crate::model::people`].

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiPath, ApiQuery, Caller, ClientIp};
use crate::model::audit::{About, Action};
use crate::model::people::{self, PersonUpdate};
use crate::model::users::{self, Role, User, UserInput};
use crate::state::AppState;

/// `GET /api/me`
#[utoipa::path(get, path = "/me", tag = "users", security(("bearer" = [])), responses((status = 200, body = User), (status = 401, body = super::error::ErrorBody)))]
pub async fn me(caller: Caller) -> Json<User> {
    Json(caller.user)
}

/// `POST /api/users/` — staff create any account.
#[utoipa::path(post, path = "/users/", tag = "users", security(("bearer" = [])), request_body = UserInput, responses((status = 201, body = User), (status = 403, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<UserInput>,
) -> ApiResult<(StatusCode, Json<User>)> {
    caller.require(Role::Admin)?;
    let user = input.check(Role::Patient)?;
    let created = users::insert(&state.db, user, state.clock.now().timestamp()).await?;
    let about = About {
        subject_id: Some(created.id),
        detail: Some(format!("{} ({})", created.email, created.role.as_str())),
        ..About::default()
    };
    super::audit::caller_did(&state, &caller, ip, Action::UserCreated, about).await;
    Ok((StatusCode::CREATED, Json(created)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    #[serde(default)]
    pub role: Option<String>,
}

/// `GET /api/users/?role=` — staff see everyone; others may list
/// psychologists (to book with one), and only their public fields.
#[utoipa::path(get, path = "/users/", tag = "users", security(("bearer" = [])), params(ListQuery), responses((status = 200, body = Vec<Object>), (status = 403, body = super::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<Vec<serde_json::Value>>> {
    let role = match query.role.as_deref() {
        None => None,
        Some(r) => Some(
            Role::parse(r)
                .ok_or_else(|| ApiError::field("role", "must be patient, psychologist or admin"))?,
        ),
    };
    if !caller.is(Role::Admin) && role != Some(Role::Psychologist) {
        return Err(ApiError::Forbidden(
            "only staff can list users; others may list ?role=psychologist".into(),
        ));
    }
    let users = User::list(&state.db, role).await?.into_iter();
    // Closed accounts are the clinic's business only.
    let users = users.filter(|u| caller.is(Role::Admin) || u.active);
    let out = if caller.is(Role::Admin) {
        users
            .map(|u| serde_json::to_value(u).expect("serializable"))
            .collect()
    } else {
        users
            .map(|u| serde_json::json!({"id": u.id, "name": u.name, "role": u.role}))
            .collect()
    };
    Ok(Json(out))
}

async fn audited(
    state: &AppState,
    caller: &Caller,
    ip: std::net::IpAddr,
    action: Action,
    user: &User,
    detail: Option<String>,
) {
    let about = About {
        subject_id: Some(user.id),
        detail,
        ..About::default()
    };
    super::audit::caller_did(state, caller, ip, action, about).await;
}

/// `PATCH /api/users/{id}/` — staff correct an account (name, e-mail,
/// phone, time zone, WhatsApp consent).
#[utoipa::path(patch, path = "/users/{id}/", tag = "users", security(("bearer" = [])), params(("id" = i64, Path, description = "User id")), request_body = PersonUpdate, responses((status = 200, body = User), (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<PersonUpdate>,
) -> ApiResult<Json<User>> {
    caller.require(Role::Admin)?;
    let changed: Vec<&str> = [
        ("name", input.name.is_some()),
        ("email", input.email.is_some()),
        ("phone", input.phone.is_some()),
        ("time_zone", input.time_zone.is_some()),
        ("whatsapp_opt_in", input.whatsapp_opt_in.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, given)| given.then_some(name))
    .collect();
    let user = people::update(&state.db, id, input).await?;
    audited(
        &state,
        &caller,
        ip,
        Action::UserUpdated,
        &user,
        Some(changed.join(", ")),
    )
    .await;
    Ok(Json(user))
}

/// `POST /api/users/{id}/deactivate/` — staff close an account: it can no
/// longer sign in and its sessions end; its records stay.
#[utoipa::path(post, path = "/users/{id}/deactivate/", tag = "users", security(("bearer" = [])), params(("id" = i64, Path, description = "User id")), responses((status = 200, body = User), (status = 400, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)))]
pub async fn deactivate(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<User>> {
    caller.require(Role::Admin)?;
    let now = state.clock.now().timestamp();
    let user = people::set_active(&state.db, &caller.user, id, false, now).await?;
    audited(&state, &caller, ip, Action::UserDeactivated, &user, None).await;
    Ok(Json(user))
}

/// `POST /api/users/{id}/reactivate/` — staff open a closed account again.
#[utoipa::path(post, path = "/users/{id}/reactivate/", tag = "users", security(("bearer" = [])), params(("id" = i64, Path, description = "User id")), responses((status = 200, body = User), (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)))]
pub async fn reactivate(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<User>> {
    caller.require(Role::Admin)?;
    let now = state.clock.now().timestamp();
    let user = people::set_active(&state.db, &caller.user, id, true, now).await?;
    audited(&state, &caller, ip, Action::UserReactivated, &user, None).await;
    Ok(Json(user))
}

/// `POST /api/users/{id}/password-reset/` — staff send someone the e-mail
/// with a link to set a new password (their old one keeps working until
/// they do).
#[utoipa::path(post, path = "/users/{id}/password-reset/", tag = "users", security(("bearer" = [])), params(("id" = i64, Path, description = "User id")), responses((status = 202, body = super::auth::ResetRequested), (status = 400, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)))]
pub async fn send_reset(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<(StatusCode, Json<super::auth::ResetRequested>)> {
    caller.require(Role::Admin)?;
    let user = User::by_id(&state.db, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !user.active {
        return Err(ApiError::BadRequest(
            "this account is closed: reopen it first".into(),
        ));
    }
    crate::auth::reset::request(&state, &user.email, ip).await?;
    audited(
        &state,
        &caller,
        ip,
        Action::PasswordResetAsked,
        &user,
        Some(format!("for {}", user.email)),
    )
    .await;
    Ok((
        StatusCode::ACCEPTED,
        Json(super::auth::ResetRequested {
            message: "An e-mail with a link to set a new password is on its way. The link works for an hour.",
        }),
    ))
}
