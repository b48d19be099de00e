//! A running Confide for tests, and tokens for it. Participants are
//! [`testkit::Participant`]s: the real signaling websocket and media port,
//! synthetic Opus and VP8 out, what arrives recorded.

#![allow(dead_code)]

#[allow(unused_imports)]
pub use testkit::Participant;

/// A data folder removed when dropped, even when the test panicked.
pub struct TempDir(pub std::path::PathBuf);

impl AsRef<std::path::Path> for TempDir {
    fn as_ref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts Confide in-process on ephemeral ports with a fresh data folder.
pub async fn start_server(max_participants: usize) -> (api::server::Running, TempDir) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let data_dir = std::env::temp_dir().join(format!("confide-test-{}", rand::random::<u64>()));
    let mut config = api::config::Config::default();
    config.http.listen = "127.0.0.1:0".parse().unwrap();
    config.media.listen = "127.0.0.1:0".parse().unwrap();
    config.media.max_participants_per_room = max_participants;
    config.data_dir = data_dir.clone();
    let running = api::server::start(config).await.expect("server starts");
    (running, TempDir(data_dir))
}

/// A token from the server's own key, issued at `issued`, valid `ttl` s.
pub fn token_with(
    running: &api::server::Running,
    identity: &str,
    room: &str,
    ttl: u64,
    issued: u64,
) -> String {
    signaling::token::mint(
        &running.credentials.account_sid,
        &running.credentials.api_key(),
        identity,
        Some(room),
        ttl,
        issued,
    )
}

/// A token valid for ten minutes from now.
pub fn token(running: &api::server::Running, identity: &str, room: &str) -> String {
    token_with(running, identity, room, 600, signaling::token::unix_now())
}
