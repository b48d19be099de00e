//! The rooms' housekeeping, on a task of its own: once a second, ends rooms
//! past their `EmptyRoomTimeout` / `UnusedRoomTimeout` (and appointment
//! rooms past their window); every [`reconcile::HEARTBEAT_SECS`], records
//! that this run is alive and closes what dead runs left open (a process
//! sharing the database that died and never came back).

use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;
use tracing::warn;

use crate::model::rooms::{lifecycle, reconcile};
use crate::state::AppState;

/// How often rooms are checked; Twilio's timeouts are whole minutes.
const EVERY: Duration = Duration::from_secs(1);

pub fn spawn(state: AppState) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(EVERY);
        every.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut ticks: u64 = 0;
        loop {
            every.tick().await;
            ticks += 1;
            if ticks.is_multiple_of(reconcile::HEARTBEAT_SECS as u64) {
                keep_run(&state).await;
            }
            if let Err(err) = lifecycle::reap(&state).await {
                warn!(error = %err, "ending idle rooms failed");
            }
        }
    })
}

async fn keep_run(state: &AppState) {
    if let Err(err) = reconcile::heartbeat(state).await {
        warn!(error = %err, "recording this run's heartbeat failed");
        return;
    }
    match reconcile::close_left_open(state).await {
        Ok(done) if done.participants > 0 => warn!(
            participants = done.participants,
            runs = done.runs,
            "closed participants a dead run left connected"
        ),
        Ok(_) => {}
        Err(err) => warn!(error = %err, "closing what dead runs left open failed"),
    }
}
