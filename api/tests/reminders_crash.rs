//! The durable queues against real process deaths: the `confide` binary is
//! killed (SIGKILL) at random moments while it dispatches hundreds of
//! messages to the provider mocks, and restarted each time; and two binaries
//! share one PostgreSQL database, each delivering reminders and room status
//! callbacks. Nothing may be lost, and a message may arrive twice only when a
//! kill fell between the provider's acceptance and the commit: at most
//! `max_in_flight` messages per kill. With no kill, nothing arrives twice.
//! And three cluster nodes (PostgreSQL and Redis) deliver together while one
//! of them is killed: the two left finish its work.

mod http_support;
mod notify_support;
mod process_support;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use api::db::Backend;
use chrono::Utc;
use notify_support::{Mocks, wa_parameters};
use process_support::{
    ACCOUNT_SID, API_KEY_SECRET, API_KEY_SID, CallbackReceiver, Confide, Store, http_addr, now_secs,
};
use serde_json::json;

const APPOINTMENTS: usize = 100;
const KILLS: usize = 20;
/// Rooms each process creates (and completes) in the two-process test.
const ROOMS_PER_PROCESS: usize = 20;
/// How long after a kill (seconds) the provider mock may still stamp a
/// request the killed run sent: it stamps when its handler thread starts,
/// which a loaded CI machine can delay. A repeat is put down to a kill only
/// if its earlier copy came before the kill or within this much after it.
const TAKE_IN_GRACE: f64 = 1.0;

/// Books `APPOINTMENTS` video appointments starting ten minutes from now,
/// planned two days ago: each owes its confirmation and its 15-minute
/// reminder to both people on both channels (the 24 h and 1 h ones are
/// superseded), 8 messages per appointment.
async fn seed(url: &str) -> Vec<(i64, String)> {
    let db = api::db::connect(url).await.unwrap();
    let now = Utc::now();
    let planned = now - chrono::Duration::days(2);
    let mut ids = Vec::new();
    for (email, role, phone) in [
        (
            "ana@clinic.test",
            api::model::users::Role::Patient,
            "+5511987654321",
        ),
        (
            "smith@clinic.test",
            api::model::users::Role::Psychologist,
            "+12125550123",
        ),
    ] {
        let user = api::model::users::insert(
            &db,
            api::model::users::NewUser {
                email: email.into(),
                name: email.into(),
                role,
                phone: Some(phone.into()),
                time_zone: "Europe/Lisbon".into(),
                whatsapp_opt_in: true,
                password: "correct horse battery".into(),
            },
            planned.timestamp(),
        )
        .await
        .unwrap();
        ids.push(user.id);
    }
    for _ in 0..APPOINTMENTS {
        let mut tx = db.begin().await.unwrap();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO appointments (patient_id, psychologist_id, starts_at, duration_minutes, session_type, status, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, 50, 'telehealth', 'scheduled', $1, $4, $4) RETURNING id",
        )
        .bind(ids[0])
        .bind(ids[1])
        .bind((now + chrono::Duration::minutes(10)).timestamp())
        .bind(planned.timestamp())
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        api::model::rooms::assign_for_appointment(&mut tx, id)
            .await
            .unwrap();
        api::reminders::plan::booked(&mut tx, id, planned)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let owed: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, channel FROM notifications WHERE stage IN ('confirmation', 'reminder_15m') ORDER BY id",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    db.close().await;
    assert_eq!(owed.len(), APPOINTMENTS * 8);
    owed
}

fn config_file(store: &Store, mocks: &Mocks, name: &str, in_flight: usize) -> PathBuf {
    let path = store.dir.join(format!("{name}.toml"));
    let text = format!(
        r#"database_url = "{url}"
data_dir = "{dir}"
[app]
production = true
public_url = "https://clinic.test"
[tokens]
account_sid = "{account_sid}"
api_key_sid = "{api_key_sid}"
api_key_secret = "{api_key_secret}"
[notifications]
max_in_flight = {in_flight}
lease_secs = 2
retry_base_secs = 1
retry_max_secs = 2
[notifications.smtp]
host = "127.0.0.1"
port = {smtp}
security = "none"
from = "reminders@clinic.test"
[notifications.whatsapp]
api_base = "{http}"
phone_number_id = "{phone_id}"
access_token = "{token}"
"#,
        url = store.url,
        dir = store.dir.join(name).display(),
        smtp = mocks.smtp_port,
        http = mocks.http_base,
        phone_id = notify_support::PHONE_NUMBER_ID,
        token = notify_support::WHATSAPP_TOKEN,
        account_sid = ACCOUNT_SID,
        api_key_sid = API_KEY_SID,
        api_key_secret = API_KEY_SECRET,
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// Every delivery the mocks saw, as (message key, time received).
async fn deliveries(mocks: &Mocks) -> Vec<(String, f64)> {
    let mut all: Vec<(String, f64)> = mocks
        .emails()
        .await
        .iter()
        .map(|e| {
            (
                e["message_id"].as_str().unwrap().to_owned(),
                e["received_at"].as_f64().unwrap(),
            )
        })
        .collect();
    for request in mocks.whatsapp().await {
        let key = format!(
            "wa:{}:{}:{}",
            request["body"]["to"].as_str().unwrap(),
            request["body"]["template"]["name"].as_str().unwrap(),
            wa_parameters(&request).last().cloned().unwrap_or_default()
        );
        all.push((key, request["received_at"].as_f64().unwrap()));
    }
    all
}

async fn wait_for_count(mocks: &Mocks, count: usize, limit: Duration) -> usize {
    let deadline = Instant::now() + limit;
    loop {
        let seen = mocks.emails().await.len() + mocks.whatsapp().await.len();
        if seen >= count || Instant::now() > deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Until no reminder or status callback is pending or being sent (two
/// minutes at most).
async fn wait_until_done(url: &str) {
    let db = api::db::connect(url).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        let live: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM notifications WHERE state IN ('pending', 'sending')) \
             + (SELECT COUNT(*) FROM room_callbacks WHERE state IN ('pending', 'sending'))",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        if live == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    db.close().await;
}

/// Creates `ROOMS_PER_PROCESS` rooms with a status callback through the
/// REST API at `addr` and completes them: each owes `room-created` (0) and
/// `room-ended` (1).
async fn create_and_complete_rooms(addr: &str, prefix: &str, hook: &str) -> Vec<String> {
    let http = reqwest::Client::new();
    let mut sids = Vec::new();
    for n in 0..ROOMS_PER_PROCESS {
        let room: serde_json::Value = http
            .post(format!("http://{addr}/v1/Rooms"))
            .basic_auth(API_KEY_SID, Some(API_KEY_SECRET))
            .form(&[
                ("UniqueName", format!("{prefix}-{n}").as_str()),
                ("StatusCallback", hook),
            ])
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        sids.push(room["sid"].as_str().unwrap().to_owned());
    }
    for sid in &sids {
        http.post(format!("http://{addr}/v1/Rooms/{sid}"))
            .basic_auth(API_KEY_SID, Some(API_KEY_SECRET))
            .form(&[("Status", "completed")])
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
    }
    sids
}

async fn kill_at_random_points_and_lose_nothing(backend: Backend, in_flight: usize) {
    let store = Store::new(backend).await;
    let owed = seed(&store.url).await;
    let mocks = Mocks::start();
    // A few milliseconds per message, so that kills land mid-dispatch.
    mocks.configure(json!({"delay_ms": 5})).await;
    let config = config_file(&store, &mocks, "confide", in_flight);
    let log = store.dir.join("confide.log");
    // (started, died) of each killed run.
    let mut runs: Vec<(f64, f64)> = Vec::new();
    for _ in 0..KILLS {
        let before = wait_for_count(&mocks, 0, Duration::ZERO).await;
        let started = now_secs();
        let process = Confide::spawn(&config, &log);
        // Kill once it is dispatching: after its first delivery, at a
        // random moment in the next 150 ms.
        wait_for_count(&mocks, before + 1, Duration::from_secs(20)).await;
        tokio::time::sleep(Duration::from_micros(rand::random_range(0..150_000))).await;
        runs.push((started, process.kill()));
    }
    let final_start = now_secs();
    let last = Confide::spawn(&config, &log);
    wait_until_done(&store.url).await;
    drop(last);

    let mut copies: HashMap<String, Vec<f64>> = HashMap::new();
    for (key, at) in deliveries(&mocks).await {
        copies.entry(key).or_default().push(at);
    }
    let email_keys = owed.iter().filter(|(_, c)| c == "email").count();
    assert_eq!(
        copies.keys().filter(|k| k.starts_with('<')).count(),
        email_keys,
        "every email arrived"
    );
    assert_eq!(copies.len(), owed.len(), "every message arrived");
    for (id, channel) in &owed {
        if channel == "email" {
            assert!(
                copies.contains_key(&format!("<notification-{id}@clinic.test>")),
                "email {id}"
            );
        }
    }
    let mut per_kill = vec![0usize; runs.len()];
    for (key, times) in &copies {
        // A message is sent again only because the run that sent it was
        // killed before it recorded the send: every copy but the last came
        // from a killed run, and the next copy came after that kill. (One
        // message can be in flight at two kills in a row, and so arrive
        // three times: CI saw it once.)
        let mut times = times.clone();
        times.sort_by(f64::total_cmp);
        for pair in times.windows(2) {
            let (first, second) = (pair[0], pair[1]);
            // The run the earlier copy came from: the last one started
            // before it arrived, or the killed run before that when the
            // copy arrived within TAKE_IN_GRACE of its kill (a request sent
            // just before a kill can still be stamped by the provider mock
            // just after it, even after the next run started: the mock
            // stamps a request when its handler thread gets to it).
            let latest = (0..runs.len()).rev().find(|&k| runs[k].0 <= first);
            let latest = latest.filter(|&k| first < runs.get(k + 1).map_or(final_start, |n| n.0));
            let previous = match latest {
                Some(k) => k.checked_sub(1),
                None => runs.len().checked_sub(1),
            }
            .filter(|&k| first <= runs[k].1 + TAKE_IN_GRACE);
            let run = latest
                .filter(|&k| second > runs[k].1)
                .or(previous.filter(|&k| second > runs[k].1))
                .unwrap_or_else(|| {
                    panic!(
                        "{key}: a repeat not explained by a kill (copies at {first:.3} and \
                         {second:.3}; runs (started, killed) {runs:?}; final run from \
                         {final_start:.3})"
                    )
                });
            per_kill[run] += 1;
        }
    }
    let duplicates: usize = per_kill.iter().sum();
    assert!(
        per_kill.iter().all(|&d| d <= in_flight),
        "at most {in_flight} repeat(s) per kill: {per_kill:?}"
    );
    eprintln!(
        "{} messages, {KILLS} kills, {duplicates} repeated: {per_kill:?}",
        owed.len()
    );

    let db = api::db::connect(&store.url).await.unwrap();
    let states: Vec<(String, i64)> =
        sqlx::query_as("SELECT state, COUNT(*) FROM notifications GROUP BY state ORDER BY state")
            .fetch_all(&db)
            .await
            .unwrap();
    db.close().await;
    let states: HashMap<String, i64> = states.into_iter().collect();
    assert_eq!(
        states.get("sent").copied(),
        Some(owed.len() as i64),
        "{states:?}"
    );
    assert_eq!(
        states.get("skipped").copied(),
        Some((APPOINTMENTS * 8) as i64),
        "{states:?}"
    );
    assert_eq!(
        states.len(),
        2,
        "nothing pending, failed or stuck: {states:?}"
    );
    store.drop_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_points_sqlite_one_in_flight() {
    kill_at_random_points_and_lose_nothing(Backend::Sqlite, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_points_postgres_four_in_flight() {
    kill_at_random_points_and_lose_nothing(Backend::Postgres, 4).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_postgres_without_duplicates() {
    let store = Store::new(Backend::Postgres).await;
    let owed = seed(&store.url).await;
    let mocks = Mocks::start();
    mocks.configure(json!({"delay_ms": 2})).await;
    let hook = CallbackReceiver::start().await;
    let (a_log, b_log) = (store.dir.join("a.log"), store.dir.join("b.log"));
    let a = Confide::spawn(&config_file(&store, &mocks, "a", 4), &a_log);
    let b = Confide::spawn(&config_file(&store, &mocks, "b", 4), &b_log);
    // Rooms made through both processes, their events queued by both.
    let (a_addr, b_addr) = (http_addr(&a_log).await, http_addr(&b_log).await);
    let (a_rooms, b_rooms) = tokio::join!(
        create_and_complete_rooms(&a_addr, "a", &hook.url),
        create_and_complete_rooms(&b_addr, "b", &hook.url),
    );
    wait_until_done(&store.url).await;
    drop((a, b));

    let deliveries = deliveries(&mocks).await;
    let mut copies: HashMap<&str, usize> = HashMap::new();
    for (key, _) in &deliveries {
        *copies.entry(key).or_default() += 1;
    }
    assert_eq!(copies.len(), owed.len(), "every message arrived");
    assert!(
        copies.values().all(|&n| n == 1),
        "no message twice: {:?}",
        copies.iter().filter(|(_, n)| **n > 1).collect::<Vec<_>>()
    );

    // Every room's two callbacks arrived exactly once, in order.
    let got = hook.sequences();
    let rooms: Vec<&String> = a_rooms.iter().chain(&b_rooms).collect();
    assert_eq!(got.len(), rooms.len() * 2, "each callback once: {got:?}");
    for room in rooms {
        let sequence: Vec<i64> = got
            .iter()
            .filter(|(sid, _)| sid == room)
            .map(|(_, n)| *n)
            .collect();
        assert_eq!(sequence, [0, 1], "room {room}: every event once, in order");
    }

    let db = api::db::connect(&store.url).await.unwrap();
    let owners: Vec<(String,)> =
        sqlx::query_as("SELECT lease_owner FROM notifications WHERE state = 'sent'")
            .fetch_all(&db)
            .await
            .unwrap();
    let unsent: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM room_callbacks WHERE state <> 'sent'")
            .fetch_one(&db)
            .await
            .unwrap();
    db.close().await;
    assert_eq!(unsent, 0, "no callback failed or was left behind");
    let processes: std::collections::HashSet<String> = owners
        .iter()
        .map(|(owner,)| owner.splitn(3, '-').take(2).collect::<Vec<_>>().join("-"))
        .collect();
    assert_eq!(
        processes.len(),
        2,
        "both processes sent some: {processes:?}"
    );
    store.drop_all().await;
}

/// A free TCP port on 127.0.0.1 for a node's HTTP listener.
fn free_http_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_cluster_nodes_one_killed_mid_dispatch_lose_nothing() {
    const IN_FLIGHT: usize = 4;
    let store = Store::new(Backend::Postgres).await;
    let owed = seed(&store.url).await;
    let mocks = Mocks::start();
    mocks.configure(json!({"delay_ms": 5})).await;
    let hook = CallbackReceiver::start().await;
    let cluster = format!("confide-crash-{:016x}", rand::random::<u64>());
    let redis_url =
        std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let mut nodes = Vec::new();
    let mut addrs = Vec::new();
    for name in ["a", "b", "c"] {
        let port = free_http_port();
        let config = config_file(&store, &mocks, name, IN_FLIGHT);
        let mut text = std::fs::read_to_string(&config).unwrap();
        text.push_str(&format!(
            "[cluster]\nredis_url = \"{redis_url}\"\nnode_url = \"http://127.0.0.1:{port}\"\nname = \"{cluster}\"\nnode_ttl_secs = 3\n"
        ));
        std::fs::write(&config, text).unwrap();
        // Every node signs users in with the same key (checked at start).
        std::fs::create_dir_all(store.dir.join(name)).unwrap();
        std::fs::write(
            store.dir.join(name).join("session.key"),
            "a-session-key-every-node-shares-0123456789",
        )
        .unwrap();
        let log = store.dir.join(format!("{name}.log"));
        let node = Confide::spawn_at(&config, &log, &format!("127.0.0.1:{port}"), "127.0.0.1:0");
        addrs.push(http_addr(&log).await);
        nodes.push(node);
    }
    // Rooms made through the two nodes that stay, their callbacks owed
    // while the third is killed mid-dispatch.
    let killed = nodes.pop().unwrap();
    let (a_rooms, b_rooms) = tokio::join!(
        create_and_complete_rooms(&addrs[0], "a", &hook.url),
        create_and_complete_rooms(&addrs[1], "b", &hook.url),
    );
    wait_for_count(&mocks, 1, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_micros(rand::random_range(0..150_000))).await;
    killed.kill();
    wait_until_done(&store.url).await;
    drop(nodes);

    let mut copies: HashMap<String, usize> = HashMap::new();
    for (key, _) in deliveries(&mocks).await {
        *copies.entry(key).or_default() += 1;
    }
    assert_eq!(copies.len(), owed.len(), "every message arrived");
    let repeated: usize = copies.values().map(|n| n - 1).sum();
    assert!(
        repeated <= IN_FLIGHT,
        "a message repeats only if the killed node had sent it and not recorded it: {repeated}"
    );
    let got = hook.sequences();
    for room in a_rooms.iter().chain(&b_rooms) {
        let mut sequence: Vec<i64> = got
            .iter()
            .filter(|(sid, _)| sid == room)
            .map(|(_, n)| *n)
            .collect();
        sequence.dedup();
        assert_eq!(sequence, [0, 1], "room {room}: every event, in order");
    }
    let callback_repeats = got.len() - (a_rooms.len() + b_rooms.len()) * 2;
    assert!(
        repeated + callback_repeats <= IN_FLIGHT * 2,
        "repeats only from the kill: {repeated} messages, {callback_repeats} callbacks"
    );
    eprintln!(
        "{} messages and {} callbacks across the kill of one node of three: \
         {repeated} message and {callback_repeats} callback repeats",
        owed.len(),
        got.len()
    );

    let mut redis = redis::Client::open(redis_url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{cluster}:*"))
        .query_async(&mut redis)
        .await
        .unwrap();
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL")
            .arg(keys)
            .query_async(&mut redis)
            .await
            .unwrap();
    }
    store.drop_all().await;
}
