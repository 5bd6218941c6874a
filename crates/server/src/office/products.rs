//! The catalog screens: the products list (search and filters over the served model, a page at
//! a time), a product's page (its facts, its catalog price per channel and customer group, every
//! promotion that targets it and why it applies or not), and the catalog import (a dry run, then
//! all or nothing, as a background job whose progress the page polls).
//!
//! Everything is read from the published model and priced by the engine exactly as the
//! storefront API prices (`/v1/prices`, `/v1/products/{sku}/promotions`): what the back office
//! shows is what the shop gets.

mod import;
mod import_jobs;
mod import_messages;
mod list;
mod reasons;
mod search;
mod search_index;
mod show;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get as get_handler, post as post_handler};
use jiff::Timestamp;
use remise_engine::{Customer, PriceRequest};

use super::guard::Need;
use super::routes::{OfficeRoute, get, post};
use crate::model::Model;

/// What the catalog screens keep on this instance between requests.
#[derive(Default)]
pub struct CatalogState {
    imports: import_jobs::CatalogImports,
    search: search_index::ProductSearch,
}

pub fn routes() -> Vec<OfficeRoute> {
    vec![
        get("/office/products", Need::Read, get_handler(list::show)),
        get(
            "/office/products/{sku}",
            Need::Read,
            get_handler(show::show),
        ),
        get(
            "/office/catalog/import",
            Need::Edit,
            get_handler(import::form),
        ),
        post(
            "/office/catalog/import",
            Need::Edit,
            // Catalog files are larger than forms: the API's import limit.
            post_handler(import::upload)
                .layer(DefaultBodyLimit::max(crate::Limits::default().import_bytes)),
        ),
        get(
            "/office/catalog/import/{job}",
            Need::Edit,
            get_handler(import::status),
        ),
        post(
            "/office/catalog/import/{job}/apply",
            Need::Edit,
            post_handler(import::apply),
        ),
    ]
}

/// A price request for one customer context now: no customer id, the groups given, the channel
/// given (none: a sale on no particular channel).
fn price_request(channel: Option<&str>, group: Option<&str>, skus: Vec<String>) -> PriceRequest {
    PriceRequest {
        customer: Customer {
            groups: group.map(str::to_owned).into_iter().collect(),
            ..Customer::default()
        },
        channel: channel.map(str::to_owned),
        at: Timestamp::now().to_string(),
        display: None,
        skus,
    }
}

/// The link to a product's page (a sku may hold any character but spaces and `/`).
pub fn product_href(sku: &str) -> String {
    format!("/office/products/{}", path_segment(sku))
}

/// `text` percent-encoded for one path segment: everything but the unreserved characters.
fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A segment's path from its root (`Superhéros › Marvel`), by names (ids for unnamed ones).
/// A cycle (which the checks refuse) or a missing parent ends the path.
fn segment_path(model: &Model, id: &str) -> String {
    let mut names = Vec::new();
    let mut at = Some(id);
    while let Some(current) = at {
        let Some(segment) = model.segments.get(current) else {
            names.push(current.to_owned());
            break;
        };
        names.push(if segment.name.is_empty() {
            segment.id.clone()
        } else {
            segment.name.clone()
        });
        if names.len() > 64 {
            break;
        }
        at = segment.parent.as_deref();
    }
    names.reverse();
    names.join(" › ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skus_are_encoded_for_their_path() {
        assert_eq!(product_href("FIG-IRONMAN"), "/office/products/FIG-IRONMAN");
        assert_eq!(product_href("A#1?x=%"), "/office/products/A%231%3Fx%3D%25");
        assert_eq!(product_href("thé"), "/office/products/th%C3%A9");
    }
}
