//! How long Confide keeps what it need not keep forever
//! (`app.audit_retention_days`, `app.message_retention_days`): once at
//! start and then every hour, audit entries past their retention are
//! deleted, and the text of sent messages (names, times, links) is
//! cleared from the outbox, leaving the record that a message went.

use std::time::Duration;

use chrono::Duration as Days;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::model::audit;
use crate::state::AppState;

const EVERY: Duration = Duration::from_secs(3600);

/// What one pass removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Purged {
    pub audit_entries: u64,
    pub message_texts: u64,
}

/// One pass, on the app's clock.
pub async fn purge(state: &AppState) -> sqlx::Result<Purged> {
    let now = state.clock.now();
    let audit_entries = audit::purge(
        &state.db,
        now - Days::days(state.config.app.audit_retention_days),
    )
    .await?;
    let before = (now - Days::days(state.config.app.message_retention_days)).timestamp();
    let message_texts = sqlx::query(
        "UPDATE notifications SET subject = NULL, body = NULL \
         WHERE sent_at < $1 AND (subject IS NOT NULL OR body IS NOT NULL)",
    )
    .bind(before)
    .execute(&state.db)
    .await?
    .rows_affected();
    Ok(Purged {
        audit_entries,
        message_texts,
    })
}

pub fn spawn(state: AppState) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(EVERY);
        loop {
            every.tick().await;
            match purge(&state).await {
                Ok(purged) if purged != Purged::default() => info!(?purged, "retention"),
                Ok(_) => {}
                Err(err) => warn!(error = %err, "applying the retention settings failed"),
            }
        }
    })
}
