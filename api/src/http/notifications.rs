//! `GET /api/notifications/` — the reminder outbox for clinic admins: what
//! is owed, sent, skipped or failed, and why; with `?via=dev`, the dev
//! outbox (messages kept instead of sent because no provider is set).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use super::appointments::Person;
use super::error::{ApiError, ApiResult};
use super::extract::{ApiQuery, Caller};
use crate::model::time::rfc3339;
use crate::model::users::Role;
use crate::reminders::outbox::{ListFilter, Listed};
use crate::reminders::{Channel, ReminderOutbox, Stage};
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// pending, sending, sent, failed, skipped or cancelled.
    #[serde(default)]
    pub state: Option<String>,
    /// email or whatsapp.
    #[serde(default)]
    pub channel: Option<String>,
    /// How a sent message went: smtp, whatsapp or dev (the dev outbox).
    #[serde(default)]
    pub via: Option<String>,
    #[serde(default)]
    pub appointment_id: Option<i64>,
    /// Paging: only rows with a smaller id.
    #[serde(default)]
    pub before_id: Option<i64>,
    /// 1 to 500 (default 100).
    #[serde(default)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NotificationView {
    pub id: i64,
    pub appointment_id: i64,
    pub stage: Stage,
    pub channel: Channel,
    pub recipient: Person,
    /// The email address or phone number it goes to.
    pub address: Option<String>,
    /// The appointment revision it was planned for.
    pub revision: i64,
    pub due_at: String,
    pub state: String,
    pub attempts: i64,
    /// The last error, or why it was skipped or cancelled.
    pub last_error: Option<String>,
    /// The SMTP server's answer, the WhatsApp `wamid`, or the Message-ID.
    pub provider_message_id: Option<String>,
    pub delivered_via: Option<String>,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub sent_at: Option<String>,
}

fn view(row: Listed) -> NotificationView {
    let time = |ts: i64| rfc3339(chrono::DateTime::from_timestamp(ts, 0).unwrap_or_default());
    NotificationView {
        id: row.id,
        appointment_id: row.appointment_id,
        stage: Stage::parse(&row.stage).unwrap_or(Stage::Confirmation),
        channel: Channel::parse(&row.channel).unwrap_or(Channel::Email),
        recipient: Person {
            id: row.recipient_id,
            name: row.recipient_name,
            email: row.recipient_email,
        },
        address: row.recipient_address,
        revision: row.revision,
        due_at: time(row.due_at),
        state: row.state,
        attempts: row.attempts,
        last_error: row.last_error,
        provider_message_id: row.provider_message_id,
        delivered_via: row.delivered_via,
        subject: row.subject,
        body: row.body,
        sent_at: row.sent_at.map(time),
    }
}

/// `GET /api/notifications/` — admins only, newest first.
#[utoipa::path(get, path = "/notifications/", tag = "notifications", security(("bearer" = [])), params(ListQuery), responses((status = 200, body = Vec<NotificationView>), (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<Vec<NotificationView>>> {
    caller.require(Role::Admin)?;
    let mut problems = BTreeMap::new();
    let mut check = |field: &str, value: &Option<String>, allowed: &[&str]| {
        if let Some(v) = value
            && !allowed.contains(&v.as_str())
        {
            problems.insert(
                field.to_owned(),
                format!("must be one of {}", allowed.join(", ")),
            );
        }
    };
    check(
        "state",
        &query.state,
        &[
            "pending",
            "sending",
            "sent",
            "failed",
            "skipped",
            "cancelled",
        ],
    );
    check("channel", &query.channel, &["email", "whatsapp"]);
    check("via", &query.via, &["smtp", "whatsapp", "dev"]);
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        problems.insert("limit".into(), "must be 1 to 500".into());
    }
    if !problems.is_empty() {
        return Err(ApiError::Invalid(problems));
    }
    let outbox = ReminderOutbox::new(state.db.clone(), state.backend);
    let rows = outbox
        .list(&ListFilter {
            state: query.state,
            channel: query.channel,
            via: query.via,
            appointment_id: query.appointment_id,
            before_id: query.before_id,
            limit,
        })
        .await?;
    Ok(Json(rows.into_iter().map(view).collect()))
}
