//! Importing the documents of a rule file or of NDJSON lines (read by [`crate::rules_file`]), all
//! or nothing: the same checks as one write (`routes/documents.rs::write`), made once for the
//! whole file, then one store transaction and one revision, and the checked model is served as
//! it is (the store is not read back).
//!
//! The checks, in order: each document alone and the file itself (read); the rule file's `store`
//! settings against the store's; each campaign's status change along its life cycle; then the
//! documents as they would be after the import, compiled once, with the campaign checks of each
//! imported campaign and promotion. Problems of the file's documents are a 422 naming their paths
//! in the file; problems of other documents mean the import would break them: a 409.

use std::collections::{HashMap, HashSet};

use remise_store::{Actor, Draft, Kind, Outcome, UpsertReport};
use serde::Serialize;
use tokio::sync::MutexGuard;

use crate::AppState;
use crate::catalog_file::MAX_LISTED;
use crate::documents::Document;
use crate::model::{Model, broken_documents, rfc3339};
use crate::problem::{ApiError, ApiResult};
use crate::published::Published;
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
/// (a dry run only compares them with the stored ones), then publishes the checked model, so the
/// caller's next request sees them. `on_stage` is told when checking and writing start.
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
    let (model, checked) = tokio::task::spawn_blocking(move || {
        let checked = model.check_changes(&changed, model.compile_problems());
        (model, checked)
    })
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
        let held = state.publisher.hold_rebuilds().await;
        // Written only if nothing changed since the check (another instance may write).
        let report = state
            .store
            .upsert_documents(actor, drafts, Some(published.revision))
            .await?;
        if report.revision != published.revision {
            publish_written(state, held, model, &keys, &report).await?;
        }
        report.documents.iter().map(|d| d.outcome).collect()
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

/// Serves the checked model (under `held`, taken before the write), which holds exactly what the
/// store holds once written (it was checked at the revision the write started from), without
/// reading the store back: reloading and typing every document would take longer than the import
/// itself. Promotions take their stored creation time where their body has none, as
/// [`Model::from_records`] gives them.
async fn publish_written(
    state: &AppState,
    held: MutexGuard<'_, ()>,
    mut model: Model,
    keys: &[(Kind, String)],
    report: &UpsertReport,
) -> ApiResult<()> {
    for ((kind, id), written) in keys.iter().zip(&report.documents) {
        if *kind == Kind::Promotion
            && let Some(promotion) = model.promotions.get_mut(id)
            && promotion.created_at.is_none()
        {
            promotion.created_at = Some(rfc3339(written.created_at));
        }
    }
    let revision = report.revision;
    let built = tokio::task::spawn_blocking(move || Published::build(revision, model))
        .await
        .map_err(|e| ApiError::Internal(format!("publishing failed: {e}")))?;
    match built {
        Ok(published) => state.publisher.publish(&held, published),
        // As after any write whose rules do not compile: the refresh says so.
        Err(_) => {
            drop(held);
            refresh(state).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use remise_store::{Actor, Kind};

    use super::*;
    use crate::rules_file::{RulesFormat, read_rules};

    /// The model an import publishes is the one a reload of the store gives, at the same
    /// revision: promotions created, replaced, kept and brought back included, with the stored
    /// creation times that order equal priorities.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_published_model_is_what_the_store_holds() {
        let sqlite = remise_test_support::TestSqlite::new();
        let store = remise_store::open(&sqlite.url)
            .await
            .expect("open the store");
        store.migrate().await.expect("migrate");
        crate::demo::load(store.as_ref()).await.expect("the demo");
        let actor = Actor("test".to_owned());
        // A promotion the import brings back from soft deletion.
        let deleted = store
            .get(Kind::Promotion, "lego-semaine")
            .await
            .unwrap()
            .expect("a demo promotion");
        store
            .delete(&actor, Kind::Promotion, "lego-semaine", deleted.version)
            .await
            .unwrap();
        let state = AppState::new(store.clone(), crate::Limits::default())
            .await
            .expect("the state");
        let kept = state.publisher.current().model.promotions["marvel-20"].clone();
        let mut changed = state.publisher.current().model.promotions["marvel10"].clone();
        changed.priority += 1;
        let revived = serde_json::from_value::<remise_engine::rules::Promotion>(deleted.body)
            .expect("the stored promotion");
        let promotion = |id: &str| {
            serde_json::json!({
                "id": id, "priority": 5, "targets": { "segments": ["jeux"] },
                "offer": { "type": "percent_off", "percent": 5 }
            })
        };
        // The stored promotions as the API shows them: without the creation time the model adds.
        let without_time = |mut p: remise_engine::rules::Promotion| {
            p.created_at = None;
            serde_json::to_value(p).unwrap()
        };
        let file = serde_json::json!({
            "catalog": { "segments": [{ "id": "cartes", "parent": "jeux" }] },
            "promotions": [
                without_time(kept), without_time(changed), without_time(revived),
                promotion("new-1"), promotion("new-2"),
            ],
        });
        let file = read_rules(file.to_string().as_bytes(), RulesFormat::Rules, 100).unwrap();
        let report = import_rules(&state, &actor, file, false, &|_| {})
            .await
            .expect("the import");
        assert_eq!(
            (report.created, report.updated, report.unchanged),
            (3, 2, 1)
        );

        let published = state.publisher.current();
        let (revision, records) = store.load_all().await.unwrap();
        assert_eq!(published.revision, revision);
        let (reloaded, skipped) = Model::from_records(records);
        assert!(skipped.is_empty(), "{skipped:?}");
        assert!(
            published.model == reloaded,
            "the published model differs from the store's"
        );
        assert!(published.model.promotions["new-1"].created_at.is_some());
        assert_eq!(published.snapshot.promotion_count(), {
            let rebuilt = Published::build(revision, reloaded).unwrap();
            rebuilt.snapshot.promotion_count()
        });
    }
}
