//! One durable queue for everything Confide must deliver whatever happens
//! to the process: reminders (`notifications`) and room status callbacks
//! (`room_callbacks`). Each is a table with the same queue columns; this
//! module claims and settles its rows, [`runner`] drives them.
//!
//! - [`QueueTable`]: which table, and whether rows of a group (a room's
//!   callbacks) must go strictly in order.
//! - [`DurableQueue`]: claims due rows under a lease and records each
//!   outcome ([`Settle`]) under that lease.
//! - [`runner`]: the loop every queue runs — claim, hand each row to its
//!   [`runner::Job`], turn the answer into an outcome (retry with backoff,
//!   dead letter after the last attempt), sleep until the next row is due or
//!   a writer wakes it.
//!
//! The queue columns: `state` (`pending` → `sending` → `sent`, or `failed`
//! — the dead letter — or a job's own final state such as `skipped`),
//! `attempts`, `next_attempt_at` (when due; while `sending`, when the lease
//! ends), `lease_owner` (the claim's token), `last_error`, `sent_at`,
//! `updated_at`. A row is *live* while `pending` or `sending`.
//!
//! Never lost: a row leaves the live states only by an outcome written
//! `WHERE lease_owner = token AND state = 'sending'`, and an expired lease
//! (a process killed mid-send) makes the row claimable again. Never
//! doubled: claiming is `FOR UPDATE SKIP LOCKED` on PostgreSQL (a single
//! writer on SQLite), so two processes never hold one row; a process whose
//! lease ran out and was taken over cannot overwrite the new owner's
//! outcome.

pub mod runner;

use crate::db::{Backend, Db};

/// A table used as a queue.
#[derive(Debug)]
pub struct QueueTable {
    pub name: &'static str,
    /// `(group, order)`: rows with the same `group` go strictly in `order`
    /// — a row is claimable only when no earlier row of its group is live.
    pub ordered: Option<(&'static str, &'static str)>,
}

/// A value for a table's own columns, written with an outcome.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Text(Option<String>),
    Int(i64),
}

/// How a claimed row ends (or waits again).
#[derive(Debug, Clone, PartialEq)]
pub enum Settle {
    /// Delivered: `sent`, one attempt more, with the table's own columns.
    Sent(Vec<(&'static str, Field)>),
    /// A failed attempt, to be tried again at `at`.
    Retry { at: i64, error: String },
    /// The last attempt failed, or the failure is permanent: `failed`.
    DeadLetter { error: String },
    /// Never to be sent (`skipped`, `cancelled`, …), no attempt counted.
    Dropped { state: &'static str, reason: String },
    /// Not due after all: back to `pending` at `at`, with the table's own
    /// columns (a reminder's `due_at` moves with it).
    Later {
        at: i64,
        set: Vec<(&'static str, Field)>,
    },
}

const LIVE: &str = "state IN ('pending', 'sending')";

#[derive(Clone)]
pub struct DurableQueue {
    db: Db,
    backend: Backend,
    table: &'static QueueTable,
}

impl DurableQueue {
    pub fn new(db: Db, backend: Backend, table: &'static QueueTable) -> Self {
        Self { db, backend, table }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The claim query: up to `$4` live rows due by `$3`, soonest first,
    /// leased to `$1` until `$2`. Public so tests can check the database
    /// plans it on the table's index of live rows.
    pub fn claim_sql(backend: Backend, table: &QueueTable) -> String {
        let lock = match backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            // SQLite runs one writer at a time: the UPDATE is the lock.
            Backend::Sqlite => "",
        };
        let name = table.name;
        let in_order = match table.ordered {
            Some((group, order)) => format!(
                " AND NOT EXISTS (SELECT 1 FROM {name} e WHERE e.{group} = q.{group} \
                 AND e.{LIVE} AND e.{order} < q.{order})"
            ),
            None => String::new(),
        };
        format!(
            "UPDATE {name} SET state = 'sending', lease_owner = $1, next_attempt_at = $2, updated_at = $3 \
             WHERE id IN (SELECT q.id FROM {name} q WHERE q.{LIVE} AND q.next_attempt_at <= $3{in_order} \
             ORDER BY q.next_attempt_at LIMIT $4{lock}) RETURNING id"
        )
    }

    /// Claims up to `limit` due rows for `token` until `lease_until`
    /// (Unix seconds); returns their ids.
    pub async fn claim(
        &self,
        token: &str,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> sqlx::Result<Vec<i64>> {
        sqlx::query_scalar(&Self::claim_sql(self.backend, self.table))
            .bind(token)
            .bind(lease_until)
            .bind(now)
            .bind(limit)
            .fetch_all(&self.db)
            .await
    }

    /// When the next live row falls due (to sleep until then).
    pub async fn next_due(&self) -> sqlx::Result<Option<i64>> {
        sqlx::query_scalar(&format!(
            "SELECT MIN(next_attempt_at) FROM {} WHERE {LIVE}",
            self.table.name
        ))
        .fetch_one(&self.db)
        .await
    }

    /// Records how a claimed row ended. False when the lease was lost
    /// meanwhile (another process took the row over).
    pub async fn settle(
        &self,
        id: i64,
        token: &str,
        outcome: &Settle,
        now: i64,
    ) -> sqlx::Result<bool> {
        // $1 state, $2 next_attempt_at (NULL: unchanged), $3 attempts to
        // add, $4 now, $5 sent_at (NULL: unchanged), then last_error when
        // the outcome says one, the table's own columns, the id, the token.
        let (state, next, attempt, sent_at, note, set): (_, _, i64, _, _, &[_]) = match outcome {
            Settle::Sent(set) => ("sent", None, 1, Some(now), Some(None), set),
            Settle::Retry { at, error } => ("pending", Some(*at), 1, None, Some(Some(error)), &[]),
            Settle::DeadLetter { error } => ("failed", None, 1, None, Some(Some(error)), &[]),
            Settle::Dropped { state, reason } => (*state, None, 0, None, Some(Some(reason)), &[]),
            Settle::Later { at, set } => ("pending", Some(*at), 0, None, None, set),
        };
        let mut sql = format!(
            "UPDATE {} SET state = $1, next_attempt_at = COALESCE($2, next_attempt_at), \
             attempts = attempts + $3, updated_at = $4, sent_at = COALESCE($5, sent_at)",
            self.table.name
        );
        let mut n = 5;
        let mut column = |sql: &mut String, name: &str| {
            n += 1;
            sql.push_str(&format!(", {name} = ${n}"));
        };
        if note.is_some() {
            column(&mut sql, "last_error");
        }
        for (name, _) in set {
            column(&mut sql, name);
        }
        sql.push_str(&format!(
            " WHERE id = ${} AND lease_owner = ${} AND state = 'sending'",
            n + 1,
            n + 2
        ));
        let mut query = sqlx::query(&sql)
            .bind(state)
            .bind(next)
            .bind(attempt)
            .bind(now)
            .bind(sent_at);
        if let Some(note) = note {
            query = query.bind(note.map(|n| truncate(n, 1000).to_owned()));
        }
        for (_, value) in set {
            query = match value {
                Field::Text(text) => query.bind(text.clone()),
                Field::Int(int) => query.bind(*int),
            };
        }
        let done = query.bind(id).bind(token).execute(&self.db).await?;
        Ok(done.rows_affected() == 1)
    }
}

fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}
