//! A campaign's promotions: a page of 50 at a time in id order (the store's list by campaign,
//! `after` the previous page's last id), live or deleted (those can be restored).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::Timestamp;
use remise_engine::rules::Promotion;
use remise_store::{Kind, ListQuery};
use serde::Deserialize;

use super::summary::{Amounts, state};
use super::{CampaignLink, not_found};
use crate::AppState;
use crate::office::i18n;
use crate::office::page::{Page, render, server_error};

/// Promotions on a page.
const PAGE: u32 = 50;

#[derive(Deserialize)]
pub struct ListQueryParams {
    after: Option<String>,
    deleted: Option<String>,
    done: Option<String>,
}

pub struct Row {
    pub id: String,
    pub name: String,
    pub priority: i32,
    pub offer: String,
    pub state: String,
    pub deleted_at: String,
}

/// A promotion the campaign's change request proposes (to create, change or delete).
pub struct PendingRow {
    pub id: String,
    pub name: String,
    pub offer: String,
    pub what: String,
    /// Deleting: nothing to open.
    pub link: bool,
}

#[derive(Template)]
#[template(path = "office/promotions/list.html")]
struct ListPage<'a> {
    page: &'a Page,
    campaign: CampaignLink,
    deleted: bool,
    rows: Vec<Row>,
    next: Option<String>,
    notice: Option<String>,
    /// The campaign's open or pending change request, and its promotions.
    request: Option<String>,
    pending: Vec<PendingRow>,
}

pub async fn list(
    State(state_): State<Arc<AppState>>,
    page: Page,
    Path(campaign_id): Path<String>,
    Query(params): Query<ListQueryParams>,
) -> Response {
    let published = state_.publisher.current();
    let model = &published.model;
    let Some(campaign) = model.campaigns.get(&campaign_id) else {
        return not_found(&page);
    };
    let deleted = params.deleted.is_some_and(|d| !d.is_empty() && d != "0");
    let query = ListQuery {
        deleted,
        parent: Some(campaign_id.clone()),
        status: None,
        after: params.after.filter(|a| !a.is_empty()),
        limit: PAGE + 1,
    };
    let records = match state_.store.list(Kind::Promotion, &query).await {
        Ok(records) => records,
        Err(error) => return server_error(&error),
    };
    let more = records.len() > PAGE as usize;
    let zone = model.time_zone();
    let now = Timestamp::now();
    let amounts = Amounts::new(&page, model);
    let mut rows = Vec::new();
    for record in records.into_iter().take(PAGE as usize) {
        // A body that no longer reads is listed by its id, so that it can still be found.
        let promotion: Option<Promotion> = serde_json::from_value(record.body).ok();
        let (name, priority, offer, state_key) = match &promotion {
            Some(p) => (
                if p.name.is_empty() {
                    p.id.clone()
                } else {
                    p.name.clone()
                },
                p.priority,
                amounts.offer(&p.offer),
                if deleted {
                    "promotions-state-deleted"
                } else {
                    state(model, p, now, &zone)
                },
            ),
            None => (
                record.id.clone(),
                0,
                String::new(),
                "promotions-state-unreadable",
            ),
        };
        rows.push(Row {
            deleted_at: record
                .deleted_at
                .and_then(|at| Timestamp::from_millisecond(at).ok())
                .map_or(String::new(), |at| i18n::instant(page.lang, at, &zone)),
            id: record.id,
            name,
            priority,
            offer,
            state: page.t(state_key),
        });
    }
    let next = more.then(|| rows.last().map(|r| r.id.clone())).flatten();
    let notice = match params.done.as_deref() {
        Some("deleted") => Some(page.t("promotions-notice-deleted")),
        Some("delete-proposed") => Some(page.t("promotions-notice-delete-proposed")),
        Some("restore-proposed") => Some(page.t("promotions-notice-restore-proposed")),
        _ => None,
    };
    // What the campaign's change request proposes, above the first page.
    let (request, pending) = if deleted || query.after.is_some() {
        (None, Vec::new())
    } else {
        match state_.store.current_change_request(&campaign_id).await {
            Ok(request) => pending_rows(&page, &amounts, request),
            Err(error) => return server_error(&error),
        }
    };
    render(
        StatusCode::OK,
        &ListPage {
            page: &page,
            campaign: CampaignLink::of(campaign),
            deleted,
            rows,
            next,
            notice,
            request,
            pending,
        },
    )
}

fn pending_rows(
    page: &Page,
    amounts: &Amounts<'_>,
    request: Option<remise_store::ChangeRequest>,
) -> (Option<String>, Vec<PendingRow>) {
    let Some(request) = request else {
        return (None, Vec::new());
    };
    let rows: Vec<PendingRow> = request
        .documents
        .iter()
        .filter(|d| d.kind == Kind::Promotion)
        .map(|d| {
            let promotion = d
                .body
                .as_ref()
                .and_then(|b| serde_json::from_value::<Promotion>(b.clone()).ok());
            let what = match (&d.body, d.base_version) {
                (None, _) => "promotions-pending-what-deleted",
                (Some(_), None) => "promotions-pending-what-created",
                (Some(_), Some(_)) => "promotions-pending-what-changed",
            };
            PendingRow {
                id: d.id.clone(),
                name: promotion.as_ref().map_or(d.id.clone(), |p| {
                    if p.name.is_empty() {
                        p.id.clone()
                    } else {
                        p.name.clone()
                    }
                }),
                offer: promotion
                    .as_ref()
                    .map_or(String::new(), |p| amounts.offer(&p.offer)),
                what: page.t(what),
                link: d.body.is_some(),
            }
        })
        .collect();
    if rows.is_empty() {
        (None, rows)
    } else {
        (Some(request.id), rows)
    }
}
