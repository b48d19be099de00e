//! The HTTP API, a file per resource (after realworld-axum-sqlx):
//!
//! - [`auth`]: register, login, refresh, logout.
//! - [`users`]: accounts, `/api/me`.
//! - [`appointments`]: booking, listing, rescheduling, cancelling.
//! - [`video`]: rooms and access tokens for appointments.
//! - [`error`]: the one error type; [`extract`]: JSON and caller
//!   extractors; [`validate`]: field checks.

pub mod appointments;
pub mod auth;
pub mod error;
pub mod extract;
pub mod rooms_v1;
pub mod users;
pub mod validate;
pub mod video;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::api_key::Credentials;
use crate::auth::rate_limit::LoginLimits;
use crate::auth::session::SessionKeys;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::{Backend, Db};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub backend: Backend,
    pub config: Arc<Config>,
    pub credentials: Arc<Credentials>,
    pub sessions: SessionKeys,
    pub login_limits: Arc<LoginLimits>,
    pub clock: Arc<dyn Clock>,
    pub sfu: sfu::io::SfuHandle,
}

/// Request bodies are small JSON documents.
const MAX_BODY: usize = 64 * 1024;

/// The API's routes, to be nested under `/api`; unknown paths there are a
/// JSON 404, not the web app.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/auth/register", post(auth::register))
        .route("/auth/login", post(auth::login))
        .route("/auth/refresh", post(auth::refresh))
        .route("/auth/logout", post(auth::logout))
        .route("/me", get(users::me))
        .route("/users/", get(users::list).post(users::create))
        .route(
            "/appointments/",
            get(appointments::list).post(appointments::book),
        )
        .route(
            "/appointments/{id}/",
            get(appointments::get).patch(appointments::reschedule),
        )
        .route("/appointments/{id}/cancel/", post(appointments::cancel))
        .route("/appointments/video-room/{id}/", post(video::create_room))
        .route("/appointments/video-token/{id}/", get(video::token))
        .route("/video-sessions/{room}/", get(video::by_room))
        .fallback(|| async { error::ApiError::NotFound })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

/// The Twilio-compatible Rooms REST API, to be nested under `/v1`.
pub fn twilio_router(state: AppState) -> Router {
    Router::new()
        .route("/Rooms", get(rooms_v1::list).post(rooms_v1::create))
        .route("/Rooms/{id}", get(rooms_v1::fetch).post(rooms_v1::update))
        .route("/Rooms/{id}/Participants", get(rooms_v1::participants))
        .route(
            "/Rooms/{id}/Participants/{who}",
            get(rooms_v1::participant).post(rooms_v1::update_participant),
        )
        .fallback(|| async { error::ApiError::NotFound })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}
