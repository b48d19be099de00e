//! What an operator relies on: `/readyz` says when a call can start (and
//! stops saying so while the server stops), `/metrics` is served to this
//! machine or to a bearer of `http.metrics_token` only, the log can be JSON
//! lines, a server whose public address is on the internet while media is
//! offered on a private one says so at start, and the packet cache is shown
//! only when the operator asks for it.

mod http_support;
mod process_support;

use api::db::Backend;
use http_support::TestApi;
use process_support::{Confide, Store, http_addr};
use reqwest::StatusCode;
use serde_json::Value;

async fn get(api: &TestApi, path: &str, headers: &[(&str, &str)]) -> (StatusCode, String) {
    let mut request = api.http.get(format!("{}{path}", api.base));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn readiness_follows_the_server(backend: Backend) {
    let api = TestApi::start(backend).await;
    let (status, body) = get(&api, "/readyz", &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["ready"], true);
    let (status, _) = get(&api, "/healthz", &[]).await;
    assert_eq!(status, StatusCode::OK);
    // Stopping: a load balancer must send nobody new.
    api.running.as_ref().unwrap().draining.start();
    let (status, body) = get(&api, "/readyz", &[]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["ready"], false);
    assert_eq!(body["problems"], serde_json::json!(["stopping"]));
    api.stop().await;
}

on_both_databases!(readiness_follows_the_server);

#[tokio::test]
async fn metrics_are_for_this_machine_or_a_token() {
    let api = TestApi::start(Backend::Sqlite).await;
    let (status, body) = get(&api, "/metrics", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("process_resident_memory_bytes"), "{body}");
    // Through a reverse proxy on this machine: someone else's request.
    for proxied in [
        ("X-Forwarded-For", "198.51.100.7"),
        ("Forwarded", "for=198.51.100.7"),
    ] {
        let (status, body) = get(&api, "/metrics", &[proxied]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(body.contains("metrics_token"), "{body}");
    }
    api.stop().await;

    let api = TestApi::start_with(Backend::Sqlite, |config| {
        config.http.metrics_token = Some("a-long-random-metrics-token".into());
    })
    .await;
    for headers in [
        vec![],
        vec![("Authorization", "Bearer wrong")],
        vec![("Authorization", "Bearer ")],
    ] {
        let (status, _) = get(&api, "/metrics", &headers).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{headers:?}");
    }
    let (status, body) = get(
        &api,
        "/metrics",
        &[
            ("Authorization", "Bearer a-long-random-metrics-token"),
            ("X-Forwarded-For", "198.51.100.7"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    api.stop().await;
}

/// `/ops/packet-cache/{room}` answers only when the operator turned it on,
/// to the same readers as `/metrics`, and names no room it does not have.
#[tokio::test]
async fn the_packet_cache_is_served_only_when_turned_on() {
    let api = TestApi::start(Backend::Sqlite).await;
    let sfu = api.running.as_ref().unwrap().state.sfu.clone();
    assert!(
        sfu.register_room("apt-1-cache", "RM0000000000000000000000000000cafe", Some(2))
            .await
    );
    let (status, _) = get(&api, "/ops/packet-cache/apt-1-cache", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "off by default");
    api.stop().await;

    let api = TestApi::start_with(Backend::Sqlite, |config| {
        config.media.inspect_packet_cache = true;
    })
    .await;
    let sfu = api.running.as_ref().unwrap().state.sfu.clone();
    assert!(
        sfu.register_room("apt-1-cache", "RM0000000000000000000000000000cafe", Some(2))
            .await
    );
    let (status, body) = get(&api, "/ops/packet-cache/apt-1-cache", &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["room"], "apt-1-cache");
    assert_eq!(
        body["tracks"],
        serde_json::json!([]),
        "nobody publishes yet"
    );
    let (status, _) = get(&api, "/ops/packet-cache/no-such-room", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(
        &api,
        "/ops/packet-cache/apt-1-cache",
        &[("X-Forwarded-For", "198.51.100.7")],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "not for someone through a proxy"
    );
    api.stop().await;
}

/// The binary with `log.format = "json"` and a public address whose media
/// is on loopback: every log line is a JSON object, one of them the
/// warning that names `media.advertise`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_and_a_warning_about_private_media() {
    let store = Store::new(Backend::Sqlite).await;
    let config = process_support::config_file(
        &store,
        "https://video.clinic.example",
        "[log]\nformat = \"json\"\n",
    );
    let log = store.dir.join("confide.log");
    let process = Confide::spawn(&config, &log);
    http_addr(&log).await;
    drop(process);
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .filter(|line| !line.starts_with("Confide is running"))
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert!(!lines.is_empty(), "{text}");
    let warning = lines
        .iter()
        .find(|l| {
            l["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("media.advertise"))
        })
        .unwrap_or_else(|| panic!("no warning about media.advertise: {text}"));
    assert_eq!(warning["level"], "WARN");
    store.drop_all().await;
}
