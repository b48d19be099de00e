//! What the reminders speak of: the [`Stage`] a message is for, the
//! [`Channel`] it goes by, and how sending it failed ([`SendError`]).

use chrono::Duration;
use serde::{Deserialize, Serialize};

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
