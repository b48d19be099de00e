//! Attendance of an appointment, from what the SFU reported: every visit
//! (who, joined, left) to the appointment's room, each person's time in it,
//! the time both were in it together (the session's length), and, once the
//! room has closed, who never came (a no-show).

use chrono::{DateTime, TimeZone, Utc};

use super::Result;
use super::appointments::{Appointment, visible};
use super::users::User;
use crate::state::AppState;

/// One stay in the call.
#[derive(Debug, Clone, PartialEq)]
pub struct Visit {
    pub identity: String,
    /// `patient`, `psychologist`, or `other` (staff joining).
    pub role: &'static str,
    pub joined_at: DateTime<Utc>,
    /// `None`: still in the call.
    pub left_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attendance {
    pub visits: Vec<Visit>,
    pub patient_seconds: i64,
    pub psychologist_seconds: i64,
    /// Both in the call at once: the session as it happened.
    pub together_seconds: i64,
    /// `None` until the room has closed.
    pub patient_no_show: Option<bool>,
    pub psychologist_no_show: Option<bool>,
}

fn at(ts: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(ts, 0).single().unwrap_or_default()
}

/// Merges overlapping spans; total seconds.
fn merged(mut spans: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    spans.sort_unstable();
    let mut out: Vec<(i64, i64)> = Vec::new();
    for (start, end) in spans {
        match out.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

fn total(spans: &[(i64, i64)]) -> i64 {
    spans.iter().map(|(s, e)| e - s).sum()
}

fn overlap(a: &[(i64, i64)], b: &[(i64, i64)]) -> i64 {
    let mut sum = 0;
    for (s1, e1) in a {
        for (s2, e2) in b {
            sum += (e1.min(e2) - s1.max(s2)).max(0);
        }
    }
    sum
}

/// The attendance of an appointment the user may see.
pub async fn of(state: &AppState, user: &User, id: i64) -> Result<(Appointment, Attendance)> {
    let a = visible(&state.db, user, id).await?;
    let rows: Vec<(String, i64, Option<i64>)> = match &a.video_room_id {
        Some(room) => {
            sqlx::query_as(
                "SELECT p.identity, p.start_time, p.end_time FROM room_participants p \
                 JOIN rooms r ON r.sid = p.room_sid WHERE r.unique_name = $1 ORDER BY p.start_time, p.sid",
            )
            .bind(room)
            .fetch_all(&state.db)
            .await?
        }
        None => Vec::new(),
    };
    let now = state.clock.now();
    let owner = |identity: &str| -> &'static str {
        match identity
            .split_once('-')
            .and_then(|(id, _)| id.parse::<i64>().ok())
        {
            Some(id) if id == a.patient_id => "patient",
            Some(id) if id == a.psychologist_id => "psychologist",
            _ => "other",
        }
    };
    let visits: Vec<Visit> = rows
        .into_iter()
        .map(|(identity, start, end)| Visit {
            role: owner(&identity),
            identity,
            joined_at: at(start),
            left_at: end.map(at),
        })
        .collect();
    let spans = |role: &str| {
        merged(
            visits
                .iter()
                .filter(|v| v.role == role)
                .map(|v| {
                    let end = v.left_at.unwrap_or(now).timestamp();
                    (v.joined_at.timestamp(), end.max(v.joined_at.timestamp()))
                })
                .collect(),
        )
    };
    let (patient, psychologist) = (spans("patient"), spans("psychologist"));
    let (_, closes) = a.join_window(&state.config);
    let over = now > closes;
    let attendance = Attendance {
        patient_seconds: total(&patient),
        psychologist_seconds: total(&psychologist),
        together_seconds: overlap(&patient, &psychologist),
        patient_no_show: over.then_some(patient.is_empty()),
        psychologist_no_show: over.then_some(psychologist.is_empty()),
        visits,
    };
    Ok((a, attendance))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_together_is_the_overlap_of_each_persons_merged_stays() {
        let patient = merged(vec![(0, 100), (50, 150), (300, 400)]);
        assert_eq!(patient, [(0, 150), (300, 400)]);
        let psychologist = merged(vec![(100, 350)]);
        assert_eq!(total(&patient), 250);
        assert_eq!(overlap(&patient, &psychologist), 50 + 50);
        assert_eq!(overlap(&patient, &[]), 0);
    }
}
