//! The clinic's change policy: patients cancel and ask to move their own
//! sessions until a cutoff before them; a patient's move waits for the
//! psychologist's approval; the reasons are in the API's answers — on
//! SQLite and PostgreSQL.

mod http_support;

use chrono::Duration;
use http_support::TestApi;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_databases!(
    a_patients_move_waits_for_the_psychologist,
    without_approval_a_patient_moves_their_own_session,
);

struct People {
    api: TestApi,
    admin: String,
    patient: String,
    doctor: String,
    doctor_id: i64,
}

async fn people(api: TestApi) -> People {
    let admin = api.admin().await;
    let (_, patient) = api.user(&admin, "pat@clinic.test", "patient").await;
    let (doctor_id, doctor) = api.user(&admin, "smith@clinic.test", "psychologist").await;
    People {
        api,
        admin,
        patient,
        doctor,
        doctor_id,
    }
}

fn in_hours(api: &TestApi, hours: i64) -> String {
    (api.now() + Duration::hours(hours)).to_rfc3339()
}

impl People {
    async fn book(&self, hours: i64) -> i64 {
        let (status, body) = self
            .api
            .post(
                "/api/appointments/",
                Some(&self.patient),
                json!({"psychologist_id": self.doctor_id, "appointment_date": in_hours(&self.api, hours)}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_i64().unwrap()
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        who: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.api.call(method, path, Some(who), body).await
    }

    async fn rescheduled_notices(&self, id: i64) -> usize {
        let (_, rows) = self
            .api
            .get(
                &format!("/api/notifications/?appointment_id={id}&limit=500"),
                &self.admin,
            )
            .await;
        rows.as_array()
            .unwrap()
            .iter()
            .filter(|r| r["stage"] == "rescheduled")
            .count()
    }
}

async fn a_patients_move_waits_for_the_psychologist(backend: api::db::Backend) {
    let c = people(TestApi::start(backend).await).await;
    let id = c.book(72).await;
    let path = format!("/api/appointments/{id}/");
    let (_, mine) = c.api.get(&path, &c.patient).await;
    assert_eq!(mine["can_reschedule"], true);
    assert_eq!(mine["reschedule_needs_approval"], true);
    assert_eq!(mine["can_cancel"], true);
    assert_eq!(mine["change_blocked_reason"], Value::Null);

    // The patient asks: 202, the time stays, the request waits.
    let wanted = in_hours(&c.api, 96);
    let (status, asked) = c
        .call(
            Method::PATCH,
            &path,
            &c.patient,
            Some(json!({"appointment_date": wanted})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{asked}");
    assert_eq!(asked["appointment_date"], mine["appointment_date"]);
    let request = &asked["change_request"];
    assert_eq!(request["duration_minutes"], 50);
    assert_eq!(
        request["can_approve"], false,
        "not the patient's to approve"
    );
    assert_eq!(
        c.rescheduled_notices(id).await,
        0,
        "nobody is told of a request"
    );
    let (_, seen) = c.api.get(&path, &c.doctor).await;
    assert_eq!(seen["change_request"]["can_approve"], true);
    assert_eq!(
        seen["change_request"]["appointment_date"],
        asked["change_request"]["appointment_date"]
    );
    let approve = format!("/api/appointments/{id}/change-request/approve/");
    let decline = format!("/api/appointments/{id}/change-request/decline/");
    let (status, _) = c.call(Method::POST, &approve, &c.patient, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The psychologist approves: it moves, with its notices.
    let (status, moved) = c.call(Method::POST, &approve, &c.doctor, None).await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["appointment_date"], request["appointment_date"]);
    assert_eq!(moved["change_request"], Value::Null);
    assert!(c.rescheduled_notices(id).await >= 2, "both are told");
    let (status, none) = c.call(Method::POST, &approve, &c.doctor, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{none}");

    // Asked again and withdrawn; a time that clashes is refused at once.
    let (status, _) = c
        .call(
            Method::PATCH,
            &path,
            &c.patient,
            Some(json!({"appointment_date": in_hours(&c.api, 120)})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, withdrawn) = c.call(Method::POST, &decline, &c.patient, None).await;
    assert_eq!(status, StatusCode::OK, "{withdrawn}");
    assert_eq!(withdrawn["change_request"], Value::Null);
    assert_eq!(withdrawn["appointment_date"], moved["appointment_date"]);
    let other = c.book(150).await;
    let (status, clash) = c
        .call(
            Method::PATCH,
            &path,
            &c.patient,
            Some(json!({"appointment_date": in_hours(&c.api, 150)})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{clash}");
    assert!(other > id);

    // Within a day of the session the patient cannot change it, and is
    // told why before trying; the psychologist still can.
    c.api.clock.advance(Duration::hours(80));
    let (_, close) = c.api.get(&path, &c.patient).await;
    assert_eq!(close["can_reschedule"], false);
    assert_eq!(close["can_cancel"], false);
    let reason = close["change_blocked_reason"].as_str().unwrap();
    assert!(
        reason.contains("within 24 hours") && reason.contains("smith@clinic.test"),
        "{reason}"
    );
    let (status, refused) = c
        .call(
            Method::PATCH,
            &path,
            &c.patient,
            Some(json!({"duration_minutes": 30})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(refused["message"], reason);
    let (status, _) = c
        .call(
            Method::POST,
            &format!("/api/appointments/{id}/cancel/"),
            &c.patient,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, shorter) = c
        .call(
            Method::PATCH,
            &path,
            &c.doctor,
            Some(json!({"duration_minutes": 30})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{shorter}");
    assert_eq!(shorter["duration_minutes"], 30);
    c.api.stop().await;
}

async fn without_approval_a_patient_moves_their_own_session(backend: api::db::Backend) {
    let api = TestApi::start_with(backend, |config| {
        config.app.patient_moves_need_approval = false;
        config.app.patient_change_cutoff_hours = 2;
    })
    .await;
    let c = people(api).await;
    let id = c.book(5).await;
    let path = format!("/api/appointments/{id}/");
    let wanted = in_hours(&c.api, 6);
    let (status, moved) = c
        .call(
            Method::PATCH,
            &path,
            &c.patient,
            Some(json!({"appointment_date": wanted})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["reschedule_needs_approval"], false);
    assert_eq!(moved["change_request"], Value::Null);
    c.api.clock.advance(Duration::hours(5));
    let (_, close) = c.api.get(&path, &c.patient).await;
    assert!(
        close["change_blocked_reason"]
            .as_str()
            .unwrap()
            .starts_with("within 2 hours of the session"),
        "{close}"
    );
    c.api.stop().await;
}
