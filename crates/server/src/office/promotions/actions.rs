//! Duplicate (a copy under a new id, in the same campaign), delete (soft: restorable for 30
//! days) and restore, each through the management API's write path.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use remise_store::Kind;
use serde::Deserialize;

use super::edit::after_save;
use super::load::editable;
use super::not_found;
use crate::AppState;
use crate::documents::Document;
use crate::office::approval::{Saved, save};
use crate::office::form::FormErrors;
use crate::office::page::{Page, render, server_error};
use crate::office::session::{OfficeUser, see_other, url_encode};
use crate::office::writes::Change;
use crate::problem::ApiError;

/// Where to find a promotion only its campaign's change request holds.
#[derive(Deserialize)]
pub struct Hint {
    campaign: Option<String>,
}

#[derive(Template)]
#[template(path = "office/promotions/refused.html")]
struct RefusedPage<'a> {
    page: &'a Page,
    reasons: Vec<String>,
    back: String,
}

/// A refused action (the checks' reasons, 409): the page says why, and links back.
fn refused(page: &Page, error: ApiError, back: String) -> Response {
    match FormErrors::from_api(page, error) {
        Ok(errors) => {
            let mut reasons = errors.general;
            reasons.extend(
                errors
                    .fields
                    .into_iter()
                    .map(|(f, m)| page.t2("promotions-problem", "path", f, "message", m)),
            );
            render(
                StatusCode::CONFLICT,
                &RefusedPage {
                    page,
                    reasons,
                    back,
                },
            )
        }
        Err(response) => response,
    }
}

pub async fn duplicate(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    Path(id): Path<String>,
    Query(hint): Query<Hint>,
) -> Response {
    let mut copy = match editable(&state, &id, hint.campaign.as_deref()).await {
        Ok(Some(found)) => found.promotion,
        Ok(None) => return not_found(&page),
        Err(response) => return response,
    };
    let mut new_id = String::new();
    for n in 1..1000 {
        let candidate = if n == 1 {
            format!("{id}-copy")
        } else {
            format!("{id}-copy-{n}")
        };
        match state.store.get(Kind::Promotion, &candidate).await {
            Ok(None) => {
                new_id = candidate;
                break;
            }
            Ok(Some(_)) => {}
            Err(error) => return server_error(&error),
        }
    }
    if new_id.is_empty() {
        new_id = format!("{id}-copy-{}", remise_store::now_millis());
    }
    let name = if copy.name.is_empty() {
        copy.id.clone()
    } else {
        copy.name.clone()
    };
    copy.name = page.t1("promotions-copy-of", "name", name);
    copy.id = new_id;
    // A copy is a new promotion: it comes after the original among equal priorities.
    copy.created_at = None;
    match save(
        &state,
        &user,
        Change::Create(Document::Promotion(Box::new(copy.clone()))),
    )
    .await
    {
        Ok(saved) => after_save(&copy, &saved, "duplicated"),
        Err(error) => refused(
            &page,
            error,
            format!("/office/promotions/{}", url_encode(&id)),
        ),
    }
}

pub async fn delete(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    Path(id): Path<String>,
    Query(hint): Query<Hint>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let found = match editable(&state, &id, hint.campaign.as_deref()).await {
        Ok(Some(found)) => found,
        Ok(None) => return not_found(&page),
        Err(response) => return response,
    };
    let version = pairs
        .iter()
        .find(|(name, _)| name == "version")
        .and_then(|(_, v)| v.trim().parse::<i64>().ok())
        .unwrap_or(found.version);
    let back = format!("/office/promotions/{}", url_encode(&id));
    let done = |saved: &Saved| match saved {
        Saved::Written(_) => "deleted",
        Saved::Proposed(_) => "delete-proposed",
    };
    match save(&state, &user, Change::Delete(Kind::Promotion, id, version)).await {
        Ok(saved) => match found.campaign {
            Some(campaign) => see_other(&format!(
                "/office/campaigns/{}/promotions?done={}",
                url_encode(&campaign),
                done(&saved)
            )),
            None => see_other("/office/campaigns"),
        },
        Err(error) => refused(&page, error, back),
    }
}

pub async fn restore(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    Path(id): Path<String>,
) -> Response {
    let campaign = match state.store.get(Kind::Promotion, &id).await {
        Ok(Some(record)) if record.deleted_at.is_some() => record.parent,
        Ok(_) => return not_found(&page),
        Err(error) => return server_error(&error),
    };
    let back = match &campaign {
        Some(campaign) => format!(
            "/office/campaigns/{}/promotions?deleted=1",
            url_encode(campaign)
        ),
        None => "/office/campaigns".to_owned(),
    };
    match save(&state, &user, Change::Restore(Kind::Promotion, id.clone())).await {
        Ok(Saved::Written(record)) => see_other(&format!(
            "/office/promotions/{}?done=restored",
            url_encode(&record.id)
        )),
        Ok(Saved::Proposed(_)) => see_other(&format!("{back}&done=restore-proposed")),
        Err(error) => refused(&page, error, back),
    }
}
