//! The segment tree (seed 001: Superhéros › Marvel): every segment with the products in it or
//! under it; create a segment under a parent, rename it, star it, give it keywords, and move it
//! under another parent — never under itself or one of its descendants.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get as get_handler, post as post_handler};
use remise_engine::rules::Segment;
use remise_store::Kind;
use serde::Deserialize;

use super::catalog_structure::{
    CatalogTab, comma_list, pairs, slug, stored_version, value, version,
};
use super::form::FormErrors;
use super::guard::Need;
use super::page::{Page, error_page, render};
use super::routes::{OfficeRoute, get, post};
use super::session::{OfficeUser, see_other, url_encode};
use super::writes::{Change, save};
use crate::AppState;
use crate::documents::Document;
use crate::model::Model;

pub fn routes() -> Vec<OfficeRoute> {
    vec![
        get("/office/segments", Need::Read, get_handler(list)),
        post("/office/segments", Need::Edit, post_handler(create)),
        get("/office/segments/{id}", Need::Read, get_handler(show)),
        post("/office/segments/{id}", Need::Edit, post_handler(update)),
        post(
            "/office/segments/{id}/move",
            Need::Edit,
            post_handler(move_to),
        ),
    ]
}

/// One line of the tree: `<li>` opened, a `<ul>` opened when it has children, and how many
/// levels close after it.
pub struct TreeItem {
    pub id: String,
    pub name: String,
    pub star: bool,
    pub keywords: String,
    pub count: usize,
    pub has_children: bool,
    /// The `</ul></li>` that close the levels ending after it (markup of our own).
    pub closes: String,
}

/// A parent a segment can be put under, indented by its depth.
pub struct ParentChoice {
    pub id: String,
    pub label: String,
}

/// What the create form shows back.
#[derive(Default)]
pub struct NewSegment {
    pub name: String,
    pub id: String,
    pub parent: String,
    pub star: bool,
    pub keywords: String,
}

#[derive(Template)]
#[template(path = "office/segments/list.html")]
struct ListPage<'a> {
    page: &'a Page,
    tab: CatalogTab,
    tree: Vec<TreeItem>,
    parents: Vec<ParentChoice>,
    form: NewSegment,
    errors: FormErrors,
    notice: Option<String>,
}

impl ListPage<'_> {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }
}

#[derive(Template)]
#[template(path = "office/segments/show.html")]
struct ShowPage<'a> {
    page: &'a Page,
    tab: CatalogTab,
    segment: Segment,
    version: i64,
    /// Its ancestors, root first: `(id, name)`.
    path: Vec<(String, String)>,
    children: Vec<(String, String)>,
    count: usize,
    /// The parents it may move under (not itself nor its descendants).
    parents: Vec<ParentChoice>,
    /// The form's values shown back after an error.
    form_name: String,
    star: bool,
    keywords: String,
    parent: String,
    errors: FormErrors,
    notice: Option<String>,
}

impl ShowPage<'_> {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }
}

#[derive(Deserialize)]
pub struct Notice {
    done: Option<String>,
}

fn notice(page: &Page, done: Option<&str>) -> Option<String> {
    match done? {
        "created" => Some(page.t("segments-created")),
        "saved" => Some(page.t("segments-saved")),
        "moved" => Some(page.t("segments-moved")),
        _ => None,
    }
}

/// Segments by parent (`None`: the roots), each list by name.
fn children_of(model: &Model) -> BTreeMap<Option<&str>, Vec<&Segment>> {
    let mut children: BTreeMap<Option<&str>, Vec<&Segment>> = BTreeMap::new();
    for segment in model.segments.values() {
        // A parent that is gone puts the segment at the root rather than out of sight.
        let parent = segment
            .parent
            .as_deref()
            .filter(|p| model.segments.contains_key(*p));
        children.entry(parent).or_default().push(segment);
    }
    for list in children.values_mut() {
        list.sort_by_cached_key(|s| (s.name.to_lowercase(), s.id.clone()));
    }
    children
}

/// The tree in display order, depth first: `(segment, depth)`. A cycle (stored before the
/// check existed, or by hand) cannot loop: each segment is visited once.
fn walk<'m>(children: &BTreeMap<Option<&str>, Vec<&'m Segment>>) -> Vec<(&'m Segment, usize)> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut stack: Vec<(&Segment, usize)> = children
        .get(&None)
        .map(|roots| roots.iter().rev().map(|s| (*s, 0)).collect())
        .unwrap_or_default();
    while let Some((segment, depth)) = stack.pop() {
        if !seen.insert(segment.id.as_str()) {
            continue;
        }
        out.push((segment, depth));
        if let Some(list) = children.get(&Some(segment.id.as_str())) {
            stack.extend(list.iter().rev().map(|s| (*s, depth + 1)));
        }
    }
    out
}

fn tree(model: &Model, counts: &HashMap<&str, usize>) -> Vec<TreeItem> {
    let children = children_of(model);
    let order = walk(&children);
    let mut items: Vec<TreeItem> = Vec::with_capacity(order.len());
    for (i, (segment, depth)) in order.iter().enumerate() {
        let next_depth = order.get(i + 1).map_or(0, |(_, d)| *d);
        items.push(TreeItem {
            id: segment.id.clone(),
            name: segment.name.clone(),
            star: segment.star,
            keywords: segment.keywords.join(", "),
            count: counts.get(segment.id.as_str()).copied().unwrap_or(0),
            has_children: next_depth > *depth,
            closes: "</ul></li>".repeat(depth.saturating_sub(next_depth)),
        });
    }
    items
}

/// Every segment as a parent choice, indented, but `excluded` and its descendants.
fn parent_choices(model: &Model, excluded: Option<&str>) -> Vec<ParentChoice> {
    let children = children_of(model);
    let below = excluded
        .map(|id| descendants(model, id))
        .unwrap_or_default();
    walk(&children)
        .into_iter()
        .filter(|(s, _)| Some(s.id.as_str()) != excluded && !below.contains(s.id.as_str()))
        .map(|(s, depth)| ParentChoice {
            id: s.id.clone(),
            label: format!("{}{}", "— ".repeat(depth), display_name(s)),
        })
        .collect()
}

fn display_name(segment: &Segment) -> &str {
    if segment.name.is_empty() {
        &segment.id
    } else {
        &segment.name
    }
}

/// The segments under `id`, at any depth.
fn descendants<'m>(model: &'m Model, id: &str) -> HashSet<&'m str> {
    let children = children_of(model);
    let mut found = HashSet::new();
    let mut stack = vec![id];
    while let Some(current) = stack.pop() {
        for child in children.get(&Some(current)).into_iter().flatten() {
            if found.insert(child.id.as_str()) {
                stack.push(&child.id);
            }
        }
    }
    found
}

fn counts(state: &AppState) -> HashMap<String, usize> {
    let published = state.publisher.current();
    published
        .snapshot
        .products_per_segment()
        .into_iter()
        .map(|(id, n)| (id.to_owned(), n))
        .collect()
}

fn list_page(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    form: NewSegment,
    errors: FormErrors,
    notice: Option<String>,
) -> Response {
    let published = state.publisher.current();
    let counts = counts(state);
    let counts: HashMap<&str, usize> = counts.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    render(
        status,
        &ListPage {
            page,
            tab: CatalogTab::Segments,
            tree: tree(&published.model, &counts),
            parents: parent_choices(&published.model, None),
            form,
            errors,
            notice,
        },
    )
}

async fn list(
    State(state): State<Arc<AppState>>,
    page: Page,
    Query(done): Query<Notice>,
) -> Response {
    let notice = notice(&page, done.done.as_deref());
    list_page(
        &state,
        &page,
        StatusCode::OK,
        NewSegment::default(),
        FormErrors::default(),
        notice,
    )
}

/// Creates a segment; its id is the name's slug unless one is given.
async fn create(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    body: Bytes,
) -> Response {
    let form = pairs(&body);
    let input = NewSegment {
        name: value(&form, "name").trim().to_owned(),
        id: value(&form, "id").trim().to_owned(),
        parent: value(&form, "parent").trim().to_owned(),
        star: value(&form, "star") == "on",
        keywords: value(&form, "keywords").to_owned(),
    };
    let id = if input.id.is_empty() {
        slug(&input.name)
    } else {
        input.id.clone()
    };
    let mut errors = FormErrors::default();
    if input.name.is_empty() {
        errors.add("name", page.t("segments-name-required"));
    }
    let model = &state.publisher.current().model;
    if !id.is_empty() && model.segments.contains_key(&id) {
        errors.add("id", page.t1("segments-id-taken", "id", &id));
    }
    if !input.parent.is_empty() && !model.segments.contains_key(&input.parent) {
        errors.add("parent", page.t("segments-parent-unknown"));
    }
    if errors.is_empty() {
        let segment = Segment {
            id: id.clone(),
            name: input.name.clone(),
            parent: (!input.parent.is_empty()).then(|| input.parent.clone()),
            star: input.star,
            keywords: comma_list(&input.keywords),
        };
        match save(&state, &user, Change::Create(Document::Segment(segment))).await {
            Ok(_) => {
                return see_other(&format!(
                    "/office/segments/{}?done=created",
                    url_encode(&id)
                ));
            }
            Err(error) => match FormErrors::from_api(&page, error) {
                Ok(found) => errors = keywords_on_one_field(found),
                Err(response) => return response,
            },
        }
    }
    list_page(
        &state,
        &page,
        StatusCode::UNPROCESSABLE_ENTITY,
        input,
        errors,
        None,
    )
}

/// `keywords[2]` → `keywords`: the form has one field for the list.
fn keywords_on_one_field(mut errors: FormErrors) -> FormErrors {
    for (field, _) in &mut errors.fields {
        if field.starts_with("keywords[") {
            *field = "keywords".to_owned();
        }
    }
    errors
}

struct Shown {
    name: String,
    star: bool,
    keywords: String,
    parent: String,
}

async fn show_page(
    state: &AppState,
    page: &Page,
    id: &str,
    status: StatusCode,
    shown: Option<Shown>,
    errors: FormErrors,
    notice: Option<String>,
) -> Response {
    let published = state.publisher.current();
    let model = &published.model;
    let Some(segment) = model.segments.get(id).cloned() else {
        return not_found(page);
    };
    let version = match stored_version(state, Kind::Segment, id).await {
        Ok(Some(version)) => version,
        Ok(None) => return not_found(page),
        Err(response) => return response,
    };
    let mut path = Vec::new();
    let mut seen = HashSet::from([segment.id.as_str()]);
    let mut current = segment.parent.as_deref();
    while let Some(parent) = current.and_then(|p| model.segments.get(p)) {
        if !seen.insert(parent.id.as_str()) {
            break;
        }
        path.push((parent.id.clone(), display_name(parent).to_owned()));
        current = parent.parent.as_deref();
    }
    path.reverse();
    let children = children_of(model)
        .get(&Some(id))
        .map(|list| {
            list.iter()
                .map(|s| (s.id.clone(), display_name(s).to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let count = published
        .snapshot
        .products_per_segment()
        .into_iter()
        .find(|(s, _)| *s == id)
        .map_or(0, |(_, n)| n);
    let shown = shown.unwrap_or_else(|| Shown {
        name: segment.name.clone(),
        star: segment.star,
        keywords: segment.keywords.join(", "),
        parent: segment.parent.clone().unwrap_or_default(),
    });
    render(
        status,
        &ShowPage {
            page,
            tab: CatalogTab::Segments,
            parents: parent_choices(model, Some(id)),
            segment,
            version,
            path,
            children,
            count,
            form_name: shown.name,
            star: shown.star,
            keywords: shown.keywords,
            parent: shown.parent,
            errors,
            notice,
        },
    )
}

fn not_found(page: &Page) -> Response {
    error_page(
        page,
        StatusCode::NOT_FOUND,
        "error-not-found-title",
        "segments-not-found",
    )
}

async fn show(
    State(state): State<Arc<AppState>>,
    page: Page,
    Path(id): Path<String>,
    Query(done): Query<Notice>,
) -> Response {
    let notice = notice(&page, done.done.as_deref());
    show_page(
        &state,
        &page,
        &id,
        StatusCode::OK,
        None,
        FormErrors::default(),
        notice,
    )
    .await
}

/// Renames it, stars it or not, and sets its keywords.
async fn update(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let form = pairs(&body);
    let Some(current) = state.publisher.current().model.segments.get(&id).cloned() else {
        return not_found(&page);
    };
    let shown = Shown {
        name: value(&form, "name").trim().to_owned(),
        star: value(&form, "star") == "on",
        keywords: value(&form, "keywords").to_owned(),
        parent: current.parent.clone().unwrap_or_default(),
    };
    let mut errors = FormErrors::default();
    if shown.name.is_empty() {
        errors.add("name", page.t("segments-name-required"));
    } else {
        let segment = Segment {
            name: shown.name.clone(),
            star: shown.star,
            keywords: comma_list(&shown.keywords),
            ..current
        };
        let change = Change::Update(Document::Segment(segment), version(&form));
        match save(&state, &user, change).await {
            Ok(_) => return see_other(&format!("/office/segments/{}?done=saved", url_encode(&id))),
            Err(error) => match FormErrors::from_api(&page, error) {
                Ok(found) => errors = keywords_on_one_field(found),
                Err(response) => return response,
            },
        }
    }
    show_page(
        &state,
        &page,
        &id,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(shown),
        errors,
        None,
    )
    .await
}

/// Moves it under another parent (or to the root); refused under itself or a descendant,
/// which would make the tree a loop.
async fn move_to(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let form = pairs(&body);
    let published = state.publisher.current();
    let model = &published.model;
    let Some(current) = model.segments.get(&id).cloned() else {
        return not_found(&page);
    };
    let parent = value(&form, "parent").trim().to_owned();
    let mut errors = FormErrors::default();
    if parent == id {
        errors.add("parent", page.t("segments-move-self"));
    } else if descendants(model, &id).contains(parent.as_str()) {
        let under = model
            .segments
            .get(&parent)
            .map_or(parent.as_str(), display_name);
        errors.add(
            "parent",
            page.t2(
                "segments-move-cycle",
                "segment",
                display_name(&current),
                "parent",
                under,
            ),
        );
    } else if !parent.is_empty() && !model.segments.contains_key(&parent) {
        errors.add("parent", page.t("segments-parent-unknown"));
    }
    if errors.is_empty() {
        let segment = Segment {
            parent: (!parent.is_empty()).then(|| parent.clone()),
            ..current.clone()
        };
        let change = Change::Update(Document::Segment(segment), version(&form));
        match save(&state, &user, change).await {
            Ok(_) => return see_other(&format!("/office/segments/{}?done=moved", url_encode(&id))),
            Err(error) => match FormErrors::from_api(&page, error) {
                Ok(found) => errors = found,
                Err(response) => return response,
            },
        }
    }
    let shown = Shown {
        name: current.name.clone(),
        star: current.star,
        keywords: current.keywords.join(", "),
        parent,
    };
    show_page(
        &state,
        &page,
        &id,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(shown),
        errors,
        None,
    )
    .await
}
