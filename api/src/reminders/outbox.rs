//! The `notifications` table: one of the [durable queues](crate::queue)
//! (claims, leases and outcomes are the queue's), plus what only reminders
//! need — a claimed row loaded with its recipient and appointment, and the
//! admin listing.
//!
//! Claiming moves `next_attempt_at` to the lease's end, so the one index
//! over live rows by `next_attempt_at` (`notifications_due`) finds both due
//! rows and abandoned leases.

use crate::db::{Backend, Db};
use crate::queue::{DurableQueue, QueueTable};

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
    /// A reschedule notice's "was" time.
    pub previous_starts_at: Option<i64>,
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

/// The `notifications` table as a queue: no ordering between rows.
pub static NOTIFICATIONS: QueueTable = QueueTable {
    name: "notifications",
    ordered: None,
};

#[derive(Clone)]
pub struct ReminderOutbox {
    queue: DurableQueue,
}

impl ReminderOutbox {
    pub fn new(db: Db, backend: Backend) -> Self {
        Self {
            queue: DurableQueue::new(db, backend, &NOTIFICATIONS),
        }
    }

    pub fn queue(&self) -> &DurableQueue {
        &self.queue
    }

    /// The claim query (see [`DurableQueue::claim_sql`]), for tests that
    /// check the database plans it on the `notifications_due` index.
    pub fn claim_sql(backend: Backend) -> String {
        DurableQueue::claim_sql(backend, &NOTIFICATIONS)
    }

    /// The rows `token` claimed, with recipient and appointment.
    pub async fn claimed(&self, token: &str) -> sqlx::Result<Vec<Claimed>> {
        sqlx::query_as(
            "SELECT n.id, n.appointment_id, n.stage, n.channel, n.revision, n.due_at, n.attempts, \
             u.id AS recipient_id, u.name AS recipient_name, u.email AS recipient_email, \
             u.phone AS recipient_phone, u.time_zone AS recipient_time_zone, \
             u.whatsapp_opt_in AS recipient_whatsapp, u.role AS recipient_role, \
             a.starts_at, a.duration_minutes, a.status AS appointment_status, a.session_type, \
             a.video_room_id, a.sequence, d.name AS psychologist_name, p.name AS patient_name, n.previous_starts_at \
             FROM notifications n JOIN users u ON u.id = n.recipient_id \
             JOIN appointments a ON a.id = n.appointment_id \
             JOIN users d ON d.id = a.psychologist_id JOIN users p ON p.id = a.patient_id \
             WHERE n.lease_owner = $1 AND n.state = 'sending' ORDER BY n.due_at, n.id",
        )
        .bind(token)
        .fetch_all(self.queue.db())
        .await
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
        .fetch_all(self.queue.db())
        .await
    }
}
