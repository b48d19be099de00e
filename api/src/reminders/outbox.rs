//! The `notifications` table as a durable queue.
//!
//! A row is *live* while `pending` or `sending`. Claiming sets `sending`,
//! writes a fresh claim token into `lease_owner` and moves `next_attempt_at`
//! to the lease's end, so the one index over live rows by
//! `next_attempt_at` finds both due rows and abandoned leases. Every
//! outcome is written `WHERE lease_owner = token AND state = 'sending'`: a
//! process whose lease ran out and was taken over cannot overwrite the new
//! owner's outcome.

use chrono::{DateTime, Utc};

use crate::db::{Backend, Db};

/// A claimed row with what it takes to write and address the message.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub id: i64,
    pub appointment_id: i64,
    pub stage: String,
    pub channel: String,
    pub revision: i64,
    pub due_at: i64,
    pub attempts: i64,
    pub recipient_id: i64,
    pub recipient_name: String,
    pub recipient_email: String,
    pub recipient_phone: Option<String>,
    pub recipient_time_zone: String,
    pub recipient_whatsapp: i64,
    pub recipient_role: String,
    pub starts_at: i64,
    pub duration_minutes: i64,
    pub appointment_status: String,
    pub session_type: String,
    pub video_room_id: Option<String>,
    pub sequence: i64,
    pub psychologist_name: String,
    pub patient_name: String,
}

/// A row as the admin listing shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Listed {
    pub id: i64,
    pub appointment_id: i64,
    pub stage: String,
    pub channel: String,
    pub recipient_id: i64,
    pub recipient_name: String,
    pub recipient_email: String,
    pub recipient_address: Option<String>,
    pub revision: i64,
    pub due_at: i64,
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub provider_message_id: Option<String>,
    pub delivered_via: Option<String>,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub sent_at: Option<i64>,
}

/// What was delivered, for the record.
pub struct Delivery<'a> {
    /// `smtp`, `whatsapp`, or `dev` (the dev outbox).
    pub via: &'static str,
    pub provider_message_id: Option<&'a str>,
    pub subject: &'a str,
    pub body: &'a str,
}

/// Filters of the admin listing.
#[derive(Debug, Default)]
pub struct ListFilter {
    pub state: Option<String>,
    pub channel: Option<String>,
    pub via: Option<String>,
    pub appointment_id: Option<i64>,
    pub before_id: Option<i64>,
    pub limit: i64,
}

#[derive(Clone)]
pub struct ReminderOutbox {
    db: Db,
    backend: Backend,
}

const LIVE: &str = "state IN ('pending', 'sending')";

impl ReminderOutbox {
    pub fn new(db: Db, backend: Backend) -> Self {
        Self { db, backend }
    }

    /// The claim query: up to `$4` live rows due by `$3`, oldest first.
    /// Exposed so a test can check that the database plans it on the
    /// `notifications_due` index.
    pub fn claim_sql(backend: Backend) -> String {
        let lock = match backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            // SQLite runs one writer at a time: the UPDATE is the lock.
            Backend::Sqlite => "",
        };
        format!(
            "UPDATE notifications SET state = 'sending', lease_owner = $1, next_attempt_at = $2, updated_at = $3 \
             WHERE id IN (SELECT id FROM notifications WHERE {LIVE} AND next_attempt_at <= $3 \
             ORDER BY next_attempt_at LIMIT $4{lock}) RETURNING id"
        )
    }

    /// Claims up to `limit` due rows for `token` until `lease_until`.
    pub async fn claim(
        &self,
        token: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> sqlx::Result<Vec<Claimed>> {
        let claimed: Vec<(i64,)> = sqlx::query_as(&Self::claim_sql(self.backend))
            .bind(token)
            .bind(lease_until.timestamp())
            .bind(now.timestamp())
            .bind(limit)
            .fetch_all(&self.db)
            .await?;
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        sqlx::query_as(
            "SELECT n.id, n.appointment_id, n.stage, n.channel, n.revision, n.due_at, n.attempts, \
             u.id AS recipient_id, u.name AS recipient_name, u.email AS recipient_email, \
             u.phone AS recipient_phone, u.time_zone AS recipient_time_zone, \
             u.whatsapp_opt_in AS recipient_whatsapp, u.role AS recipient_role, \
             a.starts_at, a.duration_minutes, a.status AS appointment_status, a.session_type, \
             a.video_room_id, a.sequence, d.name AS psychologist_name, p.name AS patient_name \
             FROM notifications n JOIN users u ON u.id = n.recipient_id \
             JOIN appointments a ON a.id = n.appointment_id \
             JOIN users d ON d.id = a.psychologist_id JOIN users p ON p.id = a.patient_id \
             WHERE n.lease_owner = $1 AND n.state = 'sending' ORDER BY n.due_at, n.id",
        )
        .bind(token)
        .fetch_all(&self.db)
        .await
    }

    /// When the next live row falls due (to sleep until then).
    pub async fn next_due(&self) -> sqlx::Result<Option<i64>> {
        sqlx::query_scalar(&format!(
            "SELECT MIN(next_attempt_at) FROM notifications WHERE {LIVE}"
        ))
        .fetch_one(&self.db)
        .await
    }

    /// Records a delivery. False when the lease was lost meanwhile.
    pub async fn sent(
        &self,
        id: i64,
        token: &str,
        delivery: &Delivery<'_>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let done = sqlx::query(
            "UPDATE notifications SET state = 'sent', attempts = attempts + 1, last_error = NULL, \
             provider_message_id = $1, delivered_via = $2, subject = $3, body = $4, sent_at = $5, updated_at = $5 \
             WHERE id = $6 AND lease_owner = $7 AND state = 'sending'",
        )
        .bind(delivery.provider_message_id)
        .bind(delivery.via)
        .bind(delivery.subject)
        .bind(delivery.body)
        .bind(now.timestamp())
        .bind(id)
        .bind(token)
        .execute(&self.db)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A failed attempt to be tried again at `retry_at`.
    pub async fn retry(
        &self,
        id: i64,
        token: &str,
        retry_at: DateTime<Utc>,
        error: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        self.finish(
            id,
            token,
            "pending",
            Some(retry_at.timestamp()),
            1,
            error,
            now,
        )
        .await
    }

    /// A permanent failure (or the last attempt).
    pub async fn failed(
        &self,
        id: i64,
        token: &str,
        error: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        self.finish(id, token, "failed", None, 1, error, now).await
    }

    /// Not sent, and never will be: `skipped` (no longer useful) or
    /// `cancelled` (the appointment changed).
    pub async fn dropped(
        &self,
        id: i64,
        token: &str,
        state: &'static str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        self.finish(id, token, state, None, 0, reason, now).await
    }

    /// Not due yet after all (the appointment moved while the row was
    /// claimed): back to pending at its new time.
    pub async fn later(
        &self,
        id: i64,
        token: &str,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let done = sqlx::query(
            "UPDATE notifications SET state = 'pending', due_at = $1, next_attempt_at = $1, updated_at = $2 \
             WHERE id = $3 AND lease_owner = $4 AND state = 'sending'",
        )
        .bind(at.timestamp())
        .bind(now.timestamp())
        .bind(id)
        .bind(token)
        .execute(&self.db)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    #[allow(clippy::too_many_arguments)]
    async fn finish(
        &self,
        id: i64,
        token: &str,
        state: &'static str,
        retry_at: Option<i64>,
        attempt: i64,
        note: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let done = sqlx::query(
            "UPDATE notifications SET state = $1, next_attempt_at = COALESCE($2, next_attempt_at), \
             attempts = attempts + $3, last_error = $4, updated_at = $5 \
             WHERE id = $6 AND lease_owner = $7 AND state = 'sending'",
        )
        .bind(state)
        .bind(retry_at)
        .bind(attempt)
        .bind(truncate(note, 1000))
        .bind(now.timestamp())
        .bind(id)
        .bind(token)
        .execute(&self.db)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Newest first, filtered.
    pub async fn list(&self, filter: &ListFilter) -> sqlx::Result<Vec<Listed>> {
        sqlx::query_as(
            "SELECT n.id, n.appointment_id, n.stage, n.channel, n.recipient_id, u.name AS recipient_name, \
             u.email AS recipient_email, \
             CASE WHEN n.channel = 'email' THEN u.email ELSE u.phone END AS recipient_address, n.revision, n.due_at, n.state, n.attempts, n.last_error, n.provider_message_id, \
             n.delivered_via, n.subject, n.body, n.sent_at \
             FROM notifications n JOIN users u ON u.id = n.recipient_id \
             WHERE ($1 = '' OR n.state = $1) AND ($2 = '' OR n.channel = $2) \
             AND ($3 = '' OR n.delivered_via = $3) AND ($4 = -1 OR n.appointment_id = $4) \
             AND n.id < $5 ORDER BY n.id DESC LIMIT $6",
        )
        .bind(filter.state.clone().unwrap_or_default())
        .bind(filter.channel.clone().unwrap_or_default())
        .bind(filter.via.clone().unwrap_or_default())
        .bind(filter.appointment_id.unwrap_or(-1))
        .bind(filter.before_id.unwrap_or(i64::MAX))
        .bind(filter.limit)
        .fetch_all(&self.db)
        .await
    }
}

fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}
