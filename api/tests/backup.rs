//! `confide backup` and `confide restore`, round trip, with the real
//! binary: a backup taken while the server runs, the data directory lost,
//! the backup restored, and the same account signing in with the same
//! password and the same API key signing tokens. A restore refuses while a
//! server runs, over existing data without `--force`, and from a damaged
//! backup.

mod http_support;
mod process_support;

use std::path::Path;
use std::process::{Command, Output};

use api::db::Backend;
use process_support::{Confide, Store, http_addr};
use reqwest::StatusCode;
use serde_json::json;

fn confide(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_confide"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .expect("the confide binary runs")
}

fn said(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

async fn login(addr: &str) -> StatusCode {
    reqwest::Client::new()
        .post(format!("http://{addr}/api/auth/login"))
        .json(&json!({"email": "ana@clinic.test", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_restores_the_clinic() {
    let store = Store::new(Backend::Sqlite).await;
    let data = store.dir.join("data");
    let media = testkit::udp::free_port_range();
    let config = store.dir.join("confide.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = \"{}\"\n[app]\nproduction = true\n[media]\nlisten = \"{media}\"\n",
            data.display()
        ),
    )
    .unwrap();
    let log = store.dir.join("first.log");
    let server = Confide::spawn_on(&config, &log, &media.to_string());
    let addr = http_addr(&log).await;
    let registered = reqwest::Client::new()
        .post(format!("http://{addr}/api/auth/register"))
        .json(&json!({"email": "ana@clinic.test", "password": "correct horse battery", "name": "Ana"}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), StatusCode::CREATED);
    let api_key = std::fs::read_to_string(data.join("api-key.toml")).unwrap();

    // Online: the server keeps running while the copy is taken.
    let backup = store.dir.join("backup");
    let taken = confide(&config, &["backup", "--to", backup.to_str().unwrap()]);
    assert!(taken.status.success(), "{}", said(&taken));
    assert_eq!(login(&addr).await, StatusCode::OK, "still serving");
    let refused = confide(&config, &["restore", "--from", backup.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(
        said(&refused).contains("stop Confide"),
        "{}",
        said(&refused)
    );
    assert!(server.terminate().success());

    // The data directory is lost, and comes back.
    std::fs::remove_dir_all(&data).unwrap();
    let restored = confide(&config, &["restore", "--from", backup.to_str().unwrap()]);
    assert!(restored.status.success(), "{}", said(&restored));
    assert_eq!(
        std::fs::read_to_string(data.join("api-key.toml")).unwrap(),
        api_key
    );
    let log = store.dir.join("second.log");
    let server = Confide::spawn_on(&config, &log, &media.to_string());
    let addr = http_addr(&log).await;
    assert_eq!(
        login(&addr).await,
        StatusCode::OK,
        "the same account, the same password"
    );
    drop(server);

    // Over existing data only with --force, which keeps what was there.
    let again = confide(&config, &["restore", "--from", backup.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(said(&again).contains("--force"), "{}", said(&again));
    let forced = confide(
        &config,
        &["restore", "--from", backup.to_str().unwrap(), "--force"],
    );
    assert!(forced.status.success(), "{}", said(&forced));
    let aside = std::fs::read_dir(&data)
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("before-restore-")
        });
    assert!(aside, "what was there is kept aside");

    // A damaged backup is refused before anything is touched.
    let database = backup.join("confide.db");
    let mut bytes = std::fs::read(&database).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&database, bytes).unwrap();
    let damaged = confide(
        &config,
        &["restore", "--from", backup.to_str().unwrap(), "--force"],
    );
    assert!(!damaged.status.success());
    assert!(said(&damaged).contains("damaged"), "{}", said(&damaged));
    store.drop_all().await;
}
