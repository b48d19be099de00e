//! The dispatch loop: claim due rows (a lease per batch), decide whether
//! each is still worth sending, render, send through the provider, and
//! record the outcome under the lease. At most `max_in_flight` messages are
//! with providers at once; the claim is that many rows, so every claimed
//! row is being worked on while its lease runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use futures_util::StreamExt;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use super::email::{Email, SmtpMailer};
use super::ics::{Invite, Method};
use super::outbox::{Claimed, Delivery, ReminderOutbox};
use super::render::Renderer;
use super::whatsapp::WhatsAppClient;
use super::{Channel, NotificationsConfig, SendError, Stage};
use crate::clock::Clock;
use crate::config::Config;

/// The longest the loop sleeps with nothing due (rows may come from another
/// process, and a test clock may jump).
const IDLE: StdDuration = StdDuration::from_millis(500);

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

pub struct Dispatcher {
    outbox: ReminderOutbox,
    clock: Arc<dyn Clock>,
    renderer: Renderer,
    config: NotificationsConfig,
    email: Option<SmtpMailer>,
    whatsapp: Option<WhatsAppClient>,
    wake: Arc<Notify>,
    /// Who claims: this process, then a counter per claim.
    process: String,
    claims: AtomicU64,
    /// The public URL's host: Message-IDs and calendar UIDs end with it.
    host: String,
}

impl Dispatcher {
    /// Builds the renderer and providers (a bad template or SMTP setting is
    /// a start-up error) and starts the loop.
    pub fn start(
        config: &Config,
        outbox: ReminderOutbox,
        clock: Arc<dyn Clock>,
        wake: Arc<Notify>,
    ) -> anyhow::Result<JoinHandle<()>> {
        let notifications = config.notifications.clone();
        let renderer = Renderer::new(&notifications, &config.app.public_url)?;
        let email = notifications
            .smtp
            .as_ref()
            .map(|smtp| SmtpMailer::new(smtp, &notifications.clinic_name))
            .transpose()?;
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
        let host = reqwest::Url::parse(&config.app.public_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "confide.local".into());
        let dispatcher = Dispatcher {
            outbox,
            clock,
            renderer,
            config: notifications,
            email,
            whatsapp,
            wake,
            process: format!("p{}-{:08x}", std::process::id(), rand::random::<u32>()),
            claims: AtomicU64::new(0),
            host,
        };
        Ok(tokio::spawn(dispatcher.run()))
    }

    async fn run(self) {
        loop {
            let claimed = match self.tick().await {
                Ok(n) => n,
                Err(err) => {
                    warn!(error = %err, "notifications: dispatch failed; retrying");
                    0
                }
            };
            if claimed > 0 {
                continue;
            }
            let now = self.clock.now().timestamp();
            let wait = match self.outbox.next_due().await {
                Ok(Some(due)) if due <= now => StdDuration::from_millis(10),
                Ok(Some(due)) => IDLE.min(StdDuration::from_secs((due - now) as u64)),
                _ => IDLE,
            };
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// One claim and its sends; returns how many rows were claimed.
    async fn tick(&self) -> sqlx::Result<usize> {
        let now = self.clock.now();
        let token = format!(
            "{}-{}",
            self.process,
            self.claims.fetch_add(1, Ordering::Relaxed)
        );
        let lease_until = now + Duration::seconds(self.config.lease_secs as i64);
        let rows = self
            .outbox
            .claim(&token, now, lease_until, self.config.max_in_flight as i64)
            .await?;
        let count = rows.len();
        futures_util::stream::iter(rows)
            .for_each_concurrent(self.config.max_in_flight, |row| async {
                let id = row.id;
                if let Err(err) = self.handle(row, &token).await {
                    // The lease runs out and the row is tried again.
                    warn!(id, error = %err, "notifications: could not record an outcome");
                }
            })
            .await;
        Ok(count)
    }

    async fn handle(&self, row: Claimed, token: &str) -> sqlx::Result<()> {
        let now = self.clock.now();
        let recorded = match decide(&row, now) {
            Decision::Skip(reason) => {
                debug!(id = row.id, %reason, "notification skipped");
                self.outbox
                    .dropped(row.id, token, "skipped", &reason, now)
                    .await?
            }
            Decision::Cancel(reason) => {
                self.outbox
                    .dropped(row.id, token, "cancelled", &reason, now)
                    .await?
            }
            Decision::Later(due) => self.outbox.later(row.id, token, due, now).await?,
            Decision::Send => match self.send(&row, now).await {
                Ok(delivery) => {
                    let done = self
                        .outbox
                        .sent(row.id, token, &delivery.as_delivery(), now)
                        .await?;
                    if delivery.via == "dev" {
                        info!(
                            id = row.id,
                            channel = %row.channel,
                            to = %delivery.to,
                            subject = %delivery.subject,
                            "dev outbox (no provider configured):\n{}",
                            delivery.body
                        );
                    }
                    done
                }
                Err(SendError::Permanent(error)) => {
                    warn!(id = row.id, %error, "notification failed permanently");
                    self.outbox.failed(row.id, token, &error, now).await?
                }
                Err(SendError::Transient(error))
                    if row.attempts + 1 >= self.config.max_attempts =>
                {
                    warn!(id = row.id, %error, "notification failed; no attempts left");
                    self.outbox
                        .failed(
                            row.id,
                            token,
                            &format!("{error} (after {} attempts)", row.attempts + 1),
                            now,
                        )
                        .await?
                }
                Err(SendError::Transient(error)) => {
                    let retry_at = now + self.backoff(row.attempts + 1);
                    debug!(id = row.id, %error, %retry_at, "notification will be retried");
                    self.outbox
                        .retry(row.id, token, retry_at, &error, now)
                        .await?
                }
            },
        };
        if !recorded {
            warn!(
                id = row.id,
                "notifications: lease lost before the outcome was recorded"
            );
        }
        Ok(())
    }

    /// Doubling from the base to the cap, with jitter (half to full), so
    /// retries from many rows do not arrive together.
    fn backoff(&self, attempts: i64) -> Duration {
        let base = self.config.retry_base_secs as f64;
        let cap = self.config.retry_max_secs as f64;
        let full = (base * 2f64.powi((attempts - 1).clamp(0, 30) as i32)).min(cap);
        // At least a second: the outbox keeps whole seconds.
        let jittered = (full * (0.5 + rand::random::<f64>() * 0.5)).max(1.0);
        Duration::seconds(jittered.ceil() as i64)
    }

    async fn send(&self, row: &Claimed, now: DateTime<Utc>) -> Result<Sent, SendError> {
        let stage =
            Stage::parse(&row.stage).ok_or_else(|| SendError::Permanent("unknown stage".into()))?;
        let fields = self.renderer.fields(row, stage);
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
                body,
            });
        }
        let message_id = format!("<notification-{}@{}>", row.id, self.host);
        let calendar = stage
            .has_invite()
            .then(|| self.invite(row, stage, &fields.link, now));
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
            body: content.text,
        })
    }

    fn invite(
        &self,
        row: &Claimed,
        stage: Stage,
        link: &str,
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
        let summary = format!("Video appointment with {}", row.psychologist_name);
        let ics = Invite {
            method,
            uid: &uid,
            sequence: row.sequence.max(0) as u32,
            stamp: now,
            starts_at,
            ends_at: starts_at + Duration::minutes(row.duration_minutes),
            summary: &summary,
            link,
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
    body: String,
}

impl Sent {
    fn as_delivery(&self) -> Delivery<'_> {
        Delivery {
            via: self.via,
            provider_message_id: self.provider_message_id.as_deref(),
            subject: &self.subject,
            body: &self.body,
        }
    }
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
