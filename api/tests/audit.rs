//! The audit log: actions are recorded with who, when and from where (joins
//! and leaves too, from the SFU's events); admins
//! read and export it (CSV); entries and message texts go after their
//! retention — on SQLite and PostgreSQL.

mod http_support;

use chrono::Duration;
use http_support::TestApi;
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_databases!(
    actions_are_audited_and_admins_read_and_export_them,
    joins_and_leaves_are_audited_with_the_address_they_came_from,
    retention_removes_old_entries_and_message_texts,
);

/// An admin, a patient and a psychologist (ids and bearer tokens), and
/// the patient's session with the psychologist in ten minutes.
struct Booked {
    admin: String,
    patient_id: i64,
    patient: String,
    doctor_id: i64,
    doctor: String,
    id: i64,
}

async fn book(api: &TestApi) -> Booked {
    let admin = api.admin().await;
    let (patient_id, patient) = api.user(&admin, "pat@clinic.test", "patient").await;
    let (doctor_id, doctor) = api.user(&admin, "smith@clinic.test", "psychologist").await;
    let at = (api.now() + Duration::minutes(10)).to_rfc3339();
    let (_, booked) = api
        .post(
            "/api/appointments/",
            Some(&patient),
            json!({"psychologist_id": doctor_id, "appointment_date": at}),
        )
        .await;
    Booked {
        admin,
        patient_id,
        patient,
        doctor_id,
        doctor,
        id: booked["id"].as_i64().unwrap(),
    }
}

async fn actions_are_audited_and_admins_read_and_export_them(backend: api::db::Backend) {
    let api = TestApi::start(backend).await;
    let Booked {
        admin,
        patient_id,
        patient,
        doctor_id,
        doctor,
        id,
    } = book(&api).await;
    let token = format!("/api/appointments/video-token/{id}/");
    assert_eq!(api.get(&token, &doctor).await.0, StatusCode::OK);
    let admit = format!("/api/appointments/{id}/waiting-room/admit/");
    assert_eq!(
        api.post(&admit, Some(&doctor), json!(null)).await.0,
        StatusCode::OK
    );
    assert_eq!(api.get(&token, &patient).await.0, StatusCode::OK);
    let cancel = format!("/api/appointments/{id}/cancel/");
    assert_eq!(
        api.post(&cancel, Some(&doctor), json!(null)).await.0,
        StatusCode::OK
    );
    // Cancelling again changes nothing, and adds nothing.
    assert_eq!(
        api.post(&cancel, Some(&doctor), json!(null)).await.0,
        StatusCode::OK
    );

    let (status, entries) = api
        .get(&format!("/api/audit/?appointment_id={id}"), &admin)
        .await;
    assert_eq!(status, StatusCode::OK, "{entries}");
    let entries = entries.as_array().unwrap();
    let seen: Vec<(&str, i64)> = entries
        .iter()
        .rev()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["actor_id"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("booked", patient_id),
            ("token_issued", doctor_id),
            ("admitted", doctor_id),
            ("token_issued", patient_id),
            ("cancelled", doctor_id),
        ]
    );
    for e in entries {
        assert_eq!(e["ip"], "127.0.0.1", "{e}");
        assert!(e["at"].as_str().unwrap().ends_with('Z'));
    }
    assert_eq!(entries[4]["actor"], "pat@clinic.test");
    assert!(
        entries[4]["detail"]
            .as_str()
            .unwrap()
            .ends_with("for 50 minutes")
    );
    // Admin actions are there too, and filters work.
    let (_, created) = api.get("/api/audit/?action=user_created", &admin).await;
    assert_eq!(created.as_array().unwrap().len(), 2, "{created}");
    let (status, bad) = api.get("/api/audit/?action=nonsense", &admin).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let (status, _) = api.get("/api/audit/", &doctor).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "admins only");
    let (_, page) = api.get("/api/audit/?limit=2", &admin).await;
    let oldest = page[1]["id"].as_i64().unwrap();
    let (_, next) = api
        .get(&format!("/api/audit/?limit=2&before_id={oldest}"), &admin)
        .await;
    assert!(next[0]["id"].as_i64().unwrap() < oldest);

    // The CSV export: a header, one line per entry, a file name.
    let response = api
        .http
        .get(format!("{}/api/audit.csv?appointment_id={id}", api.base))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"confide-audit-")
    );
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "id,at,actor_id,actor,action,appointment_id,subject_id,ip,detail"
    );
    assert_eq!(lines.len(), 6, "{csv}");
    assert!(lines[1].contains(",cancelled,"), "{csv}");

    // Attendance: nobody joined yet; no no-show verdict before the room closes.
    let (status, seen) = api
        .get(&format!("/api/appointments/{id}/attendance/"), &doctor)
        .await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["visits"], json!([]));
    assert_eq!(seen["patient_no_show"], Value::Null);
    api.clock.advance(Duration::hours(3));
    let (_, later) = api
        .get(&format!("/api/appointments/{id}/attendance/"), &admin)
        .await;
    assert_eq!(later["patient_no_show"], true);
    assert_eq!(later["session_seconds"], 0);
    api.stop().await;
}

/// A participant's join and leave come from the SFU's room events; the
/// audit entries carry the address of its signaling connection, as token
/// issues carry the address of the API request.
async fn joins_and_leaves_are_audited_with_the_address_they_came_from(backend: api::db::Backend) {
    let api = TestApi::start(backend).await;
    let Booked {
        admin,
        doctor_id,
        doctor,
        id,
        ..
    } = book(&api).await;
    let (status, token) = api
        .get(&format!("/api/appointments/video-token/{id}/"), &doctor)
        .await;
    assert_eq!(status, StatusCode::OK, "{token}");
    let url = format!("{}/rtc", api.base.replacen("http", "ws", 1));
    let mut ws = testkit::signaling::connect(&url).await.unwrap();
    testkit::signaling::join(&mut ws, token["access_token"].as_str().unwrap(), None)
        .await
        .unwrap();
    testkit::signaling::send(&mut ws, &testkit::signaling::leave())
        .await
        .unwrap();

    // Room events reach the audit log on their own task: wait for both.
    let path = format!("/api/audit/?appointment_id={id}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let visits = loop {
        let (_, entries) = api.get(&path, &admin).await;
        let visits: Vec<Value> = entries
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "joined" || e["action"] == "left")
            .cloned()
            .collect();
        if visits.len() == 2 || std::time::Instant::now() > deadline {
            break visits;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let actions: Vec<&str> = visits
        .iter()
        .rev()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["joined", "left"], "{visits:?}");
    for e in &visits {
        assert_eq!(e["actor_id"], doctor_id, "{e}");
        assert_eq!(e["ip"], "127.0.0.1", "{e}");
    }
    api.stop().await;
}

async fn retention_removes_old_entries_and_message_texts(backend: api::db::Backend) {
    let api = TestApi::start_with(backend, |c| {
        c.app.audit_retention_days = 30;
        c.app.message_retention_days = 7;
    })
    .await;
    let admin = api.admin().await;
    let (_, patient) = api.user(&admin, "pat@clinic.test", "patient").await;
    let (doctor_id, _) = api.user(&admin, "smith@clinic.test", "psychologist").await;
    let at = (api.now() + Duration::days(20)).to_rfc3339();
    let (status, _) = api
        .post(
            "/api/appointments/",
            Some(&patient),
            json!({"psychologist_id": doctor_id, "appointment_date": at}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let messages = "/api/notifications/?limit=500";
    let sent = || async {
        let (_, rows) = api.get(messages, &admin).await;
        rows.as_array()
            .unwrap()
            .iter()
            .filter(|r| r["state"] == "sent")
            .cloned()
            .collect::<Vec<Value>>()
    };
    testkit::wait::until("the confirmations to go", || async {
        (sent().await.len() >= 2).then_some(())
    })
    .await
    .expect("the confirmations went");
    assert!(sent().await.iter().all(|r| r["body"].is_string()));
    let state = &api.running.as_ref().unwrap().state;

    // A week later the texts go; the records stay.
    api.clock.advance(Duration::days(8));
    let purged = api::retention::purge(state).await.unwrap();
    assert_eq!(purged.message_texts, 2, "{purged:?}");
    assert_eq!(purged.audit_entries, 0);
    let after = sent().await;
    assert_eq!(after.len(), 2);
    assert!(
        after
            .iter()
            .all(|r| r["body"].is_null() && r["subject"].is_null()),
        "{after:?}"
    );

    // A month on, the audit entries of the first day go.
    api.clock.advance(Duration::days(23));
    let purged = api::retention::purge(state).await.unwrap();
    assert_eq!(purged.audit_entries, 3, "two accounts made and one booking");
    // (The admin's session has run out by now: the table itself.)
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events")
        .fetch_one(&state.db)
        .await
        .unwrap();
    assert_eq!(left, 0);
    api.stop().await;
}
