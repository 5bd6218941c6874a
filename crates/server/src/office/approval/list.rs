//! `/office/approvals`: the change requests, those waiting for a decision first (the default
//! filter), 50 a page, newest first.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use remise_store::{ChangeRequest, ChangeRequestQuery, Millis, RequestState};
use serde::Deserialize;

use crate::AppState;
use crate::office::i18n;
use crate::office::page::{Page, server_error};

const PAGE: u32 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    /// A state, `all`, or (by default) `pending`.
    state: Option<String>,
    /// The previous page's last request: `{created_at}~{id}`.
    before: Option<String>,
}

pub struct Row {
    pub id: String,
    pub campaign: String,
    pub campaign_id: String,
    pub state: String,
    pub state_code: &'static str,
    pub summary: String,
}

#[derive(Template)]
#[template(path = "office/approval/list.html")]
struct ListPage<'a> {
    page: &'a Page,
    /// `(value, name)`.
    states: Vec<(String, String)>,
    state: String,
    rows: Vec<Row>,
    next: Option<String>,
    later: bool,
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    page: Page,
    Query(filters): Query<Filters>,
) -> Response {
    let chosen = filters.state.unwrap_or_else(|| "pending".to_owned());
    let before = filters.before.as_deref().and_then(|cursor| {
        let (at, id) = cursor.split_once('~')?;
        Some((at.parse::<Millis>().ok()?, id.to_owned()))
    });
    let query = ChangeRequestQuery {
        state: RequestState::parse(&chosen),
        before: before.clone(),
        limit: PAGE + 1,
        ..ChangeRequestQuery::default()
    };
    let mut requests = match state.store.list_change_requests(&query).await {
        Ok(requests) => requests,
        Err(error) => return server_error(&error),
    };
    let more = requests.len() > PAGE as usize;
    requests.truncate(PAGE as usize);
    let names = match user_names(&state).await {
        Ok(names) => names,
        Err(response) => return response,
    };
    let model = &state.publisher.current().model;
    let rows = requests
        .iter()
        .map(|r| Row {
            id: r.id.clone(),
            campaign: model
                .campaigns
                .get(&r.campaign_id)
                .map_or_else(|| r.campaign_id.clone(), |c| c.name.clone()),
            campaign_id: r.campaign_id.clone(),
            state: page.t(&format!("approval-state-{}", r.state.as_str())),
            state_code: r.state.as_str(),
            summary: summary(&state, &page, &names, r),
        })
        .collect();
    let next = match requests.last() {
        Some(last) if more => Some(format!(
            "/office/approvals?{}",
            serde_urlencoded::to_string([
                ("state", chosen.as_str()),
                ("before", &format!("{}~{}", last.created_at, last.id)),
            ])
            .unwrap_or_default()
        )),
        _ => None,
    };
    let mut states: Vec<(String, String)> = RequestState::ALL
        .iter()
        .map(|s| {
            (
                s.as_str().to_owned(),
                page.t(&format!("approval-state-{}", s.as_str())),
            )
        })
        .collect();
    states.push(("all".to_owned(), page.t("approval-state-all")));
    super::super::campaigns::ok(&ListPage {
        page: &page,
        states,
        state: chosen,
        rows,
        next,
        later: before.is_some(),
    })
}

/// Every user's name by id (a team is small: one read).
pub async fn user_names(state: &AppState) -> Result<HashMap<String, String>, Response> {
    let users = state
        .store
        .list_users()
        .await
        .map_err(|e| server_error(&e))?;
    Ok(users.into_iter().map(|u| (u.id, u.name)).collect())
}

/// Who did what when: "Submitted by Marc Marketeur on 5 Dec 2026 14:30 · 2 documents".
pub fn summary(
    state: &AppState,
    page: &Page,
    names: &HashMap<String, String>,
    request: &ChangeRequest,
) -> String {
    let zone = state.publisher.current().model.time_zone();
    let name = |id: &Option<String>| {
        id.as_ref()
            .map(|id| names.get(id).cloned().unwrap_or_else(|| id.clone()))
            .unwrap_or_default()
    };
    let when = |at: Option<Millis>| {
        at.and_then(|at| jiff::Timestamp::from_millisecond(at).ok())
            .map(|t| i18n::instant(page.lang, t, &zone))
            .unwrap_or_default()
    };
    let (key, who, at) = match request.state {
        RequestState::Open => (
            "approval-summary-open",
            name(&Some(request.created_by.clone())),
            when(Some(request.created_at)),
        ),
        RequestState::Pending => (
            "approval-summary-pending",
            name(&request.submitted_by),
            when(request.submitted_at),
        ),
        RequestState::Approved => (
            "approval-summary-approved",
            name(&request.decided_by),
            when(request.decided_at),
        ),
        RequestState::Rejected => (
            "approval-summary-rejected",
            name(&request.decided_by),
            when(request.decided_at),
        ),
        RequestState::Withdrawn => (
            "approval-summary-withdrawn",
            name(&request.decided_by),
            when(request.decided_at),
        ),
    };
    format!(
        "{} · {}",
        page.t2(key, "who", who, "when", at),
        page.t1("approval-documents", "count", request.documents.len())
    )
}
