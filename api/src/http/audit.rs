//! The audit log and attendance over HTTP: the admin's audit page reads
//! `/api/audit/` and exports `/api/audit.csv`; an appointment's attendance
//! is at `/api/appointments/{id}/attendance/`. The records are in
//! [`crate::model::audit`] and [`crate::model::attendance`].

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult};
use super::extract::{ApiPath, ApiQuery, Caller};
use crate::model::audit::{self, About, Action, Actor, Entry, Filter};
use crate::model::users::Role;
use crate::model::{attendance, time::rfc3339, validate};
use crate::state::AppState;

/// Records what a signed-in caller did, from the address it came from
/// (every handler's audit entry goes through here).
pub async fn caller_did(
    state: &AppState,
    caller: &Caller,
    ip: std::net::IpAddr,
    action: Action,
    about: About,
) {
    audit::record(
        &state.db,
        state.clock.now(),
        Actor::User(&caller.user, Some(ip)),
        action,
        about,
    )
    .await;
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// RFC 3339; entries at or after.
    #[serde(default)]
    pub from: Option<String>,
    /// RFC 3339; entries at or before.
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub appointment_id: Option<i64>,
    #[serde(default)]
    pub actor_id: Option<i64>,
    /// Paging: entries older than this id.
    #[serde(default)]
    pub before_id: Option<i64>,
    #[serde(default)]
    pub limit: Option<i64>,
}

impl AuditQuery {
    fn filter(&self, default_limit: i64) -> ApiResult<Filter> {
        let mut problems = std::collections::BTreeMap::new();
        let mut instant = |name: &str, value: &Option<String>| {
            value.as_deref().and_then(|v| match validate::instant(v) {
                Ok(at) => Some(at),
                Err(problem) => {
                    problems.insert(name.to_owned(), problem);
                    None
                }
            })
        };
        let from = instant("from", &self.from);
        let to = instant("to", &self.to);
        let action = match self.action.as_deref().filter(|a| !a.is_empty()) {
            None => None,
            Some(a) => match Action::parse(a) {
                Some(action) => Some(action),
                None => {
                    problems.insert("action".into(), "is not an audited action".into());
                    None
                }
            },
        };
        if !problems.is_empty() {
            return Err(ApiError::Invalid(problems));
        }
        Ok(Filter {
            from,
            to,
            action,
            appointment_id: self.appointment_id,
            actor_id: self.actor_id,
            before_id: self.before_id,
            limit: self.limit.unwrap_or(default_limit),
        })
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor_id: Option<i64>,
    pub actor: Option<String>,
    pub action: String,
    pub appointment_id: Option<i64>,
    pub subject_id: Option<i64>,
    pub ip: Option<String>,
    pub detail: Option<String>,
}

fn entry_view(e: Entry) -> AuditEntry {
    AuditEntry {
        at: rfc3339(e.at()),
        id: e.id,
        actor_id: e.actor_id,
        actor: e.actor,
        action: e.action,
        appointment_id: e.appointment_id,
        subject_id: e.subject_id,
        ip: e.ip,
        detail: e.detail,
    }
}

/// `GET /api/audit/` — admins: the audit log, newest first (100 by
/// default, at most 1000 a page; page with `before_id`).
#[utoipa::path(get, path = "/audit/", tag = "audit", security(("bearer" = [])), params(AuditQuery), responses((status = 200, body = Vec<AuditEntry>), (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    caller.require(Role::Admin)?;
    let filter = query.filter(100)?;
    if filter.limit > 1000 {
        return Err(ApiError::field(
            "limit",
            "must be 1 to 1000 (the CSV export takes more)",
        ));
    }
    let entries = audit::list(&state.db, &filter).await?;
    Ok(Json(entries.into_iter().map(entry_view).collect()))
}

/// One CSV field (RFC 4180 quoting). A value a spreadsheet would run as a
/// formula (`=`, `+`, `-`, `@`, tab or CR first) gets a leading `'`: an
/// export must not carry someone's typed text into a formula.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// `GET /api/audit.csv` — admins: the same entries as CSV (10,000 by
/// default, at most 50,000), for the clinic's records.
#[utoipa::path(get, path = "/audit.csv", tag = "audit", security(("bearer" = [])), params(AuditQuery), responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> ApiResult<impl IntoResponse> {
    caller.require(Role::Admin)?;
    let entries = audit::list(&state.db, &query.filter(10_000)?).await?;
    let mut out =
        String::from("id,at,actor_id,actor,action,appointment_id,subject_id,ip,detail\r\n");
    let number = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    for e in entries.into_iter().map(entry_view) {
        let row = [
            e.id.to_string(),
            e.at,
            number(e.actor_id),
            e.actor.unwrap_or_default(),
            e.action,
            number(e.appointment_id),
            number(e.subject_id),
            e.ip.unwrap_or_default(),
            e.detail.unwrap_or_default(),
        ];
        let fields: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    let name = format!(
        "attachment; filename=\"confide-audit-{}.csv\"",
        state.clock.now().format("%Y%m%d-%H%M%S")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, name),
        ],
        out,
    ))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VisitView {
    pub identity: String,
    /// `patient`, `psychologist` or `other`.
    pub role: String,
    pub joined_at: String,
    /// Null while still in the call.
    pub left_at: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttendanceView {
    pub appointment_id: i64,
    pub visits: Vec<VisitView>,
    pub patient_seconds: i64,
    pub psychologist_seconds: i64,
    /// Both in the call at once: the session as it happened.
    pub session_seconds: i64,
    /// Null until the room has closed.
    pub patient_no_show: Option<bool>,
    pub psychologist_no_show: Option<bool>,
}

/// `GET /api/appointments/{id}/attendance/` — who was in the call and
/// when, from the SFU's events; no-shows once the room has closed.
#[utoipa::path(get, path = "/appointments/{id}/attendance/", tag = "audit", security(("bearer" = [])), params(("id" = i64, Path, description = "Appointment id")), responses((status = 200, body = AttendanceView), (status = 404, body = super::error::ErrorBody)))]
pub async fn attendance(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AttendanceView>> {
    let (a, seen) = attendance::of(&state, &caller.user, id).await?;
    Ok(Json(AttendanceView {
        appointment_id: a.id,
        visits: seen
            .visits
            .into_iter()
            .map(|v| VisitView {
                identity: v.identity,
                role: v.role.to_owned(),
                joined_at: rfc3339(v.joined_at),
                left_at: v.left_at.map(rfc3339),
            })
            .collect(),
        patient_seconds: seen.patient_seconds,
        psychologist_seconds: seen.psychologist_seconds,
        session_seconds: seen.together_seconds,
        patient_no_show: seen.patient_no_show,
        psychologist_no_show: seen.psychologist_no_show,
    }))
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-1"), "'-1");
        assert_eq!(csv_field("line\nbreak"), "\"line\nbreak\"");
    }
}
