//! Finding products to add to the simulated cart (htmx: each result is a row with a quantity
//! and an "add" button that appends a line to the cart's table).

use std::sync::Arc;
use std::time::{Duration, Instant};

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use remise_engine::rules::Product;
use serde::Deserialize;

use crate::AppState;
use crate::model::Model;
use crate::offer_filter::fold;
use crate::office::i18n;
use crate::office::page::{Page, render};

/// Results shown for one search: enough to pick from, small enough to render at once.
const RESULTS: usize = 10;
/// How long a search may walk the catalog for words in names: a word found nowhere would
/// otherwise read every product (100,000 in a large store), and a page must answer within 50 ms.
const SCAN_TIME: Duration = Duration::from_millis(15);
/// Products walked between two looks at the clock.
const CLOCK_EVERY: usize = 512;

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// A product found, as the results show it.
pub struct Found {
    pub sku: String,
    pub name: String,
    pub price: String,
    /// Unique in the page, for the quantity's label.
    pub id: String,
}

#[derive(Template)]
#[template(path = "office/simulator/results.html")]
struct Results<'a> {
    page: &'a Page,
    query: String,
    found: Vec<Found>,
    /// The walk stopped at its time limit after this many products.
    stopped_after: Option<usize>,
}

/// What a search found, and whether it stopped before the end of the catalog.
pub struct Search<'m> {
    pub products: Vec<&'m Product>,
    pub stopped_after: Option<usize>,
}

pub async fn products(
    State(state): State<Arc<AppState>>,
    page: Page,
    query: Result<Query<SearchQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let query = query.map(|Query(q)| q.q).unwrap_or_default();
    let published = state.publisher.current();
    let model = &published.model;
    let scale =
        remise_engine::money::Money::parse(&model.settings.currency, model.settings.rounding)
            .map_or(2, |m| m.scale);
    let search = find(model, &query, SCAN_TIME);
    let found = search
        .products
        .into_iter()
        .enumerate()
        .map(|(i, product)| Found {
            sku: product.sku.clone(),
            name: product.name.clone(),
            price: i18n::money(page.lang, product.price, &model.settings.currency, scale),
            id: format!("found-{i}"),
        })
        .collect();
    render(
        StatusCode::OK,
        &Results {
            page: &page,
            query,
            found,
            stopped_after: search.stopped_after,
        },
    )
}

/// The products whose sku or name holds every word of `query` (case and accents aside): the
/// sku itself first, then skus that start with it, then the rest in sku order, at most
/// [`RESULTS`]; the walk stops as soon as it has them, or after `time`.
pub fn find<'m>(model: &'m Model, query: &str, time: Duration) -> Search<'m> {
    let started = Instant::now();
    let query = query.trim();
    let mut search = Search {
        products: Vec::new(),
        stopped_after: None,
    };
    if query.is_empty() {
        return search;
    }
    let mut found: Vec<&Product> = Vec::with_capacity(RESULTS);
    let upper = query.to_uppercase();
    for sku in [query, upper.as_str()] {
        if let Some(product) = model.products.get(sku)
            && !found.iter().any(|p| p.sku == product.sku)
        {
            found.push(product);
        }
    }
    for (sku, product) in model.products.range(upper.clone()..) {
        if found.len() >= RESULTS || !sku.starts_with(&upper) {
            break;
        }
        if !found.iter().any(|p| p.sku == product.sku) {
            found.push(product);
        }
    }
    let terms: Vec<String> = fold(query).split_whitespace().map(str::to_owned).collect();
    for (walked, product) in model.products.values().enumerate() {
        if found.len() >= RESULTS {
            break;
        }
        if walked % CLOCK_EVERY == CLOCK_EVERY - 1 && started.elapsed() >= time {
            search.stopped_after = Some(walked);
            break;
        }
        if matches(&product.sku, &product.name, &terms)
            && !found.iter().any(|p| p.sku == product.sku)
        {
            found.push(product);
        }
    }
    search.products = found;
    search
}

/// Whether every folded term is in the sku or the name.
fn matches(sku: &str, name: &str, terms: &[String]) -> bool {
    terms
        .iter()
        .all(|term| contains_folded(sku, term) || contains_folded(name, term))
}

/// Whether `text`, folded, contains `term` (already folded); ASCII text is compared in place,
/// without building its folded copy (most of a large catalog's names).
fn contains_folded(text: &str, term: &str) -> bool {
    if text.is_ascii() {
        let term = term.as_bytes();
        return term.is_empty()
            || text
                .as_bytes()
                .windows(term.len())
                .any(|w| w.eq_ignore_ascii_case(term));
    }
    fold(text).contains(term)
}

#[derive(Deserialize)]
pub struct LineQuery {
    #[serde(default)]
    sku: String,
    #[serde(default)]
    add_qty: String,
}

#[derive(Template)]
#[template(path = "office/simulator/line.html")]
struct LineRow<'a> {
    page: &'a Page,
    row: super::Row,
}

/// One row for the cart's table, with the quantity chosen in the results.
pub async fn line(
    State(state): State<Arc<AppState>>,
    page: Page,
    query: Result<Query<LineQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let sku = query.as_ref().map_or("", |Query(q)| q.sku.trim());
    let published = state.publisher.current();
    let Some(product) = published.model.products.get(sku) else {
        let message = page.t1("simulator-unknown-product", "sku", sku);
        return render(StatusCode::NOT_FOUND, &Problem { message });
    };
    let add_qty = query.as_ref().map_or("", |Query(q)| q.add_qty.trim());
    let quantity = match add_qty.parse::<u32>() {
        Ok(n) if n > 0 => n.to_string(),
        _ => "1".to_owned(),
    };
    // Rows added this way are numbered apart from the page's own (`line-N`).
    let id = super::super::session::random_token()
        .map(|t| format!("added-{}", &t[..12]))
        .unwrap_or_else(|_| format!("added-{}", product.sku));
    render(
        StatusCode::OK,
        &LineRow {
            page: &page,
            row: super::Row {
                sku: product.sku.clone(),
                quantity,
                name: Some(product.name.clone()),
                id,
            },
        },
    )
}

/// A fragment saying what went wrong.
#[derive(Template)]
#[template(
    source = "<p class=\"error\" role=\"alert\">{{ message }}</p>",
    ext = "html"
)]
struct Problem {
    message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_stops_at_its_time_limit_and_says_so() {
        let mut model = Model::default();
        for i in 0..5_000 {
            let sku = format!("P{i:05}");
            let product = Product {
                name: format!("Product {i}"),
                ..Product::new(sku.clone(), rust_decimal::Decimal::ONE)
            };
            model.products.insert(sku, product);
        }
        let whole = find(&model, "nowhere", Duration::from_secs(60));
        assert!(whole.products.is_empty());
        assert_eq!(whole.stopped_after, None);
        let cut = find(&model, "nowhere", Duration::ZERO);
        assert_eq!(cut.stopped_after, Some(CLOCK_EVERY - 1));
        // A sku, and words found early, need no walk to the end.
        let sku = find(&model, "p00042", Duration::ZERO);
        assert_eq!(sku.products[0].sku, "P00042");
        let words = find(&model, "product 4", Duration::from_secs(60));
        assert_eq!(words.products.len(), RESULTS);
    }

    #[test]
    fn words_match_without_case_or_accents() {
        let terms =
            |q: &str| -> Vec<String> { fold(q).split_whitespace().map(str::to_owned).collect() };
        assert!(matches(
            "FIG-1",
            "Figurine Spider-Man",
            &terms("spider figurine")
        ));
        assert!(matches(
            "FIG-1",
            "Poupée élégante",
            &terms("poupee ELEGANTE")
        ));
        assert!(matches("LEGO-AVENGERS", "La tour", &terms("lego")));
        assert!(!matches("FIG-1", "Figurine", &terms("figurine batman")));
    }
}
