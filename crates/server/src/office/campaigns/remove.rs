//! `POST /office/campaigns/{id}/delete` (soft: restorable for 30 days, its promotions no longer
//! served meanwhile) and `POST /office/campaigns/{id}/restore`.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use remise_store::Kind;

use super::{campaign_url, french_problems, not_found, refused, stored};
use crate::AppState;
use crate::office::approval::{self, Saved};
use crate::office::form::FormErrors;
use crate::office::page::Page;
use crate::office::session::{OfficeUser, see_other};
use crate::office::writes::Change;
use crate::problem::ApiError;

pub async fn delete(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let found = match stored(&state, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if found.is_none_or(|(r, _)| r.deleted_at.is_some()) {
        return not_found(&page);
    }
    let version = fields
        .iter()
        .find(|(k, _)| k == "version")
        .and_then(|(_, v)| v.trim().parse::<i64>().ok());
    let Some(version) = version else {
        return stale(&page, &id, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let change = Change::Delete(Kind::Campaign, id.clone(), version);
    done(
        &page,
        &id,
        approval::save(&state, &user, change).await,
        "deleted",
    )
}

pub async fn restore(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    Path(id): Path<String>,
) -> Response {
    let found = match stored(&state, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if found.is_none_or(|(r, _)| r.deleted_at.is_none()) {
        return not_found(&page);
    }
    let change = Change::Restore(Kind::Campaign, id.clone());
    done(
        &page,
        &id,
        approval::save(&state, &user, change).await,
        "restored",
    )
}

/// Back to the campaign's page, or what refused the change.
fn done(page: &Page, id: &str, saved: Result<Saved, ApiError>, what: &str) -> Response {
    let url = campaign_url(id);
    match saved {
        Ok(Saved::Written(_)) => see_other(&format!("{url}?done={what}")),
        Ok(Saved::Proposed(_)) => see_other(&format!("{url}?done=proposed")),
        Err(ApiError::PreconditionFailed { .. }) => stale(page, id, StatusCode::CONFLICT),
        Err(error) => match FormErrors::from_api(page, french_problems(page.lang, error)) {
            Ok(errors) => refused(
                page,
                StatusCode::CONFLICT,
                "campaigns-refused",
                &errors,
                &url,
            ),
            Err(response) => response,
        },
    }
}

/// The campaign changed since the page was shown (or the form carried no version).
fn stale(page: &Page, id: &str, status: StatusCode) -> Response {
    let errors = FormErrors {
        general: vec![page.t("campaigns-error-stale")],
        ..FormErrors::default()
    };
    refused(
        page,
        status,
        "campaigns-refused",
        &errors,
        &campaign_url(id),
    )
}
