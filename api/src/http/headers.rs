//! Response headers that keep the clinic's pages and data where they
//! belong: every response gets a content security policy (scripts only from
//! this server, no framing), `nosniff` and a referrer policy; API answers,
//! which carry tokens and personal data, are never cached.
//!
//! Each header is set only when the handler did not set its own.

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;

/// Scripts and styles from this origin (inline `<style>` blocks are used by
/// two pages); media from the camera and blobs; the signaling websocket and
/// the API on this origin; never in a frame.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob: mediastream:; \
     connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// The same for a `[video_app]` (twilio-video-app-react): its virtual
/// backgrounds compile WebAssembly (`'wasm-unsafe-eval'`, which allows
/// compiling wasm and nothing else: no `eval`) and its stylesheet embeds
/// fonts as `data:` URLs. Its Google Fonts stylesheet stays blocked: a
/// patient's browser tells no third party about the call (the app falls
/// back to the system font).
pub const VIDEO_APP_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
     script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; font-src 'self' data:; \
     img-src 'self' data: blob:; media-src 'self' blob: mediastream:; connect-src 'self'; \
     worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

const PAGE_HEADERS: [(HeaderName, &str); 5] = [
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    // Reminder links carry room names; other sites need not see them.
    (header::REFERRER_POLICY, "no-referrer"),
    (
        HeaderName::from_static("permissions-policy"),
        "camera=(self), microphone=(self), geolocation=(), payment=()",
    ),
];

/// The headers every response gets.
pub fn on_every_response<S: Clone + Send + Sync + 'static>(
    mut router: Router<S>,
    https: bool,
) -> Router<S> {
    for (name, value) in PAGE_HEADERS {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    if https {
        // Served over HTTPS: browsers keep to it for a year (not for
        // subdomains, which may be other services of the clinic's).
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            axum::http::header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        ));
    }
    router
}

/// `Cache-Control: no-store`, for the API's answers (tokens, names, phone
/// numbers): neither the browser nor a proxy keeps a copy.
pub fn never_cached<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router.layer(SetResponseHeaderLayer::if_not_present(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    ))
}
