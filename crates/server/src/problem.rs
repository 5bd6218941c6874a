//! The one error shape of the API: `application/problem+json` with a stable `type`, a status, a
//! human `detail`, and the offending `field` or every field's error.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use remise_engine::FieldError;
use serde::Serialize;

/// One problem with one field of the request (`lines[2].quantity`, `line 14`). A problem in a
/// cell of an imported CSV file also says its line, its column and the value found there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl FieldProblem {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldProblem {
        FieldProblem {
            field: field.into(),
            message: message.into(),
            line: None,
            column: None,
            value: None,
        }
    }

    /// A problem at `line` of a file (named `file` when an import reads several), in `column`
    /// when it is one cell's, with the cell's `value`: its field reads `line 12: Prix`.
    pub fn in_cell(
        file: Option<&str>,
        line: u64,
        column: Option<&str>,
        value: Option<&str>,
        message: impl Into<String>,
    ) -> FieldProblem {
        let place = match file {
            Some(file) => format!("{file} line {line}"),
            None => format!("line {line}"),
        };
        FieldProblem {
            field: match column {
                Some(column) => format!("{place}: {column}"),
                None => place,
            },
            message: message.into(),
            line: Some(line),
            column: column.map(str::to_owned),
            value: value.map(str::to_owned),
        }
    }
}

impl From<&FieldError> for FieldProblem {
    fn from(error: &FieldError) -> FieldProblem {
        FieldProblem::new(error.path.clone(), error.message.clone())
    }
}

/// Everything a request can fail with; each maps to one status and one problem `type`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("method not allowed on this path")]
    MethodNotAllowed,
    #[error("{0}")]
    Conflict(String),
    #[error("{detail}")]
    PreconditionFailed { detail: String, current: i64 },
    #[error(
        "this change needs an If-Match header with the version you read (e.g. If-Match: \"3\")"
    )]
    PreconditionRequired,
    /// The body is not JSON of the expected shape: malformed, a wrong type, an unknown field.
    #[error("{detail}")]
    InvalidJson {
        field: Option<String>,
        detail: String,
    },
    /// Well-formed but not acceptable: every problem, each with its field.
    #[error("{} invalid field(s)", .0.len())]
    Validation(Vec<FieldProblem>),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Too many failed code look-ups; try again after this many seconds.
    #[error("too many failed code look-ups: try again in {retry_after} s")]
    TooManyRequests { retry_after: u64 },
    /// A code cannot be used (reserve) or a redemption step is refused.
    #[error("{detail}")]
    CodeRefused {
        reason: remise_store::Refusal,
        detail: String,
    },
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::Validation(vec![FieldProblem::new(field, message)])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::InvalidJson { .. } => StatusCode::BAD_REQUEST,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::CodeRefused { .. } => StatusCode::CONFLICT,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine code, a relative URI.
    pub fn kind(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::Unauthorized(_) => ("/problems/unauthorized", "Unauthorized"),
            ApiError::Forbidden(_) => ("/problems/forbidden", "Forbidden"),
            ApiError::NotFound(_) => ("/problems/not-found", "Not found"),
            ApiError::MethodNotAllowed => ("/problems/method-not-allowed", "Method not allowed"),
            ApiError::Conflict(_) => ("/problems/conflict", "Conflict"),
            ApiError::PreconditionFailed { .. } => {
                ("/problems/precondition-failed", "Version conflict")
            }
            ApiError::PreconditionRequired => {
                ("/problems/precondition-required", "If-Match required")
            }
            ApiError::InvalidJson { .. } => ("/problems/invalid-json", "Invalid JSON"),
            ApiError::Validation(_) => ("/problems/validation", "Validation failed"),
            ApiError::PayloadTooLarge(_) => ("/problems/payload-too-large", "Payload too large"),
            ApiError::UnsupportedMediaType(_) => {
                ("/problems/unsupported-media-type", "Unsupported media type")
            }
            ApiError::TooManyRequests { .. } => {
                ("/problems/too-many-requests", "Too many requests")
            }
            ApiError::CodeRefused { .. } => ("/problems/code-refused", "Code refused"),
            ApiError::Unavailable(_) => ("/problems/unavailable", "Service unavailable"),
            ApiError::Internal(_) => ("/problems/internal", "Internal error"),
        }
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'static str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [FieldProblem],
    #[serde(skip_serializing_if = "Option::is_none")]
    current_version: Option<i64>,
    /// Why a code was refused (`used_up`, `expired`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let (kind, title) = self.kind();
        let (field, errors, current_version) = match &self {
            ApiError::InvalidJson { field, .. } => (field.as_deref(), &[][..], None),
            ApiError::Validation(errors) => {
                (errors.first().map(|e| e.field.as_str()), &errors[..], None)
            }
            ApiError::PreconditionFailed { current, .. } => (None, &[][..], Some(*current)),
            _ => (None, &[][..], None),
        };
        let detail = match &self {
            ApiError::Validation(errors) => errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        };
        let problem = Problem {
            kind,
            title,
            status: status.as_u16(),
            detail,
            field,
            errors,
            current_version,
            reason: match &self {
                ApiError::CodeRefused { reason, .. } => Some(reason.as_str()),
                _ => None,
            },
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let ApiError::TooManyRequests { retry_after } = self
            && let Ok(value) = HeaderValue::from_str(&retry_after.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        if matches!(self, ApiError::Unauthorized(_)) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"remise\""),
            );
        }
        response
    }
}

impl From<remise_store::Error> for ApiError {
    fn from(error: remise_store::Error) -> ApiError {
        use remise_store::Error as E;
        match error {
            E::NotFound { .. } => ApiError::NotFound(error.to_string()),
            E::AlreadyExists { .. }
            | E::NotEnoughCodes { .. }
            | E::RevisionMoved { .. }
            | E::WrongState { .. }
            | E::Stale { .. } => ApiError::Conflict(error.to_string()),
            E::VersionMismatch { current, .. } => ApiError::PreconditionFailed {
                detail: error.to_string(),
                current,
            },
            E::Database(_) => {
                ApiError::Unavailable(format!("the database is unavailable: {error}"))
            }
            E::BadUrl(_) | E::Corrupt { .. } | E::Migration(_) => {
                ApiError::Internal(error.to_string())
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
