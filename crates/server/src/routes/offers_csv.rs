//! `POST /v1/import/offers`, `POST /v1/import/offer-discounts`: seed 004's offers file and the
//! file of commitments and discounts (`text/csv`), all or nothing, or a dry run.
//! `GET /v1/exports/offers`, `GET /v1/exports/offer-discounts`: the same files, of every live
//! offer in code order.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;

use super::documents::query_problem;
use super::refresh;
use crate::AppState;
use crate::auth::Caller;
use crate::body::Body;
use crate::offers_file::{
    ExportFile, ImportOptions, OfferFiles, OffersReport, Separator, export_model, import_offers,
};
use crate::problem::{ApiError, ApiResult};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    /// Check and compare, write nothing.
    #[serde(default)]
    dry_run: bool,
    /// (Discounts file) the named offers' commitments are the file's only.
    #[serde(default)]
    replace: bool,
}

/// The body as a CSV file.
fn csv_body(body: &Body) -> ApiResult<()> {
    match body.media_type.as_str() {
        "text/csv" | "application/csv" => Ok(()),
        other => Err(ApiError::UnsupportedMediaType(format!(
            "expected text/csv, got {}",
            if other.is_empty() {
                "no Content-Type"
            } else {
                other
            }
        ))),
    }
}

pub async fn import_offers_file(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    params: Result<Query<ImportParams>, QueryRejection>,
    body: Body,
) -> ApiResult<Json<OffersReport>> {
    let Query(params) = params.map_err(query_problem)?;
    if params.replace {
        return Err(ApiError::validation(
            "replace",
            "only an import of commitments and discounts replaces (POST /v1/import/offer-discounts)",
        ));
    }
    csv_body(&body)?;
    let files = OfferFiles {
        offers: Some(body.bytes),
        discounts: None,
    };
    run(&state, &caller, files, params).await
}

pub async fn import_discounts_file(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    params: Result<Query<ImportParams>, QueryRejection>,
    body: Body,
) -> ApiResult<Json<OffersReport>> {
    let Query(params) = params.map_err(query_problem)?;
    csv_body(&body)?;
    let files = OfferFiles {
        offers: None,
        discounts: Some(body.bytes),
    };
    run(&state, &caller, files, params).await
}

async fn run(
    state: &AppState,
    caller: &Caller,
    files: OfferFiles<axum::body::Bytes>,
    params: ImportParams,
) -> ApiResult<Json<OffersReport>> {
    let options = ImportOptions {
        dry_run: params.dry_run,
        replace: params.replace,
    };
    let limit = state.limits.import_rows;
    let report = import_offers(state, &caller.actor(), files, options, limit, &|_| {}).await?;
    Ok(Json(report))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    #[serde(default)]
    separator: SeparatorParam,
}

#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum SeparatorParam {
    /// `;`, decimal commas, a BOM: what French Excel opens.
    #[default]
    Semicolon,
    /// `,`, decimal points, no BOM.
    Comma,
}

pub async fn export_offers_file(
    state: State<Arc<AppState>>,
    params: Result<Query<ExportParams>, QueryRejection>,
) -> ApiResult<Response> {
    export(state, params, ExportFile::Offers, "offres.csv").await
}

pub async fn export_discounts_file(
    state: State<Arc<AppState>>,
    params: Result<Query<ExportParams>, QueryRejection>,
) -> ApiResult<Response> {
    export(state, params, ExportFile::Discounts, "remises.csv").await
}

async fn export(
    State(state): State<Arc<AppState>>,
    params: Result<Query<ExportParams>, QueryRejection>,
    file: ExportFile,
    name: &str,
) -> ApiResult<Response> {
    let Query(params) = params.map_err(query_problem)?;
    let separator = match params.separator {
        SeparatorParam::Semicolon => Separator::Semicolon,
        SeparatorParam::Comma => Separator::Comma,
    };
    refresh(&state).await?;
    let published = state.publisher.current();
    // Written off the async workers: linear in the offers and their discounts.
    let bytes = tokio::task::spawn_blocking(move || {
        let mut bytes = Vec::new();
        export_model(&published.model, file, separator, &mut bytes).map(|()| bytes)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("the export failed: {e}")))?
    .map_err(|e| ApiError::Internal(format!("the CSV could not be written: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
