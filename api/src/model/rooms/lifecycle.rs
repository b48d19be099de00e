//! How rooms end and come back: completing a room (the SFU disconnects
//! everyone), reaping rooms past their empty/unused timeout, and
//! registering every room in progress with the SFU at start.

use super::{RoomRow, Row, SELECT, from_row};
use crate::model::{Error, Result};
use crate::state::AppState;

/// Ends a room: the row is marked completed and the SFU disconnects
/// everyone (53118); `room-ended` follows from the SFU's event.
pub async fn complete(state: &AppState, room: &RoomRow) -> sqlx::Result<()> {
    finish(state, room, None).await
}

/// Ends a room for good (its appointment was cancelled): completed like
/// [`complete`], and joins with tokens issued before are refused (53118)
/// until those tokens have expired, instead of opening a new room.
pub async fn close(state: &AppState, room: &RoomRow) -> sqlx::Result<()> {
    finish(state, room, Some(refuse_rejoin_for(state))).await
}

/// How long a closed room refuses joins: tokens live
/// `video_token_ttl_secs`, checked with a 30 s leeway.
fn refuse_rejoin_for(state: &AppState) -> std::time::Duration {
    std::time::Duration::from_secs(state.config.app.video_token_ttl_secs + 60)
}

async fn finish(
    state: &AppState,
    room: &RoomRow,
    refuse_rejoin_for: Option<std::time::Duration>,
) -> sqlx::Result<()> {
    let now = state.clock.now().timestamp();
    let completed = sqlx::query(
        "UPDATE rooms SET status = 'completed', end_time = $1, updated_at = $1 WHERE sid = $2 AND status = 'in-progress'",
    )
    .bind(now)
    .bind(&room.sid)
    .execute(&state.db)
    .await?
    .rows_affected()
        == 1;
    let live = match crate::cluster::remote::end(state, &room.unique_name, refuse_rejoin_for).await
    {
        Ok(live) => live,
        Err(err) => {
            // Its node went away meanwhile: nobody is left in it.
            tracing::warn!(room = %room.unique_name, error = %err, "ending a room on its node failed");
            false
        }
    };
    if !live && completed {
        // The SFU never had it (nobody joined): say it ended anyway. Only
        // the process whose update ended it says so (with several nodes,
        // each one's reaper may find a room whose node is gone).
        crate::callbacks::record_room_ended(state, room).await?;
    }
    Ok(())
}

/// Ends a room in progress (by sid or unique name) and returns it as it is
/// now.
pub async fn end(state: &AppState, id: &str) -> Result<RoomRow> {
    let room = super::get(&state.db, id).await?;
    if room.status != "in-progress" {
        return Err(Error::RoomNotInProgress);
    }
    complete(state, &room).await?;
    super::get(&state.db, &room.sid).await
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
    let mut count = 0;
    for row in rows {
        let room = from_row(row);
        // With several nodes, the room's own node ends it.
        if crate::cluster::router::lives_elsewhere(state, &room.unique_name).await {
            continue;
        }
        complete(state, &room).await?;
        count += 1;
    }
    Ok(count)
}

/// Registers every room in progress with the SFU (at start), so joins find
/// them under their own sids; and closes again the rooms of appointments
/// cancelled while tokens for them may still be valid, so a restart does
/// not let those tokens into an ad-hoc room of the same name. With several
/// nodes nothing is placed on a node that has just started: each room is
/// made ready by [`prepare`] on the node its first join is placed on.
pub async fn register_all(state: &AppState) -> sqlx::Result<usize> {
    if state.cluster.is_some() {
        return Ok(0);
    }
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
    let now = state.clock.now().timestamp();
    let closed: Vec<(String, i64)> = sqlx::query_as(
        "SELECT r.unique_name, r.end_time FROM rooms r JOIN appointments a ON a.room_sid = r.sid \
         WHERE a.status = 'cancelled' AND r.status = 'completed' AND r.end_time > $1",
    )
    .bind(now - refuse_rejoin_for(state).as_secs() as i64)
    .fetch_all(&state.db)
    .await?;
    for (name, ended) in closed {
        refuse_rest_of_window(state, &name, ended).await;
    }
    Ok(rows.len())
}

/// Makes this node's SFU ready for a join to the room named `name`, which
/// was just placed here: registered when it is in progress, closed when
/// its appointment was cancelled while tokens for it may still be valid.
pub async fn prepare(state: &AppState, name: &str) -> sqlx::Result<()> {
    let now = state.clock.now().timestamp();
    let room: Option<(String, String, i64, Option<i64>, bool)> = sqlx::query_as(
        "SELECT r.sid, r.status, r.max_participants, r.end_time, \
           EXISTS (SELECT 1 FROM appointments a WHERE a.room_sid = r.sid AND a.status = 'cancelled') \
         FROM rooms r WHERE r.unique_name = $1 \
         ORDER BY CASE WHEN r.status = 'in-progress' THEN 0 ELSE 1 END, r.created_at DESC LIMIT 1",
    )
    .bind(name)
    .fetch_optional(&state.db)
    .await?;
    match room {
        Some((sid, status, max, _, _)) if status == "in-progress" => {
            state
                .sfu
                .register_room(name, &sid, Some(max as usize))
                .await;
        }
        Some((_, _, _, Some(ended), true))
            if ended > now - refuse_rejoin_for(state).as_secs() as i64 =>
        {
            refuse_rest_of_window(state, name, ended).await;
        }
        _ => {}
    }
    Ok(())
}

/// Closes `name` in the SFU for what is left of the refusal window of a
/// room that `ended` (Unix seconds).
async fn refuse_rest_of_window(state: &AppState, name: &str, ended: i64) {
    let now = state.clock.now().timestamp();
    let left = (ended + refuse_rejoin_for(state).as_secs() as i64 - now).max(0) as u64;
    state
        .sfu
        .close_room(name, std::time::Duration::from_secs(left))
        .await;
}
