//! `/office/campaigns`: the campaigns, 50 a page in id order, filtered by status (or the deleted
//! ones) and by words of their name.
//!
//! Live campaigns are read from the served model (a walk from the cursor that stops after a page
//! of matches); deleted ones are not in the model and come from the store, page by page.

use std::ops::Bound;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use remise_store::{Kind, ListQuery};
use serde::Deserialize;

use super::{STATUSES, kind_name, ok, period, status_class, status_name};
use crate::AppState;
use crate::documents::Campaign;
use crate::offer_filter::fold;
use crate::office::approval;
use crate::office::page::{Page, server_error};

/// Campaigns per page.
pub const PAGE: usize = 50;
/// Store pages read at most for one page of deleted campaigns matching a search.
const MAX_DELETED_READS: usize = 20;

#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    #[serde(default)]
    status: String,
    #[serde(default)]
    q: String,
    after: Option<String>,
}

/// A campaign as the list shows it.
pub struct Row {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub status: String,
    pub status_class: &'static str,
    pub period: String,
    pub channels: String,
    /// Its change request's state, when it has one open or pending.
    pub approval: Option<String>,
}

#[derive(Template)]
#[template(path = "office/campaigns/list.html")]
struct ListPage<'a> {
    page: &'a Page,
    /// `(value, name)` of the status filter's options, `deleted` last.
    statuses: Vec<(String, String)>,
    status: String,
    q: String,
    rows: Vec<Row>,
    /// The link to the next page, when there is one.
    next: Option<String>,
    /// Whether this is a later page (a link back to the first).
    later: bool,
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    page: Page,
    Query(filters): Query<Filters>,
) -> Response {
    let terms: Vec<String> = fold(&filters.q)
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let name_matches = |campaign: &Campaign| {
        let name = fold(&campaign.name);
        let id = fold(&campaign.id);
        terms.iter().all(|t| name.contains(t) || id.contains(t))
    };
    let zone = super::zone(&state);
    let mut found: Vec<Campaign> = Vec::new();
    if filters.status == "deleted" {
        match deleted(&state, filters.after.clone(), &name_matches).await {
            Ok(campaigns) => found = campaigns,
            Err(response) => return response,
        }
    } else {
        let status = super::form::parse_status(&filters.status);
        let published = state.publisher.current();
        let campaigns = &published.model.campaigns;
        let range = match &filters.after {
            Some(after) => campaigns.range::<_, String>((Bound::Excluded(after), Bound::Unbounded)),
            None => campaigns.range::<_, String>(..),
        };
        found.extend(
            range
                .map(|(_, c)| c)
                .filter(|c| status.is_none_or(|s| c.status == s) && name_matches(c))
                .take(PAGE + 1)
                .cloned(),
        );
    }
    let more = found.len() > PAGE;
    found.truncate(PAGE);
    let approvals = match approval::campaign_states(&state).await {
        Ok(states) => states,
        Err(response) => return response,
    };
    let rows = found
        .iter()
        .map(|c| Row {
            id: c.id.clone(),
            name: c.name.clone(),
            kind: kind_name(&page, c.kind),
            status: status_name(&page, c.status),
            status_class: status_class(c.status),
            period: period(&page, c, &zone),
            channels: if c.channels.is_empty() {
                page.t("campaigns-channels-all")
            } else {
                c.channels.join(", ")
            },
            approval: approvals
                .get(&c.id)
                .map(|s| page.t(&format!("approval-state-{s}"))),
        })
        .collect();
    let next = match found.last() {
        Some(last) if more => Some(list_url(&filters.status, &filters.q, Some(&last.id))),
        _ => None,
    };
    let mut statuses: Vec<(String, String)> = STATUSES
        .iter()
        .map(|s| (s.as_str().to_owned(), status_name(&page, *s)))
        .collect();
    statuses.push(("deleted".to_owned(), page.t("campaigns-status-deleted")));
    ok(&ListPage {
        page: &page,
        statuses,
        status: filters.status,
        q: filters.q,
        rows,
        next,
        later: filters.after.is_some(),
    })
}

/// A page of deleted campaigns after `after` whose name matches, reading the store's pages of
/// deleted campaigns until one is full (or a bounded number of them was read).
async fn deleted(
    state: &AppState,
    mut after: Option<String>,
    matches: &impl Fn(&Campaign) -> bool,
) -> Result<Vec<Campaign>, Response> {
    let mut found = Vec::new();
    for _ in 0..MAX_DELETED_READS {
        let query = ListQuery {
            deleted: true,
            after: after.clone(),
            limit: 200,
            ..ListQuery::default()
        };
        let records = state
            .store
            .list(Kind::Campaign, &query)
            .await
            .map_err(|e| server_error(&e))?;
        let last = records.len() < 200;
        after = records.last().map(|r| r.id.clone());
        for record in records {
            // A body that no longer reads is left out of the list rather than failing it.
            if let Ok(campaign) = serde_json::from_value::<Campaign>(record.body)
                && matches(&campaign)
            {
                found.push(campaign);
            }
        }
        if last || found.len() > PAGE {
            break;
        }
    }
    Ok(found)
}

/// The list's URL with these filters.
pub fn list_url(status: &str, q: &str, after: Option<&str>) -> String {
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    if !status.is_empty() {
        pairs.push(("status", status));
    }
    if !q.is_empty() {
        pairs.push(("q", q));
    }
    if let Some(after) = after {
        pairs.push(("after", after));
    }
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    if query.is_empty() {
        "/office/campaigns".to_owned()
    } else {
        format!("/office/campaigns?{query}")
    }
}
