//! Reminders as a job of the durable queue ([`crate::queue::runner`]): for
//! each claimed row, decide whether it is still worth sending, render, and
//! send through the provider; the runner records the outcome under the
//! lease. At most `max_in_flight` messages are with providers at once; the
//! claim is that many rows, so every claimed row is being worked on while
//! its lease runs.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tracing::info;

use super::config::NotificationsConfig;
use super::email::{Email, SmtpMailer};
use super::ics::{Invite, Method};
use super::kinds::{Channel, SendError, Stage};
use super::outbox::{Claimed, ReminderOutbox};
use super::render::{Fields, Renderer};
use super::whatsapp::WhatsAppClient;
use crate::clock::Clock;
use crate::config::Config;
use crate::queue::Field;
use crate::queue::runner::{Handled, Job, RetryPolicy, Runner, RunnerConfig};

/// What to do with a claimed row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Send,
    /// No longer useful; recorded as skipped with the reason.
    Skip(String),
    /// The appointment changed under it; recorded as cancelled.
    Cancel(String),
    /// Not due after all (the appointment moved while it was claimed).
    Later(DateTime<Utc>),
}

fn at(ts: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(ts, 0).single().unwrap_or_default()
}

/// Whether a claimed message still deserves sending at `now`. A reminder
/// is useful until the appointment starts, unless a later reminder is due
/// too (after downtime only the latest one goes); notices of a change are
/// dropped when a newer change replaced them.
pub fn decide(row: &Claimed, now: DateTime<Utc>) -> Decision {
    let Some(stage) = Stage::parse(&row.stage) else {
        return Decision::Skip(format!("unknown stage {:?}", row.stage));
    };
    let starts_at = at(row.starts_at);
    if row.session_type != "telehealth" {
        return Decision::Cancel("not a video appointment".into());
    }
    if row.channel == Channel::WhatsApp.as_str()
        && (row.recipient_phone.is_none() || row.recipient_whatsapp != 1)
    {
        return Decision::Skip("the recipient has no WhatsApp number or opted out".into());
    }
    let cancelled = row.appointment_status == "cancelled";
    match stage {
        Stage::Cancelled => {}
        _ if cancelled => return Decision::Cancel("the appointment was cancelled".into()),
        Stage::Rescheduled if row.revision < row.sequence => {
            return Decision::Cancel("superseded by a later change".into());
        }
        _ => {}
    }
    if now >= starts_at {
        return Decision::Skip(format!(
            "the appointment had started ({}) before this could be sent",
            starts_at.to_rfc3339()
        ));
    }
    if let Some(lead) = stage.lead_time() {
        let due = starts_at - lead;
        if now + Duration::seconds(1) < due {
            return Decision::Later(due);
        }
        if let Some(later) = Stage::REMINDERS
            .into_iter()
            .filter(|s| s.lead_time().is_some_and(|l| l < lead))
            .find(|s| s.lead_time().is_some_and(|l| now >= starts_at - l))
        {
            return Decision::Skip(format!(
                "superseded by the {} reminder, also due",
                later.as_str()
            ));
        }
    }
    Decision::Send
}

/// Reminders as a [`Job`] of the durable queue: decide, render, send.
pub struct ReminderJob {
    outbox: ReminderOutbox,
    renderer: Renderer,
    config: NotificationsConfig,
    email: Option<Arc<SmtpMailer>>,
    whatsapp: Option<WhatsAppClient>,
    /// The public URL's host: Message-IDs and calendar UIDs end with it.
    host: String,
    /// With `app.magic_links`: minutes the room stays open after the
    /// appointment's end (a patient's one-time sign-in link works till then).
    magic_links: Option<i64>,
    /// A production install never writes a live sign-in link to its log.
    production: bool,
}

/// The public URL's host, which Message-IDs and calendar UIDs end with.
pub fn message_host(config: &Config) -> String {
    reqwest::Url::parse(&config.app.public_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "confide.local".into())
}

/// Leases, concurrency and retries of the message queues (reminders and
/// account e-mail), from `[notifications]`.
pub fn runner_config(notifications: &NotificationsConfig) -> RunnerConfig {
    RunnerConfig {
        lease: Duration::seconds(notifications.lease_secs as i64),
        max_in_flight: notifications.max_in_flight,
        retry: RetryPolicy {
            base_secs: notifications.retry_base_secs,
            max_secs: notifications.retry_max_secs,
            max_attempts: notifications.max_attempts,
        },
    }
}

/// The SMTP mailer `[notifications.smtp]` describes, if any (a bad setting
/// is a start-up error); reminders and account e-mail share it.
pub fn mailer(config: &NotificationsConfig) -> anyhow::Result<Option<Arc<SmtpMailer>>> {
    config
        .smtp
        .as_ref()
        .map(|smtp| SmtpMailer::new(smtp, &config.clinic_name).map(Arc::new))
        .transpose()
}

/// Builds the renderer and WhatsApp client (a bad template or setting is a
/// start-up error) and starts the outbox's runner, mailing with `email`.
pub fn start(
    config: &Config,
    outbox: ReminderOutbox,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
    email: Option<Arc<SmtpMailer>>,
) -> anyhow::Result<JoinHandle<()>> {
    let notifications = config.notifications.clone();
    let renderer = Renderer::new(&notifications, &config.app.public_url)?;
    let whatsapp = notifications
        .whatsapp
        .as_ref()
        .map(WhatsAppClient::new)
        .transpose()?;
    if email.is_none() || whatsapp.is_none() {
        info!(
            email = if email.is_some() {
                "smtp"
            } else {
                "dev outbox"
            },
            whatsapp = if whatsapp.is_some() {
                "cloud api"
            } else {
                "dev outbox"
            },
            "notifications: messages without a configured provider go to the dev outbox (GET /api/notifications/?via=dev)"
        );
    }
    let host = message_host(config);
    let runner = runner_config(&notifications);
    let queue = outbox.queue().clone();
    let job = ReminderJob {
        outbox,
        renderer,
        config: notifications,
        email,
        whatsapp,
        host,
        magic_links: config
            .app
            .magic_links
            .then_some(config.app.join_closes_minutes_after_end),
        production: config.app.production,
    };
    Ok(Runner::spawn(queue, job, clock, wake, runner))
}

impl Job for ReminderJob {
    type Row = Claimed;
    const NAME: &'static str = "notifications";

    async fn load(&self, token: &str) -> sqlx::Result<Vec<Claimed>> {
        self.outbox.claimed(token).await
    }

    fn id(row: &Claimed) -> i64 {
        row.id
    }

    fn attempts(row: &Claimed) -> i64 {
        row.attempts
    }

    async fn handle(&self, row: &Claimed, now: DateTime<Utc>) -> Handled {
        match decide(row, now) {
            Decision::Skip(reason) => Handled::Dropped("skipped", reason),
            Decision::Cancel(reason) => Handled::Dropped("cancelled", reason),
            Decision::Later(due) => {
                Handled::Later(due, vec![("due_at", Field::Int(due.timestamp()))])
            }
            Decision::Send => match self.send(row, now).await {
                Ok(sent) => {
                    if sent.via == "dev" {
                        info!(
                            id = row.id,
                            channel = %row.channel,
                            to = %sent.to,
                            subject = %sent.subject,
                            "dev outbox (no provider configured):\n{}",
                            sent.dev_text
                        );
                    }
                    Handled::Sent(vec![
                        ("provider_message_id", Field::Text(sent.provider_message_id)),
                        ("delivered_via", Field::Text(Some(sent.via.to_owned()))),
                        ("subject", Field::Text(Some(sent.subject))),
                        ("body", Field::Text(Some(sent.body))),
                    ])
                }
                Err(SendError::Permanent(error)) => Handled::Permanent(error),
                Err(SendError::Transient(error)) => Handled::Transient(error),
            },
        }
    }
}

impl ReminderJob {
    async fn send(&self, row: &Claimed, now: DateTime<Utc>) -> Result<Sent, SendError> {
        let stage =
            Stage::parse(&row.stage).ok_or_else(|| SendError::Permanent("unknown stage".into()))?;
        let mut fields = self.renderer.fields(row, stage);
        let key = self.sign_in_key(row, stage, now).await?;
        if let Some(key) = &key {
            fields.link = format!("{}#key={key}", fields.link);
        }
        // What is stored and shown of the message: never a live key.
        let stored = |text: &str| match &key {
            Some(key) => crate::auth::sign_in_link::redact(text, key),
            None => text.to_owned(),
        };
        let dev_text = |text: &str| {
            if self.production {
                stored(text)
            } else {
                text.to_owned()
            }
        };
        let content = self
            .renderer
            .email(stage, &fields)
            .map_err(|e| SendError::Permanent(format!("template: {e:#}")))?;
        if row.channel == Channel::WhatsApp.as_str() {
            let phone = row.recipient_phone.clone().unwrap_or_default();
            let template = match &self.config.whatsapp {
                Some(wa) => wa.template(stage),
                None => super::config::WhatsAppTemplate::default_for(stage),
            };
            let parameters = self
                .renderer
                .whatsapp_parameters(&template, &fields)
                .map_err(|e| SendError::Permanent(format!("WhatsApp parameters: {e:#}")))?;
            let subject = format!("{} ({})", template.name, template.language);
            let body = format!("{}\n\nParameters: {}", content.text, parameters.join(" | "));
            let (via, id) = match &self.whatsapp {
                Some(client) => (
                    "whatsapp",
                    Some(client.send(&phone, &template, &parameters).await?),
                ),
                None => ("dev", None),
            };
            return Ok(Sent {
                via,
                provider_message_id: id,
                to: phone,
                subject,
                dev_text: dev_text(&body),
                body: stored(&body),
            });
        }
        let message_id = format!("<notification-{}@{}>", row.id, self.host);
        let calendar = stage
            .has_invite()
            .then(|| self.invite(row, stage, &fields, now));
        let (via, id) = match &self.email {
            Some(mailer) => {
                let email = Email {
                    message_id: &message_id,
                    to_name: &row.recipient_name,
                    to_address: &row.recipient_email,
                    date: now.into(),
                    content: &content,
                    calendar,
                };
                ("smtp", Some(mailer.send(&email).await?))
            }
            None => ("dev", Some(message_id.clone())),
        };
        Ok(Sent {
            via,
            provider_message_id: id,
            to: row.recipient_email.clone(),
            subject: content.subject,
            dev_text: dev_text(&content.text),
            body: stored(&content.text),
        })
    }

    /// A one-time sign-in link's secret for this message, when the clinic
    /// puts them in a patient's messages about a session still to come.
    async fn sign_in_key(
        &self,
        row: &Claimed,
        stage: Stage,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, SendError> {
        let Some(after_end) = self.magic_links else {
            return Ok(None);
        };
        if row.recipient_role != "patient"
            || stage == Stage::Cancelled
            || row.video_room_id.is_none()
        {
            return Ok(None);
        }
        let closes = row.starts_at + (row.duration_minutes + after_end) * 60;
        crate::auth::sign_in_link::mint(
            self.outbox.queue().db(),
            row.recipient_id,
            row.appointment_id,
            closes,
            now.timestamp(),
        )
        .await
        .map(Some)
        .map_err(|e| SendError::Transient(format!("recording the sign-in link: {e}")))
    }

    fn invite(
        &self,
        row: &Claimed,
        stage: Stage,
        fields: &Fields,
        now: DateTime<Utc>,
    ) -> (&'static str, String) {
        let method = if stage == Stage::Cancelled {
            Method::Cancel
        } else {
            Method::Request
        };
        let starts_at = at(row.starts_at);
        let uid = format!("appointment-{}@{}", row.appointment_id, self.host);
        let organizer = self
            .email
            .as_ref()
            .map(|m| m.from().email.to_string())
            .unwrap_or_else(|| format!("no-reply@{}", self.host));
        let summary = format!("Video appointment with {}", fields.other_name);
        let ics = Invite {
            method,
            uid: &uid,
            sequence: row.sequence.max(0) as u32,
            stamp: now,
            starts_at,
            ends_at: starts_at + Duration::minutes(row.duration_minutes),
            summary: &summary,
            // A calendar keeps its entries: never a one-time sign-in key.
            link: fields.link.split('#').next().unwrap_or_default(),
            organizer_name: &self.config.clinic_name,
            organizer_email: &organizer,
            attendee_name: &row.recipient_name,
            attendee_email: &row.recipient_email,
        }
        .to_ics();
        (method.as_str(), ics)
    }
}

/// A message a provider (or the dev outbox) took.
struct Sent {
    via: &'static str,
    provider_message_id: Option<String>,
    to: String,
    subject: String,
    /// The text as stored (a sign-in key taken out).
    body: String,
    /// The text as the dev outbox logs it (the key kept, except in production).
    dev_text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: i64 = 1_900_000_000;

    fn row(stage: Stage) -> Claimed {
        Claimed {
            id: 1,
            appointment_id: 1,
            stage: stage.as_str().into(),
            channel: "email".into(),
            revision: 0,
            due_at: 0,
            attempts: 0,
            recipient_id: 1,
            recipient_name: "Ana".into(),
            recipient_email: "ana@clinic.test".into(),
            recipient_phone: Some("+5511987654321".into()),
            recipient_time_zone: "UTC".into(),
            recipient_whatsapp: 1,
            recipient_role: "patient".into(),
            starts_at: START,
            duration_minutes: 50,
            appointment_status: "scheduled".into(),
            session_type: "telehealth".into(),
            video_room_id: Some("apt-1-abc".into()),
            sequence: 0,
            psychologist_name: "Dr. Smith".into(),
            patient_name: "Ana Souza".into(),
            previous_starts_at: None,
        }
    }

    fn before(minutes: i64) -> DateTime<Utc> {
        at(START) - Duration::minutes(minutes)
    }

    #[test]
    fn reminders_go_at_their_time_until_a_later_one_is_due() {
        assert_eq!(
            decide(&row(Stage::Reminder24h), before(24 * 60)),
            Decision::Send
        );
        assert_eq!(
            decide(&row(Stage::Reminder24h), before(120)),
            Decision::Send,
            "late but still useful"
        );
        assert_eq!(
            decide(&row(Stage::Reminder24h), before(30)),
            Decision::Skip("superseded by the reminder_1h reminder, also due".into())
        );
        assert_eq!(
            decide(&row(Stage::Reminder1h), before(10)),
            Decision::Skip("superseded by the reminder_15m reminder, also due".into())
        );
        assert_eq!(decide(&row(Stage::Reminder15m), before(1)), Decision::Send);
        assert!(
            matches!(decide(&row(Stage::Reminder15m), before(0)), Decision::Skip(r) if r.starts_with("the appointment had started"))
        );
    }

    #[test]
    fn a_reminder_claimed_before_its_time_goes_back_to_wait() {
        // The appointment moved later while the row was claimed.
        assert_eq!(
            decide(&row(Stage::Reminder1h), before(3 * 60)),
            Decision::Later(before(60))
        );
    }

    #[test]
    fn changes_supersede_and_cancel() {
        let mut cancelled = row(Stage::Reminder1h);
        cancelled.appointment_status = "cancelled".into();
        assert_eq!(
            decide(&cancelled, before(60)),
            Decision::Cancel("the appointment was cancelled".into())
        );
        let mut notice = row(Stage::Cancelled);
        notice.appointment_status = "cancelled".into();
        assert_eq!(decide(&notice, before(60)), Decision::Send);
        let mut old_notice = row(Stage::Rescheduled);
        old_notice.sequence = 2;
        old_notice.revision = 1;
        assert_eq!(
            decide(&old_notice, before(600)),
            Decision::Cancel("superseded by a later change".into())
        );
        let mut opted_out = row(Stage::Confirmation);
        opted_out.channel = "whatsapp".into();
        opted_out.recipient_whatsapp = 0;
        assert!(matches!(decide(&opted_out, before(600)), Decision::Skip(_)));
    }
}
