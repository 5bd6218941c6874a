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
const OTHER_ENTITIES: [&str; 8] = [
    "api_key",
    "coupon",
    "batch",
    "distribution",
    "voucher",
    "user",
    "change_request",
    "task",
];

/// Every audited entity, as `/v1/audit` names them (the document's `entity` enum lists these).
pub fn entities() -> Vec<&'static str> {
    Kind::ALL
        .iter()
        .map(|kind| kind.as_str())
        .chain(OTHER_ENTITIES)
        .collect()
}

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
            format!("unknown entity `{entity}` ({})", entities().join(", ")),
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

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::entities;
    use crate::routes::operations::OPENAPI;

    /// The document's `entity` enums (the filter and the entries) list every audited entity.
    #[test]
    fn the_document_names_every_audited_entity() {
        let document: Value = serde_json::from_str(OPENAPI).unwrap_or_default();
        let filter = document["paths"]["/v1/audit"]["get"]["parameters"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["name"] == "entity"))
            .map(|p| p["schema"]["enum"].clone())
            .unwrap_or_default();
        let entry =
            &document["components"]["schemas"]["AuditEntry"]["properties"]["entity"]["enum"];
        let expected = serde_json::json!(entities());
        assert_eq!(filter, expected, "the entity filter");
        assert_eq!(entry, &expected, "AuditEntry.entity");
    }
}
