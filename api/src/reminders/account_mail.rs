//! E-mail about an account rather than an appointment (the password reset
//! link), as a job of the same durable queue as reminders: the
//! `account_emails` table, claimed under a lease, retried with backoff,
//! never lost. The secret link is kept on the row only until the message
//! is sent; a link that expires before it could be sent is dropped.
//! Without SMTP the message goes to the dev outbox (the log) only on a
//! development install: production never logs a live link.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tracing::info;

use super::email::{Email, SmtpMailer};
use super::kinds::SendError;
use super::render::{AccountFields, Renderer};
use crate::clock::Clock;
use crate::config::Config;
use crate::db::{Backend, Db};
use crate::queue::runner::{Handled, Job, Runner};
use crate::queue::{DurableQueue, Field, QueueTable};

/// The `account_emails` table as a queue: no ordering between rows.
pub static ACCOUNT_EMAILS: QueueTable = QueueTable {
    name: "account_emails",
    ordered: None,
};

/// A claimed row with its recipient.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountEmail {
    pub id: i64,
    pub kind: String,
    pub attempts: i64,
    pub link: Option<String>,
    pub expires_at: i64,
    pub recipient_name: String,
    pub recipient_email: String,
}

pub struct AccountMailJob {
    queue: DurableQueue,
    renderer: Renderer,
    email: Option<Arc<SmtpMailer>>,
    host: String,
    /// Without SMTP, a development install logs the message (the dev
    /// outbox); a production one never writes a live reset link to its
    /// log, and records the message as failed instead.
    production: bool,
}

/// Starts the `account_emails` runner, sending through `email` (or the dev
/// outbox, the log, without SMTP).
pub fn start(
    config: &Config,
    db: Db,
    backend: Backend,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
    email: Option<Arc<SmtpMailer>>,
) -> anyhow::Result<JoinHandle<()>> {
    let notifications = &config.notifications;
    let renderer = Renderer::new(notifications, &config.app.public_url)?;
    let host = super::dispatch::message_host(config);
    let runner = super::dispatch::runner_config(notifications);
    let queue = DurableQueue::new(db, backend, &ACCOUNT_EMAILS);
    let job = AccountMailJob {
        queue: queue.clone(),
        renderer,
        email,
        host,
        production: config.app.production,
    };
    Ok(Runner::spawn(queue, job, clock, wake, runner))
}

impl Job for AccountMailJob {
    type Row = AccountEmail;
    const NAME: &'static str = "account_emails";

    async fn load(&self, token: &str) -> sqlx::Result<Vec<AccountEmail>> {
        sqlx::query_as(
            "SELECT m.id, m.kind, m.attempts, m.link, m.expires_at, u.name AS recipient_name, \
             u.email AS recipient_email FROM account_emails m JOIN users u ON u.id = m.recipient_id \
             WHERE m.lease_owner = $1 AND m.state = 'sending' ORDER BY m.id",
        )
        .bind(token)
        .fetch_all(self.queue.db())
        .await
    }

    fn id(row: &AccountEmail) -> i64 {
        row.id
    }

    fn attempts(row: &AccountEmail) -> i64 {
        row.attempts
    }

    async fn handle(&self, row: &AccountEmail, now: DateTime<Utc>) -> Handled {
        let Some(link) = row.link.clone() else {
            return Handled::Dropped("skipped", "no link to send".into());
        };
        let left = row.expires_at - now.timestamp();
        if left <= 0 {
            return Handled::Dropped("skipped", "the link expired before it could be sent".into());
        }
        let fields = AccountFields {
            clinic_name: self.renderer.clinic_name().to_owned(),
            clinic_url: self.renderer.public_url().to_owned(),
            recipient_name: row.recipient_name.clone(),
            link,
            valid_minutes: (left + 59) / 60,
        };
        let content = match self.renderer.account_email(&row.kind, &fields) {
            Ok(content) => content,
            Err(e) => return Handled::Permanent(format!("template: {e:#}")),
        };
        let message_id = format!("<account-{}@{}>", row.id, self.host);
        let (via, id) = match &self.email {
            Some(mailer) => {
                let email = Email {
                    message_id: &message_id,
                    to_name: &row.recipient_name,
                    to_address: &row.recipient_email,
                    date: now.into(),
                    content: &content,
                    calendar: None,
                };
                match mailer.send(&email).await {
                    Ok(id) => ("smtp", id),
                    Err(SendError::Permanent(error)) => return Handled::Permanent(error),
                    Err(SendError::Transient(error)) => return Handled::Transient(error),
                }
            }
            None if self.production => {
                return Handled::Permanent(
                    "no SMTP server is configured ([notifications.smtp]); a production install never writes reset links to its log".into(),
                );
            }
            None => {
                info!(
                    id = row.id,
                    to = %row.recipient_email,
                    subject = %content.subject,
                    "dev outbox (no SMTP configured):\n{}",
                    content.text
                );
                ("dev", message_id)
            }
        };
        Handled::Sent(vec![
            ("provider_message_id", Field::Text(Some(id))),
            ("delivered_via", Field::Text(Some(via.to_owned()))),
            ("subject", Field::Text(Some(content.subject))),
            // The secret goes with the message, not into the record.
            ("link", Field::Text(None)),
        ])
    }
}
