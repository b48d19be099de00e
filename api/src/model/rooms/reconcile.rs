//! Closing what a dead process left open.
//!
//! Each start of Confide is a *run* (`server_runs`: an id, the media socket
//! it holds, a heartbeat), and each participant's row names the run whose
//! SFU holds the connection. A run that dies without closing its calls
//! (kill -9, an out-of-memory kill, a power cut) leaves participants
//! `connected` and rooms occupied in the database, and owes the
//! `participant-disconnected` callbacks. A run is known dead when
//! - another run now holds its media socket (two live processes cannot bind
//!   the same host and UDP address), which is how a restart finds its
//!   predecessor at once; or
//! - its heartbeat is older than [`STALE_AFTER_SECS`], which is how any live
//!   run on a shared database finds a process that never came back; or
//! - its row is gone (a clean stop deletes it), or the participant row
//!   predates runs.
//!
//! Closing a participant ends it at its run's last heartbeat, queues the
//! owed callback, and marks the room empty when nobody is left, so the room
//! then ends by its `EmptyRoomTimeout` like any room whose people left
//! (and `room-ended` follows). Each participant is closed by one update
//! guarded on `status = 'connected'`, so two runs reconciling at once close
//! it, and call back, once.

use super::{Row, SELECT, from_row};
use crate::callbacks;
use crate::state::AppState;

/// How often a run proves it is alive.
pub const HEARTBEAT_SECS: i64 = 10;
/// With several nodes, a run the registry no longer lists is dead once its
/// database heartbeat is this old too (three missed beats).
pub const SILENT_IN_CLUSTER_SECS: i64 = 3 * HEARTBEAT_SECS;
/// A run silent this long is dead: long enough that a database hiccup of a
/// minute does not close a live run's calls.
pub const STALE_AFTER_SECS: i64 = 120;

/// This process's run: its id and the media socket it holds.
#[derive(Clone, Debug)]
pub struct ServerRun {
    pub id: String,
    pub media_socket: String,
}

impl ServerRun {
    /// A new run on `media_addr` (with this host's name: the same address
    /// on two hosts is two sockets).
    pub fn new(media_addr: std::net::SocketAddr) -> ServerRun {
        let host = hostname::get()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_default();
        ServerRun {
            id: format!("RN{:032x}", rand::random::<u128>()),
            media_socket: format!("{host}/{media_addr}"),
        }
    }
}

/// Records this run as alive (at start, and again if its row went
/// missing).
pub async fn heartbeat(state: &AppState) -> sqlx::Result<()> {
    let now = state.clock.now().timestamp();
    let updated = sqlx::query("UPDATE server_runs SET heartbeat_at = $1 WHERE id = $2")
        .bind(now)
        .bind(&state.run.id)
        .execute(&state.db)
        .await?;
    if updated.rows_affected() == 0 {
        sqlx::query(
            "INSERT INTO server_runs (id, media_socket, started_at, heartbeat_at) VALUES ($1, $2, $3, $3)",
        )
        .bind(&state.run.id)
        .bind(&state.run.media_socket)
        .bind(now)
        .execute(&state.db)
        .await?;
    }
    Ok(())
}

/// What closing left-open participants did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Participants marked disconnected (each with its callback queued).
    pub participants: usize,
    /// Runs found dead and forgotten.
    pub runs: usize,
}

/// Closes every participant a dead run left connected, then forgets the
/// dead runs. Safe to run at any time, from any number of processes.
pub async fn close_left_open(state: &AppState) -> sqlx::Result<Reconciled> {
    let now = state.clock.now().timestamp();
    let stale = now - STALE_AFTER_SECS;
    // The run's last heartbeat is when it was last known alive: its calls
    // end then (never before they started). Unknown runs end now.
    let dead = dead_in_cluster(state, now).await;
    // `$4, $5, …`: the runs the cluster's registry no longer lists.
    let listed = placeholders("r.id", 4, dead.len());
    let sql = format!(
        "SELECT p.sid, p.room_sid, p.identity, p.start_time, r.heartbeat_at \
         FROM room_participants p LEFT JOIN server_runs r ON r.id = p.run_id \
         WHERE p.status = 'connected' AND (p.run_id IS NULL OR r.id IS NULL \
           OR (r.id <> $1 AND (r.media_socket = $2 OR r.heartbeat_at < $3{listed}))) \
         ORDER BY p.start_time"
    );
    let mut orphans = sqlx::query_as::<_, (String, String, String, i64, Option<i64>)>(&sql)
        .bind(&state.run.id)
        .bind(&state.run.media_socket)
        .bind(stale);
    for id in &dead {
        orphans = orphans.bind(id);
    }
    let orphans = orphans.fetch_all(&state.db).await?;
    let mut closed = 0;
    for (sid, room_sid, identity, start, last_alive) in orphans {
        let end = last_alive.unwrap_or(now).clamp(start, now);
        let updated = sqlx::query(
            "UPDATE room_participants SET status = 'disconnected', end_time = $1 \
             WHERE sid = $2 AND status = 'connected'",
        )
        .bind(end)
        .bind(&sid)
        .execute(&state.db)
        .await?;
        if updated.rows_affected() == 0 {
            continue; // another run closed it first
        }
        closed += 1;
        let room: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE sid = $1"))
            .bind(&room_sid)
            .fetch_optional(&state.db)
            .await?;
        let Some(room) = room.map(from_row) else {
            continue;
        };
        callbacks::record_participant_disconnected(state, &room, &sid, &identity).await?;
        mark_empty_if_nobody_left(state, &room.sid, &room.unique_name, end).await?;
    }
    let sql = format!(
        "DELETE FROM server_runs WHERE id <> $1 AND (media_socket = $2 OR heartbeat_at < $3{})",
        placeholders("id", 4, dead.len())
    );
    let mut forget = sqlx::query(&sql)
        .bind(&state.run.id)
        .bind(&state.run.media_socket)
        .bind(stale);
    for id in &dead {
        forget = forget.bind(id);
    }
    let forgotten = forget.execute(&state.db).await?;
    Ok(Reconciled {
        participants: closed,
        runs: forgotten.rows_affected() as usize,
    })
}

/// Runs the cluster's registry does not list and whose database heartbeat
/// missed three beats: dead nodes. None on one node, or when Redis cannot be asked (then only
/// the database's heartbeats decide).
async fn dead_in_cluster(state: &AppState, now: i64) -> Vec<String> {
    let Some(cluster) = &state.cluster else {
        return Vec::new();
    };
    let live = match cluster.live_nodes().await {
        Ok(live) => live,
        Err(err) => {
            tracing::warn!(error = %err, "reading the node registry failed: dead nodes wait for their database heartbeat");
            return Vec::new();
        }
    };
    let registered_by = now - cluster.ttl().as_secs() as i64;
    // Both must say so: a Redis that blinked (or restarted empty) lists a
    // live node late, but its database heartbeat goes on.
    let silent_since = now - SILENT_IN_CLUSTER_SECS;
    let runs: sqlx::Result<Vec<String>> = sqlx::query_scalar(
        "SELECT id FROM server_runs WHERE id <> $1 AND started_at < $2 AND heartbeat_at < $3",
    )
    .bind(&state.run.id)
    .bind(registered_by)
    .bind(silent_since)
    .fetch_all(&state.db)
    .await;
    runs.unwrap_or_default()
        .into_iter()
        .filter(|run| !live.iter().any(|node| &node.id == run))
        .collect()
}

/// ` OR {column} IN ($first, …)` for `count` runs (nothing for none).
fn placeholders(column: &str, first: usize, count: usize) -> String {
    if count == 0 {
        return String::new();
    }
    let list: Vec<String> = (first..first + count).map(|n| format!("${n}")).collect();
    format!(" OR {column} IN ({})", list.join(", "))
}

/// A room is empty once no run records anyone connected and its node's
/// SFU has nobody in it (someone may have rejoined already).
async fn mark_empty_if_nobody_left(
    state: &AppState,
    room_sid: &str,
    room_name: &str,
    since: i64,
) -> sqlx::Result<()> {
    let connected: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM room_participants WHERE room_sid = $1 AND status = 'connected'",
    )
    .bind(room_sid)
    .fetch_one(&state.db)
    .await?;
    let here = crate::cluster::remote::participants(state, room_name)
        .await
        .unwrap_or(None)
        .is_some_and(|people| !people.is_empty());
    if connected == 0 && !here {
        sqlx::query(
            "UPDATE rooms SET empty_since = $1 WHERE sid = $2 AND status = 'in-progress' AND empty_since IS NULL",
        )
        .bind(since)
        .bind(room_sid)
        .execute(&state.db)
        .await?;
    }
    Ok(())
}

/// A clean stop: this run's row goes, and whatever its participants'
/// events did not record in time is closed now.
pub async fn end_run(state: &AppState) -> sqlx::Result<Reconciled> {
    sqlx::query("DELETE FROM server_runs WHERE id = $1")
        .bind(&state.run.id)
        .execute(&state.db)
        .await?;
    close_left_open(state).await
}
