//! Twilio's JSON shapes for the Rooms API: a room, a participant, and a
//! page's `meta`, with Twilio's field names and links.

use serde_json::{Value, json};

use crate::model::rooms::{Participant, RoomRow};
use crate::model::time::rfc3339_ts as iso;
use crate::state::AppState;

fn base_url(state: &AppState) -> String {
    state.config.app.public_url.trim_end_matches('/').to_owned()
}

pub fn room_json(state: &AppState, r: &RoomRow) -> Value {
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

pub fn participant_json(state: &AppState, room: &RoomRow, p: &Participant) -> Value {
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

/// A list page's `meta` (one page holds everything).
pub fn meta(state: &AppState, path: &str, key: &str, page_size: i64) -> Value {
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
