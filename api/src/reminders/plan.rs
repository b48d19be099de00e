//! What an appointment change owes people, written to the outbox inside the
//! change's own transaction (so a committed booking always has its
//! messages, and a rolled-back one has none).
//!
//! - Booked: a confirmation now, and the three reminders at their times;
//!   a reminder whose time has already passed (a late booking) is recorded
//!   as skipped, with the reason.
//! - Rescheduled: pending reminders move to the new time; reminders already
//!   sent are left as they are, and the ones the new time brings back into
//!   the future are owed again; the new time is announced.
//! - Cancelled: everything pending is cancelled and the cancellation is
//!   announced (unless the appointment's time has passed).
//!
//! Both people get each message by email, and by WhatsApp when they gave a
//! phone number and opted in.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::kinds::{Channel, Stage};

type Conn = AnyConnection;

struct Facts {
    starts_at: i64,
    telehealth: bool,
    sequence: i64,
    recipients: Vec<(i64, Vec<Channel>)>,
}

type FactsRow = (i64, String, i64, i64, i64, i64, i64);

async fn facts(conn: &mut Conn, appointment_id: i64) -> sqlx::Result<Option<Facts>> {
    let row: Option<FactsRow> = sqlx::query_as(
        "SELECT a.starts_at, a.session_type, a.sequence, p.id, \
         CASE WHEN p.phone IS NOT NULL AND p.whatsapp_opt_in = 1 THEN 1 ELSE 0 END, d.id, \
         CASE WHEN d.phone IS NOT NULL AND d.whatsapp_opt_in = 1 THEN 1 ELSE 0 END \
         FROM appointments a JOIN users p ON p.id = a.patient_id JOIN users d ON d.id = a.psychologist_id \
         WHERE a.id = $1",
    )
    .bind(appointment_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(starts_at, kind, sequence, p, p_wa, d, d_wa)| {
        let channels = |wa: i64| {
            if wa == 1 {
                vec![Channel::Email, Channel::WhatsApp]
            } else {
                vec![Channel::Email]
            }
        };
        Facts {
            starts_at,
            telehealth: kind == "telehealth",
            sequence,
            recipients: vec![(p, channels(p_wa)), (d, channels(d_wa))],
        }
    }))
}

/// A row to add.
struct NewRow {
    stage: Stage,
    channel: Channel,
    recipient_id: i64,
    revision: i64,
    due_at: i64,
    /// `None`: pending; `Some(reason)`: recorded as skipped.
    skipped: Option<&'static str>,
    /// A reschedule notice's "was" time.
    previous_starts_at: Option<i64>,
}

/// Inserts rows, leaving any that exist already (same appointment, stage,
/// channel, recipient and revision) as they are.
async fn insert(
    conn: &mut Conn,
    appointment_id: i64,
    rows: &[NewRow],
    now: i64,
) -> sqlx::Result<()> {
    for chunk in rows.chunks(32) {
        let mut sql = String::from(
            "INSERT INTO notifications (appointment_id, stage, channel, recipient_id, revision, due_at, next_attempt_at, state, last_error, previous_starts_at, created_at, updated_at) VALUES ",
        );
        for (i, _) in chunk.iter().enumerate() {
            let b = i * 8;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "($1, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, $2, $2)",
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7,
                b + 7,
                b + 8,
                b + 9,
                b + 10
            ));
        }
        sql.push_str(" ON CONFLICT DO NOTHING");
        let mut query = sqlx::query(&sql).bind(appointment_id).bind(now);
        for row in chunk {
            query = query
                .bind(row.stage.as_str())
                .bind(row.channel.as_str())
                .bind(row.recipient_id)
                .bind(row.revision)
                .bind(row.due_at)
                .bind(if row.skipped.is_some() {
                    "skipped"
                } else {
                    "pending"
                })
                .bind(row.skipped)
                .bind(row.previous_starts_at);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// For every recipient and channel: `notice`, due now, and each reminder
/// that `reminder((stage, channel, recipient), due_at)` admits — `None`:
/// not owed; `Some(None)`: pending; `Some(Some(reason))`: recorded as
/// skipped.
fn owed(
    facts: &Facts,
    notice: Stage,
    now: i64,
    previous: impl Fn(Channel, i64) -> Option<i64>,
    reminder: impl Fn((String, String, i64), i64) -> Option<Option<&'static str>>,
) -> Vec<NewRow> {
    let mut rows = Vec::new();
    for (recipient_id, channels) in &facts.recipients {
        for &channel in channels {
            let row = |stage, due_at, skipped, previous_starts_at| NewRow {
                stage,
                channel,
                recipient_id: *recipient_id,
                revision: facts.sequence,
                due_at,
                skipped,
                previous_starts_at,
            };
            rows.push(row(notice, now, None, previous(channel, *recipient_id)));
            for stage in Stage::REMINDERS {
                let due_at = reminder_due(facts.starts_at, stage);
                let key = (
                    stage.as_str().to_owned(),
                    channel.as_str().to_owned(),
                    *recipient_id,
                );
                if let Some(skipped) = reminder(key, due_at) {
                    rows.push(row(stage, due_at, skipped, None));
                }
            }
        }
    }
    rows
}

fn reminder_due(starts_at: i64, stage: Stage) -> i64 {
    starts_at - stage.lead_time().map_or(0, |d| d.num_seconds())
}

/// A telehealth appointment was booked.
pub async fn booked(conn: &mut Conn, appointment_id: i64, now: DateTime<Utc>) -> sqlx::Result<()> {
    let Some(facts) = facts(conn, appointment_id).await? else {
        return Ok(());
    };
    if !facts.telehealth {
        return Ok(());
    }
    let now = now.timestamp();
    let rows = owed(
        &facts,
        Stage::Confirmation,
        now,
        |_, _| None,
        |_, due_at| Some((due_at < now).then_some("booked after this reminder's time")),
    );
    insert(conn, appointment_id, &rows, now).await
}

/// The appointment moved from `previous_starts_at` (its row and `sequence`
/// are already the new ones).
pub async fn rescheduled(
    conn: &mut Conn,
    appointment_id: i64,
    previous_starts_at: i64,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    let Some(facts) = facts(conn, appointment_id).await? else {
        return Ok(());
    };
    if !facts.telehealth {
        return Ok(());
    }
    let now = now.timestamp();
    for stage in Stage::REMINDERS {
        let due_at = reminder_due(facts.starts_at, stage);
        sqlx::query(
            "UPDATE notifications SET due_at = $1, next_attempt_at = $1, \
             state = CASE WHEN $1 < $2 THEN 'skipped' ELSE 'pending' END, \
             last_error = CASE WHEN $1 < $2 THEN 'rescheduled past this reminder''s time' ELSE NULL END, \
             updated_at = $2 WHERE appointment_id = $3 AND stage = $4 AND state = 'pending'",
        )
        .bind(due_at)
        .bind(now)
        .bind(appointment_id)
        .bind(stage.as_str())
        .execute(&mut *conn)
        .await?;
    }
    // A notice not sent yet is replaced by this one, which then says the
    // time its recipient last heard of: the one that notice was to correct.
    let unsent: Vec<(String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT channel, recipient_id, previous_starts_at FROM notifications \
         WHERE appointment_id = $1 AND stage = 'rescheduled' AND state = 'pending'",
    )
    .bind(appointment_id)
    .fetch_all(&mut *conn)
    .await?;
    let heard_of = |channel: Channel, recipient: i64| {
        unsent
            .iter()
            .find(|(c, r, _)| c == channel.as_str() && *r == recipient)
            .and_then(|(_, _, at)| *at)
            .or(Some(previous_starts_at))
    };
    sqlx::query(
        "UPDATE notifications SET state = 'cancelled', last_error = 'superseded by a later change', updated_at = $1 \
         WHERE appointment_id = $2 AND stage = 'rescheduled' AND state = 'pending'",
    )
    .bind(now)
    .bind(appointment_id)
    .execute(&mut *conn)
    .await?;
    // Reminders with no live row (sent, skipped or failed for the old
    // time) are owed again when the new time puts them in the future.
    let live: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT stage, channel, recipient_id FROM notifications \
         WHERE appointment_id = $1 AND state IN ('pending', 'sending')",
    )
    .bind(appointment_id)
    .fetch_all(&mut *conn)
    .await?;
    let live: HashSet<(String, String, i64)> = live.into_iter().collect();
    let rows = owed(&facts, Stage::Rescheduled, now, heard_of, |key, due_at| {
        (due_at >= now && !live.contains(&key)).then_some(None)
    });
    insert(conn, appointment_id, &rows, now).await
}

/// The appointment was cancelled (its `sequence` is already bumped).
pub async fn cancelled(
    conn: &mut Conn,
    appointment_id: i64,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    let Some(facts) = facts(conn, appointment_id).await? else {
        return Ok(());
    };
    let now = now.timestamp();
    sqlx::query(
        "UPDATE notifications SET state = 'cancelled', last_error = 'the appointment was cancelled', updated_at = $1 \
         WHERE appointment_id = $2 AND state = 'pending'",
    )
    .bind(now)
    .bind(appointment_id)
    .execute(&mut *conn)
    .await?;
    if !facts.telehealth || facts.starts_at <= now {
        return Ok(());
    }
    let rows = owed(&facts, Stage::Cancelled, now, |_, _| None, |_, _| None);
    insert(conn, appointment_id, &rows, now).await
}
