//! Selections (seed 000 "Catalogue - Sélections", seed 001's landing pages): the list; a
//! selection hand-picked (products added by search, removed one by one) or a saved filter by
//! segment, brand, tag, attribute value and list price, with a live preview of what it matches
//! (htmx; without JavaScript a "Preview" button); or both, the union. Delete.
//!
//! The preview asks the engine (`Snapshot::preview_filter`): one walk of the compiled catalog
//! comparing integers, the same matching the saved selection gets.

mod form;

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get as get_handler, post as post_handler};
use remise_engine::rules::Selection;
use remise_store::Kind;
use serde::Deserialize;

use super::catalog_structure::{CatalogTab, pairs, stored_version, value, version};
use super::form::FormErrors;
use super::guard::Need;
use super::page::{Page, error_page, render};
use super::routes::{OfficeRoute, get, post};
use super::session::{OfficeUser, see_other, url_encode};
use super::writes::{Change, save};
use crate::AppState;
use crate::documents::Document;
use crate::published::Published;
use form::{FilterForm, Preview, ProductRow, preview};

/// A page of the list.
const PAGE: usize = 50;
/// Products a search offers to add.
const FOUND: usize = 20;

pub fn routes() -> Vec<OfficeRoute> {
    vec![
        get("/office/selections", Need::Read, get_handler(list)),
        post("/office/selections", Need::Edit, post_handler(create)),
        get("/office/selections/new", Need::Edit, get_handler(new)),
        get(
            "/office/selections/preview",
            Need::Read,
            get_handler(live_preview),
        ),
        get("/office/selections/{id}", Need::Read, get_handler(show)),
        post("/office/selections/{id}", Need::Edit, post_handler(update)),
        post(
            "/office/selections/{id}/picks",
            Need::Edit,
            post_handler(picks),
        ),
        post(
            "/office/selections/{id}/delete",
            Need::Edit,
            post_handler(delete),
        ),
    ]
}

pub struct ListRow {
    pub id: String,
    pub name: String,
    pub picked: usize,
    pub filter: Option<String>,
}

#[derive(Template)]
#[template(path = "office/selections/list.html")]
struct ListPage<'a> {
    page: &'a Page,
    tab: CatalogTab,
    rows: Vec<ListRow>,
    next: Option<String>,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "office/selections/form.html")]
struct FormPage<'a> {
    page: &'a Page,
    tab: CatalogTab,
    /// `None`: a new selection.
    existing: Option<Existing>,
    form: FilterForm,
    segments: Vec<(String, String)>,
    preview: Option<Preview>,
    errors: FormErrors,
    notice: Option<String>,
}

/// A stored selection's page: its version, picked products, a search to add more.
pub struct Existing {
    pub id: String,
    pub version: i64,
    pub picked: Vec<ProductRow>,
    pub query: String,
    pub found: Vec<ProductRow>,
    /// All it holds now (picks and filter).
    pub count: usize,
}

impl FormPage<'_> {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }

    fn title(&self) -> String {
        match &self.existing {
            Some(existing) if self.form.name.is_empty() => existing.id.clone(),
            Some(_) => self.form.name.clone(),
            None => self.page.t("selections-new"),
        }
    }
}

#[derive(Template)]
#[template(path = "office/selections/preview.html")]
struct PreviewFragment<'a> {
    page: &'a Page,
    preview: Option<Preview>,
    errors: FormErrors,
}

#[derive(Deserialize)]
pub struct ListQuery {
    after: Option<String>,
    done: Option<String>,
}

async fn list(
    State(state): State<Arc<AppState>>,
    page: Page,
    Query(query): Query<ListQuery>,
) -> Response {
    let published = state.publisher.current();
    let selections = &published.model.selections;
    let range = match &query.after {
        Some(after) => selections.range::<_, String>((
            std::ops::Bound::Excluded(after.clone()),
            std::ops::Bound::Unbounded,
        )),
        None => selections.range::<_, String>(..),
    };
    let mut rows: Vec<ListRow> = range
        .take(PAGE + 1)
        .map(|(_, s)| ListRow {
            id: s.id.clone(),
            name: s.name.clone(),
            picked: s.skus.len(),
            filter: s.filter.as_ref().map(|f| form::summary(&page, f)),
        })
        .collect();
    let next = (rows.len() > PAGE).then(|| {
        rows.truncate(PAGE);
        rows.last().map(|r| r.id.clone()).unwrap_or_default()
    });
    let notice = match query.done.as_deref() {
        Some("deleted") => Some(page.t("selections-deleted")),
        _ => None,
    };
    render(
        StatusCode::OK,
        &ListPage {
            page: &page,
            tab: CatalogTab::Selections,
            rows,
            next,
            notice,
        },
    )
}

fn segments(published: &Published) -> Vec<(String, String)> {
    let mut list: Vec<(String, String)> = published
        .model
        .segments
        .values()
        .map(|s| {
            let name = if s.name.is_empty() { &s.id } else { &s.name };
            (s.id.clone(), name.clone())
        })
        .collect();
    list.sort_by_cached_key(|(id, name)| (name.to_lowercase(), id.clone()));
    list
}

async fn new(State(state): State<Arc<AppState>>, page: Page) -> Response {
    let published = state.publisher.current();
    render(
        StatusCode::OK,
        &FormPage {
            page: &page,
            tab: CatalogTab::Selections,
            existing: None,
            form: FilterForm::default(),
            segments: segments(&published),
            preview: None,
            errors: FormErrors::default(),
            notice: None,
        },
    )
}

/// The live preview: the count and first products of the filter the form holds now.
async fn live_preview(
    State(state): State<Arc<AppState>>,
    page: Page,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    let form = FilterForm::read(&pairs(query.unwrap_or_default().as_bytes()));
    let published = state.publisher.current();
    let mut errors = FormErrors::default();
    let preview = form
        .filter(&page, &mut errors)
        .and_then(|filter| preview(&page, &published, &filter, &mut errors));
    render(
        StatusCode::OK,
        &PreviewFragment {
            page: &page,
            preview,
            errors,
        },
    )
}

/// Renders the form again: with the preview asked for, or with the errors of a refused save.
#[allow(clippy::too_many_arguments)]
fn form_page(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    existing: Option<Existing>,
    form: FilterForm,
    preview: Option<Preview>,
    errors: FormErrors,
    notice: Option<String>,
) -> Response {
    let published = state.publisher.current();
    render(
        status,
        &FormPage {
            page,
            tab: CatalogTab::Selections,
            existing,
            form,
            segments: segments(&published),
            preview,
            errors,
            notice,
        },
    )
}

/// The preview asked for without JavaScript (the form's "Preview" button): nothing is saved.
fn previewed(
    state: &AppState,
    page: &Page,
    existing: Option<Existing>,
    form: FilterForm,
) -> Response {
    let published = state.publisher.current();
    let mut errors = FormErrors::default();
    let preview = form
        .filter(page, &mut errors)
        .and_then(|filter| preview(page, &published, &filter, &mut errors));
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    form_page(state, page, status, existing, form, preview, errors, None)
}

async fn create(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    body: Bytes,
) -> Response {
    let fields = pairs(&body);
    let form = FilterForm::read(&fields);
    if !value(&fields, "preview").is_empty() {
        return previewed(&state, &page, None, form);
    }
    let mut errors = FormErrors::default();
    let id = form.id_or_slug();
    if form.name.trim().is_empty() {
        errors.add("name", page.t("selections-name-required"));
    }
    if !id.is_empty() && state.publisher.current().model.selections.contains_key(&id) {
        errors.add("id", page.t1("selections-id-taken", "id", &id));
    }
    let filter = form.filter(&page, &mut errors);
    if errors.is_empty() {
        let selection = Selection {
            id: id.clone(),
            name: form.name.trim().to_owned(),
            skus: Vec::new(),
            filter,
        };
        match save(
            &state,
            &user,
            Change::Create(Document::Selection(selection)),
        )
        .await
        {
            Ok(_) => {
                return see_other(&format!(
                    "/office/selections/{}?done=created",
                    url_encode(&id)
                ));
            }
            Err(error) => match FormErrors::from_api(&page, error) {
                Ok(found) => errors = form::on_inputs(found),
                Err(response) => return response,
            },
        }
    }
    form_page(
        &state,
        &page,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
        form,
        None,
        errors,
        None,
    )
}

#[derive(Deserialize)]
pub struct ShowQuery {
    q: Option<String>,
    done: Option<String>,
}

/// A stored selection's page parts, or `None` when it does not exist.
async fn existing(
    state: &AppState,
    page: &Page,
    id: &str,
    query: &str,
) -> Result<Option<(Selection, Existing)>, Response> {
    let published = state.publisher.current();
    let Some(selection) = published.model.selections.get(id).cloned() else {
        return Ok(None);
    };
    let Some(version) = stored_version(state, Kind::Selection, id).await? else {
        return Ok(None);
    };
    let picked = selection
        .skus
        .iter()
        .map(|sku| form::product_row(page, &published, sku))
        .collect();
    let found = form::search(page, &published, query, &selection.skus, FOUND);
    let count = published
        .snapshot
        .selection_products(id)
        .map_or(0, |skus| skus.len());
    Ok(Some((
        selection,
        Existing {
            id: id.to_owned(),
            version,
            picked,
            query: query.to_owned(),
            found,
            count,
        },
    )))
}

fn not_found(page: &Page) -> Response {
    error_page(
        page,
        StatusCode::NOT_FOUND,
        "error-not-found-title",
        "selections-not-found",
    )
}

async fn show(
    State(state): State<Arc<AppState>>,
    page: Page,
    Path(id): Path<String>,
    Query(query): Query<ShowQuery>,
) -> Response {
    let q = query.q.unwrap_or_default();
    let (selection, existing) = match existing(&state, &page, &id, q.trim()).await {
        Ok(Some(found)) => found,
        Ok(None) => return not_found(&page),
        Err(response) => return response,
    };
    let notice = match query.done.as_deref() {
        Some("created") => Some(page.t("selections-created")),
        Some("saved") => Some(page.t("selections-saved")),
        Some("picked") => Some(page.t("selections-picks-saved")),
        _ => None,
    };
    let form = FilterForm::from_selection(&selection);
    let published = state.publisher.current();
    let mut errors = FormErrors::default();
    let preview = selection
        .filter
        .as_ref()
        .and_then(|f| preview(&page, &published, f, &mut errors));
    form_page(
        &state,
        &page,
        StatusCode::OK,
        Some(existing),
        form,
        preview,
        errors,
        notice,
    )
}

/// Saves its name and filter (its picks are kept), or previews the filter.
async fn update(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let fields = pairs(&body);
    let mut form = FilterForm::read(&fields);
    form.id = id.clone();
    let (current, existing) = match existing(&state, &page, &id, "").await {
        Ok(Some(found)) => found,
        Ok(None) => return not_found(&page),
        Err(response) => return response,
    };
    if !value(&fields, "preview").is_empty() {
        return previewed(&state, &page, Some(existing), form);
    }
    let mut errors = FormErrors::default();
    let filter = form.filter(&page, &mut errors);
    if errors.is_empty() {
        let selection = Selection {
            name: form.name.trim().to_owned(),
            filter,
            ..current
        };
        let change = Change::Update(Document::Selection(selection), version(&fields));
        match save(&state, &user, change).await {
            Ok(_) => {
                return see_other(&format!(
                    "/office/selections/{}?done=saved",
                    url_encode(&id)
                ));
            }
            Err(error) => match FormErrors::from_api(&page, error) {
                Ok(found) => errors = form::on_inputs(found),
                Err(response) => return response,
            },
        }
    }
    form_page(
        &state,
        &page,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(existing),
        form,
        None,
        errors,
        None,
    )
}

/// Adds (`action=add`) or removes (`action=remove`) the hand-picked `sku`.
async fn picks(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let fields = pairs(&body);
    let sku = value(&fields, "sku").trim().to_owned();
    let (current, existing) = match existing(&state, &page, &id, "").await {
        Ok(Some(found)) => found,
        Ok(None) => return not_found(&page),
        Err(response) => return response,
    };
    let mut skus = current.skus.clone();
    let shown = FilterForm::from_selection(&current);
    let mut errors = FormErrors::default();
    match value(&fields, "action") {
        "add" if state.publisher.current().model.products.contains_key(&sku) => {
            if !skus.contains(&sku) {
                skus.push(sku);
            }
        }
        "add" => errors.add("sku", page.t("selections-sku-unknown")),
        "remove" => skus.retain(|s| *s != sku),
        _ => errors.general.push(page.t("selections-action-unknown")),
    }
    if errors.is_empty() {
        let selection = Selection { skus, ..current };
        let change = Change::Update(Document::Selection(selection), version(&fields));
        match save(&state, &user, change).await {
            Ok(_) => {
                return see_other(&format!(
                    "/office/selections/{}?done=picked",
                    url_encode(&id)
                ));
            }
            Err(error) => match FormErrors::from_api(&page, error) {
                Ok(found) => errors = found,
                Err(response) => return response,
            },
        }
    }
    form_page(
        &state,
        &page,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(existing),
        shown,
        None,
        errors,
        None,
    )
}

async fn delete(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let fields = pairs(&body);
    let (current, existing) = match existing(&state, &page, &id, "").await {
        Ok(Some(found)) => found,
        Ok(None) => return not_found(&page),
        Err(response) => return response,
    };
    let change = Change::Delete(Kind::Selection, id.clone(), version(&fields));
    let errors = match save(&state, &user, change).await {
        Ok(_) => return see_other("/office/selections?done=deleted"),
        Err(error) => match FormErrors::from_api(&page, error) {
            Ok(found) => found,
            Err(response) => return response,
        },
    };
    form_page(
        &state,
        &page,
        StatusCode::CONFLICT,
        Some(existing),
        FilterForm::from_selection(&current),
        None,
        errors,
        None,
    )
}
