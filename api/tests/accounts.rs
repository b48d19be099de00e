//! Accounts and sessions, on SQLite and PostgreSQL.

mod http_support;

use http_support::TestApi;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn register_login_refresh_logout(backend: api::db::Backend) {
    let api = TestApi::start(backend).await;
    let (status, body) = api
        .post(
            "/api/auth/register",
            None,
            json!({"email": "Pat@Example.com", "password": "correct horse battery", "name": "Pat", "time_zone": "Europe/Lisbon", "phone": "+351912345678", "whatsapp_opt_in": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["user"]["email"], "pat@example.com");
    assert_eq!(body["user"]["role"], "patient");
    assert!(body["user"].get("password_hash").is_none());
    let access = body["access_token"].as_str().unwrap().to_owned();
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();

    let (status, me) = api.get("/api/me", &access).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["time_zone"], "Europe/Lisbon");
    assert_eq!(me["whatsapp_opt_in"], true);

    // Refresh rotates: the old refresh token is spent.
    let (status, refreshed) = api
        .post("/api/auth/refresh", None, json!({"refresh_token": refresh}))
        .await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    let (status, _) = api
        .post("/api/auth/refresh", None, json!({"refresh_token": refresh}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let access2 = refreshed["access_token"].as_str().unwrap().to_owned();
    assert_eq!(api.get("/api/me", &access2).await.0, StatusCode::OK);

    // Logout ends the session at once: both tokens stop working.
    let (status, _) = api
        .call(Method::POST, "/api/auth/logout", Some(&access2), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        api.get("/api/me", &access2).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = api
        .post(
            "/api/auth/refresh",
            None,
            json!({"refresh_token": refreshed["refresh_token"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    api.stop().await;
}

async fn failed_logins_say_nothing_and_are_rate_limited(backend: api::db::Backend) {
    let api = TestApi::start(backend).await;
    let admin = api.admin().await;
    api.user(&admin, "dr@clinic.test", "psychologist").await;
    let (s1, wrong_password) = api
        .post(
            "/api/auth/login",
            None,
            json!({"email": "dr@clinic.test", "password": "nope nope nope"}),
        )
        .await;
    let (s2, no_account) = api
        .post(
            "/api/auth/login",
            None,
            json!({"email": "ghost@clinic.test", "password": "nope nope nope"}),
        )
        .await;
    assert_eq!(
        (s1, s2),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(wrong_password, no_account, "the same answer either way");
    let mut limited = false;
    for _ in 0..6 {
        let (status, _) = api
            .post(
                "/api/auth/login",
                None,
                json!({"email": "dr@clinic.test", "password": "still wrong!!"}),
            )
            .await;
        limited |= status == StatusCode::TOO_MANY_REQUESTS;
    }
    assert!(limited, "repeated failures for one account are limited");
    // Even the right password waits now.
    let (status, body) = api
        .post(
            "/api/auth/login",
            None,
            json!({"email": "dr@clinic.test", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["code"], 20429);
    // …and is told for how long.
    let response = api
        .http
        .post(format!("{}/api/auth/login", api.base))
        .json(&json!({"email": "dr@clinic.test", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=12).contains(&retry), "Retry-After: {retry}");
    api.stop().await;
}

/// Behind the clinic's reverse proxy, limits apply per client: a guesser
/// does not lock the psychologist out, and sign-up floods are cut short.
async fn behind_a_trusted_proxy_limits_are_per_client(backend: api::db::Backend) {
    let api = TestApi::start_with(backend, |c| {
        c.http.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let admin = api.admin().await;
    api.user(&admin, "dr@clinic.test", "psychologist").await;
    let login = |from: &'static str, password: &'static str| {
        api.http
            .post(format!("{}/api/auth/login", api.base))
            .header("x-forwarded-for", from)
            .json(&json!({"email": "dr@clinic.test", "password": password}))
            .send()
    };
    // All at once, so the limiter's refill (one every 12 s) cannot let a
    // slow machine's attempts through.
    let guesses =
        futures_util::future::join_all((0..8).map(|_| login("203.0.113.66", "guess guess guess")))
            .await;
    let limited = guesses
        .iter()
        .filter(|r| r.as_ref().unwrap().status() == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(limited >= 2, "the guesser is limited ({limited} of 8)");
    let owner = login("198.51.100.7", "correct horse battery")
        .await
        .unwrap();
    assert_eq!(owner.status(), StatusCode::OK, "the owner still signs in");
    // A client's own X-Forwarded-For entries are not believed: the proxy's
    // (rightmost) one decides.
    let spoofed = login("198.51.100.7, 203.0.113.66", "guess guess guess")
        .await
        .unwrap();
    assert_eq!(spoofed.status(), StatusCode::TOO_MANY_REQUESTS);

    let sign_ups = futures_util::future::join_all((0..15).map(|i| {
        api.http
            .post(format!("{}/api/auth/register", api.base))
            .header("x-forwarded-for", "203.0.113.99")
            .json(&json!({"email": format!("p{i}@example.com"), "password": "correct horse battery", "name": "P"}))
            .send()
    }))
    .await;
    let mut created = 0;
    let mut refused = 0;
    for response in sign_ups {
        let response = response.unwrap();
        match response.status() {
            StatusCode::CREATED => created += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                assert!(response.headers().contains_key("retry-after"));
                refused += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(
        created >= 10 && refused >= 4,
        "ten at once, then wait: {created} created, {refused} refused"
    );
    api.stop().await;
}

on_both_databases!(behind_a_trusted_proxy_limits_are_per_client);

async fn bad_input_is_refused_and_nothing_is_stored(backend: api::db::Backend) {
    let api = TestApi::start(backend).await;
    let (status, body) = api
        .post("/api/auth/register", None, json!({"email": "nope", "password": "short", "name": "", "time_zone": "Mars/Base", "phone": "123"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    for field in ["email", "password", "name", "time_zone", "phone"] {
        assert!(
            body["fields"][field].is_string(),
            "{field} explained: {body}"
        );
    }
    let (status, body) = api
        .post("/api/auth/register", None, json!({"email": "a@b.co", "password": "correct horse battery", "name": "A", "is_admin": true}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "unknown field: {body}");
    assert!(body["message"].as_str().unwrap().contains("is_admin"));
    let (status, _) = api
        .post("/api/auth/register", None, json!({"email": "a@b.co", "password": "correct horse battery", "name": "A", "role": "admin"}))
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "patients cannot make themselves admins"
    );
    let (status, _) = api.call(Method::POST, "/api/auth/login", None, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let huge = "x".repeat(200 * 1024);
    let (status, _) = api
        .post(
            "/api/auth/login",
            None,
            json!({"email": huge, "password": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // Registered twice: 409, and the first account is untouched.
    let register =
        json!({"email": "twice@b.co", "password": "correct horse battery", "name": "Twice"});
    assert_eq!(
        api.post("/api/auth/register", None, register.clone())
            .await
            .0,
        StatusCode::CREATED
    );
    assert_eq!(
        api.post("/api/auth/register", None, register).await.0,
        StatusCode::CONFLICT
    );
    // Tokens that are not ours.
    for token in [
        "",
        "garbage",
        "eyJhbGciOiJub25lIn0.eyJzdWIiOjEsInNpZCI6MSwiaWF0IjowLCJleHAiOjk5OTk5OTk5OTl9.",
    ] {
        assert_eq!(
            api.get("/api/me", token).await.0,
            StatusCode::UNAUTHORIZED,
            "{token}"
        );
    }
    api.stop().await;
}

async fn staff_create_accounts_others_cannot(backend: api::db::Backend) {
    let api = TestApi::start(backend).await;
    let admin = api.admin().await;
    let (_, patient) = api.user(&admin, "p@clinic.test", "patient").await;
    let (dr_id, _) = api.user(&admin, "dr@clinic.test", "psychologist").await;
    let (status, _) = api
        .post("/api/users/", Some(&patient), json!({"email": "x@clinic.test", "password": "correct horse battery", "name": "X", "role": "admin"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, everyone) = api.get("/api/users/", &patient).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{everyone}");
    let (status, psychologists) = api.get("/api/users/?role=psychologist", &patient).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(psychologists[0]["id"], dr_id);
    assert!(
        psychologists[0].get("email").is_none(),
        "patients see names only"
    );
    let (status, all) = api.get("/api/users/", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all.as_array().unwrap().len(), 3);
    api.stop().await;
}

async fn demo_accounts_only_outside_production(backend: api::db::Backend) {
    let api = TestApi::start_with(backend, |c| c.app.production = false).await;
    let running = api.running.as_ref().unwrap();
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&running.db)
        .await
        .unwrap();
    assert_eq!(count, 3);
    let appointments: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM appointments WHERE session_type = 'telehealth'")
            .fetch_one(&running.db)
            .await
            .unwrap();
    assert_eq!(appointments, 1);
    api.stop().await;
    let production = TestApi::start(backend).await;
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&production.running.as_ref().unwrap().db)
        .await
        .unwrap();
    assert_eq!(count, 0);
    production.stop().await;
}

on_both_databases!(
    register_login_refresh_logout,
    failed_logins_say_nothing_and_are_rate_limited,
    bad_input_is_refused_and_nothing_is_stored,
    staff_create_accounts_others_cannot,
    demo_accounts_only_outside_production,
);

/// The OpenAPI document is generated from the routes: every documented
/// operation is served (unauthenticated calls get 401/4xx, never 404), and
/// the seed's endpoints are all there.
async fn openapi_document_matches_the_routes(backend: api::db::Backend) {
    let api = TestApi::start(backend).await;
    let response = api
        .http
        .get(format!("{}/api/openapi.json", api.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let doc: serde_json::Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for seed_path in [
        "/api/appointments/video-token/{id}/",
        "/api/appointments/{id}/",
        "/api/appointments/video-room/{id}/",
        "/api/video-sessions/{room}/",
        "/api/auth/login",
        "/v1/Rooms",
        "/v1/Rooms/{id}/Participants/{who}",
    ] {
        assert!(paths.contains_key(seed_path), "{seed_path} documented");
    }
    let mut operations = 0;
    for (path, item) in paths {
        let concrete = path
            .replace("{id}", "1")
            .replace("{room}", "r")
            .replace("{who}", "w");
        for method in item.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let (status, body) = api.call(method.clone(), &concrete, None, None).await;
            // A public lookup may say its record is missing, in its own words.
            assert!(
                status != StatusCode::NOT_FOUND || body["message"] != "not found",
                "{method} {path} is documented but not served: {body}"
            );
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            operations += 1;
        }
    }
    assert!(operations >= 20, "{operations} operations");
    // And what is not documented is not served.
    assert_eq!(
        api.call(Method::GET, "/api/nothing/here", None, None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    api.stop().await;
}

on_both_databases!(openapi_document_matches_the_routes);

/// Production installs get their first admin from configuration.
async fn the_configured_admin_exists_in_production(backend: api::db::Backend) {
    let api = TestApi::start_with(backend, |c| {
        c.app.initial_admin = Some(api::config::InitialAdmin {
            email: "Head@Clinic.example".into(),
            password: "a long admin password".into(),
            name: "Head of clinic".into(),
        })
    })
    .await;
    let token = api
        .login("head@clinic.example", "a long admin password")
        .await;
    let (status, me) = api.get("/api/me", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["role"], "admin");
    let running = api.running.as_ref().unwrap();
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&running.db)
        .await
        .unwrap();
    assert_eq!(count, 1, "no demo accounts");
    api.stop().await;
}

on_both_databases!(the_configured_admin_exists_in_production);

/// Pages may not be framed or run scripts from elsewhere; API answers
/// (tokens, names, phone numbers) are never cached.
async fn every_response_carries_the_security_headers(backend: api::db::Backend) {
    let api = TestApi::start(backend).await;
    for path in [
        "/",
        "/login.html",
        "/admin/",
        "/video-session/apt-1",
        "/healthz",
        "/api/me",
        "/v1/Rooms",
        "/api/nowhere",
    ] {
        let response = api
            .http
            .get(format!("{}{path}", api.base))
            .send()
            .await
            .unwrap();
        let headers = response.headers();
        let csp = headers
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("{path}: no CSP"))
            .to_str()
            .unwrap();
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        if path.starts_with("/api") || path.starts_with("/v1") {
            assert_eq!(headers["cache-control"], "no-store", "{path}");
        }
    }
    // A token's answer in particular.
    let admin = api.admin().await;
    let response = api
        .http
        .get(format!("{}/api/me", api.base))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    api.stop().await;
}

on_both_databases!(every_response_carries_the_security_headers);

/// NUL, line breaks and escapes are refused before the database, wherever
/// they come in — JSON, forms, paths, queries — with a JSON 400, and the
/// server keeps serving. (On PostgreSQL a NUL used to answer 500.)
async fn control_characters_are_refused_everywhere(backend: api::db::Backend) {
    let api = TestApi::start(backend).await;
    let admin = api.admin().await;
    let creds = api.running.as_ref().unwrap().credentials.clone();
    let json_cases = [
        (
            "/api/auth/login",
            None,
            json!({"email": "a\u{0}@b.example", "password": "whatever it is"}),
        ),
        (
            "/api/auth/register",
            None,
            json!({"email": "new@b.example", "password": "correct horse battery", "name": "Pat\r\nBcc: x"}),
        ),
        (
            "/api/users/",
            Some(admin.as_str()),
            json!({"email": "esc@b.example", "password": "correct horse battery", "name": "\u{1b}[31mred", "role": "patient"}),
        ),
    ];
    for (path, token, body) in json_cases {
        let (status, answer) = api.call(Method::POST, path, token, Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {answer}");
        assert_eq!(answer["code"], 20400, "{path}: {answer}");
        assert!(
            answer["message"]
                .as_str()
                .unwrap()
                .contains("control character"),
            "{answer}"
        );
    }
    let v1 = |method: Method, path: &str| {
        api.http
            .request(method, format!("{}{path}", api.base))
            .basic_auth(&creds.api_key_sid, Some(&creds.api_key_secret))
    };
    let answers = [
        v1(Method::GET, "/v1/Rooms/a%00b").send().await.unwrap(),
        v1(Method::GET, "/v1/Rooms?UniqueName=a%00b")
            .send()
            .await
            .unwrap(),
        v1(Method::POST, "/v1/Rooms")
            .form(&[("UniqueName", "a\u{0}b")])
            .send()
            .await
            .unwrap(),
        v1(Method::POST, "/v1/Rooms")
            .form(&[("UniqueName", "ok"), ("StatusCallback", "http://x/\r\n")])
            .send()
            .await
            .unwrap(),
    ];
    for answer in answers {
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
        let body: serde_json::Value = answer.json().await.expect("a JSON error body");
        assert_eq!(body["code"], 20400, "{body}");
    }
    // Query-string mistakes are JSON errors too.
    let (status, answer) = api.get("/api/users/?limit=many", &admin).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(
        answer["message"].as_str().unwrap().contains("query"),
        "{answer}"
    );
    // Still serving, and nothing was stored.
    let (status, users) = api.get("/api/users/", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        users.as_array().unwrap().iter().all(|u| !u["name"]
            .as_str()
            .unwrap()
            .chars()
            .any(char::is_control)),
        "{users}"
    );
    api.stop().await;
}

on_both_databases!(control_characters_are_refused_everywhere);

/// A refresh token used again after it was exchanged was copied: the
/// session ends for both copies (a second tab racing within seconds is not
/// punished).
async fn a_reused_refresh_token_ends_the_session(backend: api::db::Backend) {
    let api = TestApi::start(backend).await;
    let admin = api.admin().await;
    api.user(&admin, "pat@clinic.test", "patient").await;
    let (status, first) = api
        .post(
            "/api/auth/login",
            None,
            json!({"email": "pat@clinic.test", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let stolen = first["refresh_token"].as_str().unwrap().to_owned();
    let (status, second) = api
        .post("/api/auth/refresh", None, json!({"refresh_token": stolen}))
        .await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let access = second["access_token"].as_str().unwrap().to_owned();
    let current = second["refresh_token"].as_str().unwrap().to_owned();
    // Within the grace (two tabs at once): refused, nothing else happens.
    let (status, _) = api
        .post("/api/auth/refresh", None, json!({"refresh_token": stolen}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(api.get("/api/me", &access).await.0, StatusCode::OK);
    // Later: the copy is used again, and the session is over for everyone.
    api.clock.advance(chrono::Duration::seconds(60));
    let (status, _) = api
        .post("/api/auth/refresh", None, json!({"refresh_token": stolen}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        api.get("/api/me", &access).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = api
        .post("/api/auth/refresh", None, json!({"refresh_token": current}))
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the current token is revoked too"
    );
    api.stop().await;
}

on_both_databases!(a_reused_refresh_token_ends_the_session);
