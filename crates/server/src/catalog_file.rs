//! Reading a catalog file (products) in CSV or JSON, with every error named by its line (CSV) or
//! its index (JSON), and importing it all-or-nothing, as a stream: rows are read, checked and
//! written in chunks into one transaction, committed only if no row had a problem, so that a
//! million-row file is never held whole as products.
//!
//! CSV: a header `sku,name,price,tax_rate,segments,brand,tags,cost,min_price,compare_at_price` (only `sku` and `price` required)
//! plus any `attr.<key>` columns; `segments` and `tags` hold several values separated by `|`;
//! decimals use a point. The delimiter is `,`, or `;` when the header line holds more `;` than
//! `,` (as French spreadsheets write CSV), in which case decimals may also use a comma (`12,50`).
//! JSON: an array of products, or `{ "products": [...] }`, in the rule
//! format's product shape.
//!
//! Each row is checked on its own, with the engine's checks of one product
//! ([`remise_engine::product_problems`]: amounts in the store's currency, known segments) and
//! against the skus of earlier rows. That finds what compiling the whole model with the imported
//! products would: an import only creates or replaces products, and no other document's validity
//! depends on a product's fields (promotions name skus, which stay; selections may list any sku).

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::ops::ControlFlow;
use std::time::Instant;

use remise_engine::money::Money;
use remise_engine::rules::Product;
use remise_store::{Actor, Kind, ListQuery, Store, TextDraft, Upsert, UpsertSummary};
use rust_decimal::Decimal;
use tokio::sync::mpsc;

use crate::AppState;
use crate::documents::{Document, Settings, check_id};
use crate::model::{Model, broken_documents};
use crate::problem::{ApiError, ApiResult, FieldProblem};
use crate::routes::refresh;

mod csv_rows;
/// Fuzzing of the readers (proptest, run by `cargo test`).
#[cfg(test)]
mod fuzz;
mod json_rows;

/// Errors listed in one answer; past this, the rest are counted.
pub(crate) const MAX_LISTED: usize = 100;

/// Products per chunk handed from the reader to the writer.
const CHUNK: usize = 1_000;

/// Chunks read ahead of the writer: the reader (one core) and the database (the other) work at
/// once, and memory stays at a few chunks.
const QUEUE: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Json,
}

/// The problems found in a file so far (those past [`MAX_LISTED`] only counted). Rows are read
/// in order and each row's problems are found together, so the list is in the order of the file.
pub(crate) struct Problems(Vec<FieldProblem>, usize);

impl Problems {
    fn push(&mut self, field: String, message: String) {
        if self.0.len() < MAX_LISTED {
            self.0.push(FieldProblem::new(field, message));
        } else {
            self.1 += 1;
        }
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `value` when no problem was found; otherwise every problem listed, and the count of the
    /// others.
    pub(crate) fn finish<T>(self, value: T) -> ApiResult<T> {
        let Problems(mut listed, more) = self;
        if listed.is_empty() {
            return Ok(value);
        }
        if more > 0 {
            listed.push(FieldProblem::new("", format!("and {more} more errors")));
        }
        Err(ApiError::Validation(listed))
    }
}

/// What each product is checked against: the store's currency and its segments.
pub(crate) struct Checks {
    money: Money,
    segments: HashSet<String>,
}

impl Checks {
    fn new(settings: &Settings, segments: HashSet<String>) -> ApiResult<Checks> {
        let money = Money::parse(&settings.currency, settings.rounding).ok_or_else(|| {
            broken_documents(&[format!(
                "settings currency: `{}` is not an ISO 4217 currency code",
                settings.currency
            )])
        })?;
        Ok(Checks { money, segments })
    }

    /// The checks of a model's documents.
    fn of(model: &Model) -> ApiResult<Checks> {
        Checks::new(&model.settings, model.segments.keys().cloned().collect())
    }

    /// The checks of the store's documents, read without loading its products (the settings
    /// are the defaults while none were written).
    async fn load(store: &dyn Store) -> ApiResult<Checks> {
        let settings = match store.get(Kind::Settings, remise_store::SETTINGS_ID).await? {
            Some(record) => match Document::read(Kind::Settings, record.body, "settings")? {
                Document::Settings(settings) => settings,
                // (Read as the settings kind, it is settings.)
                _ => Settings::default(),
            },
            None => Settings::default(),
        };
        let mut segments = HashSet::new();
        let mut after = None;
        loop {
            let query = ListQuery {
                after: after.take(),
                limit: 1_000,
                ..ListQuery::default()
            };
            let page = store.list(Kind::Segment, &query).await?;
            let Some(last) = page.last().map(|r| r.id.clone()) else {
                break;
            };
            segments.extend(page.into_iter().map(|r| r.id));
            after = Some(last);
        }
        Checks::new(&settings, segments)
    }
}

/// How a file names its rows: by line (`line 12`) or by index (`[3]`, `products[3]`).
#[derive(Debug, Clone, Copy)]
enum Places {
    Lines,
    Index(&'static str),
}

impl Places {
    fn name(self, n: u64) -> String {
        match self {
            Places::Lines => format!("line {n}"),
            Places::Index(prefix) => format!("{prefix}[{n}]"),
        }
    }
}

/// The rows of a file as they are read: each checked on its own and against the skus of earlier
/// rows; the problems; the products handed on.
struct Rows<'a, F> {
    checks: &'a Checks,
    places: Places,
    max_rows: usize,
    count: usize,
    /// Each sku read, and the row (line or index) it was first at.
    seen: HashMap<Box<str>, u64>,
    problems: Problems,
    /// Given `Some(product)` while the file has no problem so far, `None` for each row after
    /// the first problem (nothing to write any more); `Break` stops the reading (the writer is
    /// gone).
    accept: F,
}

impl<F: FnMut(Option<Product>) -> ControlFlow<()>> Rows<'_, F> {
    /// A new row at `n`; too many rows is an error at once.
    fn row(&mut self, n: u64) -> ApiResult<String> {
        if self.count == self.max_rows {
            return Err(ApiError::PayloadTooLarge(format!(
                "more than {} products in one import",
                self.max_rows
            )));
        }
        self.count += 1;
        Ok(self.places.name(n))
    }

    fn problem(&mut self, place: &str, field: &str, message: String) {
        let field = if field.is_empty() {
            place.to_owned()
        } else {
            format!("{place}: {field}")
        };
        self.problems.push(field, message);
    }

    /// A product read from the row at `n` (named `place`), whose reading problems, if any, were
    /// already reported: checks it and hands it on.
    fn product(&mut self, product: Product, n: u64, place: &str) -> ControlFlow<()> {
        let mut id_problems = Vec::new();
        check_id("sku", &product.sku, &mut id_problems);
        for p in id_problems {
            self.problem(place, &p.field, p.message);
        }
        if let Some(&first) = self.seen.get(product.sku.as_str()) {
            let first = self.places.name(first);
            self.problem(
                place,
                "sku",
                format!("`{}` is already at {first}", product.sku),
            );
        } else {
            self.seen.insert(product.sku.as_str().into(), n);
        }
        let segments = &self.checks.segments;
        for e in
            remise_engine::product_problems(&product, &self.checks.money, |s| segments.contains(s))
        {
            self.problem(place, &e.path, e.message);
        }
        let clean = self.problems.is_empty();
        (self.accept)(clean.then_some(product))
    }

    /// A row that gave no product (its problems reported).
    fn rejected(&mut self) -> ControlFlow<()> {
        (self.accept)(None)
    }
}

/// Reads every row of a file and checks it, handing each product to `accept` while the file has
/// no problem so far (see [`Rows::accept`]). Returns the problems of the rows; an unreadable file
/// or header, malformed JSON or too many rows is an error at once.
pub(crate) fn read_checked(
    reader: impl Read,
    format: FileFormat,
    max_rows: usize,
    checks: &Checks,
    accept: impl FnMut(Option<Product>) -> ControlFlow<()>,
) -> ApiResult<Problems> {
    let mut rows = Rows {
        checks,
        places: match format {
            FileFormat::Csv => Places::Lines,
            FileFormat::Json => Places::Index(""),
        },
        max_rows,
        count: 0,
        seen: HashMap::new(),
        problems: Problems(Vec::new(), 0),
        accept,
    };
    match format {
        FileFormat::Csv => csv_rows::read(reader, &mut rows)?,
        FileFormat::Json => json_rows::read(reader, &mut rows)?,
    }
    Ok(rows.problems)
}

/// Reads a file sent over HTTP and imports its products, all or nothing, checked against the
/// served model and published before the answer.
pub async fn import_file(
    state: &AppState,
    actor: &Actor,
    bytes: impl AsRef<[u8]> + Send + 'static,
    format: FileFormat,
    max_rows: usize,
) -> ApiResult<UpsertSummary> {
    import_read(state, actor, std::io::Cursor::new(bytes), format, max_rows).await
}

/// [`import_file`] from any reader (the back office counts what was read, for its progress).
pub async fn import_read(
    state: &AppState,
    actor: &Actor,
    reader: impl Read + Send + 'static,
    format: FileFormat,
    max_rows: usize,
) -> ApiResult<UpsertSummary> {
    let _one_at_a_time = state.writes.lock().await;
    refresh(state).await?;
    let checks = Checks::of(&state.publisher.current().model)?;
    let started = Instant::now();
    let summary = import_reader(
        state.store.as_ref(),
        actor,
        reader,
        format,
        max_rows,
        checks,
    )
    .await?;
    let written = started.elapsed();
    refresh(state).await?;
    tracing::info!(
        created = summary.created,
        updated = summary.updated,
        unchanged = summary.unchanged,
        written_ms = written.as_millis(),
        published_ms = (started.elapsed() - written).as_millis(),
        "catalog imported"
    );
    Ok(summary)
}

/// What importing a file would do, writing nothing: every row read and checked as
/// [`import_read`] does (the same errors), and each product compared with the served one, as
/// the store compares bodies (as JSON values), into created, updated and unchanged.
pub async fn dry_run(
    state: &AppState,
    reader: impl Read + Send + 'static,
    format: FileFormat,
    max_rows: usize,
) -> ApiResult<UpsertSummary> {
    refresh(state).await?;
    let published = state.publisher.current();
    let checks = Checks::of(&published.model)?;
    tokio::task::spawn_blocking(move || {
        let products = &published.model.products;
        let mut summary = UpsertSummary::default();
        let mut unwritable = None;
        let problems = read_checked(reader, format, max_rows, &checks, |product| {
            // Counted only while the file is clean: a file with a problem writes nothing.
            let Some(product) = product else {
                return ControlFlow::Continue(());
            };
            match products.get(&product.sku) {
                None => summary.created += 1,
                // Equal values may still be written differently (`12.5` and `12.50`): the store
                // compares the JSON, so does this.
                Some(stored) if stored == &product => {
                    match (serde_json::to_value(stored), serde_json::to_value(&product)) {
                        (Ok(old), Ok(new)) if old == new => summary.unchanged += 1,
                        (Ok(_), Ok(_)) => summary.updated += 1,
                        (Err(error), _) | (_, Err(error)) => {
                            unwritable = Some(ApiError::Internal(format!(
                                "a product could not be serialized: {error}"
                            )));
                            return ControlFlow::Break(());
                        }
                    }
                }
                Some(_) => summary.updated += 1,
            }
            ControlFlow::Continue(())
        })?;
        if let Some(error) = unwritable {
            return Err(error);
        }
        problems.finish(summary)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("the dry run failed: {e}")))?
}

/// Reads a file and imports its products, all or nothing, checked against the store's settings
/// and segments (the command line's import: no snapshot to publish).
pub async fn import_into_store(
    store: &dyn Store,
    actor: &Actor,
    reader: impl Read + Send + 'static,
    format: FileFormat,
    max_rows: usize,
) -> ApiResult<UpsertSummary> {
    let checks = Checks::load(store).await?;
    import_reader(store, actor, reader, format, max_rows, checks).await
}

/// Reads, checks and writes: the rows are read and checked on a blocking thread and handed in
/// chunks to the store's bulk upsert, one transaction, committed when the whole file was read
/// without a problem; otherwise it is rolled back and every problem reported (up to
/// [`MAX_LISTED`], the rest counted).
async fn import_reader(
    store: &dyn Store,
    actor: &Actor,
    reader: impl Read + Send + 'static,
    format: FileFormat,
    max_rows: usize,
    checks: Checks,
) -> ApiResult<UpsertSummary> {
    let (sender, mut receiver) = mpsc::channel::<Vec<TextDraft>>(QUEUE);
    let reading = tokio::task::spawn_blocking(move || {
        let mut chunk = Vec::with_capacity(CHUNK);
        let mut unwritable = None;
        let problems = read_checked(reader, format, max_rows, &checks, |product| {
            let Some(product) = product else {
                return if sender.is_closed() {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                };
            };
            // Rendered here, on the reader's core. A product has no indexed fields (see
            // `Document::draft`).
            match TextDraft::new(product.sku.clone(), &product, None, None) {
                Ok(draft) => chunk.push(draft),
                Err(error) => {
                    unwritable = Some(ApiError::Internal(format!(
                        "a product could not be serialized: {error}"
                    )));
                    return ControlFlow::Break(());
                }
            }
            if chunk.len() < CHUNK {
                return ControlFlow::Continue(());
            }
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
            match sender.blocking_send(full) {
                Ok(()) => ControlFlow::Continue(()),
                // The writer failed: its error is the answer.
                Err(_) => ControlFlow::Break(()),
            }
        })?;
        if let Some(error) = unwritable {
            return Err(error);
        }
        if problems.is_empty() && !chunk.is_empty() {
            // A closed channel means the writer failed, and says why.
            let _ = sender.blocking_send(chunk);
        }
        problems.finish(())
    });
    // Begun with the first chunk: a file refused early never takes the store's write lock.
    let mut upsert: Option<Box<dyn Upsert>> = None;
    while let Some(chunk) = receiver.recv().await {
        let open = match &mut upsert {
            Some(open) => open,
            None => upsert.insert(store.begin_upsert(actor, Kind::Product).await?),
        };
        // On an error the receiver goes, which stops the reader at its next chunk.
        open.write(&chunk).await?;
    }
    // The file's problems (or a reading error) drop the upsert: nothing is written.
    reading
        .await
        .map_err(|e| ApiError::Internal(format!("the import failed: {e}")))??;
    match upsert {
        Some(upsert) => Ok(upsert.commit().await?),
        None => Ok(UpsertSummary::default()),
    }
}

/// A decimal as written in a cell: with a point, or with a comma when `decimal_comma` (one
/// comma and no point: `12,50`; a thousands separator is not a decimal).
pub(crate) fn parse_decimal(text: &str, decimal_comma: bool) -> Option<Decimal> {
    if decimal_comma && !text.contains('.') && text.matches(',').count() == 1 {
        return text.replace(',', ".").parse().ok();
    }
    text.parse().ok()
}

/// Writes products in the format the import reads back.
pub fn write_products(
    products: &[Product],
    format: FileFormat,
    out: impl std::io::Write,
) -> std::io::Result<()> {
    match format {
        FileFormat::Json => Ok(serde_json::to_writer_pretty(out, products)?),
        FileFormat::Csv => {
            let keys: std::collections::BTreeSet<&str> = products
                .iter()
                .flat_map(|p| p.attributes.keys().map(String::as_str))
                .collect();
            let mut csv = csv::Writer::from_writer(out);
            let mut header = vec![
                "sku".to_owned(),
                "name".to_owned(),
                "price".to_owned(),
                "tax_rate".to_owned(),
                "segments".to_owned(),
                "brand".to_owned(),
                "tags".to_owned(),
            ];
            // The optional amounts only when some product has them.
            type Amount = fn(&Product) -> Option<Decimal>;
            let amounts: [(&str, Amount); 3] = [
                ("cost", |p| p.cost),
                ("min_price", |p| p.min_price),
                ("compare_at_price", |p| p.compare_at_price),
            ];
            let amounts: Vec<(&str, Amount)> = amounts
                .into_iter()
                .filter(|(_, get)| products.iter().any(|p| get(p).is_some()))
                .collect();
            header.extend(amounts.iter().map(|(name, _)| (*name).to_owned()));
            header.extend(keys.iter().map(|k| format!("attr.{k}")));
            csv.write_record(&header)?;
            for p in products {
                let mut row = vec![
                    p.sku.clone(),
                    p.name.clone(),
                    p.price.to_string(),
                    p.tax_rate.to_string(),
                    p.segments.join("|"),
                    p.brand.clone().unwrap_or_default(),
                    p.tags.join("|"),
                ];
                row.extend(
                    amounts
                        .iter()
                        .map(|(_, get)| get(p).map(|a| a.to_string()).unwrap_or_default()),
                );
                row.extend(
                    keys.iter()
                        .map(|k| p.attributes.get(*k).cloned().unwrap_or_default()),
                );
                csv.write_record(&row)?;
            }
            csv.flush()
        }
    }
}
