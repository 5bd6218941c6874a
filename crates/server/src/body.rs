//! Reading request bodies: the size limit, the media type, and JSON errors that name the field.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::problem::{ApiError, ApiResult};

/// A request body within the route's size limit, with its media type (lower case, parameters
/// dropped; empty when absent).
pub struct Body {
    pub bytes: Bytes,
    pub media_type: String,
}

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Body, ApiError> {
        let media_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge(format!(
                        "the body is over this route's limit: {rejection}"
                    ))
                } else {
                    ApiError::InvalidJson {
                        field: None,
                        detail: format!("the body could not be read: {rejection}"),
                    }
                }
            })?;
        Ok(Body { bytes, media_type })
    }
}

impl Body {
    /// Refuses a body that is declared as something else than JSON (a missing type is accepted).
    pub fn require_json(&self) -> ApiResult<()> {
        if self.media_type.is_empty()
            || self.media_type == "application/json"
            || self.media_type.ends_with("+json")
        {
            Ok(())
        } else {
            Err(ApiError::UnsupportedMediaType(format!(
                "expected application/json, got {}",
                self.media_type
            )))
        }
    }

    /// The body as a JSON value.
    pub fn json_value(&self) -> ApiResult<Value> {
        self.require_json()?;
        serde_json::from_slice(&self.bytes).map_err(|e| malformed(&e))
    }

    /// The body as `T`; a wrong type or an unknown field names its path.
    pub fn json<T: DeserializeOwned>(&self) -> ApiResult<T> {
        from_value(self.json_value()?, "")
    }
}

/// A JSON syntax error, with its position.
pub fn malformed(error: &serde_json::Error) -> ApiError {
    ApiError::InvalidJson {
        field: Some(format!("line {}, column {}", error.line(), error.column())),
        detail: format!("malformed JSON: {error}"),
    }
}

/// Reads `T` from `value`; errors name the path, prefixed with `prefix` (`products[3]`).
pub fn from_value<T: DeserializeOwned>(value: Value, prefix: &str) -> ApiResult<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let field = join_path(prefix, &inner);
        ApiError::InvalidJson {
            detail: if field.is_empty() {
                e.inner().to_string()
            } else {
                format!("{field}: {}", e.inner())
            },
            field: Some(field).filter(|f| !f.is_empty()),
        }
    })
}

/// `prefix` + `inner` as one path (`.` is serde_path_to_error's root).
pub fn join_path(prefix: &str, inner: &str) -> String {
    match (prefix.is_empty(), inner == "." || inner.is_empty()) {
        (_, true) => prefix.to_owned(),
        (true, false) => inner.to_owned(),
        (false, false) if inner.starts_with('[') => format!("{prefix}{inner}"),
        (false, false) => format!("{prefix}.{inner}"),
    }
}
