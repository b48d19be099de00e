//! One-time sign-in links in a patient's reminders (`app.magic_links`):
//! the link signs the patient in once, into their session only, until its
//! room closes; nothing stored or shown keeps the key — on SQLite and
//! PostgreSQL, with the real dispatcher and an SMTP server on 127.0.0.1.

mod http_support;
mod notify_support;

use chrono::Duration;
use http_support::TestApi;
use notify_support::Mocks;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_databases!(a_reminder_link_opens_its_session_once_and_nothing_else);

fn key_in(email: &Value) -> Option<String> {
    let text = email["text"].as_str().unwrap();
    let at = text.find("#key=")? + "#key=".len();
    Some(
        text[at..]
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect(),
    )
}

async fn a_reminder_link_opens_its_session_once_and_nothing_else(backend: api::db::Backend) {
    let mocks = Mocks::start();
    let notifications = mocks.config();
    let api = TestApi::start_with(backend, |c| {
        c.notifications = notifications;
        c.app.magic_links = true;
    })
    .await;
    let admin = api.admin().await;
    let (_, patient) = api.user(&admin, "pat@clinic.test", "patient").await;
    let (doctor_id, doctor) = api.user(&admin, "smith@clinic.test", "psychologist").await;
    let book = |hours: i64| {
        let (api, patient) = (&api, patient.clone());
        async move {
            let at = (api.now() + Duration::hours(hours)).to_rfc3339();
            let (status, booked) = api
                .post(
                    "/api/appointments/",
                    Some(&patient),
                    json!({"psychologist_id": doctor_id, "appointment_date": at}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{booked}");
            booked
        }
    };
    let booked = book(2).await;
    let other = book(48).await;
    let id = booked["id"].as_i64().unwrap();
    let (emails, _) = mocks.wait_for(4, 0).await;
    let to = |who: &str, room: &Value| {
        emails
            .iter()
            .find(|e| {
                e["rcpt_tos"][0] == who
                    && e["text"].as_str().unwrap().contains(room.as_str().unwrap())
            })
            .cloned()
            .unwrap()
    };
    let mine = to("pat@clinic.test", &booked["video_room_id"]);
    let key = key_in(&mine).expect("the patient's link carries a key");
    assert_eq!(
        key_in(&to("smith@clinic.test", &booked["video_room_id"])),
        None,
        "psychologists sign in"
    );
    let ics = mine["calendar"].as_str().unwrap_or_default();
    assert!(!ics.contains(&key), "a calendar entry keeps no key");
    // Nothing stored or shown keeps it.
    let (_, rows) = api
        .get(&format!("/api/notifications/?appointment_id={id}"), &admin)
        .await;
    for row in rows.as_array().unwrap() {
        let body = row["body"].as_str().unwrap_or_default();
        assert!(!body.contains(&key), "{body}");
        if row["recipient_email"] == "pat@clinic.test" {
            assert!(body.contains("#key=(one-time key)"), "{body}");
        }
    }

    let redeem = |key: String| {
        let api = &api;
        async move {
            api.post("/api/auth/sign-in-link", None, json!({"key": key}))
                .await
        }
    };
    let (status, session) = redeem(key.clone()).await;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert_eq!(session["appointment_id"], id);
    assert_eq!(session["user"]["email"], "pat@clinic.test");
    let bound = session["access_token"].as_str().unwrap().to_owned();
    // Its session, and nothing else.
    let room = booked["video_room_id"].as_str().unwrap();
    for path in [
        "/api/me".to_owned(),
        format!("/api/appointments/{id}/"),
        format!("/api/video-sessions/{room}/"),
        format!("/api/appointments/{id}/waiting-room/"),
    ] {
        assert_eq!(api.get(&path, &bound).await.0, StatusCode::OK, "{path}");
    }
    let (status, arrived) = api
        .post(
            &format!("/api/appointments/{id}/waiting-room/arrive/"),
            Some(&bound),
            json!(null),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{arrived}");
    let other_id = other["id"].as_i64().unwrap();
    for path in [
        "/api/appointments/".to_owned(),
        format!("/api/appointments/{other_id}/"),
        "/api/users/?role=psychologist".to_owned(),
        format!(
            "/api/video-sessions/{}/",
            other["video_room_id"].as_str().unwrap()
        ),
    ] {
        let (status, refused) = api.get(&path, &bound).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {refused}");
    }
    let (status, _) = api
        .call(
            Method::PATCH,
            &format!("/api/appointments/{id}/"),
            Some(&bound),
            Some(json!({"duration_minutes": 30})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no changes through a link");
    // Once only.
    let (status, again) = redeem(key.clone()).await;
    assert_eq!(status, StatusCode::GONE, "{again}");
    assert_eq!(redeem("0".repeat(64)).await.0, StatusCode::GONE);

    // Let in, the patient gets the token through the link's session.
    let admit = format!("/api/appointments/{id}/waiting-room/admit/");
    api.post(&admit, Some(&doctor), json!(null)).await;
    api.clock.advance(Duration::minutes(110));
    let (status, token) = api
        .get(&format!("/api/appointments/video-token/{id}/"), &bound)
        .await;
    assert_eq!(status, StatusCode::OK, "{token}");

    // The session ends when the room closes (2 h away + 50 min + 30 after the end).
    api.clock.advance(Duration::minutes(95));
    let (status, _) = api.get("/api/me", &bound).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, log) = api
        .get("/api/audit/?action=signed_in_with_link", &admin)
        .await;
    assert_eq!(log.as_array().unwrap().len(), 1, "{log}");
    api.stop().await;
}
