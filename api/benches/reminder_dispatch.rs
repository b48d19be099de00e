//! Reminder dispatch throughput: 100,000 scheduled video appointments in
//! the database (1.2 million outbox rows), the 24-hour reminders of the
//! first 3,334 of them due at once (10,002 messages: the patient by email
//! and WhatsApp, the psychologist by email), sent by the real dispatcher to
//! the local SMTP server and WhatsApp Cloud API mock.
//!
//! `cargo bench -p confide-api --bench reminder_dispatch` (SQLite), or with
//! `-- --postgres` (a fresh database on 127.0.0.1:5432). Prints messages per
//! second, the process's CPU time per message, and the plan of the due-row
//! query.

#[path = "../tests/notify_support/mod.rs"]
mod notify_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use api::clock::ManualClock;
use api::config::Config;
use api::db::{Backend, Db};
use api::reminders::ReminderOutbox;
use chrono::{TimeZone, Utc};
use sqlx::Row;

const APPOINTMENTS: i64 = 100_000;
const DUE_APPOINTMENTS: i64 = 3_334;
const PATIENTS: i64 = 2_000;
const PSYCHOLOGISTS: i64 = 200;

fn cpu_seconds() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(usage.ru_utime) + t(usage.ru_stime)
}

async fn admin(sql: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::AnyConnection::connect("postgres://postgres@127.0.0.1:5432/test")
        .await
        .expect("PostgreSQL on 127.0.0.1:5432");
    sqlx::query(sql).execute(&mut conn).await.expect(sql);
}

/// Users, appointments and their outbox rows, in bulk SQL.
async fn seed(db: &Db, base: i64) {
    let mut values = Vec::new();
    for i in 0..PSYCHOLOGISTS + PATIENTS {
        let (role, phone, wa) = if i < PSYCHOLOGISTS {
            ("psychologist", "NULL".to_owned(), 0)
        } else {
            ("patient", format!("'+1555{i:07}'"), 1)
        };
        values.push(format!(
            "('u{i}@bench.test', 'User {i}', '{role}', {phone}, 'America/New_York', {wa}, 'unused', 0)"
        ));
    }
    for chunk in values.chunks(500) {
        sqlx::query(&format!(
            "INSERT INTO users (email, name, role, phone, time_zone, whatsapp_opt_in, password_hash, created_at) VALUES {}",
            chunk.join(", ")
        ))
        .execute(db)
        .await
        .unwrap();
    }
    let first: i64 = sqlx::query_scalar("SELECT MIN(id) FROM users")
        .fetch_one(db)
        .await
        .unwrap();
    sqlx::query(&format!(
        "INSERT INTO appointments (patient_id, psychologist_id, starts_at, duration_minutes, session_type, status, \
         video_room_id, room_sid, sequence, created_by, created_at, updated_at) \
         WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {last}) \
         SELECT {first} + {PSYCHOLOGISTS} + (i % {PATIENTS}), {first} + (i % {PSYCHOLOGISTS}), \
         CASE WHEN i < {DUE_APPOINTMENTS} THEN {base} + 86400 ELSE {base} + 90000 + i * 77 END, \
         50, 'telehealth', 'scheduled', 'apt-b-' || i, 'RMb' || i, 0, {first}, {base}, {base} FROM n",
        last = APPOINTMENTS - 1,
    ))
    .execute(db)
    .await
    .unwrap();
    // Per appointment: 4 stages × (patient email, patient WhatsApp,
    // psychologist email); confirmations are history already.
    sqlx::query(&format!(
        "INSERT INTO notifications (appointment_id, stage, channel, recipient_id, revision, due_at, next_attempt_at, state, created_at, updated_at) \
         SELECT a.id, s.stage, t.channel, CASE WHEN t.who = 'p' THEN a.patient_id ELSE a.psychologist_id END, 0, \
         a.starts_at - s.lead, a.starts_at - s.lead, CASE WHEN s.stage = 'confirmation' THEN 'sent' ELSE 'pending' END, {base}, {base} \
         FROM appointments a \
         CROSS JOIN (SELECT 'confirmation' AS stage, 0 AS lead UNION ALL SELECT 'reminder_24h', 86400 UNION ALL SELECT 'reminder_1h', 3600 UNION ALL SELECT 'reminder_15m', 900) s \
         CROSS JOIN (SELECT 'email' AS channel, 'p' AS who UNION ALL SELECT 'whatsapp', 'p' UNION ALL SELECT 'email', 'd') t"
    ))
    .execute(db)
    .await
    .unwrap();
}

#[tokio::main]
async fn main() {
    sqlx::any::install_default_drivers();
    let postgres = std::env::args().any(|a| a == "--postgres");
    let backend = if postgres {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    let dir = std::env::temp_dir().join(format!("confide-bench-{:016x}", rand::random::<u64>()));
    let pg_name = format!("confide_bench_{:016x}", rand::random::<u64>());
    let url = if postgres {
        admin(&format!("CREATE DATABASE {pg_name}")).await;
        format!("postgres://postgres@127.0.0.1:5432/{pg_name}")
    } else {
        std::fs::create_dir_all(&dir).unwrap();
        api::db::url(None, &dir)
    };
    let base = Utc.with_ymd_and_hms(2030, 1, 7, 9, 0, 0).unwrap();
    let db = api::db::connect(&url).await.unwrap();
    let seeding = Instant::now();
    seed(&db, base.timestamp()).await;
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notifications")
        .fetch_one(&db)
        .await
        .unwrap();
    println!(
        "seeded {APPOINTMENTS} appointments, {rows} outbox rows on {backend:?} in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );
    if postgres {
        sqlx::query("ANALYZE").execute(&db).await.unwrap();
    }
    let plan_sql = format!(
        "EXPLAIN {}{}",
        if postgres { "" } else { "QUERY PLAN " },
        ReminderOutbox::claim_sql(backend)
    );
    let plan = sqlx::query(&plan_sql)
        .bind("plan")
        .bind(base.timestamp() + 60)
        .bind(base.timestamp())
        .bind(16i64)
        .fetch_all(&db)
        .await
        .unwrap();
    println!("due-row query plan:");
    for row in plan {
        let line: String = row.get(if postgres { 0 } else { 3 });
        println!("  {line}");
    }
    db.close().await;

    let mocks = notify_support::Mocks::start();
    let mut config = Config::default();
    config.http.listen = "127.0.0.1:0".parse().unwrap();
    config.media.listen = "127.0.0.1:0".parse().unwrap();
    config.data_dir = dir.clone();
    config.app.production = true;
    config.database_url = Some(url.clone());
    config.notifications = mocks.config();
    let expected = DUE_APPOINTMENTS * 3;
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let running = api::server::start_with_clock(config, Arc::new(ManualClock::new(base)))
        .await
        .unwrap();
    // Progress from the mocks' counters: polling the 1.2-million-row table
    // would cost this process more than the dispatch does.
    let mut delivered = 0;
    while started.elapsed() < Duration::from_secs(600) {
        let (emails, whatsapp) = mocks.counts().await;
        delivered = (emails + whatsapp) as i64;
        if delivered >= expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_before;
    let (emails, whatsapp) = mocks.counts().await;
    let sent: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications WHERE state = 'sent' AND stage = 'reminder_24h'",
    )
    .fetch_one(&running.db)
    .await
    .unwrap();
    println!(
        "delivered {delivered} of {expected} messages ({emails} emails, {whatsapp} WhatsApp; {sent} recorded sent) in {elapsed:.2} s: \
         {:.0} messages/s; Confide's CPU {:.0} µs per message (dispatcher, database{}, HTTP and SMTP clients)",
        delivered as f64 / elapsed,
        cpu * 1e6 / delivered.max(1) as f64,
        if postgres { " client" } else { "" },
    );
    running.db.close().await;
    running.stop().await;
    drop(mocks);
    if postgres {
        admin(&format!("DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")).await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}
