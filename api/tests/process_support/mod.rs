//! Confide as real processes: the `confide` binary started on a database
//! (a fresh PostgreSQL database or an SQLite file), killed or stopped by
//! signal, and a status-callback receiver on 127.0.0.1. Shared by the crash
//! tests.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use api::db::Backend;

use crate::http_support;

/// One account and key for every process, so a callback is signed alike
/// whichever process delivers it.
pub const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const API_KEY_SID: &str = "SK0123456789abcdef0123456789abcdef";
pub const API_KEY_SECRET: &str = "a-secret-shared-by-both-processes";

/// A database for the binaries: a fresh PostgreSQL database or an SQLite
/// file, removed at the end.
pub struct Store {
    pub url: String,
    pub dir: PathBuf,
    postgres: Option<String>,
}

impl Store {
    pub async fn new(backend: Backend) -> Store {
        let dir =
            std::env::temp_dir().join(format!("confide-crash-{:016x}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        match backend {
            Backend::Sqlite => Store {
                url: format!("sqlite://{}?mode=rwc", dir.join("confide.db").display()),
                dir,
                postgres: None,
            },
            Backend::Postgres => {
                let name = format!("confide_c_{:016x}", rand::random::<u64>());
                http_support::admin_exec(&format!("CREATE DATABASE {name}")).await;
                let admin = http_support::postgres_admin_url();
                let base = admin
                    .rsplit_once('/')
                    .map(|(b, _)| b)
                    .unwrap_or(&admin)
                    .to_owned();
                Store {
                    url: format!("{base}/{name}"),
                    dir,
                    postgres: Some(name),
                }
            }
        }
    }

    pub async fn drop_all(mut self) {
        if let Some(name) = self.postgres.take() {
            http_support::admin_exec(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(name) = self.postgres.take() {
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(http_support::admin_exec(&format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )));
            })
            .join();
        }
    }
}

/// Writes `confide.toml` for a binary on `store`: its database, a data
/// folder, production mode and `public_url`, then `more` (further
/// settings, or whole sections). Returns its path.
pub fn config_file(store: &Store, public_url: &str, more: &str) -> PathBuf {
    let path = store.dir.join("confide.toml");
    let text = format!(
        "database_url = \"{url}\"\ndata_dir = \"{dir}\"\n[app]\nproduction = true\npublic_url = \"{public_url}\"\n{more}",
        url = store.url,
        dir = store.dir.join("data").display(),
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// The `confide` binary, killed when dropped.
pub struct Confide(Child);

impl Confide {
    /// Starts the binary on any free ports.
    pub fn spawn(config: &Path, log: &Path) -> Confide {
        Self::spawn_on(config, log, "127.0.0.1:0")
    }

    /// Starts the binary with its media socket on `media` (a restart on the
    /// same socket finds what the last run left open at once).
    pub fn spawn_on(config: &Path, log: &Path, media: &str) -> Confide {
        Self::spawn_at(config, log, "127.0.0.1:0", media)
    }

    /// Starts the binary with its HTTP listener on `http` (a cluster node,
    /// whose `node_url` names it) and media on `media`.
    pub fn spawn_at(config: &Path, log: &Path, http: &str, media: &str) -> Confide {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_confide"))
            .args([
                "--config",
                config.to_str().unwrap(),
                "--http-listen",
                http,
                "--media-listen",
                media,
            ])
            .env_remove("DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("the confide binary starts");
        Confide(child)
    }

    /// SIGTERM (as systemd stops a service); returns how it exited.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        self.send_sigterm();
        self.0.wait().unwrap()
    }

    /// SIGTERM, without waiting for the exit.
    pub fn send_sigterm(&self) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(self.0.id() as libc::pid_t, libc::SIGTERM) };
    }

    /// Waits (off the async threads) for the process to exit.
    pub async fn exited(mut self) -> std::process::ExitStatus {
        tokio::task::spawn_blocking(move || self.0.wait().unwrap())
            .await
            .unwrap()
    }

    pub fn pid(&self) -> u32 {
        self.0.id()
    }

    /// SIGKILL; returns once the process is gone.
    pub fn kill(mut self) -> f64 {
        let _ = self.0.kill();
        let _ = self.0.wait();
        now_secs()
    }
}

impl Drop for Confide {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// The HTTP address a `confide` process prints once it serves (read from
/// its log, a minute at most).
pub async fn http_addr(log: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(addr) = text
            .lines()
            .find_map(|line| line.split("Confide is running on http://").nth(1))
        {
            return addr.trim().to_owned();
        }
        assert!(Instant::now() < deadline, "confide did not start: {text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A status-callback receiver on 127.0.0.1 (`POST /hook`): records every
/// callback's parameters in the order they arrive.
pub struct CallbackReceiver {
    pub url: String,
    pub got: Arc<Mutex<Vec<HashMap<String, String>>>>,
    /// While false, requests wait unanswered (a receiver that is slow).
    answering: tokio::sync::watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
}

impl CallbackReceiver {
    pub async fn start() -> CallbackReceiver {
        let got = Arc::new(Mutex::new(Vec::new()));
        let seen = got.clone();
        let (answering, gate) = tokio::sync::watch::channel(true);
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(
                move |axum::Form(params): axum::Form<HashMap<String, String>>| {
                    let seen = seen.clone();
                    let mut gate = gate.clone();
                    async move {
                        let _ = gate.wait_for(|open| *open).await;
                        seen.lock().unwrap().push(params);
                        axum::http::StatusCode::NO_CONTENT
                    }
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        CallbackReceiver {
            url,
            got,
            answering,
            server,
        }
    }

    /// From now on, requests wait unanswered until [`Self::release`].
    pub fn hold(&self) {
        self.answering.send_replace(false);
    }

    pub fn release(&self) {
        self.answering.send_replace(true);
    }

    /// Whether a callback for `event` matching `also` has arrived.
    pub fn has(&self, event: &str, also: impl Fn(&HashMap<String, String>) -> bool) -> bool {
        self.got
            .lock()
            .unwrap()
            .iter()
            .any(|p| p.get("StatusCallbackEvent").map(String::as_str) == Some(event) && also(p))
    }

    /// Every callback so far, as (RoomSid, SequenceNumber).
    pub fn sequences(&self) -> Vec<(String, i64)> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .map(|p| (p["RoomSid"].clone(), p["SequenceNumber"].parse().unwrap()))
            .collect()
    }

    /// Waits (two minutes at most) until a callback for `event` matching
    /// `also` has arrived, and returns its parameters.
    pub async fn wait_for(
        &self,
        event: &str,
        also: impl Fn(&HashMap<String, String>) -> bool,
    ) -> HashMap<String, String> {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(found) = self.got.lock().unwrap().iter().find(|p| {
                p.get("StatusCallbackEvent").map(String::as_str) == Some(event) && also(p)
            }) {
                return found.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no {event} callback: {:?}",
                self.got.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for CallbackReceiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}
