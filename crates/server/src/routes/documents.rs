//! `/v1/{collection}` and `/v1/{collection}/{id}` for every managed collection: list, create,
//! read, replace (with `If-Match`), delete (soft for campaigns, promotions and offers) and
//! restore. Offers add their own list, code generation and restore of many (`offers`).
//!
//! Every write follows one path ([`write`]): read the body into its type, check it alone, check
//! the documents as they would be after the change with the engine's compiler, write, publish.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use remise_store::{Actor, Kind, ListQuery, Record};
use serde::Deserialize;
use serde_json::Value;

use super::{document_response, if_match, page};
use crate::AppState;
use crate::auth::Caller;
use crate::body::Body;
use crate::checks::changed_problems;
use crate::documents::{CampaignStatus, Document, id_field};
use crate::model::Model;
use crate::problem::{ApiError, ApiResult, FieldProblem};

/// `/v1/products/{sku}`, `/v1/segments/{id}`, `/v1/offers/{code}`, …
pub fn item_path(collection: &str, kind: Kind) -> String {
    format!("/v1/{collection}/{{{}}}", id_field(kind))
}

pub fn add_routes(
    router: Router<Arc<AppState>>,
    collection: &str,
    kind: Kind,
) -> Router<Arc<AppState>> {
    let item = item_path(collection, kind);
    let listed = if kind == Kind::Offer {
        get(super::offers::list)
    } else {
        get(move |state, query| list(kind, state, query))
    };
    let router = router
        .route(
            &format!("/v1/{collection}"),
            listed.post(move |state, caller, body| create(kind, state, caller, body)),
        )
        .route(
            &item,
            get(move |state, id| read(kind, state, id))
                .put(move |state, caller, id, headers, body| {
                    replace(kind, state, caller, id, headers, body)
                })
                .patch(move |state, caller, id, headers, body| {
                    patch(kind, state, caller, id, headers, body)
                })
                .delete(move |state, caller, id, headers| delete(kind, state, caller, id, headers)),
        );
    let router = if kind == Kind::Offer {
        router.route(
            &format!("/v1/{collection}/restore"),
            post(super::offers::restore_many),
        )
    } else {
        router
    };
    if kind.soft_deleted() {
        router.route(
            &format!("{item}/restore"),
            post(move |state, caller, id| restore(kind, state, caller, id)),
        )
    } else {
        router
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    limit: Option<u32>,
    after: Option<String>,
    #[serde(default)]
    deleted: bool,
    campaign: Option<String>,
    status: Option<String>,
}

/// Bounds a page size: 1–500, 50 by default.
pub fn page_size(limit: Option<u32>) -> ApiResult<u32> {
    match limit {
        None => Ok(50),
        Some(n @ 1..=500) => Ok(n),
        Some(n) => Err(ApiError::validation(
            "limit",
            format!("must be 1 to 500, not {n}"),
        )),
    }
}

pub fn query_problem(error: axum::extract::rejection::QueryRejection) -> ApiError {
    ApiError::InvalidJson {
        field: Some("query".to_owned()),
        detail: error.body_text(),
    }
}

async fn list(
    kind: Kind,
    State(state): State<Arc<AppState>>,
    params: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(params) = params.map_err(query_problem)?;
    if params.campaign.is_some() && kind != Kind::Promotion {
        return Err(ApiError::validation(
            "campaign",
            "only promotions filter by campaign",
        ));
    }
    if params.status.is_some() && kind != Kind::Campaign {
        return Err(ApiError::validation(
            "status",
            "only campaigns filter by status",
        ));
    }
    // An unknown status is refused rather than matching nothing, as the document's enum says.
    if let Some(status) = &params.status
        && serde_json::from_value::<CampaignStatus>(Value::String(status.clone())).is_err()
    {
        return Err(ApiError::validation(
            "status",
            format!("unknown status `{status}` (draft, active, paused, ended, archived)"),
        ));
    }
    let limit = page_size(params.limit)?;
    let query = ListQuery {
        deleted: params.deleted,
        parent: params.campaign,
        status: params.status,
        after: params.after,
        limit,
    };
    let records = state.store.list(kind, &query).await?;
    Ok(Json(page(&records, limit)))
}

async fn read(
    kind: Kind,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let record = state
        .store
        .get(kind, &id)
        .await?
        .ok_or_else(|| remise_store::Error::not_found(kind, &id))?;
    Ok(document_response(StatusCode::OK, &record))
}

async fn create(
    kind: Kind,
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> ApiResult<Response> {
    let mut value = body.json_value()?;
    if kind == Kind::Offer {
        super::offers::fill_code(state.store.as_ref(), &mut value).await?;
    }
    let document = Document::read(kind, value, "")?;
    let record = write(&state, &caller.actor(), Change::Create(document)).await?;
    let mut response = document_response(StatusCode::CREATED, &record);
    let collection = super::COLLECTIONS
        .iter()
        .find(|(_, k)| *k == kind)
        .map_or("", |(c, _)| c);
    if let Ok(location) = HeaderValue::from_str(&format!("/v1/{collection}/{}", record.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Reads a replacement body for `id`: the id field may be left out, and must match if given.
pub fn read_replacement(kind: Kind, id: &str, mut value: Value) -> ApiResult<Document> {
    let field = id_field(kind);
    if let Value::Object(map) = &mut value {
        match map.get(field) {
            None => {
                map.insert(field.to_owned(), Value::String(id.to_owned()));
            }
            Some(Value::String(given)) if given == id => {}
            Some(given) => {
                return Err(ApiError::validation(
                    field,
                    format!("{given} does not match the id in the path (`{id}`)"),
                ));
            }
        }
    }
    Document::read(kind, value, "")
}

async fn replace(
    kind: Kind,
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let version = if_match(&headers)?;
    let document = read_replacement(kind, &id, body.json_value()?)?;
    let record = write(&state, &caller.actor(), Change::Update(document, version)).await?;
    Ok(document_response(StatusCode::OK, &record))
}

/// Changes only the fields a JSON Merge Patch (RFC 7396) names: `null` removes a field, an
/// object is merged field by field, anything else replaces the field. The result is checked and
/// written like a replacement, under the same `If-Match`.
async fn patch(
    kind: Kind,
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let version = if_match(&headers)?;
    let value = patched(&state, kind, &id, &body).await?;
    let document = read_replacement(kind, &id, value)?;
    let record = write(&state, &caller.actor(), Change::Update(document, version)).await?;
    Ok(document_response(StatusCode::OK, &record))
}

/// The live document `id` with the merge patch of `body` applied. A patch is an object (any other
/// JSON value would replace the whole document, which a replacement says better).
pub async fn patched(state: &AppState, kind: Kind, id: &str, body: &Body) -> ApiResult<Value> {
    let change = body.json_value()?;
    if !change.is_object() {
        return Err(ApiError::validation(
            "",
            "a merge patch must be a JSON object naming the fields to change",
        ));
    }
    let record = state
        .store
        .get(kind, id)
        .await?
        .filter(|r| r.deleted_at.is_none())
        .ok_or_else(|| remise_store::Error::not_found(kind, id))?;
    let mut value = record.body;
    json_patch::merge(&mut value, &change);
    Ok(value)
}

async fn delete(
    kind: Kind,
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let version = if_match(&headers)?;
    let record = write(&state, &caller.actor(), Change::Delete(kind, id, version)).await?;
    Ok(if kind.soft_deleted() {
        document_response(StatusCode::OK, &record)
    } else {
        StatusCode::NO_CONTENT.into_response()
    })
}

async fn restore(
    kind: Kind,
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let record = write(&state, &caller.actor(), Change::Restore(kind, id)).await?;
    Ok(document_response(StatusCode::OK, &record))
}

/// A change to one document.
pub enum Change {
    Create(Document),
    Update(Document, i64),
    Delete(Kind, String, i64),
    Restore(Kind, String),
}

/// Checks, writes and publishes one change; the new snapshot serves this instance's next request.
pub async fn write(state: &AppState, actor: &Actor, change: Change) -> ApiResult<Record> {
    let _one_at_a_time = state.writes.lock().await;
    refresh(state).await?;
    let store = state.store.as_ref();
    let record = match change {
        Change::Create(document) => {
            let problems = document.check();
            if !problems.is_empty() {
                return Err(ApiError::Validation(problems));
            }
            let kind = document.kind();
            if let Some(existing) = store.get(kind, document.id()).await? {
                return Err(ApiError::Conflict(format!(
                    "a {} `{}` already exists{}",
                    kind.as_str().replace('_', " "),
                    existing.id,
                    if existing.deleted_at.is_some() {
                        " (deleted: restore it or choose another id)"
                    } else {
                        ""
                    }
                )));
            }
            check_with(
                state,
                |model| model.put(document.clone()),
                (kind, document.id()),
            )
            .await?;
            store.create(actor, kind, document.draft()?).await?
        }
        Change::Update(document, version) => {
            let kind = document.kind();
            let mut problems = document.check();
            let current = store
                .get(kind, document.id())
                .await?
                .filter(|r| r.deleted_at.is_none())
                .ok_or_else(|| remise_store::Error::not_found(kind, document.id()))?;
            if current.version != version {
                return Err(remise_store::Error::VersionMismatch {
                    kind: kind.as_str().to_owned(),
                    id: current.id,
                    expected: version,
                    current: current.version,
                }
                .into());
            }
            if let Document::Campaign(campaign) = &document {
                problems.extend(status_change(&current, campaign.status));
            }
            if !problems.is_empty() {
                return Err(ApiError::Validation(problems));
            }
            check_with(
                state,
                |model| model.put(document.clone()),
                (kind, document.id()),
            )
            .await?;
            store
                .update(actor, kind, document.draft()?, version)
                .await?
        }
        Change::Delete(kind, id, version) => {
            check_with(state, |model| model.remove(kind, &id), (kind, &id)).await?;
            store.delete(actor, kind, &id, version).await?
        }
        Change::Restore(kind, id) => {
            let deleted = store
                .get(kind, &id)
                .await?
                .filter(|r| r.deleted_at.is_some())
                .ok_or_else(|| {
                    ApiError::NotFound(format!("no deleted {} `{id}`", kind.as_str()))
                })?;
            let document = Document::read(kind, deleted.body, "")?;
            check_with(state, |model| model.put(document.clone()), (kind, &id))
                .await
                .map_err(|e| match e {
                    ApiError::Validation(problems) => ApiError::Conflict(format!(
                        "it no longer fits the other documents: {}",
                        problems
                            .iter()
                            .map(|p| format!("{}: {}", p.field, p.message))
                            .collect::<Vec<_>>()
                            .join("; ")
                    )),
                    other => other,
                })?;
            store.restore(actor, kind, &id).await?
        }
    };
    refresh(state).await?;
    Ok(record)
}

/// Checks the current documents with `change` applied: the changed document compiled alone and
/// what refers to it (`checks::changed_problems`), or everything for the kinds that need it, off
/// the async workers.
pub async fn check_with(
    state: &AppState,
    change: impl FnOnce(&mut Model),
    (kind, id): (Kind, &str),
) -> ApiResult<()> {
    let published = state.publisher.current();
    let mut model = published.model.clone();
    change(&mut model);
    let id = id.to_owned();
    tokio::task::spawn_blocking(move || {
        let changed = (kind, id.as_str());
        let compiled = changed_problems(&published.snapshot, &model, changed)
            .unwrap_or_else(|| model.compile_problems());
        model.check_with(changed, compiled)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("the check failed: {e}")))?
}

/// Brings the served snapshot up to the store's revision.
pub async fn refresh(state: &AppState) -> ApiResult<()> {
    state
        .publisher
        .refresh(state.store.as_ref())
        .await
        .map_err(|e| {
            ApiError::Unavailable(format!("the snapshot could not be refreshed: {e:#}"))
        })?;
    Ok(())
}

/// A campaign's status may only move along its life cycle.
pub fn status_change(current: &Record, next: CampaignStatus) -> Option<FieldProblem> {
    let previous = current
        .body
        .get("status")
        .cloned()
        .and_then(|s| serde_json::from_value::<CampaignStatus>(s).ok())?;
    if previous == next || previous.next().contains(&next) {
        return None;
    }
    let allowed: Vec<&str> = previous.next().iter().map(|s| s.as_str()).collect();
    Some(FieldProblem::new(
        "status",
        format!(
            "the campaign is {}: it can become {}, not {}",
            previous.as_str(),
            if allowed.is_empty() {
                "nothing else".to_owned()
            } else {
                allowed.join(" or ")
            },
            next.as_str()
        ),
    ))
}
