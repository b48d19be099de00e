//! `confide check` against real services on 127.0.0.1: the provider mocks'
//! SMTP server (a dry connection, nothing sent) and WhatsApp Graph API (the
//! phone number read back with the token), the database, the ports; and
//! the binary's plain-words output and exit code when something is wrong.

mod http_support;
mod notify_support;

use api::check::{Finding, Level};
use api::config::Config;
use notify_support::{Mocks, WHATSAPP_TOKEN};
use serde_json::json;

fn level(found: &[Finding], what: &str) -> (Level, String) {
    let finding = found
        .iter()
        .find(|f| f.what == what)
        .unwrap_or_else(|| panic!("no {what} finding: {found:?}"));
    (finding.level, finding.detail.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_tries_every_service_and_sends_nothing() {
    let mocks = Mocks::start();
    mocks
        .configure(json!({"whatsapp_token": WHATSAPP_TOKEN}))
        .await;
    let dir = std::env::temp_dir().join(format!("confide-check-{:016x}", rand::random::<u64>()));
    let mut config = Config {
        data_dir: dir.clone(),
        notifications: mocks.config(),
        ..Config::default()
    };
    config.http.listen = "127.0.0.1:0".parse().unwrap();
    config.media.listen = "127.0.0.1:0".parse().unwrap();
    config.app.production = true;

    let found = api::check::run(&config).await;
    for what in [
        "configuration",
        "data dir",
        "HTTP port",
        "media ports",
        "media address",
        "database",
        "e-mail",
        "WhatsApp",
    ] {
        assert_eq!(level(&found, what).0, Level::Fine, "{what}: {found:?}");
    }
    assert!(
        level(&found, "WhatsApp").1.contains("+1 555-0100"),
        "{found:?}"
    );
    let (emails, messages) = mocks.counts().await;
    assert_eq!((emails, messages), (0, 0), "a check sends nothing");

    // A wrong token, an SMTP server that is not there, a public site whose
    // media is on loopback.
    let mut wrong = config.clone();
    wrong.notifications.whatsapp.as_mut().unwrap().access_token = "expired".into();
    wrong.notifications.smtp.as_mut().unwrap().port = Some(1);
    wrong.app.public_url = "https://video.clinic.example".into();
    let found = api::check::run(&wrong).await;
    let (whatsapp, said) = level(&found, "WhatsApp");
    assert_eq!(whatsapp, Level::Problem);
    assert!(said.contains("refused the access token"), "{said}");
    assert_eq!(level(&found, "e-mail").0, Level::Problem, "{found:?}");
    assert_eq!(
        level(&found, "media address").0,
        Level::Warning,
        "{found:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The binary: a database that is not there is a problem, said plainly,
/// and the exit code says so too.
#[tokio::test]
async fn the_binary_says_what_is_wrong_and_exits_1() {
    let dir = std::env::temp_dir().join(format!("confide-check-{:016x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("confide.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = \"{}\"\ndatabase_url = \"postgres://nobody@127.0.0.1:1/none\"\n[http]\nlisten = \"127.0.0.1:0\"\n[media]\nlisten = \"127.0.0.1:0\"\n",
            dir.join("data").display()
        ),
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_confide"))
        .args(["--config", config.to_str().unwrap(), "check"])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("PROBLEM") && l.contains("database")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("warning") && l.contains("e-mail")),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
