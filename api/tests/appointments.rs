//! Appointments, rooms and video tokens, on SQLite and PostgreSQL: the
//! happy paths and the authorization matrix.

mod http_support;

use chrono::Duration;
use http_support::TestApi;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

struct Clinic {
    api: TestApi,
    admin: String,
    patient: String,
    patient_id: i64,
    other_patient: String,
    doctor: String,
    doctor_id: i64,
    other_doctor: String,
}

async fn clinic(backend: api::db::Backend) -> Clinic {
    // Tokens and windows here; the waiting room has its own tests.
    let api = TestApi::start_with(backend, |c| c.app.waiting_room = false).await;
    let admin = api.admin().await;
    let (patient_id, patient) = api.user(&admin, "pat@clinic.test", "patient").await;
    let (_, other_patient) = api.user(&admin, "other@clinic.test", "patient").await;
    let (doctor_id, doctor) = api.user(&admin, "smith@clinic.test", "psychologist").await;
    let (_, other_doctor) = api.user(&admin, "jones@clinic.test", "psychologist").await;
    Clinic {
        api,
        admin,
        patient,
        patient_id,
        other_patient,
        doctor,
        doctor_id,
        other_doctor,
    }
}

fn at(api: &TestApi, minutes_from_now: i64) -> String {
    (api.now() + Duration::minutes(minutes_from_now)).to_rfc3339()
}

async fn book(c: &Clinic, minutes_from_now: i64, session_type: &str) -> Value {
    let (status, body) = c
        .api
        .post(
            "/api/appointments/",
            Some(&c.patient),
            json!({"psychologist_id": c.doctor_id, "appointment_date": at(&c.api, minutes_from_now), "session_type": session_type}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn booking_listing_and_overlaps(backend: api::db::Backend) {
    let c = clinic(backend).await;
    let first = book(&c, 24 * 60, "telehealth").await;
    let room = first["video_room_id"].as_str().unwrap();
    let id = first["id"].as_i64().unwrap();
    assert!(
        room.starts_with(&format!("apt-{id}-")) && room.len() == format!("apt-{id}-").len() + 12,
        "{room}"
    );
    assert_eq!(first["duration_minutes"], 50);
    assert_eq!(first["status"], "scheduled");
    assert_eq!(
        first["meeting_url"],
        format!("http://127.0.0.1:8080/video-session/{room}")
    );
    assert_eq!(first["can_join"], false);
    assert_eq!(first["psychologist"]["name"], "smith@clinic.test");
    assert_eq!(first["patient"]["id"], c.patient_id);

    // Overlaps for the psychologist (another patient) and for the patient.
    let (status, body) = c
        .api
        .post(
            "/api/appointments/",
            Some(&c.other_patient),
            json!({"psychologist_id": c.doctor_id, "appointment_date": at(&c.api, 24 * 60 + 30)}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("psychologist"));
    // For a person: a day and a clock time in their zone, not RFC 3339.
    assert!(
        !message.contains(":00Z") && message.contains(" AM") | message.contains(" PM"),
        "{message}"
    );
    let other_doctor_id = c.api.get("/api/me", &c.other_doctor).await.1["id"]
        .as_i64()
        .unwrap();
    let (status, body) = c
        .api
        .post(
            "/api/appointments/",
            Some(&c.patient),
            json!({"psychologist_id": other_doctor_id, "appointment_date": at(&c.api, 24 * 60 - 20)}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["message"].as_str().unwrap().contains("patient"));
    // Back to back is fine.
    let second = book(&c, 24 * 60 + 50, "in_person").await;
    assert!(second["video_room_id"].is_null());

    // Lists: each sees their own, upcoming first; others see nothing of it.
    let (_, mine) = c.api.get("/api/appointments/", &c.patient).await;
    let ids: Vec<i64> = mine
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![id, second["id"].as_i64().unwrap()]);
    let (_, theirs) = c.api.get("/api/appointments/", &c.other_patient).await;
    assert_eq!(theirs, json!([]));
    let (_, doctors) = c
        .api
        .get("/api/appointments/?status=scheduled", &c.doctor)
        .await;
    assert_eq!(doctors.as_array().unwrap().len(), 2);
    let (_, all) = c.api.get("/api/appointments/", &c.admin).await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert_eq!(
        c.api
            .get(&format!("/api/appointments/{id}/"), &c.other_patient)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.api
            .get(&format!("/api/appointments/{id}/"), &c.other_doctor)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.api
            .get(&format!("/api/appointments/{id}/"), &c.doctor)
            .await
            .0,
        StatusCode::OK
    );
    let (status, _) = c
        .api
        .get("/api/appointments/?from=yesterday", &c.patient)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Bad bookings.
    for (body, field) in [
        (
            json!({"psychologist_id": c.doctor_id, "appointment_date": at(&c.api, -60)}),
            "appointment_date",
        ),
        (
            json!({"psychologist_id": c.doctor_id, "appointment_date": "tomorrow"}),
            "appointment_date",
        ),
        (
            json!({"psychologist_id": c.doctor_id, "appointment_date": at(&c.api, 600), "duration_minutes": 5000}),
            "duration_minutes",
        ),
        (
            json!({"psychologist_id": c.patient_id, "appointment_date": at(&c.api, 600)}),
            "psychologist_id",
        ),
        (
            json!({"psychologist_id": c.doctor_id, "appointment_date": at(&c.api, 600), "session_type": "phone"}),
            "session_type",
        ),
    ] {
        let (status, err) = c
            .api
            .post("/api/appointments/", Some(&c.patient), body)
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(err["fields"][field].is_string(), "{err}");
    }
    let (status, _) = c
        .api
        .post("/api/appointments/", Some(&c.patient), json!({"psychologist_id": c.doctor_id, "appointment_date": at(&c.api, 600), "patient_id": 999}))
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "patients book for themselves"
    );
    c.api.stop().await;
}

async fn reschedule_and_cancel(backend: api::db::Backend) {
    let c = clinic(backend).await;
    let a = book(&c, 120, "telehealth").await;
    let id = a["id"].as_i64().unwrap();
    let later = at(&c.api, 300);
    let (status, moved) = c
        .api
        .call(
            Method::PATCH,
            &format!("/api/appointments/{id}/"),
            Some(&c.doctor),
            Some(json!({"appointment_date": later})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["video_room_id"], a["video_room_id"], "the room stays");
    // Nothing to change is refused; the same time again changes nothing and
    // tells nobody.
    let messages = format!("/api/notifications/?appointment_id={id}&limit=500");
    let count = |list: Value| list.as_array().unwrap().len();
    let before = count(c.api.get(&messages, &c.admin).await.1);
    let (status, body) = c
        .api
        .call(
            Method::PATCH,
            &format!("/api/appointments/{id}/"),
            Some(&c.doctor),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, same) = c
        .api
        .call(
            Method::PATCH,
            &format!("/api/appointments/{id}/"),
            Some(&c.doctor),
            Some(json!({"appointment_date": later, "duration_minutes": moved["duration_minutes"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{same}");
    assert_eq!(same["appointment_date"], moved["appointment_date"]);
    assert_eq!(
        count(c.api.get(&messages, &c.admin).await.1),
        before,
        "no \"rescheduled\" messages"
    );
    let (status, _) = c
        .api
        .call(
            Method::PATCH,
            &format!("/api/appointments/{id}/"),
            Some(&c.other_patient),
            Some(json!({"appointment_date": later})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Five hours ahead: too close for the patient to cancel (the clinic's
    // 24-hour policy), with the reason; the psychologist can.
    let (status, refused) = c
        .api
        .call(
            Method::POST,
            &format!("/api/appointments/{id}/cancel/"),
            Some(&c.patient),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .starts_with("within 24 hours of the session, changes go through the clinic"),
        "{refused}"
    );
    let (status, cancelled) = c
        .api
        .call(
            Method::POST,
            &format!("/api/appointments/{id}/cancel/"),
            Some(&c.doctor),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["can_join"], false);
    let (status, _) = c
        .api
        .call(
            Method::PATCH,
            &format!("/api/appointments/{id}/"),
            Some(&c.patient),
            Some(json!({"duration_minutes": 30})),
        )
        .await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(
        c.api
            .get(&format!("/api/appointments/video-token/{id}/"), &c.patient)
            .await
            .0,
        StatusCode::GONE
    );
    // The slot is free again.
    book(&c, 300, "telehealth").await;
    c.api.stop().await;
}

async fn video_rooms_and_tokens(backend: api::db::Backend) {
    let c = clinic(backend).await;
    let a = book(&c, 60, "telehealth").await;
    let id = a["id"].as_i64().unwrap();
    let room = a["video_room_id"].as_str().unwrap().to_owned();

    // The room endpoint is idempotent and in the seed's shape.
    let (status, made) = c
        .api
        .call(
            Method::POST,
            &format!("/api/appointments/video-room/{id}/"),
            Some(&c.patient),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{made}");
    assert_eq!(made["message"], "Video room created successfully");
    assert_eq!(made["room_name"], room.as_str());
    let sid = made["room_sid"].as_str().unwrap();
    assert!(
        sid.len() == 34
            && sid.starts_with("RM")
            && sid[2..]
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    let (_, again) = c
        .api
        .call(
            Method::POST,
            &format!("/api/appointments/video-room/{id}/"),
            Some(&c.doctor),
            None,
        )
        .await;
    assert_eq!(again, made);

    // Too early: 403 saying when it opens.
    let token_path = format!("/api/appointments/video-token/{id}/");
    let (status, early) = c.api.get(&token_path, &c.patient).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{early}");
    assert!(
        early["message"].as_str().unwrap().contains("opens at"),
        "{early}"
    );

    // 15 minutes before: open. The seed's four fields, and whether the
    // browsers encrypt end to end (on by default: two people, no admins).
    c.api.clock.advance(Duration::minutes(46));
    let (status, token) = c.api.get(&token_path, &c.patient).await;
    assert_eq!(status, StatusCode::OK, "{token}");
    let keys: Vec<&String> = token.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        vec![
            "access_token",
            "end_to_end_encryption",
            "expires_in",
            "room_name",
            "user_identity"
        ]
    );
    assert_eq!(token["end_to_end_encryption"], true);
    assert_eq!(token["room_name"], room.as_str());
    assert_eq!(
        token["user_identity"],
        format!("{}-pat@clinic.test", c.patient_id)
    );
    assert_eq!(token["expires_in"], 7200);
    check_twilio_format(&c, token["access_token"].as_str().unwrap(), &room);
    let (_, details) = c
        .api
        .get(&format!("/api/video-sessions/{room}/"), &c.doctor)
        .await;
    assert_eq!(details["id"], id);
    assert_eq!(details["can_join"], true);
    assert_eq!(
        c.api
            .get(&format!("/api/video-sessions/{room}/"), &c.other_patient)
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    // Who may have one.
    assert_eq!(c.api.get(&token_path, &c.doctor).await.0, StatusCode::OK);
    assert_eq!(
        c.api.get(&token_path, &c.other_patient).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.api.get(&token_path, &c.other_doctor).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.api.get(&token_path, &c.admin).await.0,
        StatusCode::FORBIDDEN,
        "admins only when configured"
    );

    // After the end plus grace: closed.
    c.api.clock.advance(Duration::minutes(15 + 50 + 31));
    let (status, late) = c.api.get(&token_path, &c.patient).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        late["message"].as_str().unwrap().contains("closed"),
        "{late}"
    );

    // In person: no room, no token.
    let in_person = book(&c, 24 * 60, "in_person").await;
    let (status, _) = c
        .api
        .get(
            &format!("/api/appointments/video-token/{}/", in_person["id"]),
            &c.patient,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    c.api.stop().await;
}

/// Decodes the access token with a generic JWT library and checks it
/// against Twilio's format; then has the signaling verifier accept it.
fn check_twilio_format(c: &Clinic, token: &str, room: &str) {
    let running = c.api.running.as_ref().unwrap();
    let creds = &running.credentials;
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    assert_eq!(header.cty.as_deref(), Some("twilio-fpa;v=1"));
    assert_eq!(header.alg, jsonwebtoken::Algorithm::HS256);
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    let claims = jsonwebtoken::decode::<Value>(
        token,
        &jsonwebtoken::DecodingKey::from_secret(creds.api_key_secret.as_bytes()),
        &validation,
    )
    .unwrap()
    .claims;
    let now = c.api.now().timestamp();
    assert_eq!(claims["iss"], creds.api_key_sid.as_str());
    assert_eq!(claims["sub"], creds.account_sid.as_str());
    assert_eq!(claims["jti"], format!("{}-{now}", creds.api_key_sid));
    assert_eq!(claims["nbf"], now);
    assert_eq!(claims["exp"], now + 7200);
    assert_eq!(claims["grants"]["video"]["room"], room);
    assert_eq!(
        claims["grants"]["identity"],
        format!("{}-pat@clinic.test", c.patient_id)
    );
    let verifier =
        signaling::token::TokenVerifier::new(creds.account_sid.clone(), vec![creds.api_key()]);
    let grant = verifier.verify(token, now as u64).unwrap();
    assert_eq!(grant.room.as_deref(), Some(room));
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next JSON message, or `None` once the server closed.
async fn next_text(ws: &mut Ws) -> Option<Value> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => return Some(serde_json::from_str(&text).unwrap()),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => continue,
        }
    }
}

/// Joins `/rtc` with `token`; returns the socket and the server's first
/// answer.
async fn join_ws(api: &TestApi, token: &str) -> (Ws, Value) {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    let addr = api.running.as_ref().unwrap().http_addr;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/rtc"))
        .await
        .unwrap();
    let join = json!({"type": "join", "version": 1, "token": token}).to_string();
    ws.send(Message::Text(join.into())).await.unwrap();
    let answer = next_text(&mut ws).await.expect("an answer to the join");
    (ws, answer)
}

/// Joins `/rtc` with `token`; returns the server's first answer.
async fn join_answer(api: &TestApi, token: &str) -> Value {
    join_ws(api, token).await.1
}

/// A 60-minute video appointment, the clock moved into its join window,
/// and the patient's video token.
async fn video_token_in_window(c: &Clinic) -> (Value, String) {
    let a = book(c, 60, "telehealth").await;
    c.api.clock.advance(Duration::minutes(46));
    let (status, token) = c
        .api
        .get(
            &format!("/api/appointments/video-token/{}/", a["id"]),
            &c.patient,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{token}");
    let token = token["access_token"].as_str().unwrap().to_owned();
    (a, token)
}

/// One clock: the API mints a video token on its (manual) clock, and the
/// signaling check on the same clock lets it join — years away from the
/// system's time — until that clock passes the token's expiry.
async fn a_token_joins_on_the_api_clock_until_it_expires(backend: api::db::Backend) {
    let c = clinic(backend).await;
    let (_, token) = video_token_in_window(&c).await;
    let joined = join_answer(&c.api, &token).await;
    assert_eq!(joined["type"], "joined", "{joined}");

    // Past the two-hour lifetime and the verifier's 30 s leeway.
    c.api.clock.advance(Duration::seconds(7200 + 31));
    let refused = join_answer(&c.api, &token).await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["code"], 20104, "expired: {refused}");
}

/// Cancelling an appointment ends its call: whoever is in the room is told
/// 53118 (room completed), a token fetched before no longer gets in, and
/// the REST room is completed.
async fn cancelling_ends_the_call_and_old_tokens(backend: api::db::Backend) {
    let mut c = clinic(backend).await;
    let (a, token) = video_token_in_window(&c).await;
    let (mut ws, joined) = join_ws(&c.api, &token).await;
    assert_eq!(joined["type"], "joined", "{joined}");

    let (status, cancelled) = c
        .api
        .call(
            Method::POST,
            &format!("/api/appointments/{}/cancel/", a["id"]),
            Some(&c.doctor),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    let told = loop {
        let message = next_text(&mut ws).await.expect("told why before the close");
        if message["type"] == "error" {
            break message;
        }
    };
    assert_eq!(told["code"], 53118, "{told}");
    assert_eq!(told["fatal"], true, "{told}");

    let refused = join_answer(&c.api, &token).await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(
        refused["code"], 53118,
        "the old token no longer gets in: {refused}"
    );

    let room = a["video_room_id"].as_str().unwrap();
    let db = &c.api.running.as_ref().unwrap().db;
    let status: String = sqlx::query_scalar("SELECT status FROM rooms WHERE unique_name = $1")
        .bind(room)
        .fetch_one(db)
        .await
        .unwrap();
    assert_eq!(status, "completed");

    // A restart does not forget: the old token still gets 53118, not an
    // ad-hoc room of the same name.
    c.api.restart().await;
    let refused = join_answer(&c.api, &token).await;
    assert_eq!(refused["code"], 53118, "after a restart: {refused}");
    c.api.stop().await;
}

/// A psychologist books follow-ups only for people who have booked with
/// them: any other patient id (a stranger, nobody, a colleague's patient)
/// gets one answer that names no one.
async fn a_psychologist_books_only_their_own_patients(backend: api::db::Backend) {
    let c = clinic(backend).await;
    let follow_up =
        |minutes| json!({"patient_id": c.patient_id, "appointment_date": at(&c.api, minutes)});
    let (status, refused) = c
        .api
        .post("/api/appointments/", Some(&c.doctor), follow_up(600))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let (_, unknown) = c
        .api
        .post(
            "/api/appointments/",
            Some(&c.doctor),
            json!({"patient_id": 99_999, "appointment_date": at(&c.api, 600)}),
        )
        .await;
    assert_eq!(
        refused["fields"], unknown["fields"],
        "a stranger looks like nobody"
    );
    assert!(
        !refused.to_string().contains("pat@clinic.test"),
        "{refused}"
    );

    // Once the patient has booked with them, follow-ups are theirs to book.
    book(&c, 60, "telehealth").await;
    let (status, booked) = c
        .api
        .post("/api/appointments/", Some(&c.doctor), follow_up(24 * 60))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{booked}");
    assert_eq!(booked["patient"]["id"], c.patient_id);
    // Not a colleague's, though.
    let (status, _) = c
        .api
        .post(
            "/api/appointments/",
            Some(&c.other_doctor),
            follow_up(3 * 24 * 60),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Staff book anyone with anyone.
    let (status, _) = c
        .api
        .post(
            "/api/appointments/",
            Some(&c.admin),
            json!({"patient_id": c.patient_id, "psychologist_id": c.doctor_id, "appointment_date": at(&c.api, 5 * 24 * 60)}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    c.api.stop().await;
}

on_both_databases!(
    a_psychologist_books_only_their_own_patients,
    booking_listing_and_overlaps,
    reschedule_and_cancel,
    video_rooms_and_tokens,
    a_token_joins_on_the_api_clock_until_it_expires,
    cancelling_ends_the_call_and_old_tokens
);
