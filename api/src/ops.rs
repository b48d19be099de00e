//! What an operator's monitoring and load balancer ask: `/healthz` (the
//! process answers), `/readyz` (it can serve a call: database and media
//! plane answer, and it is not stopping), who may read `/metrics` (this
//! machine, or anyone with `http.metrics_token`), and, when the operator
//! turns it on, `/ops/packet-cache/{room}` (what the SFU holds of a room's
//! media, the same readers); and `POST /ops/drain` (with several nodes: no
//! new rooms here, before an upgrade; the same readers).

use std::net::SocketAddr;
use std::time::Duration;

use axum::Json;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::json;

use crate::http::error::ApiError;
use crate::state::AppState;

/// How long a readiness check waits for the database or the SFU.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Set when the server starts stopping: `/readyz` answers 503 from then
/// on, so a load balancer sends nobody new, and signaling refuses joins
/// with the restart error.
pub use signaling::state::Draining;

/// `GET /healthz`: the process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: 200 when a call could start now; 503 with the reasons
/// otherwise (details are logged, not shown).
pub async fn readyz(State(state): State<AppState>) -> Response {
    let mut problems = Vec::new();
    if state.draining.is_on() {
        problems.push("stopping");
    }
    if state.cluster.as_ref().is_some_and(|c| c.is_draining()) {
        problems.push("draining");
    }
    let database = tokio::time::timeout(
        CHECK_TIMEOUT,
        sqlx::query_scalar::<_, i64>("SELECT 1").fetch_one(&state.db),
    )
    .await;
    match database {
        Ok(Ok(_)) => {}
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness: the database did not answer");
            problems.push("database unreachable");
        }
        Err(_) => problems.push("database not answering"),
    }
    if !matches!(
        tokio::time::timeout(CHECK_TIMEOUT, state.sfu.stats()).await,
        Ok(Some(_))
    ) {
        problems.push("media plane not answering");
    }
    if problems.is_empty() {
        (StatusCode::OK, Json(json!({"ready": true}))).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"ready": false, "problems": problems})),
        )
            .into_response()
    }
}

/// `GET /ops/packet-cache/{room}` (behind [`metrics_access`], and only
/// with `media.inspect_packet_cache`; with several nodes, asked of the
/// room's node): each published track of the room
/// with the packets its cache holds, payloads in base64, so an operator
/// can see for themselves that an end-to-end encrypted session leaves the
/// server nothing but ciphertext.
pub async fn packet_cache(State(state): State<AppState>, Path(room): Path<String>) -> Response {
    if !state.config.media.inspect_packet_cache {
        return ApiError::NotFound.into_response();
    }
    let Some(tracks) = state.sfu.cached_media(&room).await else {
        return ApiError::NotFound.into_response();
    };
    let tracks: Vec<_> = tracks
        .into_iter()
        .map(|t| {
            let packets: Vec<_> = t
                .packets
                .iter()
                .map(|(seq, payload)| json!({"sequence_number": seq, "payload": BASE64.encode(payload)}))
                .collect();
            json!({
                "participant_sid": t.participant_sid,
                "track_sid": t.track_sid,
                "kind": t.kind,
                "packets": packets,
            })
        })
        .collect();
    Json(json!({"room": room, "tracks": tracks})).into_response()
}

/// `POST /ops/drain` (behind [`metrics_access`]): with several nodes, no
/// new room is placed on this node from now on, the rooms placed here with
/// nobody in them (booked appointments, ended calls) are given back, and
/// `/readyz` answers 503, so the load balancer sends it nobody new; the
/// calls here go on until they end. Answers what is still here (call again to watch it empty);
/// then stop the node. One node: 409, there is nowhere else for rooms.
pub async fn drain(State(state): State<AppState>) -> Response {
    let Some(cluster) = &state.cluster else {
        return (
            StatusCode::CONFLICT,
            Json(json!({"message": "this is the only node (no [cluster]): there is no other node to take its rooms; stop it instead"})),
        )
            .into_response();
    };
    cluster.start_draining();
    let stats = state.sfu.stats().await.unwrap_or_default();
    // Told at once, not at the next beat; rooms booked here but not in a
    // call now go to other nodes.
    let told = match cluster.heartbeat(stats.participants as u64).await {
        Ok(_) => cluster.give_back_idle(&state.sfu).await.map(drop),
        Err(err) => Err(err),
    };
    if let Err(err) = told {
        tracing::warn!(error = %err, "telling the cluster this node drains failed; the next heartbeat does");
    }
    tracing::info!(
        participants = stats.participants,
        rooms = stats.rooms,
        "draining: no new rooms here"
    );
    Json(json!({"draining": true, "participants": stats.participants, "rooms": stats.rooms}))
        .into_response()
}

/// Guards `/metrics`: with `http.metrics_token`, a bearer token equal to
/// it; without, only a client on this machine that is not a reverse proxy
/// passing a request on (a proxy adds `X-Forwarded-For` or `Forwarded`).
pub async fn metrics_access(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let allowed = match &state.config.http.metrics_token {
        Some(token) => bearer_matches(request.headers(), token),
        None => {
            let peer = request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip());
            let proxied = request.headers().contains_key("x-forwarded-for")
                || request.headers().contains_key("forwarded");
            peer.is_some_and(|ip| ip.is_loopback()) && !proxied
        }
    };
    if allowed {
        next.run(request).await
    } else {
        ApiError::Forbidden(
            "metrics are served to this machine only; set http.metrics_token to read them from elsewhere"
                .into(),
        )
        .into_response()
    }
}

/// Compares digests, so the time taken says nothing about the token.
fn bearer_matches(headers: &HeaderMap, token: &str) -> bool {
    let given = crate::http::extract::authorization(headers, "Bearer").unwrap_or("");
    let digest = |s: &str| ring::digest::digest(&ring::digest::SHA256, s.as_bytes());
    !given.is_empty() && digest(given).as_ref() == digest(token).as_ref()
}
