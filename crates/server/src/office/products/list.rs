//! `GET /office/products`: the catalog a page at a time, searched by sku or name and filtered by
//! segment (sub-segments included), brand, tag, and whether a catalog promotion reaches the
//! product now (no customer, no channel: the catalog's default context).
//!
//! The filters are tested lazily along the model's products in sku order from the cursor
//! (`after`), or along those whose sku or name holds the searched text (found in the folded
//! index, `search_index`), and the scan stops as soon as a page is full; prices come from the
//! engine in batches. So that no request costs more than a page should, a scan also stops after
//! [`EXAMINE_LIMIT`] products (or [`PRICE_LIMIT`] priced ones when filtering on promotions)
//! and says how far it went, with a link to go on from there.

use std::ops::Bound;
use std::sync::Arc;
use std::time::{Duration, Instant};

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use remise_engine::ProductPrice;
use remise_engine::rules::Product;
use serde::{Deserialize, Serialize};

use super::search::{FactFilters, fold, with_descendants};
use super::search_index::clean_query;
use super::{price_request, product_href, segment_path};
use crate::AppState;
use crate::office::catalog_structure::CatalogTab;
use crate::office::form::FormErrors;
use crate::office::i18n::money;
use crate::office::page::{Page, error_page, render, server_error};
use crate::published::Published;

/// Products a page shows.
pub const PAGE: usize = 50;
/// Products one request tests against the filters at most.
pub const EXAMINE_LIMIT: usize = 100_000;
/// How long one request goes on looking for a page of products. Pricing a product costs what
/// the promotions that reach it cost (tens of microseconds to a fraction of a millisecond), so
/// the promotion filter's work is bounded by time rather than by a count.
pub const SCAN_TIME: Duration = Duration::from_millis(25);
/// Products priced in one call to the engine while filtering on promotions.
const PRICE_BATCH: usize = 50;
const LIMITS: (usize, Duration) = (EXAMINE_LIMIT, SCAN_TIME);

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
    // The text is searched in the index; the other filters are tested on what it finds.
    let query = clean_query(&fold(params.q.trim()));
    let filters = FactFilters {
        segments,
        brand: optional(&params.brand),
        tag: optional(&params.tag),
    };
    let (status, results) = if errors.is_empty() {
        let after = (!params.after.is_empty()).then_some(params.after.as_str());
        let found = if query.is_empty() {
            let start = after.map_or(Bound::Unbounded, Bound::Excluded);
            let products = model
                .products
                .range::<_, str>((start, Bound::Unbounded))
                .map(|(_, p)| p);
            scan(&published, products, &filters, promoted, LIMITS)
        } else {
            let (state, current) = (state.clone(), published.clone());
            let index = match tokio::task::spawn_blocking(move || {
                state.office_catalog.search.index(&current)
            })
            .await
            {
                Ok(index) => index,
                Err(error) => return server_error(&error),
            };
            let products = index
                .matches(&query, after)
                .filter_map(|sku| model.products.get(sku));
            scan(&published, products, &filters, promoted, LIMITS)
        };
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

/// Goes through `products` (in sku order, from the cursor) until a page (and one more, to know
/// there is a next page) passed the filters, or a limit was reached.
fn scan<'s>(
    published: &'s Published,
    products: impl Iterator<Item = &'s Product>,
    filters: &FactFilters,
    promoted: Option<bool>,
    (examine_limit, time): (usize, Duration),
) -> Found<'s> {
    let mut products = products.peekable();
    let mut found = Vec::with_capacity(PAGE + 1);
    let mut pending: Vec<&Product> = Vec::new();
    let mut buffer = String::new();
    let mut examined = 0;
    let mut last_examined: Option<&str> = None;
    let mut stopped = false;
    let deadline = Instant::now() + time;
    while let Some(product) = products.next() {
        if found.len() > PAGE {
            break;
        }
        // The clock is read every 64 products: testing one costs far less than reading it.
        let late = examined % 64 == 63 && Instant::now() >= deadline;
        if examined == examine_limit || late {
            stopped = true;
            break;
        }
        examined += 1;
        last_examined = Some(product.sku.as_str());
        if !filters.matches(product, &mut buffer) {
            continue;
        }
        let Some(wanted) = promoted else {
            found.push((product, None));
            continue;
        };
        pending.push(product);
        if pending.len() == PRICE_BATCH {
            keep_promoted(published, &mut pending, wanted, &mut found);
            if Instant::now() >= deadline {
                stopped = products.peek().is_some();
                break;
            }
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
    let scale = published.snapshot.currency_scale();
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

#[cfg(test)]
mod tests {
    use remise_engine::rules::Product;
    use rust_decimal::Decimal;

    use super::*;
    use crate::model::Model;

    /// A scan cut short by its limit says how far it went and where to go on from; going on
    /// finds the rest, each product once.
    #[test]
    fn a_scan_stopped_by_its_limit_goes_on_from_where_it_stopped() {
        let mut model = Model::default();
        for i in 0..10 {
            let mut product = Product::new(format!("S{i}"), Decimal::ONE);
            product.brand = Some(if i % 3 == 0 { "Kept" } else { "Other" }.to_owned());
            model.products.insert(product.sku.clone(), product);
        }
        let published = Published::build(1, model).unwrap_or_else(|e| panic!("{e}"));
        let filters = FactFilters {
            brand: Some("kept".to_owned()),
            ..FactFilters::default()
        };
        let limits = (4, Duration::from_secs(60));
        let mut after: Option<String> = None;
        let mut seen = Vec::new();
        let mut stops = Vec::new();
        loop {
            let start = after.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
            let products = published
                .model
                .products
                .range::<_, str>((start, Bound::Unbounded))
                .map(|(_, p)| p);
            let found = scan(&published, products, &filters, None, limits);
            seen.extend(found.products.iter().map(|(p, _)| p.sku.clone()));
            stops.push(found.stopped_after);
            match found.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, ["S0", "S3", "S6", "S9"]);
        assert_eq!(stops, [Some(4), Some(4), None]);
    }
}
