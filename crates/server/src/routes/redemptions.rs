//! What shops call around orders: check a code (`GET /v1/codes/{code}`), reserve a use when the
//! order is placed (`POST /v1/redemptions`), confirm it when paid, cancel to release. Every step
//! is atomic in the store and idempotent; failed look-ups are rate-limited.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use remise_store::{
    PromotionLimits, Redemption, Refusal, ReserveRequest, Scope, normalize_code, now_millis,
};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};

use remise_engine::rules::Limits;

use super::codes::{StoredCode, find_code, refusal};
use crate::AppState;
use crate::auth::Caller;
use crate::body::Body;
use crate::model::rfc3339;
use crate::problem::{ApiError, ApiResult, FieldProblem};
use crate::ratelimit::{self, Subjects};

fn limit(state: &AppState) -> u32 {
    state
        .publisher
        .current()
        .model
        .settings
        .code_attempts_per_minute
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckParams {
    customer: Option<String>,
    groups: Option<String>,
}

fn split_groups(groups: Option<&str>) -> Vec<String> {
    groups
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether a code can be used now by this customer, and if not why (`unknown`, `expired`, …).
pub async fn check(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Path(code): Path<String>,
    params: Result<Query<CheckParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(params) = params.map_err(|e| ApiError::InvalidJson {
        field: Some("query".to_owned()),
        detail: e.body_text(),
    })?;
    let subjects = Subjects::of(&caller, params.customer.as_deref(), &headers)?;
    ratelimit::check(state.store.as_ref(), &subjects, limit(&state)).await?;
    let now = now_millis();
    let customer = params.customer.as_deref();
    let model = &state.publisher.current().model;
    match find_code(&state, &normalize_code(&code)).await? {
        Some(StoredCode::Coupon(coupon)) => {
            let usage = state.store.code_usage(&coupon.code, customer, now).await?;
            let groups = split_groups(params.groups.as_deref());
            let reason = refusal(model, &coupon, customer, &groups, usage, now);
            Ok(Json(json!({
                "code": coupon.display,
                "kind": "coupon",
                "usable": reason.is_none(),
                "reason": reason,
                "promotion": coupon.promotion,
                "uses": usage.uses,
                "customer_uses": usage.customer_uses,
            })))
        }
        Some(StoredCode::Voucher(voucher)) => {
            let usage = state.store.voucher_usage(&voucher.code, now).await?;
            let reason = super::vouchers::refusal(model, &voucher, customer, usage, now);
            Ok(Json(json!({
                "code": voucher.display,
                "kind": "voucher",
                "usable": reason.is_none(),
                "reason": reason,
                "amount": voucher.amount,
                "available": usage.available,
                "keeps_balance": voucher.keeps_balance,
            })))
        }
        None => {
            ratelimit::record_failure(state.store.as_ref(), &subjects).await?;
            Ok(Json(
                json!({ "code": code, "usable": false, "reason": Refusal::Unknown }),
            ))
        }
    }
}

/// A promotion's usage limits, looking again at the store when this instance does not know the
/// promotion yet (it may have been created through another instance a moment ago); `None` when
/// it does not exist.
async fn promotion(state: &AppState, id: &str) -> ApiResult<Option<Limits>> {
    let known = |state: &AppState| {
        let published = state.publisher.current();
        published.model.promotions.get(id).map(|p| p.limits.clone())
    };
    if let Some(limits) = known(state) {
        return Ok(Some(limits));
    }
    super::refresh(state).await?;
    Ok(known(state))
}

fn view(redemption: &Redemption) -> Value {
    // A voucher's redemption has no promotion, and takes an amount.
    let promotion = redemption.amount.is_none().then_some(&redemption.promotion);
    json!({
        "id": redemption.id,
        "code": redemption.code,
        "promotion": promotion,
        "amount": redemption.amount,
        "customer": redemption.customer,
        "order_id": redemption.order_id,
        "idempotency_key": redemption.idempotency_key,
        "state": redemption.state,
        "reserved_at": rfc3339(redemption.reserved_at),
        "expires_at": rfc3339(redemption.expires_at),
        "confirmed_at": redemption.confirmed_at.map(rfc3339),
        "cancelled_at": redemption.cancelled_at.map(rfc3339),
    })
}

fn refused(reason: Refusal) -> ApiError {
    let detail = match reason {
        Refusal::Unknown => "no such code",
        Refusal::Disabled => "the code is disabled",
        Refusal::NotYetValid => "the code is not valid yet",
        Refusal::Expired => "the code has expired",
        Refusal::UsedUp => "the code has no uses left",
        Refusal::CustomerLimitReached => "this customer has used the code as often as allowed",
        Refusal::PromotionLimitReached => {
            "the code's promotion has reached its usage limit (in all or for this customer)"
        }
        Refusal::NotForCustomer => "the code is not for this customer",
        Refusal::IdempotencyKeyReused => {
            "this idempotency key was used for another code, customer or order"
        }
        Refusal::NotReserved => "the redemption is no longer reserved (cancelled or expired)",
        Refusal::AmountTooLarge => "the amount is more than the voucher has available",
    };
    ApiError::CodeRefused {
        reason,
        detail: detail.to_owned(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Reserve {
    code: String,
    #[serde(default)]
    customer: Option<String>,
    #[serde(default)]
    groups: Vec<String>,
    order_id: String,
    idempotency_key: String,
    /// What to take of a voucher; only for a voucher's code.
    #[serde(default)]
    amount: Option<Decimal>,
}

/// Reserves one use of a code for an order; the same request again gets the same answer.
pub async fn reserve(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let request: Reserve = body.json()?;
    let mut problems = Vec::new();
    for (field, value) in [
        ("order_id", &request.order_id),
        ("idempotency_key", &request.idempotency_key),
    ] {
        if value.trim().is_empty() || value.len() > 200 {
            problems.push(FieldProblem::new(field, "1 to 200 characters"));
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let subjects = Subjects::of(&caller, request.customer.as_deref(), &headers)?;
    ratelimit::check(state.store.as_ref(), &subjects, limit(&state)).await?;
    let now = now_millis();
    let code = normalize_code(&request.code);
    // What the store cannot check: a coupon's promotion (deleted: the code is disabled; its own
    // limits), a voucher's amount and scope.
    let mut promotion_limits = PromotionLimits::default();
    let amount = match (find_code(&state, &code).await?, request.amount) {
        (Some(StoredCode::Coupon(_)), Some(_)) => {
            return Err(ApiError::validation(
                "amount",
                "only for a voucher: this code is a coupon",
            ));
        }
        (Some(StoredCode::Coupon(coupon)), None) => {
            let limits = promotion(&state, &coupon.promotion)
                .await?
                .ok_or_else(|| refused(Refusal::Disabled))?;
            promotion_limits = PromotionLimits {
                total_uses: limits.total_uses,
                uses_per_customer: limits.uses_per_customer,
            };
            None
        }
        (Some(StoredCode::Voucher(_)), None) => {
            return Err(ApiError::validation(
                "amount",
                "required for a voucher: what the order takes of it",
            ));
        }
        (Some(StoredCode::Voucher(voucher)), Some(amount)) => {
            let model = &state.publisher.current().model;
            if let Some(problem) = super::vouchers::amount_problem(model, amount) {
                return Err(ApiError::validation("amount", problem));
            }
            if super::vouchers::scope_gone(model, &voucher) {
                return Err(refused(Refusal::Disabled));
            }
            Some(amount)
        }
        // Unknown: the store says so (and the idempotency key may replay an earlier answer).
        (None, _) => None,
    };
    let minutes = state.publisher.current().model.settings.reservation_minutes;
    let reserve = ReserveRequest {
        id: crate::auth::new_id("red")?,
        code,
        customer: request.customer,
        groups: request.groups,
        order_id: request.order_id,
        idempotency_key: request.idempotency_key,
        api_key: caller.id.clone(),
        now,
        expires_at: now + i64::from(minutes) * 60_000,
        promotion_limits,
    };
    let outcome = match amount {
        Some(amount) => state.store.reserve_voucher(&reserve, amount).await?,
        None => state.store.reserve(&reserve).await?,
    };
    match outcome {
        Ok(redemption) => Ok((StatusCode::CREATED, Json(view(&redemption))).into_response()),
        Err(reason) => {
            if reason == Refusal::Unknown {
                ratelimit::record_failure(state.store.as_ref(), &subjects).await?;
            }
            Err(refused(reason))
        }
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("no redemption `{id}`"))
}

/// The redemption `id` if the caller may reach it: one its key made, or any with a management
/// key. Another key's redemption is not found, so ids cannot be probed.
async fn owned(state: &AppState, caller: &Caller, id: &str) -> ApiResult<Redemption> {
    state
        .store
        .get_redemption(id)
        .await?
        .filter(|r| caller.scope == Scope::Management || r.api_key == caller.id)
        .ok_or_else(|| not_found(id))
}

pub async fn get(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(view(&owned(&state, &caller, &id).await?)))
}

fn answer(
    id: &str,
    outcome: remise_store::Result<Result<Redemption, Refusal>>,
) -> ApiResult<Json<Value>> {
    match outcome {
        Ok(Ok(redemption)) => Ok(Json(view(&redemption))),
        Ok(Err(reason)) => Err(refused(reason)),
        Err(remise_store::Error::NotFound { .. }) => Err(not_found(id)),
        Err(error) => Err(error.into()),
    }
}

/// The order was paid: the use is final (idempotent).
pub async fn confirm(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    owned(&state, &caller, &id).await?;
    answer(&id, state.store.confirm(&id, now_millis()).await)
}

/// The order was cancelled: the use is released (idempotent).
pub async fn cancel(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    owned(&state, &caller, &id).await?;
    answer(&id, state.store.cancel(&id, now_millis()).await)
}
