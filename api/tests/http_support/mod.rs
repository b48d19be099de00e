//! A Confide API under test, on SQLite or on a fresh PostgreSQL database,
//! with a manual clock; and a small JSON client for it.

#![allow(dead_code)]

use std::sync::Arc;

use api::clock::ManualClock;
use api::config::Config;
use api::db::Backend;
use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Where the tests find PostgreSQL (CI starts it at this address).
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

pub struct TestApi {
    pub running: Option<api::server::Running>,
    pub base: String,
    pub clock: ManualClock,
    pub http: reqwest::Client,
    pub data_dir: std::path::PathBuf,
    postgres_db: Option<String>,
    config: Config,
}

impl TestApi {
    pub async fn start(backend: Backend) -> TestApi {
        Self::start_with(backend, |_| {}).await
    }

    pub async fn start_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestApi {
        let data_dir =
            std::env::temp_dir().join(format!("confide-api-test-{}", rand::random::<u64>()));
        let mut config = Config::default();
        config.http.listen = "127.0.0.1:0".parse().unwrap();
        config.media.listen = "127.0.0.1:0".parse().unwrap();
        config.data_dir = data_dir.clone();
        // No demo accounts unless a test asks for them.
        config.app.production = true;
        let mut postgres_db = None;
        if backend == Backend::Postgres {
            let name = format!("confide_t_{:016x}", rand::random::<u64>());
            admin_exec(&format!("CREATE DATABASE {name}")).await;
            let admin = postgres_admin_url();
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
            config.database_url = Some(format!("{base}/{name}"));
            postgres_db = Some(name);
        }
        tweak(&mut config);
        let clock = ManualClock::new(
            DateTime::parse_from_rfc3339("2030-03-04T09:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
        );
        let running = api::server::start_with_clock(config.clone(), Arc::new(clock.clone()))
            .await
            .expect("server starts");
        TestApi {
            base: format!("http://{}", running.http_addr),
            running: Some(running),
            clock,
            http: reqwest::Client::new(),
            data_dir,
            postgres_db,
            config,
        }
    }

    /// Stops the server (as SIGTERM would) and starts it again on the same
    /// database, data folder and clock; `base` follows the new port.
    pub async fn restart(&mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await;
        }
        let running =
            api::server::start_with_clock(self.config.clone(), Arc::new(self.clock.clone()))
                .await
                .expect("server starts again");
        self.base = format!("http://{}", running.http_addr);
        self.running = Some(running);
    }

    pub fn now(&self) -> DateTime<Utc> {
        use api::clock::Clock;
        self.clock.now()
    }

    /// Sends a request; returns status and JSON body (Null when empty).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, token, Some(body)).await
    }

    /// Creates an account through the admin and returns (id, access token).
    pub async fn user(&self, admin: &str, email: &str, role: &str) -> (i64, String) {
        let (status, created) = self
            .post(
                "/api/users/",
                Some(admin),
                json!({"email": email, "password": "correct horse battery", "name": email, "role": role, "time_zone": "America/Sao_Paulo"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        (
            created["id"].as_i64().unwrap(),
            self.login(email, "correct horse battery").await,
        )
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let (status, body) = self
            .post(
                "/api/auth/login",
                None,
                json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// An admin created directly (demo accounts are off in these tests).
    pub async fn admin(&self) -> String {
        let running = self.running.as_ref().unwrap();
        api::model::users::insert(
            &running.db,
            api::model::users::NewUser {
                email: "boss@clinic.test".into(),
                name: "Boss".into(),
                role: api::model::users::Role::Admin,
                phone: None,
                time_zone: "UTC".into(),
                whatsapp_opt_in: false,
                password: "correct horse battery".into(),
            },
            0,
        )
        .await
        .expect("admin inserted");
        self.login("boss@clinic.test", "correct horse battery")
            .await
    }

    pub async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            let db = running.db.clone();
            running.stop().await;
            db.close().await;
        }
        if let Some(name) = self.postgres_db.take() {
            admin_exec(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// Cleans up after a test that panicked before `stop`: the data folder and
/// the PostgreSQL database are removed all the same.
impl Drop for TestApi {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
        if let Some(name) = self.postgres_db.take() {
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(runtime) = runtime {
                    runtime.block_on(admin_exec(&format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )));
                }
            })
            .join();
        }
    }
}

pub async fn admin_exec(sql: &str) {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let url = postgres_admin_url();
    let mut conn = sqlx::AnyConnection::connect(&url)
        .await
        .unwrap_or_else(|err| {
            panic!("PostgreSQL is required for these tests and is not reachable at {url}: {err}")
        });
    sqlx::query(sql).execute(&mut conn).await.expect(sql);
    let _ = conn.close().await;
}

/// Runs one async test body against both databases.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name(api::db::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name(api::db::Backend::Postgres).await
                }
            }
        )*
    };
}
