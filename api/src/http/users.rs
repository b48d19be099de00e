//! Accounts over HTTP: staff creating accounts, listing users, and
//! who-am-I. The records and checks are in [`crate::model::users`].

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiQuery, Caller, ClientIp};
use crate::model::audit::{self, About, Action, Actor};
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
    audit::record(
        &state.db,
        state.clock.now(),
        Actor::User(&caller.user, Some(ip)),
        Action::UserCreated,
        about,
    )
    .await;
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
