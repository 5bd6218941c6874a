//! What shops call around orders: check a code (`GET /v1/codes/{code}`), reserve a use when the
//! order is placed (`POST /v1/redemptions`), confirm it when paid, cancel to release. Every step
//! is atomic in the store and idempotent; failed look-ups are rate-limited.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use remise_store::{
    PromotionLimits, Redemption, Refusal, ReserveRequest, normalize_code, now_millis,
};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};

use super::codes::refusal;
use crate::AppState;
use crate::auth::Caller;
use crate::body::Body;
use crate::model::rfc3339;
use crate::problem::{ApiError, ApiResult, FieldProblem};

/// Who the rate limit counts: the key (by id: two keys may share a name), and the customer when
/// there is one.
pub(super) fn subjects(caller: &Caller, customer: Option<&str>) -> Vec<String> {
    let mut subjects = vec![format!("key:{}", caller.id)];
    if let Some(customer) = customer {
        subjects.push(format!("customer:{customer}"));
    }
    subjects
}

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
    Path(code): Path<String>,
    params: Result<Query<CheckParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(params) = params.map_err(|e| ApiError::InvalidJson {
        field: Some("query".to_owned()),
        detail: e.body_text(),
    })?;
    let subjects = subjects(&caller, params.customer.as_deref());
    state.failed_lookups.check(&subjects, limit(&state))?;
    let now = now_millis();
    let normalized = normalize_code(&code);
    let Some(coupon) = state.store.get_coupon(&normalized).await? else {
        // A voucher is a known code too.
        if let Some(voucher) = state.store.get_voucher(&normalized).await? {
            let usage = state.store.voucher_usage(&voucher.code, now).await?;
            let model = &state.publisher.current().model;
            let reason =
                super::vouchers::refusal(model, &voucher, params.customer.as_deref(), usage, now);
            return Ok(Json(json!({
                "code": voucher.display,
                "kind": "voucher",
                "usable": reason.is_none(),
                "reason": reason,
                "amount": voucher.amount,
                "available": usage.available,
                "keeps_balance": voucher.keeps_balance,
            })));
        }
        state.failed_lookups.record_failure(&subjects);
        return Ok(Json(
            json!({ "code": code, "usable": false, "reason": Refusal::Unknown }),
        ));
    };
    let usage = state
        .store
        .code_usage(&coupon.code, params.customer.as_deref(), now)
        .await?;
    let groups = split_groups(params.groups.as_deref());
    let model = &state.publisher.current().model;
    let reason = refusal(
        model,
        &coupon,
        params.customer.as_deref(),
        &groups,
        usage,
        now,
    );
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

/// Whether a promotion exists, looking again at the store when this instance does not know it
/// yet (it may have been created through another instance a moment ago).
async fn promotion_exists(state: &AppState, id: &str) -> ApiResult<bool> {
    if state.publisher.current().model.promotions.contains_key(id) {
        return Ok(true);
    }
    super::refresh(state).await?;
    Ok(state.publisher.current().model.promotions.contains_key(id))
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
    let subjects = subjects(&caller, request.customer.as_deref());
    state.failed_lookups.check(&subjects, limit(&state))?;
    let now = now_millis();
    let code = normalize_code(&request.code);
    let published = state.publisher.current();
    // The store does not know promotions: a code whose promotion was deleted is refused here.
    let coupon = state.store.get_coupon(&code).await?;
    let voucher = match coupon {
        Some(_) => None,
        None => state.store.get_voucher(&code).await?,
    };
    if let Some(coupon) = &coupon {
        if request.amount.is_some() {
            return Err(ApiError::validation(
                "amount",
                "only for a voucher: this code is a coupon",
            ));
        }
        if !promotion_exists(&state, &coupon.promotion).await? {
            return Err(refused(Refusal::Disabled));
        }
    }
    let amount = match (&voucher, request.amount) {
        (Some(_), None) => {
            return Err(ApiError::validation(
                "amount",
                "required for a voucher: what the order takes of it",
            ));
        }
        (Some(voucher), Some(amount)) => {
            if let Some(problem) = super::vouchers::amount_problem(&published.model, amount) {
                return Err(ApiError::validation("amount", problem));
            }
            let usage = state.store.voucher_usage(&voucher.code, now).await?;
            if let Some(reason) = super::vouchers::refusal(
                &published.model,
                voucher,
                request.customer.as_deref(),
                usage,
                now,
            ) && reason == Refusal::Disabled
                && voucher.state != remise_store::CodeState::Disabled
            {
                // Scoped to something that no longer exists.
                return Err(refused(Refusal::Disabled));
            }
            Some(amount)
        }
        (None, _) => None,
    };
    let minutes = published.model.settings.reservation_minutes;
    // The promotion's own limits, counted over all its codes by the store.
    let promotion_limits = coupon
        .as_ref()
        .and_then(|c| {
            state
                .publisher
                .current()
                .model
                .promotions
                .get(&c.promotion)
                .cloned()
        })
        .map(|p| PromotionLimits {
            total_uses: p.limits.total_uses,
            uses_per_customer: p.limits.uses_per_customer,
        })
        .unwrap_or_default();
    let reserve = ReserveRequest {
        id: crate::auth::new_id("red")?,
        code,
        customer: request.customer,
        groups: request.groups,
        order_id: request.order_id,
        idempotency_key: request.idempotency_key,
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
                state.failed_lookups.record_failure(&subjects);
            }
            Err(refused(reason))
        }
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("no redemption `{id}`"))
}

pub async fn get(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let redemption = state
        .store
        .get_redemption(&id)
        .await?
        .ok_or_else(|| not_found(&id))?;
    Ok(Json(view(&redemption)))
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
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    answer(&id, state.store.confirm(&id, now_millis()).await)
}

/// The order was cancelled: the use is released (idempotent).
pub async fn cancel(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    answer(&id, state.store.cancel(&id, now_millis()).await)
}
