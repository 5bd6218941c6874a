//! `/v1/settings`: the store's currency, time zone, rounding, tax display and strategy.

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use remise_store::{Kind, SETTINGS_ID};

use super::documents::{Change, patched, write};
use super::{document_response, if_match};
use crate::AppState;
use crate::auth::Caller;
use crate::body::Body;
use crate::documents::Document;
use crate::problem::ApiResult;

pub async fn get(State(state): State<Arc<AppState>>) -> ApiResult<Response> {
    let record = state
        .store
        .get(Kind::Settings, SETTINGS_ID)
        .await?
        .ok_or_else(|| remise_store::Error::not_found(Kind::Settings, SETTINGS_ID))?;
    Ok(document_response(StatusCode::OK, &record))
}

/// Changes the fields a JSON Merge Patch names (see `documents::patch`).
pub async fn patch(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let version = if_match(&headers)?;
    let value = patched(&state, Kind::Settings, SETTINGS_ID, &body).await?;
    update(&state, &caller, value, version).await
}

pub async fn put(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let version = if_match(&headers)?;
    update(&state, &caller, body.json_value()?, version).await
}

async fn update(
    state: &AppState,
    caller: &Caller,
    mut value: serde_json::Value,
    version: i64,
) -> ApiResult<Response> {
    // The settings document has no id field in its body (the envelope's `id` is tolerated).
    // Not `read_replacement`: it would put the id field back, which `Settings` refuses.
    if let Some(map) = value.as_object_mut() {
        map.remove("id");
    }
    let document = Document::read(Kind::Settings, value, "")?;
    let record = write(state, &caller.actor(), Change::Update(document, version)).await?;
    Ok(document_response(StatusCode::OK, &record))
}
