//! The loop every durable queue runs: claim due rows under a lease, hand
//! each to the queue's [`Job`] (a bounded number at once), and record what
//! became of it — sent, retried later with backoff, dead-lettered after the
//! last attempt, dropped, or put back to wait. Between claims it sleeps
//! until the next row is due, a writer wakes it, or [`IDLE`] passes.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tracing::{debug, warn};

use super::{DurableQueue, Field, Settle};
use crate::clock::Clock;

/// The longest the loop sleeps with nothing due: rows may come from
/// another process, and a test clock may jump.
pub const IDLE: StdDuration = StdDuration::from_millis(500);

/// What a job made of one claimed row.
#[derive(Debug, Clone, PartialEq)]
pub enum Handled {
    /// Delivered, with what to record in the table's own columns.
    Sent(Vec<(&'static str, Field)>),
    /// Will not succeed if tried again (a 4xx answer, a bad address).
    Permanent(String),
    /// Might on a later try (5xx, 429, a timeout, a refused connection).
    Transient(String),
    /// Never to be sent, in this final state (`skipped`, `cancelled`),
    /// for this reason.
    Dropped(&'static str, String),
    /// Not due after all: back to wait until then.
    Later(DateTime<Utc>, Vec<(&'static str, Field)>),
}

/// A queue's work: what a claimed row is, and how it is delivered.
pub trait Job: Send + Sync + 'static {
    type Row: Send;
    /// For logs.
    const NAME: &'static str;

    /// The rows `token` claimed, with what it takes to deliver them.
    fn load(&self, token: &str) -> impl Future<Output = sqlx::Result<Vec<Self::Row>>> + Send;
    fn id(row: &Self::Row) -> i64;
    /// Attempts made before this one.
    fn attempts(row: &Self::Row) -> i64;
    /// Delivers (or decides not to) one row.
    fn handle(&self, row: &Self::Row, now: DateTime<Utc>) -> impl Future<Output = Handled> + Send;
}

/// Retries: doubling from `base_secs` up to `max_secs`, with jitter, at
/// most `max_attempts` in all; then the row is dead-lettered.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub base_secs: u64,
    pub max_secs: u64,
    pub max_attempts: i64,
}

impl RetryPolicy {
    /// Between half and all of the doubled delay, so retries of many rows
    /// do not arrive together; at least a second (rows keep whole seconds).
    pub fn backoff(&self, attempts: i64) -> Duration {
        let base = self.base_secs as f64;
        let cap = self.max_secs as f64;
        let full = (base * 2f64.powi((attempts - 1).clamp(0, 30) as i32)).min(cap);
        let jittered = (full * (0.5 + rand::random::<f64>() * 0.5)).max(1.0);
        Duration::seconds(jittered.ceil() as i64)
    }
}

/// How a queue runs.
#[derive(Debug, Clone, Copy)]
pub struct RunnerConfig {
    /// How long a claim holds its rows; a killed process's rows are taken
    /// up again after it.
    pub lease: Duration,
    /// Rows claimed at once, all delivered concurrently.
    pub max_in_flight: usize,
    pub retry: RetryPolicy,
}

pub struct Runner<J: Job> {
    queue: DurableQueue,
    job: J,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
    config: RunnerConfig,
    /// Who claims: this process, then a counter per claim.
    process: String,
    claims: AtomicU64,
}

impl<J: Job> Runner<J> {
    /// Starts the loop; `wake` is notified by whoever writes a row due now.
    pub fn spawn(
        queue: DurableQueue,
        job: J,
        clock: Arc<dyn Clock>,
        wake: Arc<Notify>,
        config: RunnerConfig,
    ) -> JoinHandle<()> {
        let runner = Runner {
            queue,
            job,
            clock,
            wake,
            config,
            process: format!("p{}-{:08x}", std::process::id(), rand::random::<u32>()),
            claims: AtomicU64::new(0),
        };
        tokio::spawn(runner.run())
    }

    async fn run(self) {
        loop {
            let claimed = match self.tick().await {
                Ok(n) => n,
                Err(err) => {
                    let logged = crate::redact::addresses(&err.to_string());
                    warn!(queue = J::NAME, error = %logged, "dispatch failed; retrying");
                    0
                }
            };
            if claimed > 0 {
                continue;
            }
            let now = self.clock.now().timestamp();
            let wait = match self.queue.next_due().await {
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

    /// One claim and its deliveries; returns how many rows were claimed.
    async fn tick(&self) -> sqlx::Result<usize> {
        let now = self.clock.now();
        let token = format!(
            "{}-{}",
            self.process,
            self.claims.fetch_add(1, Ordering::Relaxed)
        );
        let claimed = self
            .queue
            .claim(
                &token,
                now.timestamp(),
                (now + self.config.lease).timestamp(),
                self.config.max_in_flight as i64,
            )
            .await?;
        if claimed.is_empty() {
            return Ok(0);
        }
        let rows = self.job.load(&token).await?;
        futures_util::stream::iter(rows)
            .for_each_concurrent(self.config.max_in_flight, |row| async {
                let id = J::id(&row);
                match self.deliver(row, &token).await {
                    Ok(true) => {}
                    Ok(false) => warn!(
                        queue = J::NAME,
                        id, "lease lost before the outcome was recorded"
                    ),
                    // The lease runs out and the row is tried again.
                    Err(err) => {
                        warn!(queue = J::NAME, id, error = %err, "could not record an outcome")
                    }
                }
            })
            .await;
        Ok(claimed.len())
    }

    async fn deliver(&self, row: J::Row, token: &str) -> sqlx::Result<bool> {
        let now = self.clock.now();
        let id = J::id(&row);
        let attempts = J::attempts(&row) + 1;
        let outcome = match self.job.handle(&row, now).await {
            Handled::Sent(set) => Settle::Sent(set),
            Handled::Permanent(error) => {
                let logged = crate::redact::addresses(&error);
                warn!(queue = J::NAME, id, error = %logged, "failed permanently");
                Settle::DeadLetter { error }
            }
            Handled::Transient(error) if attempts >= self.config.retry.max_attempts => {
                let logged = crate::redact::addresses(&error);
                warn!(queue = J::NAME, id, error = %logged, "failed; no attempts left");
                Settle::DeadLetter {
                    error: format!("{error} (after {attempts} attempts)"),
                }
            }
            Handled::Transient(error) => {
                let at = now + self.config.retry.backoff(attempts);
                let logged = crate::redact::addresses(&error);
                debug!(queue = J::NAME, id, error = %logged, %at, "will be retried");
                Settle::Retry {
                    at: at.timestamp(),
                    error,
                }
            }
            Handled::Dropped(state, reason) => {
                debug!(queue = J::NAME, id, state, %reason, "not sent");
                Settle::Dropped { state, reason }
            }
            Handled::Later(at, set) => Settle::Later {
                at: at.timestamp(),
                set,
            },
        };
        self.queue
            .settle(id, token, &outcome, now.timestamp())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap_with_jitter_and_never_under_a_second() {
        let policy = RetryPolicy {
            base_secs: 2,
            max_secs: 60,
            max_attempts: 10,
        };
        for _ in 0..100 {
            let first = policy.backoff(1).num_seconds();
            assert!((1..=2).contains(&first), "{first}");
            let third = policy.backoff(3).num_seconds();
            assert!((4..=8).contains(&third), "{third}");
            let late = policy.backoff(20).num_seconds();
            assert!((30..=60).contains(&late), "{late}");
        }
    }
}
