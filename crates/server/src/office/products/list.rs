//! `GET /office/products`: the catalog a page at a time, searched by sku or name and filtered by
//! segment (sub-segments included), brand, tag, and whether a catalog promotion reaches the
//! product now (no customer, no channel: the catalog's default context).
//!
//! The filters are tested lazily along the model's products in sku order from the cursor
//! (`after`), and the scan stops as soon as a page is full; prices come from the engine in
//! batches. So that no request costs more than a page should, a scan also stops after
//! [`EXAMINE_LIMIT`] products (or [`PRICE_LIMIT`] priced ones when filtering on promotions)
//! and says how far it went, with a link to go on from there.

use std::ops::Bound;
use std::sync::Arc;

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use remise_engine::ProductPrice;
use remise_engine::rules::Product;
use serde::{Deserialize, Serialize};

use super::search::{FactFilters, fold, with_descendants};
use super::{price_request, product_href, scale, segment_path};
use crate::AppState;
use crate::office::form::FormErrors;
use crate::office::i18n::money;
use crate::office::page::{Page, error_page, render};
use crate::published::Published;

/// Products a page shows.
pub const PAGE: usize = 50;
/// Products one request tests against the filters at most.
pub const EXAMINE_LIMIT: usize = 100_000;
/// Products one request prices at most to tell whether a promotion reaches them.
pub const PRICE_LIMIT: usize = 5_000;
/// Products priced in one call to the engine while filtering on promotions.
const PRICE_BATCH: usize = 100;

/// The list's query string: every filter is optional, `after` is the cursor.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct ListParams {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub q: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub segment: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub brand: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tag: String,
    /// `yes`, `no`, or empty for both.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub promoted: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub after: String,
}

impl ListParams {
    /// The list's address with these filters, from `after`.
    fn href(&self, after: Option<&str>) -> String {
        let params = ListParams {
            after: after.unwrap_or_default().to_owned(),
            ..self.clone()
        };
        match serde_urlencoded::to_string(&params) {
            Ok(query) if !query.is_empty() => format!("/office/products?{query}"),
            _ => "/office/products".to_owned(),
        }
    }
}

/// A product as a row of the list.
pub struct Row {
    pub sku: String,
    pub href: String,
    pub name: String,
    pub brand: String,
    pub list_price: String,
    pub catalog_price: String,
    /// The catalog promotion shown, by name; empty when none reaches the product.
    pub promotion: String,
}

/// The rows of a page and how to go on.
#[derive(Default)]
pub struct Results {
    pub rows: Vec<Row>,
    pub next_href: Option<String>,
    /// Set on any page but the first.
    pub first_href: Option<String>,
    /// When the scan stopped at its limit: how many products it went through.
    pub stopped_after: Option<usize>,
}

#[derive(Template)]
#[template(path = "office/products/list.html")]
struct ListPage<'a> {
    page: &'a Page,
    params: ListParams,
    /// `(id, path)` of every segment, by path.
    segments: Vec<(String, String)>,
    errors: FormErrors,
    results: Results,
}

#[derive(Template)]
#[template(path = "office/products/results.html")]
struct ResultsFragment<'a> {
    page: &'a Page,
    results: Results,
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    page: Page,
    headers: HeaderMap,
    query: Result<Query<ListParams>, QueryRejection>,
) -> Response {
    let Ok(Query(params)) = query else {
        return error_page(
            &page,
            StatusCode::BAD_REQUEST,
            "products-bad-query-title",
            "products-bad-query",
        );
    };
    let published = state.publisher.current();
    let model = &published.model;
    let mut errors = FormErrors::default();
    let promoted = match params.promoted.as_str() {
        "" => None,
        "yes" => Some(true),
        "no" => Some(false),
        _ => {
            errors.add("promoted", page.t("products-filter-promoted-unknown"));
            None
        }
    };
    let segments = match params.segment.as_str() {
        "" => None,
        id if model.segments.contains_key(id) => Some(with_descendants(model, id)),
        id => {
            errors.add(
                "segment",
                page.t1("products-filter-segment-unknown", "segment", id),
            );
            None
        }
    };
    let optional = |text: &str| {
        let text = text.trim();
        (!text.is_empty()).then(|| fold(text))
    };
    let filters = FactFilters {
        text: fold(params.q.trim()),
        segments,
        brand: optional(&params.brand),
        tag: optional(&params.tag),
    };
    let (status, results) = if errors.is_empty() {
        let after = (!params.after.is_empty()).then_some(params.after.as_str());
        let found = scan(&published, &filters, promoted, after);
        (StatusCode::OK, results(&page, &published, &params, found))
    } else {
        (StatusCode::UNPROCESSABLE_ENTITY, Results::default())
    };
    if headers.contains_key("hx-request") {
        return render(
            status,
            &ResultsFragment {
                page: &page,
                results,
            },
        );
    }
    let mut segments: Vec<(String, String)> = model
        .segments
        .keys()
        .map(|id| (id.clone(), segment_path(model, id)))
        .collect();
    segments.sort_by(|a, b| a.1.cmp(&b.1));
    render(
        status,
        &ListPage {
            page: &page,
            params,
            segments,
            errors,
            results,
        },
    )
}

/// What a scan found: the page's products (with their price when the scan priced them), and
/// where the next page starts.
struct Found<'s> {
    products: Vec<(&'s Product, Option<ProductPrice<'s>>)>,
    next: Option<String>,
    stopped_after: Option<usize>,
}

/// Goes through the products after `after` until a page (and one more, to know there is a next
/// page) passed the filters, or a limit was reached.
fn scan<'s>(
    published: &'s Published,
    filters: &FactFilters,
    promoted: Option<bool>,
    after: Option<&str>,
) -> Found<'s> {
    let start = after.map_or(Bound::Unbounded, Bound::Excluded);
    let range = (start, Bound::<&str>::Unbounded);
    let mut found = Vec::with_capacity(PAGE + 1);
    let mut pending: Vec<&Product> = Vec::new();
    let mut buffer = String::new();
    let (mut examined, mut priced) = (0, 0);
    let mut last_examined: Option<&str> = None;
    let mut stopped = false;
    for (sku, product) in published.model.products.range::<_, str>(range) {
        if found.len() > PAGE {
            break;
        }
        if examined == EXAMINE_LIMIT || priced >= PRICE_LIMIT {
            stopped = true;
            break;
        }
        examined += 1;
        last_examined = Some(sku.as_str());
        if !filters.matches(product, &mut buffer) {
            continue;
        }
        let Some(wanted) = promoted else {
            found.push((product, None));
            continue;
        };
        pending.push(product);
        if pending.len() == PRICE_BATCH {
            priced += pending.len();
            keep_promoted(published, &mut pending, wanted, &mut found);
        }
    }
    if let Some(wanted) = promoted {
        keep_promoted(published, &mut pending, wanted, &mut found);
    }
    let (next, stopped_after) = if found.len() > PAGE {
        found.truncate(PAGE);
        (found.last().map(|(p, _)| p.sku.clone()), None)
    } else if stopped {
        (last_examined.map(str::to_owned), Some(examined))
    } else {
        (None, None)
    };
    Found {
        products: found,
        next,
        stopped_after,
    }
}

/// Prices `pending` now in the default context and keeps those a catalog promotion reaches
/// (`wanted`) or those none reaches.
fn keep_promoted<'s>(
    published: &'s Published,
    pending: &mut Vec<&'s Product>,
    wanted: bool,
    found: &mut Vec<(&'s Product, Option<ProductPrice<'s>>)>,
) {
    if pending.is_empty() {
        return;
    }
    let skus = pending.iter().map(|p| p.sku.clone()).collect();
    // The products come from the snapshot's own model: every sku is known to it.
    match published.snapshot.price(&price_request(None, None, skus)) {
        Ok(prices) => {
            for (product, price) in pending.drain(..).zip(prices) {
                if price.promotion.is_some() == wanted {
                    found.push((product, Some(price)));
                }
            }
        }
        Err(error) => {
            tracing::error!("the products list could not be priced: {error}");
            pending.clear();
        }
    }
}

/// The rows of what a scan found, priced where the scan did not price them.
fn results(page: &Page, published: &Published, params: &ListParams, found: Found<'_>) -> Results {
    let model = &published.model;
    let currency = published.snapshot.currency();
    let scale = scale(model);
    let unpriced: Vec<String> = found
        .products
        .iter()
        .filter(|(_, price)| price.is_none())
        .map(|(p, _)| p.sku.clone())
        .collect();
    let mut prices = if unpriced.is_empty() {
        Vec::new()
    } else {
        published
            .snapshot
            .price(&price_request(None, None, unpriced))
            .unwrap_or_else(|error| {
                tracing::error!("the products list could not be priced: {error}");
                Vec::new()
            })
    }
    .into_iter();
    let rows = found
        .products
        .into_iter()
        .map(|(product, price)| {
            let price = price.or_else(|| prices.next());
            let promotion = price
                .as_ref()
                .and_then(|p| p.promotion)
                .map(|id| {
                    model
                        .promotions
                        .get(id)
                        .map_or(id, |p| p.name.as_str())
                        .to_owned()
                })
                .unwrap_or_default();
            Row {
                sku: product.sku.clone(),
                href: product_href(&product.sku),
                name: product.name.clone(),
                brand: product.brand.clone().unwrap_or_default(),
                list_price: money(page.lang, product.price, currency, scale),
                catalog_price: price.map_or_else(
                    || "—".to_owned(),
                    |p| money(page.lang, p.price, currency, scale),
                ),
                promotion,
            }
        })
        .collect();
    let on_first_page = params.after.is_empty();
    Results {
        rows,
        next_href: found.next.as_deref().map(|after| params.href(Some(after))),
        first_href: (!on_first_page).then(|| params.href(None)),
        stopped_after: found.stopped_after,
    }
}
