//! One error type for the whole API. Client errors become a JSON body
//! `{code, message, fields?}` with the right status; internal errors are
//! logged with their cause and answered with a bare 500, never the cause.
//! Codes follow Twilio's REST numbering where it has one (20003, 20404,
//! 20429, 20500), and the same scheme (20000 + status) elsewhere. Domain
//! errors ([`model::Error`]) map onto it here.

use std::collections::BTreeMap;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::model;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    /// Field → what is wrong with it.
    #[error("invalid fields")]
    Invalid(BTreeMap<String, String>),
    #[error("authentication required")]
    Unauthorized,
    /// The same answer whichever of email and password was wrong.
    #[error("wrong email or password")]
    LoginFailed,
    #[error("{0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Gone(String),
    #[error("too many requests; try again in {} s", .0.as_secs())]
    TooManyRequests(std::time::Duration),
    #[error("request body too large")]
    TooLarge,
    /// A Twilio error with its own code (53112 room status invalid, …).
    #[error("{2}")]
    Twilio(StatusCode, u32, String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// One invalid field.
    pub fn field(name: &str, problem: impl Into<String>) -> ApiError {
        ApiError::Invalid(BTreeMap::from([(name.to_owned(), problem.into())]))
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized | ApiError::LoginFailed => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Twilio(status, _, _) => *status,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> u32 {
        match self {
            ApiError::Unauthorized | ApiError::LoginFailed => 20003,
            ApiError::Twilio(_, code, _) => *code,
            other => 20000 + other.status().as_u16() as u32,
        }
    }
}

/// Domain errors keep the statuses and codes the handlers always answered.
impl From<model::Error> for ApiError {
    fn from(err: model::Error) -> Self {
        match err {
            model::Error::Invalid(fields) => ApiError::Invalid(fields),
            model::Error::Rejected(message) => ApiError::BadRequest(message),
            model::Error::Forbidden(message) => ApiError::Forbidden(message),
            model::Error::NotFound => ApiError::NotFound,
            model::Error::Conflict(message) => ApiError::Conflict(message),
            model::Error::Gone(message) => ApiError::Gone(message),
            err @ model::Error::RoomExists => {
                ApiError::Twilio(StatusCode::BAD_REQUEST, 53113, err.to_string())
            }
            err @ model::Error::RoomNotInProgress => {
                ApiError::Twilio(StatusCode::BAD_REQUEST, 53112, err.to_string())
            }
            model::Error::Internal(err) => ApiError::Internal(err),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        ApiError::Internal(err.into())
    }
}

#[derive(Serialize)]
struct Body<'a> {
    code: u32,
    message: String,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<&'a BTreeMap<String, String>>,
}

/// The error body every endpoint answers with (for the OpenAPI document).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Twilio-style code: 20003 unauthenticated, 20404 not found, 20429 too
    /// many requests, 20000 + status elsewhere, or a Video code (531xx).
    pub code: u32,
    pub message: String,
    pub status: u16,
    /// Field → what is wrong with it (validation errors).
    pub fields: Option<BTreeMap<String, String>>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            ApiError::Internal(err) => {
                let logged = crate::redact::addresses(&format!("{err:?}"));
                tracing::error!(error = %logged, "internal error");
                "internal error".to_owned()
            }
            other => other.to_string(),
        };
        let fields = match &self {
            ApiError::Invalid(fields) => Some(fields),
            _ => None,
        };
        let body = Body {
            code: self.code(),
            message,
            status: status.as_u16(),
            fields,
        };
        let mut response = (status, Json(body)).into_response();
        if let ApiError::TooManyRequests(wait) = &self {
            response.headers_mut().insert(
                "retry-after",
                wait.as_secs().max(1).to_string().parse().expect("digits"),
            );
        }
        if matches!(self, ApiError::Unauthorized) {
            response
                .headers_mut()
                .insert("www-authenticate", "Bearer".parse().expect("static header"));
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
