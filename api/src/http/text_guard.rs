//! Control characters never reach the database: NUL breaks PostgreSQL's
//! text type (every such request used to answer 500), and CR/LF, escape and
//! the rest have no place in a name, an e-mail, a room name or a URL, and
//! end up in e-mails, WhatsApp messages and logs. This layer refuses them in
//! the path, the query and JSON or form bodies of every request, with a
//! clear 400, before any handler runs.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::error::ApiError;

/// Bodies are read up to this (the API's own limit answers larger ones).
const MAX_CHECKED_BODY: usize = super::MAX_BODY;

fn is_control(c: char) -> bool {
    c.is_control()
}

fn refused(where_: &str) -> Response {
    ApiError::BadRequest(format!(
        "{where_} contains a control character (NUL, line break, escape, …); \
         plain text only"
    ))
    .into_response()
}

/// Percent-decoded bytes of a path or query, as text (`+` is a space in
/// queries and forms).
fn decoded_has_control(raw: &str) -> bool {
    let plus_as_space = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&plus_as_space)
        .decode_utf8_lossy()
        .chars()
        .any(is_control)
}

fn json_has_control(value: &Value) -> bool {
    match value {
        Value::String(s) => s.chars().any(is_control),
        Value::Array(items) => items.iter().any(json_has_control),
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| k.chars().any(is_control) || json_has_control(v)),
        _ => false,
    }
}

pub async fn refuse_control_characters(request: Request, next: Next) -> Response {
    if decoded_has_control(request.uri().path()) {
        return refused("the address");
    }
    if request.uri().query().is_some_and(decoded_has_control) {
        return refused("the query string");
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let json = content_type.starts_with("application/json");
    let form = content_type.starts_with("application/x-www-form-urlencoded");
    if !json && !form {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_CHECKED_BODY).await else {
        return ApiError::TooLarge.into_response();
    };
    let bad = if json {
        // Malformed JSON is the handler's to describe.
        serde_json::from_slice::<Value>(&bytes).is_ok_and(|v| json_has_control(&v))
    } else {
        form_urlencoded::parse(&bytes).any(|(k, v)| k.chars().chain(v.chars()).any(is_control))
    };
    if bad {
        return refused("the request body");
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_control_characters_however_they_are_written() {
        assert!(decoded_has_control("/v1/Rooms/a%00b"));
        assert!(decoded_has_control("name=a%0Db"));
        assert!(decoded_has_control("x=%1B[31m"));
        assert!(!decoded_has_control("/v1/Rooms/Dr%20Jones+room"));
        assert!(!decoded_has_control("name=Jos%C3%A9"));
        assert!(json_has_control(
            &serde_json::json!({"a": ["ok", "x\u{0}y"]})
        ));
        assert!(json_has_control(&serde_json::json!({"n": "line\nbreak"})));
        assert!(json_has_control(&serde_json::json!({"n": "\u{9b}c1"})));
        assert!(!json_has_control(
            &serde_json::json!({"n": "Zoë 🙂", "k": 1})
        ));
    }
}
