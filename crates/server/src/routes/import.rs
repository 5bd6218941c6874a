//! `POST /v1/products/import`: a catalog file (CSV or JSON), all or nothing, or a dry run.
//! `POST /v1/import/rules`: a rule file or NDJSON documents (promotions, campaigns, segments,
//! selections, customer groups, products), all or nothing, or a dry run.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::{Extension, Json};
use remise_store::UpsertSummary;
use serde::Deserialize;

use super::documents::query_problem;
use crate::AppState;
use crate::auth::Caller;
use crate::body::Body;
use crate::catalog_file::{FileFormat, dry_run, import_file};
use crate::problem::{ApiError, ApiResult};
use crate::rules_file::{RulesFormat, read_rules};
use crate::rules_import::{ImportReport, import_rules};

pub async fn products(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    params: Result<Query<DryRun>, QueryRejection>,
    body: Body,
) -> ApiResult<Json<UpsertSummary>> {
    let Query(params) = params.map_err(query_problem)?;
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
    if params.dry_run {
        let reader = std::io::Cursor::new(body.bytes);
        return Ok(Json(dry_run(&state, reader, format, limit).await?));
    }
    Ok(Json(
        import_file(&state, &caller.actor(), body.bytes, format, limit).await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DryRun {
    /// Check and compare, write nothing.
    #[serde(default)]
    dry_run: bool,
}

pub async fn rules(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    params: Result<Query<DryRun>, QueryRejection>,
    body: Body,
) -> ApiResult<Json<ImportReport>> {
    let Query(params) = params.map_err(query_problem)?;
    let format = match body.media_type.as_str() {
        "" | "application/json" => RulesFormat::Rules,
        "application/x-ndjson" => RulesFormat::Ndjson,
        other => {
            return Err(ApiError::UnsupportedMediaType(format!(
                "expected application/json (a rule file) or application/x-ndjson, got {other}"
            )));
        }
    };
    let limit = state.limits.import_rows;
    let bytes = body.bytes;
    // Reading a large file takes a while: off the async workers.
    let file = tokio::task::spawn_blocking(move || read_rules(&bytes, format, limit))
        .await
        .map_err(|e| ApiError::Internal(format!("the import failed: {e}")))??;
    let report = import_rules(&state, &caller.actor(), file, params.dry_run, &|_| {}).await?;
    Ok(Json(report))
}
