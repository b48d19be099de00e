//! A registration flood stays within a memory ceiling. Each sign-up hashes
//! a password with argon2 (19 MiB a hash); before the hashing pool was
//! bounded, 120 parallel registrations took the process from 428 MiB to
//! 2.3 GiB. The flood here comes through a trusted reverse proxy from 120
//! client addresses, so the per-address sign-up limit lets every one of them
//! through and only the hashing pool stands between it and the memory.
//! Memory is the process's own (`/proc/{pid}/status`), not a time.

mod http_support;
mod process_support;

use std::path::PathBuf;

use api::db::Backend;
use process_support::{Confide, Store, http_addr};
use reqwest::StatusCode;

const REGISTRATIONS: usize = 120;
const MIB: u64 = 1024 * 1024;

fn config_file(store: &Store) -> PathBuf {
    process_support::config_file(
        store,
        "https://clinic.test",
        "[http]\ntrusted_proxies = [\"127.0.0.1\"]\n",
    )
}

/// A `/proc/{pid}/status` field, in bytes (`VmRSS`: now; `VmHWM`: peak).
fn memory(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"));
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap();
    kib * 1024
}

async fn register(http: &reqwest::Client, addr: &str, n: usize) -> StatusCode {
    http.post(format!("http://{addr}/api/auth/register"))
        .header("X-Forwarded-For", format!("203.0.113.{}", n % 250))
        .json(&serde_json::json!({
            "email": format!("flood-{n}@example.test"),
            "password": format!("a long enough password {n}"),
            "name": format!("Flood {n}"),
        }))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_flood_stays_within_a_memory_ceiling() {
    let store = Store::new(Backend::Sqlite).await;
    let log = store.dir.join("confide.log");
    let process = Confide::spawn(&config_file(&store), &log);
    let addr = http_addr(&log).await;
    let http = reqwest::Client::new();
    // One sign-up first, so the baseline includes a hash's worth of
    // allocator arenas and the database's first pages.
    assert_eq!(register(&http, &addr, 10_000).await, StatusCode::CREATED);
    let pid = process.pid();
    let baseline = memory(pid, "VmRSS");

    let flood = (0..REGISTRATIONS).map(|n| register(&http, &addr, n));
    let answers = futures_util::future::join_all(flood).await;
    let created = answers
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    assert_eq!(
        created, REGISTRATIONS,
        "each address is under its sign-up limit: {answers:?}"
    );
    let peak = memory(pid, "VmHWM");
    let after = memory(pid, "VmRSS");

    // At most `MAX_HASHERS` hashes at once, each 19 MiB, plus room for the
    // requests, the database and the allocator's slack.
    let hashers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, api::auth::password::MAX_HASHERS) as u64;
    let ceiling = baseline + hashers * 19 * MIB + 64 * MIB;
    eprintln!(
        "baseline {} MiB, peak {} MiB, after {} MiB, ceiling {} MiB ({hashers} hashers)",
        baseline / MIB,
        peak / MIB,
        after / MIB,
        ceiling / MIB
    );
    assert!(
        peak <= ceiling,
        "peak {} MiB over the ceiling {} MiB",
        peak / MIB,
        ceiling / MIB
    );

    // The flood is over and the server serves as before.
    let health = http
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    // An address over its limit is told when to come back.
    let mut limited = None;
    for n in 0..20 {
        let answer = http
            .post(format!("http://{addr}/api/auth/register"))
            .header("X-Forwarded-For", "192.0.2.77")
            .json(&serde_json::json!({
                "email": format!("same-address-{n}@example.test"),
                "password": "a long enough password",
                "name": "Same Address",
            }))
            .send()
            .await
            .unwrap();
        if answer.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(answer);
            break;
        }
    }
    let limited = limited.expect("one address is limited");
    assert!(limited.headers().contains_key("retry-after"));
    drop(process);
    store.drop_all().await;
}
