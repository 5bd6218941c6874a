//! The campaign form: `/office/campaigns/new` and `/office/campaigns/{id}/edit`, shown, then
//! posted (303 to the campaign's page, or 422 with each error next to its input).
//!
//! Without JavaScript, "add a banner" posts the form and gets it back with one more empty row
//! (nothing is saved); a banner is removed by ticking its box before saving.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use remise_store::Kind;

use super::form::{BannerRow, CampaignForm, FormAction};
use super::{STATUSES, french_problems, not_found, status_name};
use crate::AppState;
use crate::documents::{Campaign, CampaignStatus, Document};
use crate::office::approval::{self, Saved};
use crate::office::form::FormErrors;
use crate::office::page::{Page, render, server_error};
use crate::office::session::{OfficeUser, see_other, url_encode};
use crate::office::writes::Change;
use crate::problem::ApiError;

/// Selections offered by the landing page's input (a datalist: any id can still be typed).
const SUGGESTED_SELECTIONS: usize = 200;
/// Ids tried for a new campaign named like others (`soldes`, `soldes-2`, …).
const ID_ATTEMPTS: usize = 50;

/// The inputs the form shows (other fields' errors are listed at the top).
const INPUTS: [&str; 13] = [
    "id",
    "name",
    "kind",
    "status",
    "starts_at",
    "ends_at",
    "channels",
    "season",
    "budget",
    "labels",
    "landing_page.slug",
    "landing_page.title",
    "landing_page.selection",
];

#[derive(Template)]
#[template(path = "office/campaigns/form.html")]
struct FormPage<'a> {
    page: &'a Page,
    /// The campaign edited; `None` for a new one.
    editing: Option<String>,
    form: CampaignForm,
    banners: Vec<BannerView>,
    /// `(value, name)` of the statuses the campaign may take.
    statuses: Vec<(String, String)>,
    errors: FormErrors,
    selections: Vec<String>,
    /// Changes wait for an approver before they are served.
    needs_approval: bool,
}

impl FormPage<'_> {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }

    /// Each field's error for the summary above the form: the input's id, and the field's name
    /// with the message.
    fn summary(&self) -> Vec<(String, String)> {
        self.errors
            .fields
            .iter()
            .filter(|(f, _)| INPUTS.contains(&f.as_str()) || f.starts_with("banners["))
            .map(|(field, message)| {
                let (name, _) = super::field_name(self.page, field);
                (
                    format!("f-{field}"),
                    self.page
                        .t2("campaigns-error-item", "field", name, "message", message),
                )
            })
            .collect()
    }

    /// The errors of fields no input shows.
    fn others(&self) -> Vec<&(String, String)> {
        self.errors
            .others(&INPUTS)
            .filter(|(f, _)| !f.starts_with("banners["))
            .collect()
    }
}

/// One input of a banner row: its name (the document's path), value and error.
struct BannerInput {
    name: String,
    value: String,
    error: Option<String>,
}

/// A banner row as the form shows it.
struct BannerView {
    /// From 1, for its legend.
    number: usize,
    placement: BannerInput,
    image: BannerInput,
    link: BannerInput,
    alt: BannerInput,
    /// The name of its "remove" box; `None` for the empty row left to add a banner.
    remove: Option<String>,
}

fn banner_views(rows: Vec<BannerRow>, errors: &FormErrors) -> Vec<BannerView> {
    rows.into_iter()
        .enumerate()
        .map(|(i, row)| {
            let input = |field: &str, value: String| {
                let name = format!("banners[{i}].{field}");
                BannerInput {
                    error: errors.get(&name).map(str::to_owned),
                    name,
                    value,
                }
            };
            BannerView {
                number: i + 1,
                remove: (!row.is_blank()).then(|| format!("banners[{i}].remove")),
                placement: input("placement", row.placement),
                image: input("image", row.image),
                link: input("link", row.link),
                alt: input("alt", row.alt),
            }
        })
        .collect()
}

fn form_page<'a>(
    state: &AppState,
    page: &'a Page,
    editing: Option<String>,
    form: CampaignForm,
    current: Option<CampaignStatus>,
    errors: FormErrors,
) -> FormPage<'a> {
    let published = state.publisher.current();
    let statuses = match current {
        Some(status) => std::iter::once(status)
            .chain(status.next().iter().copied())
            .collect(),
        None => vec![CampaignStatus::Draft, CampaignStatus::Active],
    };
    let statuses = STATUSES
        .iter()
        .filter(|s| statuses.contains(s))
        .map(|s| (s.as_str().to_owned(), status_name(page, *s)))
        .collect();
    FormPage {
        page,
        editing,
        banners: banner_views(form.shown_banners(), &errors),
        form,
        statuses,
        errors,
        selections: published
            .model
            .selections
            .keys()
            .take(SUGGESTED_SELECTIONS)
            .cloned()
            .collect(),
        needs_approval: approval::required(&published.model),
    }
}

pub async fn new(State(state): State<Arc<AppState>>, page: Page) -> Response {
    let form = form_page(
        &state,
        &page,
        None,
        CampaignForm::blank(),
        None,
        FormErrors::default(),
    );
    render(StatusCode::OK, &form)
}

pub async fn create(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let mut form = CampaignForm::read(&fields);
    if form.action == Some(FormAction::AddBanner) {
        let shown = form_page(&state, &page, None, form, None, FormErrors::default());
        return render(StatusCode::OK, &shown);
    }
    let (mut campaign, mut errors) = form.campaign(&page);
    if campaign.id.is_empty() && !campaign.name.is_empty() {
        match free_id(&state, &campaign.name).await {
            Ok(id) => campaign.id = id,
            Err(response) => return response,
        }
        form.id.clone_from(&campaign.id);
    }
    if !errors.is_empty() {
        add_document_problems(&page, &campaign, &mut errors);
        let shown = form_page(&state, &page, None, form, None, errors);
        return render(StatusCode::UNPROCESSABLE_ENTITY, &shown);
    }
    let id = campaign.id.clone();
    let change = Change::Create(Document::Campaign(campaign));
    match approval::save(&state, &user, change).await {
        Ok(saved) => after_save(&id, &saved),
        Err(error) => {
            let errors = match error {
                // The one conflict of a creation: the id is taken.
                ApiError::Conflict(_) => {
                    let mut errors = FormErrors::default();
                    errors.add("id", page.t("campaigns-error-id-taken"));
                    errors
                }
                error => match FormErrors::from_api(&page, french_problems(page.lang, error)) {
                    Ok(errors) => errors,
                    Err(response) => return response,
                },
            };
            let shown = form_page(&state, &page, None, form, None, errors);
            render(StatusCode::UNPROCESSABLE_ENTITY, &shown)
        }
    }
}

pub async fn edit(
    State(state): State<Arc<AppState>>,
    page: Page,
    Path(id): Path<String>,
) -> Response {
    let found = match approval::editable_campaign(&state, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Some((campaign, version, current)) = found else {
        return not_found(&page);
    };
    let zone = super::zone(&state);
    let form = CampaignForm::of(&campaign, version, page.lang, &zone);
    let shown = form_page(
        &state,
        &page,
        Some(id),
        form,
        Some(current),
        FormErrors::default(),
    );
    render(StatusCode::OK, &shown)
}

pub async fn update(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let found = match approval::editable_campaign(&state, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Some((_, _, current)) = found else {
        return not_found(&page);
    };
    let mut form = CampaignForm::read(&fields);
    form.id.clone_from(&id);
    let editing = Some(id.clone());
    if form.action == Some(FormAction::AddBanner) {
        let shown = form_page(
            &state,
            &page,
            editing,
            form,
            Some(current),
            FormErrors::default(),
        );
        return render(StatusCode::OK, &shown);
    }
    let (campaign, mut errors) = form.campaign(&page);
    let Some(version) = form.version else {
        errors.general.push(page.t("campaigns-error-stale"));
        let shown = form_page(&state, &page, editing, form, Some(current), errors);
        return render(StatusCode::UNPROCESSABLE_ENTITY, &shown);
    };
    if !errors.is_empty() {
        add_document_problems(&page, &campaign, &mut errors);
        let shown = form_page(&state, &page, editing, form, Some(current), errors);
        return render(StatusCode::UNPROCESSABLE_ENTITY, &shown);
    }
    let change = Change::Update(Document::Campaign(campaign), version);
    match approval::save(&state, &user, change).await {
        Ok(saved) => after_save(&id, &saved),
        Err(error) => {
            let errors = match error {
                ApiError::PreconditionFailed { .. } => FormErrors {
                    general: vec![page.t("campaigns-error-stale")],
                    ..FormErrors::default()
                },
                error => match FormErrors::from_api(&page, french_problems(page.lang, error)) {
                    Ok(errors) => errors,
                    Err(response) => return response,
                },
            };
            let shown = form_page(&state, &page, editing, form, Some(current), errors);
            render(StatusCode::UNPROCESSABLE_ENTITY, &shown)
        }
    }
}

/// The campaign's page, saying whether the change was written or waits for approval.
fn after_save(id: &str, saved: &Saved) -> Response {
    let done = match saved {
        Saved::Written(_) => "saved",
        Saved::Proposed(_) => "proposed",
    };
    see_other(&format!("/office/campaigns/{}?done={done}", url_encode(id)))
}

/// The document's own problems, beside errors of the form's reading, so that one post shows
/// them all (the fields already in error keep their first message).
fn add_document_problems(page: &Page, campaign: &Campaign, errors: &mut FormErrors) {
    let problems = Document::Campaign(campaign.clone()).check();
    if let Ok(found) = FormErrors::from_api(
        page,
        french_problems(page.lang, ApiError::Validation(problems)),
    ) {
        for (field, message) in found.fields {
            if errors.get(&field).is_none() {
                errors.add(&field, message);
            }
        }
    }
}

/// An id for a new campaign named `name`: its letters and digits in lower case, joined by `-`
/// (`Black Friday 2026` → `black-friday-2026`), with `-2`, `-3`… when taken (deleted campaigns
/// count: they can be restored).
async fn free_id(state: &AppState, name: &str) -> Result<String, Response> {
    let base = slug(name);
    for n in 1..=ID_ATTEMPTS {
        let id = if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        let taken = state
            .store
            .get(Kind::Campaign, &id)
            .await
            .map_err(|e| server_error(&e))?
            .is_some();
        if !taken {
            return Ok(id);
        }
    }
    // Fifty campaigns of one name: the last try is refused as taken, next to the id input.
    Ok(base)
}

/// `Noël 2026 : -20 %` → `noel-2026-20`.
pub fn slug(name: &str) -> String {
    let folded = crate::offer_filter::fold(name);
    let mut slug = String::new();
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    let slug: String = slug.chars().take(100).collect();
    if slug.is_empty() {
        "campaign".to_owned()
    } else {
        slug
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_names() {
        assert_eq!(slug("Noël 2026 : -20 %"), "noel-2026-20");
        assert_eq!(slug("Black Friday"), "black-friday");
        assert_eq!(slug("!!!"), "campaign");
    }
}
