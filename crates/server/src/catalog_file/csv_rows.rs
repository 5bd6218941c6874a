//! The CSV reader: rows read one at a time from any `Read` (a file, a request body), each named
//! by its line as a person counts them in an editor.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read};
use std::ops::ControlFlow;
use std::rc::Rc;

use remise_engine::rules::Product;
use rust_decimal::Decimal;

use super::{Rows, parse_decimal};
use crate::problem::{ApiError, ApiResult};

/// The columns of a catalog CSV, besides `attr.<key>` ones.
pub(super) const COLUMNS: [&str; 10] = [
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

/// The delimiter the header line uses: `;` when it holds more `;` than `,`.
fn delimiter(header: &[u8]) -> u8 {
    let count = |c: u8| header.iter().filter(|&&b| b == c).count();
    if count(b';') > count(b',') {
        b';'
    } else {
        b','
    }
}

/// The bytes the csv reader has taken from the file that [`Lines`] has not counted yet: about
/// one row and the csv reader's read-ahead.
#[derive(Default)]
struct Window {
    /// The file offset of `bytes[0]`.
    start: u64,
    bytes: VecDeque<u8>,
}

/// A reader that keeps what it reads in the [`Window`], for [`Lines`] to count.
struct Tee<R> {
    inner: R,
    window: Rc<RefCell<Window>>,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.window
            .borrow_mut()
            .bytes
            .extend(buf.get(..n).unwrap_or_default());
        Ok(n)
    }
}

/// Counts lines as a person reads them in an editor, for the places of CSV rows: the csv crate's
/// own count ignores blank lines and takes a CRLF or a lone CR as no line end at all.
struct Lines {
    window: Rc<RefCell<Window>>,
    /// The line at the window's start.
    line: u64,
}

impl Lines {
    /// The line of the first character at or after `byte` that is not a line end (a record's
    /// position may point at the end of the line before it, or at blank lines). Positions only
    /// grow: what is before the last one asked for has been counted and dropped.
    fn at(&mut self, byte: u64) -> u64 {
        let mut window = self.window.borrow_mut();
        let Window {
            start: offset,
            bytes,
        } = &mut *window;
        let mut start = usize::try_from(byte.saturating_sub(*offset))
            .unwrap_or(bytes.len())
            .min(bytes.len());
        while bytes.get(start).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            start += 1;
        }
        for i in 0..start {
            let ends_line = match bytes[i] {
                b'\n' => true,
                // A CR ends a line unless the LF of a CRLF follows (at the end of the file,
                // nothing follows).
                b'\r' => bytes.get(i + 1) != Some(&b'\n'),
                _ => false,
            };
            if ends_line {
                self.line += 1;
            }
        }
        bytes.drain(..start);
        *offset += start as u64;
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

/// Where each column is in the header.
struct Columns {
    sku: usize,
    price: usize,
    name: Option<usize>,
    tax_rate: Option<usize>,
    segments: Option<usize>,
    brand: Option<usize>,
    tags: Option<usize>,
    cost: Option<usize>,
    min_price: Option<usize>,
    compare_at_price: Option<usize>,
    attributes: Vec<(usize, String)>,
}

/// Reads the rows of a CSV file.
pub(super) fn read<F: FnMut(Option<Product>) -> ControlFlow<()>>(
    reader: impl Read,
    rows: &mut Rows<'_, F>,
) -> ApiResult<()> {
    let unreadable = |e: std::io::Error| {
        ApiError::validation("line 1", format!("the file could not be read: {e}"))
    };
    // The header line chooses the delimiter: read ahead, then handed to the csv reader first.
    let mut reader = BufReader::new(reader);
    let mut header = Vec::new();
    loop {
        let buffer = reader.fill_buf().map_err(unreadable)?;
        if buffer.is_empty() {
            break;
        }
        let end = buffer.iter().position(|b| matches!(b, b'\r' | b'\n'));
        let taken = end.unwrap_or(buffer.len());
        header.extend_from_slice(&buffer[..taken]);
        reader.consume(taken);
        if end.is_some() {
            break;
        }
    }
    let delimiter = delimiter(&header);
    // A decimal comma only where a comma cannot be a column separator.
    let decimal_comma = delimiter == b';';
    let window = Rc::new(RefCell::new(Window::default()));
    let tee = Tee {
        inner: std::io::Cursor::new(header).chain(reader),
        window: window.clone(),
    };
    let mut lines = Lines { window, line: 1 };
    let mut csv = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .delimiter(delimiter)
        .from_reader(tee);
    let headers = csv
        .headers()
        .map_err(|e| ApiError::validation("line 1", format!("the header could not be read: {e}")))?
        .clone();
    let Some(columns) = columns(&headers, rows) else {
        return Ok(());
    };
    let mut record = csv::StringRecord::new();
    loop {
        match csv.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => return Ok(()),
            Err(error) => {
                let line = error.position().map_or(0, |p| lines.at(p.byte()));
                let place = rows.row(line)?;
                rows.problem(&place, "", row_error(&error));
                if rows.rejected().is_break() {
                    return Ok(());
                }
                continue;
            }
        }
        let line = record.position().map_or(0, |p| lines.at(p.byte()));
        let place = rows.row(line)?;
        let product = product(&record, &columns, decimal_comma, rows, &place);
        if rows.product(product, line, &place).is_break() {
            return Ok(());
        }
    }
}

/// The columns of the header; `None` (its problems reported) when it has unknown columns or lacks
/// a required one.
fn columns<F: FnMut(Option<Product>) -> ControlFlow<()>>(
    headers: &csv::StringRecord,
    rows: &mut Rows<'_, F>,
) -> Option<Columns> {
    let column = |name: &str| headers.iter().position(|h| h == name);
    let mut known = true;
    for (i, header) in headers.iter().enumerate() {
        if !COLUMNS.contains(&header) && !header.starts_with("attr.") {
            known = false;
            rows.problem(
                &format!("line 1, column {}", i + 1),
                "",
                format!(
                    "unknown column `{header}` ({}, attr.<key>)",
                    COLUMNS.join(", ")
                ),
            );
        }
    }
    let (Some(sku), Some(price)) = (column("sku"), column("price")) else {
        rows.problem(
            "line 1",
            "",
            "the columns `sku` and `price` are required".to_owned(),
        );
        return None;
    };
    known.then(|| Columns {
        sku,
        price,
        name: column("name"),
        tax_rate: column("tax_rate"),
        segments: column("segments"),
        brand: column("brand"),
        tags: column("tags"),
        cost: column("cost"),
        min_price: column("min_price"),
        compare_at_price: column("compare_at_price"),
        attributes: headers
            .iter()
            .enumerate()
            .filter_map(|(i, h)| Some((i, h.strip_prefix("attr.")?.to_owned())))
            .collect(),
    })
}

/// The product of a row; an amount that does not read is reported and kept as zero, so that the
/// row's other fields are still checked.
fn product<F: FnMut(Option<Product>) -> ControlFlow<()>>(
    record: &csv::StringRecord,
    columns: &Columns,
    decimal_comma: bool,
    rows: &mut Rows<'_, F>,
    place: &str,
) -> Product {
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
            rows.problem(
                place,
                field,
                format!("`{text}` is not a decimal number ({hint})"),
            );
            Decimal::ZERO
        })
    };
    let price = decimal("price", cell(Some(columns.price)));
    let tax_rate = match cell(columns.tax_rate) {
        "" => Decimal::ZERO,
        text => decimal("tax_rate", text),
    };
    let mut optional = |field: &str, i: Option<usize>| match cell(i) {
        "" => None,
        text => Some(decimal(field, text)),
    };
    let cost = optional("cost", columns.cost);
    let min_price = optional("min_price", columns.min_price);
    let compare_at_price = optional("compare_at_price", columns.compare_at_price);
    let attributes: BTreeMap<String, String> = columns
        .attributes
        .iter()
        .filter(|(i, _)| !cell(Some(*i)).is_empty())
        .map(|(i, key)| (key.clone(), cell(Some(*i)).to_owned()))
        .collect();
    Product {
        sku: cell(Some(columns.sku)).to_owned(),
        name: cell(columns.name).to_owned(),
        price,
        tax_rate,
        segments: list(columns.segments),
        brand: Some(cell(columns.brand).to_owned()).filter(|b| !b.is_empty()),
        attributes,
        tags: list(columns.tags),
        cost,
        min_price,
        compare_at_price,
    }
}
