//! Confirmations and reminders end to end: the real dispatcher sends to a
//! real SMTP server and a WhatsApp Cloud API mock (both on 127.0.0.1), while
//! the tests move a manual clock along the appointment's timeline.

mod http_support;
mod notify_support;

use std::collections::HashMap;

use api::db::Backend;
use chrono::{DateTime, Duration, Utc};
use http_support::TestApi;
use notify_support::{Mocks, PHONE_NUMBER_ID, WHATSAPP_TOKEN, ics_value, wa_parameters};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_databases!(
    the_whole_timeline_reaches_both_people_on_both_channels,
    a_reschedule_moves_reminders_and_a_cancel_stops_them,
    a_late_booking_skips_past_reminders_and_keeps_the_15_minute_one,
    after_downtime_only_useful_reminders_go,
    whatsapp_and_smtp_failures_are_retried_or_recorded,
    without_providers_messages_land_in_the_dev_outbox,
    the_due_query_uses_its_index,
);

struct Clinic {
    api: TestApi,
    mocks: Mocks,
    admin: String,
    patient: (i64, String),
    doctor: (i64, String),
}

impl Clinic {
    async fn open(backend: Backend) -> Clinic {
        let mocks = Mocks::start();
        let config = mocks.config();
        Self::open_with(backend, mocks, |c| c.notifications = config).await
    }

    async fn open_with(
        backend: Backend,
        mocks: Mocks,
        tweak: impl FnOnce(&mut api::config::Config),
    ) -> Clinic {
        let api = TestApi::start_with(backend, tweak).await;
        let admin = api.admin().await;
        let patient = person(
            &api,
            &admin,
            "ana@clinic.test",
            "Ana Souza",
            "patient",
            "America/Sao_Paulo",
            "+5511987654321",
        )
        .await;
        let doctor = person(
            &api,
            &admin,
            "smith@clinic.test",
            "Dr. Smith",
            "psychologist",
            "America/New_York",
            "+12125550123",
        )
        .await;
        Clinic {
            api,
            mocks,
            admin,
            patient,
            doctor,
        }
    }

    async fn book(&self, starts_at: &str) -> Value {
        let (status, booked) = self
            .api
            .post(
                "/api/appointments/",
                Some(&self.patient.1),
                json!({"appointment_date": starts_at, "psychologist_id": self.doctor.0}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{booked}");
        booked
    }

    async fn at(&self, when: DateTime<Utc>) {
        self.api.clock.set(when);
        self.api
            .running
            .as_ref()
            .unwrap()
            .reminder_wake
            .notify_one();
    }

    /// The outbox rows of an appointment, oldest first.
    async fn rows(&self, appointment: i64) -> Vec<Value> {
        let (status, rows) = self
            .api
            .get(
                &format!("/api/notifications/?appointment_id={appointment}&limit=500"),
                &self.admin,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{rows}");
        let mut rows = rows.as_array().unwrap().clone();
        rows.reverse();
        rows
    }

    /// Waits for at least this many emails and WhatsApp requests, then
    /// until the dispatcher has nothing due or in flight, so that a surplus
    /// would show; returns what the mocks hold.
    async fn wait_for(&self, emails: usize, whatsapp: usize) -> (Vec<Value>, Vec<Value>) {
        self.mocks.wait_for(emails, whatsapp).await;
        self.settled().await
    }

    async fn settled(&self) -> (Vec<Value>, Vec<Value>) {
        let db = &self.api.running.as_ref().unwrap().db;
        testkit::wait::eventually("nothing due or in flight", || async {
            let busy: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM notifications WHERE state = 'sending' OR (state = 'pending' AND next_attempt_at <= $1)",
            )
            .bind(self.api.now().timestamp())
            .fetch_one(db)
            .await
            .unwrap();
            busy == 0
        })
        .await;
        (self.mocks.emails().await, self.mocks.whatsapp().await)
    }

    async fn close(self) {
        self.api.stop().await;
    }
}

async fn person(
    api: &TestApi,
    admin: &str,
    email: &str,
    name: &str,
    role: &str,
    zone: &str,
    phone: &str,
) -> (i64, String) {
    let (status, created) = api
        .post(
            "/api/users/",
            Some(admin),
            json!({"email": email, "password": "correct horse battery", "name": name, "role": role,
                   "time_zone": zone, "phone": phone, "whatsapp_opt_in": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    (
        created["id"].as_i64().unwrap(),
        api.login(email, "correct horse battery").await,
    )
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn to(email: &Value) -> String {
    email["rcpt_tos"][0].as_str().unwrap().to_owned()
}

fn template(request: &Value) -> String {
    request["body"]["template"]["name"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Stage of each delivered email, from its Message-ID (one per outbox row).
fn email_stages(emails: &[Value], rows: &[Value]) -> Vec<String> {
    let by_id: HashMap<String, String> = rows
        .iter()
        .map(|r| {
            (
                format!("<notification-{}@127.0.0.1>", r["id"]),
                r["stage"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    emails
        .iter()
        .map(|e| {
            by_id
                .get(e["message_id"].as_str().unwrap())
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

async fn the_whole_timeline_reaches_both_people_on_both_channels(backend: Backend) {
    let clinic = Clinic::open(backend).await;
    let booked = clinic.book("2030-03-07T14:00:00Z").await;
    let id = booked["id"].as_i64().unwrap();
    let link = booked["meeting_url"].as_str().unwrap().to_owned();

    // Booking: the confirmation, at once.
    let (emails, whatsapp) = clinic.wait_for(2, 2).await;
    assert_eq!((emails.len(), whatsapp.len()), (2, 2));
    let ana = emails
        .iter()
        .find(|e| to(e) == "ana@clinic.test")
        .expect("ana's email");
    let smith = emails
        .iter()
        .find(|e| to(e) == "smith@clinic.test")
        .expect("smith's email");
    assert_eq!(
        ana["subject"],
        "Your video appointment is booked: Thursday, March 7 at 11:00 AM"
    );
    assert_eq!(
        smith["subject"],
        "Your video appointment is booked: Thursday, March 7 at 9:00 AM"
    );
    assert_eq!(ana["mail_from"], "reminders@clinic.test");
    assert_eq!(ana["content_type"], "multipart/alternative");
    let text = ana["text"].as_str().unwrap();
    for expected in [
        "Hello Ana Souza",
        "Thursday, March 7 at 11:00 AM (UTC-03)",
        "Dr. Smith",
        "50 minutes",
        &link,
        "Join 5 minutes early!",
    ] {
        assert!(text.contains(expected), "{expected:?} in {text}");
    }
    assert!(smith["text"].as_str().unwrap().contains("9:00 AM (EST)"));
    assert!(
        smith["text"]
            .as_str()
            .unwrap()
            .contains("A video session with Ana is booked")
    );
    assert!(
        ana["html"]
            .as_str()
            .unwrap()
            .contains(&format!("href=\"{link}\""))
    );
    assert_eq!(ana["calendar_method"], "REQUEST");
    let uid = format!("appointment-{id}@127.0.0.1");
    assert_eq!(ics_value(ana, "METHOD").as_deref(), Some("REQUEST"));
    assert_eq!(ics_value(ana, "UID"), Some(uid.clone()));
    assert_eq!(ics_value(ana, "SEQUENCE").as_deref(), Some("0"));
    assert_eq!(
        ics_value(ana, "DTSTART").as_deref(),
        Some("20300307T140000Z")
    );
    assert_eq!(ics_value(ana, "DTEND").as_deref(), Some("20300307T145000Z"));
    assert_eq!(ics_value(ana, "URL"), Some(link.clone()));
    assert_eq!(ics_value(ana, "LOCATION"), Some(link.clone()));
    assert_eq!(
        ics_value(ana, "ORGANIZER").as_deref(),
        Some("mailto:reminders@clinic.test")
    );
    assert_eq!(
        ics_value(ana, "ATTENDEE").as_deref(),
        Some("mailto:ana@clinic.test")
    );
    assert!(ics_value(ana, "DTSTAMP").is_some());
    assert_eq!(ics_value(smith, "UID"), Some(uid));

    let request = whatsapp
        .iter()
        .find(|r| r["body"]["to"] == "5511987654321")
        .expect("ana's WhatsApp");
    assert_eq!(
        request["path"],
        format!("/v23.0/{PHONE_NUMBER_ID}/messages")
    );
    assert_eq!(request["authorization"], format!("Bearer {WHATSAPP_TOKEN}"));
    assert_eq!(request["body"]["messaging_product"], "whatsapp");
    assert_eq!(request["body"]["type"], "template");
    assert_eq!(template(request), "confide_confirmation");
    assert_eq!(request["body"]["template"]["language"]["code"], "en_US");
    assert_eq!(
        wa_parameters(request),
        [
            "Ana Souza",
            "Thursday, March 7",
            "11:00 AM (UTC-03)",
            "Dr. Smith",
            "50",
            &link
        ]
    );
    assert!(whatsapp.iter().any(|r| r["body"]["to"] == "12125550123"));

    // Nothing more until the 24-hour mark.
    let start = utc("2030-03-07T14:00:00Z");
    clinic
        .at(start - Duration::hours(24) - Duration::minutes(1))
        .await;
    let (emails, whatsapp) = clinic.settled().await;
    assert_eq!((emails.len(), whatsapp.len()), (2, 2), "nothing is early");

    for (stage, lead, count) in [
        ("reminder_24h", Duration::hours(24), 4),
        ("reminder_1h", Duration::hours(1), 6),
        ("reminder_15m", Duration::minutes(15), 8),
    ] {
        clinic.at(start - lead).await;
        let (emails, whatsapp) = clinic.wait_for(count, count).await;
        assert_eq!((emails.len(), whatsapp.len()), (count, count), "{stage}");
        let new_wa: Vec<String> = whatsapp[count - 2..].iter().map(template).collect();
        assert_eq!(
            new_wa,
            [format!("confide_{stage}"), format!("confide_{stage}")]
        );
    }
    let (emails, whatsapp) = clinic.settled().await;
    assert_eq!(
        (emails.len(), whatsapp.len()),
        (8, 8),
        "exactly the expected messages"
    );
    let rows = clinic.rows(id).await;
    let stages = email_stages(&emails, &rows);
    let order = [
        "confirmation",
        "confirmation",
        "reminder_24h",
        "reminder_24h",
        "reminder_1h",
        "reminder_1h",
        "reminder_15m",
        "reminder_15m",
    ];
    assert_eq!(stages, order);
    let recipients: Vec<String> = emails.iter().map(to).collect();
    for pair in recipients.chunks(2) {
        let mut pair = pair.to_vec();
        pair.sort();
        assert_eq!(
            pair,
            ["ana@clinic.test", "smith@clinic.test"],
            "both people, each stage"
        );
    }
    let tomorrow = emails
        .iter()
        .find(|e| to(e) == "ana@clinic.test" && e["subject"].as_str().unwrap().contains("tomorrow"))
        .unwrap();
    assert_eq!(
        tomorrow["subject"],
        "Appointment reminder: tomorrow at 11:00 AM"
    );
    assert!(tomorrow["calendar"].is_null(), "reminders carry no invite");
    let last = emails.last().unwrap()["text"].as_str().unwrap();
    assert!(
        last.contains("Test your camera & mic") && last.contains("/pre-call?room="),
        "{last}"
    );
    assert_eq!(rows.len(), 16);
    for row in &rows {
        assert_eq!(row["state"], "sent", "{row}");
        let provider = row["provider_message_id"].as_str().unwrap();
        match row["channel"].as_str().unwrap() {
            "email" => assert!(provider.contains("queued as"), "{provider}"),
            _ => assert!(provider.starts_with("wamid."), "{provider}"),
        }
    }
    clinic.close().await;
}

async fn a_reschedule_moves_reminders_and_a_cancel_stops_them(backend: Backend) {
    let clinic = Clinic::open(backend).await;
    let booked = clinic.book("2030-03-07T14:00:00Z").await;
    let id = booked["id"].as_i64().unwrap();
    clinic.wait_for(2, 2).await;
    let start = utc("2030-03-07T14:00:00Z");
    clinic.at(start - Duration::hours(24)).await;
    clinic.wait_for(4, 4).await;

    // Moved four days later, to a date after New York's DST change.
    let (status, moved) = clinic
        .api
        .call(
            Method::PATCH,
            &format!("/api/appointments/{id}/"),
            Some(&clinic.doctor.1),
            Some(json!({"appointment_date": "2030-03-11T14:00:00Z"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    let (emails, whatsapp) = clinic.wait_for(6, 6).await;
    assert_eq!((emails.len(), whatsapp.len()), (6, 6));
    let notice = emails
        .iter()
        .find(|e| to(e) == "smith@clinic.test" && e["subject"].as_str().unwrap().contains("moved"))
        .expect("notice");
    assert_eq!(
        notice["subject"],
        "Your appointment has moved to Monday, March 11 at 10:00 AM"
    );
    // (Mail text arrives with CRLF line ends.)
    let text = notice["text"].as_str().unwrap().replace("\r\n", "\n");
    assert!(
        text.contains("with Ana on Thursday, March 7 at 9:00 AM has a new time:\n📅 Monday, March 11 at 10:00 AM (EDT)"),
        "the psychologist reads the old time, the new one, and who it is with: {text}"
    );
    assert_eq!(
        ics_value(notice, "SUMMARY").as_deref(),
        Some("Video appointment with Ana")
    );
    assert_eq!(ics_value(notice, "SEQUENCE").as_deref(), Some("1"));
    assert_eq!(
        ics_value(notice, "UID"),
        Some(format!("appointment-{id}@127.0.0.1"))
    );
    assert_eq!(
        ics_value(notice, "DTSTART").as_deref(),
        Some("20300311T140000Z")
    );
    assert!(
        whatsapp[4..]
            .iter()
            .all(|r| template(r) == "confide_rescheduled")
    );
    let ana_moved = whatsapp[4..]
        .iter()
        .find(|r| r["body"]["to"] == "5511987654321")
        .expect("ana's notice");
    assert_eq!(
        wa_parameters(ana_moved)[1..6],
        [
            "Dr. Smith",
            "Thursday, March 7",
            "11:00 AM",
            "Monday, March 11",
            "11:00 AM (UTC-03)"
        ]
    );

    let rows = clinic.rows(id).await;
    let first_24h: Vec<&Value> = rows
        .iter()
        .filter(|r| r["stage"] == "reminder_24h" && r["revision"] == 0)
        .collect();
    assert!(
        first_24h.iter().all(|r| r["state"] == "sent"),
        "sent reminders are left alone"
    );
    let new_24h: Vec<&Value> = rows
        .iter()
        .filter(|r| r["stage"] == "reminder_24h" && r["revision"] == 1)
        .collect();
    assert_eq!(
        new_24h.len(),
        4,
        "the 24 h reminder is owed again for the new time"
    );
    for row in rows.iter().filter(|r| r["stage"] == "reminder_1h") {
        assert_eq!(
            (row["state"].as_str(), row["due_at"].as_str()),
            (Some("pending"), Some("2030-03-11T13:00:00Z"))
        );
    }

    let new_start = utc("2030-03-11T14:00:00Z");
    clinic.at(new_start - Duration::hours(24)).await;
    let (emails, _) = clinic.wait_for(8, 8).await;
    assert_eq!(emails.len(), 8);
    assert!(emails[6..].iter().all(|e| e["subject"]
        == "Appointment reminder: tomorrow at 11:00 AM"
        || e["subject"] == "Appointment reminder: tomorrow at 10:00 AM"));

    let (status, _) = clinic
        .api
        .post(
            &format!("/api/appointments/{id}/cancel/"),
            Some(&clinic.patient.1),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (emails, whatsapp) = clinic.wait_for(10, 10).await;
    assert_eq!((emails.len(), whatsapp.len()), (10, 10));
    let cancel = emails
        .iter()
        .find(|e| {
            to(e) == "ana@clinic.test" && e["subject"].as_str().unwrap().starts_with("Cancelled")
        })
        .expect("cancel notice");
    assert_eq!(cancel["calendar_method"], "CANCEL");
    assert_eq!(ics_value(cancel, "METHOD").as_deref(), Some("CANCEL"));
    assert_eq!(ics_value(cancel, "SEQUENCE").as_deref(), Some("2"));
    assert_eq!(ics_value(cancel, "STATUS").as_deref(), Some("CANCELLED"));
    assert_eq!(
        ics_value(cancel, "UID"),
        Some(format!("appointment-{id}@127.0.0.1"))
    );

    clinic.at(new_start - Duration::minutes(15)).await;
    let (emails, whatsapp) = clinic.settled().await;
    assert_eq!(
        (emails.len(), whatsapp.len()),
        (10, 10),
        "nothing after the cancellation"
    );
    let rows = clinic.rows(id).await;
    let reminders_left: Vec<&Value> = rows
        .iter()
        .filter(|r| r["stage"] == "reminder_1h" || r["stage"] == "reminder_15m")
        .collect();
    assert!(
        reminders_left.iter().all(
            |r| r["state"] == "cancelled" && r["last_error"] == "the appointment was cancelled"
        )
    );
    clinic.close().await;
}

async fn a_late_booking_skips_past_reminders_and_keeps_the_15_minute_one(backend: Backend) {
    let clinic = Clinic::open(backend).await;
    let now = clinic.api.now();
    let booked = clinic
        .book(&(now + Duration::minutes(30)).to_rfc3339())
        .await;
    let id = booked["id"].as_i64().unwrap();
    let (emails, whatsapp) = clinic.wait_for(2, 2).await;
    assert_eq!(
        (emails.len(), whatsapp.len()),
        (2, 2),
        "the confirmation goes at once"
    );
    let rows = clinic.rows(id).await;
    for row in rows
        .iter()
        .filter(|r| r["stage"] == "reminder_24h" || r["stage"] == "reminder_1h")
    {
        assert_eq!(row["state"], "skipped");
        assert_eq!(row["last_error"], "booked after this reminder's time");
    }
    clinic.at(now + Duration::minutes(15)).await;
    let (emails, whatsapp) = clinic.wait_for(4, 4).await;
    assert_eq!((emails.len(), whatsapp.len()), (4, 4));
    assert!(
        whatsapp[2..]
            .iter()
            .all(|r| template(r) == "confide_reminder_15m")
    );
    clinic.close().await;
}

async fn after_downtime_only_useful_reminders_go(backend: Backend) {
    let clinic = Clinic::open(backend).await;
    let soon = clinic.book("2030-03-07T14:00:00Z").await["id"]
        .as_i64()
        .unwrap();
    let later = clinic.book("2030-03-09T14:00:00Z").await["id"]
        .as_i64()
        .unwrap();
    clinic.wait_for(4, 4).await;
    // Nothing dispatched from the confirmations until 30 minutes before the
    // first appointment: its 24 h and 1 h marks went by unseen.
    clinic.at(utc("2030-03-07T13:30:00Z")).await;
    let (emails, whatsapp) = clinic.wait_for(6, 6).await;
    assert_eq!((emails.len(), whatsapp.len()), (6, 6));
    assert!(
        whatsapp[4..]
            .iter()
            .all(|r| template(r) == "confide_reminder_1h"),
        "only the latest reminder goes"
    );
    let rows = clinic.rows(soon).await;
    for row in rows.iter().filter(|r| r["stage"] == "reminder_24h") {
        assert_eq!(row["state"], "skipped");
        assert_eq!(
            row["last_error"],
            "superseded by the reminder_1h reminder, also due"
        );
    }
    // Past the second appointment's start without having sent its
    // reminders: they are stale and skipped with the reason.
    clinic.at(utc("2030-03-09T14:05:00Z")).await;
    let (emails, whatsapp) = clinic.settled().await;
    assert_eq!(
        (emails.len(), whatsapp.len()),
        (6, 6),
        "nothing stale goes out"
    );
    let rows = clinic.rows(soon).await;
    for row in rows.iter().filter(|r| r["stage"] == "reminder_15m") {
        assert_eq!(row["state"], "skipped", "{row}");
    }
    let rows = clinic.rows(later).await;
    for row in rows.iter().filter(|r| r["stage"] != "confirmation") {
        assert_eq!(row["state"], "skipped", "{row}");
        assert!(
            row["last_error"]
                .as_str()
                .unwrap()
                .starts_with("the appointment had started")
        );
    }
    clinic.close().await;
}

async fn whatsapp_and_smtp_failures_are_retried_or_recorded(backend: Backend) {
    let clinic = Clinic::open(backend).await;
    clinic
        .mocks
        .configure(json!({"whatsapp_answers": [429, 500, 400], "smtp_answers": ["451 4.3.0 Try again later", "550 5.1.1 No such user"]}))
        .await;
    let id = clinic.book("2030-03-07T14:00:00Z").await["id"]
        .as_i64()
        .unwrap();
    // First round: two WhatsApp requests (429, 500) and two SMTP refusals.
    clinic.wait_for(0, 2).await;
    let rows = testkit::wait::until("four first attempts recorded", || async {
        let rows = clinic.rows(id).await;
        let attempted = rows
            .iter()
            .filter(|r| r["stage"] == "confirmation" && r["attempts"] == 1)
            .count();
        (attempted == 4).then_some(rows)
    })
    .await
    .unwrap();
    let confirmations: Vec<&Value> = rows
        .iter()
        .filter(|r| r["stage"] == "confirmation")
        .collect();
    let failed: Vec<&&Value> = confirmations
        .iter()
        .filter(|r| r["state"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1, "550 is permanent: {confirmations:?}");
    assert!(failed[0]["last_error"].as_str().unwrap().contains("550"));
    assert_eq!(
        confirmations
            .iter()
            .filter(|r| r["state"] == "pending")
            .count(),
        3,
        "429, 500, 451 wait for a retry"
    );
    // The retries: one WhatsApp request answers 400 (permanent), one 200.
    clinic.at(clinic.api.now() + Duration::seconds(5)).await;
    let (emails, whatsapp) = clinic.wait_for(1, 4).await;
    assert_eq!(emails.len(), 1, "the 451'd email went through on its retry");
    assert_eq!(whatsapp.len(), 4);
    let mut statuses: Vec<i64> = whatsapp
        .iter()
        .map(|r| r["status"].as_i64().unwrap())
        .collect();
    // Two requests at a time: each round's two may be recorded either way.
    statuses[..2].sort();
    statuses[2..].sort();
    assert_eq!(statuses, [429, 500, 200, 400]);
    clinic.at(clinic.api.now() + Duration::seconds(60)).await;
    let (_, whatsapp) = clinic.settled().await;
    assert_eq!(whatsapp.len(), 4, "a 400 is not retried");
    let rows = clinic.rows(id).await;
    let wa: Vec<&Value> = rows
        .iter()
        .filter(|r| r["stage"] == "confirmation" && r["channel"] == "whatsapp")
        .collect();
    let sent = wa.iter().find(|r| r["state"] == "sent").unwrap();
    let refused = wa.iter().find(|r| r["state"] == "failed").unwrap();
    assert!(
        sent["provider_message_id"]
            .as_str()
            .unwrap()
            .starts_with("wamid.MOCK")
    );
    assert!(
        refused["last_error"]
            .as_str()
            .unwrap()
            .contains("HTTP 400 (code 131009)"),
        "{refused}"
    );
    assert_eq!(
        sent["attempts"].as_i64().unwrap() + refused["attempts"].as_i64().unwrap(),
        4
    );
    clinic.close().await;
}

async fn without_providers_messages_land_in_the_dev_outbox(backend: Backend) {
    let mocks = Mocks::start();
    let clinic = Clinic::open_with(backend, mocks, |_| {}).await;
    let id = clinic.book("2030-03-07T14:00:00Z").await["id"]
        .as_i64()
        .unwrap();
    let last = std::sync::Mutex::new(Vec::new());
    let dev = testkit::wait::until("four notifications listed", || async {
        let (status, listed) = clinic
            .api
            .get("/api/notifications/?via=dev", &clinic.admin)
            .await;
        assert_eq!(status, StatusCode::OK);
        let dev = listed.as_array().unwrap().clone();
        *last.lock().unwrap() = dev.clone();
        (dev.len() == 4).then_some(dev)
    })
    .await
    .unwrap_or_else(|_| last.into_inner().unwrap());
    assert_eq!(dev.len(), 4, "two people, email and WhatsApp: {dev:?}");
    let email = dev
        .iter()
        .find(|r| r["channel"] == "email" && r["address"] == "ana@clinic.test")
        .unwrap();
    assert_eq!(email["appointment_id"], id);
    assert_eq!(email["state"], "sent");
    assert_eq!(
        email["subject"],
        "Your video appointment is booked: Thursday, March 7 at 11:00 AM"
    );
    assert!(
        email["body"]
            .as_str()
            .unwrap()
            .contains("/video-session/apt-")
    );
    let wa = dev
        .iter()
        .find(|r| r["channel"] == "whatsapp" && r["address"] == "+5511987654321")
        .unwrap();
    assert_eq!(wa["subject"], "confide_confirmation (en_US)");
    assert!(
        wa["body"]
            .as_str()
            .unwrap()
            .contains("Parameters: Ana Souza | Thursday, March 7")
    );
    let (emails, whatsapp) = clinic.settled().await;
    assert!(
        emails.is_empty() && whatsapp.is_empty(),
        "nothing left the server"
    );

    let (status, body) = clinic
        .api
        .get("/api/notifications/", &clinic.patient.1)
        .await;
    assert_eq!(
        (status, body["code"].as_i64()),
        (StatusCode::FORBIDDEN, Some(20403))
    );
    let (status, body) = clinic
        .api
        .get("/api/notifications/?state=lost&limit=9999", &clinic.admin)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["fields"]["state"].is_string() && body["fields"]["limit"].is_string(),
        "{body}"
    );
    let (status, _) = clinic
        .api
        .get("/api/notifications/?bogus=1", &clinic.admin)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    clinic.close().await;
}

async fn the_due_query_uses_its_index(backend: Backend) {
    use sqlx::{Connection, Row};
    let mocks = Mocks::start();
    let clinic = Clinic::open_with(backend, mocks, |_| {}).await;
    let db = clinic.api.running.as_ref().unwrap().db.clone();
    let mut conn = db.acquire().await.unwrap();
    let sql = api::reminders::ReminderOutbox::claim_sql(backend);
    let plan: Vec<String> = match backend {
        Backend::Sqlite => {
            let rows = sqlx::query(&format!("EXPLAIN QUERY PLAN {sql}"))
                .bind("t")
                .bind(1i64)
                .bind(1i64)
                .bind(1i64)
                .fetch_all(&mut *conn)
                .await
                .unwrap();
            rows.iter().map(|r| r.get::<String, _>(3)).collect()
        }
        Backend::Postgres => {
            // Tiny tables make a sequential scan cheapest; forbidding it
            // shows whether the index can serve the query at all.
            let mut tx = conn.begin().await.unwrap();
            sqlx::query("SET LOCAL enable_seqscan = off")
                .execute(&mut *tx)
                .await
                .unwrap();
            let rows = sqlx::query(&format!("EXPLAIN {sql}"))
                .bind("t")
                .bind(1i64)
                .bind(1i64)
                .bind(1i64)
                .fetch_all(&mut *tx)
                .await
                .unwrap();
            rows.iter().map(|r| r.get::<String, _>(0)).collect()
        }
    };
    assert!(
        plan.iter().any(|line| line.contains("notifications_due")),
        "{plan:#?}"
    );
    drop(conn);
    clinic.close().await;
}

/// A private CA and a certificate for 127.0.0.1 (openssl), in `dir`.
fn certificates(
    dir: &std::path::Path,
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl runs");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Confide test CA",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    ]);
    (
        dir.join("ca.pem"),
        dir.join("server.pem"),
        dir.join("server.key"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_goes_over_starttls_and_implicit_tls_trusting_a_private_ca() {
    use api::reminders::config::SmtpSecurity;
    let dir = std::env::temp_dir().join(format!("confide-tls-{:016x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    let (ca, cert, key) = certificates(&dir);
    for (mode, security, auth) in [
        (
            "starttls",
            SmtpSecurity::Starttls,
            Some("clinic:s3cret-relay"),
        ),
        // aiosmtpd's AUTH over implicit TLS stalls lettre's transport (which
        // that mode uses), so it is tested without AUTH.
        ("implicit", SmtpSecurity::Tls, None),
    ] {
        let tls_config = |mocks: &Mocks, password: Option<&str>| {
            let mut config = mocks.config();
            let smtp = config.smtp.as_mut().unwrap();
            smtp.security = security;
            smtp.ca_file = Some(ca.clone());
            if let Some(password) = password {
                smtp.username = Some("clinic".into());
                smtp.password = Some(password.into());
            }
            config
        };
        if auth.is_some() {
            let mocks = Mocks::start_tls(&cert, &key, mode, auth);
            let refused = tls_config(&mocks, Some("wrong"));
            let clinic =
                Clinic::open_with(Backend::Sqlite, mocks, |c| c.notifications = refused).await;
            let id = clinic.book("2030-03-07T14:00:00Z").await["id"]
                .as_i64()
                .unwrap();
            clinic.wait_for(0, 2).await;
            let rows = clinic.rows(id).await;
            assert!(
                rows.iter()
                    .filter(|r| r["stage"] == "confirmation" && r["channel"] == "email")
                    .all(|r| r["state"] == "pending"
                        && r["last_error"].as_str().unwrap_or("").contains("SMTP")),
                "{mode}: a wrong password sends nothing: {rows:?}"
            );
            assert!(clinic.mocks.emails().await.is_empty());
            clinic.close().await;
        }
        let mocks = Mocks::start_tls(&cert, &key, mode, auth);
        let config = tls_config(&mocks, auth.map(|_| "s3cret-relay"));
        let clinic = Clinic::open_with(Backend::Sqlite, mocks, |c| c.notifications = config).await;
        clinic.book("2030-03-07T14:00:00Z").await;
        let (emails, _) = clinic.wait_for(2, 2).await;
        assert_eq!(emails.len(), 2, "{mode}: both confirmations over TLS");
        clinic.close().await;
    }
    // Without the CA the server's certificate is not trusted: nothing is
    // sent in the clear, and the attempt is recorded for a retry.
    let mocks = Mocks::start_tls(&cert, &key, "starttls", None);
    let mut config = mocks.config();
    config.smtp.as_mut().unwrap().security = SmtpSecurity::Starttls;
    let clinic = Clinic::open_with(Backend::Sqlite, mocks, |c| c.notifications = config).await;
    let id = clinic.book("2030-03-07T14:00:00Z").await["id"]
        .as_i64()
        .unwrap();
    clinic.wait_for(0, 2).await;
    let rows = clinic.rows(id).await;
    let emails: Vec<&Value> = rows
        .iter()
        .filter(|r| r["stage"] == "confirmation" && r["channel"] == "email")
        .collect();
    assert!(
        emails.iter().all(|r| r["state"] == "pending"
            && r["last_error"].as_str().unwrap_or("").starts_with("SMTP")),
        "{emails:?}"
    );
    assert!(clinic.mocks.emails().await.is_empty());
    clinic.close().await;
    std::fs::remove_dir_all(dir).unwrap();
}
