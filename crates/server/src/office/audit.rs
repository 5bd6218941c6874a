//! The audit log (`/office/audit`): every change, newest first, filtered by entity, by who made
//! it and by dates, fifty a page; each entry with its before/after difference field by field.

mod diff;

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get as get_handler;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use remise_store::{Action, AuditEntry, AuditQuery, Millis};
use serde::Deserialize;

use super::form::FormErrors;
use super::guard::Need;
use super::i18n;
use super::page::{Page, render, server_error};
use super::routes::{OfficeRoute, get};
use crate::AppState;

pub fn routes() -> Vec<OfficeRoute> {
    vec![get("/office/audit", Need::Read, get_handler(show))]
}

/// Entries a page shows.
const PAGE: u32 = 50;
/// Changes an entry shows; the rest are counted.
const SHOWN_CHANGES: usize = 40;

#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    #[serde(default)]
    entity: String,
    #[serde(default)]
    entity_id: String,
    #[serde(default)]
    actor: String,
    /// `YYYY-MM-DD`, in the store's time zone, included.
    #[serde(default)]
    from: String,
    /// `YYYY-MM-DD`, included.
    #[serde(default)]
    to: String,
    /// The previous page's last entry.
    #[serde(default)]
    before: String,
}

/// A choice of a select.
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// One entry as the page shows it.
pub struct EntryView {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    /// The query string of this entity's history.
    pub history: String,
    pub changes: Vec<diff::Change>,
    /// Changes not shown.
    pub more: usize,
}

#[derive(Template)]
#[template(path = "office/audit/page.html")]
struct AuditPage<'a> {
    page: &'a Page,
    filters: Filters,
    entities: Vec<Choice>,
    actors: Vec<Choice>,
    errors: FormErrors,
    entries: Vec<EntryView>,
    /// The link to the next (older) page, when there is one.
    older: Option<String>,
    /// Whether this is a later page (a link back to the newest).
    paged: bool,
    /// The link to the first page with the same filters.
    first: String,
}

impl AuditPage<'_> {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }
}

async fn show(
    State(state): State<Arc<AppState>>,
    page: Page,
    filters: Result<Query<Filters>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let mut errors = FormErrors::default();
    // An unknown parameter or a malformed query: the filters are ignored and said to be.
    let filters = match filters {
        Ok(Query(filters)) => filters,
        Err(_) => {
            errors.general.push(page.t("audit-error-query"));
            Filters::default()
        }
    };
    let zone = state.publisher.current().model.time_zone();
    let users = match state.store.list_users().await {
        Ok(users) => users,
        Err(error) => return server_error(&error),
    };
    // `user:<e-mail>` is how the back office signs its changes.
    let names: HashMap<String, String> = users
        .iter()
        .map(|u| (format!("user:{}", u.email), u.name.clone()))
        .collect();
    let entity = filters.entity.trim().to_owned();
    let known = crate::routes::audit::entities();
    if !entity.is_empty() && !known.contains(&entity.as_str()) {
        errors.add("entity", page.t1("audit-error-entity", "value", &entity));
    }
    let from = day_start(&filters.from, 0, &zone, "from", &page, &mut errors);
    // The end day is included: entries before the next day's start.
    let to = day_start(&filters.to, 1, &zone, "to", &page, &mut errors);
    let before = match filters.before.trim() {
        "" => None,
        text => match text.parse::<i64>() {
            Ok(seq) => Some(seq),
            Err(_) => {
                errors.general.push(page.t("audit-error-query"));
                None
            }
        },
    };
    let mut entities: Vec<Choice> = known
        .iter()
        .map(|e| Choice {
            value: (*e).to_owned(),
            label: entity_label(&page, e),
        })
        .collect();
    entities.sort_by(|a, b| a.label.cmp(&b.label));
    let mut actors: Vec<Choice> = users
        .iter()
        .map(|u| Choice {
            value: format!("user:{}", u.email),
            label: format!("{} ({})", u.name, u.email),
        })
        .collect();
    let actor = filters.actor.trim().to_owned();
    if !actor.is_empty() && !actors.iter().any(|a| a.value == actor) {
        // An actor that is not a user (an API key, the system), from a link.
        actors.push(Choice {
            label: actor_label(&page, &names, &actor),
            value: actor.clone(),
        });
    }
    let first = first_page_query(&filters);
    let first_link = match first.as_str() {
        "" => "/office/audit".to_owned(),
        filters => format!("/office/audit?{filters}"),
    };
    let mut screen = AuditPage {
        page: &page,
        entities,
        actors,
        errors,
        entries: Vec::new(),
        older: None,
        paged: before.is_some(),
        first: first_link,
        filters,
    };
    if !screen.errors.fields.is_empty() {
        return render(StatusCode::UNPROCESSABLE_ENTITY, &screen);
    }
    let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let query = AuditQuery {
        entity: text(&entity),
        entity_id: text(&screen.filters.entity_id),
        actor: text(&actor),
        from,
        to,
        before_seq: before,
        limit: PAGE,
    };
    let entries = match state.store.audit(&query).await {
        Ok(entries) => entries,
        Err(error) => return server_error(&error),
    };
    if entries.len() == PAGE as usize
        && let Some(last) = entries.last()
    {
        let before = format!("before={}", last.seq);
        screen.older = Some(match first.as_str() {
            "" => format!("/office/audit?{before}"),
            filters => format!("/office/audit?{filters}&{before}"),
        });
    }
    screen.entries = entries
        .iter()
        .map(|entry| entry_view(&page, &names, &zone, entry))
        .collect();
    render(StatusCode::OK, &screen)
}

/// The start of the day `text` (`YYYY-MM-DD`) plus `days`, in the store's zone; an error next to
/// `field` when it is not a date.
fn day_start(
    text: &str,
    days: i64,
    zone: &TimeZone,
    field: &str,
    page: &Page,
    errors: &mut FormErrors,
) -> Option<Millis> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let start = text
        .parse::<Date>()
        .ok()
        .and_then(|date| date.checked_add(jiff::Span::new().days(days)).ok())
        .and_then(|date| date.to_zoned(zone.clone()).ok())
        .map(|zoned| zoned.timestamp().as_millisecond());
    if start.is_none() {
        errors.add(field, page.t1("audit-error-date", "value", text));
    }
    start
}

/// The filters as a query string, without the page.
fn first_page_query(filters: &Filters) -> String {
    let pairs: Vec<(&str, &str)> = [
        ("entity", filters.entity.trim()),
        ("entity_id", filters.entity_id.trim()),
        ("actor", filters.actor.trim()),
        ("from", filters.from.trim()),
        ("to", filters.to.trim()),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .collect();
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// An audited entity's name in the page's language (its own name when it has no message: an
/// entity added since).
fn entity_label(page: &Page, entity: &str) -> String {
    let key = format!("audit-entity-{}", entity.replace('_', "-"));
    let label = page.t(&key);
    if label == key {
        entity.to_owned()
    } else {
        label
    }
}

/// Who made a change, in words: a user by name, an API key by its name, else as recorded.
fn actor_label(page: &Page, names: &HashMap<String, String>, actor: &str) -> String {
    if let Some(name) = names.get(actor) {
        return name.clone();
    }
    if let Some(key) = actor.strip_prefix("key:") {
        return page.t1("audit-actor-key", "name", key);
    }
    if let Some(email) = actor.strip_prefix("user:") {
        return email.to_owned();
    }
    match actor {
        "system" => page.t("audit-actor-system"),
        "demo" => page.t("audit-actor-demo"),
        other => other.to_owned(),
    }
}

fn entry_view(
    page: &Page,
    names: &HashMap<String, String>,
    zone: &TimeZone,
    entry: &AuditEntry,
) -> EntryView {
    let mut changes = diff::changes(entry.before.as_ref(), entry.after.as_ref());
    let more = changes.len().saturating_sub(SHOWN_CHANGES);
    changes.truncate(SHOWN_CHANGES);
    let at = Timestamp::from_millisecond(entry.at).unwrap_or(Timestamp::UNIX_EPOCH);
    let action = match entry.action {
        Action::Create => "audit-action-create",
        Action::Update => "audit-action-update",
        Action::Delete => "audit-action-delete",
        Action::Restore => "audit-action-restore",
        Action::Purge => "audit-action-purge",
    };
    EntryView {
        at: i18n::instant(page.lang, at, zone),
        actor: actor_label(page, names, &entry.actor),
        action: page.t(action),
        entity: entity_label(page, &entry.entity),
        entity_id: entry.entity_id.clone(),
        history: serde_urlencoded::to_string([
            ("entity", entry.entity.as_str()),
            ("entity_id", entry.entity_id.as_str()),
        ])
        .unwrap_or_default(),
        changes,
        more,
    }
}
