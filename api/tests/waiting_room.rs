//! The waiting room: a patient gets no video token until the psychologist
//! lets them in; the psychologist's note and decisions reach the waiting
//! page as they happen — on SQLite and PostgreSQL.

mod http_support;

use chrono::Duration;
use http_support::TestApi;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_databases!(
    a_patient_waits_until_let_in,
    without_a_waiting_room_patients_join_directly,
);

struct Session {
    api: TestApi,
    patient: String,
    doctor: String,
    id: i64,
}

async fn session(api: TestApi) -> Session {
    let admin = api.admin().await;
    let (_, patient) = api.user(&admin, "pat@clinic.test", "patient").await;
    let (doctor_id, doctor) = api.user(&admin, "smith@clinic.test", "psychologist").await;
    let at = (api.now() + Duration::minutes(10)).to_rfc3339();
    let (status, booked) = api
        .post(
            "/api/appointments/",
            Some(&patient),
            json!({"psychologist_id": doctor_id, "appointment_date": at}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{booked}");
    Session {
        id: booked["id"].as_i64().unwrap(),
        api,
        patient,
        doctor,
    }
}

impl Session {
    async fn post(&self, action: &str, who: &str, body: Option<Value>) -> (StatusCode, Value) {
        let path = format!("/api/appointments/{}/waiting-room/{action}/", self.id);
        self.api.call(Method::POST, &path, Some(who), body).await
    }

    async fn token(&self, who: &str) -> (StatusCode, Value) {
        let path = format!("/api/appointments/video-token/{}/", self.id);
        self.api.get(&path, who).await
    }

    fn news_path(&self, seen: Option<i64>) -> String {
        let mut path = format!("/api/appointments/{}/waiting-room/", self.id);
        if let Some(seen) = seen {
            path.push_str(&format!("?seen={seen}"));
        }
        path
    }
}

async fn a_patient_waits_until_let_in(backend: api::db::Backend) {
    let s = session(TestApi::start(backend).await).await;
    // The psychologist never waits; the patient does.
    assert_eq!(s.token(&s.doctor).await.0, StatusCode::OK);
    let (status, refused) = s.token(&s.patient).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert_eq!(
        refused["message"],
        "smith@clinic.test will let you in shortly: wait on the session's page"
    );
    let (status, waiting) = s.post("arrive", &s.patient, None).await;
    assert_eq!(status, StatusCode::OK, "{waiting}");
    assert_eq!(waiting["waiting"], true);
    assert_eq!(waiting["admitted"], false);
    assert_eq!(waiting["psychologist_name"], "smith@clinic.test");
    let (_, seen) = s.api.get(&s.news_path(None), &s.doctor).await;
    assert_eq!(seen["waiting"], true, "the psychologist sees who waits");
    assert_eq!(seen["patient_first_name"], "pat@clinic.test");
    let version = seen["version"].as_i64().unwrap();

    // The waiting page asks for news and hears the note when it is left.
    let poll = {
        let (http, url, token) = (
            s.api.http.clone(),
            format!("{}{}", s.api.base, s.news_path(Some(version))),
            s.patient.clone(),
        );
        tokio::spawn(async move {
            let answer = http.get(url).bearer_auth(token).send().await.unwrap();
            answer.json::<Value>().await.unwrap()
        })
    };
    let note = "Running 5 minutes late, sorry!";
    let (status, noted) = s.post("note", &s.doctor, Some(json!({"note": note}))).await;
    assert_eq!(status, StatusCode::OK, "{noted}");
    let news = poll.await.unwrap();
    assert_eq!(news["note"], note, "{news}");
    assert!(news["version"].as_i64().unwrap() > version);
    assert_eq!(news["waiting"], true);
    let (status, _) = s
        .post("note", &s.patient, Some(json!({"note": "hi"})))
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "only the psychologist leaves notes"
    );
    let long = "x".repeat(281);
    let (status, _) = s.post("note", &s.doctor, Some(json!({"note": long}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = s.post("admit", &s.patient, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no letting oneself in");

    // The patient closes the page: nobody waits; the psychologist's
    // "leave" changes nothing; coming back waits again, the note kept.
    let (_, before) = s.api.get(&s.news_path(None), &s.doctor).await;
    let (status, left) = s.post("leave", &s.patient, None).await;
    assert_eq!(status, StatusCode::OK, "{left}");
    assert_eq!(left["waiting"], false);
    assert!(left["version"].as_i64().unwrap() > before["version"].as_i64().unwrap());
    let (_, seen) = s.api.get(&s.news_path(None), &s.doctor).await;
    assert_eq!(
        seen["waiting"], false,
        "the psychologist no longer sees them wait"
    );
    let (_, same) = s.post("leave", &s.doctor, None).await;
    assert_eq!(same["version"], seen["version"], "only the patient leaves");
    let (_, back) = s.post("arrive", &s.patient, None).await;
    assert_eq!(back["waiting"], true);
    assert_eq!(back["note"], note);

    // Let in: the token comes; arriving again (a reload) keeps them in.
    let (status, admitted) = s.post("admit", &s.doctor, None).await;
    assert_eq!(status, StatusCode::OK, "{admitted}");
    assert_eq!(admitted["admitted"], true);
    assert_eq!(admitted["waiting"], false);
    assert_eq!(s.token(&s.patient).await.0, StatusCode::OK);
    let (_, again) = s.post("arrive", &s.patient, None).await;
    assert_eq!(again["admitted"], true);
    // Closing the page once let in keeps the admission (a drop and back).
    let (_, kept) = s.post("leave", &s.patient, None).await;
    assert_eq!(kept["admitted"], true);
    assert_eq!(s.token(&s.patient).await.0, StatusCode::OK);

    // Removed: no token until let in again; arriving again waits again.
    let (status, removed) = s.post("remove", &s.doctor, None).await;
    assert_eq!(status, StatusCode::OK, "{removed}");
    assert_eq!(removed["removed"], true);
    assert_eq!(removed["admitted"], false);
    assert_eq!(s.token(&s.patient).await.0, StatusCode::FORBIDDEN);
    let (_, back) = s.post("arrive", &s.patient, None).await;
    assert_eq!(
        (back["waiting"].clone(), back["removed"].clone()),
        (json!(true), json!(false))
    );
    s.post("admit", &s.doctor, None).await;
    assert_eq!(s.token(&s.patient).await.0, StatusCode::OK);

    // Moved to later: admission was for the old time.
    let later = (s.api.now() + Duration::minutes(5)).to_rfc3339();
    let (status, moved) = s
        .api
        .call(
            Method::PATCH,
            &format!("/api/appointments/{}/", s.id),
            Some(&s.doctor),
            Some(json!({"appointment_date": later})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(s.token(&s.patient).await.0, StatusCode::FORBIDDEN);
    let (_, fresh) = s.api.get(&s.news_path(None), &s.patient).await;
    assert_eq!(fresh["admitted"], false);
    assert_eq!(fresh["note"], Value::Null);
    s.api.stop().await;
}

async fn without_a_waiting_room_patients_join_directly(backend: api::db::Backend) {
    let api = TestApi::start_with(backend, |c| c.app.waiting_room = false).await;
    let s = session(api).await;
    assert_eq!(s.token(&s.patient).await.0, StatusCode::OK);
    let (status, body) = s.post("arrive", &s.patient, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("no waiting room")
    );
    s.api.stop().await;
}
