//! Tags and labels (seed 001: "nouveauté", "exclu web"; seed 000 "Configurer - Tags et Labels"):
//! the tags products carry with how many carry each; rename a tag on every product; add or
//! remove a tag on products found by search. Several products change at once, all or nothing:
//! checked against the served catalog, written in one transaction at the revision they were
//! checked against, then published.

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get as get_handler, post as post_handler};
use remise_engine::rules::Product;
use remise_store::Kind;
use serde::Deserialize;

use super::catalog_structure::{CatalogTab, pairs, value, values};
use super::form::FormErrors;
use super::guard::Need;
use super::i18n;
use super::page::{Page, render};
use super::routes::{OfficeRoute, get, post};
use super::session::{OfficeUser, see_other, url_encode};
use crate::AppState;
use crate::documents::Document;
use crate::model::Model;
use crate::problem::{ApiError, FieldProblem};

/// Products a search lists.
const FOUND: usize = 50;

pub fn routes() -> Vec<OfficeRoute> {
    vec![
        get("/office/tags", Need::Read, get_handler(list)),
        get("/office/tags/{tag}", Need::Read, get_handler(show)),
        post(
            "/office/tags/{tag}/rename",
            Need::Edit,
            post_handler(rename),
        ),
        post(
            "/office/tags/{tag}/products",
            Need::Edit,
            post_handler(label_products),
        ),
    ]
}

#[derive(Template)]
#[template(path = "office/tags/list.html")]
struct ListPage<'a> {
    page: &'a Page,
    tab: CatalogTab,
    tags: Vec<(String, usize)>,
}

pub struct FoundProduct {
    pub sku: String,
    pub name: String,
    pub price: String,
    pub tagged: bool,
}

#[derive(Template)]
#[template(path = "office/tags/show.html")]
struct ShowPage<'a> {
    page: &'a Page,
    tab: CatalogTab,
    tag: String,
    count: usize,
    /// Promotions whose targets or exclusions name the tag: a rename does not change them.
    promotions: usize,
    query: String,
    found: Vec<FoundProduct>,
    new_name: String,
    errors: FormErrors,
    notice: Option<String>,
}

impl ShowPage<'_> {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    /// A tag to open (the "label products" form), possibly new.
    open: Option<String>,
}

async fn list(
    State(state): State<Arc<AppState>>,
    page: Page,
    Query(query): Query<ListQuery>,
) -> Response {
    if let Some(tag) = query
        .open
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        return see_other(&format!("/office/tags/{}", url_encode(tag)));
    }
    let published = state.publisher.current();
    let mut tags: Vec<(String, usize)> = published
        .snapshot
        .products_per_tag()
        .into_iter()
        .map(|(tag, n)| (tag.to_owned(), n))
        .collect();
    tags.sort_by_cached_key(|(tag, _)| (tag.to_lowercase(), tag.clone()));
    render(
        StatusCode::OK,
        &ListPage {
            page: &page,
            tab: CatalogTab::Tags,
            tags,
        },
    )
}

#[derive(Deserialize)]
pub struct ShowQuery {
    q: Option<String>,
    done: Option<String>,
    n: Option<usize>,
}

#[allow(clippy::too_many_arguments)]
fn show_page(
    state: &AppState,
    page: &Page,
    tag: &str,
    query: &str,
    status: StatusCode,
    new_name: String,
    errors: FormErrors,
    notice: Option<String>,
) -> Response {
    let published = state.publisher.current();
    let model = &published.model;
    let snapshot = &published.snapshot;
    let count = snapshot.products_with_tag(tag).len();
    let promotions = model
        .promotions
        .values()
        .filter(|p| {
            p.targets
                .iter()
                .chain(&p.exclude)
                .any(|t| t.tags.iter().any(|t| t == tag))
        })
        .count();
    let found = if query.is_empty() {
        Vec::new()
    } else {
        let needle = query.to_lowercase();
        model
            .products
            .values()
            .filter(|p| {
                p.sku.to_lowercase().contains(&needle) || p.name.to_lowercase().contains(&needle)
            })
            .take(FOUND)
            .map(|p| FoundProduct {
                sku: p.sku.clone(),
                name: p.name.clone(),
                price: i18n::money(
                    page.lang,
                    p.price,
                    snapshot.currency(),
                    snapshot.currency_scale(),
                ),
                tagged: p.tags.iter().any(|t| t == tag),
            })
            .collect()
    };
    render(
        status,
        &ShowPage {
            page,
            tab: CatalogTab::Tags,
            tag: tag.to_owned(),
            count,
            promotions,
            query: query.to_owned(),
            found,
            new_name,
            errors,
            notice,
        },
    )
}

async fn show(
    State(state): State<Arc<AppState>>,
    page: Page,
    Path(tag): Path<String>,
    Query(query): Query<ShowQuery>,
) -> Response {
    let n = query.n.unwrap_or(0);
    let notice = match query.done.as_deref() {
        Some("renamed") => Some(page.t1("tags-renamed", "count", n)),
        Some("labelled") => Some(page.t1("tags-labelled", "count", n)),
        _ => None,
    };
    let q = query.q.unwrap_or_default();
    show_page(
        &state,
        &page,
        &tag,
        q.trim(),
        StatusCode::OK,
        String::new(),
        FormErrors::default(),
        notice,
    )
}

/// A tag as products carry it: 1 to 100 characters, not blank.
fn tag_problem(page: &Page, tag: &str) -> Option<String> {
    let length = tag.chars().count();
    (tag.trim().is_empty() || length > 100).then(|| page.t("tags-name-invalid"))
}

/// Renames `tag` to `name` on every product that carries it.
async fn rename(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    Path(tag): Path<String>,
    body: Bytes,
) -> Response {
    let form = pairs(&body);
    let name = value(&form, "name").trim().to_owned();
    let mut errors = FormErrors::default();
    if let Some(problem) = tag_problem(&page, &name) {
        errors.add("name", problem);
    } else if name == tag {
        errors.add("name", page.t("tags-name-same"));
    } else {
        let result = write_products(&state, &user, |model| {
            model
                .products
                .values()
                .filter(|p| p.tags.contains(&tag))
                .map(|p| {
                    let mut product = p.clone();
                    product.tags.retain(|t| *t != tag && *t != name);
                    product.tags.push(name.clone());
                    product
                })
                .collect()
        })
        .await;
        match result {
            Ok(n) => {
                return see_other(&format!(
                    "/office/tags/{}?done=renamed&n={n}",
                    url_encode(&name)
                ));
            }
            Err(error) => match FormErrors::from_api(&page, error) {
                Ok(found) => errors = found,
                Err(response) => return response,
            },
        }
    }
    show_page(
        &state,
        &page,
        &tag,
        "",
        StatusCode::UNPROCESSABLE_ENTITY,
        name,
        errors,
        None,
    )
}

/// Adds (`action=add`) or removes (`action=remove`) the tag on the chosen products (`sku`).
async fn label_products(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    Path(tag): Path<String>,
    body: Bytes,
) -> Response {
    let form = pairs(&body);
    let skus: Vec<String> = values(&form, "sku")
        .into_iter()
        .map(str::to_owned)
        .collect();
    let query = value(&form, "q").trim().to_owned();
    let add = match value(&form, "action") {
        "add" => true,
        "remove" => false,
        _ => {
            let mut errors = FormErrors::default();
            errors.general.push(page.t("tags-action-unknown"));
            return show_page(
                &state,
                &page,
                &tag,
                &query,
                StatusCode::UNPROCESSABLE_ENTITY,
                String::new(),
                errors,
                None,
            );
        }
    };
    let mut errors = FormErrors::default();
    if let Some(problem) = tag_problem(&page, &tag) {
        errors.general.push(problem);
    } else if skus.is_empty() {
        errors.add("sku", page.t("tags-choose-products"));
    } else {
        let result = write_products(&state, &user, |model| {
            skus.iter()
                .filter_map(|sku| model.products.get(sku))
                .filter(|p| p.tags.contains(&tag) != add)
                .map(|p| {
                    let mut product = p.clone();
                    if add {
                        product.tags.push(tag.clone());
                    } else {
                        product.tags.retain(|t| *t != tag);
                    }
                    product
                })
                .collect()
        })
        .await;
        match result {
            Ok(n) => {
                return see_other(&format!(
                    "/office/tags/{}?done=labelled&n={n}&q={}",
                    url_encode(&tag),
                    url_encode(&query)
                ));
            }
            Err(error) => match FormErrors::from_api(&page, error) {
                Ok(found) => errors = found,
                Err(response) => return response,
            },
        }
    }
    show_page(
        &state,
        &page,
        &tag,
        &query,
        StatusCode::UNPROCESSABLE_ENTITY,
        String::new(),
        errors,
        None,
    )
}

/// Writes the products `change` makes from the current model, all or nothing, as the user:
/// one at a time with the other writes of this instance, each product checked against the
/// served catalog, one transaction refused if another instance wrote since the check, then the
/// snapshot brought up to the new revision. Returns how many products changed.
async fn write_products(
    state: &AppState,
    user: &OfficeUser,
    change: impl FnOnce(&Model) -> Vec<Product>,
) -> Result<usize, ApiError> {
    let _one_at_a_time = state.writes.lock().await;
    crate::routes::refresh(state).await?;
    let published = state.publisher.current();
    let products = change(&published.model);
    if products.is_empty() {
        return Ok(0);
    }
    let mut problems = Vec::new();
    for product in &products {
        for problem in published.snapshot.check_product(product) {
            problems.push(FieldProblem::new(
                format!("products[{}].{}", product.sku, problem.path),
                problem.message,
            ));
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let drafts = products
        .into_iter()
        .map(|p| Ok((Kind::Product, Document::Product(p).draft()?)))
        .collect::<Result<Vec<_>, ApiError>>()?;
    let count = drafts.len();
    state
        .store
        .upsert_documents(&user.actor(), drafts, Some(published.revision))
        .await?;
    crate::routes::refresh(state).await?;
    Ok(count)
}
