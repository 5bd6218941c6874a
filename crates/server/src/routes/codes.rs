//! Coupon codes: shared coupons (`/v1/coupons`), generated batches (`/v1/batches`), and the
//! storefront's code check (`/v1/codes/{code}`).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use remise_store::{
    Actor, Batch, BatchCounts, CodeState, Coupon, CouponQuery, Millis, Refusal, Usage,
    normalize_code, now_millis,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::documents::page_size;
use super::generation;
use crate::AppState;
use crate::auth::Caller;
use crate::body::Body;
use crate::codes::CodeFormat;
use crate::model::{Model, parse_instant, rfc3339};
use crate::problem::{ApiError, ApiResult, FieldProblem};

/// Why `coupon` cannot be used now by this customer: the store's rule, and a code whose
/// promotion was deleted counts as disabled.
pub fn refusal(
    model: &Model,
    coupon: &Coupon,
    customer: Option<&str>,
    groups: &[String],
    usage: Usage,
    now: Millis,
) -> Option<Refusal> {
    if !model.promotions.contains_key(&coupon.promotion) {
        return Some(Refusal::Disabled);
    }
    remise_store::refusal(coupon, customer, groups, usage, now)
}

/// The normalised form of a code a merchant chose, or a problem with it.
pub fn checked_code(raw: &str, problems: &mut Vec<FieldProblem>) -> String {
    let code = normalize_code(raw);
    if code.is_empty() || code.len() > 64 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        problems.push(FieldProblem::new(
            "code",
            "1 to 64 letters and digits (spaces, '-', '.', '_' are ignored)",
        ));
    }
    code
}

/// A stored code: codes are unique across coupons and vouchers.
pub enum StoredCode {
    Coupon(Coupon),
    Voucher(remise_store::Voucher),
}

/// The coupon or the voucher a normalised code is, if any.
pub async fn find_code(state: &AppState, code: &str) -> ApiResult<Option<StoredCode>> {
    if let Some(coupon) = state.store.get_coupon(code).await? {
        return Ok(Some(StoredCode::Coupon(coupon)));
    }
    Ok(state
        .store
        .get_voucher(code)
        .await?
        .map(StoredCode::Voucher))
}

/// A code as the API shows it.
pub fn coupon_view(coupon: &Coupon) -> Value {
    json!({
        "code": coupon.display,
        "normalized": coupon.code,
        "promotion": coupon.promotion,
        "batch": coupon.batch,
        "max_uses": coupon.max_uses,
        "uses_per_customer": coupon.uses_per_customer,
        "starts_at": coupon.starts_at.map(rfc3339),
        "ends_at": coupon.ends_at.map(rfc3339),
        "customers": coupon.customers,
        "groups": coupon.groups,
        "state": coupon.state,
        "relay": coupon.relay,
        "created_at": rfc3339(coupon.created_at),
    })
}

/// A date of a request: RFC 3339, or a civil date-time in the store's zone.
pub(super) fn instant(
    model: &Model,
    field: &str,
    text: Option<&str>,
    problems: &mut Vec<FieldProblem>,
) -> Option<Millis> {
    let text = text?;
    match parse_instant(text, &model.time_zone()) {
        Some(t) => Some(t.as_millisecond()),
        None => {
            problems.push(FieldProblem::new(field, format!("`{text}` is not a date-time (RFC 3339, or 2026-12-01T00:00 in the store's zone)")));
            None
        }
    }
}

fn check_promotion(model: &Model, promotion: &str, problems: &mut Vec<FieldProblem>) {
    if !model.promotions.contains_key(promotion) {
        problems.push(FieldProblem::new(
            "promotion",
            format!("unknown promotion `{promotion}`"),
        ));
    }
}

pub(super) fn check_dates(
    starts: Option<Millis>,
    ends: Option<Millis>,
    problems: &mut Vec<FieldProblem>,
) {
    if let (Some(s), Some(e)) = (starts, ends)
        && s >= e
    {
        problems.push(FieldProblem::new("ends_at", "must be after starts_at"));
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewCoupon {
    code: String,
    promotion: String,
    #[serde(default)]
    max_uses: Option<u32>,
    #[serde(default)]
    uses_per_customer: Option<u32>,
    #[serde(default)]
    starts_at: Option<String>,
    #[serde(default)]
    ends_at: Option<String>,
    #[serde(default)]
    customers: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
}

pub async fn create_coupon(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> ApiResult<Response> {
    let new: NewCoupon = body.json()?;
    let published = state.publisher.current();
    let model = &published.model;
    let mut problems = Vec::new();
    let code = checked_code(&new.code, &mut problems);
    check_promotion(model, &new.promotion, &mut problems);
    let starts_at = instant(model, "starts_at", new.starts_at.as_deref(), &mut problems);
    let ends_at = instant(model, "ends_at", new.ends_at.as_deref(), &mut problems);
    check_dates(starts_at, ends_at, &mut problems);
    if new.max_uses == Some(0) {
        problems.push(FieldProblem::new(
            "max_uses",
            "at least 1 (leave it out for unlimited)",
        ));
    }
    if new.uses_per_customer == Some(0) {
        problems.push(FieldProblem::new(
            "uses_per_customer",
            "at least 1 (leave it out for unlimited)",
        ));
    }
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let coupon = Coupon {
        display: new.code.trim().to_owned(),
        code,
        promotion: new.promotion,
        batch: None,
        max_uses: new.max_uses,
        uses_per_customer: new.uses_per_customer,
        starts_at,
        ends_at,
        customers: new.customers,
        groups: new.groups,
        state: CodeState::Available,
        relay: None,
        created_at: now_millis(),
    };
    state.store.create_coupon(&caller.actor(), &coupon).await?;
    Ok((StatusCode::CREATED, Json(coupon_view(&coupon))).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CouponParams {
    batch: Option<String>,
    promotion: Option<String>,
    #[serde(default)]
    shared: bool,
    after: Option<String>,
    limit: Option<u32>,
}

pub(super) fn query_problem(error: axum::extract::rejection::QueryRejection) -> ApiError {
    ApiError::InvalidJson {
        field: Some("query".to_owned()),
        detail: error.body_text(),
    }
}

pub async fn list_coupons(
    State(state): State<Arc<AppState>>,
    params: Result<Query<CouponParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(params) = params.map_err(query_problem)?;
    let limit = page_size(params.limit)?;
    let coupons = state
        .store
        .list_coupons(&CouponQuery {
            batch: params.batch,
            promotion: params.promotion,
            shared_only: params.shared,
            after: params.after.map(|a| normalize_code(&a)),
            limit,
        })
        .await?;
    let next = (coupons.len() == limit as usize)
        .then(|| coupons.last().map(|c| c.code.clone()))
        .flatten();
    Ok(Json(
        json!({ "items": coupons.iter().map(coupon_view).collect::<Vec<_>>(), "next_after": next }),
    ))
}

async fn find_coupon(state: &AppState, code: &str) -> ApiResult<Coupon> {
    state
        .store
        .get_coupon(&normalize_code(code))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no code `{code}`")))
}

pub async fn get_coupon(
    State(state): State<Arc<AppState>>,
    Path(code): Path<String>,
) -> ApiResult<Json<Value>> {
    let coupon = find_coupon(&state, &code).await?;
    let usage = state
        .store
        .code_usage(&coupon.code, None, now_millis())
        .await?;
    let mut view = coupon_view(&coupon);
    view["uses"] = json!(usage.uses);
    Ok(Json(view))
}

async fn set_state(
    state: &AppState,
    caller: &Caller,
    code: &str,
    to: CodeState,
) -> ApiResult<Json<Value>> {
    let coupon = find_coupon(state, code).await?;
    let coupon = state
        .store
        .set_coupon_state(&caller.actor(), &coupon.code, to, coupon.relay.as_deref())
        .await?;
    Ok(Json(coupon_view(&coupon)))
}

pub async fn disable_coupon(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(code): Path<String>,
) -> ApiResult<Json<Value>> {
    set_state(&state, &caller, &code, CodeState::Disabled).await
}

pub async fn enable_coupon(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(code): Path<String>,
) -> ApiResult<Json<Value>> {
    let coupon = find_coupon(&state, &code).await?;
    let to = if coupon.relay.is_some() {
        CodeState::Distributed
    } else {
        CodeState::Available
    };
    set_state(&state, &caller, &code, to).await
}

/// A batch to generate, as the API and the CLI ask for it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBatch {
    pub id: String,
    pub promotion: String,
    pub quota: u32,
    #[serde(default)]
    pub prefix: String,
    #[serde(default = "default_length")]
    pub length: u32,
    #[serde(default)]
    pub pattern: Option<String>,
    #[serde(default = "one")]
    pub uses_per_code: u32,
    #[serde(default)]
    pub starts_at: Option<String>,
    #[serde(default)]
    pub ends_at: Option<String>,
}

fn default_length() -> u32 {
    10
}
fn one() -> u32 {
    1
}

/// The most codes one batch may hold.
const MAX_QUOTA: u32 = 10_000_000;

fn batch_view(batch: &Batch, counts: &remise_store::BatchCounts) -> Value {
    json!({
        "id": batch.id,
        "promotion": batch.promotion,
        "prefix": batch.prefix,
        "length": batch.length,
        "pattern": batch.pattern,
        "uses_per_code": batch.uses_per_code,
        "quota": batch.quota,
        "starts_at": batch.starts_at.map(rfc3339),
        "ends_at": batch.ends_at.map(rfc3339),
        "created_at": rfc3339(batch.created_at),
        "counts": counts,
    })
}

fn format_of(batch: &Batch) -> CodeFormat {
    CodeFormat {
        prefix: batch.prefix.clone(),
        length: batch.length,
        pattern: batch.pattern.clone(),
    }
}

/// Generates codes until the batch holds `count` more (random collisions with existing codes are
/// regenerated); `progress` hears how many were added so far.
pub async fn add_codes(
    state: &AppState,
    actor: &Actor,
    batch: &Batch,
    count: u64,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> ApiResult<()> {
    let format = format_of(batch);
    let mut missing = count;
    // Rounds that lost codes to collisions: past 20, the format's code space is nearly full.
    let mut rounds = 0;
    while missing > 0 {
        if rounds > 20 {
            return Err(ApiError::Conflict(format!(
                "the code space of this format is nearly full: {missing} codes could not be made; use longer codes"
            )));
        }
        let chunk = missing.min(100_000) as usize;
        let codes = tokio::task::spawn_blocking({
            let format = format.clone();
            move || format.generate(chunk)
        })
        .await
        .map_err(|e| ApiError::Internal(format!("code generation failed: {e}")))??;
        let added = state
            .store
            .add_batch_codes(actor, &batch.id, &codes)
            .await?;
        missing -= added;
        if added < chunk as u64 {
            rounds += 1;
        }
        progress(count - missing);
    }
    Ok(())
}

/// The batch as the API shows it, with how far the generation of its codes went.
async fn full_view(state: &AppState, batch: &Batch) -> ApiResult<Value> {
    let counts = state.store.batch_counts(&batch.id, now_millis()).await?;
    let mut view = batch_view(batch, &counts);
    view["generation"] = generation::view(state, batch, &counts);
    Ok(view)
}

/// `status` with the batch when its codes were generated in the request; 202 with its URL when
/// they are being generated in the background.
fn generated(status: StatusCode, batch: &Batch, view: Value, done: bool) -> Response {
    if done {
        return (status, Json(view)).into_response();
    }
    let location = format!("/v1/batches/{}", batch.id);
    (
        StatusCode::ACCEPTED,
        [(axum::http::header::LOCATION, location)],
        Json(view),
    )
        .into_response()
}

pub async fn create_batch(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> ApiResult<Response> {
    let new: NewBatch = body.json()?;
    let actor = caller.actor();
    let batch = new_batch(&state, &actor, new).await?;
    let done = generation::generate(&state, &actor, &batch, u64::from(batch.quota)).await?;
    let view = full_view(&state, &batch).await?;
    Ok(generated(StatusCode::CREATED, &batch, view, done))
}

/// Checks a batch request, creates the batch and generates its codes (the CLI, with a progress
/// bar).
pub async fn generate_batch(
    state: &AppState,
    actor: &Actor,
    new: NewBatch,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> ApiResult<(Batch, BatchCounts)> {
    let batch = new_batch(state, actor, new).await?;
    add_codes(state, actor, &batch, u64::from(batch.quota), progress).await?;
    let counts = state.store.batch_counts(&batch.id, now_millis()).await?;
    Ok((batch, counts))
}

/// Checks a batch request and creates the batch, without codes yet.
async fn new_batch(state: &AppState, actor: &Actor, new: NewBatch) -> ApiResult<Batch> {
    let published = state.publisher.current();
    let model = &published.model;
    let mut problems = Vec::new();
    crate::documents::check_id("id", &new.id, &mut problems);
    check_promotion(model, &new.promotion, &mut problems);
    if !(1..=MAX_QUOTA).contains(&new.quota) {
        problems.push(FieldProblem::new("quota", format!("1 to {MAX_QUOTA}")));
    }
    if new.uses_per_code == 0 {
        problems.push(FieldProblem::new("uses_per_code", "at least 1"));
    }
    let format = CodeFormat {
        prefix: new.prefix.clone(),
        length: new.length,
        pattern: new.pattern.clone(),
    };
    problems.extend(format.check());
    let starts_at = instant(model, "starts_at", new.starts_at.as_deref(), &mut problems);
    let ends_at = instant(model, "ends_at", new.ends_at.as_deref(), &mut problems);
    check_dates(starts_at, ends_at, &mut problems);
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let batch = Batch {
        id: new.id,
        promotion: new.promotion,
        prefix: new.prefix,
        length: new.length,
        pattern: new.pattern,
        uses_per_code: new.uses_per_code,
        quota: new.quota,
        starts_at,
        ends_at,
        created_at: now_millis(),
    };
    state.store.create_batch(actor, &batch).await?;
    Ok(batch)
}

pub async fn list_batches(State(state): State<Arc<AppState>>) -> ApiResult<Json<Value>> {
    let mut items = Vec::new();
    for batch in state.store.list_batches().await? {
        items.push(full_view(&state, &batch).await?);
    }
    Ok(Json(json!({ "items": items })))
}

async fn find_batch(state: &AppState, id: &str) -> ApiResult<Batch> {
    state
        .store
        .get_batch(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no batch `{id}`")))
}

pub async fn get_batch(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let batch = find_batch(&state, &id).await?;
    Ok(Json(full_view(&state, &batch).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Quota {
    quota: u32,
}

/// Growing a quota adds codes (in the background when they are many: 202); shrinking it
/// disables codes never used. Setting the quota a batch has completes a generation that stopped.
pub async fn set_quota(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult<Response> {
    let Quota { quota } = body.json()?;
    if !(1..=MAX_QUOTA).contains(&quota) {
        return Err(ApiError::validation("quota", format!("1 to {MAX_QUOTA}")));
    }
    find_batch(&state, &id).await?;
    // One quota change at a time (on this instance): each reads the counts, then adds or
    // disables codes; two at once would both add the difference they read.
    let _one_at_a_time = state.quota_changes.lock().await;
    state.generations.check_idle(&id)?;
    let counts = state.store.batch_counts(&id, now_millis()).await?;
    let enabled = counts.generated - counts.disabled;
    // Codes already used cannot be disabled: the quota then stops at what could be reached, and
    // the answer says how far it is from the one asked.
    let mut reached = u64::from(quota);
    if reached < enabled {
        let excess = enabled - reached;
        let disabled = state
            .store
            .disable_unused(&caller.actor(), &id, excess)
            .await?;
        reached = enabled - disabled;
    }
    let reached_quota = u32::try_from(reached).unwrap_or(u32::MAX);
    let batch = state
        .store
        .set_batch_quota(&caller.actor(), &id, reached_quota)
        .await?;
    let done = if reached > enabled {
        generation::generate(&state, &caller.actor(), &batch, reached - enabled).await?
    } else {
        true
    };
    let mut view = full_view(&state, &batch).await?;
    if reached_quota != quota {
        view["warning"] = json!(format!(
            "{reached_quota} codes are in use or distributed and cannot be disabled: the quota is \
             {reached_quota}, not {quota}"
        ));
    }
    Ok(generated(StatusCode::OK, &batch, view, done))
}
