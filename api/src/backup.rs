//! `confide backup` and `confide restore`: what a clinic cannot lose, in
//! one folder. That is the SQLite database (a consistent online copy by
//! `VACUUM INTO`, taken while the server runs), the API key that signs
//! video tokens (`api-key.toml`) and the key that signs sign-in sessions
//! (`session.key`), with a manifest of their SHA-256 sums. On PostgreSQL the
//! database is `pg_dump`'s job; the keys are still backed up here.
//!
//! Restore checks every sum, refuses while a server holds this
//! configuration's media port, moves anything already in the data
//! directory aside (only with `--force`), and checks the restored database
//! before it says so.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::db::{self, Backend};

const MANIFEST: &str = "confide-backup.json";
const DATABASE: &str = "confide.db";
/// The key files, each optional (a fresh install may not have made one yet).
const KEYS: [&str; 2] = ["api-key.toml", "session.key"];

#[derive(Serialize, Deserialize)]
struct Manifest {
    format: u32,
    created: String,
    confide_version: String,
    /// File name → SHA-256, hex.
    files: std::collections::BTreeMap<String, String>,
    /// Set when the database was not included (PostgreSQL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    database_not_included: Option<String>,
}

fn sha256(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
    Ok(hex::encode(digest))
}

fn copy_private(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::copy(from, to)
        .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// Writes a backup of `config`'s data into `to` (created; must not exist
/// or be empty). Returns what it wrote, for the operator.
pub async fn backup(config: &Config, to: &Path) -> anyhow::Result<Vec<String>> {
    if to.exists() && std::fs::read_dir(to)?.next().is_some() {
        bail!(
            "{} is not empty: choose a new folder for the backup",
            to.display()
        );
    }
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o700))?;
    }
    let url = db::url(config.database_url.as_deref(), &config.data_dir);
    let mut files = std::collections::BTreeMap::new();
    let mut database_not_included = None;
    match Backend::of(&url) {
        Backend::Sqlite => {
            let database = db::connect(&url).await?;
            let target = to.join(DATABASE);
            sqlx::query("VACUUM INTO $1")
                .bind(target.display().to_string())
                .execute(&database)
                .await
                .context("copying the database (VACUUM INTO)")?;
            database.close().await;
            files.insert(DATABASE.to_owned(), sha256(&target)?);
        }
        Backend::Postgres => {
            database_not_included =
                Some("the database is PostgreSQL: back it up with pg_dump".to_owned());
        }
    }
    for key in KEYS {
        let from = config.data_dir.join(key);
        if from.exists() {
            copy_private(&from, &to.join(key))?;
            files.insert(key.to_owned(), sha256(&to.join(key))?);
        }
    }
    let manifest = Manifest {
        format: 1,
        created: chrono::Utc::now().to_rfc3339(),
        confide_version: env!("CARGO_PKG_VERSION").to_owned(),
        files,
        database_not_included,
    };
    std::fs::write(to.join(MANIFEST), serde_json::to_string_pretty(&manifest)?)?;
    let mut said: Vec<String> = manifest.files.keys().cloned().collect();
    if let Some(note) = manifest.database_not_included {
        said.push(note);
    }
    Ok(said)
}

/// Restores the backup in `from` into `config`'s data directory. With
/// `force`, files already there are moved to `before-restore-<time>/`
/// first; without it, their presence stops the restore.
pub async fn restore(config: &Config, from: &Path, force: bool) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(from.join(MANIFEST))
        .with_context(|| format!("{} is not a Confide backup (no {MANIFEST})", from.display()))?;
    let manifest: Manifest =
        serde_json::from_str(&text).with_context(|| format!("reading {MANIFEST}"))?;
    if manifest.format != 1 {
        bail!(
            "this backup's format ({}) is newer than this Confide knows",
            manifest.format
        );
    }
    for (name, sum) in &manifest.files {
        if name != DATABASE && !KEYS.contains(&name.as_str()) {
            bail!("the manifest names an unexpected file, {name:?}");
        }
        if &sha256(&from.join(name))? != sum {
            bail!("{name} does not match its checksum: the backup is damaged");
        }
    }
    if std::net::UdpSocket::bind(config.media.listen).is_err() {
        bail!(
            "the media port {} is in use: stop Confide (systemctl stop confide) before restoring",
            config.media.listen
        );
    }
    let url = db::url(config.database_url.as_deref(), &config.data_dir);
    let sqlite = Backend::of(&url) == Backend::Sqlite;
    if manifest.files.contains_key(DATABASE) && !sqlite {
        bail!("this backup holds an SQLite database, but database_url is PostgreSQL");
    }
    std::fs::create_dir_all(&config.data_dir)?;
    let present: Vec<PathBuf> = [DATABASE, "confide.db-wal", "confide.db-shm"]
        .into_iter()
        .chain(KEYS)
        .map(|name| config.data_dir.join(name))
        .filter(|path| path.exists())
        .collect();
    let mut said = Vec::new();
    if !present.is_empty() {
        if !force {
            bail!(
                "{} already holds data; run again with --force to move it aside first",
                config.data_dir.display()
            );
        }
        let aside = config.data_dir.join(format!(
            "before-restore-{}",
            chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
        ));
        std::fs::create_dir_all(&aside)?;
        for path in &present {
            let name = path.file_name().expect("a file");
            std::fs::rename(path, aside.join(name))?;
        }
        said.push(format!("moved what was there to {}", aside.display()));
    }
    for name in manifest.files.keys() {
        copy_private(&from.join(name), &config.data_dir.join(name))?;
        said.push(format!("restored {name}"));
    }
    if manifest.files.contains_key(DATABASE) {
        let database = db::connect(&url).await?;
        let check: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&database)
            .await?;
        database.close().await;
        if check != "ok" {
            bail!("the restored database fails its integrity check: {check}");
        }
    }
    if let Some(note) = manifest.database_not_included {
        said.push(format!("{note}; restore it with pg_restore"));
    }
    Ok(said)
}
