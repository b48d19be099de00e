//! Admins look after people: correct an account, close and reopen it, send
//! a password reset, all in the audit log — on SQLite and PostgreSQL.

mod http_support;
mod notify_support;

use http_support::TestApi;
use notify_support::Mocks;
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_databases!(admins_correct_close_reopen_and_reset_accounts);

async fn admins_correct_close_reopen_and_reset_accounts(backend: api::db::Backend) {
    let mocks = Mocks::start();
    let notifications = mocks.config();
    let api = TestApi::start_with(backend, |c| c.notifications = notifications).await;
    let admin = api.admin().await;
    let (pat_id, pat) = api.user(&admin, "pat@clinic.test", "patient").await;
    api.user(&admin, "other@clinic.test", "patient").await;
    let path = format!("/api/users/{pat_id}/");
    let patch = |token: String, body: serde_json::Value| {
        let path = path.clone();
        let api = &api;
        async move {
            api.call(Method::PATCH, &path, Some(&token), Some(body))
                .await
        }
    };

    let (status, fixed) = patch(
        admin.clone(),
        json!({"name": "Pat Moreira", "phone": "+5511987654321", "whatsapp_opt_in": true, "time_zone": "America/Recife"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{fixed}");
    assert_eq!(fixed["name"], "Pat Moreira");
    assert_eq!(fixed["whatsapp_opt_in"], true);
    assert_eq!(fixed["time_zone"], "America/Recife");
    assert_eq!(fixed["active"], true);
    let (status, bad) = patch(admin.clone(), json!({"time_zone": "Mars/Olympus"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let (status, taken) = patch(admin.clone(), json!({"email": "other@clinic.test"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{taken}");
    let (status, cleared) = patch(admin.clone(), json!({"phone": ""})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cleared["whatsapp_opt_in"], false, "no phone, no WhatsApp");
    let (status, _) = patch(pat.clone(), json!({"name": "Me"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "admins only");

    // Closed: sessions end, the password no longer signs in (and says why),
    // no reset link goes; reopened, all is back.
    let (status, closed) = api
        .post(
            &format!("/api/users/{pat_id}/deactivate/"),
            Some(&admin),
            json!(null),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["active"], false);
    assert_eq!(api.get("/api/me", &pat).await.0, StatusCode::UNAUTHORIZED);
    let login = json!({"email": "pat@clinic.test", "password": "correct horse battery"});
    let (status, refused) = api.post("/api/auth/login", None, login.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert!(refused["message"].as_str().unwrap().contains("closed"));
    let (status, _) = api
        .post(
            "/api/auth/password-reset",
            None,
            json!({"email": "pat@clinic.test"}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, _) = api
        .post(
            &format!("/api/users/{pat_id}/password-reset/"),
            Some(&admin),
            json!(null),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "reopen first");
    let (_, psychologists) = api.get("/api/users/?role=patient", &admin).await;
    assert!(
        psychologists
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["active"] == false)
    );
    let (status, reopened) = api
        .post(
            &format!("/api/users/{pat_id}/reactivate/"),
            Some(&admin),
            json!(null),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reopened}");
    api.login("pat@clinic.test", "correct horse battery").await;
    let me = api.get("/api/me", &admin).await.1;
    let (status, own) = api
        .post(
            &format!("/api/users/{}/deactivate/", me["id"]),
            Some(&admin),
            json!(null),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{own}");

    // The admin sends a reset: the e-mail goes (the earlier one did not).
    let (status, sent) = api
        .post(
            &format!("/api/users/{pat_id}/password-reset/"),
            Some(&admin),
            json!(null),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
    let (emails, _) = mocks.wait_for(1, 0).await;
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0]["rcpt_tos"][0], "pat@clinic.test");

    let (_, log) = api.get("/api/audit/?limit=20", &admin).await;
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["subject_id"] == pat_id)
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "password_reset_asked",
            "user_reactivated",
            "user_deactivated",
            "user_updated",
            "user_updated",
            "user_created"
        ]
    );
    api.stop().await;
}
