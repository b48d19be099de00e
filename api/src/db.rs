//! The database: SQLite in the data directory by default, PostgreSQL when
//! `database_url` says so. One pool type (`sqlx::AnyPool`) and one set of
//! queries serve both: the schema stores times as Unix seconds and booleans
//! as integers, and queries use `$n` placeholders, which both accept.
//! Migrations (per dialect, in the top-level `migrations/`) run at start.

use std::path::Path;

use anyhow::Context;
use sqlx::any::{AnyPoolOptions, install_default_drivers};

pub type Db = sqlx::AnyPool;

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> Backend {
        if url.starts_with("postgres") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// The URL to use: the configured one, else `data_dir/confide.db`.
pub fn url(database_url: Option<&str>, data_dir: &Path) -> String {
    match database_url {
        Some(url) => url.to_owned(),
        None => format!(
            "sqlite://{}?mode=rwc",
            data_dir.join("confide.db").display()
        ),
    }
}

/// Connects and migrates.
pub async fn connect(url: &str) -> anyhow::Result<Db> {
    let pool = open(url).await?;
    match Backend::of(url) {
        Backend::Sqlite => sqlx::migrate!("../migrations/sqlite").run(&pool).await,
        Backend::Postgres => sqlx::migrate!("../migrations/postgres").run(&pool).await,
    }
    .context("running database migrations")?;
    Ok(pool)
}

/// Connects, changing nothing (`confide check`).
pub async fn open(url: &str) -> anyhow::Result<Db> {
    install_default_drivers();
    let backend = Backend::of(url);
    let pool = AnyPoolOptions::new()
        .max_connections(match backend {
            Backend::Sqlite => 4,
            Backend::Postgres => 16,
        })
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // NORMAL with WAL: a commit survives the process being
                    // killed (the outbox relies on it), just not power loss.
                    use sqlx::Executor;
                    conn.execute("PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;")
                        .await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await
        .with_context(|| format!("connecting to the database ({})", redact(url)))?;
    Ok(pool)
}

/// A transaction that will write. On SQLite it takes the write lock at
/// `BEGIN` (IMMEDIATE): a deferred transaction that reads first and writes
/// later fails at once with "database is locked" when another connection
/// (the reminder dispatcher, say) wrote in between, whatever the busy
/// timeout; an immediate one waits its turn instead.
pub async fn begin_write(db: &Db) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Any>> {
    if db.connect_options().database_url.scheme() == "sqlite" {
        db.begin_with("BEGIN IMMEDIATE").await
    } else {
        db.begin().await
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://confide:hunter2@db.example/confide"),
            "postgres://confide:***@db.example/confide"
        );
        assert_eq!(
            redact("sqlite://data/confide.db"),
            "sqlite://data/confide.db"
        );
    }
}
