//! Vouchers ("bons d'achat", `/v1/vouchers`): a fixed amount for given customers, a validity
//! period and a scope. Cart evaluation spends what is available of a presented voucher (see
//! `storefront::resolve_codes`); orders reserve an amount of it through `/v1/redemptions`.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use remise_engine::money::Money;
use remise_store::{
    CodeState, Millis, Refusal, Voucher, VoucherQuery, VoucherUsage, normalize_code, now_millis,
};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};

use super::codes::{check_dates, checked_code, instant, query_problem};
use super::documents::page_size;
use crate::AppState;
use crate::auth::Caller;
use crate::body::Body;
use crate::model::{Model, rfc3339};
use crate::problem::{ApiError, ApiResult, FieldProblem};

/// A voucher as the API shows it, with what is available of it now.
pub fn voucher_view(voucher: &Voucher, usage: VoucherUsage) -> Value {
    json!({
        "code": voucher.display,
        "normalized": voucher.code,
        "amount": voucher.amount,
        "balance": voucher.balance,
        "available": usage.available,
        "keeps_balance": voucher.keeps_balance,
        "customers": voucher.customers,
        "skus": voucher.skus,
        "selections": voucher.selections,
        "starts_at": voucher.starts_at.map(rfc3339),
        "ends_at": voucher.ends_at.map(rfc3339),
        "state": voucher.state,
        "created_at": rfc3339(voucher.created_at),
    })
}

/// Why `amount` cannot be a voucher's amount (or what a reservation takes of one) in the store's
/// currency: the engine's rule for amounts, and more than zero.
pub fn amount_problem(model: &Model, amount: Decimal) -> Option<String> {
    let settings = &model.settings;
    let money = Money::parse(&settings.currency, settings.rounding)?;
    if amount.is_zero() {
        return Some("must be more than zero".to_owned());
    }
    money.amount_problem(amount)
}

/// Whether the voucher is scoped to a selection that no longer exists: it could pay for nothing
/// and the engine would refuse the cart, so it counts as disabled.
pub fn scope_gone(model: &Model, voucher: &Voucher) -> bool {
    voucher
        .selections
        .iter()
        .any(|s| !model.selections.contains_key(s))
}

/// Why `voucher` cannot be used now by this customer: the store's rule, and [`scope_gone`].
pub fn refusal(
    model: &Model,
    voucher: &Voucher,
    customer: Option<&str>,
    usage: VoucherUsage,
    now: Millis,
) -> Option<Refusal> {
    if scope_gone(model, voucher) {
        return Some(Refusal::Disabled);
    }
    remise_store::voucher_refusal(voucher, customer, usage, now)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewVoucher {
    code: String,
    amount: Decimal,
    #[serde(default)]
    customers: Vec<String>,
    #[serde(default)]
    skus: Vec<String>,
    #[serde(default)]
    selections: Vec<String>,
    #[serde(default)]
    starts_at: Option<String>,
    #[serde(default)]
    ends_at: Option<String>,
    #[serde(default)]
    keeps_balance: bool,
}

pub async fn create(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> ApiResult<Response> {
    let new: NewVoucher = body.json()?;
    let published = state.publisher.current();
    let model = &published.model;
    let mut problems = Vec::new();
    let code = checked_code(&new.code, &mut problems);
    if let Some(problem) = amount_problem(model, new.amount) {
        problems.push(FieldProblem::new("amount", problem));
    }
    for (i, selection) in new.selections.iter().enumerate() {
        if !model.selections.contains_key(selection) {
            problems.push(FieldProblem::new(
                format!("selections[{i}]"),
                format!("unknown selection `{selection}`"),
            ));
        }
    }
    for (field, list) in [("customers", &new.customers), ("skus", &new.skus)] {
        if list.iter().any(|s| s.trim().is_empty()) {
            problems.push(FieldProblem::new(field, "ids must not be empty"));
        }
    }
    let starts_at = instant(model, "starts_at", new.starts_at.as_deref(), &mut problems);
    let ends_at = instant(model, "ends_at", new.ends_at.as_deref(), &mut problems);
    check_dates(starts_at, ends_at, &mut problems);
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let voucher = Voucher {
        display: new.code.trim().to_owned(),
        code,
        amount: new.amount,
        balance: new.amount,
        keeps_balance: new.keeps_balance,
        customers: new.customers,
        skus: new.skus,
        selections: new.selections,
        starts_at,
        ends_at,
        state: CodeState::Available,
        created_at: now_millis(),
    };
    state
        .store
        .create_voucher(&caller.actor(), &voucher)
        .await?;
    let usage = VoucherUsage {
        available: voucher.balance,
        uses: 0,
    };
    Ok((StatusCode::CREATED, Json(voucher_view(&voucher, usage))).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    after: Option<String>,
    limit: Option<u32>,
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    params: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(params) = params.map_err(query_problem)?;
    let limit = page_size(params.limit)?;
    let vouchers = state
        .store
        .list_vouchers(&VoucherQuery {
            after: params.after.map(|a| normalize_code(&a)),
            limit,
        })
        .await?;
    let now = now_millis();
    let mut items = Vec::with_capacity(vouchers.len());
    for voucher in &vouchers {
        let usage = state.store.voucher_usage(&voucher.code, now).await?;
        items.push(voucher_view(voucher, usage));
    }
    let next = (vouchers.len() == limit as usize)
        .then(|| vouchers.last().map(|v| v.code.clone()))
        .flatten();
    Ok(Json(json!({ "items": items, "next_after": next })))
}

async fn find(state: &AppState, code: &str) -> ApiResult<Voucher> {
    state
        .store
        .get_voucher(&normalize_code(code))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no voucher `{code}`")))
}

pub async fn get(
    State(state): State<Arc<AppState>>,
    Path(code): Path<String>,
) -> ApiResult<Json<Value>> {
    let voucher = find(&state, &code).await?;
    let usage = state
        .store
        .voucher_usage(&voucher.code, now_millis())
        .await?;
    Ok(Json(voucher_view(&voucher, usage)))
}

async fn set_state(
    state: &AppState,
    caller: &Caller,
    code: &str,
    to: CodeState,
) -> ApiResult<Json<Value>> {
    let voucher = find(state, code).await?;
    let voucher = state
        .store
        .set_voucher_state(&caller.actor(), &voucher.code, to)
        .await?;
    let usage = state
        .store
        .voucher_usage(&voucher.code, now_millis())
        .await?;
    Ok(Json(voucher_view(&voucher, usage)))
}

pub async fn disable(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(code): Path<String>,
) -> ApiResult<Json<Value>> {
    set_state(&state, &caller, &code, CodeState::Disabled).await
}

pub async fn enable(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(code): Path<String>,
) -> ApiResult<Json<Value>> {
    set_state(&state, &caller, &code, CodeState::Available).await
}
