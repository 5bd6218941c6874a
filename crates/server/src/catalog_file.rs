//! Reading a catalog file (products) in CSV or JSON, with every error named by its line (CSV) or
//! its index (JSON), and importing it all-or-nothing.
//!
//! CSV: a header `sku,name,price,tax_rate,segments,brand,tags,cost,min_price,compare_at_price` (only `sku` and `price` required)
//! plus any `attr.<key>` columns; `segments` and `tags` hold several values separated by `|`;
//! decimals use a point. The delimiter is `,`, or `;` when the header line holds more `;` than
//! `,` (as French spreadsheets write CSV), in which case decimals may also use a comma (`12,50`).
//! JSON: an array of products, or `{ "products": [...] }`, in the rule
//! format's product shape.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::str::FromStr;

use remise_engine::rules::Product;
use remise_store::{Actor, Kind, UpsertSummary};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::AppState;
use crate::body::from_value;

/// Fuzzing of the readers (proptest, run by `cargo test`).
#[cfg(test)]
mod fuzz;
use crate::documents::{Document, check_id};
use crate::model::broken_documents;
use crate::problem::{ApiError, ApiResult, FieldProblem};
use crate::routes::refresh;

/// Errors listed in one answer; past this, the rest are counted.
pub(crate) const MAX_LISTED: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Json,
}

/// A product read from a file, and where it was (`line 12`, `products[3]`).
#[derive(Debug, Clone)]
pub struct Imported {
    pub product: Product,
    pub place: String,
}

/// The problems found in a file so far (those past [`MAX_LISTED`] only counted), to be reported
/// with those the import finds against the store.
pub struct Problems(Vec<FieldProblem>, usize);

impl Problems {
    fn push(&mut self, field: String, message: String) {
        if self.0.len() < MAX_LISTED {
            self.0.push(FieldProblem::new(field, message));
        } else {
            self.1 += 1;
        }
    }

    /// `value` when no problem was found; otherwise every problem in the order of the file (those
    /// of the rows and those found against the store come in two passes), and the count of the
    /// others.
    fn finish<T>(&mut self, value: T) -> ApiResult<T> {
        if self.0.is_empty() {
            return Ok(value);
        }
        let mut listed = std::mem::take(&mut self.0);
        // Stable: the problems of one line keep their order.
        listed.sort_by_key(|p| place_number(&p.field));
        if self.1 > 0 {
            listed.push(FieldProblem::new("", format!("and {} more errors", self.1)));
        }
        Err(ApiError::Validation(listed))
    }
}

/// The line (`line 12: price`) or index (`products[3].price`) a problem's field starts with.
fn place_number(field: &str) -> u64 {
    field
        .split(|c: char| !c.is_ascii_digit())
        .find(|part| !part.is_empty())
        .and_then(|digits| digits.parse().ok())
        .unwrap_or(0)
}

/// Reads every product of a file. An unreadable file or header fails at once; the problems of
/// its rows are returned with the products that could be read, so that
/// [`import_products`] reports them together with those found against the store.
pub fn read_products(
    reader: impl Read,
    format: FileFormat,
    max_rows: usize,
) -> ApiResult<(Vec<Imported>, Problems)> {
    read_file(reader, format, max_rows)
}

/// Reads a file and imports its products, all or nothing: the rows that do not read and those
/// that do not fit the store (an unknown segment) are reported together, up to 100 errors.
pub async fn import_file(
    state: &AppState,
    actor: &Actor,
    bytes: impl AsRef<[u8]> + Send + 'static,
    format: FileFormat,
    max_rows: usize,
) -> ApiResult<UpsertSummary> {
    let (products, problems) =
        tokio::task::spawn_blocking(move || read_file(bytes.as_ref(), format, max_rows))
            .await
            .map_err(|e| ApiError::Internal(format!("the import failed: {e}")))??;
    import_checked(state, actor, products, problems).await
}

/// The products that could be read (a row whose amount does not read is kept with a zero, so that
/// its other fields are still checked), and the problems of the file. An unreadable header or
/// file, or too many rows, is an error at once.
fn read_file(
    reader: impl Read,
    format: FileFormat,
    max_rows: usize,
) -> ApiResult<(Vec<Imported>, Problems)> {
    let (products, mut problems) = match format {
        FileFormat::Csv => read_csv(reader, max_rows)?,
        FileFormat::Json => read_json(reader, max_rows)?,
    };
    let mut seen: HashMap<&str, &str> = HashMap::with_capacity(products.len());
    for imported in &products {
        let mut id_problems = Vec::new();
        check_id("sku", &imported.product.sku, &mut id_problems);
        for p in id_problems {
            problems.push(format!("{}: {}", imported.place, p.field), p.message);
        }
        if let Some(first) = seen.insert(&imported.product.sku, &imported.place) {
            problems.push(
                format!("{}: sku", imported.place),
                format!("`{}` is already at {first}", imported.product.sku),
            );
        }
    }
    Ok((products, problems))
}

fn read_json(mut reader: impl Read, max_rows: usize) -> ApiResult<(Vec<Imported>, Problems)> {
    let mut text = Vec::new();
    reader
        .read_to_end(&mut text)
        .map_err(|e| ApiError::InvalidJson {
            field: None,
            detail: format!("the file could not be read: {e}"),
        })?;
    let value: Value = serde_json::from_slice(&text).map_err(|e| crate::body::malformed(&e))?;
    let (items, prefix) = match value {
        Value::Array(items) => (items, ""),
        Value::Object(mut map) if map.len() == 1 && map.contains_key("products") => {
            match map.remove("products") {
                Some(Value::Array(items)) => (items, "products"),
                _ => return Err(ApiError::validation("products", "must be an array")),
            }
        }
        _ => {
            return Err(ApiError::validation(
                "",
                "expected an array of products or { \"products\": [...] }",
            ));
        }
    };
    if items.len() > max_rows {
        return Err(ApiError::PayloadTooLarge(format!(
            "{} products, at most {max_rows} per import",
            items.len()
        )));
    }
    let mut problems = Problems(Vec::new(), 0);
    let mut products = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let place = format!("{prefix}[{i}]");
        match from_value::<Product>(item, &place) {
            Ok(product) => products.push(Imported { product, place }),
            Err(ApiError::InvalidJson { field, detail }) => {
                let field = field.unwrap_or(place);
                // The detail starts with the field, which the problem already names.
                let message = detail
                    .strip_prefix(&format!("{field}: "))
                    .map_or_else(|| detail.clone(), str::to_owned);
                problems.push(field, message)
            }
            Err(other) => return Err(other),
        }
    }
    Ok((products, problems))
}

/// The delimiter the header line uses: `;` when it holds more `;` than `,`.
fn delimiter(header: &[u8]) -> u8 {
    let count = |c: u8| header.iter().filter(|&&b| b == c).count();
    if count(b';') > count(b',') {
        b';'
    } else {
        b','
    }
}

/// Counts lines as a person reads them in an editor, for the places of CSV rows: the csv crate's
/// own count ignores blank lines and takes a CRLF or a lone CR as no line end at all.
struct Lines<'a> {
    bytes: &'a [u8],
    /// Counted up to here (records come in order, so counting is linear overall).
    offset: usize,
    line: u64,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Lines<'a> {
        Lines {
            bytes,
            offset: 0,
            line: 1,
        }
    }

    /// The line of the first character at or after `byte` that is not a line end (a record's
    /// position may point at the end of the line before it, or at blank lines).
    fn at(&mut self, byte: u64) -> u64 {
        let bytes = self.bytes;
        let mut start = usize::try_from(byte)
            .unwrap_or(bytes.len())
            .min(bytes.len());
        while bytes.get(start).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            start += 1;
        }
        if start < self.offset {
            // Not expected (positions only grow): count again from the start.
            (self.offset, self.line) = (0, 1);
        }
        for i in self.offset..start {
            let ends_line = match bytes[i] {
                b'\n' => true,
                // A CR ends a line unless the LF of a CRLF follows.
                b'\r' => bytes.get(i + 1) != Some(&b'\n'),
                _ => false,
            };
            if ends_line {
                self.line += 1;
            }
        }
        self.offset = start;
        self.line
    }
}

/// What is wrong with a row the csv crate could not read, without the crate's own position
/// (whose line count differs from [`Lines`]).
fn row_error(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields, but the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "the row is not UTF-8 text".to_owned(),
        _ => error.to_string(),
    }
}

/// The columns of a catalog CSV, besides `attr.<key>` ones.
const COLUMNS: [&str; 10] = [
    "sku",
    "name",
    "price",
    "tax_rate",
    "segments",
    "brand",
    "tags",
    "cost",
    "min_price",
    "compare_at_price",
];

fn read_csv(mut reader: impl Read, max_rows: usize) -> ApiResult<(Vec<Imported>, Problems)> {
    // Read whole (as JSON is) so that rows are named by the file's own lines.
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| ApiError::validation("line 1", format!("the file could not be read: {e}")))?;
    let mut lines = Lines::new(&bytes);
    let header = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let delimiter = delimiter(header);
    // A decimal comma only where a comma cannot be a column separator.
    let decimal_comma = delimiter == b';';
    let mut csv = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .delimiter(delimiter)
        .from_reader(bytes.as_slice());
    let headers = csv
        .headers()
        .map_err(|e| ApiError::validation("line 1", format!("the header could not be read: {e}")))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let mut problems = Problems(Vec::new(), 0);
    for (i, header) in headers.iter().enumerate() {
        if !COLUMNS.contains(&header) && !header.starts_with("attr.") {
            problems.push(
                format!("line 1, column {}", i + 1),
                format!(
                    "unknown column `{header}` ({}, attr.<key>)",
                    COLUMNS.join(", ")
                ),
            );
        }
    }
    let (Some(sku), Some(price)) = (column("sku"), column("price")) else {
        problems.push(
            "line 1".to_owned(),
            "the columns `sku` and `price` are required".to_owned(),
        );
        problems.finish(())?;
        return Ok((Vec::new(), problems));
    };
    let (name, tax_rate, segments, brand, tags) = (
        column("name"),
        column("tax_rate"),
        column("segments"),
        column("brand"),
        column("tags"),
    );
    let (cost, min_price, compare_at_price) = (
        column("cost"),
        column("min_price"),
        column("compare_at_price"),
    );
    let attributes: Vec<(usize, String)> = headers
        .iter()
        .enumerate()
        .filter_map(|(i, h)| Some((i, h.strip_prefix("attr.")?.to_owned())))
        .collect();
    problems.finish(())?;

    let mut products = Vec::new();
    for record in csv.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map_or(0, |p| lines.at(p.byte()));
                problems.push(format!("line {line}"), row_error(&error));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| lines.at(p.byte()));
        if products.len() >= max_rows {
            return Err(ApiError::PayloadTooLarge(format!(
                "more than {max_rows} products in one import"
            )));
        }
        let place = format!("line {line}");
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("");
        let list = |i: Option<usize>| -> Vec<String> {
            cell(i)
                .split('|')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let mut decimal = |field: &str, text: &str| -> Decimal {
            parse_decimal(text, decimal_comma).unwrap_or_else(|| {
                let hint = if decimal_comma {
                    "12.50 or 12,50"
                } else {
                    "use a point: 12.50"
                };
                problems.push(
                    format!("{place}: {field}"),
                    format!("`{text}` is not a decimal number ({hint})"),
                );
                Decimal::ZERO
            })
        };
        let price = decimal("price", cell(Some(price)));
        let tax_rate = match cell(tax_rate) {
            "" => Decimal::ZERO,
            text => decimal("tax_rate", text),
        };
        let mut optional = |field: &str, i: Option<usize>| match cell(i) {
            "" => None,
            text => Some(decimal(field, text)),
        };
        let cost = optional("cost", cost);
        let min_price = optional("min_price", min_price);
        let compare_at_price = optional("compare_at_price", compare_at_price);
        let attributes: BTreeMap<String, String> = attributes
            .iter()
            .filter(|(i, _)| !cell(Some(*i)).is_empty())
            .map(|(i, key)| (key.clone(), cell(Some(*i)).to_owned()))
            .collect();
        let product = Product {
            sku: cell(Some(sku)).to_owned(),
            name: cell(name).to_owned(),
            price,
            tax_rate,
            segments: list(segments),
            brand: Some(cell(brand).to_owned()).filter(|b| !b.is_empty()),
            attributes,
            tags: list(tags),
            cost,
            min_price,
            compare_at_price,
        };
        products.push(Imported { product, place });
    }
    Ok((products, problems))
}

/// A decimal as written in a cell: with a point, or with a comma when `decimal_comma` (one
/// comma and no point: `12,50`; a thousands separator is not a decimal).
fn parse_decimal(text: &str, decimal_comma: bool) -> Option<Decimal> {
    if decimal_comma && !text.contains('.') && text.matches(',').count() == 1 {
        return Decimal::from_str(&text.replace(',', ".")).ok();
    }
    Decimal::from_str(text).ok()
}

/// Checks the imported products with the rest of the store (their segments must exist, their
/// amounts be valid), then writes them in one transaction and publishes. `problems` (those of
/// the file, from [`read_products`]) are reported with those found here, all at once.
pub async fn import_products(
    state: &AppState,
    actor: &Actor,
    products: Vec<Imported>,
    problems: Problems,
) -> ApiResult<UpsertSummary> {
    import_checked(state, actor, products, problems).await
}

/// [`import_products`], reporting `problems` (the file's own) with those found against the store.
async fn import_checked(
    state: &AppState,
    actor: &Actor,
    products: Vec<Imported>,
    mut problems: Problems,
) -> ApiResult<UpsertSummary> {
    let _one_at_a_time = state.writes.lock().await;
    refresh(state).await?;
    let mut model = state.publisher.current().model.clone();
    let places: HashMap<String, String> = products
        .iter()
        .map(|i| (i.product.sku.clone(), i.place.clone()))
        .collect();
    let mut drafts = Vec::with_capacity(products.len());
    for imported in products {
        let document = Document::Product(imported.product);
        drafts.push(document.draft()?);
        model.put(document);
    }
    let located = tokio::task::spawn_blocking(move || model.compile_problems())
        .await
        .map_err(|e| ApiError::Internal(format!("the check failed: {e}")))?;
    let mut broken = Vec::new();
    for error in located {
        match &error.document {
            Some((Kind::Product, sku)) if places.contains_key(sku) => {
                problems.push(format!("{}: {}", places[sku], error.field), error.message)
            }
            _ => broken.push(error.to_string()),
        }
    }
    problems.finish(())?;
    if !broken.is_empty() {
        return Err(broken_documents(&broken));
    }
    let summary = state
        .store
        .upsert_many(actor, Kind::Product, drafts)
        .await?;
    refresh(state).await?;
    Ok(summary)
}

/// Writes products in the format [`read_products`] reads back.
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
