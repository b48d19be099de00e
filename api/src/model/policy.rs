//! The clinic's policy on changes: who may move or cancel an appointment,
//! when, and whether a move needs the psychologist's approval — in one
//! place, so the API enforces and the dashboards show the same answer
//! with the same reason.
//!
//! - Staff and the appointment's psychologist may move or cancel it until
//!   it has ended.
//! - Its patient may cancel, and ask to move it, until
//!   `app.patient_change_cutoff_hours` before it starts; after that the
//!   clinic does it for them. With `app.patient_moves_need_approval`, a
//!   patient's move is a request the psychologist approves or declines
//!   ([`super::change_requests`]).

use chrono::{DateTime, Duration, Utc};

use super::appointments::Appointment;
use super::users::{Role, User};
use crate::config::Config;

/// What someone may do to an appointment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Right {
    Allowed,
    /// Allowed as a request the psychologist approves.
    NeedsApproval,
    /// Not allowed, and why (shown to the person).
    Refused(String),
}

impl Right {
    pub fn refusal(&self) -> Option<&str> {
        match self {
            Right::Refused(reason) => Some(reason),
            _ => None,
        }
    }
}

/// `actor`'s rights over `a` at `now`: `(reschedule, cancel)`.
pub fn change_rights(
    actor: &User,
    a: &Appointment,
    now: DateTime<Utc>,
    config: &Config,
) -> (Right, Right) {
    let both = |right: Right| (right.clone(), right);
    if a.is_cancelled() {
        return both(Right::Refused("this appointment was cancelled".into()));
    }
    if now >= a.ends_at() {
        return both(Right::Refused("this appointment is over".into()));
    }
    if actor.is(Role::Admin) || actor.id == a.psychologist_id {
        return both(Right::Allowed);
    }
    if actor.id != a.patient_id {
        return both(Right::Refused("this is not your appointment".into()));
    }
    let cutoff = Duration::hours(config.app.patient_change_cutoff_hours);
    if now + cutoff > a.starts_at {
        let within = match config.app.patient_change_cutoff_hours {
            1 => "1 hour".to_owned(),
            hours => format!("{hours} hours"),
        };
        return both(Right::Refused(format!(
            "within {within} of the session, changes go through the clinic: contact {} or the clinic",
            a.psychologist_name
        )));
    }
    let reschedule = if config.app.patient_moves_need_approval {
        Right::NeedsApproval
    } else {
        Right::Allowed
    };
    (reschedule, Right::Allowed)
}
