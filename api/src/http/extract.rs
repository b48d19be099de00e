//! Request extractors that fail with [`ApiError`]: JSON bodies (unknown
//! fields and wrong types are 422 with the serde message), the caller's
//! identity from `Authorization: Bearer …`, and [`ApiKeyAuth`], HTTP Basic
//! with the API key for Twilio's `/v1` routes.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use base64::Engine;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::auth::session;
use crate::model::users::{Role, User};
use crate::state::AppState;

/// `Json<T>` whose rejections are API errors.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(JsonRejection::JsonDataError(err)) => Err(ApiError::BadRequest(format!(
                "invalid JSON body: {}",
                std::error::Error::source(&err).map_or_else(|| err.to_string(), |s| s.to_string())
            ))),
            Err(err) if err.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::TooLarge)
            }
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::BadRequest(
                "expected Content-Type: application/json".into(),
            )),
            Err(err) => Err(ApiError::BadRequest(format!(
                "invalid JSON body: {}",
                err.body_text()
            ))),
        }
    }
}

/// `Path<T>` whose rejections are API errors (`/appointments/abc/` → 400).
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| ApiPath(value))
            .map_err(|err| ApiError::BadRequest(format!("invalid path: {}", err.body_text())))
    }
}

/// `Query<T>` whose rejections are API errors (a JSON 400, not axum's
/// plain text).
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| ApiQuery(value))
            .map_err(|err| ApiError::BadRequest(format!("invalid query: {}", err.body_text())))
    }
}

/// The credentials of an `Authorization: <scheme> <credentials>` header
/// (the scheme matched case-insensitively).
pub fn authorization<'a>(headers: &'a axum::http::HeaderMap, scheme: &str) -> Option<&'a str> {
    let header = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (given, credentials) = header.split_once(' ')?;
    given
        .eq_ignore_ascii_case(scheme)
        .then(|| credentials.trim())
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub session_id: i64,
    /// A one-time sign-in link's session is bound to its appointment.
    pub bound_to: Option<i64>,
}

impl Caller {
    pub fn is(&self, role: Role) -> bool {
        self.user.role == role
    }

    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.is(role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "only a {} may do this",
                role.as_str()
            )))
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = authorization(&parts.headers, "Bearer").ok_or(ApiError::Unauthorized)?;
        let claims = state.sessions.verify(token).ok_or(ApiError::Unauthorized)?;
        let now = state.clock.now().timestamp();
        let Some(bound_to) = session::is_live(&state.db, claims.sid, now).await? else {
            return Err(ApiError::Unauthorized);
        };
        let user = User::by_id(&state.db, claims.sub)
            .await?
            .filter(|user| user.active)
            .ok_or(ApiError::Unauthorized)?;
        if let Some(appointment) = bound_to
            && !bound_session_may(state, parts, appointment).await?
        {
            return Err(ApiError::Forbidden(
                "a sign-in link opens its own session only: sign in with your password for the rest"
                    .into(),
            ));
        }
        Ok(Caller {
            user,
            session_id: claims.sid,
            bound_to,
        })
    }
}

/// What a session bound to `appointment` (a one-time sign-in link's) may
/// call: who it is, that appointment and its video page, token and
/// waiting room, and signing out.
async fn bound_session_may(
    state: &AppState,
    parts: &Parts,
    appointment: i64,
) -> Result<bool, ApiError> {
    // Inside the `/api` router the path comes without its `/api`.
    let path = parts.uri.path();
    let path = path.strip_prefix("/api").unwrap_or(path);
    if path == "/me" || path == "/auth/logout" {
        return Ok(true);
    }
    let own = |id: &str| id.parse::<i64>() == Ok(appointment);
    if let Some(rest) = path.strip_prefix("/appointments/") {
        let mut segments = rest.trim_end_matches('/').split('/');
        return Ok(match (segments.next(), segments.next(), segments.next()) {
            (Some("video-token"), Some(id), None) => own(id),
            (Some(id), None, None) => own(id) && parts.method == axum::http::Method::GET,
            (Some(id), Some("waiting-room"), _) => own(id),
            _ => false,
        });
    }
    if let Some(room) = path.strip_prefix("/video-sessions/") {
        let room = room.trim_end_matches('/');
        let id: Option<i64> =
            sqlx::query_scalar("SELECT id FROM appointments WHERE video_room_id = $1")
                .bind(room)
                .fetch_optional(&state.db)
                .await?;
        return Ok(id == Some(appointment));
    }
    Ok(false)
}

/// The client's address: the socket peer, or, when the peer is one of
/// `http.trusted_proxies` (the clinic's reverse proxy), the address that
/// proxy saw — the rightmost `X-Forwarded-For` entry that is not itself a
/// trusted proxy. Entries further left are the client's own claims and are
/// never believed.
pub fn client_ip(parts: &Parts, trusted: &[IpAddr]) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    forwarded
        .iter()
        .rev()
        .map(|hop| hop.parse::<IpAddr>())
        .take_while(Result::is_ok)
        .flatten()
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
}

/// Gives `/rtc` the client's address as [`client_ip`] finds it (believing
/// only `http.trusted_proxies`): the session joins from it, and the audit
/// log records it with the participant's join and leave.
pub async fn signaling_client_address(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let (mut parts, body) = request.into_parts();
    let ip = client_ip(&parts, &state.config.http.trusted_proxies);
    parts.extensions.insert(signaling::state::ClientAddress(ip));
    next.run(Request::from_parts(parts, body)).await
}

/// The client address as an extractor (see [`client_ip`]).
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(
            parts,
            &state.config.http.trusted_proxies,
        )))
    }
}

/// A request signed with the API key (HTTP Basic `SK…:secret`).
pub struct ApiKeyAuth;

impl FromRequestParts<AppState> for ApiKeyAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = authorization(&parts.headers, "Basic").ok_or(ApiError::Unauthorized)?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(header)
            .map_err(|_| ApiError::Unauthorized)?;
        let text = String::from_utf8(decoded).map_err(|_| ApiError::Unauthorized)?;
        let (user, secret) = text.split_once(':').ok_or(ApiError::Unauthorized)?;
        let creds = &state.credentials;
        if constant_time_eq(user.as_bytes(), creds.api_key_sid.as_bytes())
            & constant_time_eq(secret.as_bytes(), creds.api_key_secret.as_bytes())
        {
            Ok(ApiKeyAuth)
        } else {
            Err(ApiError::Unauthorized)
        }
    }
}

/// Compares without stopping at the first difference (the lengths of
/// secrets of a known length are no secret).
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(peer: &str, forwarded: &[&str]) -> Parts {
        let mut request = axum::http::Request::builder();
        for value in forwarded {
            request = request.header("x-forwarded-for", *value);
        }
        let (mut parts, ()) = request.body(()).unwrap().into_parts();
        parts
            .extensions
            .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        parts
    }

    #[test]
    fn the_client_address_is_believed_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let trusted = [proxy];
        // No proxy configured: the socket peer, whatever the header says.
        let direct = parts("198.51.100.7:5000", &["203.0.113.1"]);
        assert_eq!(
            client_ip(&direct, &trusted),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        // Through the proxy: the address it appended, not the client's claim.
        let via = parts("10.0.0.2:4000", &["6.6.6.6, 203.0.113.1"]);
        assert_eq!(
            client_ip(&via, &trusted),
            "203.0.113.1".parse::<IpAddr>().unwrap()
        );
        // A proxy that sent nothing usable: the proxy itself.
        let bare = parts("10.0.0.2:4000", &["garbage"]);
        assert_eq!(client_ip(&bare, &trusted), proxy);
    }
}
