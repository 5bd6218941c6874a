//! What shops call: evaluate a cart, price products, a product's promotions and labels, a landing
//! page. Each runs on the snapshot current when the request arrived.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use remise_engine::cart::{CodeDetails, PresentedCode};
use remise_engine::quote::{Reason, Status};
use remise_engine::rules::Display;
use remise_engine::{Cart, CartLine, Customer, PriceRequest, Voucher};
use remise_store::{Refusal, Scope, normalize_code};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::codes::{StoredCode, find_code, refusal};
use crate::AppState;
use crate::auth::Caller;
use crate::body::{Body, from_value};
use crate::documents::Banner;
use crate::model::{campaign_running, landing_skus};
use crate::problem::{ApiError, ApiResult, FieldProblem};
use crate::ratelimit::{self, Subjects};

/// The engine's verdict on a request it could not use: every field, 422.
pub(super) fn invalid(error: &remise_engine::Error) -> ApiError {
    ApiError::Validation(error.errors().iter().map(FieldProblem::from).collect())
}

/// Fills `at` with the current instant when the request leaves it out.
fn default_instant(value: &mut Value) {
    if let Value::Object(map) = value {
        map.entry("at")
            .or_insert_with(|| Value::String(Timestamp::now().to_string()));
    }
}

/// Counts an array field before the body is read into types, so an oversized request is refused
/// cheaply and with a clear reason.
fn check_count(value: &Value, field: &str, limit: usize) -> ApiResult<()> {
    let count = value
        .get(field)
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if count > limit {
        return Err(ApiError::PayloadTooLarge(format!(
            "{field}: {count} items, at most {limit} per request"
        )));
    }
    Ok(())
}

pub(super) fn json_response(value: &impl Serialize) -> ApiResult<Response> {
    let bytes = serde_json::to_vec(value)
        .map_err(|e| ApiError::Internal(format!("the response could not be written: {e}")))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], bytes).into_response())
}

/// Codes one cart may present: enough for any honest customer, too few to guess with.
const MAX_CODES: usize = 10;

pub async fn evaluate(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let mut value = body.json_value()?;
    check_count(&value, "lines", state.limits.cart_lines)?;
    default_instant(&mut value);
    let mut cart: Cart = from_value(value, "")?;
    // Vouchers are money the store holds: it grants them from presented codes, never from what a
    // caller claims.
    if !cart.vouchers.is_empty() {
        return Err(ApiError::validation(
            "vouchers",
            "vouchers are not accepted in a cart: send the voucher's code in `codes`",
        ));
    }
    refuse_claims(&cart)?;
    if cart.codes.len() > MAX_CODES {
        return Err(ApiError::validation(
            "codes",
            format!("{} codes, at most {MAX_CODES} per cart", cart.codes.len()),
        ));
    }
    let subjects = Subjects::of(&caller, cart.customer.id.as_deref(), &headers)?;
    resolve_codes(&state, &subjects, &mut cart).await?;
    let published = state.publisher.current();
    let mut quote = published
        .snapshot
        .evaluate(&cart)
        .map_err(|e| invalid(&e))?;
    if caller.scope != Scope::Management {
        quote.hide_codes();
    }
    state.metrics.evaluations.inc();
    json_response(&quote)
}

/// What only the store knows cannot come from the caller: over HTTP a code is a string (the
/// store says what it unlocks and whether it is usable). (The usage of the promotions the store
/// counts — those its codes unlock — is replaced by the store's in `resolve_codes`; the shop may
/// pass the others' until the store keeps an orders ledger.)
fn refuse_claims(cart: &Cart) -> ApiResult<()> {
    let problems: Vec<FieldProblem> = cart
        .codes
        .iter()
        .enumerate()
        .filter(|(_, code)| matches!(code, PresentedCode::Detailed(_)))
        .map(|(i, _)| {
            FieldProblem::new(
                format!("codes[{i}]"),
                "must be a string: the store says what a code unlocks",
            )
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(problems))
    }
}

/// Tells the engine what the store knows of each presented code, and counts the promotions'
/// uses. Evaluation never consumes a code.
/// - A stored coupon becomes `CodeDetails`: the promotion it unlocks, and whether this customer
///   can use it now.
/// - A stored voucher usable by this customer leaves `codes` for `vouchers`, worth what is
///   available of it now, with its scope (once, however often it is presented); an unusable
///   one stays a code the quote reports with the reason.
/// - A code a promotion lists itself goes through as it is.
/// - Any other code is reported unknown, and counts as a failed look-up for the rate limit.
///
/// Codes are looked up one by one, each after checking the limit: a cart's codes get no more
/// tries than as many look-ups would.
async fn resolve_codes(state: &AppState, subjects: &Subjects, cart: &mut Cart) -> ApiResult<()> {
    if cart.codes.is_empty() {
        return Ok(());
    }
    let published = state.publisher.current();
    let model = &published.model;
    let limit = model.settings.code_attempts_per_minute;
    let now = remise_store::now_millis();
    let customer = cart.customer.id.clone();
    let customer = customer.as_deref();
    let not_usable = |code: String, reason: Refusal| {
        PresentedCode::Detailed(CodeDetails {
            code,
            promotions: Vec::new(),
            usable: false,
            reason: Some(reason.as_str().to_owned()),
        })
    };
    // Promotions the presented codes unlock: their usage limits count their codes' redemptions.
    let mut unlocked: Vec<String> = Vec::new();
    let mut codes = Vec::with_capacity(cart.codes.len());
    for presented in std::mem::take(&mut cart.codes) {
        // Detailed codes were refused with the request.
        let PresentedCode::Plain(code) = presented else {
            continue;
        };
        let normalized = normalize_code(&code);
        let listing = published.rule_codes.get(&normalized);
        if listing.is_none() {
            ratelimit::check(state.store.as_ref(), subjects, limit).await?;
        }
        unlocked.extend(listing.into_iter().flatten().cloned());
        match find_code(state, &normalized).await? {
            Some(StoredCode::Coupon(coupon)) => {
                let usage = state.store.code_usage(&coupon.code, customer, now).await?;
                let groups = &cart.customer.groups;
                let refusal = refusal(model, &coupon, customer, groups, usage, now);
                unlocked.push(coupon.promotion.clone());
                codes.push(PresentedCode::Detailed(CodeDetails {
                    code,
                    promotions: vec![coupon.promotion],
                    usable: refusal.is_none(),
                    reason: refusal.map(|r| r.as_str().to_owned()),
                }));
            }
            Some(StoredCode::Voucher(voucher)) => {
                let usage = state.store.voucher_usage(&voucher.code, now).await?;
                match super::vouchers::refusal(model, &voucher, customer, usage, now) {
                    Some(reason) => codes.push(not_usable(code, reason)),
                    None if cart
                        .vouchers
                        .iter()
                        .any(|v| normalize_code(&v.code) == normalized) => {}
                    None => cart.vouchers.push(Voucher {
                        code,
                        amount: usage.available,
                        skus: voucher.skus,
                        selections: voucher.selections,
                    }),
                }
            }
            None if listing.is_some() => codes.push(PresentedCode::Plain(code)),
            None => {
                ratelimit::record_failure(state.store.as_ref(), subjects).await?;
                codes.push(not_usable(code, Refusal::Unknown));
            }
        }
    }
    cart.codes = codes;
    unlocked.sort();
    unlocked.dedup();
    for id in unlocked {
        let Some(limits) = model.promotions.get(&id).map(|p| &p.limits) else {
            continue;
        };
        if limits.total_uses.is_none() && limits.uses_per_customer.is_none() {
            continue;
        }
        let usage = state.store.promotion_usage(&id, customer, now).await?;
        let entry = cart.usage.entry(id).or_default();
        entry.uses = usage.uses;
        entry.customer_uses = usage.customer_uses;
    }
    Ok(())
}

pub async fn prices(State(state): State<Arc<AppState>>, body: Body) -> ApiResult<Response> {
    let mut value = body.json_value()?;
    check_count(&value, "skus", state.limits.price_skus)?;
    default_instant(&mut value);
    let request: PriceRequest = from_value(value, "")?;
    let published = state.publisher.current();
    let prices = published
        .snapshot
        .price(&request)
        .map_err(|e| invalid(&e))?;
    json_response(&json!({ "prices": prices }))
}

/// The customer context of a GET request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Context {
    customer: Option<String>,
    /// Comma-separated.
    groups: Option<String>,
    collection_point: Option<String>,
    channel: Option<String>,
    at: Option<String>,
    display: Option<Display>,
}

impl Context {
    pub(super) fn customer(&self) -> Customer {
        Customer {
            id: self.customer.clone(),
            groups: self
                .groups
                .as_deref()
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|g| !g.is_empty())
                .map(str::to_owned)
                .collect(),
            collection_point: self.collection_point.clone(),
            orders: None,
            spent: None,
        }
    }

    /// Whether the query names a customer at all (an id, a group or a collection point).
    pub(super) fn names_customer(&self) -> bool {
        self.customer.is_some() || self.groups.is_some() || self.collection_point.is_some()
    }

    pub(super) fn at(&self) -> String {
        self.at
            .clone()
            .unwrap_or_else(|| Timestamp::now().to_string())
    }

    pub(super) fn price_request(&self, skus: Vec<String>) -> PriceRequest {
        PriceRequest {
            customer: self.customer(),
            channel: self.channel.clone(),
            at: self.at(),
            display: self.display,
            skus,
        }
    }
}

pub(super) fn context(
    query: Result<Query<Context>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Context> {
    query.map(|Query(c)| c).map_err(|e| ApiError::InvalidJson {
        field: Some("query".to_owned()),
        detail: e.body_text(),
    })
}

/// Reasons that say the promotion is not for this customer, channel or moment; any other reason
/// (a cart condition, a coupon) leaves it active for the product.
fn out_of_context(reason: &Reason<'_>) -> bool {
    matches!(
        reason,
        Reason::NotStarted { .. }
            | Reason::Ended { .. }
            | Reason::WrongWeekday { .. }
            | Reason::OutsideWindow { .. }
            | Reason::ChannelNotAllowed { .. }
            | Reason::NotInAudience { .. }
            | Reason::UsageLimitReached { .. }
            | Reason::BudgetExhausted { .. }
            | Reason::OnOfferPrices
    )
}

#[derive(Serialize)]
struct ProductPromotion<'a> {
    id: &'a str,
    name: &'a str,
    campaign: Option<&'a str>,
    /// The promotion in the catalog price.
    catalog: bool,
}

pub async fn product_promotions(
    State(state): State<Arc<AppState>>,
    Path(sku): Path<String>,
    query: Result<Query<Context>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let context = context(query)?;
    let published = state.publisher.current();
    let model = &published.model;
    if !model.products.contains_key(&sku) {
        return Err(ApiError::NotFound(format!("no product `{sku}`")));
    }
    let request = context.price_request(vec![sku.clone()]);
    let prices = published
        .snapshot
        .price(&request)
        .map_err(|e| invalid(&e))?;
    let price = prices.into_iter().next();
    // A one-unit cart tells which promotions concern the product in this context.
    let cart = Cart {
        customer: request.customer.clone(),
        channel: request.channel.clone(),
        display: request.display,
        ..Cart::new(request.at.clone(), vec![CartLine::new(sku.clone(), 1)])
    };
    let quote = published
        .snapshot
        .evaluate(&cart)
        .map_err(|e| invalid(&e))?;
    let catalog_promotion = price.as_ref().and_then(|p| p.promotion);
    let mut promotions = Vec::new();
    let mut labels: Vec<&str> = Vec::new();
    let mut banners: Vec<&Banner> = Vec::new();
    for outcome in &quote.promotions {
        let active = outcome.status != Status::Rejected
            || outcome
                .reason
                .as_ref()
                .is_some_and(|r| !out_of_context(&r.0));
        if !active {
            continue;
        }
        let campaign = model
            .promotions
            .get(outcome.id)
            .and_then(|p| p.campaign.as_deref())
            .and_then(|c| model.campaigns.get(c));
        if let Some(campaign) = campaign {
            for label in &campaign.labels {
                if !labels.contains(&label.as_str()) {
                    labels.push(label);
                }
            }
            for banner in &campaign.banners {
                if !banners.contains(&banner) {
                    banners.push(banner);
                }
            }
        }
        promotions.push(ProductPromotion {
            id: outcome.id,
            name: outcome.name,
            campaign: campaign.map(|c| c.id.as_str()),
            catalog: catalog_promotion == Some(outcome.id),
        });
    }
    json_response(&json!({
        "sku": sku,
        "price": price,
        "labels": labels,
        "banners": banners,
        "promotions": promotions,
    }))
}

pub async fn landing(
    State(state): State<Arc<AppState>>,
    Path(slug): Path<String>,
    query: Result<Query<Context>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let context = context(query)?;
    let published = state.publisher.current();
    let model = &published.model;
    let not_found = || ApiError::NotFound(format!("no active landing page `{slug}`"));
    let campaign = published
        .landing
        .get(&slug)
        .and_then(|id| model.campaigns.get(id))
        .ok_or_else(not_found)?;
    let page = campaign.landing_page.as_ref().ok_or_else(not_found)?;
    let at = context.at().parse::<Timestamp>().map_err(|e| {
        ApiError::validation(
            "at",
            format!("must be an instant in RFC 3339 with an offset: {e}"),
        )
    })?;
    if !campaign_running(campaign, at, &model.time_zone()) {
        return Err(not_found());
    }
    let request = context.price_request(landing_skus(&published.snapshot, page));
    let prices = published
        .snapshot
        .price(&request)
        .map_err(|e| invalid(&e))?;
    let products: Vec<Value> = prices
        .iter()
        .map(|price| {
            let name = model
                .products
                .get(price.sku)
                .map_or("", |p| p.name.as_str());
            json!({ "sku": price.sku, "name": name, "price": price })
        })
        .collect();
    json_response(&json!({
        "slug": page.slug,
        "title": page.title,
        "campaign": { "id": campaign.id, "name": campaign.name },
        "products": products,
    }))
}
