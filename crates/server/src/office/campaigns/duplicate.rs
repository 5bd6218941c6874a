//! `POST /office/campaigns/{id}/duplicate`: a copy of the campaign as a draft, with copies of
//! its promotions (new ids, in the copy), written together or not at all.
//!
//! A draft never approved is not served, so the copy is written at once, approval or not.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use remise_store::{Draft, Kind};

use super::{campaign_url, french_problems, not_found, refused, stored};
use crate::AppState;
use crate::documents::{Campaign, CampaignStatus, Document};
use crate::model::{Model, broken_documents};
use crate::office::form::FormErrors;
use crate::office::page::{Page, server_error};
use crate::office::session::{OfficeUser, see_other, url_encode};
use crate::problem::{ApiError, ApiResult};
use crate::routes::refresh;

/// Suffixes tried for a copy's ids (`-copy`, `-copy-2`, …).
const ID_ATTEMPTS: usize = 100;

pub async fn duplicate(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    Path(id): Path<String>,
) -> Response {
    let found = match stored(&state, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Some((record, campaign)) = found.filter(|(r, _)| r.deleted_at.is_none()) else {
        return not_found(&page);
    };
    drop(record);
    let documents = match copies(&state, &page, &campaign).await {
        Ok(documents) => documents,
        Err(response) => return response,
    };
    let copy_id = documents
        .first()
        .map(|d| d.id().to_owned())
        .unwrap_or_default();
    match write_together(&state, &user, documents).await {
        Ok(()) => see_other(&format!(
            "/office/campaigns/{}?done=duplicated",
            url_encode(&copy_id)
        )),
        Err(error) => match FormErrors::from_api(&page, french_problems(page.lang, error)) {
            Ok(errors) => refused(
                &page,
                StatusCode::CONFLICT,
                "campaigns-duplicate-refused",
                &errors,
                &campaign_url(&id),
            ),
            Err(response) => response,
        },
    }
}

/// The copy of `campaign` (first) and of each of its promotions, under ids no stored document
/// has (deleted ones included: they can be restored).
async fn copies(
    state: &AppState,
    page: &Page,
    campaign: &Campaign,
) -> Result<Vec<Document>, Response> {
    let published = state.publisher.current();
    let model = &published.model;
    let mut taken: HashSet<String> = HashSet::new();
    let copy_id = free_id(state, Kind::Campaign, &campaign.id, &mut taken).await?;
    let mut copy = campaign.clone();
    copy.id.clone_from(&copy_id);
    copy.name = page.t1("campaigns-copy-name", "name", &campaign.name);
    copy.status = CampaignStatus::Draft;
    if let Some(landing) = &mut copy.landing_page {
        landing.slug = free_slug(model, &landing.slug);
    }
    let mut documents = vec![Document::Campaign(copy)];
    for promotion in model
        .promotions
        .values()
        .filter(|p| p.campaign.as_deref() == Some(campaign.id.as_str()))
    {
        let mut promotion = promotion.clone();
        promotion.id = free_id(state, Kind::Promotion, &promotion.id, &mut taken).await?;
        promotion.campaign = Some(copy_id.clone());
        // The copy is a new promotion: the store's creation time orders it among equals.
        promotion.created_at = None;
        documents.push(Document::Promotion(Box::new(promotion)));
    }
    Ok(documents)
}

/// `{id}-copy`, `{id}-copy-2`, …: the first that no stored document of `kind` has, nor one
/// of this copy (`taken`).
async fn free_id(
    state: &AppState,
    kind: Kind,
    id: &str,
    taken: &mut HashSet<String>,
) -> Result<String, Response> {
    // Ids are at most 128 characters: room is left for the suffix.
    let base: String = id.chars().take(110).collect();
    for n in 1..=ID_ATTEMPTS {
        let candidate = if n == 1 {
            format!("{base}-copy")
        } else {
            format!("{base}-copy-{n}")
        };
        if taken.contains(&(candidate.clone())) {
            continue;
        }
        let stored = state
            .store
            .get(kind, &candidate)
            .await
            .map_err(|e| server_error(&e))?;
        if stored.is_none() {
            taken.insert(candidate.clone());
            return Ok(candidate);
        }
    }
    // A hundred copies already: the write refuses the last one as taken.
    Ok(format!("{base}-copy"))
}

/// A landing page slug no campaign uses: `{slug}-copy`, `{slug}-copy-2`, …
fn free_slug(model: &Model, slug: &str) -> String {
    let used: HashSet<&str> = model
        .campaigns
        .values()
        .filter_map(|c| c.landing_page.as_ref().map(|p| p.slug.as_str()))
        .collect();
    let base: String = slug.chars().take(90).collect();
    (1..=ID_ATTEMPTS)
        .map(|n| {
            if n == 1 {
                format!("{base}-copy")
            } else {
                format!("{base}-copy-{n}")
            }
        })
        .find(|s| !used.contains(s.as_str()))
        .unwrap_or_else(|| format!("{base}-copy"))
}

/// Writes new documents in one transaction, checked as one write of each would be, against the
/// model with all of them: problems of theirs are a 422, problems they would cause to others a
/// 409; nothing is written if the store moved since the check.
pub async fn write_together(
    state: &AppState,
    user: &OfficeUser,
    documents: Vec<Document>,
) -> ApiResult<()> {
    let _one_at_a_time = state.writes.lock().await;
    refresh(state).await?;
    let published = state.publisher.current();
    // New documents only: an upsert would replace one made since the ids were chosen.
    let mut ids: BTreeMap<Kind, Vec<String>> = BTreeMap::new();
    for document in &documents {
        ids.entry(document.kind())
            .or_default()
            .push(document.id().to_owned());
    }
    for (kind, ids) in ids {
        if let Some(existing) = state.store.get_many(kind, &ids).await?.first() {
            return Err(ApiError::Conflict(format!(
                "a {} `{}` already exists",
                kind.as_str(),
                existing.id
            )));
        }
    }
    let mut problems = Vec::new();
    for document in &documents {
        for mut problem in document.check() {
            problem.field = format!(
                "{} {}: {}",
                document.kind().as_str(),
                document.id(),
                problem.field
            );
            problems.push(problem);
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let mut model = published.model.clone();
    let mut drafts: Vec<(Kind, Draft)> = Vec::with_capacity(documents.len());
    let mut changed = HashSet::new();
    for document in documents {
        drafts.push((document.kind(), document.draft()?));
        changed.insert((document.kind(), document.id().to_owned()));
        model.put(document);
    }
    let checked = crate::office::approval::check_model(published.clone(), model, changed).await?;
    if !checked.changed.is_empty() {
        return Err(ApiError::Validation(
            checked
                .changed
                .into_iter()
                .map(|((kind, id), mut problem)| {
                    problem.field = format!("{} {id}: {}", kind.as_str(), problem.field);
                    problem
                })
                .collect(),
        ));
    }
    if !checked.broken.is_empty() {
        return Err(broken_documents(&checked.broken));
    }
    state
        .store
        .upsert_documents(&user.actor(), drafts, Some(published.revision))
        .await?;
    refresh(state).await
}
