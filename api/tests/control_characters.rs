//! NUL and control characters never reach the database, in any string
//! field of any operation, on SQLite and PostgreSQL (where a NUL used to
//! answer 500). The table is not written by hand: it is every string path
//! parameter, query parameter and body field the server's own OpenAPI
//! document lists, so an endpoint added later is covered without anyone
//! remembering to. Each field gets each character, and must answer a JSON
//! 400 (Twilio's 20400) naming the problem; the same request without the
//! character must not, so the refusal is the character's doing. Names made
//! of nothing visible, or with text-direction controls, are refused by the
//! name rule (422).

mod http_support;

use http_support::TestApi;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// NUL, a line break (header and e-mail injection), an escape sequence
/// (terminal and log injection), DEL, and a C1 control (CSI).
const BAD: [&str; 5] = [
    "\0",
    "\r\nBcc: x@evil.example",
    "\u{1b}[2J",
    "\u{7f}",
    "\u{9b}1m",
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Place {
    Path,
    Query,
    Json,
    Form,
}

#[derive(Debug)]
struct Field {
    method: Method,
    path: String,
    place: Place,
    name: String,
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap();
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

fn is_string(schema: &Value) -> bool {
    match &schema["type"] {
        Value::String(t) => t == "string",
        Value::Array(types) => types.iter().any(|t| t == "string"),
        _ => false,
    }
}

/// Every string field of every documented operation.
fn string_fields(doc: &Value) -> Vec<Field> {
    let mut fields = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let place = match parameter["in"].as_str() {
                    Some("path") => Place::Path,
                    Some("query") => Place::Query,
                    _ => continue,
                };
                if is_string(resolve(doc, &parameter["schema"])) {
                    fields.push(Field {
                        method: method.clone(),
                        path: path.clone(),
                        place,
                        name: parameter["name"].as_str().unwrap().to_owned(),
                    });
                }
            }
            let content = &operation["requestBody"]["content"];
            for (media_type, place) in [
                ("application/json", Place::Json),
                ("application/x-www-form-urlencoded", Place::Form),
            ] {
                let schema = resolve(doc, &content[media_type]["schema"]);
                for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                    if is_string(resolve(doc, property)) {
                        fields.push(Field {
                            method: method.clone(),
                            path: path.clone(),
                            place,
                            name: name.clone(),
                        });
                    }
                }
            }
        }
    }
    fields
}

/// Sends `field` set to `value` (every other path parameter a plain word),
/// with the admin's session or the API key as the path wants.
async fn send(api: &TestApi, admin: &str, field: &Field, value: &str) -> (StatusCode, Value) {
    let creds = api.running.as_ref().unwrap().credentials.clone();
    let mut path = field.path.clone();
    while let Some(start) = path.find('{') {
        let end = start + path[start..].find('}').unwrap();
        let name = &path[start + 1..end];
        let filler = if field.place == Place::Path && name == field.name {
            utf8_percent_encode(value, NON_ALPHANUMERIC).to_string()
        } else {
            "plain".to_owned()
        };
        path.replace_range(start..=end, &filler);
    }
    if field.place == Place::Query {
        path = format!(
            "{path}?{}={}",
            field.name,
            utf8_percent_encode(value, NON_ALPHANUMERIC)
        );
    }
    let mut request = api
        .http
        .request(field.method.clone(), format!("{}{path}", api.base));
    request = if path.starts_with("/v1/") {
        request.basic_auth(&creds.api_key_sid, Some(&creds.api_key_secret))
    } else {
        request.bearer_auth(admin)
    };
    request = match field.place {
        Place::Json => request.json(&json!({ field.name.as_str(): value })),
        Place::Form => request.form(&[(field.name.as_str(), value)]),
        Place::Path | Place::Query => request,
    };
    let response = request.send().await.unwrap();
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

fn names_a_control_character(answer: &Value) -> bool {
    answer["code"] == 20400
        && answer["message"]
            .as_str()
            .is_some_and(|m| m.contains("control character"))
}

async fn counts(api: &TestApi, admin: &str) -> (usize, usize) {
    let (_, users) = api.get("/api/users/", admin).await;
    let creds = api.running.as_ref().unwrap().credentials.clone();
    let rooms: Value = api
        .http
        .get(format!("{}/v1/Rooms?Status=in-progress", api.base))
        .basic_auth(&creds.api_key_sid, Some(&creds.api_key_secret))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        users.as_array().unwrap().len(),
        rooms["rooms"].as_array().unwrap().len(),
    )
}

async fn every_string_field_refuses_control_characters(backend: api::db::Backend) {
    let api = TestApi::start(backend).await;
    let admin = api.admin().await;
    let (status, doc) = api.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let fields = string_fields(&doc);
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    for expected in [
        "email",
        "password",
        "name",
        "phone",
        "time_zone",
        "appointment_date",
        "UniqueName",
        "StatusCallback",
        "Status",
        "id",
        "role",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} is documented: {names:?}"
        );
    }
    let before = counts(&api, &admin).await;
    let mut tried = 0;
    for field in &fields {
        for bad in BAD {
            let (status, answer) = send(&api, &admin, field, &format!("a{bad}b")).await;
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "{field:?} with {bad:?}: {answer}"
            );
            assert!(names_a_control_character(&answer), "{field:?}: {answer}");
            tried += 1;
        }
    }
    eprintln!(
        "{} string fields × {} characters: {tried} requests refused",
        fields.len(),
        BAD.len()
    );
    assert_eq!(counts(&api, &admin).await, before, "nothing was stored");
    // Without the character each request goes on to its handler, which may
    // well refuse it, but not for this.
    for field in &fields {
        let (_, answer) = send(&api, &admin, field, "ab").await;
        assert!(!names_a_control_character(&answer), "{field:?}: {answer}");
    }
    // Still serving.
    let (status, _) = api.get("/api/me", &admin).await;
    assert_eq!(status, StatusCode::OK);
    api.stop().await;
}

/// A name must show someone: blank-looking names and text-direction tricks
/// are refused by the name rule, on sign-up and staff-made accounts alike.
async fn names_must_be_visible_text(backend: api::db::Backend) {
    let api = TestApi::start(backend).await;
    let admin = api.admin().await;
    for (n, name) in [
        "\u{200B}\u{200B}",
        " \u{FEFF}\u{2060} ",
        "Ana \u{202E}moc.live",
    ]
    .into_iter()
    .enumerate()
    {
        for (path, token) in [
            ("/api/auth/register", None),
            ("/api/users/", Some(admin.as_str())),
        ] {
            let body = json!({"email": format!("n{n}@clinic.test"), "password": "correct horse battery", "name": name});
            let (status, answer) = api.call(Method::POST, path, token, Some(body)).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{path} {name:?}: {answer}"
            );
            assert!(answer["fields"]["name"].is_string(), "{answer}");
        }
    }
    // Joiners inside a name are fine (emoji and several scripts need them).
    let body = json!({"email": "zwj@clinic.test", "password": "correct horse battery", "name": "👩\u{200D}⚕️ Ana"});
    let (status, answer) = api
        .call(Method::POST, "/api/auth/register", None, Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    api.stop().await;
}

on_both_databases!(
    every_string_field_refuses_control_characters,
    names_must_be_visible_text
);
