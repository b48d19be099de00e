//! A room's media, wherever its node is: what the API asks of a room's SFU
//! (who is in it, removing someone, ending it) goes to this node's SFU when
//! the room lives here, and over HTTP to the room's node when it lives on
//! another ([`router`] is that node's side, under `/cluster/v1`, open only
//! to requests carrying the cluster's secret; the room's name goes in the
//! query, where any name is safe, never in the path).
//!
//! A room on no live node has no media anywhere: nobody is in it, and
//! ending it is only the database's business.

use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use signaling::relay::RELAY_HEADER;
use tracing::warn;

use crate::state::AppState;

/// How long the API waits for a room's node.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Someone in a room, as its SFU sees them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Present {
    pub sid: String,
    pub identity: String,
}

/// Where a room's media is.
enum Place {
    Here,
    Node { url: String, secret: String },
    Nowhere,
}

async fn place_of(state: &AppState, room: &str) -> Result<Place, String> {
    let Some(cluster) = &state.cluster else {
        return Ok(Place::Here);
    };
    match cluster.owner(room).await {
        Ok(Some(node)) if node.id == cluster.id() => Ok(Place::Here),
        Ok(Some(node)) => Ok(Place::Node {
            url: node.url,
            secret: cluster.secret().to_owned(),
        }),
        Ok(None) => Ok(Place::Nowhere),
        Err(err) => Err(err.to_string()),
    }
}

/// Who is connected to `room` now; `None` when its SFU does not have it.
pub async fn participants(state: &AppState, room: &str) -> anyhow::Result<Option<Vec<Present>>> {
    match place_of(state, room).await.map_err(anyhow::Error::msg)? {
        Place::Here => Ok(participants_here(state, room).await),
        Place::Node { url, secret } => {
            let response = client()?
                .get(format!("{url}/cluster/v1/participants"))
                .header(RELAY_HEADER, secret)
                .query(&[("room", room)])
                .send()
                .await?;
            if response.status() == StatusCode::NOT_FOUND {
                return Ok(None);
            }
            Ok(Some(response.error_for_status()?.json().await?))
        }
        Place::Nowhere => Ok(None),
    }
}

/// Disconnects `who` (a sid or an identity) from `room`; who it was, or
/// `None` when nobody by that name is in it.
pub async fn remove(state: &AppState, room: &str, who: &str) -> anyhow::Result<Option<Present>> {
    match place_of(state, room).await.map_err(anyhow::Error::msg)? {
        Place::Here => Ok(remove_here(state, room, who).await),
        Place::Node { url, secret } => {
            let response = client()?
                .post(format!("{url}/cluster/v1/remove"))
                .header(RELAY_HEADER, secret)
                .query(&[("room", room)])
                .json(&Remove {
                    who: who.to_owned(),
                })
                .send()
                .await?;
            if response.status() == StatusCode::NOT_FOUND {
                return Ok(None);
            }
            Ok(Some(response.error_for_status()?.json().await?))
        }
        Place::Nowhere => Ok(None),
    }
}

/// Ends `room` in its SFU, disconnecting everyone (53118); refusing joins
/// for `refuse_for` when given. Whether the SFU had it live (then its
/// `room-ended` event follows from there). The placement is given back.
pub async fn end(
    state: &AppState,
    room: &str,
    refuse_for: Option<Duration>,
) -> anyhow::Result<bool> {
    let live = match place_of(state, room).await.map_err(anyhow::Error::msg)? {
        Place::Here => end_here(state, room, refuse_for).await,
        Place::Node { url, secret } => {
            let response = client()?
                .post(format!("{url}/cluster/v1/end"))
                .header(RELAY_HEADER, secret)
                .query(&[("room", room)])
                .json(&End {
                    refuse_secs: refuse_for.map(|d| d.as_secs()),
                })
                .send()
                .await?;
            response.error_for_status()?.json::<Ended>().await?.live
        }
        Place::Nowhere => {
            if let Some(cluster) = &state.cluster {
                cluster.forget_if_dead(room).await?;
            }
            false
        }
    };
    Ok(live)
}

async fn participants_here(state: &AppState, room: &str) -> Option<Vec<Present>> {
    let snapshot = state.sfu.room(room).await?;
    Some(
        snapshot
            .participants
            .into_iter()
            .map(Present::from)
            .collect(),
    )
}

async fn remove_here(state: &AppState, room: &str, who: &str) -> Option<Present> {
    state
        .sfu
        .remove_participant(room, who)
        .await
        .map(Present::from)
}

impl From<sfu::signal::ParticipantInfo> for Present {
    fn from(p: sfu::signal::ParticipantInfo) -> Present {
        Present {
            sid: p.sid,
            identity: p.identity,
        }
    }
}

async fn end_here(state: &AppState, room: &str, refuse_for: Option<Duration>) -> bool {
    let live = match refuse_for {
        None => state.sfu.end_room(room).await,
        Some(refuse_for) => state.sfu.close_room(room, refuse_for).await,
    };
    if let Some(cluster) = &state.cluster
        && let Err(err) = cluster.release(room).await
    {
        warn!(room, error = %err, "giving back an ended room's placement failed");
    }
    live
}

fn client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder().timeout(TIMEOUT).build()
}

/// Which room a `/cluster/v1` request is about.
#[derive(Deserialize)]
struct RoomName {
    room: String,
}

#[derive(Serialize, Deserialize)]
struct Remove {
    who: String,
}

#[derive(Serialize, Deserialize)]
struct End {
    refuse_secs: Option<u64>,
}

#[derive(Serialize, Deserialize)]
struct Ended {
    live: bool,
}

/// `/cluster/v1`: the room's node's side of the calls above, only for
/// requests with the cluster's secret.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/cluster/v1/participants", get(serve_participants))
        .route("/cluster/v1/remove", post(serve_remove))
        .route("/cluster/v1/end", post(serve_end))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            from_cluster,
        ))
        .with_state(state)
}

async fn from_cluster(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let allowed = state.cluster.as_ref().is_some_and(|cluster| {
        request
            .headers()
            .get(RELAY_HEADER)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|given| super::router::same_secret(cluster.secret(), given))
    });
    if !allowed {
        return StatusCode::FORBIDDEN.into_response();
    }
    next.run(request).await
}

async fn serve_participants(
    State(state): State<AppState>,
    Query(RoomName { room }): Query<RoomName>,
) -> Response {
    match participants_here(&state, &room).await {
        Some(people) => Json(people).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn serve_remove(
    State(state): State<AppState>,
    Query(RoomName { room }): Query<RoomName>,
    Json(body): Json<Remove>,
) -> Response {
    match remove_here(&state, &room, &body.who).await {
        Some(removed) => Json(removed).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn serve_end(
    State(state): State<AppState>,
    Query(RoomName { room }): Query<RoomName>,
    Json(body): Json<End>,
) -> Response {
    let refuse_for = body.refuse_secs.map(Duration::from_secs);
    Json(Ended {
        live: end_here(&state, &room, refuse_for).await,
    })
    .into_response()
}
