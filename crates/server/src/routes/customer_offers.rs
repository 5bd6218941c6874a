//! B2B offers seen from a product or a customer: the offers a customer may filter the shop on and
//! the products of one of them with that customer's prices (the shop's "Offre commerciale"
//! filter, storefront), and every offer reaching a product ("Offres en cours", management: it
//! shows every customer's contracts).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde_json::json;

use super::storefront::{Context, context, invalid, json_response};
use crate::AppState;
use crate::problem::{ApiError, ApiResult};

type ContextQuery = Result<Query<Context>, axum::extract::rejection::QueryRejection>;

/// `GET /v1/customer-offers`: the offers shown to customers, in this customer's scope and live
/// at `at`, by code.
pub async fn list(State(state): State<Arc<AppState>>, query: ContextQuery) -> ApiResult<Response> {
    let context = context(query)?;
    let published = state.publisher.current();
    let offers = published
        .snapshot
        .customer_offers(&context.customer(), &context.at())
        .map_err(|e| invalid(&e))?;
    json_response(&json!({ "items": offers }))
}

/// `GET /v1/customer-offers/{code}/products`: the products the offer's live discounts reach,
/// priced for the customer. Another customer's offer, a hidden one or one not live answers 404,
/// like an offer that does not exist: a shop cannot learn of other customers' contracts.
pub async fn products(
    State(state): State<Arc<AppState>>,
    Path(code): Path<String>,
    query: ContextQuery,
) -> ApiResult<Response> {
    let context = context(query)?;
    let published = state.publisher.current();
    let request = context.price_request(Vec::new());
    let prices = published
        .snapshot
        .offer_products(&code, &request)
        .map_err(|e| invalid(&e))?
        .ok_or_else(|| ApiError::NotFound(format!("no offer `{code}` for this customer")))?;
    json_response(&json!({ "offer": code, "items": prices }))
}

/// `GET /v1/products/{sku}/offers`: every discount of every offer that reaches the product, with
/// whether it is live at `at` (when given) and, for a customer named by the query, whether it
/// is theirs, the unit price it gives them and which one prices the product for them.
pub async fn for_product(
    State(state): State<Arc<AppState>>,
    Path(sku): Path<String>,
    query: ContextQuery,
) -> ApiResult<Response> {
    let context = context(query)?;
    let published = state.publisher.current();
    if !published.model.products.contains_key(&sku) {
        return Err(ApiError::NotFound(format!("no product `{sku}`")));
    }
    let customer = context.names_customer().then(|| context.customer());
    let at = context.at();
    let offers = published
        .snapshot
        .product_offers(&sku, Some(&at), customer.as_ref())
        .map_err(|e| invalid(&e))?;
    json_response(&json!({ "sku": sku, "at": at, "items": offers }))
}
