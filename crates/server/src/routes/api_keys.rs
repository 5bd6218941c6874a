//! `/v1/api-keys`: create (the secret is shown once), list, revoke.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use remise_store::{ApiKey, Scope};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::AppState;
use crate::auth::{Caller, new_key};
use crate::body::Body;
use crate::model::rfc3339;
use crate::problem::ApiResult;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewKey {
    name: String,
    scope: Scope,
}

#[derive(Serialize)]
struct KeyView<'a> {
    id: &'a str,
    name: &'a str,
    scope: Scope,
    prefix: &'a str,
    created_at: String,
    revoked_at: Option<String>,
}

fn view(key: &ApiKey) -> KeyView<'_> {
    KeyView {
        id: &key.id,
        name: &key.name,
        scope: key.scope,
        prefix: &key.prefix,
        created_at: rfc3339(key.created_at),
        revoked_at: key.revoked_at.map(rfc3339),
    }
}

pub async fn list(State(state): State<Arc<AppState>>) -> ApiResult<Json<serde_json::Value>> {
    let keys = state.store.list_api_keys().await?;
    Ok(Json(
        json!({ "items": keys.iter().map(view).collect::<Vec<_>>() }),
    ))
}

pub async fn create(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> ApiResult<Response> {
    let new: NewKey = body.json()?;
    let (key, secret) = new_key(&new.name, new.scope)?;
    state.store.create_api_key(&caller.actor(), &key).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "key": view(&key), "secret": secret })),
    )
        .into_response())
}

pub async fn revoke(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let key = state.store.revoke_api_key(&caller.actor(), &id).await?;
    state.keys.forget(&key.hash);
    Ok(Json(serde_json::to_value(view(&key)).unwrap_or_default()))
}
