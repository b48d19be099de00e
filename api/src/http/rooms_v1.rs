//! The Twilio-compatible Rooms REST API (a subset of `/v1`): HTTP Basic auth
//! with the API key SID and secret, form-encoded requests, JSON responses
//! with Twilio's field names. Room state follows the real SFU: completing a
//! room disconnects everyone in it; removing a participant disconnects them.

use axum::extract::{FromRequestParts, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::{Form, Json};
use base64::Engine;
use chrono::{TimeZone, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::appointments::rfc3339;
use super::error::{ApiError, ApiResult};
use super::extract::ApiPath;

/// A request signed with the API key (HTTP Basic `SK…:secret`).
pub struct ApiKeyAuth;

impl FromRequestParts<AppState> for ApiKeyAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = super::extract::authorization(parts, "Basic").ok_or(ApiError::Unauthorized)?;
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

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A row of `rooms`.
#[derive(Debug, Clone)]
pub struct RoomRow {
    pub sid: String,
    pub unique_name: String,
    pub status: String,
    pub room_type: String,
    pub max_participants: i64,
    pub status_callback: Option<String>,
    pub status_callback_method: String,
    pub empty_room_timeout: i64,
    pub unused_room_timeout: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub end_time: Option<i64>,
}

type Row = (
    String,
    String,
    String,
    String,
    i64,
    Option<String>,
    String,
    i64,
    i64,
    i64,
    i64,
    Option<i64>,
);

const SELECT: &str = "SELECT sid, unique_name, status, type, max_participants, status_callback, \
     status_callback_method, empty_room_timeout, unused_room_timeout, created_at, updated_at, end_time FROM rooms";

fn from_row(r: Row) -> RoomRow {
    RoomRow {
        sid: r.0,
        unique_name: r.1,
        status: r.2,
        room_type: r.3,
        max_participants: r.4,
        status_callback: r.5,
        status_callback_method: r.6,
        empty_room_timeout: r.7,
        unused_room_timeout: r.8,
        created_at: r.9,
        updated_at: r.10,
        end_time: r.11,
    }
}

/// Finds a room by sid, or by unique name (the room in progress, else the
/// newest with that name).
pub async fn find(db: &crate::db::Db, sid_or_name: &str) -> sqlx::Result<Option<RoomRow>> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE sid = $1 OR unique_name = $1 \
         ORDER BY CASE WHEN sid = $1 THEN 0 WHEN status = 'in-progress' THEN 1 ELSE 2 END, created_at DESC LIMIT 1"
    ))
    .bind(sid_or_name)
    .fetch_optional(db)
    .await?;
    Ok(row.map(from_row))
}

/// Inserts an in-progress room (appointments use this too).
pub async fn insert<'e, E>(
    executor: E,
    sid: &str,
    unique_name: &str,
    max_participants: i64,
    now: i64,
) -> sqlx::Result<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO rooms (sid, unique_name, status, type, max_participants, created_at, updated_at, empty_since) \
         VALUES ($1, $2, 'in-progress', 'group', $3, $4, $4, $4)",
    )
    .bind(sid)
    .bind(unique_name)
    .bind(max_participants)
    .bind(now)
    .execute(executor)
    .await?;
    Ok(())
}

fn iso(ts: i64) -> String {
    rfc3339(Utc.timestamp_opt(ts, 0).single().unwrap_or_default())
}

fn base_url(state: &AppState) -> String {
    state.config.app.public_url.trim_end_matches('/').to_owned()
}

fn room_json(state: &AppState, r: &RoomRow) -> Value {
    let url = format!("{}/v1/Rooms/{}", base_url(state), r.sid);
    json!({
        "sid": r.sid,
        "status": r.status,
        "date_created": iso(r.created_at),
        "date_updated": iso(r.updated_at),
        "account_sid": state.credentials.account_sid,
        "enable_turn": false,
        "unique_name": r.unique_name,
        "status_callback": r.status_callback,
        "status_callback_method": r.status_callback_method,
        "end_time": r.end_time.map(iso),
        "duration": r.end_time.map(|end| end - r.created_at),
        "type": r.room_type,
        "max_participants": r.max_participants,
        "max_participant_duration": 14400,
        "max_concurrent_published_tracks": 170,
        "record_participants_on_connect": false,
        "video_codecs": ["VP8", "H264"],
        "media_region": "self-hosted",
        "audio_only": false,
        "empty_room_timeout": r.empty_room_timeout,
        "unused_room_timeout": r.unused_room_timeout,
        "large_room": false,
        "url": url,
        "links": {
            "participants": format!("{url}/Participants"),
            "recordings": format!("{url}/Recordings"),
            "recording_rules": format!("{url}/RecordingRules"),
        },
    })
}

/// A participant as the REST API shows it.
struct ParticipantView {
    sid: String,
    identity: String,
    status: String,
    start: Option<i64>,
    end: Option<i64>,
}

fn participant_json(state: &AppState, room: &RoomRow, p: &ParticipantView) -> Value {
    let url = format!(
        "{}/v1/Rooms/{}/Participants/{}",
        base_url(state),
        room.sid,
        p.sid
    );
    json!({
        "sid": p.sid,
        "room_sid": room.sid,
        "account_sid": state.credentials.account_sid,
        "status": p.status,
        "identity": p.identity,
        "date_created": p.start.map(iso),
        "date_updated": p.end.or(p.start).map(iso),
        "start_time": p.start.map(iso),
        "end_time": p.end.map(iso),
        "duration": p.start.zip(p.end).map(|(s, e)| e - s),
        "url": url,
        "links": {
            "published_tracks": format!("{url}/PublishedTracks"),
            "subscribed_tracks": format!("{url}/SubscribedTracks"),
            "subscribe_rules": format!("{url}/SubscribeRules"),
            "anonymize": format!("{url}/Anonymize"),
        },
    })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CreateRoom {
    #[serde(default)]
    pub unique_name: Option<String>,
    #[serde(default, rename = "Type")]
    pub room_type: Option<String>,
    #[serde(default)]
    pub max_participants: Option<i64>,
    #[serde(default)]
    pub status_callback: Option<String>,
    #[serde(default)]
    pub status_callback_method: Option<String>,
    #[serde(default)]
    pub empty_room_timeout: Option<i64>,
    #[serde(default)]
    pub unused_room_timeout: Option<i64>,
}

/// `POST /v1/Rooms`
#[utoipa::path(post, path = "/Rooms", tag = "twilio-rooms", security(("api_key" = [])), request_body(content = CreateRoom, content_type = "application/x-www-form-urlencoded"), responses((status = 201, body = Object), (status = 400, body = super::error::ErrorBody), (status = 401, body = super::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    _: ApiKeyAuth,
    form: Result<Form<CreateRoom>, axum::extract::rejection::FormRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let Form(input) = form.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let sid = format!("RM{:032x}", rand::random::<u128>());
    let name = input
        .unique_name
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| sid.clone());
    let valid_name = name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if !valid_name {
        return Err(ApiError::field(
            "UniqueName",
            "use up to 128 letters, digits, '-', '_' or '.'",
        ));
    }
    let room_type = input.room_type.unwrap_or_else(|| "group".into());
    if !["group", "group-small", "peer-to-peer", "go"].contains(&room_type.as_str()) {
        return Err(ApiError::field(
            "Type",
            "must be group, group-small, peer-to-peer or go",
        ));
    }
    let cap = state.config.media.max_participants_per_room as i64;
    let max = input.max_participants.unwrap_or(cap);
    if !(1..=cap).contains(&max) {
        return Err(ApiError::field(
            "MaxParticipants",
            format!("must be between 1 and {cap}"),
        ));
    }
    if let Some(url) = &input.status_callback
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(ApiError::field("StatusCallback", "must be an http(s) URL"));
    }
    let method = input
        .status_callback_method
        .unwrap_or_else(|| "POST".into())
        .to_uppercase();
    if method != "POST" && method != "GET" {
        return Err(ApiError::field(
            "StatusCallbackMethod",
            "must be POST or GET",
        ));
    }
    let now = state.clock.now().timestamp();
    let inserted = sqlx::query(
        "INSERT INTO rooms (sid, unique_name, status, type, max_participants, status_callback, status_callback_method, \
         empty_room_timeout, unused_room_timeout, created_at, updated_at, empty_since) VALUES ($1, $2, 'in-progress', $3, $4, $5, $6, $7, $8, $9, $9, $9)",
    )
    .bind(&sid)
    .bind(&name)
    .bind(&room_type)
    .bind(max)
    .bind(&input.status_callback)
    .bind(&method)
    .bind(input.empty_room_timeout.unwrap_or(5).clamp(1, 1440))
    .bind(input.unused_room_timeout.unwrap_or(5).clamp(1, 1440))
    .bind(now)
    .execute(&state.db)
    .await;
    match inserted {
        Ok(_) => {}
        Err(sqlx::Error::Database(err)) if err.is_unique_violation() => {
            return Err(ApiError::Twilio(
                StatusCode::BAD_REQUEST,
                53113,
                "Room exists".into(),
            ));
        }
        Err(err) => return Err(err.into()),
    }
    state
        .sfu
        .register_room(&name, &sid, Some(max as usize))
        .await;
    let room = find(&state.db, &sid).await?.ok_or(ApiError::NotFound)?;
    crate::callbacks::record_room_created(&state, &room).await?;
    Ok((StatusCode::CREATED, Json(room_json(&state, &room))))
}

/// `GET /v1/Rooms/{sid or UniqueName}`
#[utoipa::path(get, path = "/Rooms/{id}", tag = "twilio-rooms", security(("api_key" = [])), params(("id" = String, Path, description = "Room sid or UniqueName")), responses((status = 200, body = Object), (status = 404, body = super::error::ErrorBody)))]
pub async fn fetch(
    State(state): State<AppState>,
    _: ApiKeyAuth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    let room = find(&state.db, &id).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(room_json(&state, &room)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "PascalCase")]
pub struct ListRooms {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub unique_name: Option<String>,
    #[serde(default)]
    pub page_size: Option<i64>,
}

fn meta(state: &AppState, path: &str, key: &str, page_size: i64) -> Value {
    let url = format!("{}{path}", base_url(state));
    json!({
        "page": 0,
        "page_size": page_size,
        "first_page_url": format!("{url}?PageSize={page_size}&Page=0"),
        "previous_page_url": null,
        "next_page_url": null,
        "url": format!("{url}?PageSize={page_size}&Page=0"),
        "key": key,
    })
}

/// `GET /v1/Rooms?Status=&UniqueName=`
#[utoipa::path(get, path = "/Rooms", tag = "twilio-rooms", security(("api_key" = [])), params(ListRooms), responses((status = 200, body = Object)))]
pub async fn list(
    State(state): State<AppState>,
    _: ApiKeyAuth,
    Query(query): Query<ListRooms>,
) -> ApiResult<Json<Value>> {
    let status = query.status.unwrap_or_default();
    if !status.is_empty() && !["in-progress", "completed", "failed"].contains(&status.as_str()) {
        return Err(ApiError::field(
            "Status",
            "must be in-progress, completed or failed",
        ));
    }
    let page_size = query.page_size.unwrap_or(50).clamp(1, 1000);
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE ($1 = '' OR status = $1) AND ($2 = '' OR unique_name = $2) ORDER BY created_at DESC LIMIT $3"
    ))
    .bind(&status)
    .bind(query.unique_name.unwrap_or_default())
    .bind(page_size)
    .fetch_all(&state.db)
    .await?;
    let rooms: Vec<Value> = rows
        .into_iter()
        .map(|r| room_json(&state, &from_row(r)))
        .collect();
    Ok(Json(
        json!({"rooms": rooms, "meta": meta(&state, "/v1/Rooms", "rooms", page_size)}),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateStatus {
    pub status: String,
}

/// `POST /v1/Rooms/{sid}` with `Status=completed`: ends the room.
#[utoipa::path(post, path = "/Rooms/{id}", tag = "twilio-rooms", security(("api_key" = [])), params(("id" = String, Path, description = "Room sid or UniqueName")), request_body(content = UpdateStatus, content_type = "application/x-www-form-urlencoded"), responses((status = 200, body = Object), (status = 400, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    _: ApiKeyAuth,
    ApiPath(id): ApiPath<String>,
    form: Result<Form<UpdateStatus>, axum::extract::rejection::FormRejection>,
) -> ApiResult<Json<Value>> {
    let Form(input) = form.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let room = find(&state.db, &id).await?.ok_or(ApiError::NotFound)?;
    if input.status != "completed" || room.status != "in-progress" {
        return Err(ApiError::Twilio(
            StatusCode::BAD_REQUEST,
            53112,
            "Status is invalid: set Status=completed on a room in progress".into(),
        ));
    }
    complete(&state, &room).await?;
    let room = find(&state.db, &room.sid)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(room_json(&state, &room)))
}

/// A room and everyone who has been in it: the connected ones as the SFU
/// sees them now, the others as recorded when they left.
async fn room_people(state: &AppState, id: &str) -> ApiResult<(RoomRow, Vec<ParticipantView>)> {
    let room = find(&state.db, id).await?.ok_or(ApiError::NotFound)?;
    let recorded = recorded_participants(state, &room.sid).await?;
    let live = if room.status == "in-progress" {
        state
            .sfu
            .room(&room.unique_name)
            .await
            .map(|s| s.participants)
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let mut people: Vec<ParticipantView> = live
        .iter()
        .map(|p| ParticipantView {
            sid: p.sid.clone(),
            identity: p.identity.clone(),
            status: "connected".into(),
            start: recorded.iter().find(|r| r.0 == p.sid).map(|r| r.3),
            end: None,
        })
        .collect();
    people.extend(
        recorded
            .into_iter()
            .filter(|r| !live.iter().any(|p| p.sid == r.0))
            .map(|(sid, identity, _, start, end)| ParticipantView {
                sid,
                identity,
                status: "disconnected".into(),
                start: Some(start),
                end: end.or(room.end_time),
            }),
    );
    Ok((room, people))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "PascalCase")]
pub struct ListParticipants {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub identity: Option<String>,
}

/// `GET /v1/Rooms/{sid}/Participants`
#[utoipa::path(get, path = "/Rooms/{id}/Participants", tag = "twilio-rooms", security(("api_key" = [])), params(("id" = String, Path, description = "Room sid or UniqueName"), ListParticipants), responses((status = 200, body = Object), (status = 404, body = super::error::ErrorBody)))]
pub async fn participants(
    State(state): State<AppState>,
    _: ApiKeyAuth,
    ApiPath(id): ApiPath<String>,
    Query(query): Query<ListParticipants>,
) -> ApiResult<Json<Value>> {
    let (room, people) = room_people(&state, &id).await?;
    // Twilio's default: the connected ones while the room is in progress,
    // the disconnected ones once it is over.
    let wanted = query.status.unwrap_or_else(|| {
        let default = if room.status == "in-progress" {
            "connected"
        } else {
            "disconnected"
        };
        default.to_owned()
    });
    let list: Vec<Value> = people
        .iter()
        .filter(|p| p.status == wanted)
        .filter(|p| query.identity.as_deref().is_none_or(|i| i == p.identity))
        .map(|p| participant_json(&state, &room, p))
        .collect();
    let path = format!("/v1/Rooms/{}/Participants", room.sid);
    Ok(Json(
        json!({"participants": list, "meta": meta(&state, &path, "participants", 50)}),
    ))
}

/// `GET /v1/Rooms/{sid}/Participants/{sid or identity}`
#[utoipa::path(get, path = "/Rooms/{id}/Participants/{who}", tag = "twilio-rooms", security(("api_key" = [])), params(("id" = String, Path, description = "Room sid or UniqueName"), ("who" = String, Path, description = "Participant sid or identity")), responses((status = 200, body = Object), (status = 404, body = super::error::ErrorBody)))]
pub async fn participant(
    State(state): State<AppState>,
    _: ApiKeyAuth,
    ApiPath((id, who)): ApiPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    let (room, people) = room_people(&state, &id).await?;
    // A sid is exact; an identity means its latest session (connected first).
    let p = people
        .iter()
        .find(|p| p.sid == who)
        .or_else(|| {
            people
                .iter()
                .rev()
                .filter(|p| p.identity == who)
                .min_by_key(|p| p.status != "connected")
        })
        .ok_or(ApiError::NotFound)?;
    Ok(Json(participant_json(&state, &room, p)))
}

/// `POST /v1/Rooms/{sid}/Participants/{sid}` with `Status=disconnected`.
#[utoipa::path(post, path = "/Rooms/{id}/Participants/{who}", tag = "twilio-rooms", security(("api_key" = [])), params(("id" = String, Path, description = "Room sid or UniqueName"), ("who" = String, Path, description = "Participant sid or identity")), request_body(content = UpdateStatus, content_type = "application/x-www-form-urlencoded"), responses((status = 200, body = Object), (status = 400, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)))]
pub async fn update_participant(
    State(state): State<AppState>,
    _: ApiKeyAuth,
    ApiPath((id, who)): ApiPath<(String, String)>,
    form: Result<Form<UpdateStatus>, axum::extract::rejection::FormRejection>,
) -> ApiResult<Json<Value>> {
    let Form(input) = form.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    if input.status != "disconnected" {
        return Err(ApiError::Twilio(
            StatusCode::BAD_REQUEST,
            53209,
            "Participant status is invalid: set Status=disconnected".into(),
        ));
    }
    let room = find(&state.db, &id).await?.ok_or(ApiError::NotFound)?;
    let removed = state
        .sfu
        .remove_participant(&room.unique_name, &who)
        .await
        .ok_or(ApiError::NotFound)?;
    let start = recorded_participants(&state, &room.sid)
        .await?
        .into_iter()
        .find(|r| r.0 == removed.sid)
        .map(|r| r.3);
    let view = ParticipantView {
        sid: removed.sid,
        identity: removed.identity,
        status: "disconnected".into(),
        start,
        end: Some(state.clock.now().timestamp()),
    };
    Ok(Json(participant_json(&state, &room, &view)))
}

/// Ends a room: the row is marked completed and the SFU disconnects
/// everyone (53118); `room-ended` follows from the SFU's event.
pub async fn complete(state: &AppState, room: &RoomRow) -> sqlx::Result<()> {
    let now = state.clock.now().timestamp();
    sqlx::query(
        "UPDATE rooms SET status = 'completed', end_time = $1, updated_at = $1 WHERE sid = $2 AND status = 'in-progress'",
    )
    .bind(now)
    .bind(&room.sid)
    .execute(&state.db)
    .await?;
    if !state.sfu.end_room(&room.unique_name).await {
        // The SFU never had it (nobody joined): say it ended anyway.
        crate::callbacks::record_room_ended(state, room).await?;
    }
    Ok(())
}

/// Completes rooms whose empty or unused timeout has passed. Appointment
/// rooms wait for their join window to close first.
pub async fn reap(state: &AppState) -> sqlx::Result<usize> {
    let now = state.clock.now().timestamp();
    let grace = state.config.app.join_closes_minutes_after_end;
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE status = 'in-progress' AND empty_since IS NOT NULL \
         AND ((ever_joined = 1 AND empty_since + empty_room_timeout * 60 <= $1) \
           OR (ever_joined = 0 AND created_at + unused_room_timeout * 60 <= $1)) \
         AND NOT EXISTS (SELECT 1 FROM appointments a WHERE a.room_sid = rooms.sid \
           AND a.status = 'scheduled' AND a.starts_at + (a.duration_minutes + $2) * 60 > $1)"
    ))
    .bind(now)
    .bind(grace)
    .fetch_all(&state.db)
    .await?;
    let count = rows.len();
    for row in rows {
        complete(state, &from_row(row)).await?;
    }
    Ok(count)
}

/// Records a participant joining or leaving (for listings and their times).
pub async fn note_participant(
    state: &AppState,
    room_sid: &str,
    sid: &str,
    identity: &str,
    joined: bool,
) -> sqlx::Result<()> {
    let now = state.clock.now().timestamp();
    if joined {
        sqlx::query(
            "INSERT INTO room_participants (sid, room_sid, identity, status, start_time) VALUES ($1, $2, $3, 'connected', $4)",
        )
        .bind(sid)
        .bind(room_sid)
        .bind(identity)
        .bind(now)
        .execute(&state.db)
        .await?;
    } else {
        sqlx::query("UPDATE room_participants SET status = 'disconnected', end_time = $1 WHERE sid = $2 AND status = 'connected'")
            .bind(now)
            .bind(sid)
            .execute(&state.db)
            .await?;
    }
    Ok(())
}

/// A participant's times, as recorded: (identity, status, start, end).
type ParticipantTimes = (String, String, String, i64, Option<i64>);

async fn recorded_participants(
    state: &AppState,
    room_sid: &str,
) -> sqlx::Result<Vec<ParticipantTimes>> {
    sqlx::query_as("SELECT sid, identity, status, start_time, end_time FROM room_participants WHERE room_sid = $1 ORDER BY start_time")
        .bind(room_sid)
        .fetch_all(&state.db)
        .await
}

/// Keeps `empty_since` / `ever_joined` in step with the SFU.
pub async fn note_occupancy(
    state: &AppState,
    room_sid: &str,
    room_name: &str,
    joined: bool,
) -> sqlx::Result<()> {
    if joined {
        sqlx::query("UPDATE rooms SET empty_since = NULL, ever_joined = 1 WHERE sid = $1")
            .bind(room_sid)
            .execute(&state.db)
            .await?;
    } else if state
        .sfu
        .room(room_name)
        .await
        .is_none_or(|r| r.participants.is_empty())
    {
        sqlx::query("UPDATE rooms SET empty_since = $1 WHERE sid = $2 AND empty_since IS NULL")
            .bind(state.clock.now().timestamp())
            .bind(room_sid)
            .execute(&state.db)
            .await?;
    }
    Ok(())
}

/// Registers every room in progress with the SFU (at start), so joins find
/// them under their own sids.
pub async fn register_all(state: &AppState) -> sqlx::Result<usize> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT unique_name, sid, max_participants FROM rooms WHERE status = 'in-progress'",
    )
    .fetch_all(&state.db)
    .await?;
    for (name, sid, max) in &rows {
        state
            .sfu
            .register_room(name, sid, Some(*max as usize))
            .await;
    }
    Ok(rows.len())
}
