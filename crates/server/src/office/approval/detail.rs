//! `/office/approvals/{id}`: a change request: each document it proposes with its difference
//! from what is served, field by field, and the approver's decision.
//!
//! A draft campaign going live brings its promotions with it (they were written while it was
//! a draft, not served): they are listed too, whole, so that the approver sees everything that
//! the approval puts on sale.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use remise_store::{ChangeRequest, Kind, ProposedDocument, RequestState};
use serde::Deserialize;
use serde_json::Value;

use super::diff::{FieldChange, diff, whole};
use super::list::{summary, user_names};
use crate::AppState;
use crate::documents::CampaignStatus;
use crate::office::page::{Page, error_page, render, server_error};
use crate::office::session::OfficeUser;

/// Promotions listed with a campaign that goes live (the rest are counted).
const LISTED_PROMOTIONS: usize = 50;

#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// A field of a document's difference, as the page shows it.
pub struct FieldRow {
    /// Its name in the page's language for a campaign's fields, else its path.
    pub label: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub changed: bool,
}

/// One document of the request.
pub struct DocumentView {
    /// "Campaign “Black Friday 2026” (black-friday-2026)".
    pub heading: String,
    /// Created, changed, deleted, restored, or going live with its campaign.
    pub action: String,
    pub changes: Vec<FieldRow>,
    /// Every field is listed, not only those that differ (each changed one says so).
    pub whole: bool,
    /// It changed since the request was made from it: approving will fail.
    pub stale: bool,
}

/// What a decision that did not go through brings back to the page.
#[derive(Debug, Default)]
pub struct Outcome {
    pub status: Option<StatusCode>,
    /// The reject form's comment, as typed, and its error.
    pub comment: String,
    pub comment_error: Option<String>,
    /// Why the approval was refused.
    pub refusals: Vec<String>,
    pub notice: Option<String>,
}

#[derive(Template)]
#[template(path = "office/approval/detail.html")]
struct DetailPage<'a> {
    page: &'a Page,
    id: String,
    campaign_id: String,
    campaign: String,
    state: String,
    state_code: &'static str,
    summary: String,
    comment: Option<String>,
    documents: Vec<DocumentView>,
    /// More promotions go live than are listed.
    more_promotions: usize,
    pending: bool,
    /// The user submitted or started it: another approver decides.
    own: bool,
    outcome: Outcome,
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    let notice = match done.done.as_deref() {
        Some("approved") => Some(page.t("approval-done-approved")),
        Some("rejected") => Some(page.t("approval-done-rejected")),
        _ => None,
    };
    let outcome = Outcome {
        notice,
        ..Outcome::default()
    };
    detail(&state, &page, &user, &id, outcome).await
}

/// The request's page, with what a decision brought back.
pub async fn detail(
    state: &AppState,
    page: &Page,
    user: &OfficeUser,
    id: &str,
    outcome: Outcome,
) -> Response {
    let request = match state.store.get_change_request(id).await {
        Ok(Some(request)) => request,
        Ok(None) => return not_found(page),
        Err(error) => return server_error(&error),
    };
    let names = match user_names(state).await {
        Ok(names) => names,
        Err(response) => return response,
    };
    let (documents, more_promotions) = match documents(state, page, &request).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let published = state.publisher.current();
    let campaign = published
        .model
        .campaigns
        .get(&request.campaign_id)
        .map_or_else(|| request.campaign_id.clone(), |c| c.name.clone());
    let status = outcome.status.unwrap_or(StatusCode::OK);
    render(
        status,
        &DetailPage {
            page,
            id: request.id.clone(),
            campaign_id: request.campaign_id.clone(),
            campaign,
            state: page.t(&format!("approval-state-{}", request.state.as_str())),
            state_code: request.state.as_str(),
            summary: summary(state, page, &names, &request),
            comment: request.comment.clone(),
            documents,
            more_promotions,
            pending: request.state == RequestState::Pending,
            own: took_part(&request, &user.user.id),
            outcome,
        },
    )
}

/// Whether `user` started or submitted the request (they may not decide it).
pub fn took_part(request: &ChangeRequest, user: &str) -> bool {
    request.created_by == user || request.submitted_by.as_deref() == Some(user)
}

pub fn not_found(page: &Page) -> Response {
    error_page(
        page,
        StatusCode::NOT_FOUND,
        "error-not-found-title",
        "approval-not-found",
    )
}

/// Each proposed document with its difference from what is stored, then (for a draft
/// campaign going live) its promotions, and how many of those were not listed.
async fn documents(
    state: &AppState,
    page: &Page,
    request: &ChangeRequest,
) -> Result<(Vec<DocumentView>, usize), Response> {
    let mut views = Vec::new();
    let mut goes_live = false;
    for proposal in &request.documents {
        let stored = state
            .store
            .get(proposal.kind, &proposal.id)
            .await
            .map_err(|e| server_error(&e))?;
        let live = stored.as_ref().filter(|r| r.deleted_at.is_none());
        let before = live.map(|r| &r.body);
        let action = match (&proposal.body, &stored) {
            (None, _) => "approval-action-deleted",
            (Some(_), None) => "approval-action-created",
            (Some(_), Some(r)) if r.deleted_at.is_some() => "approval-action-restored",
            (Some(_), Some(_)) => "approval-action-changed",
        };
        // A draft going live: every field, what is unchanged included (all of it goes on sale).
        let live_now = proposal.kind == Kind::Campaign
            && status_of(before) == Some(CampaignStatus::Draft.as_str())
            && status_of(proposal.body.as_ref()).is_some_and(|s| s != "draft");
        goes_live |= live_now;
        let changes = if live_now {
            whole(before, proposal.body.as_ref())
        } else {
            diff(before, proposal.body.as_ref())
        };
        views.push(DocumentView {
            heading: heading(
                page,
                proposal.kind,
                &proposal.id,
                proposal_name(proposal, before),
            ),
            action: page.t(action),
            changes: rows(page, proposal.kind, changes),
            whole: live_now,
            stale: stored.as_ref().map(|r| r.version) != proposal.base_version,
        });
    }
    let mut more = 0;
    if goes_live {
        let published = state.publisher.current();
        let mut promotions = published
            .model
            .promotions
            .values()
            .filter(|p| p.campaign.as_deref() == Some(request.campaign_id.as_str()))
            .filter(|p| {
                !request
                    .documents
                    .iter()
                    .any(|d| d.kind == Kind::Promotion && d.id == p.id)
            });
        for promotion in promotions.by_ref().take(LISTED_PROMOTIONS) {
            let mut promotion = promotion.clone();
            // The store's creation time the model adds: not part of what was written.
            promotion.created_at = None;
            let body = serde_json::to_value(&promotion).unwrap_or(Value::Null);
            views.push(DocumentView {
                heading: heading(page, Kind::Promotion, &promotion.id, promotion.name.clone()),
                action: page.t("approval-action-goes-live"),
                changes: rows(page, Kind::Promotion, diff(None, Some(&body))),
                whole: false,
                stale: false,
            });
        }
        more = promotions.count();
    }
    Ok((views, more))
}

/// The rows of a difference: a campaign's fields named and its status and kind said in the
/// page's language; other documents' fields by their path (the rule format's names).
fn rows(page: &Page, kind: Kind, changes: Vec<FieldChange>) -> Vec<FieldRow> {
    changes
        .into_iter()
        .map(|change| {
            let (label, value_key) = if kind == Kind::Campaign {
                crate::office::campaigns::field_name(page, &change.path)
            } else {
                (change.path.clone(), None)
            };
            let value = |v: Option<String>| match (v, value_key) {
                (Some(v), Some(prefix)) => Some(page.t(&format!("{prefix}{v}"))),
                (v, _) => v,
            };
            FieldRow {
                changed: change.before != change.after,
                label,
                before: value(change.before),
                after: value(change.after),
            }
        })
        .collect()
}

fn status_of(body: Option<&Value>) -> Option<&str> {
    body?.get("status")?.as_str()
}

fn proposal_name(proposal: &ProposedDocument, before: Option<&Value>) -> String {
    proposal
        .body
        .as_ref()
        .or(before)
        .and_then(|b| b.get("name"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn heading(page: &Page, kind: Kind, id: &str, name: String) -> String {
    let key = match kind {
        Kind::Campaign => "approval-heading-campaign",
        Kind::Promotion => "approval-heading-promotion",
        _ => "approval-heading-other",
    };
    let name = if name.is_empty() { id.to_owned() } else { name };
    page.t2(key, "name", name, "id", id)
}
