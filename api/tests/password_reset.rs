//! Getting back in: password resets by e-mail (through the real SMTP mock
//! on 127.0.0.1), self sign-up as a clinic setting, and what the sign-in
//! page may know before anyone signs in — on SQLite and PostgreSQL.

mod http_support;
mod notify_support;

use chrono::Duration;
use http_support::TestApi;
use notify_support::Mocks;
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_databases!(
    a_reset_link_sets_a_new_password_once_and_ends_every_session,
    self_sign_up_is_the_clinics_choice_and_links_say_when,
);

const OLD: &str = "correct horse battery";
const NEW: &str = "a much newer passphrase";

/// The secret of the reset link in an e-mail's text.
fn secret(email: &Value) -> String {
    let text = email["text"].as_str().unwrap();
    let at = text.find("#token=").expect("a reset link") + "#token=".len();
    text[at..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

async fn ask(api: &TestApi, email: &str) -> (StatusCode, Value) {
    api.post("/api/auth/password-reset", None, json!({"email": email}))
        .await
}

async fn complete(api: &TestApi, token: &str, password: &str) -> (StatusCode, Value) {
    api.post(
        "/api/auth/password-reset/complete",
        None,
        json!({"token": token, "password": password}),
    )
    .await
}

async fn a_reset_link_sets_a_new_password_once_and_ends_every_session(backend: api::db::Backend) {
    let mocks = Mocks::start();
    let notifications = mocks.config();
    let api = TestApi::start_with(backend, |c| c.notifications = notifications).await;
    let admin = api.admin().await;
    let (_, before) = api.user(&admin, "ana@clinic.test", "patient").await;

    // An address nobody uses gets the same answer, and no e-mail.
    let (status, nobody) = ask(&api, "nobody@clinic.test").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{nobody}");
    let (status, ana) = ask(&api, "  Ana@Clinic.test ").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{ana}");
    assert_eq!(nobody, ana, "the answer says nothing about accounts");
    let (emails, _) = mocks.wait_for(1, 0).await;
    assert_eq!(emails.len(), 1, "{emails:?}");
    let email = &emails[0];
    assert_eq!(email["rcpt_tos"][0], "ana@clinic.test");
    assert!(
        email["subject"].as_str().unwrap().contains("new password"),
        "{email}"
    );
    let token = secret(email);
    assert!(token.len() >= 32, "{token}");
    // The link was on the queue row only until it was sent.
    let db = &api.running.as_ref().unwrap().db;
    let kept: Vec<(Option<String>, String)> =
        sqlx::query_as("SELECT link, state FROM account_emails")
            .fetch_all(db)
            .await
            .unwrap();
    assert_eq!(kept, [(None, "sent".to_owned())]);

    // A weak password is refused and the link still works after.
    let (status, weak) = complete(&api, &token, "short").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{weak}");
    assert!(weak["fields"]["password"].is_string(), "{weak}");
    let (status, session) = complete(&api, &token, NEW).await;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert_eq!(session["user"]["email"], "ana@clinic.test");
    let fresh = session["access_token"].as_str().unwrap();
    assert_eq!(api.get("/api/me", fresh).await.0, StatusCode::OK);
    // Every other session ended; the old password is gone; the new one works.
    assert_eq!(
        api.get("/api/me", &before).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = api
        .post(
            "/api/auth/login",
            None,
            json!({"email": "ana@clinic.test", "password": OLD}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    api.login("ana@clinic.test", NEW).await;
    // Once only.
    let (status, again) = complete(&api, &token, "yet another passphrase").await;
    assert_eq!(status, StatusCode::GONE, "{again}");
    assert!(
        again["message"]
            .as_str()
            .unwrap()
            .contains("ask for a new one")
    );
    let (status, _) = complete(&api, "not-a-real-secret", NEW).await;
    assert_eq!(status, StatusCode::GONE);

    // A link used after its hour has run out is refused.
    assert_eq!(ask(&api, "ana@clinic.test").await.0, StatusCode::ACCEPTED);
    let (emails, _) = mocks.wait_for(2, 0).await;
    let late = secret(&emails[1]);
    api.clock.advance(Duration::minutes(61));
    let (status, expired) = complete(&api, &late, "yet another passphrase").await;
    assert_eq!(status, StatusCode::GONE, "{expired}");
    api.login("ana@clinic.test", NEW).await;

    // Three e-mails an hour to one address, whoever asks; then 429.
    assert_eq!(ask(&api, "ana@clinic.test").await.0, StatusCode::ACCEPTED);
    let (status, refused) = ask(&api, "ana@clinic.test").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{refused}");
    let (status, bad) = ask(&api, "not an address").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    api.stop().await;
}

async fn self_sign_up_is_the_clinics_choice_and_links_say_when(backend: api::db::Backend) {
    let api = TestApi::start_with(backend, |c| {
        c.app.self_sign_up = false;
        c.notifications.clinic_name = "Harbour Therapy".into();
    })
    .await;
    let (status, clinic) = api
        .call(reqwest::Method::GET, "/api/clinic", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        clinic,
        json!({"name": "Harbour Therapy", "self_sign_up": false, "waiting_room": true})
    );
    let (status, refused) = api
        .post(
            "/api/auth/register",
            None,
            json!({"email": "pat@example.com", "password": OLD, "name": "Pat", "time_zone": "Europe/Lisbon"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("ask the clinic"),
        "{refused}"
    );

    // A reminder's link: the sign-in page learns when, and nothing more.
    let admin = api.admin().await;
    let (_, patient) = api.user(&admin, "ana@clinic.test", "patient").await;
    let (doctor, _) = api.user(&admin, "smith@clinic.test", "psychologist").await;
    let at = (api.now() + Duration::days(3)).to_rfc3339();
    let (status, booked) = api
        .post(
            "/api/appointments/",
            Some(&patient),
            json!({"psychologist_id": doctor, "appointment_date": at}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{booked}");
    let room = booked["video_room_id"].as_str().unwrap();
    let (status, invitation) = api
        .call(
            reqwest::Method::GET,
            &format!("/api/clinic/sessions/{room}"),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{invitation}");
    assert_eq!(invitation["starts_at"], booked["appointment_date"]);
    assert_eq!(invitation["status"], "scheduled");
    assert_eq!(
        invitation.as_object().unwrap().len(),
        3,
        "no names: {invitation}"
    );
    let (status, _) = api
        .call(
            reqwest::Method::GET,
            "/api/clinic/sessions/apt-1-000000000000",
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A production install without SMTP never logs a live reset link: the
    // message is recorded as failed, saying why.
    assert_eq!(ask(&api, "ana@clinic.test").await.0, StatusCode::ACCEPTED);
    let db = api.running.as_ref().unwrap().db.clone();
    let failed = testkit::wait::until("the reset e-mail to fail", || async {
        let row: Option<(String, Option<String>)> =
            sqlx::query_as("SELECT state, last_error FROM account_emails WHERE state <> 'pending' AND state <> 'sending'")
                .fetch_optional(&db)
                .await
                .unwrap();
        row
    })
    .await
    .expect("settled");
    assert_eq!(failed.0, "failed");
    assert!(failed.1.unwrap().contains("no SMTP server"));
    api.stop().await;
}
