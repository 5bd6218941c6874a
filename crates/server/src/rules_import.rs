//! Importing the documents of a rule file or of NDJSON lines (read by [`crate::rules_file`]), all
//! or nothing: the same checks as one write (`routes/documents.rs::write`), made once for the
//! whole file, then one store transaction and one revision.
//!
//! The checks, in order: each document alone and the file itself (read); the rule file's `store`
//! settings against the store's; each campaign's status change along its life cycle; then the
//! documents as they would be after the import, compiled once, with the campaign checks of each
//! imported campaign and promotion. Problems of the file's documents are a 422 naming their paths
//! in the file; problems of other documents mean the import would break them: a 409.

use std::collections::{HashMap, HashSet};

use remise_store::{Actor, Draft, Kind, Outcome};
use serde::Serialize;

use crate::AppState;
use crate::catalog_file::MAX_LISTED;
use crate::documents::Document;
use crate::model::broken_documents;
use crate::problem::{ApiError, ApiResult};
use crate::routes::{refresh, status_change};
use crate::rules_file::{RulesFile, settings_problems};

/// What an import is doing, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Checking the documents with the rest of the store.
    Checking,
    /// Writing them (or, in a dry run, comparing them with the stored ones).
    Writing,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportReport {
    pub dry_run: bool,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Every document of the file, in the file's order.
    pub documents: Vec<DocumentOutcome>,
}

/// What the import did to one document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentOutcome {
    pub kind: Kind,
    pub id: String,
    pub outcome: Outcome,
}

/// Checks the documents of `file` with the rest of the store and writes them in one transaction
/// (a dry run only compares them with the stored ones), then publishes, so the caller's next
/// request sees them. `on_stage` is told when checking and writing start.
pub async fn import_rules(
    state: &AppState,
    actor: &Actor,
    file: RulesFile,
    dry_run: bool,
    on_stage: &(dyn Fn(Stage) + Send + Sync),
) -> ApiResult<ImportReport> {
    let RulesFile {
        mut entries,
        settings,
        mut problems,
    } = file;
    on_stage(Stage::Checking);
    let _one_at_a_time = state.writes.lock().await;
    refresh(state).await?;
    let published = state.publisher.current();
    let mut model = published.model.clone();

    for problem in settings_problems(&settings, &model.settings) {
        problems.push(0, problem.field, problem.message);
    }
    let mut places = HashMap::with_capacity(entries.len());
    let mut drafts = Vec::with_capacity(entries.len());
    for entry in &mut entries {
        let (kind, id) = (entry.document.kind(), entry.document.id().to_owned());
        if let Document::CustomerGroup(group) = &mut entry.document
            && entry.keeps_stored_name
            && let Some(stored) = model.groups.get(&group.id)
        {
            group.name.clone_from(&stored.name);
        }
        if let Document::Campaign(campaign) = &entry.document
            && let Some(stored) = state.store.get(Kind::Campaign, &id).await?
            && let Some(problem) = status_change(&stored, campaign.status)
        {
            problems.push(
                entry.order,
                entry.place.field(&problem.field),
                problem.message,
            );
        }
        drafts.push((kind, entry.document.draft()?));
        places.insert((kind, id), (entry.order, entry.place.clone()));
    }
    let changed: HashSet<(Kind, String)> = places.keys().cloned().collect();
    for entry in entries {
        model.put(entry.document);
    }
    let checked = tokio::task::spawn_blocking(move || model.check_changes(&changed))
        .await
        .map_err(|e| ApiError::Internal(format!("the check failed: {e}")))?;
    for (document, problem) in checked.changed {
        if let Some((order, place)) = places.get(&document) {
            problems.push(*order, place.field(&problem.field), problem.message);
        }
    }
    problems.finish()?;
    if !checked.broken.is_empty() {
        let mut broken = checked.broken;
        let more = broken.len().saturating_sub(MAX_LISTED);
        broken.truncate(MAX_LISTED);
        if more > 0 {
            broken.push(format!("and {more} more"));
        }
        return Err(broken_documents(&broken));
    }

    on_stage(Stage::Writing);
    let keys: Vec<(Kind, String)> = drafts
        .iter()
        .map(|(kind, draft): &(Kind, Draft)| (*kind, draft.id.clone()))
        .collect();
    let outcomes = if dry_run {
        state.store.compare_documents(&drafts).await?
    } else {
        // Written only if nothing changed since the check (another instance may write).
        let outcomes = state
            .store
            .upsert_documents(actor, drafts, Some(published.revision))
            .await?;
        refresh(state).await?;
        outcomes
    };
    let summary: remise_store::UpsertSummary = outcomes.iter().copied().collect();
    Ok(ImportReport {
        dry_run,
        created: summary.created,
        updated: summary.updated,
        unchanged: summary.unchanged,
        documents: keys
            .into_iter()
            .zip(outcomes)
            .map(|((kind, id), outcome)| DocumentOutcome { kind, id, outcome })
            .collect(),
    })
}
