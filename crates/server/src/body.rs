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
///
/// JSON Schema counts `1.0` as an integer and clients (JavaScript, schemathesis) write such
/// numbers, so an integral number written with a fraction is read as that integer where an integer
/// is expected. Only the place serde names is rewritten, so a decimal elsewhere keeps its scale;
/// inside an internally tagged enum (an offer) serde names the enum, whose whole value is then
/// rewritten (an integral decimal there loses its trailing zeros, not its value). A refusal
/// reports the number as it was written.
pub fn from_value<T: DeserializeOwned>(mut value: Value, prefix: &str) -> ApiResult<T> {
    // The refusal before the last rewrite: reported if rewriting that place did not help.
    let mut before_rewrite: Option<serde_path_to_error::Error<serde_json::Error>> = None;
    loop {
        let error = match serde_path_to_error::deserialize::<_, T>(&value) {
            Ok(read) => return Ok(read),
            Err(error) => error,
        };
        if let Some(before) = before_rewrite.take()
            && before.path().to_string() == error.path().to_string()
        {
            return Err(path_problem(before, prefix));
        }
        let pointer = pointer_to(&value, error.path());
        let rewritten = value
            .pointer_mut(&pointer)
            .is_some_and(integral_floats_to_integers);
        if !rewritten {
            return Err(path_problem(error, prefix));
        }
        before_rewrite = Some(error);
    }
}

fn path_problem(e: serde_path_to_error::Error<serde_json::Error>, prefix: &str) -> ApiError {
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
}

/// A JSON pointer to the value at `path`, or to the deepest one the path reaches (a path stops
/// at an internally tagged or untagged enum, which serde reads from a buffer).
fn pointer_to(value: &Value, path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        let step = match segment {
            Segment::Seq { index } => index.to_string(),
            Segment::Map { key } => key.replace('~', "~0").replace('/', "~1"),
            Segment::Enum { variant } => variant.replace('~', "~0").replace('/', "~1"),
            Segment::Unknown => break,
        };
        let longer = format!("{pointer}/{step}");
        if value.pointer(&longer).is_none() {
            break;
        }
        pointer = longer;
    }
    pointer
}

/// Rewrites every integral number written with a fraction (`1.0`, `2.50e1`) in `value` as an
/// integer; says whether there was one.
fn integral_floats_to_integers(value: &mut Value) -> bool {
    match value {
        Value::Number(n) if !(n.is_i64() || n.is_u64()) => {
            let Some(integer) = integral(&n.to_string()) else {
                return false;
            };
            *value = Value::Number(integer);
            true
        }
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |any, item| integral_floats_to_integers(item) | any),
        Value::Object(map) => map
            .values_mut()
            .fold(false, |any, item| integral_floats_to_integers(item) | any),
        _ => false,
    }
}

/// `text` (a JSON number) as an integer if it is one within 64 bits.
fn integral(text: &str) -> Option<serde_json::Number> {
    use rust_decimal::prelude::ToPrimitive;
    let decimal = if text.contains(['e', 'E']) {
        rust_decimal::Decimal::from_scientific(text).ok()?
    } else {
        text.parse::<rust_decimal::Decimal>().ok()?
    };
    if !decimal.fract().is_zero() {
        return None;
    }
    decimal
        .to_i64()
        .map(serde_json::Number::from)
        .or_else(|| decimal.to_u64().map(serde_json::Number::from))
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
