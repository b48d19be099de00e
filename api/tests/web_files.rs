//! The web app's pages as the binary serves them (from `web/`, built in):
//! a folder's `index.html`, the redirect from `/admin` to `/admin/`, the
//! reminder links' deep paths, content types, an `ETag` that a browser's
//! revalidation turns into a 304, and nothing outside the app's files.

mod http_support;

use api::db::Backend;
use http_support::TestApi;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, ETAG, IF_NONE_MATCH, LOCATION};

#[tokio::test]
async fn the_pages_are_served_from_the_binary() {
    let api = TestApi::start(Backend::Sqlite).await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: &str| no_redirects.get(format!("{}{path}", api.base));

    let index = get("/").send().await.unwrap();
    assert_eq!(index.status(), StatusCode::OK);
    assert!(
        index.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let etag = index.headers()[ETAG].clone();
    assert!(
        index
            .text()
            .await
            .unwrap()
            .contains("<title>Your appointments — Confide")
    );

    // A browser revalidating a page it has gets a 304 and no body.
    let again = get("/").header(IF_NONE_MATCH, etag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(again.text().await.unwrap().is_empty());

    let admin = get("/admin").send().await.unwrap();
    assert!(admin.status().is_redirection(), "{}", admin.status());
    assert_eq!(admin.headers()[LOCATION], "/admin/");
    assert_eq!(
        get("/admin/").send().await.unwrap().status(),
        StatusCode::OK
    );

    let sdk = get("/sdk/index.js").send().await.unwrap();
    assert_eq!(sdk.status(), StatusCode::OK);
    assert!(
        sdk.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("javascript")
    );

    for deep_link in [
        "/video-session/apt-1-abc",
        "/appointments/7/video",
        "/pre-call",
    ] {
        let page = get(deep_link).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{deep_link}");
        assert!(
            page.headers()[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
    }
    for missing in [
        "/nothing.html",
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/sdk/../../Cargo.toml",
    ] {
        let answer = get(missing).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::NOT_FOUND, "{missing}");
    }
    api.stop().await;
}
