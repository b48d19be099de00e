//! The audit log: an append-only record of who did what to which
//! appointment or account, when, and from which address — for a clinic's
//! records and for finding out what happened. Handlers record their action
//! once it succeeded ([`record`]); the SFU's joins and leaves are recorded
//! as its events are ([`crate::callbacks`]). Entries are never changed;
//! [`purge`] removes those older than the retention setting.
//!
//! Recording never fails the request that did the action (it has
//! happened): a failed write is logged as an error.

use std::net::IpAddr;

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;

use super::users::User;
use super::{Error, Result};
use crate::db::Db;

/// What was done (the `action` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SignedUp,
    SignedIn,
    PasswordResetAsked,
    PasswordReset,
    UserCreated,
    UserUpdated,
    UserDeactivated,
    UserReactivated,
    Booked,
    Rescheduled,
    ChangeRequested,
    ChangeApproved,
    ChangeDeclined,
    Cancelled,
    TokenIssued,
    Admitted,
    Removed,
    Joined,
    Left,
}

impl Action {
    pub const ALL: [Action; 19] = [
        Action::SignedUp,
        Action::SignedIn,
        Action::PasswordResetAsked,
        Action::PasswordReset,
        Action::UserCreated,
        Action::UserUpdated,
        Action::UserDeactivated,
        Action::UserReactivated,
        Action::Booked,
        Action::Rescheduled,
        Action::ChangeRequested,
        Action::ChangeApproved,
        Action::ChangeDeclined,
        Action::Cancelled,
        Action::TokenIssued,
        Action::Admitted,
        Action::Removed,
        Action::Joined,
        Action::Left,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::SignedUp => "signed_up",
            Action::SignedIn => "signed_in_with_link",
            Action::PasswordResetAsked => "password_reset_asked",
            Action::PasswordReset => "password_reset",
            Action::UserCreated => "user_created",
            Action::UserUpdated => "user_updated",
            Action::UserDeactivated => "user_deactivated",
            Action::UserReactivated => "user_reactivated",
            Action::Booked => "booked",
            Action::Rescheduled => "rescheduled",
            Action::ChangeRequested => "change_requested",
            Action::ChangeApproved => "change_approved",
            Action::ChangeDeclined => "change_declined",
            Action::Cancelled => "cancelled",
            Action::TokenIssued => "token_issued",
            Action::Admitted => "admitted",
            Action::Removed => "removed",
            Action::Joined => "joined",
            Action::Left => "left",
        }
    }

    pub fn parse(value: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == value)
    }
}

/// Who did it: an account (with the address it came from), or the
/// identity the SFU knows a participant by (with the address its
/// signaling connection came from).
pub enum Actor<'a> {
    User(&'a User, Option<IpAddr>),
    /// Someone not signed in (a sign-up, a reset request), by address.
    Anonymous(IpAddr),
    Participant(&'a str, Option<IpAddr>),
}

/// What an entry is about.
#[derive(Default)]
pub struct About {
    pub appointment_id: Option<i64>,
    pub subject_id: Option<i64>,
    pub detail: Option<String>,
}

/// Appends an entry; a failure is logged, not returned.
pub async fn record(db: &Db, at: DateTime<Utc>, actor: Actor<'_>, action: Action, about: About) {
    let (actor_id, actor_name, ip) = match actor {
        Actor::User(user, ip) => (Some(user.id), Some(user.email.clone()), ip),
        Actor::Anonymous(ip) => (None, None, Some(ip)),
        Actor::Participant(identity, ip) => (
            identity.split_once('-').and_then(|(id, _)| id.parse().ok()),
            Some(identity.to_owned()),
            ip,
        ),
    };
    let written = sqlx::query(
        "INSERT INTO audit_events (at, actor_id, actor, action, appointment_id, subject_id, ip, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(at.timestamp())
    .bind(actor_id)
    .bind(actor_name)
    .bind(action.as_str())
    .bind(about.appointment_id)
    .bind(about.subject_id)
    .bind(ip.map(|ip| ip.to_string()))
    .bind(about.detail)
    .execute(db)
    .await;
    if let Err(err) = written {
        tracing::error!(%err, action = action.as_str(), "the audit log could not be written");
    }
}

/// An entry as read back.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Entry {
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor: Option<String>,
    pub action: String,
    pub appointment_id: Option<i64>,
    pub subject_id: Option<i64>,
    pub ip: Option<String>,
    pub detail: Option<String>,
}

impl Entry {
    pub fn at(&self) -> DateTime<Utc> {
        Utc.timestamp_opt(self.at, 0).single().unwrap_or_default()
    }
}

/// Which entries, newest first.
#[derive(Debug, Default)]
pub struct Filter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub action: Option<Action>,
    pub appointment_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub before_id: Option<i64>,
    pub limit: i64,
}

pub async fn list(db: &Db, filter: &Filter) -> Result<Vec<Entry>> {
    if !(1..=50_000).contains(&filter.limit) {
        return Err(Error::field("limit", "must be 1 to 50000"));
    }
    Ok(sqlx::query_as(
        "SELECT id, at, actor_id, actor, action, appointment_id, subject_id, ip, detail FROM audit_events \
         WHERE at >= $1 AND at <= $2 AND ($3 = '' OR action = $3) AND ($4 = -1 OR appointment_id = $4) \
         AND ($5 = -1 OR actor_id = $5) AND id < $6 ORDER BY id DESC LIMIT $7",
    )
    .bind(filter.from.map_or(i64::MIN / 2, |t| t.timestamp()))
    .bind(filter.to.map_or(i64::MAX / 2, |t| t.timestamp()))
    .bind(filter.action.map_or("", Action::as_str))
    .bind(filter.appointment_id.unwrap_or(-1))
    .bind(filter.actor_id.unwrap_or(-1))
    .bind(filter.before_id.unwrap_or(i64::MAX))
    .bind(filter.limit)
    .fetch_all(db)
    .await?)
}

/// Removes entries older than `before` (the retention setting); how many.
pub async fn purge(db: &Db, before: DateTime<Utc>) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM audit_events WHERE at < $1")
        .bind(before.timestamp())
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}
