//! Ends rooms past their `EmptyRoomTimeout` / `UnusedRoomTimeout` (and
//! appointment rooms past their window), checked once a second on a task
//! of its own.

use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;
use tracing::warn;

use crate::model::rooms::lifecycle;
use crate::state::AppState;

/// How often rooms are checked; Twilio's timeouts are whole minutes.
const EVERY: Duration = Duration::from_secs(1);

pub fn spawn(state: AppState) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(EVERY);
        every.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if let Err(err) = lifecycle::reap(&state).await {
                warn!(error = %err, "ending idle rooms failed");
            }
        }
    })
}
