//! The URL tree. Storefront routes take any valid key, management routes a management key;
//! operations (`/health`, `/metrics`, `/openapi.json`, `/docs`) take none.

mod api_keys;
pub(crate) mod audit;
pub mod codes;
mod customer_offers;
pub mod distribution;
mod documents;
mod generation;

pub use generation::Generations;
mod import;
mod offers;
mod offers_csv;
mod operations;
mod redemptions;
mod settings;
pub(crate) mod storefront;
pub mod vouchers;

pub use documents::{Change, refresh, status_change, write};
pub use offers::restorable_since;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use remise_store::{Kind, Record};
use serde::Serialize;
use serde_json::{Value, json};
use tower_http::catch_panic::CatchPanicLayer;

use crate::AppState;
use crate::model::rfc3339;
use crate::problem::{ApiError, ApiResult};

/// The managed collections: URL segment and kind.
pub const COLLECTIONS: [(&str, Kind); 8] = [
    ("products", Kind::Product),
    ("segments", Kind::Segment),
    ("selections", Kind::Selection),
    ("customer-groups", Kind::CustomerGroup),
    ("campaigns", Kind::Campaign),
    ("promotions", Kind::Promotion),
    ("relays", Kind::Relay),
    ("offers", Kind::Offer),
];

/// Every route: what `/openapi.json` must describe (a test checks it does).
#[cfg(test)]
pub fn routes() -> Vec<(&'static str, String)> {
    let mut routes = vec![
        ("get", "/".to_owned()),
        ("get", "/health".to_owned()),
        ("get", "/metrics".to_owned()),
        ("get", "/openapi.json".to_owned()),
        ("get", "/docs".to_owned()),
        ("post", "/v1/carts/evaluate".to_owned()),
        ("post", "/v1/prices".to_owned()),
        ("get", "/v1/products/{sku}/promotions".to_owned()),
        ("get", "/v1/landing/{slug}".to_owned()),
        ("get", "/v1/customer-offers".to_owned()),
        ("get", "/v1/customer-offers/{code}/products".to_owned()),
        ("get", "/v1/products/{sku}/offers".to_owned()),
        ("get", "/v1/settings".to_owned()),
        ("put", "/v1/settings".to_owned()),
        ("patch", "/v1/settings".to_owned()),
        ("post", "/v1/products/import".to_owned()),
        ("post", "/v1/import/rules".to_owned()),
        ("post", "/v1/import/offers".to_owned()),
        ("post", "/v1/import/offer-discounts".to_owned()),
        ("get", "/v1/exports/offers".to_owned()),
        ("get", "/v1/exports/offer-discounts".to_owned()),
        ("get", "/v1/api-keys".to_owned()),
        ("post", "/v1/api-keys".to_owned()),
        ("delete", "/v1/api-keys/{id}".to_owned()),
        ("get", "/v1/audit".to_owned()),
        ("get", "/v1/codes/{code}".to_owned()),
        ("post", "/v1/redemptions".to_owned()),
        ("get", "/v1/redemptions/{id}".to_owned()),
        ("post", "/v1/redemptions/{id}/confirm".to_owned()),
        ("post", "/v1/redemptions/{id}/cancel".to_owned()),
        ("get", "/v1/coupons".to_owned()),
        ("post", "/v1/coupons".to_owned()),
        ("get", "/v1/coupons/{code}".to_owned()),
        ("post", "/v1/coupons/{code}/disable".to_owned()),
        ("post", "/v1/coupons/{code}/enable".to_owned()),
        ("get", "/v1/vouchers".to_owned()),
        ("post", "/v1/vouchers".to_owned()),
        ("get", "/v1/vouchers/{code}".to_owned()),
        ("post", "/v1/vouchers/{code}/disable".to_owned()),
        ("post", "/v1/vouchers/{code}/enable".to_owned()),
        ("get", "/v1/batches".to_owned()),
        ("post", "/v1/batches".to_owned()),
        ("get", "/v1/batches/{id}".to_owned()),
        ("put", "/v1/batches/{id}/quota".to_owned()),
        ("post", "/v1/batches/{id}/distributions".to_owned()),
        ("get", "/v1/batches/{id}/usage".to_owned()),
        ("get", "/v1/relays/{id}/usage".to_owned()),
        ("get", "/v1/distributions".to_owned()),
        ("get", "/v1/outbox".to_owned()),
        ("post", "/v1/outbox/{id}/retry".to_owned()),
        ("get", "/v1/exports/codes".to_owned()),
        ("get", "/v1/exports/redemptions".to_owned()),
    ];
    for (collection, kind) in COLLECTIONS {
        let item = documents::item_path(collection, kind);
        routes.push(("get", format!("/v1/{collection}")));
        routes.push(("post", format!("/v1/{collection}")));
        for method in ["get", "put", "patch", "delete"] {
            routes.push((method, item.clone()));
        }
        if kind.soft_deleted() {
            routes.push(("post", format!("{item}/restore")));
        }
        if kind == Kind::Offer {
            routes.push(("post", format!("/v1/{collection}/restore")));
        }
    }
    routes
}

/// All routes over `state`.
pub fn router(state: Arc<AppState>) -> Router {
    let limits = state.limits;
    let storefront = Router::new()
        .route("/v1/carts/evaluate", post(storefront::evaluate))
        .route("/v1/prices", post(storefront::prices))
        .route(
            "/v1/products/{sku}/promotions",
            get(storefront::product_promotions),
        )
        .route("/v1/landing/{slug}", get(storefront::landing))
        .route("/v1/customer-offers", get(customer_offers::list))
        .route(
            "/v1/customer-offers/{code}/products",
            get(customer_offers::products),
        )
        .route("/v1/codes/{code}", get(redemptions::check))
        .route("/v1/redemptions", post(redemptions::reserve))
        .route("/v1/redemptions/{id}", get(redemptions::get))
        .route("/v1/redemptions/{id}/confirm", post(redemptions::confirm))
        .route("/v1/redemptions/{id}/cancel", post(redemptions::cancel))
        .route_layer(from_fn_with_state(state.clone(), crate::auth::storefront));

    let mut management = Router::new()
        .route(
            "/v1/settings",
            get(settings::get).put(settings::put).patch(settings::patch),
        )
        .route(
            "/v1/products/import",
            post(import::products).layer(DefaultBodyLimit::max(limits.import_bytes)),
        )
        .route(
            "/v1/import/rules",
            post(import::rules).layer(DefaultBodyLimit::max(limits.import_bytes)),
        )
        .route(
            "/v1/import/offers",
            post(offers_csv::import_offers_file).layer(DefaultBodyLimit::max(limits.import_bytes)),
        )
        .route(
            "/v1/import/offer-discounts",
            post(offers_csv::import_discounts_file)
                .layer(DefaultBodyLimit::max(limits.import_bytes)),
        )
        .route("/v1/exports/offers", get(offers_csv::export_offers_file))
        .route(
            "/v1/exports/offer-discounts",
            get(offers_csv::export_discounts_file),
        )
        .route(
            "/v1/products/{sku}/offers",
            get(customer_offers::for_product),
        )
        .route("/v1/api-keys", get(api_keys::list).post(api_keys::create))
        .route("/v1/api-keys/{id}", axum::routing::delete(api_keys::revoke))
        .route("/v1/audit", get(audit::list))
        .route(
            "/v1/coupons",
            get(codes::list_coupons).post(codes::create_coupon),
        )
        .route("/v1/coupons/{code}", get(codes::get_coupon))
        .route("/v1/coupons/{code}/disable", post(codes::disable_coupon))
        .route("/v1/coupons/{code}/enable", post(codes::enable_coupon))
        .route("/v1/vouchers", get(vouchers::list).post(vouchers::create))
        .route("/v1/vouchers/{code}", get(vouchers::get))
        .route("/v1/vouchers/{code}/disable", post(vouchers::disable))
        .route("/v1/vouchers/{code}/enable", post(vouchers::enable))
        .route(
            "/v1/batches",
            get(codes::list_batches).post(codes::create_batch),
        )
        .route("/v1/batches/{id}", get(codes::get_batch))
        .route(
            "/v1/batches/{id}/quota",
            axum::routing::put(codes::set_quota),
        )
        .route("/v1/batches/{id}/distributions", post(distribution::create))
        .route("/v1/batches/{id}/usage", get(distribution::batch_usage))
        .route("/v1/relays/{id}/usage", get(distribution::relay_usage))
        .route("/v1/distributions", get(distribution::list))
        .route("/v1/outbox", get(distribution::outbox))
        .route("/v1/outbox/{id}/retry", post(distribution::retry))
        .route("/v1/exports/codes", get(distribution::export_codes))
        .route(
            "/v1/exports/redemptions",
            get(distribution::export_redemptions),
        );
    for (collection, kind) in COLLECTIONS {
        management = documents::add_routes(management, collection, kind);
    }
    let management =
        management.route_layer(from_fn_with_state(state.clone(), crate::auth::management));

    let routes = Router::new()
        .route("/", get(operations::root))
        .route("/health", get(operations::health))
        .route("/metrics", get(operations::metrics))
        .route("/openapi.json", get(operations::openapi))
        .route("/docs", get(operations::docs))
        .merge(storefront)
        .merge(management);
    // The back office has its own error pages (HTML, not problems) and its own guard.
    layered(routes, state.clone()).merge(crate::office::router(state))
}

/// What every route goes through, innermost first: the body limit; a panic becomes a 500
/// problem (and is counted); any other plain error becomes a problem; then the metrics, which
/// see every answer, panics included.
fn layered(routes: Router<Arc<AppState>>, state: Arc<AppState>) -> Router {
    let limits = state.limits;
    let counting = state.clone();
    routes
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limits.body_bytes))
        .layer(CatchPanicLayer::custom(move |_| {
            counting.metrics.panics.inc();
            panicked()
        }))
        .layer(from_fn(problem_for_plain_errors))
        .layer(from_fn_with_state(state.clone(), crate::metrics::track))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such route; see /docs".to_owned())
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

fn panicked() -> Response {
    ApiError::Internal("the server failed on this request; it has been logged".to_owned())
        .into_response()
}

/// Rejections produced below the handlers (by axum itself) come as plain text; this turns any
/// 4xx/5xx response that is not already a problem into one, so clients see one error shape.
async fn problem_for_plain_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_problem_or_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if !(status.is_client_error() || status.is_server_error()) || is_problem_or_json {
        return response;
    }
    let detail = match axum::body::to_bytes(response.into_body(), 64 * 1024).await {
        Ok(bytes) if !bytes.is_empty() => String::from_utf8_lossy(&bytes).into_owned(),
        _ => status.canonical_reason().unwrap_or("error").to_owned(),
    };
    let error = match status.as_u16() {
        413 => ApiError::PayloadTooLarge(detail),
        415 => ApiError::UnsupportedMediaType(detail),
        404 => ApiError::NotFound(detail),
        405 => ApiError::MethodNotAllowed,
        400..=499 => ApiError::InvalidJson {
            field: None,
            detail,
        },
        _ => ApiError::Internal(detail),
    };
    error.into_response()
}

/// A stored document as the API shows it.
#[derive(Serialize)]
pub struct Envelope<'a> {
    id: &'a str,
    version: i64,
    created_at: String,
    updated_at: String,
    deleted_at: Option<String>,
    data: &'a Value,
}

pub fn envelope(record: &Record) -> Envelope<'_> {
    Envelope {
        id: &record.id,
        version: record.version,
        created_at: rfc3339(record.created_at),
        updated_at: rfc3339(record.updated_at),
        deleted_at: record.deleted_at.map(rfc3339),
        data: &record.body,
    }
}

/// A single document with its `ETag`.
pub fn document_response(status: axum::http::StatusCode, record: &Record) -> Response {
    let mut response = (status, axum::Json(envelope(record))).into_response();
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", record.version)) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

/// The version an `If-Match` header names (`"3"`, `3` or `W/"3"`).
pub fn if_match(headers: &HeaderMap) -> ApiResult<i64> {
    let value = headers
        .get(header::IF_MATCH)
        .ok_or(ApiError::PreconditionRequired)?;
    let text = value.to_str().unwrap_or_default().trim();
    let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    text.parse().map_err(|_| ApiError::InvalidJson {
        field: Some("If-Match".to_owned()),
        detail: format!("If-Match must be a version such as \"3\", not `{text}`"),
    })
}

/// The `{ items, next_after }` page of a list.
pub fn page(records: &[Record], limit: u32) -> Value {
    let next = (records.len() == limit as usize)
        .then(|| records.last().map(|r| r.id.clone()))
        .flatten();
    json!({
        "items": records.iter().map(envelope).collect::<Vec<_>>(),
        "next_after": next,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// A handler that panics answers a 500 problem, and the panic is counted and labelled like
    /// any other answer.
    #[tokio::test]
    #[allow(clippy::expect_used)]
    async fn panics_are_answered_as_problems_and_counted() {
        let sqlite = remise_test_support::TestSqlite::new();
        let store = remise_store::open(&sqlite.url)
            .await
            .expect("open the store");
        store.migrate().await.expect("migrate the store");
        let state = AppState::new(store, crate::Limits::default())
            .await
            .expect("the state");
        async fn boom() -> &'static str {
            panic!("a bug")
        }
        let panicking: Router<Arc<AppState>> = Router::new().route("/boom", get(boom));
        let app = layered(panicking, state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let addr = listener.local_addr().expect("its address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        let reply = reqwest::get(format!("http://{addr}/boom"))
            .await
            .expect("an answer");
        assert_eq!(reply.status(), 500);
        assert_eq!(
            reply.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        let metrics = state.metrics.render(&state.publisher.current());
        assert!(metrics.contains("remise_http_panics_total 1"), "{metrics}");
        assert!(
            metrics.contains(
                r#"remise_http_requests_total{method="GET",route="/boom",status="500"} 1"#
            ),
            "{metrics}"
        );
    }

    /// The refusals every route of a kind gives are in the document: 422 where a query value can
    /// be refused (`limit` outside 1–500, a bad `at`, an unknown `status` or `entity`), 400 and
    /// 428 where `If-Match` is read.
    #[test]
    fn openapi_lists_the_refusals_of_query_values_and_if_match() {
        let document: Value = serde_json::from_str(operations::OPENAPI).unwrap_or_default();
        let mut missing = Vec::new();
        let paths = document["paths"].as_object().cloned().unwrap_or_default();
        for (path, item) in &paths {
            for method in ["get", "put", "post", "delete", "patch"] {
                let Some(operation) = item.get(method) else {
                    continue;
                };
                let parameters: Vec<&str> = operation["parameters"]
                    .as_array()
                    .map(|p| {
                        p.iter()
                            .filter_map(|p| p["$ref"].as_str().or(p["name"].as_str()))
                            .collect()
                    })
                    .unwrap_or_default();
                let has = |name: &str| parameters.iter().any(|p| p.ends_with(name));
                let mut expected = Vec::new();
                if ["/Limit", "/At", "entity", "status"].into_iter().any(has) {
                    expected.push("422");
                }
                if has("/IfMatch") {
                    expected.extend(["400", "428"]);
                }
                for status in expected {
                    if operation["responses"].get(status).is_none() {
                        missing.push(format!("{method} {path}: {status}"));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "undocumented refusals: {missing:?}");
    }

    /// The OpenAPI document describes exactly the routes the router serves.
    #[test]
    fn openapi_describes_every_route_and_no_other() {
        let document: Value = serde_json::from_str(operations::OPENAPI).unwrap_or_default();
        let mut described = BTreeSet::new();
        if let Some(paths) = document["paths"].as_object() {
            for (path, item) in paths {
                for method in ["get", "put", "post", "delete", "patch"] {
                    if item.get(method).is_some() {
                        described.insert((method.to_owned(), path.clone()));
                    }
                }
            }
        }
        let served: BTreeSet<(String, String)> = routes()
            .into_iter()
            .map(|(m, p)| (m.to_owned(), p))
            .collect();
        let missing: Vec<_> = served.difference(&described).collect();
        let extra: Vec<_> = described.difference(&served).collect();
        assert!(
            missing.is_empty(),
            "routes not in openapi.json: {missing:?}"
        );
        assert!(
            extra.is_empty(),
            "openapi.json paths that are not served: {extra:?}"
        );
    }
}
