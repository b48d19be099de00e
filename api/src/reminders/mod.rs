//! Booking confirmations and reminders (24 h, 1 h, 15 min before) by email
//! and WhatsApp — never lost, never doubled.
//!
//! Layout, in the order a message travels:
//! - [`plan`]: when an appointment is booked, rescheduled or cancelled, the
//!   rows it owes are written to the outbox *in the same transaction* as the
//!   change, so a committed booking always has its messages.
//! - [`outbox`]: the `notifications` table as a queue ([`ReminderOutbox`]):
//!   due rows are claimed with a lease (`FOR UPDATE SKIP LOCKED` on
//!   PostgreSQL), and every outcome is written back under that lease.
//! - [`dispatch`]: the loop that claims, decides (still useful? superseded?),
//!   renders and sends, a bounded number at once.
//! - [`render`]: the message texts, templates a clinic can change and
//!   translate, with dates in the recipient's own time zone; [`ics`]: the
//!   calendar invite (iMIP) that goes with confirmations and changes.
//! - [`email`] (lettre over SMTP, through [`smtp_pool`]) and [`whatsapp`]
//!   (Meta's Cloud API): the
//!   providers. Without either configured, messages land in the dev outbox
//!   (stored, listed at `/api/notifications/`, logged).
//! - [`config`]: the `[notifications]` section.
//!
//! Never lost: a row leaves `pending`/`sending` only by an outcome recorded
//! under its lease, and an expired lease (a process killed mid-send) makes
//! it claimable again. Never doubled: one live lease per row; the one window
//! left — the provider accepted, the process died before the commit — can
//! repeat at most the messages in flight, and each email carries a
//! Message-ID fixed per row so mail clients fold such a repeat.

pub mod config;
pub mod dispatch;
pub mod email;
pub mod ics;
pub mod outbox;
pub mod plan;
pub mod render;
pub mod smtp_pool;
pub mod whatsapp;

use chrono::Duration;
use serde::{Deserialize, Serialize};

pub use config::NotificationsConfig;
pub use outbox::ReminderOutbox;

/// What a message is about.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Confirmation,
    #[serde(rename = "reminder_24h")]
    Reminder24h,
    #[serde(rename = "reminder_1h")]
    Reminder1h,
    #[serde(rename = "reminder_15m")]
    Reminder15m,
    Rescheduled,
    Cancelled,
}

impl Stage {
    pub const ALL: [Stage; 6] = [
        Stage::Confirmation,
        Stage::Reminder24h,
        Stage::Reminder1h,
        Stage::Reminder15m,
        Stage::Rescheduled,
        Stage::Cancelled,
    ];
    /// The reminders, earliest first.
    pub const REMINDERS: [Stage; 3] = [Stage::Reminder24h, Stage::Reminder1h, Stage::Reminder15m];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Confirmation => "confirmation",
            Stage::Reminder24h => "reminder_24h",
            Stage::Reminder1h => "reminder_1h",
            Stage::Reminder15m => "reminder_15m",
            Stage::Rescheduled => "rescheduled",
            Stage::Cancelled => "cancelled",
        }
    }

    pub fn parse(value: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// How long before the appointment a reminder is due.
    pub fn lead_time(self) -> Option<Duration> {
        match self {
            Stage::Reminder24h => Some(Duration::hours(24)),
            Stage::Reminder1h => Some(Duration::hours(1)),
            Stage::Reminder15m => Some(Duration::minutes(15)),
            _ => None,
        }
    }

    /// Confirmations and changes carry a calendar invite.
    pub fn has_invite(self) -> bool {
        matches!(
            self,
            Stage::Confirmation | Stage::Rescheduled | Stage::Cancelled
        )
    }
}

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    #[serde(rename = "whatsapp")]
    WhatsApp,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::WhatsApp => "whatsapp",
        }
    }

    pub fn parse(value: &str) -> Option<Channel> {
        match value {
            "email" => Some(Channel::Email),
            "whatsapp" => Some(Channel::WhatsApp),
            _ => None,
        }
    }
}

/// Why a provider did not take a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Will not succeed if tried again (a 4xx answer, a bad address).
    Permanent(String),
    /// Might on a later try (5xx, 429, timeouts, connection failures).
    Transient(String),
}
