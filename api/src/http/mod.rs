//! The HTTP API, a file per resource (after realworld-axum-sqlx). Handlers
//! are thin: parse the request, call [`crate::model`], shape the answer.
//!
//! - [`auth`]: register, login, refresh, logout, password resets.
//! - [`clinic`]: what the sign-in pages show before anyone signs in.
//! - [`users`]: accounts, `/api/me`.
//! - [`appointments`]: booking, listing, rescheduling, cancelling.
//! - [`video`]: rooms and access tokens for appointments;
//!   [`waiting_room`]: where patients wait to be let in.
//! - [`audit`]: the audit log (and its CSV export) and attendance.
//! - [`notifications`]: the reminder outbox and dev outbox, for admins.
//! - [`rooms_v1`]: Twilio's Rooms REST API under `/v1` (its JSON shapes in
//!   [`rooms_v1::twilio`]).
//! - [`video_app`]: `POST /token`, the token server twilio-video-app-react
//!   calls, with `[video_app]` set (Twilio's plugin-rtc contract; not in
//!   the OpenAPI document, and added by [`crate::server`], not [`router`]).
//! - [`error`]: the one error type (domain errors map onto it);
//!   [`extract`]: JSON, path, caller and API-key extractors;
//!   [`headers`]: security and caching headers; [`text_guard`]: control
//!   characters refused in every path, query and body.

pub mod appointments;
pub mod audit;
pub mod auth;
pub mod clinic;
pub mod error;
pub mod extract;
pub mod headers;
pub mod notifications;
pub mod rooms_v1;
pub mod text_guard;
pub mod users;
pub mod video;
pub mod video_app;
pub mod waiting_room;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;

use crate::state::AppState;

/// Request bodies are small JSON documents.
pub(crate) const MAX_BODY: usize = 64 * 1024;

/// Bearer sessions for `/api`, HTTP Basic with the API key for `/v1`.
struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
        );
    }
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "Confide API", description = "The clinic's API (/api) and the Twilio-compatible Rooms API (/v1)."),
    modifiers(&SecuritySchemes),
    components(schemas(error::ErrorBody))
)]
struct ApiDoc;

/// The API's routes, documented as they are registered: `/api/…` (JSON,
/// bearer sessions) and `/v1/…` (Twilio's Rooms API), plus the OpenAPI
/// document at `/api/openapi.json`. Unknown paths under both are a JSON 404.
pub fn router(state: AppState) -> Router {
    use utoipa::OpenApi;
    use utoipa_axum::router::OpenApiRouter;
    use utoipa_axum::routes;

    let api = OpenApiRouter::new()
        .routes(routes!(auth::register))
        .routes(routes!(auth::login))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::request_reset))
        .routes(routes!(auth::complete_reset))
        .routes(routes!(auth::sign_in_link))
        .routes(routes!(clinic::info))
        .routes(routes!(clinic::session))
        .routes(routes!(users::me))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::update))
        .routes(routes!(users::deactivate))
        .routes(routes!(users::reactivate))
        .routes(routes!(users::send_reset))
        .routes(routes!(appointments::list, appointments::book))
        .routes(routes!(appointments::get, appointments::reschedule))
        .routes(routes!(appointments::cancel))
        .routes(routes!(appointments::approve_change))
        .routes(routes!(appointments::decline_change))
        .routes(routes!(video::create_room))
        .routes(routes!(video::token))
        .routes(routes!(video::by_room))
        .routes(routes!(waiting_room::news))
        .routes(routes!(waiting_room::arrive))
        .routes(routes!(waiting_room::leave))
        .routes(routes!(waiting_room::admit))
        .routes(routes!(waiting_room::remove))
        .routes(routes!(waiting_room::note))
        .routes(routes!(notifications::list))
        .routes(routes!(audit::list))
        .routes(routes!(audit::export))
        .routes(routes!(audit::attendance));
    let v1 = OpenApiRouter::new()
        .routes(routes!(rooms_v1::list, rooms_v1::create))
        .routes(routes!(rooms_v1::fetch, rooms_v1::update))
        .routes(routes!(rooms_v1::participants))
        .routes(routes!(rooms_v1::participant, rooms_v1::update_participant));
    let (api_router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api", api)
        .nest("/v1", v1)
        .split_for_parts();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let doc = std::sync::Arc::new(doc);
    let not_found = || async { error::ApiError::NotFound };
    let routes = api_router
        .route(
            "/api/openapi.json",
            get(move || async move { axum::Json(doc.as_ref().clone()) }),
        )
        .route("/api/{*rest}", axum::routing::any(not_found))
        .route("/v1/{*rest}", axum::routing::any(not_found))
        .layer(DefaultBodyLimit::max(MAX_BODY));
    headers::never_cached(routes).with_state(state)
}
