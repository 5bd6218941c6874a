//! `/v1/audit`: every change, newest first.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use remise_store::{AuditQuery, Kind};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::documents::page_size;
use crate::AppState;
use crate::model::rfc3339;
use crate::problem::{ApiError, ApiResult};

/// Audited entities that are not documents.
const OTHER_ENTITIES: [&str; 4] = ["api_key", "coupon", "batch", "distribution"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    entity: Option<String>,
    entity_id: Option<String>,
    before: Option<i64>,
    limit: Option<u32>,
}

#[derive(Serialize)]
struct Entry<'a> {
    seq: i64,
    at: String,
    actor: &'a str,
    action: remise_store::Action,
    entity: &'a str,
    entity_id: &'a str,
    before: &'a Option<Value>,
    after: &'a Option<Value>,
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    params: Result<Query<Params>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(params) = params.map_err(|e| ApiError::InvalidJson {
        field: Some("query".to_owned()),
        detail: e.body_text(),
    })?;
    if let Some(entity) = &params.entity
        && Kind::parse(entity).is_none()
        && !OTHER_ENTITIES.contains(&entity.as_str())
    {
        return Err(ApiError::validation(
            "entity",
            format!(
                "unknown entity `{entity}` (settings, product, segment, selection, customer_group, campaign, promotion, relay, api_key, coupon, batch, distribution)"
            ),
        ));
    }
    let limit = page_size(params.limit)?;
    let entries = state
        .store
        .audit(&AuditQuery {
            entity: params.entity,
            entity_id: params.entity_id,
            before_seq: params.before,
            limit,
        })
        .await?;
    let next = (entries.len() == limit as usize)
        .then(|| entries.last().map(|e| e.seq))
        .flatten();
    let items: Vec<Entry<'_>> = entries
        .iter()
        .map(|e| Entry {
            seq: e.seq,
            at: rfc3339(e.at),
            actor: &e.actor,
            action: e.action,
            entity: &e.entity,
            entity_id: &e.entity_id,
            before: &e.before,
            after: &e.after,
        })
        .collect();
    Ok(Json(json!({ "items": items, "next_before": next })))
}
