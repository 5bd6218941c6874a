//! `POST /v1/products/import`: a catalog file (CSV or JSON), all or nothing.

use std::sync::Arc;

use axum::extract::State;
use axum::{Extension, Json};
use remise_store::UpsertSummary;

use crate::AppState;
use crate::auth::Caller;
use crate::body::Body;
use crate::catalog_file::{FileFormat, import_file};
use crate::problem::{ApiError, ApiResult};

pub async fn products(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> ApiResult<Json<UpsertSummary>> {
    let format = match body.media_type.as_str() {
        "text/csv" => FileFormat::Csv,
        "" | "application/json" => FileFormat::Json,
        other => {
            return Err(ApiError::UnsupportedMediaType(format!(
                "expected text/csv or application/json, got {other}"
            )));
        }
    };
    let limit = state.limits.import_rows;
    Ok(Json(
        import_file(&state, &caller.actor(), body.bytes, format, limit).await?,
    ))
}
