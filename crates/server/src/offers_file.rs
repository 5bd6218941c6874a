//! Offers in CSV (seed 004, `docs/offers-csv.md`): the seed's offers file and Remise's file of
//! commitments and discounts, imported all or nothing and exported so that they read back to the
//! same offers.
//!
//! An import reads its files (`offers_file/cells.rs`: the reading rules both share;
//! `offers_csv.rs`, `discounts_csv.rs`: one format each), merges their rows into the store's
//! offers (`merge.rs`: upsert by code, by commitment number, by discount code), then checks the
//! offers it makes as the API checks one write (`Document::check`, then the whole model compiled
//! with them, whose errors are located on the offers' documents) and reports every problem at the
//! line and column it comes from. Written in one transaction of the store's bulk upsert, at the
//! revision the offers were checked against; then the checked model is published, as a rule
//! import publishes it.

use std::collections::HashMap;
use std::io::Write;

use jiff::Timestamp;
use remise_engine::rules::CustomerOffer;
use remise_store::{Actor, Kind, ListQuery, Outcome, Store, TextDraft};
use serde::Serialize;

use crate::AppState;
use crate::documents::{Document, Settings};
use crate::model::{Model, broken_documents};
use crate::problem::{ApiError, ApiResult};
use crate::published::Published;
use crate::routes::refresh;

mod cells;
mod discounts_csv;
mod merge;
mod offers_csv;

pub use cells::Separator;
use cells::{FileKind, Problems};
use merge::{Merger, Working};

/// Offers per chunk written to the store.
const CHUNK: usize = 500;

/// The files of one import: the offers file, the commitments and discounts file, or both (then
/// the discounts may name offers the offers file creates).
pub struct OfferFiles<B> {
    pub offers: Option<B>,
    pub discounts: Option<B>,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Check and compare, write nothing.
    pub dry_run: bool,
    /// The commitments of each offer the discounts file names are the file's only: those it
    /// does not name are removed.
    pub replace: bool,
}

/// What an import is doing, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Reading the files and merging them into the store's offers.
    Reading,
    /// Checking the offers with the rest of the store.
    Checking,
    /// Writing them.
    Writing,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OffersReport {
    pub dry_run: bool,
    /// Rows read, in both files.
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Every offer the files name, in the order they first name it.
    pub offers: Vec<OfferOutcome>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfferOutcome {
    pub code: String,
    pub outcome: Outcome,
}

/// Imports offer files, all or nothing (a dry run only reports), then publishes the new offers
/// so that the caller's next request sees them. `max_rows` bounds each file.
pub async fn import_offers<B: AsRef<[u8]> + Send + 'static>(
    state: &AppState,
    actor: &Actor,
    files: OfferFiles<B>,
    options: ImportOptions,
    max_rows: usize,
    on_stage: &(dyn Fn(Stage) + Send + Sync),
) -> ApiResult<OffersReport> {
    on_stage(Stage::Reading);
    let _one_at_a_time = state.writes.lock().await;
    refresh(state).await?;
    let published = state.publisher.current();
    // Brought back by an offers row; named by a discounts row, an error that says so.
    let deleted = deleted_offers(state.store.as_ref()).await?;
    let model = published.model.clone();
    let now = Timestamp::now().to_string();
    let merged = tokio::task::spawn_blocking(move || {
        let read = read_and_merge(&model, deleted, now, &files, options.replace, max_rows);
        read.map(|read| (model, read))
    });
    let (mut model, read) = merged
        .await
        .map_err(|e| ApiError::Internal(format!("the import failed: {e}")))??;
    let Read {
        offers,
        mut problems,
        rows,
        separator,
    } = read;

    on_stage(Stage::Checking);
    let outcomes: Vec<Outcome> = offers.iter().map(|w| w.outcome(&model.offers)).collect();
    // The offers move into the model (a million discounts are held once); problems are located
    // with the model's copy.
    let checked = tokio::task::spawn_blocking(move || {
        let mut offers = offers;
        let mut changed = std::collections::HashSet::new();
        let mut own = Vec::new();
        for (i, working) in offers.iter_mut().enumerate() {
            let offer = working.take_offer();
            let document = Document::Offer(Box::new(offer));
            own.extend(document.check().into_iter().map(|p| (i, p)));
            changed.insert((Kind::Offer, document.id().to_owned()));
            model.put(document);
        }
        let checked = model.check_changes(&changed, model.compile_problems());
        (model, offers, own, checked)
    });
    let (model, offers, own, checked) = checked
        .await
        .map_err(|e| ApiError::Internal(format!("the check failed: {e}")))?;
    let by_code: HashMap<&str, usize> = offers
        .iter()
        .enumerate()
        .map(|(i, w)| (w.code(), i))
        .collect();
    let mut report = |i: usize, field: &str, message: String| {
        let working: &Working = &offers[i];
        if let Some(offer) = model.offers.get(working.code()) {
            working.report(offer, field, message, separator, &mut problems);
        }
    };
    for (i, problem) in own {
        report(i, &problem.field, problem.message);
    }
    for ((_, code), problem) in checked.changed {
        if let Some(&i) = by_code.get(code.as_str()) {
            report(i, &problem.field, problem.message);
        }
    }
    problems.finish()?;
    if !checked.broken.is_empty() {
        let mut broken = checked.broken;
        let more = broken.len().saturating_sub(crate::catalog_file::MAX_LISTED);
        broken.truncate(crate::catalog_file::MAX_LISTED);
        if more > 0 {
            broken.push(format!("and {more} more"));
        }
        return Err(broken_documents(&broken));
    }

    let summary: remise_store::UpsertSummary = outcomes.iter().copied().collect();
    let written: Vec<String> = offers
        .iter()
        .zip(&outcomes)
        .filter(|(_, outcome)| **outcome != Outcome::Unchanged)
        .map(|(w, _)| w.code().to_owned())
        .collect();
    let report = OffersReport {
        dry_run: options.dry_run,
        rows,
        created: summary.created,
        updated: summary.updated,
        unchanged: summary.unchanged,
        offers: offers
            .iter()
            .zip(outcomes)
            .map(|(w, outcome)| OfferOutcome {
                code: w.code().to_owned(),
                outcome,
            })
            .collect(),
    };
    drop(offers);
    if options.dry_run || written.is_empty() {
        return Ok(report);
    }
    on_stage(Stage::Writing);
    write_and_publish(state, actor, published.revision, written, model).await?;
    Ok(report)
}

/// What reading the files gave.
struct Read {
    offers: Vec<Working>,
    problems: Problems,
    rows: u64,
    /// How the discounts file (else the offers file) writes values, to quote them in problems.
    separator: Separator,
}

fn read_and_merge<B: AsRef<[u8]>>(
    model: &Model,
    deleted: HashMap<String, CustomerOffer>,
    now: String,
    files: &OfferFiles<B>,
    replace: bool,
    max_rows: usize,
) -> ApiResult<Read> {
    let mut problems = Problems::new(files.offers.is_some() && files.discounts.is_some());
    let mut merger = Merger::new(&model.offers, deleted, now, replace);
    let mut rows = 0;
    let mut separator = Separator::default();
    if let Some(bytes) = &files.offers {
        let read = cells::read_rows(
            bytes.as_ref(),
            FileKind::Offers,
            &offers_csv::COLUMNS,
            max_rows,
            &mut problems,
            |row, problems| {
                rows += 1;
                match offers_csv::read_row(row, problems) {
                    Ok(offer) => merger.offer_row(offer, problems),
                    Err(code) => merger.refused_offer(code),
                }
            },
        )?;
        separator = read.unwrap_or_default();
    }
    if let Some(bytes) = &files.discounts {
        let read = cells::read_rows(
            bytes.as_ref(),
            FileKind::Discounts,
            &discounts_csv::COLUMNS,
            max_rows,
            &mut problems,
            |row, problems| {
                rows += 1;
                if let Some(discount) = discounts_csv::read_row(row, problems) {
                    merger.discount_row(discount, problems);
                }
            },
        )?;
        separator = read.unwrap_or(separator);
    }
    Ok(Read {
        offers: merger.offers,
        problems,
        rows,
        separator,
    })
}

/// The offers soft-deleted in the last 30 days (still restorable), by code: an import that names
/// one brings it back.
async fn deleted_offers(store: &dyn Store) -> ApiResult<HashMap<String, CustomerOffer>> {
    let since = crate::routes::restorable_since(Timestamp::now());
    let mut deleted = HashMap::new();
    let mut after = None;
    loop {
        let query = ListQuery {
            deleted: true,
            after: after.take(),
            limit: 1_000,
            ..ListQuery::default()
        };
        let page = store.list(Kind::Offer, &query).await?;
        let Some(last) = page.last().map(|r| r.id.clone()) else {
            return Ok(deleted);
        };
        for record in page {
            if record.deleted_at.is_none_or(|at| at < since) {
                continue;
            }
            let id = record.id.clone();
            // Read as a load reads it (with its record's creation time, which decides ties); one
            // that no longer reads is left out, as a load leaves it out.
            if let Ok(Document::Offer(offer)) = crate::model::read_record(record) {
                deleted.insert(id, *offer);
            }
        }
        after = Some(last);
    }
}

/// Writes the offers `codes` of `model` in one transaction, if the store is still at `revision`
/// (what they were checked against), and serves `model`, which holds exactly what the store then
/// holds.
async fn write_and_publish(
    state: &AppState,
    actor: &Actor,
    revision: i64,
    codes: Vec<String>,
    model: Model,
) -> ApiResult<()> {
    // Rendered off the async workers: a million discounts are about 100 MB of JSON. Through a
    // `Value`, whose keys are sorted, as every other write stores its documents.
    let rendered = tokio::task::spawn_blocking(move || {
        let drafts = codes
            .into_iter()
            .filter_map(|code| {
                let offer = model.offers.get(&code)?;
                let body = serde_json::to_value(offer);
                Some(body.and_then(|body| TextDraft::new(code, &body, None, None)))
            })
            .collect::<serde_json::Result<Vec<TextDraft>>>();
        (model, drafts)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("the import failed: {e}")))?;
    let (model, drafts) = rendered;
    let drafts =
        drafts.map_err(|e| ApiError::Internal(format!("an offer could not be serialized: {e}")))?;
    let held = state.publisher.hold_rebuilds().await;
    let mut upsert = state.store.begin_upsert(actor, Kind::Offer).await?;
    let current = upsert.revision().await?;
    if current != revision {
        return Err(remise_store::Error::RevisionMoved {
            expected: revision,
            current,
        }
        .into());
    }
    for chunk in drafts.chunks(CHUNK) {
        upsert.write(chunk).await?;
    }
    let written = upsert.revision().await?;
    upsert.commit().await?;
    drop(drafts);
    let built = tokio::task::spawn_blocking(move || Published::build(written, model))
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

/// Which file an export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFile {
    Offers,
    Discounts,
}

/// Writes offers as one of the files, row by row.
pub struct Export<W: Write> {
    csv: csv::Writer<W>,
    file: ExportFile,
    separator: Separator,
    show_column: bool,
}

impl<W: Write> Export<W> {
    /// Starts the file (a BOM before a `;` file, then the header). The offers file has the last
    /// column where the store sells to professionals (`show_column`).
    pub fn new(
        file: ExportFile,
        separator: Separator,
        show_column: bool,
        out: W,
    ) -> std::io::Result<Export<W>> {
        let mut csv = offers_csv::writer(separator, out)?;
        match file {
            ExportFile::Offers => csv.write_record(offers_csv::header(show_column))?,
            ExportFile::Discounts => csv.write_record(discounts_csv::COLUMNS.names)?,
        }
        Ok(Export {
            csv,
            file,
            separator,
            show_column,
        })
    }

    /// Writes an offer's rows; `group_name` is the name of its group, if it has one.
    pub fn offer(
        &mut self,
        offer: &CustomerOffer,
        group_name: Option<&str>,
    ) -> std::io::Result<()> {
        match self.file {
            ExportFile::Offers => {
                offers_csv::write_row(&mut self.csv, offer, group_name, self.show_column)
            }
            ExportFile::Discounts => {
                discounts_csv::write_rows(&mut self.csv, offer, self.separator)
            }
        }
    }

    pub fn finish(mut self) -> std::io::Result<()> {
        self.csv.flush()
    }
}

/// The name of an offer's group, if it has one and the store knows it.
fn group_of<'g>(offer: &CustomerOffer, name: impl Fn(&str) -> Option<&'g str>) -> Option<&'g str> {
    match &offer.scope {
        remise_engine::rules::OfferScope::Group(group) => name(group),
        _ => None,
    }
}

/// Every live offer of `model`, in code order, as `file`.
pub fn export_model(
    model: &Model,
    file: ExportFile,
    separator: Separator,
    out: impl Write,
) -> std::io::Result<()> {
    let show = model.settings.sells_to.professionals();
    let mut export = Export::new(file, separator, show, out)?;
    for offer in model.offers.values() {
        let group = group_of(offer, |g| model.groups.get(g).map(|g| g.name.as_str()));
        export.offer(offer, group)?;
    }
    export.finish()
}

/// Every live offer of the store, in code order, as `file`, read a page at a time (the command
/// line's export: no snapshot). `on_page` is told how many offers were written so far.
pub async fn export_store(
    store: &dyn Store,
    file: ExportFile,
    separator: Separator,
    out: impl Write,
    on_page: &dyn Fn(u64),
) -> anyhow::Result<()> {
    let settings: Settings = match store.get(Kind::Settings, remise_store::SETTINGS_ID).await? {
        Some(record) => serde_json::from_value(record.body)?,
        None => Settings::default(),
    };
    let mut groups = HashMap::new();
    let mut after = None;
    loop {
        let page = store
            .list(Kind::CustomerGroup, &page_after(after.take()))
            .await?;
        let Some(last) = page.last().map(|r| r.id.clone()) else {
            break;
        };
        for record in page {
            let group: crate::documents::CustomerGroup = serde_json::from_value(record.body)?;
            groups.insert(group.id, group.name);
        }
        after = Some(last);
    }
    let mut export = Export::new(file, separator, settings.sells_to.professionals(), out)?;
    let mut written = 0;
    loop {
        let page = store.list(Kind::Offer, &page_after(after.take())).await?;
        let Some(last) = page.last().map(|r| r.id.clone()) else {
            break;
        };
        for record in page {
            let offer: CustomerOffer = serde_json::from_value(record.body)?;
            export.offer(
                &offer,
                group_of(&offer, |g| groups.get(g).map(String::as_str)),
            )?;
            written += 1;
        }
        on_page(written);
        after = Some(last);
    }
    Ok(export.finish()?)
}

fn page_after(after: Option<String>) -> ListQuery {
    ListQuery {
        after,
        limit: 1_000,
        ..ListQuery::default()
    }
}
