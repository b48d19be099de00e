//! `[video_app]`: twilio-video-app-react's build folder served as a
//! single-page app (its files, else its `index.html`; the API, `/v1` and
//! `..` as before), and `POST /token` answering exactly as Twilio's
//! plugin-rtc token server: the token, each error body the app reads, the
//! limit on wrong passcodes per client address. Also the section's checks
//! when the configuration loads, and in `confide check`.

mod http_support;

use std::path::{Path, PathBuf};

use api::config::{CliOverrides, Config};
use api::db::Backend;
use api::video_app::VideoAppConfig;
use http_support::TestApi;
use reqwest::StatusCode;
use reqwest::header::{
    CACHE_CONTROL, CONTENT_TYPE, HeaderMap, IF_MODIFIED_SINCE, LAST_MODIFIED, RETRY_AFTER,
};
use serde_json::{Value, json};
use signaling::token::RoomScope;

const PASSCODE: &str = "clinic-passcode-42";
const INDEX_HTML: &str = "<!doctype html><title>Twilio Video App</title><div id=\"root\"></div>\
    <script type=\"module\" src=\"/static/js/main.js\"></script>";
const MAIN_JS: &str = "console.log('the app');";

/// A build folder laid out as the app's (`index.html`, `static/js/`), with
/// a file beside it that no request may reach; removed when dropped, even
/// when the test panicked.
struct AppBuild {
    parent: PathBuf,
    dir: PathBuf,
}

impl Drop for AppBuild {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.parent);
    }
}

fn app_build(index_html: &str) -> AppBuild {
    let parent =
        std::env::temp_dir().join(format!("confide-video-app-{:016x}", rand::random::<u64>()));
    let dir = parent.join("build");
    std::fs::create_dir_all(dir.join("static/js")).unwrap();
    std::fs::write(dir.join("index.html"), index_html).unwrap();
    std::fs::write(dir.join("static/js/main.js"), MAIN_JS).unwrap();
    std::fs::write(parent.join("secret.txt"), "not for the web").unwrap();
    AppBuild { parent, dir }
}

async fn start(app: &AppBuild, tweak: impl FnOnce(&mut Config)) -> TestApi {
    let dir = app.dir.clone();
    TestApi::start_with(Backend::Sqlite, move |config| {
        config.video_app = Some(VideoAppConfig {
            dir,
            passcode: PASSCODE.into(),
        });
        tweak(config);
    })
    .await
}

/// `POST /token` with a JSON body, from `forwarded_for` through a trusted
/// proxy when given: status, headers and the JSON answer.
async fn post_token(
    api: &TestApi,
    body: Value,
    forwarded_for: Option<&str>,
) -> (StatusCode, HeaderMap, Value) {
    let mut request = api
        .http
        .post(format!("{}/token", api.base))
        .header(CONTENT_TYPE, "application/json")
        .body(body.to_string());
    if let Some(client) = forwarded_for {
        request = request.header("x-forwarded-for", client);
    }
    answer(request).await
}

async fn answer(request: reqwest::RequestBuilder) -> (StatusCode, HeaderMap, Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, headers, json)
}

/// The server's first answer to a `join` with `token`.
async fn join_answer(addr: std::net::SocketAddr, token: &str) -> Value {
    use testkit::signaling;
    let mut ws = signaling::connect(&format!("ws://{addr}/rtc"))
        .await
        .unwrap();
    let join = json!({"type": "join", "version": 1, "token": token});
    signaling::send(&mut ws, &join).await.unwrap();
    // A bound for a broken server, not a wait: the answer comes at once.
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        signaling::next_json(&mut ws),
    )
    .await
    .expect("answered in time")
    .unwrap()
}

fn plugin_rtc_error(message: &str, explanation: &str) -> Value {
    json!({"error": {"message": message, "explanation": explanation}})
}

fn is_json(headers: &HeaderMap) -> bool {
    headers[CONTENT_TYPE] == "application/json"
}

#[tokio::test]
async fn the_right_passcode_gets_a_token_for_the_name_and_room() {
    let app = app_build(INDEX_HTML);
    let api = start(&app, |_| {}).await;
    let running = api.running.as_ref().unwrap();
    let verifier = signaling::token::TokenVerifier::new(
        running.credentials.account_sid.clone(),
        vec![running.credentials.api_key()],
    );
    let now = api::clock::Clock::unix_now(&api.clock);

    // What the app sends when someone joins a room.
    let (status, headers, body) = post_token(
        &api,
        json!({"user_identity": "Dr Zoë", "room_name": "consult-1", "passcode": PASSCODE,
               "create_room": true, "create_conversation": true}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(is_json(&headers), "{headers:?}");
    assert_eq!(headers[CACHE_CONTROL], "no-store");
    assert_eq!(body["room_type"], "group");
    assert_eq!(body.as_object().unwrap().len(), 2, "{body}");
    let token = body["token"].as_str().unwrap();
    let grant = verifier.verify(token, now).expect("the server's own key");
    assert_eq!(grant.identity, "Dr Zoë");
    assert_eq!(grant.room.as_deref(), Some("consult-1"));
    assert_eq!(
        grant.expires_at,
        now + api::http::video_app::MAX_ALLOWED_SESSION_DURATION
    );
    assert_eq!(grant.expires_at - now, 14_400);

    // The token joins that room (opened by its first join).
    let joined = join_answer(running.http_addr, token).await;
    assert_eq!(joined["type"], "joined", "{joined}");
    assert_eq!(joined["room"]["name"], "consult-1", "{joined}");

    // The sign-in page's check; the defaults apply to absent flags.
    for (request, room) in [
        (
            json!({"user_identity": "temp-name", "room_name": "temp-room", "passcode": PASSCODE,
                   "create_room": false, "create_conversation": false}),
            "temp-room",
        ),
        (
            json!({"user_identity": "bob", "room_name": "r.2_x-y", "passcode": PASSCODE}),
            "r.2_x-y",
        ),
    ] {
        let (status, _, body) = post_token(&api, request.clone(), None).await;
        assert_eq!(status, StatusCode::OK, "{request}: {body}");
        let grant = verifier
            .verify(body["token"].as_str().unwrap(), now)
            .unwrap();
        assert_eq!(grant.room.as_deref(), Some(room), "{request}");
        assert_eq!(grant.rooms, RoomScope::AdHocOnly, "{request}");
    }
    api.stop().await;
}

/// The passcode is shared by everyone who uses the app: it must not open
/// a therapy session. Tokens always name a room, never one with the
/// appointment prefix, and the SFU keeps them out of every room the API
/// registered.
#[tokio::test]
async fn the_app_s_tokens_reach_no_appointment_or_rest_room() {
    let app = app_build(INDEX_HTML);
    let api = start(&app, |_| {}).await;
    let running = api.running.as_ref().unwrap();

    // No token for any room, as plugin-rtc would give with create_room false.
    let (status, _, body) = post_token(
        &api,
        json!({"user_identity": "alice", "passcode": PASSCODE, "create_room": false}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body,
        plugin_rtc_error(
            "missing room_name",
            "The room_name parameter is missing. Confide's tokens always name their room."
        )
    );
    let (status, _, body) = post_token(
        &api,
        json!({"user_identity": "alice", "room_name": "apt-7-0123456789ab", "passcode": PASSCODE}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body,
        plugin_rtc_error(
            "invalid parameter",
            "Room names starting with 'apt-' are kept for the clinic's appointments."
        )
    );

    // A room the API registered (an appointment's or a REST one) under a
    // name the app would accept: the app's token finds no such room.
    assert!(
        running
            .sfu
            .register_room("consult-9", "RM09", Some(2))
            .await
    );
    let (status, _, body) = post_token(
        &api,
        json!({"user_identity": "mallory", "room_name": "consult-9", "passcode": PASSCODE}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let refused = join_answer(running.http_addr, body["token"].as_str().unwrap()).await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["code"], 53106, "room not found: {refused}");
    assert!(
        running
            .sfu
            .room("consult-9")
            .await
            .is_none_or(|room| room.participants.is_empty()),
        "nobody entered the registered room"
    );
    api.stop().await;
}

#[tokio::test]
async fn wrong_and_malformed_requests_get_plugin_rtc_error_bodies() {
    let app = app_build(INDEX_HTML);
    let api = start(&app, |_| {}).await;
    let incorrect = plugin_rtc_error(
        "passcode incorrect",
        "The passcode used to validate application users is incorrect.",
    );
    let invalid = |explanation: &str| plugin_rtc_error("invalid parameter", explanation);
    let cases = [
        (
            json!({"user_identity": "a", "room_name": "r", "passcode": "clinic-passcode-43"}),
            StatusCode::UNAUTHORIZED,
            incorrect.clone(),
        ),
        (
            json!({"user_identity": "a", "room_name": "r"}),
            StatusCode::UNAUTHORIZED,
            incorrect.clone(),
        ),
        (
            json!({"user_identity": "a", "room_name": "r", "passcode": PASSCODE, "create_room": "yes"}),
            StatusCode::BAD_REQUEST,
            invalid("A boolean value must be provided for the create_room parameter"),
        ),
        (
            json!({"user_identity": "a", "room_name": "r", "passcode": PASSCODE, "create_conversation": null}),
            StatusCode::BAD_REQUEST,
            invalid("A boolean value must be provided for the create_conversation parameter"),
        ),
        (
            json!({"room_name": "r", "passcode": PASSCODE}),
            StatusCode::BAD_REQUEST,
            plugin_rtc_error(
                "missing user_identity",
                "The user_identity parameter is missing.",
            ),
        ),
        (
            json!({"user_identity": "", "room_name": "r", "passcode": PASSCODE}),
            StatusCode::BAD_REQUEST,
            plugin_rtc_error(
                "missing user_identity",
                "The user_identity parameter is missing.",
            ),
        ),
        (
            json!({"user_identity": "a", "passcode": PASSCODE}),
            StatusCode::BAD_REQUEST,
            plugin_rtc_error(
                "missing room_name",
                "The room_name parameter is missing. room_name is required when create_room is true.",
            ),
        ),
    ];
    for (request, status, expected) in cases {
        let (got, headers, body) = post_token(&api, request.clone(), None).await;
        assert_eq!(got, status, "{request}: {body}");
        assert_eq!(body, expected, "{request}");
        assert!(is_json(&headers), "{request}: {headers:?}");
    }

    // Names the signaling layer would refuse: explained, in the same shape.
    for request in [
        json!({"user_identity": "a".repeat(257), "room_name": "r", "passcode": PASSCODE}),
        json!({"user_identity": "line\nbreak", "room_name": "r", "passcode": PASSCODE}),
        json!({"user_identity": "nul\u{0}", "room_name": "r", "passcode": PASSCODE}),
        json!({"user_identity": 7, "room_name": "r", "passcode": PASSCODE}),
        json!({"user_identity": "a", "room_name": "My Room", "passcode": PASSCODE}),
        json!({"user_identity": "a", "room_name": "r".repeat(129), "passcode": PASSCODE}),
        json!({"user_identity": "a", "room_name": "tab\there", "passcode": PASSCODE}),
    ] {
        let (status, headers, body) = post_token(&api, request.clone(), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{request}: {body}");
        assert_eq!(
            body["error"]["message"], "invalid parameter",
            "{request}: {body}"
        );
        assert!(
            body["error"]["explanation"]
                .as_str()
                .unwrap()
                .contains("parameter")
        );
        assert!(is_json(&headers));
    }
    // The longest identity a token carries is fine.
    let (status, _, body) = post_token(
        &api,
        json!({"user_identity": "é".repeat(128), "room_name": "r", "passcode": PASSCODE}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Not JSON, not an object, not sent as JSON: the same shape.
    let token_url = format!("{}/token", api.base);
    for (content_type, body) in [
        ("application/json", "{\"user_identity\": "),
        ("application/json", "[1, 2]"),
        ("text/plain", "{\"user_identity\": \"a\"}"),
    ] {
        let request = api
            .http
            .post(&token_url)
            .header(CONTENT_TYPE, content_type)
            .body(body);
        let (status, headers, answer) = answer(request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert!(is_json(&headers));
        assert_eq!(answer["error"]["message"], "invalid request", "{answer}");
        assert!(answer["error"]["explanation"].is_string(), "{answer}");
    }
    let (status, _, _) = answer(api.http.post(&token_url)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Only POST.
    let (status, _, _) = answer(api.http.get(&token_url)).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    api.stop().await;
}

#[tokio::test]
async fn wrong_passcodes_are_limited_per_client_address() {
    let app = app_build(INDEX_HTML);
    // Through a proxy on this machine: X-Forwarded-For names the client.
    let api = start(&app, |config| {
        config.http.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let guess =
        |passcode: &str| json!({"user_identity": "a", "room_name": "r", "passcode": passcode});
    for n in 0..5 {
        let (status, _, body) =
            post_token(&api, guess(&format!("guess-{n:04}")), Some("203.0.113.9")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "guess {n}: {body}");
    }
    // Held back now, even with the right passcode (were it let through, a
    // 429 would tell a guesser that its guess was wrong).
    for passcode in ["guess-0005", PASSCODE] {
        let (status, headers, body) = post_token(&api, guess(passcode), Some("203.0.113.9")).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert_eq!(body["error"]["message"], "too many requests", "{body}");
        assert!(body["error"]["explanation"].is_string(), "{body}");
        assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
        assert!(is_json(&headers));
        let retry_after: u64 = headers[RETRY_AFTER].to_str().unwrap().parse().unwrap();
        assert!((1..=12).contains(&retry_after), "{retry_after}");
    }
    // Another client behind the same proxy is not.
    let (status, _, body) = post_token(&api, guess(PASSCODE), Some("198.51.100.4")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    api.stop().await;
}

#[tokio::test]
async fn the_app_is_served_as_a_single_page_app() {
    let app = app_build(INDEX_HTML);
    let api = start(&app, |_| {}).await;
    let get = |path: &str| api.http.get(format!("{}{path}", api.base));

    for page in [
        "/",
        "/room/abc",
        "/login",
        "/room/abc/def",
        "/video-session/apt-1-x",
    ] {
        let answer = get(page).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "{page}");
        assert!(
            answer.headers()[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{page}"
        );
        // Its own policy: wasm for virtual backgrounds, data: fonts,
        // still nothing from another origin.
        let csp = answer.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval';"),
            "{csp}"
        );
        assert!(csp.contains("font-src 'self' data:;"), "{csp}");
        assert!(!csp.contains("http"), "{csp}");
        assert_eq!(answer.text().await.unwrap(), INDEX_HTML, "{page}");
    }
    let head = api
        .http
        .head(format!("{}/room/abc", api.base))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK);

    let script = get("/static/js/main.js").send().await.unwrap();
    assert_eq!(script.status(), StatusCode::OK);
    assert!(
        script.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    let modified = script.headers()[LAST_MODIFIED].clone();
    assert_eq!(script.text().await.unwrap(), MAIN_JS);
    // A browser revalidating what it has gets a 304.
    let again = get("/static/js/main.js")
        .header(IF_MODIFIED_SINCE, modified)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    // Sent as written (an HTTP client would remove the dots first).
    for outside in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/static/../../secret.txt",
    ] {
        let answer = raw_get(&api, outside).await;
        assert!(answer.starts_with("HTTP/1.1 404"), "{outside}: {answer}");
        assert!(!answer.contains("not for the web"), "{outside}");
    }

    // The server's own routes come first, as before.
    let (status, body) = api
        .call(reqwest::Method::GET, "/api/nope", None, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], 20404, "{body}");
    let (status, body) = api
        .call(reqwest::Method::GET, "/v1/Rooms", None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], 20003, "{body}");
    let creds = &api.running.as_ref().unwrap().credentials;
    let rooms = api
        .http
        .get(format!("{}/v1/Rooms", api.base))
        .basic_auth(&creds.api_key_sid, Some(&creds.api_key_secret))
        .send()
        .await
        .unwrap();
    assert_eq!(rooms.status(), StatusCode::OK);
    assert!(rooms.json::<Value>().await.unwrap()["rooms"].is_array());
    assert_eq!(
        get("/healthz").send().await.unwrap().status(),
        StatusCode::OK
    );
    let (status, body) = api
        .call(reqwest::Method::GET, "/api/openapi.json", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["paths"].is_object());
    api.stop().await;
}

/// A GET with its path exactly as given; the whole answer as text.
async fn raw_get(api: &TestApi, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(api.running.as_ref().unwrap().http_addr)
        .await
        .unwrap();
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: confide\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer
}

#[tokio::test]
async fn without_the_section_token_is_what_it_was() {
    let api = TestApi::start(Backend::Sqlite).await;
    let answer = api
        .http
        .post(format!("{}/token", api.base))
        .header(CONTENT_TYPE, "application/json")
        .body(json!({"user_identity": "a", "room_name": "r", "passcode": PASSCODE}).to_string())
        .send()
        .await
        .unwrap();
    // The built-in pages' fallback: files are only read.
    assert_eq!(answer.status(), StatusCode::METHOD_NOT_ALLOWED);
    let page = api
        .http
        .get(format!("{}/room/abc", api.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    api.stop().await;
}

/// Loads `toml` as the configuration file; the error's text when refused.
fn load(dir: &Path, toml: &str) -> Result<Config, String> {
    let file = dir.join(format!("confide-{:016x}.toml", rand::random::<u64>()));
    std::fs::write(&file, toml).unwrap();
    Config::load(Some(&file), &CliOverrides::default()).map_err(|err| format!("{err:#}"))
}

#[test]
fn the_section_is_checked_when_the_configuration_loads() {
    let app = app_build(INDEX_HTML);
    let dir = app.dir.display().to_string();
    let config = load(
        &app.parent,
        &format!("[video_app]\ndir = \"{dir}\"\npasscode = \"{PASSCODE}\"\n"),
    )
    .expect("a valid section");
    assert_eq!(
        config.video_app,
        Some(VideoAppConfig {
            dir: app.dir.clone(),
            passcode: PASSCODE.into()
        })
    );

    let short = load(
        &app.parent,
        &format!("[video_app]\ndir = \"{dir}\"\npasscode = \"1234567\"\n"),
    )
    .unwrap_err();
    assert!(
        short.contains("video_app.passcode") && short.contains("at least 8"),
        "{short}"
    );
    let control = load(
        &app.parent,
        &format!("[video_app]\ndir = \"{dir}\"\npasscode = \"clinic\\tpasscode\"\n"),
    )
    .unwrap_err();
    assert!(
        control.contains("video_app.passcode") && control.contains("control"),
        "{control}"
    );

    let empty = app.parent.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let no_index = load(
        &app.parent,
        &format!(
            "[video_app]\ndir = \"{}\"\npasscode = \"{PASSCODE}\"\n",
            empty.display()
        ),
    )
    .unwrap_err();
    assert!(
        no_index.contains("video_app.dir") && no_index.contains("index.html"),
        "{no_index}"
    );

    let both = load(
        &app.parent,
        &format!("web_dir = \"{dir}\"\n[video_app]\ndir = \"{dir}\"\npasscode = \"{PASSCODE}\"\n"),
    )
    .unwrap_err();
    assert!(
        both.contains("web_dir and [video_app]") && both.contains("set one"),
        "{both}"
    );

    let unknown = load(
        &app.parent,
        &format!("[video_app]\ndir = \"{dir}\"\npasscode = \"{PASSCODE}\"\nroom_type = \"go\"\n"),
    )
    .unwrap_err();
    assert!(unknown.contains("room_type"), "{unknown}");
    let missing = load(&app.parent, &format!("[video_app]\ndir = \"{dir}\"\n")).unwrap_err();
    assert!(missing.contains("passcode"), "{missing}");
}

#[tokio::test]
async fn confide_check_reports_the_app() {
    let app = app_build(INDEX_HTML);
    let finding = |found: &[api::check::Finding]| {
        let finding = found
            .iter()
            .find(|f| f.what == "video app")
            .unwrap_or_else(|| panic!("no video app finding: {found:?}"));
        (finding.level, finding.detail.clone())
    };
    let mut config = Config {
        data_dir: app.parent.join("data"),
        ..Config::default()
    };
    config.http.listen = "127.0.0.1:0".parse().unwrap();
    config.media.listen = "127.0.0.1:0".parse().unwrap();
    let found = api::check::run(&config).await;
    assert!(
        found.iter().all(|f| f.what != "video app"),
        "not set: not reported"
    );

    config.video_app = Some(VideoAppConfig {
        dir: app.dir.clone(),
        passcode: PASSCODE.into(),
    });
    let (level, detail) = finding(&api::check::run(&config).await);
    assert_eq!(level, api::check::Level::Fine, "{detail}");

    // create-react-app's default build inlines its bootstrap script, which
    // the content security policy refuses: a blank page.
    let inline = app_build(
        "<!doctype html><div id=\"root\"></div><script>!function(e){}([])</script>\
         <script src=\"/static/js/main.js\"></script>",
    );
    config.video_app.as_mut().unwrap().dir = inline.dir.clone();
    let (level, detail) = finding(&api::check::run(&config).await);
    assert_eq!(level, api::check::Level::Warning, "{detail}");
    assert!(detail.contains("INLINE_RUNTIME_CHUNK=false"), "{detail}");
}
