//! Handing codes to relays and following their use: distributions (the codes and their e-mail,
//! queued together), the outbox, usage figures per batch and per relay, CSV exports of codes and
//! redemptions for the dashboard.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use remise_store::{
    Actor, CouponQuery, DistributeRequest, Distribution, Kind, MailState, OutboxMessage,
    RedemptionQuery, now_millis,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::Caller;
use crate::body::Body;
use crate::documents::Relay;
use crate::model::rfc3339;
use crate::problem::{ApiError, ApiResult};

fn query_problem(error: axum::extract::rejection::QueryRejection) -> ApiError {
    ApiError::InvalidJson {
        field: Some("query".to_owned()),
        detail: error.body_text(),
    }
}

fn distribution_view(d: &Distribution) -> Value {
    json!({
        "id": d.id,
        "batch": d.batch,
        "relay": d.relay,
        "count": d.count,
        "created_at": rfc3339(d.created_at),
    })
}

fn outbox_view(m: &OutboxMessage) -> Value {
    json!({
        "id": m.id,
        "distribution": m.distribution,
        "subject": m.text.as_ref().map(|text| text.subject.as_str()),
        "recipient": m.recipient,
        "language": m.language,
        "state": m.state,
        "attempts": m.attempts,
        "next_attempt_at": rfc3339(m.next_attempt_at),
        "last_error": m.last_error,
        "created_at": rfc3339(m.created_at),
        "sent_at": m.sent_at.map(rfc3339),
    })
}

/// A relay document, typed.
pub async fn find_relay(state: &AppState, id: &str) -> ApiResult<Relay> {
    let record = state
        .store
        .get(Kind::Relay, id)
        .await?
        .filter(|r| r.deleted_at.is_none())
        .ok_or_else(|| ApiError::validation("relay", format!("unknown relay `{id}`")))?;
    serde_json::from_value(record.body)
        .map_err(|e| ApiError::Internal(format!("relay `{id}` does not read: {e}")))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewDistribution {
    relay: String,
    count: u32,
}

/// The most codes one distribution may hand out (one e-mail).
const MAX_DISTRIBUTED: u32 = 100_000;

/// Hands `count` available codes of a batch to a relay and queues their e-mail, atomically.
pub async fn distribute(
    state: &AppState,
    actor: &Actor,
    batch: &str,
    relay: &str,
    count: u32,
) -> ApiResult<Distribution> {
    if !(1..=MAX_DISTRIBUTED).contains(&count) {
        return Err(ApiError::validation(
            "count",
            format!("1 to {MAX_DISTRIBUTED}"),
        ));
    }
    if state.store.get_batch(batch).await?.is_none() {
        return Err(ApiError::NotFound(format!("no batch `{batch}`")));
    }
    let relay = find_relay(state, relay).await?;
    let request = DistributeRequest {
        id: crate::auth::new_id("dist")?,
        batch: batch.to_owned(),
        relay: relay.id,
        count,
        recipient: relay.email,
        language: relay.language.as_str().to_owned(),
        now: now_millis(),
    };
    match state.store.distribute(actor, &request).await {
        Ok(distribution) => Ok(distribution),
        Err(error @ remise_store::Error::NotEnoughCodes { .. }) => {
            Err(ApiError::Conflict(error.to_string()))
        }
        Err(error) => Err(error.into()),
    }
}

pub async fn create(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(batch): Path<String>,
    body: Body,
) -> ApiResult<Response> {
    let new: NewDistribution = body.json()?;
    let distribution = distribute(&state, &caller.actor(), &batch, &new.relay, new.count).await?;
    Ok((StatusCode::CREATED, Json(distribution_view(&distribution))).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistributionParams {
    batch: Option<String>,
    relay: Option<String>,
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    params: Result<Query<DistributionParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(params) = params.map_err(query_problem)?;
    let items = state
        .store
        .list_distributions(params.batch.as_deref(), params.relay.as_deref())
        .await?;
    Ok(Json(
        json!({ "items": items.iter().map(distribution_view).collect::<Vec<_>>() }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxParams {
    state: Option<MailState>,
    limit: Option<u32>,
}

pub async fn outbox(
    State(state): State<Arc<AppState>>,
    params: Result<Query<OutboxParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(params) = params.map_err(query_problem)?;
    let limit = super::documents::page_size(params.limit)?;
    let items = state.store.list_outbox(params.state, limit).await?;
    Ok(Json(
        json!({ "items": items.iter().map(outbox_view).collect::<Vec<_>>() }),
    ))
}

/// Puts a failed e-mail back in the queue.
pub async fn retry(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    match state.store.retry_mail(&id, now_millis()).await {
        Ok(message) => Ok(Json(outbox_view(&message))),
        Err(remise_store::Error::NotFound { .. }) => {
            Err(ApiError::NotFound(format!("no e-mail `{id}`")))
        }
        Err(error) => Err(error.into()),
    }
}

/// A batch's counts and its redemptions per day.
pub async fn batch_usage(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    if state.store.get_batch(&id).await?.is_none() {
        return Err(ApiError::NotFound(format!("no batch `{id}`")));
    }
    let counts = state.store.batch_counts(&id, now_millis()).await?;
    let days = state.store.redemptions_per_day(Some(&id), None).await?;
    let distributions = state.store.list_distributions(Some(&id), None).await?;
    Ok(Json(json!({
        "batch": id,
        "counts": counts,
        "per_day": days,
        "distributions": distributions.iter().map(distribution_view).collect::<Vec<_>>(),
    })))
}

/// A relay's counts and the redemptions of its codes per day.
pub async fn relay_usage(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let relay = find_relay(&state, &id)
        .await
        .map_err(|_| ApiError::NotFound(format!("no relay `{id}`")))?;
    let counts = state.store.relay_counts(&relay.id, now_millis()).await?;
    let days = state
        .store
        .redemptions_per_day(None, Some(&relay.id))
        .await?;
    Ok(Json(
        json!({ "relay": relay.id, "counts": counts, "per_day": days }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    batch: Option<String>,
    relay: Option<String>,
}

fn csv_response(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

fn csv_error(error: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(format!("the CSV could not be written: {error}"))
}

/// Writes codes (of one batch and/or relay, or all) as CSV: code, promotion, batch, state,
/// relay, created_at. The export of the API and of `remise codes export`.
pub async fn write_codes(
    store: &dyn remise_store::Store,
    batch: Option<&str>,
    relay: Option<&str>,
    out: impl std::io::Write,
) -> ApiResult<()> {
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(["code", "promotion", "batch", "state", "relay", "created_at"])
        .map_err(csv_error)?;
    let mut after = None;
    loop {
        let page = store
            .list_coupons(&CouponQuery {
                batch: batch.map(str::to_owned),
                after: after.take(),
                limit: 10_000,
                ..CouponQuery::default()
            })
            .await?;
        let Some(last) = page.last().map(|c| c.code.clone()) else {
            break;
        };
        for c in page
            .iter()
            .filter(|c| relay.is_none() || c.relay.as_deref() == relay)
        {
            csv.write_record([
                c.display.as_str(),
                &c.promotion,
                c.batch.as_deref().unwrap_or(""),
                c.state.as_str(),
                c.relay.as_deref().unwrap_or(""),
                &rfc3339(c.created_at),
            ])
            .map_err(csv_error)?;
        }
        after = Some(last);
    }
    csv.flush().map_err(csv_error)
}

/// Codes with their state and relay, as CSV.
pub async fn export_codes(
    State(state): State<Arc<AppState>>,
    params: Result<Query<ExportParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(params) = params.map_err(query_problem)?;
    let mut bytes = Vec::new();
    write_codes(
        state.store.as_ref(),
        params.batch.as_deref(),
        params.relay.as_deref(),
        &mut bytes,
    )
    .await?;
    Ok(csv_response("codes.csv", bytes))
}

/// Redemptions, as CSV.
pub async fn export_redemptions(
    State(state): State<Arc<AppState>>,
    params: Result<Query<ExportParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(params) = params.map_err(query_problem)?;
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record([
        "id",
        "code",
        "promotion",
        "amount",
        "customer",
        "order_id",
        "state",
        "reserved_at",
        "confirmed_at",
        "cancelled_at",
    ])
    .map_err(csv_error)?;
    let mut after = None;
    loop {
        let page = state
            .store
            .list_redemptions(&RedemptionQuery {
                batch: params.batch.clone(),
                relay: params.relay.clone(),
                after: after.take(),
                limit: 10_000,
            })
            .await?;
        let Some(last) = page.last().map(|r| r.id.clone()) else {
            break;
        };
        for r in &page {
            csv.write_record([
                r.id.as_str(),
                &r.code,
                &r.promotion,
                &r.amount.map(|a| a.to_string()).unwrap_or_default(),
                r.customer.as_deref().unwrap_or(""),
                &r.order_id,
                r.state.as_str(),
                &rfc3339(r.reserved_at),
                &r.confirmed_at.map(rfc3339).unwrap_or_default(),
                &r.cancelled_at.map(rfc3339).unwrap_or_default(),
            ])
            .map_err(csv_error)?;
        }
        after = Some(last);
    }
    let bytes = csv.into_inner().map_err(csv_error)?;
    Ok(csv_response("redemptions.csv", bytes))
}
