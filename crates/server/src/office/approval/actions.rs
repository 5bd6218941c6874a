//! On a campaign's page: "submit for approval" (the open request becomes pending; a draft
//! campaign's request proposes it active, so that its approval puts it live) and "withdraw"
//! (the request under way is dropped: nothing of it will be served).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use remise_store::{Act, Kind, RequestState, now_millis};

use super::{PENDING, propose, required};
use crate::AppState;
use crate::documents::{CampaignStatus, Document};
use crate::office::campaigns::{campaign_url, french_problems, not_found, refused, stored};
use crate::office::form::FormErrors;
use crate::office::page::{Page, server_error};
use crate::office::session::{OfficeUser, see_other};
use crate::office::writes::Change;
use crate::problem::ApiError;

pub async fn submit(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    Path(id): Path<String>,
) -> Response {
    let found = match stored(&state, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    // A deleted campaign too: its restoration may wait in its request.
    let Some((record, campaign)) = found else {
        return not_found(&page);
    };
    let refuse = |key: &str| {
        let errors = FormErrors {
            general: vec![page.t(key)],
            ..FormErrors::default()
        };
        refused(
            &page,
            StatusCode::CONFLICT,
            "approval-submit-refused",
            &errors,
            &campaign_url(&id),
        )
    };
    if !required(&state.publisher.current().model) {
        return refuse("approval-error-not-required");
    }
    let store = state.store.as_ref();
    let current = match store.current_change_request(&id).await {
        Ok(current) => current,
        Err(error) => return server_error(&error),
    };
    if current
        .as_ref()
        .is_some_and(|r| r.state == RequestState::Pending)
    {
        return refuse("approval-error-already-submitted");
    }
    // A draft goes live with its approval: its request proposes it active.
    let mut request = current;
    if campaign.status == CampaignStatus::Draft && record.deleted_at.is_none() {
        let proposed = request.as_ref().and_then(|r| {
            r.documents
                .iter()
                .find(|d| d.kind == Kind::Campaign && d.id == id)
        });
        let (mut live, version) = match proposed.and_then(|p| p.body.clone()) {
            Some(body) => match Document::read(Kind::Campaign, body, "") {
                Ok(Document::Campaign(c)) => (
                    c,
                    proposed
                        .and_then(|p| p.base_version)
                        .unwrap_or(record.version),
                ),
                _ => (campaign.clone(), record.version),
            },
            None => (campaign.clone(), record.version),
        };
        if live.status == CampaignStatus::Draft {
            live.status = CampaignStatus::Active;
            let change = Change::Update(Document::Campaign(live), version);
            match propose(&state, &user, &id, change).await {
                Ok(updated) => request = Some(updated),
                Err(error) => return refused_change(&page, &id, error),
            }
        }
    }
    let Some(request) = request.filter(|r| !r.documents.is_empty()) else {
        return refuse("approval-error-nothing");
    };
    let actor = user.actor();
    let act = Act {
        actor: &actor,
        user: &user.user.id,
        at: now_millis(),
    };
    match store.submit_change_request(act, &request.id).await {
        Ok(_) => see_other(&format!("{}?done=submitted", campaign_url(&id))),
        Err(remise_store::Error::WrongState { .. }) => refuse("approval-error-already-submitted"),
        Err(error) => server_error(&error),
    }
}

/// What refused the change that puts a draft live (its checks, as a write's).
fn refused_change(page: &Page, id: &str, error: ApiError) -> Response {
    let error = match error {
        ApiError::Conflict(message) if message == PENDING => {
            ApiError::Conflict(page.t("approval-error-already-submitted"))
        }
        other => other,
    };
    match FormErrors::from_api(page, french_problems(page.lang, error)) {
        Ok(errors) => refused(
            page,
            StatusCode::CONFLICT,
            "approval-submit-refused",
            &errors,
            &campaign_url(id),
        ),
        Err(response) => response,
    }
}

pub async fn withdraw(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    Path(id): Path<String>,
) -> Response {
    let store = state.store.as_ref();
    let current = match store.current_change_request(&id).await {
        Ok(current) => current,
        Err(error) => return server_error(&error),
    };
    let Some(request) = current else {
        return not_found(&page);
    };
    let actor = user.actor();
    let act = Act {
        actor: &actor,
        user: &user.user.id,
        at: now_millis(),
    };
    match store.withdraw_change_request(act, &request.id).await {
        Ok(_) => see_other(&format!("{}?done=withdrawn", campaign_url(&id))),
        // Decided meanwhile: the campaign's page says how.
        Err(remise_store::Error::WrongState { .. }) => see_other(&campaign_url(&id)),
        Err(error) => server_error(&error),
    }
}
