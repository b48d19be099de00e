//! The web app's files, built into the binary, so a copied or packaged
//! `confide` serves the app with nothing beside it. (In debug builds
//! `rust-embed` reads the same files from `web/` at run time, so page edits
//! show without a rebuild.) `web_dir` in the configuration serves a folder
//! instead, for a clinic that changes the pages; `[video_app]` serves
//! twilio-video-app-react's build folder instead, as a single-page app.
//!
//! Served as a static file server would: `index.html` for a folder, a
//! redirect from `/admin` to `/admin/`, the content type from the name, and
//! an `ETag` (the file's SHA-256) so browsers revalidate with a 304 (from a
//! folder: `Last-Modified`, and a 304 the same way).

use std::path::PathBuf;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use crate::config::Config;

#[derive(rust_embed::Embed)]
#[folder = "../web/"]
struct WebFiles;

/// Where pages come from: a folder the operator chose, or the binary.
#[derive(Clone, Debug)]
pub enum WebSource {
    Folder(PathBuf),
    Built,
    /// A single-page app's build folder (`[video_app]`): its files, and
    /// its `index.html` for every other path, which the app routes itself
    /// (`/room/{name}`, `/login`).
    SinglePageApp(PathBuf),
}

impl WebSource {
    pub fn new(config: &Config) -> WebSource {
        match (&config.video_app, &config.web_dir) {
            (Some(video_app), _) => WebSource::SinglePageApp(video_app.dir.clone()),
            (None, Some(dir)) => WebSource::Folder(dir.clone()),
            (None, None) => WebSource::Built,
        }
    }

    /// Adds the app's deep links (reminder messages point at
    /// `/video-session/{room}`, reset e-mails at `/reset-password`; the
    /// pages read the rest from the address)
    /// and every other file as the fallback.
    pub fn serve(&self, router: Router) -> Router {
        const DEEP_LINKS: [(&str, &str); 5] = [
            ("/video-session/{room}", "video.html"),
            ("/appointments/{id}/video", "video.html"),
            ("/pre-call", "pre-call.html"),
            ("/reset-password", "reset-password.html"),
            ("/sign-up", "sign-up.html"),
        ];
        match self {
            WebSource::Folder(dir) => {
                let mut router = router;
                for (path, file) in DEEP_LINKS {
                    router = router.route_service(path, ServeFile::new(dir.join(file)));
                }
                router.fallback_service(ServeDir::new(dir))
            }
            WebSource::Built => {
                let mut router = router;
                for (path, file) in DEEP_LINKS {
                    router = router.route(
                        path,
                        axum::routing::get(move |request: Request<Body>| async move {
                            built_file(file, &request)
                        }),
                    );
                }
                router.fallback(|request: Request<Body>| async move { built(&request) })
            }
            // Confide's deep links are its own app's, not this one's.
            WebSource::SinglePageApp(dir) => {
                let files = ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html")));
                router
                    .fallback(move |request: Request<Body>| single_page_app(files.clone(), request))
            }
        }
    }
}

/// A file of the app, else its `index.html` (`ServeDir` would give
/// `index.html` for a `..` path too; it is refused here instead).
async fn single_page_app(files: ServeDir<ServeFile>, request: Request<Body>) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let climbs_out = percent_encoding::percent_decode_str(request.uri().path())
        .decode_utf8_lossy()
        .split('/')
        .any(|part| part == "..");
    if climbs_out {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mut response = match files.oneshot(request).await {
        Ok(response) => response.into_response(),
        Err(never) => match never {},
    };
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(crate::http::headers::VIDEO_APP_CONTENT_SECURITY_POLICY),
    );
    response
}

/// A request for a built-in file, by its path.
fn built(request: &Request<Body>) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let Ok(path) = percent_encoding::percent_decode_str(request.uri().path()).decode_utf8() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let path = path.trim_start_matches('/');
    // Only the built-in files exist; `..` is refused all the same.
    if path.split('/').any(|part| part == "..") {
        return StatusCode::NOT_FOUND.into_response();
    }
    if path.is_empty() || path.ends_with('/') {
        return built_file(&format!("{path}index.html"), request);
    }
    if WebFiles::get(path).is_none() && WebFiles::get(&format!("{path}/index.html")).is_some() {
        // As a file server does: relative links in the folder's page work.
        return Redirect::permanent(&format!("/{path}/")).into_response();
    }
    built_file(path, request)
}

fn built_file(name: &str, request: &Request<Body>) -> Response {
    let Some(file) = WebFiles::get(name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{}\"", hex::encode(file.metadata.sha256_hash()));
    let fresh = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    // A HEAD request gets the same answer; the server leaves the body out.
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        Body::from(file.data).into_response()
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(file.metadata.mimetype()) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    response
}
