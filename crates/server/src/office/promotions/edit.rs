//! The promotion form: a new promotion in a campaign, an existing one (read-only for roles that
//! may not change it), and their saves. A save reads the inputs (errors on what cannot be
//! read), then writes through the management API's checks; any error re-renders the form (422)
//! with each message next to its input and nothing stored. "Preview" re-renders the form with
//! the preview of the targeted products, saving nothing (the form without JavaScript).

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use remise_engine::rules::Promotion;
use remise_store::Kind;
use serde::Deserialize;

use super::fill::fill;
use super::load::{Editable, editable};
use super::read::{Read, read};
use super::values::FormValues;
use super::{CampaignLink, FormContext, not_found, preview, render_form};
use crate::AppState;
use crate::documents::Document;
use crate::office::approval::{Saved, save};
use crate::office::form::FormErrors;
use crate::office::page::{Page, server_error};
use crate::office::session::{OfficeUser, see_other, url_encode};
use crate::office::writes::Change;

type Pairs = Form<Vec<(String, String)>>;

/// The values of a new promotion's form.
fn new_values() -> FormValues {
    let mut values = FormValues::default();
    values.set("priority", "0");
    values.set("offer.type", "percent_off");
    values
}

pub async fn new_form(
    State(state): State<Arc<AppState>>,
    page: Page,
    Path(campaign_id): Path<String>,
) -> Response {
    let published = state.publisher.current();
    let Some(campaign) = published.model.campaigns.get(&campaign_id) else {
        return not_found(&page);
    };
    let context = new_context(&page, CampaignLink::of(campaign));
    render_form(
        &page,
        StatusCode::OK,
        context,
        &new_values(),
        Vec::new(),
        (Vec::new(), &Default::default()),
        Vec::new(),
        None,
    )
}

fn new_context(page: &Page, campaign: CampaignLink) -> FormContext {
    FormContext {
        title: page.t("promotions-new-title"),
        action: format!("/office/campaigns/{}/promotions", url_encode(&campaign.id)),
        campaign: Some(campaign),
        promotion_id: None,
        version: None,
        readonly: false,
        notice: None,
        pending: None,
    }
}

pub async fn create(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    Path(campaign_id): Path<String>,
    Form(pairs): Pairs,
) -> Response {
    let published = state.publisher.current();
    let Some(campaign) = published.model.campaigns.get(&campaign_id) else {
        return not_found(&page);
    };
    let context = new_context(&page, CampaignLink::of(campaign));
    let values = FormValues::from_pairs(pairs);
    let mut errors = Vec::new();
    let id = match values.get("id") {
        "" => match free_id(&state, values.get("name")).await {
            Ok(id) => id,
            Err(response) => return response,
        },
        typed => {
            match state.store.get(Kind::Promotion, typed).await {
                Ok(Some(_)) => {
                    errors.push(("id".to_owned(), page.t("promotions-error-id-taken")));
                }
                Ok(None) => {}
                Err(error) => return server_error(&error),
            }
            typed.to_owned()
        }
    };
    let read = read(&page, &values, id, Some(campaign_id));
    let Read {
        promotion,
        errors: read_errors,
        rows,
    } = read;
    errors.extend(read_errors);
    if values.get("action") == "preview" {
        let mut promotion = promotion;
        if promotion.id.is_empty() {
            promotion.id = "new-promotion".to_owned();
        }
        let preview = preview::preview(&published, &page, &promotion);
        return render_form(
            &page,
            StatusCode::OK,
            context,
            &values,
            errors,
            (Vec::new(), &rows),
            Vec::new(),
            Some(preview),
        );
    }
    drop(published);
    let outcome = if errors.is_empty() {
        let document = Document::Promotion(Box::new(promotion.clone()));
        save(&state, &user, Change::Create(document)).await
    } else {
        // Nothing is written; the engine's checks still run, so every error shows at once.
        Err(checks_of(&state, &promotion))
    };
    match outcome {
        Ok(saved) => after_save(&promotion, &saved, "created"),
        Err(error) => {
            let (engine, general) = match FormErrors::from_api(&page, error) {
                Ok(found) => (found.fields, found.general),
                Err(response) => return response,
            };
            render_form(
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                context,
                &values,
                errors,
                (engine, &rows),
                general,
                None,
            )
        }
    }
}

/// The checks a write would run on `promotion`, as its refusal (when the form's own errors
/// already stop the write).
fn checks_of(state: &AppState, promotion: &Promotion) -> crate::problem::ApiError {
    let document = Document::Promotion(Box::new(promotion.clone()));
    let mut problems = document.check();
    let published = state.publisher.current();
    problems.extend(
        published
            .snapshot
            .check_promotion(promotion)
            .into_iter()
            .map(|e| crate::problem::FieldProblem::new(e.path, e.message)),
    );
    crate::problem::ApiError::Validation(problems)
}

/// An id for a new promotion from its name (`Noël -20 %` → `noel-20`), unused in the store
/// (deleted promotions included).
async fn free_id(state: &AppState, name: &str) -> Result<String, Response> {
    let mut base: String = String::new();
    for c in name.chars().flat_map(fold) {
        if c.is_ascii_alphanumeric() {
            base.push(c.to_ascii_lowercase());
        } else if !base.ends_with('-') && !base.is_empty() {
            base.push('-');
        }
    }
    let mut base = base.trim_end_matches('-').to_owned();
    base.truncate(60);
    if base.is_empty() {
        base = "promotion".to_owned();
    }
    for n in 1..1000 {
        let candidate = if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        match state.store.get(Kind::Promotion, &candidate).await {
            Ok(None) => return Ok(candidate),
            Ok(Some(_)) => {}
            Err(error) => return Err(server_error(&error)),
        }
    }
    // A thousand promotions of one name: the time makes it unique.
    Ok(format!("{base}-{}", remise_store::now_millis()))
}

/// A letter without its accent (`é` → `e`), for ids made from names.
fn fold(c: char) -> impl Iterator<Item = char> {
    use unicode_normalization::UnicodeNormalization;
    std::iter::once(c)
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
}

#[derive(Deserialize)]
pub struct Shown {
    done: Option<String>,
    /// Where to find a promotion only its campaign's change request holds.
    campaign: Option<String>,
}

/// Where a save sends the browser: the promotion's page, saying what became of the change
/// (written, or waiting in its campaign's change request).
pub fn after_save(promotion: &Promotion, saved: &Saved, done: &str) -> Response {
    let id = url_encode(&promotion.id);
    match (saved, &promotion.campaign) {
        (Saved::Proposed(_), Some(campaign)) => see_other(&format!(
            "/office/promotions/{id}?campaign={}&done=proposed",
            url_encode(campaign)
        )),
        _ => see_other(&format!("/office/promotions/{id}?done={done}")),
    }
}

/// The promotion as its form edits it, or the 404 page.
async fn found(
    state: &AppState,
    page: &Page,
    id: &str,
    campaign: Option<&str>,
) -> Result<Editable, Response> {
    match editable(state, id, campaign).await? {
        Some(found) => Ok(found),
        None => Err(not_found(page)),
    }
}

fn edit_context(state: &AppState, page: &Page, found: &Editable, version: i64) -> FormContext {
    let promotion = &found.promotion;
    let published = state.publisher.current();
    let campaign = promotion
        .campaign
        .as_ref()
        .and_then(|id| published.model.campaigns.get(id))
        .map(CampaignLink::of);
    let name = if promotion.name.is_empty() {
        &promotion.id
    } else {
        &promotion.name
    };
    FormContext {
        title: page.t1("promotions-edit-title", "name", name),
        campaign,
        action: match &found.campaign {
            Some(campaign) => format!(
                "/office/promotions/{}?campaign={}",
                url_encode(&promotion.id),
                url_encode(campaign)
            ),
            None => format!("/office/promotions/{}", url_encode(&promotion.id)),
        },
        promotion_id: Some(promotion.id.clone()),
        version: Some(version),
        readonly: !page.can_edit(),
        notice: None,
        pending: found.pending.clone(),
    }
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    page: Page,
    Path(id): Path<String>,
    Query(shown): Query<Shown>,
) -> Response {
    let found = match found(&state, &page, &id, shown.campaign.as_deref()).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let mut context = edit_context(&state, &page, &found, found.version);
    let promotion = &found.promotion;
    context.notice = match shown.done.as_deref() {
        Some("proposed") => Some(page.t("promotions-notice-proposed")),
        Some("created") => Some(page.t("promotions-notice-created")),
        Some("saved") => Some(page.t("promotions-notice-saved")),
        Some("duplicated") => Some(page.t("promotions-notice-duplicated")),
        Some("restored") => Some(page.t("promotions-notice-restored")),
        _ => None,
    };
    let zone = state.publisher.current().model.time_zone();
    let values = fill(promotion, page.lang, &zone);
    render_form(
        &page,
        StatusCode::OK,
        context,
        &values,
        Vec::new(),
        (Vec::new(), &Default::default()),
        Vec::new(),
        None,
    )
}

pub async fn update(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    Path(id): Path<String>,
    Query(shown): Query<Shown>,
    Form(pairs): Pairs,
) -> Response {
    let found = match found(&state, &page, &id, shown.campaign.as_deref()).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let values = FormValues::from_pairs(pairs);
    // The version the form was filled from: a change made since is not overwritten.
    let version = values
        .get("version")
        .parse::<i64>()
        .unwrap_or(found.version);
    let context = edit_context(&state, &page, &found, version);
    let stored = &found.promotion;
    let Read {
        mut promotion,
        errors,
        rows,
    } = read(&page, &values, id, stored.campaign.clone());
    // Not on the form: the order among equal priorities stays as it was.
    promotion.created_at = stored.created_at.clone();
    if values.get("action") == "preview" {
        let published = state.publisher.current();
        let preview = preview::preview(&published, &page, &promotion);
        return render_form(
            &page,
            StatusCode::OK,
            context,
            &values,
            errors,
            (Vec::new(), &rows),
            Vec::new(),
            Some(preview),
        );
    }
    let outcome = if errors.is_empty() {
        let document = Document::Promotion(Box::new(promotion.clone()));
        save(&state, &user, Change::Update(document, version)).await
    } else {
        Err(checks_of(&state, &promotion))
    };
    match outcome {
        Ok(saved) => after_save(&promotion, &saved, "saved"),
        Err(crate::problem::ApiError::PreconditionFailed { .. }) => render_form(
            &page,
            StatusCode::CONFLICT,
            context,
            &values,
            errors,
            (Vec::new(), &rows),
            vec![page.t("promotions-error-stale")],
            None,
        ),
        Err(error) => {
            let (engine, general) = match FormErrors::from_api(&page, error) {
                Ok(found) => (found.fields, found.general),
                Err(response) => return response,
            };
            render_form(
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                context,
                &values,
                errors,
                (engine, &rows),
                general,
                None,
            )
        }
    }
}
